/**
 * The Redis coordinator's connection defaults against a fake Redis that can
 * hang (accept commands and never answer: a stopped process, a half-open
 * connection) and go away and come back (a restart). An operation fails
 * promptly with STORAGE_UNAVAILABLE instead of waiting for the whole outage;
 * a command that failed is never sent later, when Redis is back (no offline
 * queue behind the caller's back); reconnecting is attempted at most 500 ms apart.
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { RedisOptions } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { VoiceError } from '@prx-voice/types';
import type { Coordinator } from './coordinator.js';
import { URL_CONNECTION_DEFAULTS, createRedisCoordinator } from './redis-coordinator.js';

/** A fake Redis answering PING, INFO and QUIT (+OK to the rest), recording the names of the commands it received. */
class FakeRedis {
  readonly received: string[] = [];
  frozen = false;
  port = 0;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();

  async up(): Promise<void> {
    const server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      let buffer = '';
      socket.on('data', (d: Buffer) => {
        buffer += d.toString('utf8');
        for (
          let parsed = parseCommand(buffer);
          parsed !== undefined;
          parsed = parseCommand(buffer)
        ) {
          buffer = buffer.slice(parsed.length);
          this.received.push(parsed.name);
          if (this.frozen) continue;
          if (parsed.name === 'PING') socket.write('+PONG\r\n');
          else if (parsed.name === 'INFO') socket.write('$9\r\nloading:0\r\n');
          else if (parsed.name === 'QUIT') socket.end('+OK\r\n');
          else socket.write('+OK\r\n');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    const address = server.address();
    if (address !== null && typeof address === 'object') this.port = address.port;
    this.#server = server;
  }

  /** Closes every connection and stops listening (Redis killed). */
  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    const closed =
      server === undefined
        ? Promise.resolve()
        : new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.#sockets) s.destroy();
    await closed;
  }
}

/** The first RESP command of `buffer` (its upper-cased name and length), if complete. */
function parseCommand(buffer: string): { name: string; length: number } | undefined {
  let at = 0;
  const line = (): string | undefined => {
    const end = buffer.indexOf('\r\n', at);
    if (end < 0) return undefined;
    const text = buffer.slice(at, end);
    at = end + 2;
    return text;
  };
  const head = line();
  if (head?.startsWith('*') !== true) return undefined;
  const parts: string[] = [];
  for (let i = 0; i < Number(head.slice(1)); i++) {
    const size = line();
    if (size === undefined) return undefined;
    const value = line();
    if (value === undefined) return undefined;
    parts.push(value);
  }
  return { name: (parts[0] ?? '').toUpperCase(), length: at };
}

async function failureOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

const open: { fake: FakeRedis; coordinator: Coordinator }[] = [];
afterEach(async () => {
  for (const { fake, coordinator } of open.splice(0)) {
    await coordinator.close();
    await fake.down();
  }
});

async function connected(
  redisOptions: RedisOptions = {},
): Promise<{ fake: FakeRedis; coordinator: Coordinator }> {
  const fake = new FakeRedis();
  await fake.up();
  const coordinator = createRedisCoordinator({
    url: `redis://127.0.0.1:${String(fake.port)}`,
    clock: new SimulatedClock(),
    redisOptions,
  });
  open.push({ fake, coordinator });
  await coordinator.ping();
  return { fake, coordinator };
}

describe('Redis coordinator when Redis hangs or goes away', () => {
  it('fails an operation on a Redis that hangs with STORAGE_UNAVAILABLE after about a second', async () => {
    const { fake, coordinator } = await connected();
    fake.frozen = true;
    const started = Date.now();
    const failures = await Promise.all([
      failureOf(coordinator.ping()),
      failureOf(coordinator.renewLease({ key: 'instances', holder: 'a', ttlMs: 2_000 })),
    ]);
    const took = Date.now() - started;
    for (const err of failures) {
      expect(VoiceError.is(err) && err.code).toBe('STORAGE_UNAVAILABLE');
      expect(VoiceError.is(err) && err.retryable).toBe(true);
    }
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(3_000);
  });

  it('never sends a command that failed while Redis was away, once it is back', async () => {
    // Never giving a command up on reconnection attempts: only the timeout fails it.
    const { fake, coordinator } = await connected({ maxRetriesPerRequest: null });
    await fake.down();
    // The client has seen the connection close and is reconnecting.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    const failed = await failureOf(coordinator.getCounter('usage'));
    expect(VoiceError.is(failed) && failed.code).toBe('STORAGE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(3_000);
    // Still away a moment after the failure, then back.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await fake.up();
    const deadline = Date.now() + 5_000;
    for (;;) {
      const ok = await coordinator.ping().then(
        () => true,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error('the coordinator did not reconnect');
    }
    // The HMGET of the failed read never reached Redis; the PING that succeeded did.
    expect(fake.received).not.toContain('HMGET');
    expect(fake.received.filter((c) => c === 'PING').length).toBeGreaterThanOrEqual(2);
  });

  it('reconnects at most 500 ms apart', () => {
    const retry = URL_CONNECTION_DEFAULTS.retryStrategy;
    expect(retry?.(1)).toBe(50);
    for (const times of [10, 11, 100, 10_000]) expect(retry?.(times)).toBe(500);
  });
});
