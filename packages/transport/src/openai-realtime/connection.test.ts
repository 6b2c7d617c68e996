import { describe, expect, it } from 'vitest';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { createFakeSocket } from '../testing/fake-socket.js';
import { createRealtimeConnection } from './connection.js';
import type { RealtimeConnectionHandlers } from './connection.js';

type Sent = Record<string, unknown> & { type: string };

/** The fields of the session and response objects the tests read. */
interface SessionShape {
  instructions: string;
  tools: unknown[];
  audio: { input: { format: unknown; turn_detection: unknown }; output: unknown };
}
interface ResponseShape {
  status: string;
  output: { id: string; status: string; content: unknown[] }[];
}

function setup(o: { maxAppendBytes?: number } = {}) {
  const socket = createFakeSocket();
  const calls: string[] = [];
  const audio: number[] = [];
  const handlers: RealtimeConnectionHandlers = {
    onAudio: (s) => audio.push(s.length),
    onTextTurn: (t) => calls.push(`text:${t}`),
    onInterrupt: () => calls.push('interrupt'),
    onSettings: (c) => calls.push(`settings:${JSON.stringify(c)}`),
    onTools: (t) => calls.push(`tools:${t.map((x) => x.name).join(',')}`),
    onToolOutput: (id, out) => calls.push(`output:${id}:${out}`),
  };
  const counters = new Map<string, number>();
  const conn = createRealtimeConnection({
    socket,
    engine: { inputRate: 16000, outputRate: 24000 },
    session: {
      id: 'sess_1',
      model: 'gpt-realtime',
      turnDetection: { threshold: 0.5, silenceDurationMs: 350, prefixPaddingMs: 0 },
    },
    newId: (prefix) => {
      const n = (counters.get(prefix) ?? 0) + 1;
      counters.set(prefix, n);
      return `${prefix}_${String(n)}`;
    },
    maxAppendBytes: o.maxAppendBytes ?? 4800,
    handlers,
  });
  let seq = 0;
  const engine = (type: string, data: Record<string, unknown>, runId?: string): void =>
    conn.engineEvent({
      type,
      data,
      prxseq: ++seq,
      ...(runId === undefined ? {} : { prxrunid: runId }),
    } as unknown as AnyVoiceEvent);
  const sent = (): Sent[] => socket.json() as Sent[];
  const types = (): string[] => sent().map((e) => e.type);
  const send = (e: unknown): void => conn.receive(JSON.stringify(e));
  return { socket, conn, calls, audio, engine, sent, types, send };
}

const frame = new Int16Array(480).fill(1000);

