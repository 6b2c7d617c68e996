import { describe, expect, it } from 'vitest';
import { assertGapFree } from '@prx-voice/event/testing';
import { createScenario } from './testing/scenario.js';
import type { Scenario } from './testing/scenario.js';

type Data = Record<string, unknown>;
const dataOf = (s: Scenario, type: string): Data[] =>
  s.events.filter((e) => e.type === type).map((e) => e.data as Data);

describe('media.audio_dropped', () => {
  it('counts the caller audio of a pause, reported once per window rather than per frame', async () => {
    const s = await createScenario();
    s.actor.dispatch({ type: 'pause' });
    await s.speak(600); // 30 frames of 20 ms while paused
    await s.silence(400); // 20 more
    expect(dataOf(s, 'prx.voice.media.audio_dropped')).toEqual([
      { direction: 'inbound', reason: 'paused', frames: 50, duration_ms: 1000 },
    ]);
    // None of it reached the VAD: no speech was detected while paused.
    expect(s.types()).not.toContain('prx.voice.media.vad_started');
    s.actor.dispatch({ type: 'resume' });
    await s.speak(600);
    await s.silence(3000);
    expect(s.types()).toContain('prx.voice.turn.completed');
    expect(dataOf(s, 'prx.voice.media.audio_dropped')).toHaveLength(1);
    assertGapFree(s.events);
  });

  it('reports drops the transport makes, by direction and reason, and what is pending before the end', async () => {
    const s = await createScenario();
    s.actor.audioDropped('inbound', 'invalid_audio', 160);
    s.actor.audioDropped('outbound', 'backpressure', 480);
    s.actor.audioDropped('outbound', 'backpressure', 480);
    await s.advance(1000);
    expect(dataOf(s, 'prx.voice.media.audio_dropped')).toEqual([
      { direction: 'inbound', reason: 'invalid_audio', frames: 1, duration_ms: 10 },
      { direction: 'outbound', reason: 'backpressure', frames: 2, duration_ms: 40 },
    ]);
    s.actor.audioDropped('outbound', 'backpressure', 480);
    s.actor.dispatch({ type: 'end' });
    await s.advance(10);
    const types = s.types();
    const dropped = types.lastIndexOf('prx.voice.media.audio_dropped');
    expect(dataOf(s, 'prx.voice.media.audio_dropped')).toHaveLength(3);
    expect(dropped).toBeLessThan(types.indexOf('prx.voice.session.closed'));
    assertGapFree(s.events);
  });
});

describe('governance.usage_recorded', () => {
  it('meters TTS characters per segment and agent tokens per run, each with a unique key', async () => {
    const s = await createScenario();
    s.actor.dispatch({ type: 'text_input', text: 'good morning. how are you?' });
    await s.advance(6000);
    const usage = dataOf(s, 'prx.voice.governance.usage_recorded');
    const tts = usage.filter((u) => u.meter === 'tts_characters');
    const segments = dataOf(s, 'prx.voice.tts.segment_queued');
    expect(segments.length).toBeGreaterThan(0);
    expect(tts.length).toBe(segments.length);
    expect(tts.reduce((n, u) => n + (u.quantity as number), 0)).toBe(
      segments.reduce((n, g) => n + (g.text as string).length, 0),
    );
    expect(tts.every((u) => u.unit === 'character' && u.provider === 'mock')).toBe(true);
    // And the audio synthesized for each segment: the mock TTS makes 50 ms a character.
    const audio = usage.filter((u) => u.meter === 'tts_audio_ms');
    expect(audio.map((u) => u.quantity)).toEqual(
      segments.map((g) => (g.text as string).length * 50),
    );
    expect(audio.every((u) => u.unit === 'ms' && u.provider === 'mock')).toBe(true);
    const keys = usage.map((u) => u.idempotency_key);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('governance.usage_recorded for ASR', () => {
  it('meters the audio the ASR reports for each utterance', async () => {
    const s = await createScenario();
    await s.speak(600);
    await s.silence(3000);
    const asr = dataOf(s, 'prx.voice.governance.usage_recorded').filter(
      (u) => u.meter === 'asr_audio_ms',
    );
    expect(asr).toHaveLength(1);
    expect(asr[0]).toMatchObject({ unit: 'ms', provider: 'mock' });
    // The utterance's audio: the pre-roll and 600 ms of speech, up to the endpoint.
    expect(asr[0]?.quantity as number).toBeGreaterThanOrEqual(600);
  });

  it('meters each utterance’s new audio once: the provider reports a running total', async () => {
    const s = await createScenario();
    for (let i = 0; i < 3; i++) {
      await s.speak(600);
      await s.silence(3000);
    }
    const asr = dataOf(s, 'prx.voice.governance.usage_recorded').filter(
      (u) => u.meter === 'asr_audio_ms',
    );
    expect(asr).toHaveLength(3);
    const total = asr.reduce((n, u) => n + (u.quantity as number), 0);
    // Never more than the 10.8 s of audio that was streamed (summing the running totals
    // billed about twice that); at least the three utterances.
    expect(total).toBeLessThanOrEqual(3 * 3600);
    expect(total).toBeGreaterThanOrEqual(3 * 600);
    expect(new Set(asr.map((u) => u.idempotency_key)).size).toBe(3);
  });
});
