/**
 * `pnpm --filter @prx-voice/event bench`: what an event costs before it leaves.
 *  1. `emit` per event — envelope, payload validation, `prxseq` — with a no-op sink,
 *     beside a baseline that builds the same payload objects; then with a per-turn
 *     `traceparent` function (what a traced session pays on top).
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
) {
  return createSessionEmitter({
    tenantId,
    sessionId,
    instanceId: 'bench',
    clock: systemClock,
    ids,
    sink,
    ...(traceparent === undefined ? {} : { traceparent }),
  });
}

function emitCost(traceparent?: (turn: TurnId | undefined) => string): number {
  const emitter = emitterInto(() => undefined, traceparent);
  return timeUs(() => {
    for (let i = 0; i < N; i++)
      emitter.emit('prx.voice.agent.token_stream', { text: 'hello ' }, { turnId });
  });
}

// Warm-up, then measured.
emitCost();
const baseline = timeUs(() => {
  const out: { text: string }[] = [];
  for (let i = 0; i < N; i++) out.push({ text: 'hello ' });
});
const plain = emitCost();
const traced = emitCost(() => TRACE);
console.log(
  `emit: ${plain.toFixed(2)} µs per event (baseline payload ${baseline.toFixed(2)} µs); with a traceparent per turn ${traced.toFixed(2)} µs`,
);

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
