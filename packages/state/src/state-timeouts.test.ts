import { defaultConfig } from '@prx-voice/core';
import { SESSION_STATES } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import { timeoutFor } from './state-timeouts.js';

const defaults = defaultConfig().session.timeouts;

describe('timeoutFor', () => {
  it('gives every live state its timeout from the config defaults, and terminal states none', () => {
    const table = Object.fromEntries(
      SESSION_STATES.map((state) => [state, timeoutFor(state, defaults)]),
    );
    expect(table).toEqual({
      Idle: { state: 'Idle', key: 'idle_s', ms: 60_000 },
      Connecting: { state: 'Connecting', key: 'connecting_s', ms: 10_000 },
      Listening: { state: 'Listening', key: 'listening_s', ms: 30_000 },
      UserSpeaking: { state: 'UserSpeaking', key: 'max_utterance_s', ms: 60_000 },
      AsrProcessing: { state: 'AsrProcessing', key: 'asr_s', ms: 10_000 },
      Thinking: { state: 'Thinking', key: 'thinking_s', ms: 30_000 },
      Speaking: { state: 'Speaking', key: 'speaking_s', ms: 300_000 },
      Interrupted: { state: 'Interrupted', key: 'interrupted_s', ms: 5_000 },
      Paused: { state: 'Paused', key: 'paused_s', ms: 300_000 },
      HandoffPending: { state: 'HandoffPending', key: 'handoff_s', ms: 120_000 },
      Closed: undefined,
      Failed: undefined,
    });
  });

  it('follows the configured values, fractions of a second rounded to whole milliseconds', () => {
    const timeouts = { ...defaults, listening_s: 12.3456, interrupted_s: 1.5 };
    expect(timeoutFor('Listening', timeouts)?.ms).toBe(12_346);
    expect(timeoutFor('Interrupted', timeouts)?.ms).toBe(1_500);
    expect(timeoutFor('Thinking', timeouts)?.ms).toBe(30_000);
  });
});
