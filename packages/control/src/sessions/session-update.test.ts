/**
 * Mid-session changes through the composed server over real sockets: a WebSocket
 * `session.update` and `PATCH /api/v1/sessions/{id}` change the system prompt, voice,
 * providers and language of a live session at its next turn boundary — the next turn
 * uses them, the one in flight does not; a change of the ASR's language reopens the
 * recognition stream; invalid changes are named and change nothing; PATCH reaches a
 * session that runs on another instance; `GET` shows what is in force.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMockAgent,
  createMockAsr,
  createMockTts,
  defaultProviders,
} from '@prx-voice/adapter';
import type { AgentRunRequest, AsrOpenOptions, TtsRequest } from '@prx-voice/adapter';
import type { Clock } from '@prx-voice/core';
import { generateTone } from '@prx-voice/media';
import { VoiceError } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { composeVoiceControl, settle } from '../testing/composed.js';
import { listenVoice, openSession } from '../testing/listen.js';
import type { ListeningVoice, SessionClient } from '../testing/listen.js';
import type { VoiceControl } from '../voice-control.js';

const seen = {
  agent: [] as { provider: string; request: AgentRunRequest }[],
  tts: [] as TtsRequest[],
  asr: [] as { options: AsrOpenOptions; aborted: boolean }[],
};

/** The mock providers, and recording ones the sessions choose: `recorder`/`second`, `voicebox`, `ears`. */
function providers(clock: Clock) {
  const agent = (id: string) => () => {
    const mock = createMockAgent({ clock });
    return {
      id,
      run: (request: AgentRunRequest) => {
        seen.agent.push({ provider: id, request });
        return mock.run(request);
      },
    };
  };
  return defaultProviders({ clock })
    .registerAgent('recorder', agent('recorder'))
    .registerAgent('second', agent('second'))
    .registerTts('voicebox', () => {
      const mock = createMockTts();
      return {
        id: 'voicebox',
        synthesize: (request) => {
          seen.tts.push(request);
          return mock.synthesize(request);
        },
        validateOptions: (options) => {
          const voice = (options as { voice?: unknown } | undefined)?.voice;
          if (voice === undefined || voice === 'alice' || voice === 'bob') return;
          throw new VoiceError('VALIDATION_FAILED', {
            message: "Invalid options for provider 'voicebox'",
            details: { issues: [{ path: 'voice', message: 'expected alice or bob' }] },
          });
        },
      };
    })
    .registerAsr('ears', () => {
      const mock = createMockAsr();
      return {
        id: 'ears',
        open: (options) => {
          const stream = mock.open(options);
          const record = { options, aborted: false };
          seen.asr.push(record);
          return {
            push: (s) => stream.push(s),
            finalize: () => stream.finalize(),
            end: () => stream.end(),
            abort: () => {
              record.aborted = true;
              stream.abort();
            },
            [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator](),
          };
        },
      };
    });
}

let h: ControlHarness;
let a: VoiceControl;
let b: VoiceControl;
let server: ListeningVoice;
let serverB: ListeningVoice;

beforeAll(async () => {
  h = await createControlHarness();
  a = composeVoiceControl(
    h,
    { deploy: { instance_id: 'update-a' } },
    { providers: providers(h.clock) },
  );
  b = composeVoiceControl(
    h,
    { deploy: { instance_id: 'update-b' } },
    { providers: providers(h.clock) },
  );
  await a.manager.start();
  await b.manager.start();
  server = await listenVoice(a);
  serverB = await listenVoice(b);
}, 60_000);

afterAll(async () => {
  a.control.closeSockets(1001, 'bye');
  await server.close();
  await serverB.close();
  for (const voice of [b, a]) {
    const state = { done: false };
    const stopping = voice.shutdown().finally(() => (state.done = true));
    for (let i = 0; i < 1_000 && !state.done; i++) {
      h.clock.advance(100);
      await settle();
    }
    await stopping;
  }
  await h.close();
});

/** Moves simulated time in `step` ms while real sockets deliver, until `done` holds. */
async function until(
  done: () => boolean | Promise<boolean>,
  step = 20,
  max = 3_000,
): Promise<void> {
  for (let i = 0; i < max && !(await done()); i++) {
    h.clock.advance(step);
    await settle();
    await new Promise((r) => setTimeout(r, 0));
  }
  expect(await done()).toBe(true);
}

