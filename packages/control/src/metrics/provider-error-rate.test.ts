import { describe, expect, it } from 'vitest';
import { buildEvent } from '@prx-voice/event';
import type { AnyVoiceEvent, EventType } from '@prx-voice/event';
import { SAMPLE_EVENT_DATA } from '@prx-voice/event/testing';
import { createSequentialIdGenerator } from '@prx-voice/types';
import { createProviderErrorRate } from './provider-error-rate.js';

const ids = createSequentialIdGenerator();
const tenantId = ids.next('tenant');
const sessionId = ids.next('session');
let seq = 0;
const event = (type: EventType): AnyVoiceEvent =>
  buildEvent({
    type,
    data: SAMPLE_EVENT_DATA[type],
    id: ids.next('event'),
    time: Date.UTC(2026, 11, 6),
    instanceId: 'i',
    tenantId,
    sessionId,
    seq: ++seq,
  }) as AnyVoiceEvent;

describe('the provider error rate', () => {
  it('is failures over requests since the last look, and nothing from too few requests', () => {
    const rate = createProviderErrorRate(10);
    for (let i = 0; i < 4; i++) rate.observe(event('prx.voice.agent.thinking_started'));
    rate.observe(event('prx.voice.agent.error'));
    expect(rate.take()).toBeUndefined(); // 4 requests: too few to tell
    for (let i = 0; i < 6; i++) rate.observe(event('prx.voice.tts.segment_queued'));
    for (let i = 0; i < 6; i++) rate.observe(event('prx.voice.asr.transcript_final'));
    rate.observe(event('prx.voice.tts.error'));
    rate.observe(event('prx.voice.asr.error'));
    rate.observe(event('prx.voice.turn.completed'));
    expect(rate.take()).toBeCloseTo(2 / 12, 10);
    expect(rate.take()).toBeUndefined(); // started over
    // A provider that only fails: every request an error.
    for (let i = 0; i < 12; i++) rate.observe(event('prx.voice.asr.error'));
    expect(rate.take()).toBe(1);
  });
});
