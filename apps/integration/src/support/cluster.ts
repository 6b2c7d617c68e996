/**
 * Helpers of the multi-process fault tests: a fresh PostgreSQL database per
 * test file, the REST API of a server process, a session's durable log read
 * back as SSE, and polling for what a sweeper does in real time.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { parseEvent } from '@prx-voice/event';
import type { AnyVoiceEvent } from '@prx-voice/event';
import type { ServerProcess } from './server-process.ts';

/** A database of its own on the PostgreSQL of `DATABASE_URL`, dropped by `drop()`. */
export async function freshDatabase(
  base: string,
  prefix: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

/** The fields of a session or page the tests read. */
export interface Row {
  readonly id: string;
  readonly state: string;
  readonly items: readonly { readonly status: string }[];
  readonly [field: string]: unknown;
}

/** Calls the REST API of `server` with `key`. */
export async function api(
  server: ServerProcess,
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: { data: Row; error: { code: string } | null } }> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(20_000),
  }).catch((err: unknown) => {
    throw new Error(`${method} ${server.url}/api/v1${path}: ${String(err)}`);
  });
  return { status: res.status, json: (await res.json()) as never };
}

/** A session's durable log, read back as SSE from `server` (the stream ends at its terminal event). */
export async function loggedEvents(
  server: ServerProcess,
  key: string,
  id: string,
): Promise<AnyVoiceEvent[]> {
  const res = await fetch(`${server.url}/api/v1/sessions/${id}/events`, {
    headers: { authorization: `Bearer ${key}` },
    signal: AbortSignal.timeout(20_000),
  });
  if (res.status !== 200) throw new Error(`GET events of ${id} answered ${String(res.status)}`);
  return (await res.text())
    .split('\n\n')
    .map((block) =>
      block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.replace(/^data: ?/, ''))
        .join('\n'),
    )
    .filter((data) => data !== '')
    .map((data) => parseEvent(data));
}

/** Polls `read` until `done` holds, up to `timeoutMs` (heartbeats and sweeps run in real time). */
export async function until<T>(
  read: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The environment of a server process in these tests: the bootstrap key, mock providers and
 * the energy VAD, a fast heartbeat (`ttlMs`) and sweep, plus `extra`.
 */
export function mockServerEnv(
  key: string,
  ttlMs: number,
  extra: Record<string, string>,
): Record<string, string> {
  return {
    PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: key,
    PRX_VOICE_DEPLOY__INSTANCE_TTL_MS: String(ttlMs),
    PRX_VOICE_DEPLOY__RECOVERY_INTERVAL_MS: '500',
    PRX_VOICE_ADAPTERS__ASR__PROVIDER: 'mock',
    PRX_VOICE_ADAPTERS__AGENT__PROVIDER: 'mock',
    PRX_VOICE_ADAPTERS__TTS__PROVIDER: 'mock',
    PRX_VOICE_ADAPTERS__VAD__PROVIDER: 'energy',
    ...extra,
  };
}

/**
 * The environment of one instance of a cluster: `mockServerEnv` on a shared PostgreSQL
 * database (`databaseUrl`) and the Redis database `redisDb` of `redisBase`, with the
 * instance's own id and data directory.
 */
export function clusterEnv(opts: {
  readonly key: string;
  readonly ttlMs: number;
  readonly databaseUrl: string;
  readonly redisBase: string;
  readonly redisDb: number;
  readonly instanceId: string;
}): Record<string, string> {
  const redis = new URL(opts.redisBase);
  redis.pathname = `/${String(opts.redisDb)}`;
  return mockServerEnv(opts.key, opts.ttlMs, {
    DATABASE_URL: opts.databaseUrl,
    REDIS_URL: redis.toString(),
    PRX_VOICE_STORAGE__DATA_DIR: `data-${opts.instanceId}`,
    PRX_VOICE_DEPLOY__INSTANCE_ID: opts.instanceId,
  });
}
