/** The TeXML that answers Telnyx's voice webhook by connecting the call to a media stream. */
import { VoiceError } from '@prx-voice/types';
import { escapeXml } from '../twilio/twiml.js';
import type { TelnyxCodec } from './media-stream.js';

/** Options of {@link texmlConnectStream}. */
export interface TexmlConnectStreamOptions {
  /** The media-stream WebSocket URL (`wss://`, or `ws://` for a local test). */
  readonly streamUrl: string;
  /** The codec both ways (`codec` and `bidirectionalCodec`), 8 kHz. */
  readonly codec: TelnyxCodec;
  /** `<Parameter>`s, echoed in the stream's `start.custom_parameters` (e.g. a session id and token). */
  readonly parameters?: Readonly<Record<string, string>>;
}

/**
 * Builds `<Response><Connect><Stream url="…" bidirectionalMode="rtp" …><Parameter …/>…` —
 * a bidirectional stream whose RTP payloads are `codec` at 8 kHz both ways. Every
 * attribute is XML-escaped. Throws `VALIDATION_FAILED` for a URL that is not `ws(s)://`.
 *
 * @example
 * return c.body(texmlConnectStream({ streamUrl: 'wss://voice.example.com/telephony/telnyx/stream', codec: 'PCMU', parameters: { session_id } }));
 */
export function texmlConnectStream(options: TexmlConnectStreamOptions): string {
  const { streamUrl, codec } = options;
  if (!/^wss?:\/\/[^\s/?#]+/i.test(streamUrl)) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `The stream URL ${JSON.stringify(streamUrl)} is invalid; Telnyx needs an absolute wss:// URL.`,
      details: { field: 'streamUrl', value: streamUrl },
    });
  }
  const parameters = Object.entries(options.parameters ?? {})
    .map(([name, value]) => `<Parameter name="${escapeXml(name)}" value="${escapeXml(value)}"/>`)
    .join('');
  const attributes = [
    `url="${escapeXml(streamUrl)}"`,
    'track="inbound_track"',
    `codec="${codec}"`,
    'bidirectionalMode="rtp"',
    `bidirectionalCodec="${codec}"`,
    'bidirectionalSamplingRate="8000"',
  ].join(' ');
  const stream =
    parameters === '' ? `<Stream ${attributes}/>` : `<Stream ${attributes}>${parameters}</Stream>`;
  return `<?xml version="1.0" encoding="UTF-8"?><Response><Connect>${stream}</Connect></Response>`;
}
