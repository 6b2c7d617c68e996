/**
 * The voice server as a load target: the environment that configures its child
 * process, a tenant of its own sized for the load (through the admin API, as an
 * operator would), session creation over HTTP and a warm-up turn.
 */
import { WebSocket } from 'ws';
import { BENCH_PROVIDER_OPTIONS, INPUT_FRAME_BYTES } from './wire.js';
import type { BenchVad } from './wire.js';

/** The bootstrap key of the bench's throw-away server (a platform admin). */
const BOOTSTRAP_KEY = 'pk_load_bench_bootstrap_key_0123456789abcdef';

/**
 * Environment of the voice server child: loopback on a free port, embedded PGlite
 * in `dataDir` and in-process coordination (a `DATABASE_URL` / `REDIS_URL` of the
 * caller's shell is dropped), the mock providers and `vad` (named: the default
 * `auto` would pick local engines when installed; Silero with its default pool of
 * one worker thread per core), quiet logs, and the instance-wide request caps
 * raised so the admission of N sessions is limited by the tenant alone.
 */
export function voiceServerEnv(
  dataDir: string,
  vad: BenchVad = 'energy',
): Record<string, string | undefined> {
  const unlimited = { rps: '100000', burst: '1000000' };
  return {
    DATABASE_URL: undefined,
    REDIS_URL: undefined,
    PRX_VOICE_CONFIG: undefined,
    PRX_VOICE_SERVER__HOST: '127.0.0.1',
    PRX_VOICE_SERVER__PORT: '0',
    PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: BOOTSTRAP_KEY,
    PRX_VOICE_STORAGE__DATA_DIR: dataDir,
    PRX_VOICE_LOGGING__LEVEL: 'warn',
    PRX_VOICE_ADAPTERS__ASR__PROVIDER: 'mock',
    PRX_VOICE_ADAPTERS__AGENT__PROVIDER: 'mock',
    PRX_VOICE_ADAPTERS__TTS__PROVIDER: 'mock',
    PRX_VOICE_ADAPTERS__VAD__PROVIDER: vad,
    PRX_VOICE_LIMITS__MAX_SESSIONS_PER_INSTANCE: '100000',
    PRX_VOICE_LIMITS__RATE_LIMIT__PER_TENANT__REQUESTS_PER_SECOND: unlimited.rps,
    PRX_VOICE_LIMITS__RATE_LIMIT__PER_TENANT__BURST: unlimited.burst,
    PRX_VOICE_LIMITS__RATE_LIMIT__PER_CREDENTIAL__REQUESTS_PER_SECOND: unlimited.rps,
    PRX_VOICE_LIMITS__RATE_LIMIT__PER_CREDENTIAL__BURST: unlimited.burst,
  };
}

/** Calls the API and returns `data`; a non-2xx answer throws with its error code. */
async function api(
  baseUrl: string,
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${baseUrl}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as {
    data: Record<string, unknown> | null;
    error: { code: string; message?: string } | null;
  };
  if (!res.ok || json.data === null) {
    throw new Error(
      `bench: ${method} ${path} → ${res.status} ${json.error?.code ?? ''} ${json.error?.message ?? ''}`,
    );
  }
  return json.data;
}

/** A voice server ready for load: its URL and the key of the bench tenant. */
export interface VoiceTarget {
  readonly baseUrl: string;
  readonly key: string;
}

/**
 * Creates the tenant `load-bench` (enterprise tier, its concurrency and request
 * rate overridden for `sessions`) and a developer key for it, with the bootstrap key.
 */
export async function prepareVoiceTarget(baseUrl: string, sessions: number): Promise<VoiceTarget> {
  const tenant = await api(baseUrl, BOOTSTRAP_KEY, 'POST', '/tenants', {
    slug: 'load-bench',
    name: 'Load bench',
    tier: 'enterprise',
    limits: {
      concurrent_sessions: sessions + 8,
      requests_per_second: 100_000,
      request_burst: 1_000_000,
    },
  });
  const created = await api(baseUrl, BOOTSTRAP_KEY, 'POST', '/api-keys', {
    name: 'load-bench',
    role: 'workspace_developer',
    tenant_id: tenant['id'],
  });
  return { baseUrl, key: String(created['key']) };
}

/** What a session of {@link openVoiceSession} runs on, when not the load bench's defaults. */
export interface VoiceSessionOptions {
  /** The VAD (default `energy`). */
  readonly vad?: string;
  /** The session's `provider_options` (default the load bench's). */
  readonly providerOptions?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/**
 * Creates a WebSocket session on the mock providers (the bench's options unless
 * `session` says otherwise); resolves with the URL to connect to.
 */
export async function openVoiceSession(
  target: VoiceTarget,
  session: VoiceSessionOptions = {},
): Promise<string> {
  const created = await api(target.baseUrl, target.key, 'POST', '/sessions', {
    channel: 'websocket',
    providers: { asr: 'mock', agent: 'mock', tts: 'mock', vad: session.vad ?? 'energy' },
    provider_options: session.providerOptions ?? BENCH_PROVIDER_OPTIONS,
  });
  return `${String(created['ws_url'])}?token=${encodeURIComponent(target.key)}`;
}

/**
 * A text turn on a fresh session on `vad` (after a few frames of silence, so the
 * VAD scores some audio), up to its first audio frame, not measured: the first
 * session of a process pays for lazy set-up (prepared queries, compiled code,
 * a Silero worker's model) that later ones do not. `sessions` at once: Silero
 * gives each new stream to its least busy worker, so as many as it has workers
 * load the model everywhere.
 */
export async function warmUp(
  target: VoiceTarget,
  opts: { readonly vad?: BenchVad; readonly sessions?: number } = {},
): Promise<void> {
  await Promise.all(
    Array.from({ length: opts.sessions ?? 1 }, () => warmUpSession(target, opts.vad ?? 'energy')),
  );
}

async function warmUpSession(
  target: VoiceTarget,
  vad: BenchVad,
  timeoutMs = 30_000,
): Promise<void> {
  const ws = new WebSocket(await openVoiceSession(target, { vad }), { perMessageDeflate: false });
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bench: warm-up turn timed out')), timeoutMs);
      ws.once('error', reject);
      ws.once('open', () => {
        for (let i = 0; i < 10; i++) ws.send(Buffer.alloc(INPUT_FRAME_BYTES));
        ws.send(JSON.stringify({ type: 'input.text', text: 'hi' }));
      });
      ws.on('message', (_data: Buffer, isBinary: boolean) => {
        if (!isBinary) return;
        clearTimeout(timer);
        resolve();
      });
    });
    ws.send(JSON.stringify({ type: 'end' }));
    await Promise.race([closed, new Promise((r) => setTimeout(r, 5_000))]);
  } finally {
    ws.terminate();
  }
}
