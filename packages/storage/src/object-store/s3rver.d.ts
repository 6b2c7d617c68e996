/**
 * The subset of s3rver (a dev dependency without types) that the S3 object store
 * tests use: start an in-process S3-compatible server, stop it.
 */
declare module 's3rver' {
  /** Options of an s3rver instance. */
  interface S3rverOptions {
    /** Address to listen on. */
    readonly address?: string;
    /** Port to listen on; 0 picks a free one. */
    readonly port?: number;
    /** Suppresses request logging. */
    readonly silent?: boolean;
    /** Directory where buckets and objects are kept. */
    readonly directory?: string;
    /** Buckets created when the server starts. */
    readonly configureBuckets?: readonly { readonly name: string }[];
    /** Deletes all buckets when the server closes. */
    readonly resetOnClose?: boolean;
  }

  /** An in-process S3-compatible server. */
  class S3rver {
    constructor(options?: S3rverOptions);
    /** Starts listening; resolves with the bound address. */
    run(): Promise<{ readonly address: string; readonly port: number }>;
    /** Stops listening. */
    close(): Promise<void>;
  }

  export default S3rver;
}
