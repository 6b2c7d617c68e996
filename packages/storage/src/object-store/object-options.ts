import { VoiceError } from '@prx-voice/types';
import type { ListObjectsOptions, PutObjectOptions } from './object-store.js';

/** The content type stored when a put gives none. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
/** Most items one list page returns (the S3 limit). */
export const MAX_LIST_LIMIT = 1000;
/** Most bytes of user metadata (keys plus values; the S3 limit). */
export const MAX_METADATA_BYTES = 2048;

const CONTENT_TYPE =
  /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+(?:\s*;\s*[a-z0-9!#$&^_.+-]+=(?:[a-z0-9!#$&^_.+-]+|"[^"\\\r\n]*"))*$/i;
const META_KEY = /^[a-z0-9][a-z0-9-]*$/;
const META_VALUE = /^[\x20-\x7e]*$/;

/** Put options after validation, with the default content type filled in. */
export interface NormalizedPutOptions {
  /** MIME type. */
  readonly contentType: string;
  /** User metadata, a fresh copy. */
  readonly metadata: Record<string, string>;
}

function invalid(field: string, message: string): VoiceError {
  return new VoiceError('VALIDATION_FAILED', { message, details: { field } });
}

/** Validates put options; throws `VALIDATION_FAILED` for a bad content type or metadata. */
export function normalizePutOptions(opts: PutObjectOptions | undefined): NormalizedPutOptions {
  const contentType = opts?.contentType ?? DEFAULT_CONTENT_TYPE;
  if (
    typeof contentType !== 'string' ||
    contentType.length > 255 ||
    !CONTENT_TYPE.test(contentType)
  ) {
    throw invalid('contentType', 'Invalid content type: expected a MIME type like "audio/wav"');
  }
  const metadata: Record<string, string> = {};
  let bytes = 0;
  for (const [key, value] of Object.entries(opts?.metadata ?? {})) {
    if (!META_KEY.test(key) || key.length > 128) {
      throw invalid(
        'metadata',
        `Invalid metadata key "${key.slice(0, 64)}": expected lower-case letters, digits and "-"`,
      );
    }
    if (typeof value !== 'string' || !META_VALUE.test(value)) {
      throw invalid('metadata', `Invalid metadata value of "${key}": expected printable ASCII`);
    }
    bytes += key.length + value.length;
    metadata[key] = value;
  }
  if (bytes > MAX_METADATA_BYTES) {
    throw invalid('metadata', `Metadata is larger than ${MAX_METADATA_BYTES} bytes`);
  }
  return { contentType, metadata };
}

/** The page size of list options; throws `VALIDATION_FAILED` unless an integer in 1–1000. */
export function listLimit(opts: ListObjectsOptions | undefined): number {
  const limit = opts?.limit ?? MAX_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw invalid('limit', `Invalid list limit: expected an integer from 1 to ${MAX_LIST_LIMIT}`);
  }
  return limit;
}

/** Throws `VALIDATION_FAILED` for a cursor that is not a non-empty string (when given). */
export function listCursor(opts: ListObjectsOptions | undefined): string | undefined {
  const cursor = opts?.cursor;
  if (cursor === undefined) return undefined;
  if (typeof cursor !== 'string' || cursor === '' || cursor.length > 4096) {
    throw invalid('cursor', 'Invalid list cursor: pass the nextCursor of the previous page');
  }
  return cursor;
}
