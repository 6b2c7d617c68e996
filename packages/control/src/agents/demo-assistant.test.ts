/**
 * The built-in demo assistant where a user meets it: a server whose agent is `auto` with
 * nothing configured runs the `demo` agent in the demo's flow (`info` → `booking` →
 * `info`, run by the session's flows engine), with the demo restaurant's tools in the
 * session's registry — text turns ask for a table (`start_booking`, then
 * `check_availability`), give a name (`book_table`, whose result takes the flow back to
 * `info`) and cancel (`cancel_booking`), each a real `agent.tool_call` / `tool_result`
 * pair, and the answers are spoken from the results. On pocketsphinx the session's
 * recogniser gets the demo's grammar.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoGrammar } from '@prx-voice/adapter';
import type { AnyVoiceEvent } from '@prx-voice/event';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { composeVoiceControl, settle, shutdownOnClock } from '../testing/composed.js';
import type { VoiceControl } from '../voice-control.js';

let h: ControlHarness;
let voice: VoiceControl;

beforeAll(async () => {
  h = await createControlHarness();
  // As a fresh start-up: the agent left to `auto`, which found no script.
  voice = composeVoiceControl(
    h,
    {
      adapters: {
        asr: { provider: 'mock' },
        agent: { provider: 'auto' },
        tts: { provider: 'mock' },
      },
    },
    { autoProviders: { agent: 'demo' } },
  );
}, 60_000);

afterAll(() => shutdownOnClock(h, voice));

const isStart = (d: unknown): boolean => (d as { name?: string }).name === 'start_booking';

async function session(): Promise<{
  token: string;
  id: string;
  tenantId: TenantId;
  events: AnyVoiceEvent[];
}> {
  const tenant = await h.tenant('growth');
  const token = await h.key(tenant.id, 'tenant_admin');
  const created = await h.request(
    '/api/v1/sessions',
    { method: 'POST', token, body: { channel: 'websocket' } },
    voice.control,
  );
  expect(created.status).toBe(201);
  const body = (await created.json()) as { data: { id: string; providers: { agent: string } } };
  expect(body.data.providers.agent).toBe('demo');
  await settle();
  const events: AnyVoiceEvent[] = [];
  voice.manager
    .live(tenant.id as TenantId, body.data.id as SessionId)
    ?.emitter.addSink((e) => events.push(e));
  return { token, id: body.data.id, tenantId: tenant.id as TenantId, events };
}

/** Sends a text turn and runs the clock until its turn completes; the turn's data. */
async function say(
  s: Awaited<ReturnType<typeof session>>,
  text: string,
): Promise<{ user_text: string; assistant_text: string }> {
  const before = s.events.filter((e) => e.type === 'prx.voice.turn.completed').length;
  const turn = await h.request(
    `/api/v1/sessions/${s.id}/turns`,
    { method: 'POST', token: s.token, body: { text } },
    voice.control,
  );
  expect(turn.status).toBe(202);
  for (let i = 0; i < 600; i++) {
    const done = s.events.filter((e) => e.type === 'prx.voice.turn.completed');
    if (done.length > before) return done.at(-1)?.data as never;
    h.clock.advance(100);
    await settle();
  }
  throw new Error(`no turn completed for "${text}"`);
}

