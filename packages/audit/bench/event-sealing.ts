/**
 * `pnpm --filter @prx-voice/audit bench`: what sealing a data subject's content in the
 * session event log costs. It runs in the log's batched write path (once per batch of up
 * to 64 events, ~25 ms apart), never per audio frame; per event:
 *  1. `sealEventContent` and `openEventContent` of a `turn.completed` (two ~120-character
 *     texts) and of an `agent.token_stream` (one word);
 *  2. `encode` of a typical batch — 64 events of a speaking turn, of which 14 carry content
 *     — with the session's key cached (the steady state), against the same batch of events
 *     without content (which only checks the fields), per event.
 */
import { createEventSealing } from '../src/event-sealing.js';
import { openEventContent, sealEventContent } from '../src/event-content.js';
import type { EventJson } from '../src/event-content.js';
import { newDataKey } from '../src/sealing.js';
import type { SubjectKeys } from '../src/subject-keys.js';
import type { SessionId, TenantId } from '@prx-voice/types';

const N = 20_000;
const key = newDataKey();
const TEXT =
  'please call me back on +1 415 555 0199 or write to jane.doe@example.com about my order';
const FIELDS: Record<string, readonly string[]> = {
  'prx.voice.turn.completed': ['user_text', 'assistant_text'],
  'prx.voice.agent.token_stream': ['text'],
  'prx.voice.tts.segment_queued': ['text'],
};
const fieldsOf = (type: string): readonly string[] => FIELDS[type] ?? [];

let seq = 0;
function event(type: string, data: Record<string, unknown>): EventJson {
  seq++;
  return {
    specversion: '1.0',
    id: `evt_${String(seq).padStart(26, '0')}`,
    source: '/prx-voice/node-1/sessions/sess_1',
    type,
    subject: 'sess_1',
    time: '2029-01-01T00:00:00.000Z',
    datacontenttype: 'application/json',
    prxtenantid: 'ten_1',
    prxsessionid: 'sess_1',
    prxseq: seq,
    prxseverity: 'info',
    data,
  };
}

const turn = event('prx.voice.turn.completed', {
  turn_id: 'turn_1',
  user_text: TEXT,
  assistant_text: `You said: ${TEXT}`,
  interrupted: false,
  latency: { asr_ms: 1, agent_first_token_ms: 2 },
});
const token = event('prx.voice.agent.token_stream', { text: 'order ' });
const chunk = (): EventJson =>
  event('prx.voice.tts.chunk_ready', { segment_id: 'seg_1', bytes: 960, duration_ms: 20 });

function perEventUs(count: number, run: () => void): number {
  for (let i = 0; i < 200; i++) run(); // warm up
  const t0 = performance.now();
  for (let i = 0; i < count; i++) run();
  return ((performance.now() - t0) * 1000) / count;
}

const fmt = (us: number): string => `${us.toFixed(2)} µs`;

const sealedTurn = sealEventContent(key, turn, fieldsOf(String(turn['type'])), 'aad');
const sealedToken = sealEventContent(key, token, fieldsOf(String(token['type'])), 'aad');
console.log(
  `seal turn.completed:        ${fmt(perEventUs(N, () => sealEventContent(key, turn, FIELDS['prx.voice.turn.completed'] ?? [], 'aad')))}`,
);
console.log(
  `open turn.completed:        ${fmt(perEventUs(N, () => openEventContent(key, sealedTurn, 'aad')))}`,
);
console.log(
  `seal agent.token_stream:    ${fmt(perEventUs(N, () => sealEventContent(key, token, ['text'], 'aad')))}`,
);
console.log(
  `open agent.token_stream:    ${fmt(perEventUs(N, () => openEventContent(key, sealedToken, 'aad')))}`,
);

// A batch as the log writes one: 50 events without content, 13 tokens and a turn.
const batch: EventJson[] = [
  ...Array.from({ length: 50 }, chunk),
  ...Array.from({ length: 13 }, () => token),
  turn,
];
const plain: EventJson[] = Array.from({ length: 64 }, chunk);
const subjects = {
  sealing: true,
  sealingKey: () => Promise.resolve(key),
  openingKey: () => Promise.resolve(key),
} as unknown as SubjectKeys;
const repos = {
  forTenant: () => ({ sessions: { get: () => Promise.resolve({ subject_ref: 'subj_1' }) } }),
} as never;
const sealing = createEventSealing({ subjects, repos, fieldsOf });
const T = 'ten_1' as TenantId;
const S = 'sess_1' as SessionId;

async function perBatchEventUs(events: readonly EventJson[], rounds: number): Promise<number> {
  for (let i = 0; i < 50; i++) await sealing.encode(T, S, events);
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) await sealing.encode(T, S, events);
  return ((performance.now() - t0) * 1000) / (rounds * events.length);
}

const mixed = await perBatchEventUs(batch, 1_000);
const none = await perBatchEventUs(plain, 1_000);
console.log(
  `encode, batch of 64 (14 with content): ${fmt(mixed)} per event, ${fmt(mixed * 64)} per batch`,
);
console.log(
  `encode, batch of 64 without content:   ${fmt(none)} per event, ${fmt(none * 64)} per batch`,
);
