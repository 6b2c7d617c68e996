import type * as ClientS3 from '@aws-sdk/client-s3';
import type * as LibStorage from '@aws-sdk/lib-storage';
import { VoiceError } from '@prx-voice/types';
import { loadDriver } from '../optional-driver.js';

/** The AWS SDK modules the S3 object store uses, loaded on first use. */
export interface S3Sdk {
  /** `@aws-sdk/client-s3`. */
  readonly s3: typeof ClientS3;
  /** `@aws-sdk/lib-storage` (multipart `Upload`). */
  readonly storage: typeof LibStorage;
}

let loading: Promise<S3Sdk> | undefined;

/**
 * Loads the AWS SDK once. It is imported lazily so that processes on the
 * filesystem store (the embedded default) never pay for loading it.
 */
export function loadS3Sdk(): Promise<S3Sdk> {
  const what = 'The S3 object store (storage.object_store.kind: s3)';
  loading ??= Promise.all([
    loadDriver('@aws-sdk/client-s3', what, () => import('@aws-sdk/client-s3')),
    loadDriver('@aws-sdk/lib-storage', what, () => import('@aws-sdk/lib-storage')),
  ]).then(
    ([s3, storage]) => ({ s3, storage }),
    (err: unknown) => {
      loading = undefined;
      if (VoiceError.is(err)) throw err;
      throw new VoiceError('STORAGE_UNAVAILABLE', {
        message: 'S3 object store: the AWS SDK could not be loaded',
        retryable: false,
        details: { backend: 's3', op: 'load' },
        cause: err,
      });
    },
  );
  return loading;
}
