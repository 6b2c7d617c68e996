/**
 * Phone numbers route calls to their tenant, over the wire: two tenants each bind a number to
 * one of their assistants; an inbound call to either number — through Exotel's dynamic stream
 * URL or Twilio's signed voice webhook — runs in that number's tenant with that assistant,
 * whatever tenant the carrier is configured with; a number bound by nobody runs in the
 * carrier's configured tenant. A number already held by another tenant cannot be bound
 * (409, without naming that tenant).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '@prx-voice/server';
import type { RunningServer } from '@prx-voice/server';
import { twilioSignature } from '@prx-voice/transport';

const KEY = 'pk_integration_numbers_0123456789abcdef';
const PUBLIC = 'https://voice.example.com';
const EXOTEL_KEY = 'exotel_api_key_numbers';
const EXOTEL_TOKEN = 'exotel_api_token_numbers_0123456789';
const BASIC = `Basic ${Buffer.from(`${EXOTEL_KEY}:${EXOTEL_TOKEN}`).toString('base64')}`;
const TWILIO_TOKEN = 'twilio_auth_token_for_number_routing';
const NUMBER_B = '+918047491801';
const NUMBER_C = '+918047491802';
const UNBOUND = '+918047491899';
const dir = mkdtempSync(join(tmpdir(), 'prx-numbers-'));
let server: RunningServer;
const tenants = { default: '', b: '', c: '' };
const keys = { b: '', c: '' };
const assistants = { b: '', c: '' };

async function api(
  method: string,
  path: string,
  body?: unknown,
  key = KEY,
): Promise<{ status: number; body: { data: Record<string, unknown> | null; error: unknown } }> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { data: Record<string, unknown> | null; error: unknown },
  };
}

beforeAll(async () => {
  server = await startServer({
    load: {
      cwd: dir,
      env: {
        PRX_VOICE_SERVER__PORT: '0',
        PRX_VOICE_SERVER__SHUTDOWN_TIMEOUT_MS: '300',
        PRX_VOICE_SERVER__HOST: '127.0.0.1',
        PRX_VOICE_SERVER__PUBLIC_URL: PUBLIC,
        PRX_VOICE_STORAGE__DATA_DIR: 'data',
        PRX_VOICE_ADAPTERS__ASR__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__AGENT__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__TTS__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__VAD__PROVIDER: 'energy',
        PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: KEY,
        PRX_VOICE_TELEPHONY__EXOTEL__TENANT: 'default',
        PRX_VOICE_TELEPHONY__EXOTEL__API_KEY: EXOTEL_KEY,
        PRX_VOICE_TELEPHONY__EXOTEL__API_TOKEN: EXOTEL_TOKEN,
        PRX_VOICE_TELEPHONY__TWILIO__TENANT: 'default',
        PRX_VOICE_TELEPHONY__TWILIO__AUTH_TOKEN: TWILIO_TOKEN,
      },
    },
    log: (line) => process.stderr.write(`SERVER: ${line}\n`),
  });
  const list = await api('GET', '/tenants');
  const items = (list.body.data?.['items'] ?? []) as { id: string; slug: string }[];
  tenants.default = items.find((t) => t.slug === 'default')?.id ?? '';
  for (const name of ['b', 'c'] as const) {
    const t = await api('POST', '/tenants', {
      slug: `numbers-${name}`,
      name: `Numbers ${name}`,
      tier: 'enterprise',
    });
    expect(t.status).toBe(201);
    tenants[name] = String(t.body.data?.['id']);
    const k = await api('POST', '/api-keys', {
      name,
      role: 'tenant_admin',
      tenant_id: tenants[name],
    });
    expect(k.status).toBe(201);
    keys[name] = String(k.body.data?.['key']);
  }
  for (const [name, number] of [
    ['b', NUMBER_B],
    ['c', NUMBER_C],
  ] as const) {
    const a = await api(
      'POST',
      '/assistants',
      { name: `Desk ${name}`, phone_numbers: [number] },
      keys[name],
    );
    expect(a.status).toBe(201);
    assistants[name] = String(a.body.data?.['id']);
  }
}, 120_000);
afterAll(async () => {
  await server.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

/** Exotel asks its dynamic stream URL for a call to `to`; the session and tenant are in the answer. */
async function exotelCall(to: string): Promise<{ sessionId: string; tenantId: string }> {
  const query = new URLSearchParams({ CallSid: `exo-${to}`, CallFrom: '09876543210', CallTo: to });
  const res = await fetch(`${server.url}/telephony/exotel/voice?${query.toString()}`, {
    headers: { authorization: BASIC },
  });
  expect(res.status).toBe(200);
  const url = new URL(((await res.json()) as { url: string }).url);
  return {
    sessionId: url.searchParams.get('session_id') ?? '',
    tenantId: url.searchParams.get('tenant_id') ?? '',
  };
}

