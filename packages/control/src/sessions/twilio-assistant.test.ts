/**
 * Which assistant a Twilio call runs, where the server composes it: a signed voice
 * webhook whose URL names `?assistant_id=` runs that one; otherwise the assistant the
 * called number (`To`) is bound to by its `phone_numbers`; otherwise the defaults. The
 * session records the assistant and the version it ran, and the caller's number fills
 * `{{caller_number}}`. Numbers are E.164 and belong to one assistant of a tenant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twilioSignature } from '@prx-voice/transport';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { composeVoiceControl, settle, shutdownOnClock } from '../testing/composed.js';
import type { VoiceControl } from '../voice-control.js';

const AUTH_TOKEN = 'twilio_auth_token_for_assistant_tests';
const PUBLIC = 'https://voice.example.com';
const BOUND = '+14155550199';
const CALLER = '+14155550100';

let h: ControlHarness;
let voice: VoiceControl;
let tenantId: string;
let token: string;

beforeAll(async () => {
  h = await createControlHarness();
  const tenant = await h.tenant();
  tenantId = tenant.id;
  token = await h.key(tenant.id, 'tenant_admin');
  voice = composeVoiceControl(h, {
    adapters: {
      asr: { provider: 'mock' },
      agent: { provider: 'mock' },
      tts: { provider: 'mock' },
      vad: { provider: 'energy' },
      providers: { twilio: { auth_token: AUTH_TOKEN, tenant: tenant.slug } },
    },
    server: { shutdown_timeout_ms: 0, public_url: PUBLIC },
  });
}, 60_000);

afterAll(() => shutdownOnClock(h, voice));

async function api(path: string, method = 'GET', body?: unknown) {
  const res = await h.request(
    `/api/v1${path}`,
    { method, token, ...(body === undefined ? {} : { body }) },
    voice.control,
  );
  return {
    status: res.status,
    body: (await res.json()) as {
      data: Record<string, unknown> | null;
      error: { code: string; message: string; details?: Record<string, unknown> } | null;
    },
  };
}

/** A signed webhook for a call to `to` (the signature covers the URL with its query). */
async function call(to: string, query = '') {
  const params = { CallSid: 'CA0123', AccountSid: 'AC0123', From: CALLER, To: to };
  const path = `/telephony/twilio/voice${query}`;
  const res = await h.request(
    path,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(AUTH_TOKEN, `${PUBLIC}${path}`, params),
      },
      body: new URLSearchParams(params).toString(),
    },
    voice.control,
  );
  const text = await res.text();
  const sessionId = /<Parameter name="session_id" value="([^"]+)"/.exec(text)?.[1];
  if (sessionId === undefined) return { status: res.status, text };
  await settle();
  const session = await api(`/sessions/${sessionId}`);
  const live = voice.manager.live(tenantId as TenantId, sessionId as SessionId);
  return { status: res.status, text, session: session.body.data, live };
}

describe('Twilio calls pick their assistant', () => {
  it('by the called number, by ?assistant_id=, else none; the session records the version', async () => {
    const front = await api('/assistants', 'POST', {
      name: 'Front desk',
      first_message: 'Hello {{caller_number}}, front desk here.',
      phone_numbers: [BOUND, '+442071838750'],
    });
    expect(front.status).toBe(201);
    expect(front.body.data?.['phone_numbers']).toEqual([BOUND, '+442071838750']);
    const frontId = String(front.body.data?.['id']);
    const sales = await api('/assistants', 'POST', { name: 'Sales' });
    const salesId = String(sales.body.data?.['id']);

    const byNumber = await call(BOUND);
    expect(byNumber.status).toBe(200);
    expect(byNumber.session).toMatchObject({
      channel: 'twilio',
      assistant_id: frontId,
      assistant_version: 1,
    });
    expect(byNumber.live?.actor.model.settings.firstMessage).toBe(
      `Hello ${CALLER}, front desk here.`,
    );

    // A new version: the next call runs it.
    expect((await api(`/assistants/${frontId}`, 'PATCH', { first_message: 'Hi.' })).status).toBe(
      200,
    );
    expect((await call(BOUND)).session).toMatchObject({
      assistant_id: frontId,
      assistant_version: 2,
    });
    // The query parameter wins over the number.
    expect((await call(BOUND, `?assistant_id=${salesId}`)).session).toMatchObject({
      assistant_id: salesId,
      assistant_version: 1,
    });
    // A number bound to nothing: the server's defaults.
    expect((await call('+14155550111')).session).toMatchObject({
      assistant_id: null,
      assistant_version: null,
    });
    // A deleted assistant frees its numbers.
    expect((await api(`/assistants/${frontId}`, 'DELETE')).status).toBe(200);
    expect((await call(BOUND)).session).toMatchObject({ assistant_id: null });
  });

  it('refuses an unknown or malformed ?assistant_id= with a clear error', async () => {
    const unknown = await call(BOUND, '?assistant_id=ast_01m7zfxr1ke3gt21wjx3g547ft');
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain('NOT_FOUND');
    const malformed = await call(BOUND, '?assistant_id=nope');
    expect(malformed.status).toBe(400);
    expect(malformed.text).toContain('assistant_id');
  });

  it('keeps a number to one assistant of the tenant and checks E.164', async () => {
    const first = await api('/assistants', 'POST', { name: 'One', phone_numbers: ['+15550100'] });
    expect(first.status).toBe(201);
    const taken = await api('/assistants', 'POST', { name: 'Two', phone_numbers: ['+15550100'] });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatchObject({
      code: 'CONFLICT',
      details: { phone_number: '+15550100', assistant_id: first.body.data?.['id'] },
    });
    const second = await api('/assistants', 'POST', { name: 'Two' });
    const secondId = String(second.body.data?.['id']);
    const patch = await api(`/assistants/${secondId}`, 'PATCH', { phone_numbers: ['+15550100'] });
    expect(patch.status).toBe(409);
    for (const bad of [['555-0100'], ['+0123'], [BOUND, BOUND]]) {
      const res = await api('/assistants', 'POST', { name: 'Bad', phone_numbers: bad });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.error)).toContain('phone_numbers');
    }
    // Removing the field frees the number.
    const firstId = String(first.body.data?.['id']);
    expect((await api(`/assistants/${firstId}`, 'PATCH', { phone_numbers: null })).status).toBe(
      200,
    );
    expect(
      (await api(`/assistants/${secondId}`, 'PATCH', { phone_numbers: ['+15550100'] })).status,
    ).toBe(200);
  });
});