interface Started {
  readonly id: SessionId;
  readonly tenantId: TenantId;
  readonly token: string;
  readonly client: SessionClient;
  api(
    method: string,
    path: string,
    body?: unknown,
    base?: string,
  ): Promise<{
    status: number;
    json: { data: Record<string, unknown> | null; error: { code: string; message: string } | null };
  }>;
}

async function start(body: Record<string, unknown>): Promise<Started> {
  const tenant = await h.tenant('enterprise');
  const token = await h.key(tenant.id, 'tenant_admin');
  const api: Started['api'] = async (method, path, payload, base = server.url) => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    });
    return { status: res.status, json: (await res.json()) as never };
  };
  const created = await api('POST', '/sessions', { channel: 'websocket', ...body });
  expect(created.status).toBe(201);
  const data = created.json.data ?? {};
  const client = await openSession(String(data['ws_url']), token);
  const id = data['id'] as SessionId;
  await until(
    () => a.manager.live(tenant.id as TenantId, id)?.actor.model.machine.value === 'Listening',
  );
  return { id, tenantId: tenant.id as TenantId, token, client, api };
}

const turns = (s: Started) => s.client.data('prx.voice.turn.completed').length;
const index = (s: Started, type: string) => s.client.events.findIndex((e) => e.type === type);
const agentRuns = (id: string) =>
  seen.agent.filter((r) => r.request.conversation.length > 0 && r.provider === id);

