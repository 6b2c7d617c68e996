import { VoiceError } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from './config-issue.js';
import { parseConfig } from './parse-config.js';
import { redactValue } from './redact.js';

const runtime = { hostname: 'voice-7f9c', pid: 4242 };

/** The issues `parseConfig` reports for `input`, as `path: message`. */
function problems(input: unknown): string[] {
  try {
    parseConfig(input, { runtime });
  } catch (err) {
    if (!(err instanceof VoiceError)) throw err;
    const issues = err.details['issues'] as ConfigIssue[];
    return issues.map((i) => `${i.key}: ${i.expected}`);
  }
  return [];
}

describe('server.webrtc.ice_servers', () => {
  it('defaults to none: host candidates only', () => {
    expect(parseConfig({}, { runtime }).server.webrtc.ice_servers).toEqual([]);
  });

  it('takes STUN servers, and TURN servers with their username and credential', () => {
    const servers = [
      { urls: 'stun:stun.example.com:3478' },
      { urls: 'turns:turn.example.com:5349', username: 'prx', credential: 's3cret' },
    ];
    expect(
      parseConfig({ server: { webrtc: { ice_servers: servers } } }, { runtime }).server.webrtc
        .ice_servers,
    ).toEqual(servers);
  });

  it('refuses a URL of another scheme, and a TURN server without its credential', () => {
    expect(
      problems({ server: { webrtc: { ice_servers: [{ urls: 'https://stun.example.com' }] } } }),
    ).toEqual([
      expect.stringMatching(
        /^server\.webrtc\.ice_servers\[0\]\.urls: expected a stun:, stuns:, turn: or turns: URL/,
      ),
    ]);
    expect(
      problems({
        server: { webrtc: { ice_servers: [{ urls: 'turn:turn.example.com', username: 'prx' }] } },
      }),
    ).toEqual([
      'server.webrtc.ice_servers[0].credential: a TURN server needs username and credential',
    ]);
  });

  it('masks a credential when configuration is shown', () => {
    expect(
      redactValue({ urls: 'turn:t.example.com', username: 'prx', credential: 's3cret' }),
    ).toEqual({
      urls: 'turn:t.example.com',
      username: 'prx',
      credential: '***',
    });
    // Names that merely contain the word stay visible.
    expect(redactValue({ per_credential: { burst: 40 } })).toEqual({
      per_credential: { burst: 40 },
    });
  });
});