describe('the built-in demo assistant', () => {
  it('checks a table, books it and cancels it through the session tools', async () => {
    const s = await session();
    const data = (type: string) => s.events.filter((e) => e.type === type).map((e) => e.data);
    const calls = () => data('prx.voice.agent.tool_call').filter((d) => !isStart(d));

    expect((await say(s, 'Hello')).assistant_text).toMatch(/^Hello, and welcome to/);
    expect((await say(s, 'When are you open?')).assistant_text).toBe(
      'We are open from noon to 10 pm, every day except Monday.',
    );
    const asked = await say(s, 'Is there a table for 4 on Friday at 7:30pm?');
    expect(asked.assistant_text).toBe(
      'Good news: we have a table for 4 on Friday at 7:30 pm. What name shall I put the booking under?',
    );
    const FRIDAY = { party_size: 4, day: 'friday', time: '19:30' };
    expect(data('prx.voice.agent.tool_call')).toMatchObject([
      { name: 'start_booking', arguments: FRIDAY },
      { name: 'check_availability', arguments: FRIDAY },
    ]);
    expect(data('prx.voice.agent.tool_result')).toMatchObject([
      { name: 'start_booking', ok: true, result: FRIDAY },
      { name: 'check_availability', ok: true, result: { available: true, weekday: 'friday' } },
    ]);
    // The flows engine moved the conversation: start_booking took it from info to booking.
    expect(data('prx.voice.flow.node_entered')).toEqual([
      { node: 'booking', from: 'info', reason: 'transition_to', function: 'start_booking' },
    ]);
    expect(data('prx.voice.flow.node_exited')).toEqual([
      { node: 'info', to: 'booking', reason: 'transition_to', function: 'start_booking' },
    ]);

    const booked = await say(s, 'My name is Alice');
    const result = data('prx.voice.agent.tool_result')[2] as { result: { reference: string } };
    expect(calls()[1]).toMatchObject({
      name: 'book_table',
      arguments: { party_size: 4, day: 'friday', time: '19:30', name: 'Alice' },
    });
    expect(result).toMatchObject({ name: 'book_table', ok: true, result: { booked: true } });
    const reference = result.result.reference;
    expect(reference).toMatch(/^RB\d{4}$/);
    expect(booked.assistant_text).toBe(
      `Done: a table for 4 on Friday at 7:30 pm, under the name Alice. Your reference is ${reference}. Is there anything else?`,
    );

    // book_table's result (booked: true) chose the way back to info.
    expect(data('prx.voice.flow.node_entered').at(-1)).toEqual({
      node: 'info',
      from: 'booking',
      reason: 'transition_on',
      function: 'book_table',
    });

    const cancelled = await say(s, 'Please cancel my booking');
    expect(calls()[2]).toMatchObject({
      name: 'cancel_booking',
      arguments: { reference },
    });
    expect(cancelled.assistant_text).toBe(
      `Your booking ${reference} is cancelled. Is there anything else?`,
    );
    expect((await say(s, 'Thank you, goodbye')).assistant_text).toBe('You are welcome. Goodbye!');
    expect((await say(s, 'Can you sing?')).assistant_text).toMatch(
      /^Sorry, I did not get that\. I can tell you our opening hours/,
    );
  }, 60_000);

  it('offers other times when the table is taken, and books in one sentence', async () => {
    const s = await session();
    const full = await say(s, 'Do you have a table for two on Saturday at 8pm?');
    expect(full.assistant_text).toBe(
      'Sorry, we have no table for 2 on Saturday at 8 pm. I could offer 6:30 pm or 9 pm. What time would suit you?',
    );
    // All details at once: availability first, then the booking, in one run of two tool rounds.
    const booked = await say(s, 'Book a table for two on Sunday at 1pm for Bob');
    const calls = s.events
      .filter((e) => e.type === 'prx.voice.agent.tool_call')
      .map((e) => (e.data as { name: string }).name);
    expect(calls).toEqual([
      'start_booking',
      'check_availability',
      'check_availability',
      'book_table',
    ]);
    // Still in booking after the full table; back in info once booked.
    const entered = s.events
      .filter((e) => e.type === 'prx.voice.flow.node_entered')
      .map((e) => (e.data as { node: string }).node);
    expect(entered).toEqual(['booking', 'info']);
    expect(booked.assistant_text).toMatch(
      /^Done: a table for 2 on Sunday at 1 pm, under the name Bob\. Your reference is RB\d{4}\./,
    );
  }, 60_000);

  it('gives pocketsphinx the grammar derived from the demo when it is the recogniser', async () => {
    const sphinx = composeVoiceControl(
      h,
      {
        adapters: {
          asr: { provider: 'auto' },
          agent: { provider: 'auto' },
          tts: { provider: 'mock' },
        },
      },
      { autoProviders: { asr: 'pocketsphinx', agent: 'demo' } },
    );
    const tenant = await h.tenant('growth');
    const token = await h.key(tenant.id, 'tenant_admin');
    const create = async (body: Record<string, unknown>) => {
      const res = await h.request(
        '/api/v1/sessions',
        { method: 'POST', token, body },
        sphinx.control,
      );
      const id = ((await res.json()) as { data: { id: string } }).data.id;
      return sphinx.manager.live(tenant.id as TenantId, id as SessionId)?.providerOptions.asr;
    };
    expect(await create({ channel: 'websocket' })).toMatchObject({ grammar: demoGrammar() });
    // A grammar (or keyphrase) of the request's own is left alone; another agent gets none.
    expect(
      await create({ channel: 'websocket', provider_options: { asr: { keyphrase: 'hello' } } }),
    ).not.toHaveProperty('grammar');
    expect(await create({ channel: 'websocket', providers: { agent: 'mock' } })).not.toHaveProperty(
      'grammar',
    );
    await shutdownOnClock({ ...h, close: () => Promise.resolve() }, sphinx);
  }, 60_000);
});
