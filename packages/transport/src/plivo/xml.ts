/** The Plivo XML that answers Plivo's answer webhook by connecting the call to an audio stream. */
import { VoiceError } from '@prx-voice/types';
import { escapeXml } from '../twilio/twiml.js';
import type { PlivoContentType } from './messages.js';

/** Options of {@link plivoXmlStream}. */
export interface PlivoXmlStreamOptions {
  /** The audio-stream WebSocket URL (`wss://`, or `ws://` for a local test), query included. */
  readonly streamUrl: string;
  /** The stream's audio format both ways. */
  readonly contentType: PlivoContentType;
  /** `extraHeaders` (`key=value` pairs), echoed in the stream's `start.extra_headers`. */
  readonly extraHeaders?: Readonly<Record<string, string>>;
}

/**
 * Builds `<Response><Stream bidirectional="true" keepCallAlive="true" contentType="…">url</Stream></Response>`
 * — a bidirectional stream of the inbound track that keeps the call up while it lasts.
 * Every value is XML-escaped. Throws `VALIDATION_FAILED` for a URL that is not `ws(s)://`
 * or an extra header with `=`, `;` or `,` in it.
 *
 * @example
 * return c.body(plivoXmlStream({ streamUrl: 'wss://voice.example.com/telephony/plivo/stream?token=…', contentType: 'audio/x-mulaw;rate=8000' }));
 */
export function plivoXmlStream(options: PlivoXmlStreamOptions): string {
  const { streamUrl, contentType } = options;
  if (!/^wss?:\/\/[^\s/?#]+/i.test(streamUrl)) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `The stream URL ${JSON.stringify(streamUrl)} is invalid; Plivo needs an absolute wss:// URL.`,
      details: { field: 'streamUrl', value: streamUrl },
    });
  }
  const headers = Object.entries(options.extraHeaders ?? {});
  for (const [name, value] of headers) {
    if (/[=;,]/.test(name) || /[;,]/.test(value)) {
      throw new VoiceError('VALIDATION_FAILED', {
        message: `The extra header ${JSON.stringify(name)} cannot carry "=", ";" or "," in Plivo's key=value;… list.`,
        details: { field: 'extraHeaders', name },
      });
    }
  }
  const attributes = [
    'bidirectional="true"',
    'keepCallAlive="true"',
    'audioTrack="inbound"',
    `contentType="${contentType}"`,
    ...(headers.length === 0
      ? []
      : [`extraHeaders="${escapeXml(headers.map(([n, v]) => `${n}=${v}`).join(','))}"`]),
  ].join(' ');
  return `<?xml version="1.0" encoding="UTF-8"?><Response><Stream ${attributes}>${escapeXml(streamUrl)}</Stream></Response>`;
}