describe('OpenAI Realtime connection', () => {
  it('reports the session and applies session.update: instructions, voice, tools, formats', () => {
    const t = setup();
    t.conn.start();
    t.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        instructions: 'Be brief.',
        tracing: 'auto',
        audio: {
          input: {
            format: { type: 'audio/pcmu' },
            turn_detection: { type: 'server_vad', threshold: 0.7 },
          },
          output: { format: 'g711_alaw', voice: 'marin' },
        },
        tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }],
      },
    });
    expect(t.types()).toEqual(['session.created', 'session.updated']);
    const session = t.sent()[1]?.['session'] as SessionShape;
    expect(session.instructions).toBe('Be brief.');
    expect(session.audio.input.format).toEqual({ type: 'audio/pcmu' });
    expect(session.audio.output).toMatchObject({
      format: { type: 'audio/pcma' },
      voice: 'marin',
    });
    // What is in force: the engine's VAD, whatever was asked.
    expect(session.audio.input.turn_detection).toMatchObject({
      type: 'server_vad',
      threshold: 0.5,
    });
    expect(session.tools).toHaveLength(1);
    expect(t.calls).toEqual([
      'tools:get_weather',
      'settings:{"instructions":"Be brief.","voice":"marin"}',
    ]);
    // µ-law 8 kHz in: 160 bytes (20 ms) become 320 samples at 16 kHz.
    t.send({
      type: 'input_audio_buffer.append',
      audio: Buffer.alloc(160, 0xff).toString('base64'),
    });
    expect(t.audio.reduce((a, b) => a + b, 0)).toBeGreaterThan(250);
    // A-law out: 20 ms at 24 kHz become about 160 bytes.
    t.engine('prx.voice.agent.thinking_started', { provider: 'mock', round: 0 }, 'run_1');
    t.conn.sendAudio(frame, 'run_1');
    t.conn.sendAudio(frame, 'run_1');
    const delta = t.sent().find((e) => e.type === 'response.output_audio.delta');
    expect(Buffer.from(String(delta?.['delta']), 'base64').byteLength).toBeGreaterThan(100);
  });

  it('maps a spoken turn: speech, commit, transcription, a response with audio and transcript', () => {
    const t = setup();
    t.engine('prx.voice.media.vad_started', { at_ms: 120 });
    t.engine('prx.voice.media.vad_ended', { at_ms: 900, speech_ms: 780 });
    t.engine('prx.voice.asr.transcript_partial', { text: 'hel', start_ms: 0, end_ms: 1 });
    t.engine('prx.voice.asr.transcript_partial', { text: 'hello', start_ms: 0, end_ms: 1 });
    t.engine('prx.voice.asr.transcript_final', { text: 'hello', start_ms: 0, end_ms: 1 });
    t.engine('prx.voice.agent.thinking_started', { provider: 'mock', round: 0 }, 'run_1');
    t.engine('prx.voice.agent.token_stream', { text: 'You ' }, 'run_1');
    t.engine('prx.voice.agent.token_stream', { text: 'said: hello' }, 'run_1');
    t.conn.sendAudio(frame, 'run_1');
    t.engine(
      'prx.voice.agent.response_complete',
      {
        text: 'You said: hello',
        finish_reason: 'stop',
        tool_rounds: 0,
        usage: { input_tokens: 3, output_tokens: 3 },
      },
      'run_1',
    );
    t.engine(
      'prx.voice.turn.completed',
      { interrupted: false, assistant_text: 'You said: hello' },
      'run_1',
    );
    expect(t.types()).toEqual([
      'input_audio_buffer.speech_started',
      'input_audio_buffer.speech_stopped',
      'input_audio_buffer.committed',
      'conversation.item.added',
      'conversation.item.input_audio_transcription.delta',
      'conversation.item.input_audio_transcription.delta',
      'conversation.item.input_audio_transcription.completed',
      'conversation.item.done',
      'response.created',
      'response.output_item.added',
      'conversation.item.added',
      'response.content_part.added',
      'response.output_audio_transcript.delta',
      'response.output_audio.delta',
      'response.output_audio.done',
      'response.output_audio_transcript.done',
      'response.content_part.done',
      'response.output_item.done',
      'conversation.item.done',
      'response.done',
      'rate_limits.updated',
    ]);
    const s = t.sent();
    const userItem = s[0]?.['item_id'];
    expect(s[2]).toMatchObject({ item_id: userItem, previous_item_id: null });
    expect(s[5]).toMatchObject({ delta: 'lo' });
    expect(s[6]).toMatchObject({ item_id: userItem, transcript: 'hello' });
    const done = s.find((e) => e.type === 'response.done')?.['response'] as ResponseShape;
    expect(done).toMatchObject({
      status: 'completed',
      usage: { input_tokens: 3, output_tokens: 3, total_tokens: 6 },
    });
    expect(done.output[0]).toMatchObject({
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_audio', transcript: 'You said: hello' }],
    });
    // Late audio of a finished run is dropped.
    t.socket.clearSent();
    t.conn.sendAudio(frame, 'run_1');
    expect(t.types()).toEqual([]);
  });

  it('takes the transcript from the turn when the token events were dropped (a degraded server)', () => {
    const t = setup();
    t.engine('prx.voice.agent.thinking_started', { provider: 'mock', round: 0 }, 'run_9');
    t.conn.sendAudio(frame, 'run_9');
    t.engine(
      'prx.voice.turn.completed',
      { interrupted: false, assistant_text: 'Hi there' },
      'run_9',
    );
    const types = t.types();
    expect(types.indexOf('response.output_audio_transcript.delta')).toBeLessThan(
      types.indexOf('response.output_audio_transcript.done'),
    );
    const done = t.sent().find((e) => e.type === 'response.done')?.['response'] as ResponseShape;
    expect(done.output[0]?.content).toEqual([{ type: 'output_audio', transcript: 'Hi there' }]);
  });

  it('round-trips a client tool: function call item, response.done, output then response.create', () => {
    const t = setup();
    t.engine('prx.voice.agent.thinking_started', { provider: 'mock', round: 0 }, 'run_1');
    t.engine(
      'prx.voice.agent.tool_call',
      { call_id: 'call_7', name: 'get_weather', arguments: { city: 'Oslo' } },
      'run_1',
    );
    t.conn.clientToolCall({ callId: 'call_7', name: 'get_weather', arguments: { city: 'Oslo' } });
    // The round's calls share the response; it ends after the tick.
    expect(t.types()).not.toContain('response.done');
    return Promise.resolve().then(() => {
      expect(t.types()).toEqual([
        'response.created',
        'response.output_item.added',
        'conversation.item.added',
        'response.function_call_arguments.delta',
        'response.function_call_arguments.done',
        'response.output_item.done',
        'conversation.item.done',
        'response.done',
        'rate_limits.updated',
      ]);
      expect(t.sent()[6]?.['item']).toMatchObject({
        type: 'function_call',
        status: 'completed',
        call_id: 'call_7',
        name: 'get_weather',
        arguments: '{"city":"Oslo"}',
      });
      t.socket.clearSent();
      // An output for a call nobody waits on is refused; the right one waits for response.create.
      t.send({
        type: 'conversation.item.create',
        item: { type: 'function_call_output', call_id: 'nope', output: '1' },
      });
      t.send({
        type: 'conversation.item.create',
        item: { type: 'function_call_output', call_id: 'call_7', output: '{"c":21}' },
      });
      expect(t.calls).toEqual([]);
      t.send({ type: 'response.create' });
      expect(t.calls).toEqual(['output:call_7:{"c":21}']);
      expect(t.types()).toEqual([
        'error',
        'conversation.item.created',
        'conversation.item.added',
        'conversation.item.done',
        'response.created',
      ]);
      expect(t.sent()[0]?.['error']).toMatchObject({ code: 'unknown_call_id' });
      // The engine's continuation goes into the response the client asked for.
      t.engine('prx.voice.agent.thinking_started', { provider: 'mock', round: 1 }, 'run_1');
      t.engine('prx.voice.agent.token_stream', { text: 'It is 21.' }, 'run_1');
      t.conn.sendAudio(frame, 'run_1');
      t.engine(
        'prx.voice.turn.completed',
        { interrupted: false, assistant_text: 'It is 21.' },
        'run_1',
      );
      const created = t.sent().find((e) => e.type === 'response.created')?.['response'] as {
        id: string;
      };
      const done = t.sent().find((e) => e.type === 'response.done')?.['response'] as { id: string };
      expect(done.id).toBe(created.id);
      expect(t.types().filter((x) => x === 'response.created')).toHaveLength(1);
    });
  });

  it('maps barge-in to speech_started and a cancelled response keeping what was heard', () => {
    const t = setup();
    t.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'tell me' }] },
    });
    t.send({ type: 'response.create' });
    expect(t.calls).toEqual(['text:tell me']);
    t.engine('prx.voice.agent.thinking_started', { provider: 'mock', round: 0 }, 'run_2');
    t.engine('prx.voice.agent.token_stream', { text: 'One two three four' }, 'run_2');
    t.conn.sendAudio(frame, 'run_2');
    t.socket.clearSent();
    t.engine('prx.voice.media.vad_started', { at_ms: 3000 });
    t.engine('prx.voice.interrupt.issued', { reason: 'barge_in', heard_text: 'One two' }, 'run_2');
    t.conn.sendAudio(frame, 'run_2');
    expect(t.types()).toEqual([
      'input_audio_buffer.speech_started',
      'response.output_audio.done',
      'response.output_audio_transcript.done',
      'response.content_part.done',
      'response.output_item.done',
      'conversation.item.done',
      'response.done',
      'rate_limits.updated',
    ]);
    const done = t.sent().find((e) => e.type === 'response.done')?.['response'] as ResponseShape;
    expect(done.status).toBe('cancelled');
    expect(done.output[0]).toMatchObject({
      status: 'incomplete',
      content: [{ transcript: 'One two' }],
    });
    // The client truncates what it played: acknowledged; no response to cancel any more.
    const itemId = done.output[0]?.id ?? '';
    t.socket.clearSent();
    t.send({
      type: 'conversation.item.truncate',
      item_id: itemId,
      content_index: 0,
      audio_end_ms: 10,
    });
    t.send({ type: 'response.cancel' });
    expect(t.types()).toEqual(['conversation.item.truncated', 'error']);
    expect(t.sent()[1]?.['error']).toMatchObject({ code: 'response_cancel_not_active' });
  });

  it('ends a response whose run was dropped unheard (the turn went on) with what was heard, before the next one', () => {
    const t = setup();
    t.engine('prx.voice.agent.thinking_started', { provider: 'mock', round: 0 }, 'run_4');
    t.engine('prx.voice.agent.token_stream', { text: 'Sure, the weather' }, 'run_4');
    t.conn.sendAudio(frame, 'run_4');
    t.engine('prx.voice.media.vad_started', { at_ms: 3000 });
    // The engine drops the run quietly (no interrupt): only its flush says so.
    t.engine(
      'prx.voice.playback.flushed',
      { played_ms: 0, discarded_ms: 800, heard_text: '' },
      'run_4',
    );
    t.engine('prx.voice.agent.thinking_started', { provider: 'mock', round: 0 }, 'run_5');
    t.engine('prx.voice.agent.token_stream', { text: 'In Paris it is sunny' }, 'run_5');
    t.conn.sendAudio(frame, 'run_5');
    t.conn.sendAudio(frame, 'run_4');
    const dones = t
      .sent()
      .filter((e) => e.type === 'response.done')
      .map((e) => e['response'] as ResponseShape);
    expect(dones).toHaveLength(1);
    expect(dones[0]?.status).toBe('cancelled');
    expect(dones[0]?.output[0]).toMatchObject({
      status: 'incomplete',
      content: [{ transcript: '' }],
    });
    // The next run's response is a new one, and the dropped run's late audio goes nowhere.
    const deltas = t.sent().filter((e) => e.type === 'response.output_audio.delta');
    expect(new Set(deltas.map((e) => e['response_id'])).size).toBe(2);
    expect(deltas).toHaveLength(2);
  });

  it('cancels a response on response.cancel and a truncate of the item being spoken', () => {
    const t = setup();
    t.engine('prx.voice.agent.thinking_started', { provider: 'mock', round: 0 }, 'run_3');
    t.conn.sendAudio(frame, 'run_3');
    const item = t.sent().find((e) => e.type === 'response.output_item.added')?.['item'] as {
      id: string;
    };
    t.send({
      type: 'conversation.item.truncate',
      item_id: item.id,
      content_index: 0,
      audio_end_ms: 5,
    });
    expect(t.calls).toEqual(['interrupt']);
    t.send({ type: 'response.cancel' });
    expect(t.calls).toEqual(['interrupt', 'interrupt']);
    const done = t.sent().find((e) => e.type === 'response.done')?.['response'] as ResponseShape;
    expect(done).toMatchObject({
      status: 'cancelled',
      status_details: { reason: 'client_cancelled' },
    });
  });

  it('answers bad input with error events and stays open', () => {
    const t = setup({ maxAppendBytes: 100 });
    t.conn.receive('not json');
    t.send({ type: 'response.dance' });
    t.send({ type: 'conversation.item.truncate', item_id: 'x' });
    t.send({
      type: 'input_audio_buffer.append',
      event_id: 'e1',
      audio: Buffer.alloc(200).toString('base64'),
    });
    t.send({ type: 'input_audio_buffer.append', audio: '!!!!' });
    t.send({ type: 'input_audio_buffer.append', audio: Buffer.alloc(3).toString('base64') });
    t.send({ type: 'conversation.item.retrieve', item_id: 'item_404' });
    t.send({ type: 'response.create' });
    t.send({ type: 'input_audio_buffer.commit' });
    t.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'x' }] },
    });
    const errors = t.sent().map((e) => (e['error'] as { code: string } | undefined)?.code);
    expect(errors).toEqual([
      'invalid_json',
      'unknown_event_type',
      'invalid_value',
      'input_audio_buffer_append_too_large',
      'invalid_value',
      'invalid_audio',
      'item_not_found',
      'response_create_without_input',
      'input_audio_buffer_commit_empty',
      'unsupported_item',
    ]);
    expect(t.sent()[3]?.['error']).toMatchObject({ event_id: 'e1', param: 'audio' });
    expect(t.audio).toEqual([]);
    expect(t.socket.closed).toBeUndefined();
    // And it still works.
    t.send({ type: 'input_audio_buffer.clear' });
    expect(t.types().at(-1)).toBe('input_audio_buffer.cleared');
  });
});
