import { SESSION_STATES } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import { isTerminal, resumeTargetOf } from './state-groups.js';
import { isTriggerType, TRIGGER_TYPES } from './triggers.js';

describe('state groups', () => {
  it('calls exactly Closed and Failed terminal', () => {
    expect(SESSION_STATES.filter((s) => isTerminal(s))).toEqual(['Closed', 'Failed']);
  });

  it('resumes Thinking and Speaking as they were, everything else to Listening', () => {
    expect(resumeTargetOf('Thinking')).toBe('Thinking');
    expect(resumeTargetOf('Speaking')).toBe('Speaking');
    for (const s of ['Listening', 'UserSpeaking', 'AsrProcessing', 'Interrupted', null] as const) {
      expect(resumeTargetOf(s)).toBe('Listening');
    }
  });
});

describe('trigger types', () => {
  it('are unique and recognised', () => {
    expect(new Set(TRIGGER_TYPES).size).toBe(TRIGGER_TYPES.length);
    expect(TRIGGER_TYPES.every((t) => isTriggerType(t))).toBe(true);
    expect(isTriggerType('Listening')).toBe(false);
    expect(isTriggerType(undefined)).toBe(false);
  });
});
