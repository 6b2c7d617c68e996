/**
 * The protobuf frames of `@pipecat-ai/websocket-transport` (package `pipecat`,
 * proto3, its `frames.proto`), decoded and encoded by hand — four small messages
 * do not need a protobuf runtime:
 *
 * ```proto
 * TextFrame          { uint64 id = 1; string name = 2; string text = 3; }
 * AudioRawFrame      { uint64 id = 1; string name = 2; bytes audio = 3; uint32 sample_rate = 4;
 *                      uint32 num_channels = 5; optional uint64 pts = 6; }
 * TranscriptionFrame { uint64 id = 1; string name = 2; string text = 3; string user_id = 4;
 *                      string timestamp = 5; }
 * MessageFrame       { string data = 1; }
 * Frame { oneof frame { TextFrame text = 1; AudioRawFrame audio = 2;
 *                       TranscriptionFrame transcription = 3; MessageFrame message = 4; } }
 * ```
 *
 * Pipecat's server copy adds `InterruptionFrame interruption = 5` (fields `id`, `name`);
 * it is decoded, never sent (the JS client rejects the kind). Unknown fields are skipped,
 * as protobuf requires.
 */
import { VoiceError } from '@prx-voice/types';

/** A decoded `pipecat.Frame`. `audio` is a view of the received bytes (copy to keep). */
export type PipecatFrame =
  | { readonly kind: 'text'; readonly text: string }
  | {
      readonly kind: 'audio';
      /** PCM16 little-endian, interleaved when `numChannels` > 1. */
      readonly audio: Uint8Array;
      readonly sampleRate: number;
      readonly numChannels: number;
    }
  | {
      readonly kind: 'transcription';
      readonly text: string;
      readonly userId: string;
      readonly timestamp: string;
    }
  | { readonly kind: 'message'; readonly data: string }
  | { readonly kind: 'interruption' };

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

function malformed(message: string): VoiceError {
  return new VoiceError('INVALID_FRAME', {
    message: `Malformed pipecat frame: ${message}`,
    details: { reason: 'protobuf' },
  });
}

/** A cursor over one protobuf message's bytes. */
class Reader {
  pos: number;
  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint as a number (exact up to 2^53; larger values only matter for ids we ignore). */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw malformed('truncated varint');
      const byte = this.bytes[this.pos++] as number;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
    throw malformed('varint longer than 10 bytes');
  }

  /** A length-delimited field's bounds. */
  span(): { start: number; end: number } {
    const length = this.varint();
    const start = this.pos;
    if (length > this.end - start) throw malformed('length past the end of the frame');
    this.pos = start + length;
    return { start, end: this.pos };
  }

  bytesField(): Uint8Array {
    const { start, end } = this.span();
    return this.bytes.subarray(start, end);
  }

  string(): string {
    try {
      return utf8Decoder.decode(this.bytesField());
    } catch {
      throw malformed('string field is not valid UTF-8');
    }
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_I64:
        this.advance(8);
        return;
      case WIRE_LEN:
        this.span();
        return;
      case WIRE_I32:
        this.advance(4);
        return;
      default:
        throw malformed(`unsupported wire type ${String(wireType)}`);
    }
  }

  private advance(n: number): void {
    if (this.end - this.pos < n) throw malformed('truncated fixed-width field');
    this.pos += n;
  }

  /** The next tag: field number and wire type. */
  tag(): { field: number; wireType: number } {
    const tag = this.varint();
    const field = Math.floor(tag / 8);
    if (field === 0) throw malformed('field number 0');
    return { field, wireType: tag % 8 };
  }

  sub(): Reader {
    const { start, end } = this.span();
    return new Reader(this.bytes, start, end);
  }
}

function expectWire(actual: number, expected: number, what: string): void {
  if (actual !== expected) throw malformed(`${what} has wire type ${String(actual)}`);
}

function readAudio(r: Reader): PipecatFrame {
  let audio: Uint8Array = new Uint8Array(0);
  let sampleRate = 0;
  let numChannels = 0;
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field === 3) {
      expectWire(wireType, WIRE_LEN, 'AudioRawFrame.audio');
      audio = r.bytesField();
    } else if (field === 4) {
      expectWire(wireType, WIRE_VARINT, 'AudioRawFrame.sample_rate');
      sampleRate = r.varint();
    } else if (field === 5) {
      expectWire(wireType, WIRE_VARINT, 'AudioRawFrame.num_channels');
      numChannels = r.varint();
    } else r.skip(wireType);
  }
  return { kind: 'audio', audio, sampleRate, numChannels };
}