/** Twilio's signed voice webhook for a call to `to`; the session and tenant are in the TwiML. */
async function twilioCall(to: string): Promise<{ sessionId: string; tenantId: string }> {
  const params = { CallSid: 'CA0123', AccountSid: 'AC0123', From: '+14155550100', To: to };
  const res = await fetch(`${server.url}/telephony/twilio/voice`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilioSignature(
        TWILIO_TOKEN,
        `${PUBLIC}/telephony/twilio/voice`,
        params,
      ),
    },
    body: new URLSearchParams(params).toString(),
  });
  expect(res.status).toBe(200);
  const text = await res.text();
  return {
    sessionId: /<Parameter name="session_id" value="([^"]+)"/.exec(text)?.[1] ?? '',
    tenantId: /<Parameter name="tenant_id" value="([^"]+)"/.exec(text)?.[1] ?? '',
  };
}

describe('numbers route calls to their tenant', () => {
  for (const [carrier, place] of [
    ['Exotel', exotelCall],
    ['Twilio', twilioCall],
  ] as const) {
    it(`${carrier}: a bound number runs in its tenant with its assistant; an unbound one in the configured tenant`, async () => {
      for (const name of ['b', 'c'] as const) {
        const call = await place(name === 'b' ? NUMBER_B : NUMBER_C);
        expect(call.tenantId).toBe(tenants[name]);
        const session = await api('GET', `/sessions/${call.sessionId}`, undefined, keys[name]);
        expect(session.status).toBe(200);
        expect(session.body.data).toMatchObject({
          tenant_id: tenants[name],
          assistant_id: assistants[name],
        });
        // The configured tenant does not see it.
        expect((await api('GET', `/sessions/${call.sessionId}`)).status).toBe(404);
        await api('POST', `/sessions/${call.sessionId}/end`, undefined, keys[name]);
      }
      const fallback = await place(UNBOUND);
      expect(fallback.tenantId).toBe(tenants.default);
      const session = await api('GET', `/sessions/${fallback.sessionId}`);
      expect(session.body.data).toMatchObject({ tenant_id: tenants.default, assistant_id: null });
      await api('POST', `/sessions/${fallback.sessionId}/end`);
    }, 60_000);
  }

  it('refuses a number another tenant holds with 409, not naming that tenant', async () => {
    const res = await api(
      'POST',
      '/assistants',
      { name: 'Grab', phone_numbers: [NUMBER_B] },
      keys.c,
    );
    expect(res.status).toBe(409);
    const error = JSON.stringify(res.body.error);
    expect(error).toContain('CONFLICT');
    expect(error).toContain(NUMBER_B);
    expect(error).not.toContain(tenants.b);
    expect(error).not.toContain(assistants.b);
    const patch = await api(
      'PATCH',
      `/assistants/${assistants.c}`,
      { phone_numbers: [NUMBER_C, NUMBER_B] },
      keys.c,
    );
    expect(patch.status).toBe(409);
    // Nothing changed: the numbers still route as before.
    expect((await exotelCall(NUMBER_B)).tenantId).toBe(tenants.b);
    expect((await exotelCall(NUMBER_C)).tenantId).toBe(tenants.c);
  }, 60_000);
});
