/**
 * A local S3-compatible server for tests (exported from `@prx-voice/storage/testing`):
 * s3rver in-process on 127.0.0.1, with fresh buckets and S3 object stores on them. s3rver
 * (a dev dependency without types; the subset used is typed here) is loaded when a server
 * is started.
 *
 * s3rver encrypts list continuation tokens with single DES, which OpenSSL 3 only offers
 * through its legacy provider. Two-key triple DES with both keys equal is the same cipher,
 * so while a server runs the process maps one onto the other (in `node:crypto`'s
 * `createCipheriv`/`createDecipheriv`, and only where single DES is refused).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { loadDriver } from '../optional-driver.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { createS3ObjectStore } from '../object-store/s3-object-store.js';
import type { S3Credentials } from '../object-store/s3-object-store.js';
import { loadS3Sdk } from '../object-store/s3-sdk.js';

/** A running local S3-compatible server; see {@link startTestS3Server}. */
export interface TestS3Server {
  /** `http://127.0.0.1:port`. */
  readonly endpoint: string;
  /** The static credentials it accepts. */
  readonly credentials: S3Credentials;
  /** Creates an empty bucket (`<label>-<n>`) and returns its name. */
  bucket(label?: string): Promise<string>;
  /** An S3 object store (its own client, configured for the endpoint) on a fresh bucket. */
  store(label?: string): Promise<ObjectStore>;
  /** Stops the server and deletes its directory; the DES mapping goes with the last server. */
  close(): Promise<void>;
}

/** Options of an s3rver instance (the subset used). */
interface S3rverOptions {
  readonly address: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly silent: boolean;
  /** Where buckets and objects are kept. */
  readonly directory: string;
}

/** An s3rver instance (the subset used). */
interface S3rver {
  /** Starts listening; resolves with the bound address. */
  run(): Promise<{ readonly address: string; readonly port: number }>;
  close(): Promise<void>;
}

/** The s3rver module: a CommonJS export of its class. */
type S3rverClass = new (options: S3rverOptions) => S3rver;

const require = createRequire(import.meta.url);

type CipherFactory = (algorithm: string, key: Uint8Array, iv: Uint8Array | null) => unknown;
const nodeCrypto = require('node:crypto') as {
  createCipheriv: CipherFactory;
  createDecipheriv: CipherFactory;
};
const original = {
  createCipheriv: nodeCrypto.createCipheriv,
  createDecipheriv: nodeCrypto.createDecipheriv,
};
/** Servers running in this process (the DES mapping is installed while there are any). */
let running = 0;

function desRefused(): boolean {
  try {
    original.createCipheriv('des', new Uint8Array(8), new Uint8Array(8));
    return false;
  } catch {
    return true;
  }
}

function mapDes(): void {
  if (running++ > 0 || !desRefused()) return;
  const wrap =
    (factory: CipherFactory): CipherFactory =>
    (algorithm, key, iv) =>
      algorithm === 'des'
        ? factory('des-ede-cbc', Buffer.concat([key, key]), iv)
        : factory(algorithm, key, iv);
  nodeCrypto.createCipheriv = wrap(original.createCipheriv);
  nodeCrypto.createDecipheriv = wrap(original.createDecipheriv);
}

function unmapDes(): void {
  if (--running === 0) Object.assign(nodeCrypto, original);
}

/**
 * Starts a local S3-compatible server (see the module's description).
 *
 * @example
 * const s3 = await startTestS3Server();
 * const store = await s3.store(); // an S3 object store on a fresh bucket
 * await store.put('t/a.txt', 'hello');
 * await s3.close();
 */
export async function startTestS3Server(): Promise<TestS3Server> {
  const S3rver = await loadDriver('s3rver', 'The S3 test server', () =>
    Promise.resolve().then(() => require('s3rver') as S3rverClass),
  );
  const directory = await mkdtemp(join(tmpdir(), 'prx-s3rver-'));
  mapDes();
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  let port: number;
  try {
    ({ port } = await server.run());
  } catch (err) {
    unmapDes();
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  const endpoint = `http://127.0.0.1:${String(port)}`;
  const credentials: S3Credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  let admin: S3Client | undefined;
  let buckets = 0;

  const bucket = async (label = 'test'): Promise<string> => {
    const { s3 } = await loadS3Sdk();
    admin ??= new s3.S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
    const name = `${label}-${String(++buckets)}`;
    await admin.send(new s3.CreateBucketCommand({ Bucket: name }));
    return name;
  };

  let closing: Promise<void> | undefined;
  return {
    endpoint,
    credentials,
    bucket,
    store: async (label) =>
      createS3ObjectStore({ bucket: await bucket(label), endpoint, credentials }),
    close: () =>
      (closing ??= (async () => {
        admin?.destroy();
        try {
          await server.close();
        } finally {
          unmapDes();
          await rm(directory, { recursive: true, force: true });
        }
      })()),
  };
}