/** The string fields of a message by field number (the rest skipped). */
function readStrings(r: Reader, fields: readonly number[], what: string): Map<number, string> {
  const out = new Map<number, string>();
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (fields.includes(field)) {
      expectWire(wireType, WIRE_LEN, `${what} field ${String(field)}`);
      out.set(field, r.string());
    } else r.skip(wireType);
  }
  return out;
}

/**
 * Decodes one binary WebSocket message as a `pipecat.Frame`. Throws `INVALID_FRAME`
 * naming what is wrong (truncated, bad wire type, no known frame kind).
 */
export function decodePipecatFrame(bytes: Uint8Array): PipecatFrame {
  const r = new Reader(bytes, 0, bytes.length);
  let frame: PipecatFrame | undefined;
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field >= 1 && field <= 5) {
      expectWire(wireType, WIRE_LEN, `Frame field ${String(field)}`);
      const sub = r.sub();
      switch (field) {
        case 1:
          frame = { kind: 'text', text: readStrings(sub, [3], 'TextFrame').get(3) ?? '' };
          break;
        case 2:
          frame = readAudio(sub);
          break;
        case 3: {
          const s = readStrings(sub, [3, 4, 5], 'TranscriptionFrame');
          frame = {
            kind: 'transcription',
            text: s.get(3) ?? '',
            userId: s.get(4) ?? '',
            timestamp: s.get(5) ?? '',
          };
          break;
        }
        case 4:
          frame = { kind: 'message', data: readStrings(sub, [1], 'MessageFrame').get(1) ?? '' };
          break;
        default:
          readStrings(sub, [], 'InterruptionFrame');
          frame = { kind: 'interruption' };
      }
    } else r.skip(wireType);
  }
  if (frame === undefined) throw malformed('no text, audio, transcription or message in it');
  return frame;
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

function writeVarint(out: Uint8Array, pos: number, value: number): number {
  while (value >= 128) {
    out[pos++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  out[pos++] = value;
  return pos;
}

const AUDIO_NAME = utf8Encoder.encode('audio');

/**
 * Encodes engine PCM16 as `Frame{audio: AudioRawFrame{name: "audio", audio, sample_rate,
 * num_channels}}` — the frame Pipecat's serializer writes. The samples are written
 * straight into the one array returned (the socket may keep it).
 */
export function encodeAudioFrame(
  samples: Int16Array,
  sampleRate: number,
  numChannels: number,
): Uint8Array {
  const audioBytes = samples.byteLength;
  const inner =
    1 +
    1 +
    AUDIO_NAME.length +
    1 +
    varintSize(audioBytes) +
    audioBytes +
    1 +
    varintSize(sampleRate) +
    1 +
    varintSize(numChannels);
  const out = new Uint8Array(1 + varintSize(inner) + inner);
  let pos = 0;
  out[pos++] = (2 << 3) | WIRE_LEN;
  pos = writeVarint(out, pos, inner);
  out[pos++] = (2 << 3) | WIRE_LEN;
  out[pos++] = AUDIO_NAME.length;
  out.set(AUDIO_NAME, pos);
  pos += AUDIO_NAME.length;
  out[pos++] = (3 << 3) | WIRE_LEN;
  pos = writeVarint(out, pos, audioBytes);
  out.set(new Uint8Array(samples.buffer, samples.byteOffset, audioBytes), pos);
  pos += audioBytes;
  out[pos++] = (4 << 3) | WIRE_VARINT;
  pos = writeVarint(out, pos, sampleRate);
  out[pos++] = (5 << 3) | WIRE_VARINT;
  writeVarint(out, pos, numChannels);
  return out;
}

/** Encodes `Frame{message: MessageFrame{data}}`: how RTVI JSON travels on this transport. */
export function encodeMessageFrame(data: string): Uint8Array {
  const text = utf8Encoder.encode(data);
  const inner = text.length === 0 ? 0 : 1 + varintSize(text.length) + text.length;
  const out = new Uint8Array(1 + varintSize(inner) + inner);
  let pos = 0;
  out[pos++] = (4 << 3) | WIRE_LEN;
  pos = writeVarint(out, pos, inner);
  if (text.length > 0) {
    out[pos++] = (1 << 3) | WIRE_LEN;
    pos = writeVarint(out, pos, text.length);
    out.set(text, pos);
  }
  return out;
}