describe('session.update on the WebSocket', () => {
  it('waits for the turn the bot is speaking, then the next turn has the new prompt and voice', async () => {
    const s = await start({
      providers: { agent: 'recorder', tts: 'voicebox' },
      provider_options: { tts: { voice: 'alice' } },
      system_prompt: 'You are A.',
    });
    const agentsBefore = seen.agent.length;
    const ttsBefore = seen.tts.length;
    s.client.send({ type: 'input.text', text: 'one. two. three. four.' });
    await until(() => s.client.data('prx.voice.playback.started').length > 0);
    s.client.send({ type: 'session.update', voice: 'bob', system_prompt: 'You are B.' });
    await until(() => a.manager.live(s.tenantId, s.id)?.actor.model.pendingSettings != null);
    expect(s.client.data('prx.voice.session.updated')).toEqual([]);
    await until(() => s.client.data('prx.voice.session.updated').length === 1);
    expect(index(s, 'prx.voice.session.updated')).toBeGreaterThan(
      index(s, 'prx.voice.turn.completed'),
    );
    expect(s.client.data('prx.voice.session.updated')[0]).toMatchObject({
      changed: ['options.tts', 'system_prompt'],
      voice: 'bob',
      asr_reopened: false,
    });
    const firstTurnTts = seen.tts.length;
    s.client.send({ type: 'input.text', text: 'again' });
    await until(() => turns(s) === 2);
    const voices = seen.tts.slice(ttsBefore).map((r) => r.options?.['voice']);
    expect(voices.slice(0, firstTurnTts - ttsBefore).every((v) => v === 'alice')).toBe(true);
    expect(voices.slice(firstTurnTts - ttsBefore)).toEqual(['bob']);
    expect(seen.agent.slice(agentsBefore).map((r) => r.request.conversation[0]?.content)).toEqual([
      'You are A.',
      'You are B.',
    ]);
    const got = await s.api('GET', `/sessions/${s.id}`);
    expect(got.json.data).toMatchObject({
      system_prompt: 'You are B.',
      voice: 'bob',
      update_pending: false,
    });
    s.client.ws.close();
    await s.client.closed;
  });

  it('reopens the recognition stream with a new language and options', async () => {
    const s = await start({
      providers: { asr: 'ears' },
      provider_options: { asr: { transcript: 'hello' } },
    });
    const opened = seen.asr.length;
    s.client.send({
      type: 'session.update',
      language: 'de-DE',
      provider_options: { asr: { transcript: 'hallo' } },
    });
    await until(() => s.client.data('prx.voice.session.updated').length === 1);
    expect(s.client.data('prx.voice.session.updated')[0]).toMatchObject({
      changed: ['language', 'options.asr'],
      language: 'de-DE',
      asr_reopened: true,
    });
    expect(seen.asr.slice(opened - 1).map((o) => [o.options.language, o.aborted])).toEqual([
      ['en-US', true],
      ['de-DE', false],
    ]);
    // Caller speech goes to the new stream.
    const tone = generateTone({
      sampleRate: 16000,
      frequencyHz: 300,
      durationMs: 20,
      amplitude: 0.3,
    }).samples;
    const quiet = new Int16Array(320);
    for (let i = 0; i < 30; i++)
      s.client.ws.send(Buffer.from(tone.buffer, tone.byteOffset, tone.byteLength));
    for (let i = 0; i < 100; i++) s.client.ws.send(Buffer.from(quiet.buffer));
    await until(() => s.client.data('prx.voice.asr.transcript_final').length > 0);
    expect(s.client.data('prx.voice.asr.transcript_final')[0]).toMatchObject({ text: 'hallo' });
    const got = await s.api('GET', `/sessions/${s.id}`);
    expect(got.json.data).toMatchObject({ language: 'de-DE' });
    s.client.ws.close();
    await s.client.closed;
  });

  it('output_frame_ms: binary frames of that length from the next one on, the lead unchanged', async () => {
    const s = await start({});
    const frames: number[] = [];
    s.client.ws.on('message', (d: Buffer, binary: boolean) => {
      if (binary) frames.push(d.length);
    });
    s.client.send({ type: 'session.update', output_frame_ms: 5 });
    s.client.send({ type: 'session.update', output_frame_ms: 40 });
    await until(() => s.client.data('prx.voice.session.error').length === 1);
    expect(s.client.data('prx.voice.session.error')[0]).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('output_frame_ms') as unknown,
    });
    s.client.send({ type: 'input.text', text: 'hello there' });
    await until(() => turns(s) === 1);
    // 40 ms of PCM16 at 24 kHz is 1920 bytes; only a segment's last frame may be shorter.
    const segments = s.client.data('prx.voice.tts.segment_queued').length;
    expect(frames.length).toBeGreaterThan(segments);
    expect(frames.filter((n) => n !== 1920).length).toBeLessThanOrEqual(segments);
    expect(frames.every((n) => n <= 1920)).toBe(true);
    // Only the connection changed: nothing waits for a turn boundary, nothing is reported as updated.
    expect(s.client.data('prx.voice.session.updated')).toEqual([]);
    expect(a.manager.live(s.tenantId, s.id)?.actor.model.pendingSettings).toBeNull();
    s.client.ws.close();
    await s.client.closed;
  });

  it('names an invalid change in a session.error; the connection and the session stay as they were', async () => {
    const s = await start({
      providers: { tts: 'voicebox' },
      provider_options: { tts: { voice: 'alice' } },
    });
    const errors = () => s.client.data('prx.voice.session.error');
    s.client.send({ type: 'session.update', providers: { tts: 'nope' } });
    s.client.send({ type: 'session.update', voice: 'carol' });
    s.client.send({ type: 'session.update', providers: { agent: { token_delay_ms: -1 } } });
    s.client.send({ type: 'session.update', providers: { vad: 'energy' } });
    await until(() => errors().length === 4);
    expect(errors().map((e) => [e['code'], e['message']])).toEqual([
      [
        'VALIDATION_FAILED',
        expect.stringMatching(/^Invalid frame\.providers\.tts: Unknown TTS provider 'nope'/),
      ],
      [
        'VALIDATION_FAILED',
        expect.stringContaining("frame.provider_options.tts.voice for provider 'voicebox'"),
      ],
      ['VALIDATION_FAILED', expect.stringContaining('frame.providers.agent.token_delay_ms')],
      ['VALIDATION_FAILED', expect.stringContaining('frame.providers.vad')],
    ]);
    expect(s.client.ws.readyState).toBe(s.client.ws.OPEN);
    const live = a.manager.live(s.tenantId, s.id);
    expect(live?.actor.model.pendingSettings).toBeNull();
    expect(live?.target.providerOptions.tts).toEqual({ voice: 'alice' });
    expect(s.client.data('prx.voice.session.updated')).toEqual([]);
    s.client.ws.close();
    await s.client.closed;
  });
});

