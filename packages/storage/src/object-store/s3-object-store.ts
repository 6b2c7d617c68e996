import { Readable } from 'node:stream';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { VoiceError } from '@prx-voice/types';
import { collect, isAsyncIterable, normalizeBody, trackBody } from './object-body.js';
import {
  assertFolderPrefix,
  assertObjectKey,
  assertObjectPrefix,
  objectKeyProblem,
} from './object-key.js';
import { listCursor, listLimit, normalizePutOptions } from './object-options.js';
import type { NormalizedPutOptions } from './object-options.js';
import type { ListObjectsResult, ObjectInfo, ObjectStore } from './object-store.js';
import { isS3NotFound, objectNotFound, s3Failure, s3Status } from './s3-errors.js';
import { loadS3Sdk } from './s3-sdk.js';
import type { S3Sdk } from './s3-sdk.js';

/** Static credentials of an S3-compatible service. */
export interface S3Credentials {
  /** Access key ID. */
  readonly accessKeyId: string;
  /** Secret access key. */
  readonly secretAccessKey: string;
  /** Session token of temporary credentials. */
  readonly sessionToken?: string;
}

/** Options of {@link createS3ObjectStore}. */
export interface S3ObjectStoreOptions {
  /** The bucket; it must exist. */
  readonly bucket: string;
  /** Endpoint of an S3-compatible service (MinIO, R2, …); AWS when absent. */
  readonly endpoint?: string;
  /** Region; defaults to `us-east-1`. */
  readonly region?: string;
  /** Path-style URLs (`endpoint/bucket/key`); defaults to true when `endpoint` is set. */
  readonly forcePathStyle?: boolean;
  /** Static credentials; the SDK's default provider chain when absent. */
  readonly credentials?: S3Credentials;
  /** Attempts per request including retries (1 = no retry); the SDK default (3) when absent. */
  readonly maxAttempts?: number;
  /** Part size of multipart uploads of streamed bodies, at least 5 MiB; defaults to 8 MiB. */
  readonly partSize?: number;
  /** A ready client; when given, the connection options above are ignored. */
  readonly client?: S3Client;
}

const MIN_PART_SIZE = 5 * 1024 * 1024;
const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
const DELETE_BATCH = 1000;

/** Carries an error thrown by a streamed body past the backend error mapping. */
class BodyFailure extends Error {
  constructor(readonly error: unknown) {
    super('the object body failed');
  }
}

