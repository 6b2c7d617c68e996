import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startCarrierApiServer } from '../testing/carrier-api.js';
import type { CarrierApiServer, CarrierStreamSocket } from '../testing/carrier-api.js';
import { createVonageApi } from '../testing/vonage-api.js';
import { createVonageCall, hangUpVonageCall, vonageApplicationJwt } from './calls.js';
import { vonageConnectNcco } from './ncco.js';
import { verifyVonageSignature } from './signature.js';

const APP = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab';
const SECRET = 'vonage-signature-secret';
const PUBLIC = 'https://voice.example.com';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

let carrier: CarrierApiServer | undefined;
let app: Server | undefined;
afterEach(async () => {
  await carrier?.close();
  app?.closeAllConnections();
  await new Promise((resolve) => (app === undefined ? resolve(undefined) : app.close(resolve)));
  carrier = undefined;
  app = undefined;
});

/** Our side: records Vonage's events, checking their signed-webhook JWTs. */
async function startVonage() {
  const events: { status: string; signed: boolean; uuid: string }[] = [];
  const opened: { url: string; sent: string[]; closed: boolean }[] = [];
  const waiters: (() => void)[] = [];
  const untilEvents = async (n: number): Promise<void> => {
    while (events.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  app = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const signed =
        verifyVonageSignature({
          signatureSecret: SECRET,
          authorization: req.headers.authorization,
          body,
          nowMs: Date.now(),
          applicationId: APP,
        }).kind === 'valid';
      const data = JSON.parse(body) as { status: string; uuid: string };
      events.push({ status: data.status, uuid: data.uuid, signed });
      res.writeHead(204).end();
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((resolve) => app?.listen(0, '127.0.0.1', resolve));
  const local = `http://127.0.0.1:${String((app.address() as AddressInfo).port)}`;
  const dial = (url: string): Promise<CarrierStreamSocket> => {
    const entry = { url, sent: [] as string[], closed: false };
    opened.push(entry);
    return Promise.resolve({
      send: (text) => entry.sent.push(text),
      close: () => (entry.closed = true),
      onMessage: () => undefined,
    });
  };
  carrier = await startCarrierApiServer({
    carriers: [createVonageApi({ applicationId: APP, publicKey, signatureSecret: SECRET })],
    dial,
    rewrite: (url) => url.replace(PUBLIC, local),
  });
  const auth = { apiBaseUrl: carrier.url, applicationId: APP, privateKey: PEM };
  return { carrier, events, untilEvents, opened, auth };
}

const ncco = vonageConnectNcco({
  uri: 'wss://voice.example.com/telephony/vonage/stream?token=t',
  contentType: 'audio/l16;rate=8000',
  headers: { session_id: 'ses_1' },
});

describe('Vonage calls through the fake REST API', () => {
  it('signs its token RS256 with the application id and a 15-minute expiry', () => {
    const token = vonageApplicationJwt({
      applicationId: APP,
      privateKey: PEM,
      now: () => 1_000_000,
    });
    const [head, payload] = token
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as unknown);
    expect(head).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(payload).toMatchObject({ application_id: APP, iat: 1000, exp: 1900 });
    const { privateKey: ec } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => vonageApplicationJwt({ applicationId: APP, privateKey: ec })).toThrow(/RSA/);
    expect(() => vonageApplicationJwt({ applicationId: APP, privateKey: 'nope' })).toThrow(/PEM/);
  });

  it('creates a call with an inline NCCO, reports its events, connects the socket, and hangs up', async () => {
    const { carrier, events, untilEvents, opened, auth } = await startVonage();
    const created = await createVonageCall({
      ...auth,
      to: '+14155550100',
      from: '+14155550199',
      ncco,
      eventUrl: `${PUBLIC}/events?session_id=ses_1`,
      machineDetection: true,
    });
    expect(created.status).toBe('started');
    expect(created.conversationUuid).toMatch(/^CON-/);
    expect(JSON.parse(carrier.requests[0]?.body ?? '{}')).toEqual({
      to: [{ type: 'phone', number: '14155550100' }],
      from: { type: 'phone', number: '14155550199' },
      ncco,
      event_url: [`${PUBLIC}/events?session_id=ses_1`],
      event_method: 'POST',
      machine_detection: 'continue',
    });
    const call = await carrier.nextCall();
    expect(call.id).toBe(created.uuid);
    expect(opened[0]?.url).toBe('wss://voice.example.com/telephony/vonage/stream?token=t');
    expect(JSON.parse(opened[0]?.sent[0] ?? '{}')).toEqual({
      event: 'websocket:connected',
      'content-type': 'audio/l16;rate=8000',
      session_id: 'ses_1',
    });
    await untilEvents(4);
    expect(events.map((e) => e.status)).toEqual(['started', 'ringing', 'answered', 'human']);
    expect(events.every((e) => e.signed && e.uuid === created.uuid)).toBe(true);
    await hangUpVonageCall({ ...auth, uuid: created.uuid });
    expect(call.hungUp).toBe(true);
    expect(carrier.requests.at(-1)).toMatchObject({
      method: 'PUT',
      path: `/v1/calls/${created.uuid}`,
    });
    expect(JSON.parse(carrier.requests.at(-1)?.body ?? '{}')).toEqual({ action: 'hangup' });
    await untilEvents(5);
    expect(events[4]?.status).toBe('completed');
    await expect(hangUpVonageCall({ ...auth, uuid: created.uuid })).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      retryable: false,
      details: { status: 404 },
    });
  });

  it('maps refusals: a key of another application, a bad number, a 5xx', async () => {
    const { carrier, auth } = await startVonage();
    const call = { ...auth, to: '+14155550100', from: '+14155550199', ncco };
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    await expect(createVonageCall({ ...call, privateKey: other })).rejects.toMatchObject({
      code: 'PROVIDER_AUTH_FAILED',
      message: expect.stringContaining('Unauthorized') as string,
    });
    await expect(createVonageCall({ ...call, applicationId: 'other-app' })).rejects.toMatchObject({
      code: 'PROVIDER_AUTH_FAILED',
    });
    await expect(
      createVonageCall({ ...call, now: () => Date.now() - 3_600_000 }),
    ).rejects.toMatchObject({ code: 'PROVIDER_AUTH_FAILED' });
    await expect(createVonageCall({ ...call, to: '12' })).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      details: { status: 400 },
    });
    carrier.fail({ status: 502, message: 'Bad Gateway' });
    await expect(createVonageCall(call)).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    await expect(hangUpVonageCall({ ...auth, uuid: 'a/b' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });
});