describe('PATCH /api/v1/sessions/{id}', () => {
  it('swaps the agent for the next turn; during a turn it answers update_pending and applies after', async () => {
    const s = await start({ providers: { agent: 'recorder', tts: 'voicebox' } });
    const patched = await s.api('PATCH', `/sessions/${s.id}`, { providers: { agent: 'second' } });
    expect(patched.status).toBe(202);
    expect(patched.json.data).toMatchObject({
      providers: { agent: 'second' },
      update_pending: false,
    });
    const before = agentRuns('second').length;
    s.client.send({ type: 'input.text', text: 'tell me. a story. please.' });
    await until(() => s.client.data('prx.voice.playback.started').length > 0);
    expect(agentRuns('second').length).toBe(before + 1);
    const during = await s.api('PATCH', `/sessions/${s.id}`, {
      system_prompt: 'Be brief.',
      provider_options: { tts: { voice: 'bob' } },
    });
    expect(during.status).toBe(202);
    expect(during.json.data).toMatchObject({ update_pending: true, system_prompt: null });
    await until(() => turns(s) === 1 && s.client.data('prx.voice.session.updated').length === 2);
    const got = await s.api('GET', `/sessions/${s.id}`);
    expect(got.json.data).toMatchObject({
      system_prompt: 'Be brief.',
      voice: 'bob',
      update_pending: false,
    });
    s.client.ws.close();
    await s.client.closed;
  });

  it('refuses invalid changes with 400 VALIDATION_FAILED naming them, and changes nothing', async () => {
    const s = await start({ providers: { tts: 'voicebox' } });
    const cases: [unknown, string][] = [
      [
        { provider_options: { agent: { token_delay_ms: -1 } } },
        'provider_options.agent.token_delay_ms',
      ],
      [{ providers: { tts: 'nope' } }, 'providers.tts'],
      [{ voice: 'carol' }, 'provider_options.tts.voice'],
      [{ providers: { vad: 'energy' } }, 'vad'],
      [{ language: 'not a tag' }, 'language'],
      [{}, 'at least one'],
    ];
    for (const [body, named] of cases) {
      const r = await s.api('PATCH', `/sessions/${s.id}`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error?.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(r.json.error)).toContain(named);
    }
    const got = await s.api('GET', `/sessions/${s.id}`);
    expect(got.json.data).toMatchObject({
      language: 'en-US',
      providers: { tts: 'voicebox' },
      voice: null,
    });
    expect(s.client.data('prx.voice.session.updated')).toEqual([]);
    s.client.ws.close();
    await s.client.closed;
  });

  it('reaches a session running on another instance; 404 for an unknown one, 409 once it ended', async () => {
    const s = await start({ providers: { agent: 'recorder' } });
    // Sent to instance b; the session runs on a.
    expect(b.manager.live(s.tenantId, s.id)).toBeUndefined();
    const patched = await s.api(
      'PATCH',
      `/sessions/${s.id}`,
      { system_prompt: 'From b.', language: 'fr-FR' },
      serverB.url,
    );
    expect(patched.status).toBe(202);
    await until(() => s.client.data('prx.voice.session.updated').length === 1);
    expect(a.manager.live(s.tenantId, s.id)?.actor.model.settings.systemPrompt).toBe('From b.');
    // Instance b reads the row, which follows the change once it applied.
    await until(
      async () =>
        (await s.api('GET', `/sessions/${s.id}`, undefined, serverB.url)).json.data?.[
          'language'
        ] === 'fr-FR',
    );
    const invalid = await s.api(
      'PATCH',
      `/sessions/${s.id}`,
      { providers: { agent: 'nope' } },
      serverB.url,
    );
    expect(invalid.status).toBe(400);
    expect(invalid.json.error?.message).toContain(
      "body.providers.agent: Unknown agent provider 'nope'",
    );
    const unknown = await s.api('PATCH', '/sessions/sess_01jgz5r3p8x4k2m6n7q9s0t1v2', {
      voice: 'bob',
    });
    expect(unknown.status).toBe(404);
    s.client.send({ type: 'end' });
    await s.client.closed;
    await until(() => a.manager.live(s.tenantId, s.id) === undefined);
    const ended = await s.api('PATCH', `/sessions/${s.id}`, { voice: 'bob' }, serverB.url);
    expect(ended.status).toBe(409);
    expect(ended.json.error?.code).toBe('SESSION_STATE_CONFLICT');
  });

  it('is in the OpenAPI document with the permission of the control routes', async () => {
    const res = await fetch(`${server.url}/api/v1/openapi.json`);
    const doc = (await res.json()) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    const patch = doc.paths['/sessions/{session_id}']?.['patch'];
    expect(patch?.['x-permission']).toBe('session:interrupt');
    expect(Object.keys(doc.paths['/sessions/{session_id}'] ?? {}).sort()).toEqual(['get', 'patch']);
  });
});
