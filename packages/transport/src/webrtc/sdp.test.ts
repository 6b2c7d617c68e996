import { describe, expect, it } from 'vitest';
import { VoiceError } from '@prx-voice/types';
import { parseOffer } from './sdp.js';

const OFFER = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=ice-ufrag:abcd',
  'a=ice-pwd:0123456789abcdefghijkl',
  'a=fingerprint:sha-256 00:11',
  'a=rtpmap:111 opus/48000/2',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  '',
].join('\r\n');

const reasonOf = (sdp: string): unknown => {
  try {
    parseOffer(sdp);
  } catch (err) {
    expect(err).toBeInstanceOf(VoiceError);
    return (err as VoiceError).details;
  }
  return undefined;
};

describe('parseOffer', () => {
  it('accepts an offer with Opus audio, ICE and DTLS, and sees its data channel', () => {
    expect(parseOffer(OFFER)).toEqual({ media: ['audio', 'application'], dataChannel: true });
  });

  it('refuses what cannot be answered, naming the reason', () => {
    expect(reasonOf('hello')).toEqual({ reason: 'not_sdp' });
    expect(reasonOf(OFFER.replace('s=-', 'nonsense'))).toEqual({ reason: 'not_sdp' });
    expect(reasonOf(OFFER.replace(/m=audio[^\r]*/, 'm=video 9 UDP/TLS/RTP/SAVPF 96'))).toEqual({
      reason: 'no_audio',
    });
    expect(reasonOf(OFFER.replace('opus/48000/2', 'PCMU/8000'))).toEqual({ reason: 'no_opus' });
    expect(reasonOf(OFFER.replace(/a=ice-ufrag:[^\r]*\r\n/, ''))).toEqual({ reason: 'no_ice' });
    expect(reasonOf(OFFER.replace(/a=fingerprint:[^\r]*\r\n/, ''))).toEqual({ reason: 'no_dtls' });
    expect(reasonOf(`v=0\r\n${'a=x:y\r\n'.repeat(20_000)}`)).toEqual({ reason: 'too_long' });
  });
});
