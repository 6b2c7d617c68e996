/**
 * The embedded database in a worker thread: the worker owns the PGlite
 * instance (WASM, synchronous for the length of each query) and the main
 * thread only posts SQL and awaits rows, so no query, migration or checkpoint
 * runs on the thread that paces audio. {@link PGliteWorkerClient} is a
 * {@link PGliteLike}: the same {@link PGliteDialect} (one connection, a
 * transaction holds it) drives it. A database error comes back with its own
 * fields (`code`, `constraint`, `detail`, …), so SQLSTATE checks keep working.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { VoiceError } from '@prx-voice/types';
import { PGLITE_SETTINGS } from './pglite-dialect.js';
import type { PGliteLike } from './pglite-dialect.js';
import { PGLITE_QUERY_TYPE_CACHE, createPGliteQuery } from './pglite-query.js';

const require = createRequire(import.meta.url);

/**
 * The worker's code, CommonJS evaluated as a string so that it runs the same
 * from `src/` (TypeScript under a test runner) and from `dist/`. int8 is read
 * as a safe integer as on the main thread; out of range it fails the query.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite, protocol, parse } = require(workerData.pglitePath);
// The one-call statement path, its text as this module was compiled: a transpiler that keeps
// function names (tsx's esbuild) wraps them in a helper defined outside the function.
const __name = (target) => target;
const createPGliteQuery = ${createPGliteQuery.toString()};
// Below the audio, once open (a start is not slowed): on Linux a thread has a nice value of
// its own, set through its id.
function lowerPriority() {
  const thread = { tid: null, nice: null };
  if (workerData.nice === undefined || process.platform !== 'linux') return thread;
  try {
    const os = require('node:os');
    thread.tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
    os.setPriority(thread.tid, workerData.nice);
    thread.nice = os.getPriority(thread.tid);
  } catch {
    // Not allowed here (a sandbox without /proc): the thread keeps the process's priority.
  }
  return thread;
}
function parseInt8(value) {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    const e = new Error('int8 value ' + value + ' exceeds the safe integer range');
    e.int8OutOfRange = true;
    throw e;
  }
  return n;
}
function describe(e) {
  const out = { name: 'Error', message: String(e), props: {} };
  if (e === null || typeof e !== 'object') return out;
  out.name = typeof e.name === 'string' ? e.name : 'Error';
  out.message = typeof e.message === 'string' ? e.message : String(e);
  if (typeof e.stack === 'string') out.stack = e.stack;
  for (const key of Object.keys(e)) {
    const v = e[key];
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.props[key] = v;
  }
  return out;
}
let db;
let query;
PGlite.create({
  ...(workerData.dataDir === undefined ? {} : { dataDir: workerData.dataDir }),
  ...(workerData.templatePath === undefined
    ? {}
    : { loadDataDir: new Blob([require('node:fs').readFileSync(workerData.templatePath)]) }),
  parsers: { 20: parseInt8 },
  startParams: [...PGlite.defaultStartParams, ...workerData.settings],
}).then(
  (opened) => {
    db = opened;
    query = createPGliteQuery(
      db,
      { protocol, parse },
      ${PGLITE_QUERY_TYPE_CACHE},
    );
    parentPort.postMessage({ type: 'ready', thread: lowerPriority() });
  },
  (e) => parentPort.postMessage({ type: 'open_failed', error: describe(e) }),
);
parentPort.on('message', (m) => {
  if (m.type === 'query') {
    query(m.sql, m.params).then(
      (r) => parentPort.postMessage({
        type: 'result', id: m.id, rows: r.rows, affectedRows: r.affectedRows, command: r.command,
      }),
      (e) => parentPort.postMessage({ type: 'failed', id: m.id, error: describe(e) }),
    );
  } else if (m.type === 'close') {
    const done = (error) => parentPort.postMessage({ type: 'closed', error });
    (db === undefined || db.closed ? Promise.resolve() : db.close()).then(
      () => done(undefined),
      (e) => done(describe(e)),
    );
  }
});
`;

/** An error as it crosses the thread boundary: its name, message, stack and primitive fields. */
interface ErrorDescription {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly props: Readonly<Record<string, string | number | boolean>>;
}

/** The worker thread as the operating system sees it (`null`: not known, or not set). */
export interface PGliteWorkerThread {
  /** The thread's id (Linux). */
  readonly tid: number | null;
  /** Its nice value, once set. */
  readonly nice: number | null;
}

type Reply =
  | { readonly type: 'ready'; readonly thread: PGliteWorkerThread }
  | { readonly type: 'open_failed'; readonly error: ErrorDescription }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly rows: unknown[];
      readonly affectedRows?: number;
      readonly command?: string;
    }
  | { readonly type: 'failed'; readonly id: number; readonly error: ErrorDescription }
  | { readonly type: 'closed'; readonly error?: ErrorDescription };

type QueryResult = { rows: unknown[]; affectedRows?: number; command?: string };

interface Pending {
  readonly resolve: (result: QueryResult) => void;
  readonly reject: (error: unknown) => void;
}

/** The worker's error rebuilt on this thread: same name, message, stack and fields (`code`, …). */
function rebuild(d: ErrorDescription): Error {
  if (d.props['int8OutOfRange'] === true) {
    return new VoiceError('INTERNAL', { message: d.message });
  }
  const error = new Error(d.message);
  error.name = d.name;
  if (d.stack !== undefined) error.stack = d.stack;
  Object.assign(error, d.props);
  return error;
}

/**
 * PGlite in a worker thread. The worker keeps the process alive only while a
 * query is in flight (as an in-process PGlite would not keep it alive at all).
 */
