import { describe, expect, it } from 'vitest';
import {
  CHANNELS,
  DIRECTIONS,
  SESSION_STATES,
  SEVERITIES,
  TERMINAL_SESSION_STATES,
  compareSeverity,
  isChannel,
  isDirection,
  isSessionState,
  isSeverity,
  isTerminalState,
} from './enums.js';

describe('enums', () => {
  it('has the twelve FSM states, two of them terminal', () => {
    expect(SESSION_STATES).toHaveLength(12);
    expect(new Set(SESSION_STATES).size).toBe(12);
    expect(SESSION_STATES.filter(isTerminalState)).toEqual([...TERMINAL_SESSION_STATES]);
  });

  it('guards membership', () => {
    expect(isSessionState('Speaking')).toBe(true);
    expect(isSessionState('speaking')).toBe(false);
    expect(isChannel('twilio')).toBe(true);
    expect(isChannel('fax')).toBe(false);
    expect(isDirection('inbound')).toBe(true);
    expect(isDirection('sideways')).toBe(false);
    expect(isSeverity('critical')).toBe(true);
    expect(isSeverity('fatal')).toBe(false);
    expect(CHANNELS.length).toBeGreaterThan(3);
    expect(DIRECTIONS).toEqual(['inbound', 'outbound']);
  });

  it('uses the CloudEvents extension severities in increasing order', () => {
    expect(SEVERITIES).toEqual(['debug', 'info', 'warn', 'error', 'critical']);
    expect(compareSeverity('warn', 'error')).toBeLessThan(0);
    expect(compareSeverity('critical', 'info')).toBeGreaterThan(0);
    expect(compareSeverity('info', 'info')).toBe(0);
  });
});
