import { createServer } from 'node:net';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestS3Server } from '../testing/s3-test-server.js';
import type { TestS3Server } from '../testing/s3-test-server.js';
import { describeObjectStoreContract, expectVoiceError } from './object-store.contract.js';
import { createS3ObjectStore } from './s3-object-store.js';

// s3rver, with its DES continuation tokens mapped for OpenSSL 3 (see startTestS3Server).
let s3: TestS3Server;
let endpoint: string;
let credentials: TestS3Server['credentials'];
let admin: S3Client;

beforeAll(async () => {
  s3 = await startTestS3Server();
  ({ endpoint, credentials } = s3);
  admin = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
});

afterAll(async () => {
  admin.destroy();
  await s3.close();
});

const freshBucket = (): Promise<string> => s3.bucket('contract');

describeObjectStoreContract('s3 (s3rver)', async () => ({
  // The store makes its own client, so its S3-compatible configuration is what is tested.
  store: createS3ObjectStore({ bucket: await freshBucket(), endpoint, credentials }),
  cleanup: () => Promise.resolve(),
}));

/** A port on 127.0.0.1 where nothing listens: bind one, then close it. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve, reject) => {
    probe.close((err) => {
      if (err) reject(err);
      else resolve();
    });
  });
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('s3 object store', () => {
  it('configures itself for an S3-compatible endpoint', async () => {
    const store = createS3ObjectStore({ bucket: await freshBucket(), endpoint, credentials });
    const info = await store.put('t/a.txt', 'hello', {
      contentType: 'text/plain',
      metadata: { k: 'v' },
    });
    expect(info).toMatchObject({
      key: 't/a.txt',
      size: 5,
      contentType: 'text/plain',
      metadata: { k: 'v' },
    });
    expect(info.etag).toBe('5d41402abc4b2a76b9719d911017c592'); // md5('hello')
    await store.ping();
  });

  it('uploads streams in multipart and aborts the upload when the body fails', async () => {
    const bucket = await freshBucket();
    const client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials,
    });
    const commands: string[] = [];
    client.middlewareStack.add(
      (next, context) => (args) => {
        commands.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    const store = createS3ObjectStore({ bucket, client, partSize: 5 * 1024 * 1024 });
    async function* body(fail: boolean): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 11; i++) {
        await Promise.resolve();
        yield new Uint8Array(1024 * 1024).fill(i);
      }
      if (fail) throw new Error('caller hung up');
    }
    await store.put('t/big.wav', body(false));
    expect(commands.filter((c) => c === 'UploadPartCommand')).toHaveLength(3);
    expect(commands).toContain('CreateMultipartUploadCommand');
    expect(commands).toContain('CompleteMultipartUploadCommand');
    commands.length = 0;
    await expect(store.put('t/broken.wav', body(true))).rejects.toThrow('caller hung up');
    expect(commands).toContain('AbortMultipartUploadCommand');
    expect(commands).not.toContain('CompleteMultipartUploadCommand');
    expect(await store.head('t/broken.wav')).toBeUndefined();
    client.destroy();
  });

  it('deletes a prefix of more than 1000 objects in batches', { timeout: 60_000 }, async () => {
    const bucket = await freshBucket();
    const keys = Array.from(
      { length: 1001 },
      (_, i) => `ten_big/${String(i).padStart(4, '0')}.bin`,
    );
    for (let i = 0; i < keys.length; i += 100) {
      await Promise.all(
        keys
          .slice(i, i + 100)
          .map((Key) => admin.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'x' }))),
      );
    }
    await admin.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'ten_bigger/keep.bin', Body: 'x' }),
    );
    const store = createS3ObjectStore({ bucket, endpoint, credentials });
    expect(await store.deletePrefix('ten_big/')).toBe(1001);
    expect((await store.list('')).items.map((i) => i.key)).toEqual(['ten_bigger/keep.bin']);
  });

  it('is STORAGE_UNAVAILABLE, retryable, with the cause, when nothing listens', async () => {
    const store = createS3ObjectStore({
      bucket: 'any',
      endpoint: `http://127.0.0.1:${await closedPort()}`,
      credentials,
      maxAttempts: 1,
    });
    for (const attempt of [
      () => store.ping(),
      () => store.put('t/a.bin', 'x'),
      () => store.get('t/a.bin'),
      () => store.getStream('t/a.bin'),
      () => store.head('t/a.bin'),
      () => store.delete('t/a.bin'),
      () => store.list(''),
      () => store.deletePrefix('t/'),
    ]) {
      const err = await expectVoiceError(attempt(), 'STORAGE_UNAVAILABLE');
      expect(err.retryable).toBe(true);
      expect(err.cause).toBeInstanceOf(Error);
    }
  });

  it('is STORAGE_UNAVAILABLE, not retryable, for a missing bucket', async () => {
    const store = createS3ObjectStore({
      bucket: 'no-such-bucket',
      endpoint,
      credentials,
      maxAttempts: 1,
    });
    const err = await expectVoiceError(store.ping(), 'STORAGE_UNAVAILABLE');
    expect(err.retryable).toBe(false);
    await expectVoiceError(store.get('t/a.bin'), 'STORAGE_UNAVAILABLE');
  });

  it('rejects a bad configuration', () => {
    expect(() => createS3ObjectStore({ bucket: '' })).toThrow(/bucket/);
    expect(() => createS3ObjectStore({ bucket: 'b', partSize: 1024 })).toThrow(/partSize/);
  });
});
