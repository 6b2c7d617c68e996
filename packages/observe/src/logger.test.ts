import { describe, expect, it } from 'vitest';
import type { LoggingConfig } from '@prx-voice/core';
import { createLogger } from './logger.js';

function capture(config: Partial<LoggingConfig> = {}) {
  const lines: string[] = [];
  const logger = createLogger(
    { level: 'info', format: 'json', redaction: 'basic', ...config },
    { destination: { write: (line) => lines.push(line) }, base: { instance_id: 'node-1' } },
  );
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, records };
}

const KEY = 'pk_live_0123456789abcdef0123456789abcdef';

describe('createLogger', () => {
  it('writes one JSON object a line, at the configured level and above, with child context', () => {
    const { logger, records } = capture({ level: 'warn' });
    logger.info('not shown');
    const child = logger.child({ tenant_id: 'ten_1', session_id: 'sess_1' });
    child.warn({ attempt: 2 }, 'storing the turn failed');
    child.child({ turn_id: 'turn_1' }).error('gave up');
    expect(records()).toMatchObject([
      {
        level: 'warn',
        instance_id: 'node-1',
        tenant_id: 'ten_1',
        session_id: 'sess_1',
        attempt: 2,
        msg: 'storing the turn failed',
      },
      { level: 'error', session_id: 'sess_1', turn_id: 'turn_1', msg: 'gave up' },
    ]);
    expect(typeof records()[0]?.['time']).toBe('string');
  });

  it('at basic, never writes a credential or a phone number said in a turn', () => {
    const { logger, lines } = capture();
    logger.warn(
      { api_key: KEY, authorization: `Bearer ${KEY}`, text: 'call me on +1 415 555 2671' },
      `turn said "my number is +1 415 555 2671", key ${KEY}`,
    );
    const out = lines.join('');
    expect(out).not.toContain(KEY);
    expect(out).not.toContain('555 2671');
    expect(out).toContain('call me on');
  });

  it('at strict, drops what callers and agents said; at none, keeps everything', () => {
    const strict = capture({ redaction: 'strict' });
    strict.logger.info({ user_text: 'I want a refund', turn: 3 }, 'turn completed');
    expect(strict.records()[0]).toMatchObject({ user_text: '[REDACTED]', turn: 3 });
    const none = capture({ redaction: 'none' });
    none.logger.info({ user_text: 'call +1 415 555 2671' }, 'raw');
    expect(none.records()[0]).toMatchObject({ user_text: 'call +1 415 555 2671' });
  });

  it('writes readable lines in pretty format, and nothing when silent', () => {
    const pretty = capture({ format: 'pretty' });
    pretty.logger.warn({ session_id: 'sess_1' }, 'fenced');
    expect(pretty.lines[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}fenced instance_id=node-1 session_id=sess_1\n$/,
    );
    const silent = capture({ level: 'silent' });
    silent.logger.fatal('nothing');
    expect(silent.lines).toEqual([]);
  });

  it('logs an error object with its message and stack, redacted', () => {
    const { logger, records } = capture();
    logger.error({ err: new Error(`connect failed for ${KEY}`) }, 'storage');
    const err = records()[0]?.['err'] as { message: string; stack: string };
    expect(err.message).not.toContain(KEY);
    expect(typeof err.stack).toBe('string');
  });
});
