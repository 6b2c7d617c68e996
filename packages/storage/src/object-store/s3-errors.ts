import { VoiceError } from '@prx-voice/types';

/** The parts of an SDK error we look at. */
interface S3ErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly $retryable?: unknown;
}

const THROTTLING = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestTimeout',
  'RequestTimeTooSkewed',
]);

/** The HTTP status of an S3 error response, if the error came from one. */
export function s3Status(err: unknown): number | undefined {
  const status = (err as S3ErrorShape | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The S3 error name (`NoSuchKey`, `AccessDenied`, …) or the Node error code (`ECONNREFUSED`). */
export function s3ErrorName(err: unknown): string {
  const e = err as S3ErrorShape | null;
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.name === 'string') return e.name;
  return 'Unknown';
}

/** Whether an error says the object (not the bucket) does not exist. */
export function isS3NotFound(err: unknown): boolean {
  const name = s3ErrorName(err);
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || s3Status(err) === 404;
}

/**
 * Wraps an S3 or network failure as `STORAGE_UNAVAILABLE` with the cause; it is
 * retryable for network errors, throttling and 5xx, not for other 4xx (access
 * denied, missing bucket: a configuration problem). A VoiceError passes through.
 */
export function s3Failure(op: string, err: unknown): VoiceError {
  if (VoiceError.is(err)) return err;
  const status = s3Status(err);
  const name = s3ErrorName(err);
  const retryable = status === undefined || status >= 500 || status === 429 || THROTTLING.has(name);
  return new VoiceError('STORAGE_UNAVAILABLE', {
    message: `S3 object store: ${op} failed (${name}${status === undefined ? '' : ` ${status}`})`,
    retryable,
    details: { backend: 's3', op, error: name, ...(status === undefined ? {} : { status }) },
    cause: err,
  });
}

/** The `NOT_FOUND` error of a missing object. */
export function objectNotFound(key: string, cause?: unknown): VoiceError {
  return new VoiceError('NOT_FOUND', {
    message: 'No object has this key',
    details: { key },
    ...(cause === undefined ? {} : { cause }),
  });
}
