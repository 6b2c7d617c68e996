/**
 * `pnpm --filter @prx-voice/control bench`: what observing a session costs.
 *
 * The same voice sessions (mock providers, energy VAD, pacer, events; 20 ms frames on
 * simulated time) run with observation off — events only — and on: the metrics sink
 * and SLO tracker fed from every event, and the session's trace exporting OTLP/HTTP
 * JSON to a collector on this machine (span building, serialization and the HTTP
 * request all counted, the export flushed before the clock stops). Runs alternate
 * off/on so drift hits both; the CPU per turn of each and the difference are printed.
 * Goal: observation under 3 % of a turn's CPU.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSloTracker, createVoiceMetrics, createVoiceTracing } from '@prx-voice/observe';
import type { VoiceTracing } from '@prx-voice/observe';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createScenario } from '@prx-voice/session/testing';
import { sessionMetricsSink } from '../src/sessions/session-metrics.js';
import { createSessionTrace } from '../src/sessions/session-trace.js';

const TURNS_PER_SESSION = 8;
const ROUNDS = 6;

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const collector = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
});
await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
const endpoint = `http://127.0.0.1:${String((collector.address() as AddressInfo).port)}/v1/traces`;
const metrics = createVoiceMetrics({ defaultMetrics: false });
// One tracker per server, as in production; its windows on a clock of their own.
const slo = createSloTracker({ clock: new SimulatedClock(), registry: metrics.registry });
let exportedSpans = 0;

/** One session of {@link TURNS_PER_SESSION} voice turns; its CPU ms and turns. */
async function session(observed: boolean): Promise<{ cpu: number; turns: number }> {
  let tracing: VoiceTracing | undefined;
  const s = await createScenario({
    providerOptions: { agent: { token_delay_ms: 20 } },
    ...(observed
      ? {
          watch: (clock, ids) => {
            tracing = createVoiceTracing({
              exporter: 'otlp',
              endpoint,
              clock,
              onOutcome: (o, n) => {
                if (o === 'exported') exportedSpans += n;
              },
            });
            const trace = createSessionTrace({
              tracing,
              clock,
              sessionId: ids.sessionId,
              tenantId: ids.tenantId,
            });
            const sink = sessionMetricsSink(metrics, slo);
            return {
              traceparent: trace.traceparentOf,
              observe: (e) => {
                sink(e);
                trace.observe(e);
              },
            };
          },
        }
      : {}),
  });
  const start = cpuMs();
  for (let t = 0; t < TURNS_PER_SESSION; t++) {
    await s.speak(600);
    await s.silence(3000);
  }
  s.actor.dispatch({ type: 'end', reason: 'completed' });
  await s.advance(100);
  await tracing?.shutdown();
  const cpu = cpuMs() - start;
  return { cpu, turns: s.events.filter((e) => e.type === 'prx.voice.turn.completed').length };
}

// Warm-up: JIT and module loading count for neither.
await session(false);
await session(true);
const totals = { off: { cpu: 0, turns: 0 }, on: { cpu: 0, turns: 0 } };
for (let r = 0; r < ROUNDS; r++) {
  for (const observed of r % 2 === 0 ? [false, true] : [true, false]) {
    const run = await session(observed);
    const into = observed ? totals.on : totals.off;
    into.cpu += run.cpu;
    into.turns += run.turns;
  }
}
collector.close();
const off = totals.off.cpu / totals.off.turns;
const on = totals.on.cpu / totals.on.turns;
const share = ((on - off) / on) * 100;
console.log(
  `observation cost per voice turn (${String(totals.on.turns)} turns each way, ${String(exportedSpans)} spans exported over OTLP/HTTP):`,
);
console.log(`  off (events only):                  ${off.toFixed(3)} ms CPU per turn`);
console.log(`  on  (metrics + SLOs + OTLP traces): ${on.toFixed(3)} ms CPU per turn`);
console.log(
  `  observation: ${(on - off).toFixed(3)} ms per turn = ${share.toFixed(2)} % of the turn's CPU (goal < 3 %)`,
);
