import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startCarrierApiServer } from '../testing/carrier-api.js';
import type { CarrierApiServer, CarrierStreamSocket } from '../testing/carrier-api.js';
import { createPlivoApi } from '../testing/plivo-api.js';
import { cancelPlivoCall, createPlivoCall, hangUpPlivoCall } from './calls.js';
import {
  PLIVO_NONCE_HEADER,
  PLIVO_SIGNATURE_HEADER,
  plivoParams,
  verifyPlivoSignature,
} from './signature.js';
import { plivoXmlStream } from './xml.js';

const AUTH_ID = 'MAXXXXXXXXXXXXXXXXXX';
const TOKEN = 'plivo-auth-token';
const PUBLIC = 'https://voice.example.com';

let carrier: CarrierApiServer | undefined;
let app: Server | undefined;
afterEach(async () => {
  await carrier?.close();
  app?.closeAllConnections();
  await new Promise((resolve) => (app === undefined ? resolve(undefined) : app.close(resolve)));
  carrier = undefined;
  app = undefined;
});

/** Our side: records Plivo's callbacks (checking their V3 signatures) and answers the XML. */
async function startPlivo() {
  const callbacks: { path: string; form: Record<string, string>; signed: boolean }[] = [];
  const opened: { url: string; sent: string[]; closed: boolean }[] = [];
  const waiters: (() => void)[] = [];
  const untilCallbacks = async (n: number): Promise<void> => {
    while (callbacks.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  app = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const url = `${PUBLIC}${req.url ?? ''}`;
      const form = new URLSearchParams(body);
      const signed =
        verifyPlivoSignature({
          authToken: TOKEN,
          method: 'POST',
          url,
          form: plivoParams(form),
          signature: req.headers[PLIVO_SIGNATURE_HEADER] as string | undefined,
          nonce: req.headers[PLIVO_NONCE_HEADER] as string | undefined,
        }).kind === 'valid';
      callbacks.push({ path: new URL(url).pathname, form: Object.fromEntries(form), signed });
      const xml = plivoXmlStream({
        streamUrl: 'wss://voice.example.com/stream?token=a%26b',
        contentType: 'audio/x-l16;rate=16000',
      });
      res.writeHead(200, { 'content-type': 'text/xml' }).end(xml);
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
    carriers: [createPlivoApi({ authId: AUTH_ID, authToken: TOKEN })],
    dial,
    rewrite: (url) => url.replace(PUBLIC, local),
    answeredBy: 'machine_end_beep',
  });
  return {
    carrier,
    callbacks,
    untilCallbacks,
    opened,
    auth: { apiBaseUrl: carrier.url, authId: AUTH_ID, authToken: TOKEN },
  };
}

describe('Plivo calls through the fake REST API', () => {
  it('makes a call that rings, fetches its answer XML, streams, detects a machine, and hangs up', async () => {
    const { carrier, callbacks, untilCallbacks, opened, auth } = await startPlivo();
    const created = await createPlivoCall({
      ...auth,
      to: '+14155550100',
      from: '+14155550199',
      answerUrl: `${PUBLIC}/answer?session_id=s1`,
      ringUrl: `${PUBLIC}/status`,
      hangupUrl: `${PUBLIC}/status`,
      machineDetection: true,
    });
    expect(created.message).toBe('call fired');
    const sent = carrier.requests[0];
    expect(sent).toMatchObject({ method: 'POST', path: `/v1/Account/${AUTH_ID}/Call/` });
    expect(JSON.parse(sent?.body ?? '{}')).toEqual({
      from: '14155550199',
      to: '14155550100',
      answer_url: `${PUBLIC}/answer?session_id=s1`,
      answer_method: 'POST',
      ring_url: `${PUBLIC}/status`,
      ring_method: 'POST',
      hangup_url: `${PUBLIC}/status`,
      hangup_method: 'POST',
      machine_detection: 'true',
      machine_detection_url: `${PUBLIC}/status`,
      machine_detection_method: 'POST',
    });
    const call = await carrier.nextCall();
    expect(call.id).toBe(created.requestUuid);
    expect(opened[0]?.url).toBe('wss://voice.example.com/stream?token=a%26b');
    const start = JSON.parse(opened[0]?.sent[0] ?? '{}') as { start: { mediaFormat: unknown } };
    expect(start.start.mediaFormat).toEqual({ encoding: 'audio/x-l16', sampleRate: 16000 });
    await untilCallbacks(3);
    expect(callbacks.every((c) => c.signed)).toBe(true);
    expect(callbacks.map((c) => c.form['Event'])).toEqual(['Ring', 'StartApp', 'MachineDetection']);
    expect(callbacks[2]?.form).toMatchObject({ Machine: 'true', RequestUUID: created.requestUuid });
    const callUuid = callbacks[0]?.form['CallUUID'] ?? '';
    await hangUpPlivoCall({ ...auth, callUuid });
    expect(call.hungUp).toBe(true);
    expect(opened[0]?.closed).toBe(true);
    await untilCallbacks(4);
    expect(callbacks[3]?.form).toMatchObject({ Event: 'Hangup', CallStatus: 'completed' });
    expect(carrier.requests.at(-1)).toMatchObject({
      method: 'DELETE',
      path: `/v1/Account/${AUTH_ID}/Call/${callUuid}/`,
    });
    await expect(hangUpPlivoCall({ ...auth, callUuid })).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      retryable: false,
    });
    await expect(
      cancelPlivoCall({ ...auth, requestUuid: created.requestUuid }),
    ).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
    });
  });

  it('maps refusals: bad credentials, a missing field, a 5xx, a malformed id', async () => {
    const { carrier, auth } = await startPlivo();
    const call = { to: '+14155550100', from: '+14155550199', answerUrl: `${PUBLIC}/a` };
    await expect(createPlivoCall({ ...auth, ...call, authToken: 'wrong' })).rejects.toMatchObject({
      code: 'PROVIDER_AUTH_FAILED',
      message: expect.stringContaining('Authentication credentials invalid') as string,
    });
    await expect(createPlivoCall({ ...auth, ...call, to: '12' })).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      details: { provider: 'plivo', status: 400 },
    });
    carrier.fail({ status: 503, message: 'down' });
    await expect(createPlivoCall({ ...auth, ...call })).rejects.toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      retryable: true,
    });
    await expect(createPlivoCall({ ...auth, ...call, authId: 'nope' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(hangUpPlivoCall({ ...auth, callUuid: '../x' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });
});
