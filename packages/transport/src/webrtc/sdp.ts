/**
 * The checks an SDP offer passes before a peer is made for it, so that a bad one is
 * refused with its reason (HTTP 400) instead of failing somewhere inside the stack.
 */
import { VoiceError } from '@prx-voice/types';

/** Longest offer accepted, characters (a browser's is a few kB). */
export const MAX_SDP_LENGTH = 65_536;

/** What an acceptable offer holds. */
export interface OfferSummary {
  /** Media sections, in order (`audio`, `video`, `application`). */
  readonly media: readonly string[];
  /** Whether the offer opens a data channel (`m=application … webrtc-datachannel`). */
  readonly dataChannel: boolean;
}

function refuse(reason: string, message: string): never {
  throw new VoiceError('VALIDATION_FAILED', {
    message: `The SDP offer cannot be answered: ${message}`,
    details: { reason },
  });
}

/**
 * Checks an offer: SDP version line, an audio section offering Opus, ICE credentials and
 * a DTLS fingerprint (WebRTC media is always DTLS-SRTP).
 *
 * @throws VoiceError `VALIDATION_FAILED` with `details.reason` naming what is wrong.
 */
export function parseOffer(sdp: string): OfferSummary {
  if (sdp.length > MAX_SDP_LENGTH)
    refuse('too_long', `it is longer than ${String(MAX_SDP_LENGTH)} characters.`);
  const lines = sdp.split(/\r?\n/).filter((l) => l !== '');
  if (lines[0] !== 'v=0') refuse('not_sdp', 'it does not start with "v=0".');
  const media: string[] = [];
  let audioOpus = false;
  let inAudio = false;
  let ufrag = false;
  let fingerprint = false;
  for (const line of lines) {
    if (!/^[a-z]=/.test(line))
      refuse('not_sdp', `line "${line.slice(0, 40)}" is not "<type>=<value>".`);
    if (line.startsWith('m=')) {
      const kind = line.slice(2).split(' ')[0] ?? '';
      media.push(kind);
      inAudio = kind === 'audio';
    } else if (inAudio && /^a=rtpmap:\d+ opus\/48000/i.test(line)) {
      audioOpus = true;
    } else if (line.startsWith('a=ice-ufrag:')) {
      ufrag = true;
    } else if (line.startsWith('a=fingerprint:')) {
      fingerprint = true;
    }
  }
  if (!media.includes('audio')) refuse('no_audio', 'it has no audio section (m=audio).');
  if (!audioOpus) refuse('no_opus', 'its audio section does not offer Opus (opus/48000).');
  if (!ufrag) refuse('no_ice', 'it has no ICE credentials (a=ice-ufrag).');
  if (!fingerprint) refuse('no_dtls', 'it has no DTLS fingerprint (a=fingerprint).');
  return {
    media,
    dataChannel: lines.some(
      (l) => l.startsWith('m=application') && l.includes('webrtc-datachannel'),
    ),
  };
}
