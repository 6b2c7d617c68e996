import { describe, expect, it } from 'vitest';
import { VoiceError } from '@prx-voice/types';
import { isTransientStorageError } from './support.js';

describe('isTransientStorageError', () => {
  it('retries what a restarting or unreachable database answers', () => {
    for (const err of [
      Object.assign(new Error('terminating connection due to administrator command'), {
        code: '57P01',
      }),
      Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
      Object.assign(new Error('connection failure'), { code: '08006' }),
      Object.assign(new Error('could not serialize access'), { code: '40001' }),
      Object.assign(new Error('too many connections'), { code: '53300' }),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      new Error('Connection terminated unexpectedly'),
      new VoiceError('STORAGE_UNAVAILABLE'),
      new VoiceError('TIMEOUT'),
    ])
      expect(isTransientStorageError(err), String(err)).toBe(true);
  });

  it('gives up on what no retry can cure', () => {
    for (const err of [
      Object.assign(new Error('duplicate key'), { code: '23505' }),
      Object.assign(new Error('invalid input syntax'), { code: '22P02' }),
      Object.assign(new Error('relation does not exist'), { code: '42P01' }),
      new VoiceError('CONFLICT'),
      new VoiceError('VALIDATION_FAILED'),
      new VoiceError('SESSION_NOT_FOUND'),
    ])
      expect(isTransientStorageError(err), String(err)).toBe(false);
  });
});
