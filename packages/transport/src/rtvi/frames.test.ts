import { describe, expect, it } from 'vitest';
import { decodePipecatFrame, encodeAudioFrame, encodeMessageFrame } from './frames.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// Written by @pipecat-ai/websocket-transport 1.7.1's ProtobufFrameSerializer (protobuf-ts):
// serializeAudio(Int16Array [1, -2, 300, -32768], 16000, 1) and serializeMessage of a client-ready.
const CLIENT_AUDIO = '12161205617564696f1a080100feff2c01008020807d2801';
const CLIENT_READY_JSON =
  '{"label":"rtvi-ai","type":"client-ready","data":{"version":"2.1.0","about":{"library":"x"}},"id":"abcd1234"}';
const CLIENT_READY = `226e0a6c${Buffer.from(CLIENT_READY_JSON).toString('hex')}`;

describe('pipecat frames', () => {
  it('decodes the audio frame the published client writes', () => {
    const frame = decodePipecatFrame(hex(CLIENT_AUDIO));
    expect(frame.kind).toBe('audio');
    if (frame.kind !== 'audio') return;
    expect(frame.sampleRate).toBe(16000);
    expect(frame.numChannels).toBe(1);
    const samples = new Int16Array(frame.audio.slice().buffer);
    expect(Array.from(samples)).toEqual([1, -2, 300, -32768]);
  });

  it('decodes the message frame the published client writes', () => {
    expect(decodePipecatFrame(hex(CLIENT_READY))).toEqual({
      kind: 'message',
      data: CLIENT_READY_JSON,
    });
  });

  it('encodes audio byte for byte as the published serializer does', () => {
    expect(toHex(encodeAudioFrame(new Int16Array([1, -2, 300, -32768]), 16000, 1))).toBe(
      CLIENT_AUDIO,
    );
  });

  it('encodes a message byte for byte as the published serializer does', () => {
    expect(toHex(encodeMessageFrame(CLIENT_READY_JSON))).toBe(CLIENT_READY);
  });

  it('round-trips large audio (multi-byte lengths) and non-ASCII text', () => {
    const samples = new Int16Array(4800).map((_, i) => (i * 37) % 30000);
    const frame = decodePipecatFrame(encodeAudioFrame(samples, 24000, 1));
    if (frame.kind !== 'audio') throw new Error('not audio');
    expect(frame.audio.byteLength).toBe(9600);
    expect(frame.sampleRate).toBe(24000);
    const json = JSON.stringify({ text: 'héllo ✓ 日本' });
    expect(decodePipecatFrame(encodeMessageFrame(json))).toEqual({ kind: 'message', data: json });
  });

  it('decodes text, transcription and interruption frames and skips unknown fields', () => {
    // Frame{text: TextFrame{id: 7, name: "t", text: "hi"}} + an unknown varint field 9 at top level.
    expect(decodePipecatFrame(hex('0a090807120174 1a026869 4801'.replace(/ /g, '')))).toEqual({
      kind: 'text',
      text: 'hi',
    });
    // Frame{transcription{text: "yo", user_id: "u", timestamp: "t"}}
    expect(decodePipecatFrame(hex('1a0a1a02796f2201752a0174'))).toEqual({
      kind: 'transcription',
      text: 'yo',
      userId: 'u',
      timestamp: 't',
    });
    // Frame{interruption{id: 1}} (Pipecat's server-side field 5)
    expect(decodePipecatFrame(hex('2a020801'))).toEqual({ kind: 'interruption' });
    // a fixed64 and a fixed32 unknown field inside an audio frame are skipped
    const frame = decodePipecatFrame(hex('1211' + '390102030405060708' + '3d01020304' + '20807d'));
    expect(frame).toMatchObject({ kind: 'audio', sampleRate: 16000 });
  });

  it.each([
    ['empty', ''],
    ['truncated length', '1216'],
    ['length past the end', '12ff01'],
    ['wrong wire type for a frame kind', '1001'],
    ['field number 0', '0001'],
    ['unsupported wire type', '0f'],
    ['varint never ends', '08ffffffffffffffffffff'],
    ['invalid UTF-8 string', '22030a01ff'],
    ['only unknown fields', '4801'],
  ])('refuses a malformed frame (%s) with INVALID_FRAME', (_, bytes) => {
    expect(() => decodePipecatFrame(hex(bytes))).toThrow(
      expect.objectContaining({ code: 'INVALID_FRAME' }),
    );
  });
});
