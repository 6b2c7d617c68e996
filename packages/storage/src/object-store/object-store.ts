/** What can be stored: bytes, a UTF-8 string, or a stream of byte chunks (never buffered whole). */
export type ObjectBody = Uint8Array | string | AsyncIterable<Uint8Array>;

/** What a store knows about one object. */
export interface ObjectInfo {
  /** The object's key (`{tenant}/{kind}/{yyyy}/{mm}/{dd}/{session}/{name}` for our own objects). */
  readonly key: string;
  /** Size in bytes. */
  readonly size: number;
  /** MIME type given at `put` (`application/octet-stream` when none was); absent from `list` items. */
  readonly contentType?: string;
  /** User metadata given at `put`; empty in `list` items. */
  readonly metadata: Readonly<Record<string, string>>;
  /** When the object was last written, as the backend records it. */
  readonly lastModified: Date;
  /** Backend entity tag without quotes (an MD5 hex for single-part writes), when known. */
  readonly etag?: string;
}

/** Options of {@link ObjectStore.put}. */
export interface PutObjectOptions {
  /** MIME type, e.g. `audio/wav`; defaults to `application/octet-stream`. */
  readonly contentType?: string;
  /**
   * User metadata: lower-case keys of `a-z`, `0-9` and `-`, printable-ASCII values,
   * at most 2 KiB in all (the S3 limit, applied to every backend).
   */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Options of {@link ObjectStore.list}. */
export interface ListObjectsOptions {
  /** Items per page, 1–1000; defaults to 1000. */
  readonly limit?: number;
  /** The `nextCursor` of the previous page of the same prefix. */
  readonly cursor?: string;
}

/** One page of {@link ObjectStore.list}. */
export interface ListObjectsResult {
  /** Objects in ascending key order (UTF-8 byte order, as S3 lists). */
  readonly items: ObjectInfo[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  readonly nextCursor?: string;
}

/**
 * Where recordings and exports live: a flat namespace of keys, on the local
 * filesystem or on S3-compatible storage, with one behaviour for both.
 * Every operation validates its key first (see {@link objectKeyProblem}); a bad key
 * is `VALIDATION_FAILED` and never reaches the backend. Backend failures are
 * `STORAGE_UNAVAILABLE` with the cause attached.
 *
 * @example
 * const store = createFilesystemObjectStore({ root: './data/objects' });
 * const key = objectKey({ tenantId, kind: 'recordings', at: clock.now(), sessionId, name: 'call.wav' });
 * await store.put(key, wavBytes, { contentType: 'audio/wav' });
 * for await (const chunk of await store.getStream(key)) res.write(chunk);
 */
export interface ObjectStore {
  /** Which backend this is. */
  readonly kind: 'filesystem' | 's3';
  /**
   * Writes an object, replacing any object of the same key. Readers see the old or
   * the new content, never a partial one. If a streamed body throws, nothing is
   * stored and the body's error is rethrown.
   */
  put(key: string, body: ObjectBody, opts?: PutObjectOptions): Promise<ObjectInfo>;
  /** The whole object; `NOT_FOUND` if there is none. */
  get(key: string): Promise<Uint8Array>;
  /**
   * The object as a stream of chunks; `NOT_FOUND` (thrown here, not while iterating)
   * if there is none. The file or connection is held until the stream is read to
   * the end or left with `break`/`return`.
   */
  getStream(key: string): Promise<AsyncIterable<Uint8Array>>;
  /** The object's info, or `undefined` if there is none. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Removes an object; whether there was one. */
  delete(key: string): Promise<boolean>;
  /**
   * One page of the objects whose keys start with `prefix` (a plain string prefix:
   * `ten_a` also matches `ten_ab/…`, `ten_a/` does not). `''` lists everything.
   */
  list(prefix: string, opts?: ListObjectsOptions): Promise<ListObjectsResult>;
  /**
   * Removes every object under a folder-like prefix (non-empty, ending in `/`, e.g.
   * {@link tenantPrefix}) and returns how many were removed.
   */
  deletePrefix(prefix: string): Promise<number>;
  /** Resolves when the backend is reachable and writable; `STORAGE_UNAVAILABLE` otherwise. */
  ping(): Promise<void>;
}
