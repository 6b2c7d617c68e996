import { describe, expect, it } from 'vitest';
import { turnStages } from './waterfall.js';

describe('a turn waterfall', () => {
  it('takes the server breakdown in order and adds what was heard', () => {
    const stages = turnStages(
      { asr_ms: 180, agent_first_token_ms: 240, tts_first_audio_ms: 90, first_audio_sent_ms: 5 },
      42,
    );
    expect(stages).toEqual([
      { name: 'transcript', ms: 180 },
      { name: 'first token', ms: 240 },
      { name: 'first audio', ms: 90 },
      { name: 'sent', ms: 5 },
      { name: 'heard', ms: 42 },
    ]);
  });

  it('leaves a stage blank when it was not measured', () => {
    const stages = turnStages({ asr_ms: null, agent_first_token_ms: 'x' }, null);
    expect(stages.every((s) => s.ms === null)).toBe(true);
  });
});
