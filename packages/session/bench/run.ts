/**
 * `pnpm --filter @prx-voice/session bench`: what the engine itself costs.
 *  1. Reducer time per turn and per barge-in: recorded sessions replayed through `step()`.
 *  2. CPU per session-second of real-time audio: a whole session actor (mock providers,
 *     energy VAD, pacer, events) fed 20 ms frames on simulated time.
 *  3. Silero VAD: CPU per session-second and inference time per 32 ms window.
 *  4. Step cost against conversation length (the conversation is shared, not copied, per step),
 *     and the step's working copy by walking the data against `structuredClone`.
 */
import { createSileroVad } from '@prx-voice/adapter';
import { generateTone } from '@prx-voice/media';
import type { StepRecord } from '../src/actor-types.js';
import type { SessionModel } from '../src/model.js';
import { initialModel, step } from '../src/reducer/step.js';
import { workingCopy } from '../src/reducer/working-copy.js';
import { createScenario } from '../src/testing/scenario.js';
import type { Scenario } from '../src/testing/scenario.js';

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function replayCostUs(s: Scenario, records: readonly StepRecord[], rounds: number): number {
  const start = performance.now();
  for (let r = 0; r < rounds; r++) {
    let m = initialModel({ sessionId: s.sessionId, tenantId: s.tenantId, settings: s.settings });
    for (const rec of records) {
      let i = 0;
      m = step(m, rec.input, { now: rec.at, newId: () => rec.ids[i++] ?? 'x' }).model;
    }
  }
  return ((performance.now() - start) * 1000) / rounds;
}

async function reducerCost(): Promise<void> {
  const turn = await createScenario();
  await turn.speak(600);
  await turn.silence(3000);
  const baseline = await createScenario();
  const turnUs = replayCostUs(turn, turn.steps, 300) - replayCostUs(baseline, baseline.steps, 300);

  const barge = await createScenario({ providerOptions: { agent: { token_delay_ms: 5 } } });
  await barge.speak(600);
  for (let i = 0; i < 200 && barge.actor.model.machine.value !== 'Speaking'; i++)
    await barge.silence(20);
  await barge.advance(300);
  const beforeBarge = barge.steps.length;
  await barge.speak(600);
  const issued = barge.steps.findIndex(
    (r, i) => i >= beforeBarge && r.commands.some((c) => c.type === 'flush_output'),
  );
  const bargeSteps = barge.steps.slice(0, issued + 2);
  const bargeUs =
    replayCostUs(barge, bargeSteps, 300) -
    replayCostUs(barge, barge.steps.slice(0, beforeBarge), 300);
  console.log(
    `reducer time per voice turn (${turn.steps.length - baseline.steps.length} inputs): ${turnUs.toFixed(0)} µs`,
  );
  console.log(
    `reducer time per barge-in (speech start → flush, ${bargeSteps.length - beforeBarge} inputs): ${bargeUs.toFixed(0)} µs`,
  );
}

async function sessionCpu(seconds: number): Promise<number> {
  const s = await createScenario({ providerOptions: { agent: { token_delay_ms: 20 } } });
  const tone = generateTone({
    sampleRate: 16000,
    frequencyHz: 300,
    durationMs: 20,
    amplitude: 0.3,
  }).samples;
  const quiet = new Int16Array(320);
  const frames = (seconds * 1000) / 20;
  const start = cpuMs();
  for (let f = 0; f < frames; f++) {
    // A caller who speaks 1 s then listens 4 s, over and over.
    s.actor.pushAudio(f % 250 < 50 ? tone : quiet);
    s.clock.advance(20);
    await new Promise<void>((r) => setImmediate(r));
  }
  const used = cpuMs() - start;
  const turns = s.events.filter((e) => e.type === 'prx.voice.turn.completed').length;
  console.log(
    `session actor, mock providers + energy VAD: ${(used / seconds).toFixed(2)} ms CPU per session-second (${seconds} s of audio, ${turns} turns, ${s.events.length} events) → ~${Math.floor(1000 / (used / seconds))} sessions per core`,
  );
  return used / seconds;
}

