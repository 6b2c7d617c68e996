/**
 * What the fault tests check after a fault, in one place: readiness answered
 * in time, a session's durable log intact (gap-free, at most one terminal
 * event), and usage — the budgets' counters (`GET /usage`) and the durable
 * meter events (billing's record, read from the database) — against what the
 * logs metered.
 */
import pg from 'pg';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { api } from './cluster.ts';
import type { Row } from './cluster.ts';
import type { ServerProcess } from './server-process.ts';

/** The terminal event types of a session. */
export const TERMINAL_TYPES: readonly string[] = [
  'prx.voice.session.closed',
  'prx.voice.session.failed',
];

/** Whether an event ends its session. */
export function isTerminal(event: AnyVoiceEvent): boolean {
  return TERMINAL_TYPES.includes(event.type);
}

/** `GET /health/ready` of `server`: its status (0 when no answer came within `timeoutMs`) and how long it took. */
export async function readiness(
  server: ServerProcess,
  timeoutMs = 2_000,
): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  try {
    const res = await fetch(`${server.url}/health/ready`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    return { status: res.status, ms: Date.now() - started };
  } catch {
    return { status: 0, ms: Date.now() - started };
  }
}

/** What is wrong with a session's durable log (empty when nothing): gaps in prxseq, more than one terminal event, events after it. */
export function logDefects(events: readonly AnyVoiceEvent[]): string[] {
  const defects: string[] = [];
  events.forEach((e, i) => {
    if (e.prxseq !== i + 1)
      defects.push(`event ${String(i)} (${e.type}) has prxseq ${String(e.prxseq)}`);
  });
  const terminal = events.filter(isTerminal);
  if (terminal.length > 1)
    defects.push(
      `${String(terminal.length)} terminal events: ${terminal.map((e) => e.type).join(', ')}`,
    );
  const last = terminal[0];
  if (last !== undefined && events.at(-1) !== last)
    defects.push(
      `events after ${last.type}: ${events
        .slice(events.indexOf(last) + 1)
        .map((e) => e.type)
        .join(', ')}`,
    );
  if (new Set(events.map((e) => e.id)).size !== events.length) defects.push('duplicate event ids');
  return defects;
}

/** The tenant's usage as `GET /usage` reports it. */
export interface Usage {
  readonly live: number;
  readonly used: Readonly<Record<string, number>>;
}

/** `GET /usage` of the caller's tenant. */
export async function usageOf(server: ServerProcess, key: string): Promise<Usage> {
  const res = await api(server, key, 'GET', '/usage');
  if (res.status !== 200) throw new Error(`GET /usage answered ${String(res.status)}`);
  const data = res.json.data as Row & {
    live_sessions: number;
    usage: readonly { kind: string; used: number }[];
  };
  return {
    live: data.live_sessions,
    used: Object.fromEntries(data.usage.map((u) => [u.kind, u.used])),
  };
}

/** Budget kind of each meter the governor counts (as `governor.ts` maps them). */
const METER_BUDGETS: Readonly<Record<string, string>> = {
  agent_prompt_tokens: 'tokens',
  agent_completion_tokens: 'tokens',
  tts_characters: 'characters',
};

/** Tokens and characters the `usage_recorded` events of `events` metered, by budget kind. */
export function meteredIn(events: readonly AnyVoiceEvent[]): Record<string, number> {
  const out: Record<string, number> = { tokens: 0, characters: 0 };
  for (const e of events) {
    if (e.type !== 'prx.voice.governance.usage_recorded') continue;
    const kind = METER_BUDGETS[e.data.meter];
    if (kind !== undefined) out[kind] = (out[kind] ?? 0) + e.data.quantity;
  }
  return out;
}

/**
 * The durable meter events of the database at `url` (billing's record of usage), summed by
 * budget kind — `tokens`, `characters`, `session_seconds` — for all sessions or one.
 */
export async function durableMeters(
  url: string,
  sessionId?: string,
): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ meter: string; quantity: string }>(
      `select meter, sum(quantity)::text as quantity from meter_events
        where $1::text is null or session_id = $1 group by meter`,
      [sessionId ?? null],
    );
    const out: Record<string, number> = { tokens: 0, characters: 0, session_seconds: 0 };
    for (const r of rows) {
      const kind = r.meter === 'session_seconds' ? 'session_seconds' : METER_BUDGETS[r.meter];
      if (kind !== undefined) out[kind] = (out[kind] ?? 0) + Number(r.quantity);
    }
    return out;
  } finally {
    await client.end();
  }
}
