import { describe, expect, it } from 'vitest';
import { assertGapFree } from '@prx-voice/event/testing';
import { createScenario } from './testing/scenario.js';

describe('scenario: a normal voice turn', () => {
  it('goes speech → transcript → agent tokens → audio at real time → turn completed', async () => {
    const s = await createScenario();
    expect(s.actor.model.machine.value).toBe('Listening');
    await s.speak(600);
    await s.silence(3000);
    const types = s.types();
    expect(types).toContain('prx.voice.asr.transcript_final');
    expect(s.events.find((e) => e.type === 'prx.voice.asr.transcript_final')?.data).toMatchObject({ text: 'hello' });
    expect(types.filter((t) => t === 'prx.voice.agent.token_stream')).toHaveLength(3);
    expect(types).toContain('prx.voice.turn.completed');
    expect(s.states()).toEqual(['Connecting', 'Listening', 'UserSpeaking', 'AsrProcessing', 'Thinking', 'Speaking', 'Listening']);
    // Mock TTS: 50 ms per character of "You said: hello" (15 characters) at 24 kHz.
    expect(s.output.samples).toBe(15 * 50 * 24);
    expect(s.actor.model.conversation).toEqual([
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'You said: hello' },
    ]);
    assertGapFree(s.events);
  });
});