async function sileroCpu(seconds: number): Promise<number> {
  const vad = createSileroVad();
  const stream = vad.open(
    { sampleRate: 16000, threshold: 0.5, minSpeechMs: 250, minSilenceMs: 500, minVolume: 0 },
    () => undefined,
  );
  const tone = generateTone({
    sampleRate: 16000,
    frequencyHz: 300,
    durationMs: 20,
    amplitude: 0.3,
  }).samples;
  // Warm up: the model loads once per process.
  for (let f = 0; f < 50; f++) stream.push(tone);
  await stream.idle();
  const frames = (seconds * 1000) / 20;
  const start = cpuMs();
  const wall = performance.now();
  let inference = 0;
  let windows = 0;
  for (let f = 0; f < frames; f++) {
    stream.push(tone);
    if (f % 16 === 15) {
      await stream.idle();
      inference += stream.lastInferenceMs;
      windows += 1;
    }
  }
  await stream.idle();
  const used = cpuMs() - start;
  stream.close();
  console.log(
    `silero VAD: ${(used / seconds).toFixed(2)} ms CPU per session-second (worker thread included); inference ${(inference / windows).toFixed(3)} ms per 32 ms window (sampled), wall ${(performance.now() - wall).toFixed(0)} ms for ${seconds} s of audio`,
  );
  return used / seconds;
}

/** µs per reducer step with a conversation of `messages` messages of ~200 characters. */
function stepCostUs(settings: Scenario['settings'], messages: number, steps: number): number {
  const s = initialModel({ sessionId: 'sess_bench', tenantId: 'ten_bench', settings });
  const text =
    'a sentence of about two hundred characters, repeated to make a realistic message. '.repeat(2);
  const m = {
    ...s,
    conversation: Array.from({ length: messages }, (_, i) => ({
      role: i % 2 === 0 ? ('user' as const) : ('assistant' as const),
      content: text,
    })),
  };
  const start = performance.now();
  for (let i = 0; i < steps; i++)
    step(m, { type: 'timer', name: 'endpoint', token: -1 }, { now: i, newId: () => 'x' });
  return ((performance.now() - start) * 1000) / steps;
}

/**
 * The step's working copy of the models of a whole recorded session (two turns), µs per
 * copy: by walking the plain data (what `step` does) and, side by side, by
 * `structuredClone` (what it did).
 */
async function workingCopyCost(): Promise<void> {
  const s = await createScenario();
  await s.speak(600);
  await s.silence(3000);
  await s.speak(400);
  await s.silence(3000);
  const models: SessionModel[] = [];
  let m = initialModel({ sessionId: s.sessionId, tenantId: s.tenantId, settings: s.settings });
  for (const rec of s.steps) {
    let i = 0;
    m = step(m, rec.input, { now: rec.at, newId: () => rec.ids[i++] ?? 'x' }).model;
    models.push(m);
  }
  const time = (copy: (model: SessionModel) => unknown): number => {
    const rounds = 200;
    const start = performance.now();
    for (let r = 0; r < rounds; r++) for (const model of models) copy(model);
    return ((performance.now() - start) * 1000) / (rounds * models.length);
  };
  const byClone = (model: SessionModel): unknown => {
    const { conversation, settings, ...rest } = model;
    return { ...structuredClone(rest), settings, conversation: conversation.slice() };
  };
  time(workingCopy);
  time(byClone);
  console.log(
    `working copy per step (${String(models.length)} models of a two-turn session): ${time(workingCopy).toFixed(2)} µs by walking the data, ${time(byClone).toFixed(2)} µs by structuredClone`,
  );
}

await reducerCost();
await workingCopyCost();
const settings = (await createScenario()).settings;
console.log(
  `reducer step cost by conversation length: ${[0, 100, 400, 1000]
    .map((n) => `${String(n)} messages ${stepCostUs(settings, n, 20_000).toFixed(2)} µs`)
    .join(', ')}`,
);
const mock = await sessionCpu(60);
const silero = await sileroCpu(30);
console.log(
  `session with Silero VAD instead of energy VAD: ~${(mock + silero).toFixed(2)} ms CPU per session-second (sum of the two figures above)`,
);
process.exit(0);