export class PGliteWorkerClient implements PGliteLike {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #dataDir: string;
  /** The worker's thread (its id and nice value on Linux). */
  readonly thread: PGliteWorkerThread;
  #nextId = 1;
  #closed = false;
  #gone: Error | undefined;
  #onClosed: ((reply: Extract<Reply, { type: 'closed' }>) => void) | undefined;
  readonly #exited: Promise<void>;

  private constructor(dataDir: string, worker: Worker, thread: PGliteWorkerThread) {
    this.#dataDir = dataDir;
    this.thread = thread;
    this.#worker = worker;
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (reply: Reply) => {
      this.#receive(reply);
    });
    worker.on('error', (error) => {
      this.#lost(error);
    });
    worker.on('exit', (code) => {
      this.#lost(new Error(`the embedded database worker exited with code ${code}`));
    });
  }

  /**
   * Starts the worker and opens PGlite in it (`memory` keeps the database in
   * memory), a new cluster unpacked from `templatePath` when given (see
   * `pglite-template.ts`). With `nice`, on Linux, the worker's thread runs at that nice
   * value once the database is open: when the machine's cores are all busy, the thread
   * that paces audio (at the process's) gets the CPU first and a write waits instead of a
   * frame going out late. Rejects with `STORAGE_UNAVAILABLE` when it cannot be opened.
   */
  static async open(
    dataDir: string,
    templatePath?: string,
    nice: number | null = null,
  ): Promise<PGliteWorkerClient> {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        pglitePath: require.resolve('@electric-sql/pglite'),
        settings: PGLITE_SETTINGS,
        ...(nice === null ? {} : { nice }),
        ...(dataDir === 'memory' ? {} : { dataDir }),
        ...(templatePath === undefined ? {} : { templatePath }),
      },
    });
    const opened = await new Promise<Reply>((resolve) => {
      const onExit = (code: number): void =>
        resolve({
          type: 'open_failed',
          error: { name: 'Error', message: `the worker exited with code ${code}`, props: {} },
        });
      worker.once('message', (reply: Reply) => {
        worker.off('exit', onExit);
        resolve(reply);
      });
      worker.once('error', (e) =>
        resolve({ type: 'open_failed', error: { name: e.name, message: e.message, props: {} } }),
      );
      worker.once('exit', onExit);
    });
    if (opened.type !== 'ready') {
      await worker.terminate();
      throw new VoiceError('STORAGE_UNAVAILABLE', {
        message: `could not open the embedded database in ${dataDir}`,
        cause: opened.type === 'open_failed' ? rebuild(opened.error) : undefined,
      });
    }
    const client = new PGliteWorkerClient(dataDir, worker, opened.thread);
    worker.unref();
    return client;
  }

  /** True once closed, or once the worker is gone. */
  get closed(): boolean {
    return this.#closed || this.#gone !== undefined;
  }

  /** Runs one statement in the worker; a database error keeps its `code` and fields. */
  query(sql: string, params: unknown[] = []): Promise<QueryResult> {
    if (this.closed) return Promise.reject(this.#unavailable(this.#gone));
    const id = this.#nextId++;
    return new Promise<QueryResult>((resolve, reject) => {
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
      try {
        this.#worker.postMessage({ type: 'query', id, sql, params });
      } catch (cause) {
        // A parameter that cannot be cloned (a function, a symbol): the caller's mistake.
        this.#settled(id);
        reject(
          new VoiceError('VALIDATION_FAILED', {
            message: 'a query parameter cannot be sent to the embedded database',
            cause,
          }),
        );
      }
    });
  }

  /**
   * Closes PGlite in the worker (it writes its data directory out) and stops the
   * worker. Queries already sent finish first.
   */
  async close(): Promise<void> {
    if (this.closed) {
      await this.#exited;
      return;
    }
    this.#closed = true;
    this.#worker.ref();
    const reply = await new Promise<Extract<Reply, { type: 'closed' }> | undefined>((resolve) => {
      this.#onClosed = resolve;
      void this.#exited.then(() => resolve(undefined));
      this.#worker.postMessage({ type: 'close' });
    });
    await this.#worker.terminate();
    if (reply?.error !== undefined) {
      throw new VoiceError('STORAGE_UNAVAILABLE', {
        message: `closing the embedded database in ${this.#dataDir} failed`,
        cause: rebuild(reply.error),
      });
    }
  }

  #receive(reply: Reply): void {
    if (reply.type === 'closed') {
      this.#onClosed?.(reply);
      return;
    }
    if (reply.type !== 'result' && reply.type !== 'failed') return;
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#settled(reply.id);
    if (reply.type === 'failed') pending.reject(rebuild(reply.error));
    else {
      pending.resolve({
        rows: reply.rows,
        ...(reply.affectedRows === undefined ? {} : { affectedRows: reply.affectedRows }),
        ...(reply.command === undefined ? {} : { command: reply.command }),
      });
    }
  }

  #settled(id: number): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0 && !this.#closed) this.#worker.unref();
  }

  /** The worker died (a crash, out of memory): every query in flight fails as transient. */
  #lost(cause: Error): void {
    if (this.#gone !== undefined) return;
    this.#gone = cause;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    const error = this.#unavailable(cause);
    for (const entry of pending) entry.reject(error);
  }

  #unavailable(cause: Error | undefined): VoiceError {
    return new VoiceError('STORAGE_UNAVAILABLE', {
      message: `the embedded database in ${this.#dataDir} is ${this.#closed ? 'closed' : 'gone (its worker stopped)'}`,
      ...(cause === undefined ? {} : { cause }),
    });
  }
}