/** Builds the SDK client for S3 or an S3-compatible endpoint. */
function makeClient(sdk: S3Sdk, options: S3ObjectStoreOptions): S3Client {
  const config: S3ClientConfig = {
    region: options.region ?? 'us-east-1',
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
  };
  if (options.endpoint !== undefined) {
    config.endpoint = options.endpoint;
    // Newer SDKs add CRC checksums (and aws-chunked trailers) to every request by
    // default; many S3-compatible servers reject or mishandle them.
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  if (options.credentials !== undefined) config.credentials = { ...options.credentials };
  if (options.maxAttempts !== undefined) config.maxAttempts = options.maxAttempts;
  return new sdk.s3.S3Client(config);
}

/**
 * An object store on S3 or an S3-compatible service: PutObject for buffered
 * bodies, a multipart `Upload` for streams, GetObject streamed back, ListObjectsV2
 * pages (their continuation token is the cursor), DeleteObjects batches for
 * `deletePrefix`. A missing object is `NOT_FOUND`/`undefined`/`false`; network,
 * throttling and service failures are `STORAGE_UNAVAILABLE` with the cause.
 *
 * @example
 * const store = createS3ObjectStore({
 *   bucket: 'prx-voice', endpoint: 'http://minio:9000',
 *   credentials: { accessKeyId, secretAccessKey },
 * });
 * await store.ping();
 */
export function createS3ObjectStore(options: S3ObjectStoreOptions): ObjectStore {
  const { bucket } = options;
  if (typeof bucket !== 'string' || bucket === '') {
    throw new VoiceError('CONFIG_INVALID', { message: 'S3 object store: a bucket is required' });
  }
  const partSize = options.partSize ?? DEFAULT_PART_SIZE;
  if (!Number.isInteger(partSize) || partSize < MIN_PART_SIZE) {
    throw new VoiceError('CONFIG_INVALID', {
      message: `S3 object store: partSize must be an integer of at least ${MIN_PART_SIZE} bytes`,
    });
  }
  let connecting: Promise<{ sdk: S3Sdk; client: S3Client }> | undefined;
  /** The SDK and the client, made on first use. */
  function connect(): Promise<{ sdk: S3Sdk; client: S3Client }> {
    connecting ??= loadS3Sdk()
      .then((sdk) => ({ sdk, client: options.client ?? makeClient(sdk, options) }))
      .catch((err: unknown) => {
        connecting = undefined; // let a later call try again
        throw s3Failure('connect', err);
      });
    return connecting;
  }

  async function send<T>(
    op: string,
    fn: (sdk: S3Sdk['s3'], client: S3Client) => Promise<T>,
  ): Promise<T> {
    const { sdk, client } = await connect();
    try {
      return await fn(sdk.s3, client);
    } catch (err) {
      throw s3Failure(op, err);
    }
  }

  async function headObject(key: string): Promise<ObjectInfo | undefined> {
    const { sdk, client } = await connect();
    try {
      const out = await client.send(new sdk.s3.HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        key,
        size: out.ContentLength ?? 0,
        ...(out.ContentType === undefined ? {} : { contentType: out.ContentType }),
        metadata: { ...(out.Metadata ?? {}) },
        lastModified: out.LastModified ?? new Date(0),
        ...(out.ETag === undefined ? {} : { etag: unquote(out.ETag) }),
      };
    } catch (err) {
      if (isS3NotFound(err)) return undefined;
      throw s3Failure('head', err);
    }
  }

  async function openBody(op: string, key: string): Promise<AsyncIterable<Uint8Array>> {
    const { sdk, client } = await connect();
    try {
      const out = await client.send(new sdk.s3.GetObjectCommand({ Bucket: bucket, Key: key }));
      const body: unknown = out.Body;
      if (!isAsyncIterable(body)) throw new Error('GetObject returned no readable body');
      return body;
    } catch (err) {
      if (isS3NotFound(err)) throw objectNotFound(key, err);
      throw s3Failure(op, err);
    }
  }

  async function upload(
    key: string,
    source: Uint8Array | AsyncIterable<Uint8Array>,
    opts: NormalizedPutOptions,
  ): Promise<void> {
    const common = {
      Bucket: bucket,
      Key: key,
      ContentType: opts.contentType,
      Metadata: opts.metadata,
    };
    if (source instanceof Uint8Array) {
      await send('put', (s3, client) =>
        client.send(
          new s3.PutObjectCommand({ ...common, Body: source, ContentLength: source.length }),
        ),
      );
      return;
    }
    const { sdk, client } = await connect();
    const tracked = trackBody(source);
    try {
      await new sdk.storage.Upload({
        client,
        params: { ...common, Body: Readable.from(tracked.chunks) },
        partSize,
        queueSize: 2,
        leavePartsOnError: false,
      }).done();
    } catch (err) {
      const failure = tracked.failure();
      throw failure === undefined ? s3Failure('put', err) : new BodyFailure(failure.error);
    }
  }

  return {
    kind: 's3',

    async put(key, body, opts) {
      assertObjectKey(key);
      const normalized = normalizePutOptions(opts);
      const source = normalizeBody(body);
      try {
        await upload(key, source, normalized);
      } catch (err) {
        throw err instanceof BodyFailure ? err.error : err;
      }
      const info = await headObject(key);
      if (info === undefined) {
        throw new VoiceError('STORAGE_UNAVAILABLE', {
          message: 'S3 object store: the object was not there right after it was written',
          details: { backend: 's3', op: 'put' },
        });
      }
      return info;
    },

    async get(key) {
      assertObjectKey(key);
      return collect(mapStream('get', await openBody('get', key)));
    },

    async getStream(key) {
      assertObjectKey(key);
      return mapStream('getStream', await openBody('getStream', key));
    },

    async head(key) {
      assertObjectKey(key);
      return headObject(key);
    },

    async delete(key) {
      assertObjectKey(key);
      // S3 deletes idempotently and does not say whether there was an object.
      if ((await headObject(key)) === undefined) return false;
      await send('delete', (s3, client) =>
        client.send(new s3.DeleteObjectCommand({ Bucket: bucket, Key: key })),
      );
      return true;
    },

    async list(prefix, opts) {
      const p = assertObjectPrefix(prefix);
      const limit = listLimit(opts);
      const cursor = listCursor(opts);
      const { sdk, client } = await connect();
      let out;
      try {
        out = await client.send(
          new sdk.s3.ListObjectsV2Command({
            Bucket: bucket,
            MaxKeys: limit,
            ...(p === '' ? {} : { Prefix: p }),
            ...(cursor === undefined ? {} : { ContinuationToken: cursor }),
          }),
        );
      } catch (err) {
        if (cursor !== undefined && s3Status(err) === 400) {
          throw new VoiceError('VALIDATION_FAILED', {
            message:
              'Invalid list cursor: pass the nextCursor of the previous page of the same prefix',
            details: { field: 'cursor' },
            cause: err,
          });
        }
        throw s3Failure('list', err);
      }
      const items: ObjectInfo[] = [];
      for (const c of out.Contents ?? []) {
        // Keys we could not address (written by other tools) are not listed.
        if (c.Key === undefined || objectKeyProblem(c.Key) !== undefined) continue;
        items.push({
          key: c.Key,
          size: c.Size ?? 0,
          metadata: {},
          lastModified: c.LastModified ?? new Date(0),
          ...(c.ETag === undefined ? {} : { etag: unquote(c.ETag) }),
        });
      }
      const next = out.IsTruncated === true ? out.NextContinuationToken : undefined;
      const result: ListObjectsResult =
        next === undefined ? { items } : { items, nextCursor: next };
      return result;
    },

    async deletePrefix(prefix) {
      const p = assertFolderPrefix(prefix);
      let removed = 0;
      let token: string | undefined;
      do {
        const page = await send('deletePrefix', (s3, client) =>
          client.send(
            new s3.ListObjectsV2Command({
              Bucket: bucket,
              Prefix: p,
              MaxKeys: DELETE_BATCH,
              ...(token === undefined ? {} : { ContinuationToken: token }),
            }),
          ),
        );
        const keys = (page.Contents ?? []).flatMap((c) =>
          c.Key === undefined ? [] : [{ Key: c.Key }],
        );
        if (keys.length > 0) {
          const out = await send('deletePrefix', (s3, client) =>
            client.send(
              new s3.DeleteObjectsCommand({
                Bucket: bucket,
                Delete: { Objects: keys, Quiet: true },
              }),
            ),
          );
          const errors = out.Errors ?? [];
          removed += keys.length - errors.length;
          if (errors.length > 0) {
            throw new VoiceError('STORAGE_UNAVAILABLE', {
              message: `S3 object store: deletePrefix could not delete ${errors.length} objects (${errors[0]?.Code ?? 'unknown'})`,
              details: { backend: 's3', op: 'deletePrefix', failed: errors.length, removed },
            });
          }
        }
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      return removed;
    },

    async ping() {
      await send('ping', (s3, client) => client.send(new s3.HeadBucketCommand({ Bucket: bucket })));
    },
  };
}

async function* mapStream(op: string, body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = body[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await it.next();
      } catch (err) {
        throw s3Failure(op, err);
      }
      if (next.done === true) return;
      const chunk = next.value;
      yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  } finally {
    // Stopped early: release the connection.
    await it.return?.();
  }
}

function unquote(etag: string): string {
  return etag.length >= 2 && etag.startsWith('"') && etag.endsWith('"') ? etag.slice(1, -1) : etag;
}
