/**
 * `pnpm --filter @prx-voice/event bench`: what an event costs before it leaves.
 *  1. `emit` per event — envelope, payload validation, `prxseq` — with a no-op sink,
 *     beside a baseline that builds the same payload objects, for a token and for a turn's
 *     completion, the data checked (the emitter's default) and trusted (a server's default);
 *     then with a per-turn `traceparent` function (what a traced session pays on top).
 *  2. The bus: `publish` to 1 and 10 subscribers, drained by listeners.
 *  3. The log's writes: statements per second and event-loop lag for 20 and 80 sessions,
 *     one writer beside a writer per session (PGlite; PostgreSQL with DATABASE_URL).
 */
import { systemClock } from '@prx-voice/core';
import { createSequentialIdGenerator } from '@prx-voice/types';
import type { TurnId } from '@prx-voice/types';
import { createEventBus } from '../src/event-bus.js';
import { benchEventLogWrites } from './event-log-writes.js';
import { createSessionEmitter } from '../src/session-emitter.js';
import type { AnyVoiceEvent } from '../src/voice-event.js';

const N = 50_000;
const ids = createSequentialIdGenerator();
const tenantId = ids.next('tenant');
const sessionId = ids.next('session');
const turnId = ids.next('turn') as TurnId;
const TRACE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function timeUs(run: () => void): number {
  const t0 = performance.now();
  run();
  return ((performance.now() - t0) * 1000) / N;
}

/** A session's emitter as a server makes one, into `sink`. */
function emitterInto(
  sink: (event: AnyVoiceEvent) => void,
  traceparent?: (turn: TurnId | undefined) => string,
  checkData = true,
) {
  return createSessionEmitter({
    tenantId,
    sessionId,
    instanceId: 'bench',
    clock: systemClock,
    ids,
    sink,
    checkData,
    ...(traceparent === undefined ? {} : { traceparent }),
  });
}

/** A turn's completion: the largest payload a voice turn emits. */
const turnCompleted = () => ({
  turn_id: turnId,
  user_text: 'what time do you open tomorrow morning',
  assistant_text: 'We open at nine tomorrow morning, and close at six in the evening.',
  interrupted: false,
  latency: {
    asr_ms: 120,
    agent_first_token_ms: 310,
    tts_first_audio_ms: 95,
    first_audio_sent_ms: 4,
    voice_to_voice_ms: 529,
  },
});

function emitCost(
  opts: { traceparent?: (turn: TurnId | undefined) => string; checkData?: boolean } = {},
): { token: number; turn: number } {
  const emitter = emitterInto(() => undefined, opts.traceparent, opts.checkData);
  const token = timeUs(() => {
    for (let i = 0; i < N; i++)
      emitter.emit('prx.voice.agent.token_stream', { text: 'hello ' }, { turnId });
  });
  const turn = timeUs(() => {
    for (let i = 0; i < N; i++)
      emitter.emit('prx.voice.turn.completed', turnCompleted(), { turnId });
  });
  return { token, turn };
}

// Warm-up, then measured: the data checked (the emitter's default) and trusted (a server's).
emitCost();
emitCost({ checkData: false });
const baseline = timeUs(() => {
  const out: { text: string }[] = [];
  for (let i = 0; i < N; i++) out.push({ text: 'hello ' });
});
const baselineTurn = timeUs(() => {
  const out: unknown[] = [];
  for (let i = 0; i < N; i++) out.push(turnCompleted());
});
for (const checkData of [true, false]) {
  const plain = emitCost({ checkData });
  const traced = emitCost({ traceparent: () => TRACE, checkData });
  console.log(
    `emit, data ${checkData ? 'checked' : 'trusted'}: agent.token_stream ${plain.token.toFixed(2)} µs per event (baseline payload ${baseline.toFixed(2)} µs), turn.completed ${plain.turn.toFixed(2)} µs (baseline ${baselineTurn.toFixed(2)} µs); with a traceparent per turn ${traced.token.toFixed(2)} / ${traced.turn.toFixed(2)} µs`,
  );
}

for (const subscribers of [1, 10]) {
  const bus = createEventBus();
  let seen = 0;
  for (let s = 0; s < subscribers; s++)
    bus.listen(
      () => {
        seen++;
      },
      { onError: () => undefined },
    );
  const emitter = emitterInto((e) => bus.publish(e));
  const t0 = performance.now();
  // In steps the listeners' bounded queues hold: a slow listener gets a gap, not a backlog.
  for (let i = 1; i <= N; i++) {
    emitter.emit('prx.voice.agent.token_stream', { text: 'x' });
    if (i % 100 === 0)
      while (seen < i * subscribers) await new Promise<void>((r) => setImmediate(r));
  }
  const us = ((performance.now() - t0) * 1000) / N;
  bus.close();
  console.log(
    `bus: ${us.toFixed(2)} µs per event emitted, published and delivered to ${String(subscribers)} listener(s)`,
  );
}

await benchEventLogWrites();
