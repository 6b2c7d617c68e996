/**
 * A Redis of the test's own: `redis-server` spawned on a free loopback port
 * without persistence, in a temporary directory, so a test can kill it,
 * restart it empty on the same port or freeze it without touching the Redis
 * other suites share.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The binary the tests run. */
export const REDIS_SERVER = '/usr/bin/redis-server';

/** A private Redis process. */
export interface PrivateRedis {
  /** Its port on 127.0.0.1 (the same across restarts). */
  readonly port: number;
  /** `redis://127.0.0.1:port/0`. */
  readonly url: string;
  /** The running process's id (changes on restart). */
  readonly pid: number;
  /** Sends one command and resolves with its reply as text (rejects on an error reply). */
  command(...args: readonly string[]): Promise<string>;
  /** `kill -9`, resolving once the process has exited. */
  kill(): Promise<void>;
  /** Starts it again, empty, on the same port; resolves once it answers PING. */
  restart(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open and hang, nothing is answered. */
  freeze(): void;
  /** Resumes a frozen process (SIGCONT). */
  thaw(): void;
  /** `CLIENT PAUSE ms ALL`: Redis itself holds every client's commands for `ms`. */
  pause(ms: number): Promise<void>;
  /** Kills the process if it runs and removes its directory. */
  stop(): Promise<void>;
}

/** A TCP port free on loopback now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** One RESP command as an array of bulk strings. */
function encode(args: readonly string[]): string {
  return `*${String(args.length)}\r\n${args.map((a) => `$${String(Buffer.byteLength(a))}\r\n${a}\r\n`).join('')}`;
}

/**
 * Sends a command to `port` and resolves with the first reply line's value (a simple string,
 * an integer or the first bulk string); an error reply rejects.
 */
function send(port: number, args: readonly string[], timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis :${String(port)} did not answer ${args.join(' ')}`));
    }, timeoutMs);
    const done = (err: Error | null, value = ''): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err === null) resolve(value);
      else reject(err);
    };
    socket.on('error', (err) => done(err));
    socket.on('data', (d: Buffer) => {
      buffer += d.toString('utf8');
      const end = buffer.indexOf('\r\n');
      if (end < 0) return;
      const head = buffer.slice(0, end);
      const kind = head[0];
      const rest = head.slice(1);
      if (kind === '-') done(new Error(`redis answered ${head}`));
      else if (kind === '+' || kind === ':') done(null, rest);
      else if (kind === '$') {
        const length = Number(rest);
        if (length < 0) done(null, '');
        else if (buffer.length >= end + 2 + length)
          done(null, buffer.slice(end + 2, end + 2 + length));
      } else done(null, head);
    });
    socket.write(encode(args));
  });
}

/** Starts a private `redis-server` and resolves once it answers PING. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'prx-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = async (): Promise<void> => {
    const p = spawn(
      REDIS_SERVER,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
      ],
      { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    p.stderr
      .setEncoding('utf8')
      .on('data', (chunk: string) => process.stderr.write(`REDIS: ${chunk}`));
    child = p;
    exited = new Promise((resolve) => p.once('exit', () => resolve()));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (p.exitCode !== null || p.signalCode !== null)
        throw new Error(`redis-server on port ${String(port)} exited at start`);
      try {
        if ((await send(port, ['PING'], 500)) === 'PONG') return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline)
        throw new Error(`redis-server on port ${String(port)} did not answer PING`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  const kill = async (): Promise<void> => {
    const p = child;
    if (p !== undefined && p.exitCode === null && p.signalCode === null) {
      // A frozen process dies of SIGKILL as well.
      p.kill('SIGKILL');
      await exited;
    }
  };

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${String(port)}/0`,
    get pid() {
      return child?.pid ?? -1;
    },
    command: (...args) => send(port, args),
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    freeze: () => {
      child?.kill('SIGSTOP');
    },
    thaw: () => {
      child?.kill('SIGCONT');
    },
    pause: async (ms) => {
      await send(port, ['CLIENT', 'PAUSE', String(ms), 'ALL']);
    },
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Empties database `db` of the (shared) Redis at `url`, so a test starts from no leases at all. */
export function flushRedisDatabase(url: string, db: number): Promise<void> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port || 6379), u.hostname);
    let answered = '';
    socket.on('error', reject);
    socket.on('data', (d: Buffer) => {
      answered += d.toString('utf8');
      if ((answered.match(/\r\n/g) ?? []).length < 2) return;
      socket.end();
      if (answered === '+OK\r\n+OK\r\n') resolve();
      else reject(new Error(`redis answered ${answered}`));
    });
    socket.write(encode(['SELECT', String(db)]) + encode(['FLUSHDB']));
  });
}
