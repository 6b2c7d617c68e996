/** The TwiML that answers Twilio's voice webhook by connecting the call to a media stream. */
import { VoiceError } from '@prx-voice/types';

/** Options of {@link twimlConnectStream}. */
export interface TwimlConnectStreamOptions {
  /** The media-stream WebSocket URL; Twilio requires `wss://`. */
  readonly streamUrl: string;
  /** `<Parameter>`s, echoed in the stream's `start.customParameters` (e.g. a session id and token). */
  readonly parameters?: Readonly<Record<string, string>>;
}

const XML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Escapes text for an XML attribute value; refuses characters XML 1.0 cannot carry. */
export function escapeXml(text: string): string {
  // eslint-disable-next-line no-control-regex -- the point is to find control characters
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(text)) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: 'The text contains a control character XML cannot carry.',
      details: { field: 'twiml' },
    });
  }
  return text.replace(/[&<>"']/g, (char) => XML_ESCAPES[char] ?? char);
}

/**
 * Builds `<Response><Connect><Stream url="wss://…"><Parameter name="…" value="…"/>…`
 * — the bidirectional stream the telephony webhook answers with. Every attribute
 * is XML-escaped. Throws `VALIDATION_FAILED` for a URL that is not `wss://`.
 *
 * @example
 * c.header('content-type', 'text/xml');
 * return c.body(twimlConnectStream({ streamUrl: 'wss://voice.example.com/telephony/twilio/stream', parameters: { session_id } }));
 */
export function twimlConnectStream(options: TwimlConnectStreamOptions): string {
  const { streamUrl } = options;
  if (!/^wss:\/\/[^\s/?#]+/i.test(streamUrl)) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `The stream URL ${JSON.stringify(streamUrl)} is invalid; Twilio needs an absolute wss:// URL.`,
      details: { field: 'streamUrl', value: streamUrl },
    });
  }
  const parameters = Object.entries(options.parameters ?? {})
    .map(([name, value]) => `<Parameter name="${escapeXml(name)}" value="${escapeXml(value)}"/>`)
    .join('');
  const stream =
    parameters === ''
      ? `<Stream url="${escapeXml(streamUrl)}"/>`
      : `<Stream url="${escapeXml(streamUrl)}">${parameters}</Stream>`;
  return `<?xml version="1.0" encoding="UTF-8"?><Response><Connect>${stream}</Connect></Response>`;
}

/** Where `<Dial>` connects the call: a phone number or a SIP URI. */
export type TwimlDialTarget =
  | { readonly type: 'phone'; readonly number: string }
  | { readonly type: 'sip'; readonly uri: string };

/** Options of {@link twimlDial}. */
export interface TwimlDialOptions {
  readonly target: TwimlDialTarget;
  /** The number shown to the person called (`callerId`), E.164. */
  readonly callerId?: string;
  /** Seconds to ring before giving up (Twilio: 5–600; its default 30). */
  readonly timeoutS?: number;
}

/**
 * Builds `<Response><Dial><Number>…</Number></Dial></Response>` (or `<Sip>…</Sip>`) —
 * the TwiML that transfers a live call; every value is XML-escaped.
 *
 * @example
 * twimlDial({ target: { type: 'phone', number: '+14155550100' } });
 */
export function twimlDial(options: TwimlDialOptions): string {
  const { target } = options;
  const attributes = [
    ...(options.callerId === undefined ? [] : [`callerId="${escapeXml(options.callerId)}"`]),
    ...(options.timeoutS === undefined
      ? []
      : [`timeout="${String(Math.round(options.timeoutS))}"`]),
  ];
  const noun =
    target.type === 'phone'
      ? `<Number>${escapeXml(target.number)}</Number>`
      : `<Sip>${escapeXml(target.uri)}</Sip>`;
  const open = attributes.length === 0 ? '<Dial>' : `<Dial ${attributes.join(' ')}>`;
  return `<?xml version="1.0" encoding="UTF-8"?><Response>${open}${noun}</Dial></Response>`;
}
