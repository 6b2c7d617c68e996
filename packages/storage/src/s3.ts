/**
 * `@prx-voice/storage/s3` — the object store on S3 or an S3-compatible service.
 * Needs the optional peer dependencies `@aws-sdk/client-s3` and
 * `@aws-sdk/lib-storage` (loaded on first use).
 *
 * @example
 * import { createS3ObjectStore } from '@prx-voice/storage/s3';
 * const store = createS3ObjectStore({ bucket: 'recordings', region: 'eu-west-1' });
 */
export { createS3ObjectStore } from './object-store/s3-object-store.js';
export type { S3Credentials, S3ObjectStoreOptions } from './object-store/s3-object-store.js';
