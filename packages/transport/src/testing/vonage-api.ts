/**
 * Vonage's Voice API in the local fake carrier, as Vonage documents it: create a call (`POST
 * /v1/calls` with `Authorization: Bearer <JWT>` — RS256, checked with the application's
 * public key, its `application_id` the application's and `exp` not past, else a 401 —, JSON
 * `to: [{type: 'phone', number}]`, `from`, an inline `ncco` or `answer_url`; `201 {uuid,
 * status: "started", direction: "outbound", conversation_uuid}`) and hang up (`PUT
 * /v1/calls/{uuid}` `{action: "hangup"}`, 204; 404 for a call it does not know). A call
 * placed then does what Vonage does: posts `started`, `ringing` and `answered` to
 * `event_url` (JSON, a signed webhook), connects the NCCO's WebSocket with a scripted Vonage
 * leg, reports `human`/`machine` when detection was asked, and on hang-up closes the socket
 * and posts `completed`.
 */
import { createPublicKey, randomUUID, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { VONAGE_CONTENT_TYPES } from '../vonage/media-stream.js';
import type { VonageContentType } from '../vonage/media-stream.js';
import type { FakeCarrierApi, FakeCarrierRequest, FakeCarrierTools } from './fake-carrier.js';
import { createVonageClientScript, createVonageSigner } from './vonage-client.js';

/** The application the fake Vonage serves. */
export interface VonageApiOptions {
  readonly applicationId: string;
  /** The application's public key (PEM): checks the REST tokens. */
  readonly publicKey: string | KeyObject;
  /** The account's signature secret: signs the event webhooks. */
  readonly signatureSecret: string;
}

const ERRORS = 'https://developer.nexmo.com/api-errors';

const decode = (part: string | undefined): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
};

/** Whether `authorization` carries a JWT of the application, signed RS256 and not expired. */
function authorized(
  authorization: string | undefined,
  key: KeyObject,
  applicationId: string,
): boolean {
  const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
  const [head, payload, signature] = token?.split('.') ?? [];
  const header = decode(head);
  const claims = decode(payload);
  if (header?.['alg'] !== 'RS256' || claims === undefined || signature === undefined) return false;
  const signed = Buffer.from(`${head ?? ''}.${payload ?? ''}`);
  if (!verify('sha256', signed, key, Buffer.from(signature, 'base64url'))) return false;
  const nowS = Date.now() / 1000;
  const exp = typeof claims['exp'] === 'number' ? claims['exp'] : Number(claims['iat']) + 900;
  return claims['application_id'] === applicationId && exp > nowS;
}

/** The WebSocket endpoint of an NCCO's `connect`. */
function websocketOf(
  ncco: unknown,
): { uri: string; contentType: VonageContentType; headers: Record<string, unknown> } | undefined {
  const actions = Array.isArray(ncco) ? (ncco as Record<string, unknown>[]) : [];
  const connect = actions.find((a) => a['action'] === 'connect');
  const endpoint = (Array.isArray(connect?.['endpoint']) ? connect['endpoint'][0] : undefined) as
    Record<string, unknown> | undefined;
  if (endpoint?.['type'] !== 'websocket' || typeof endpoint['uri'] !== 'string') return undefined;
  const declared = endpoint['content-type'];
  return {
    uri: endpoint['uri'],
    contentType: (VONAGE_CONTENT_TYPES as readonly unknown[]).includes(declared)
      ? (declared as VonageContentType)
      : 'audio/l16;rate=16000',
    headers: (endpoint['headers'] ?? {}) as Record<string, unknown>,
  };
}

/**
 * Vonage as a {@link FakeCarrierApi}, for `startCarrierApiServer({ carriers: [...] })`.
 *
 * @example
 * const carrier = await startCarrierApiServer({ carriers: [createVonageApi({ applicationId, publicKey, signatureSecret })], dial, rewrite });
 */
export function createVonageApi(o: VonageApiOptions): FakeCarrierApi {
  const key = typeof o.publicKey === 'string' ? createPublicKey(o.publicKey) : o.publicKey;
  const signer = createVonageSigner(o.signatureSecret, o.applicationId);

  const event = async (
    tools: FakeCarrierTools,
    url: string | undefined,
    data: Record<string, unknown>,
  ): Promise<void> => {
    if (url === undefined) return;
    const body = JSON.stringify({ ...data, timestamp: new Date().toISOString() });
    await fetch(tools.rewrite(url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signer.headers(body, Date.now() / 1000) },
      body,
    });
  };

  const run = async (
    tools: FakeCarrierTools,
    body: Record<string, unknown>,
    call: Record<string, unknown>,
  ): Promise<void> => {
    const urls = body['event_url'];
    const eventUrl = Array.isArray(urls) && typeof urls[0] === 'string' ? urls[0] : undefined;
    for (const status of ['started', 'ringing', 'answered'])
      await event(tools, eventUrl, { ...call, status });
    const ws = websocketOf(body['ncco']);
    if (ws === undefined) return;
    const socket = await tools.dial(tools.rewrite(ws.uri));
    const script = createVonageClientScript({ contentType: ws.contentType, headers: ws.headers });
    const id = String(call['uuid']);
    tools.place({ carrier: 'vonage', id, request: body, socket, vonage: script }, async () => {
      socket.close();
      await event(tools, eventUrl, { ...call, status: 'completed', duration: '1' });
    });
    socket.send(script.connected());
    if (body['machine_detection'] !== undefined) {
      const machine = tools.answeredBy.startsWith('machine');
      await event(tools, eventUrl, { ...call, status: machine ? 'machine' : 'human' });
    }
  };

  const create = (r: FakeCarrierRequest, tools: FakeCarrierTools): void => {
    const bad = (name: string, reason: string): void =>
      r.reply(400, {
        type: `${ERRORS}#bad-request`,
        title: 'Bad Request',
        detail: 'The request failed due to validation errors',
        invalid_parameters: [{ name, reason }],
      });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(r.body) as Record<string, unknown>;
    } catch {
      return bad('body', 'Malformed JSON');
    }
    const to = (Array.isArray(body['to']) ? body['to'][0] : undefined) as
      Record<string, unknown> | undefined;
    const from = body['from'] as Record<string, unknown> | undefined;
    if (to?.['type'] !== 'phone' || !/^\d{7,15}$/.test(String(to['number'])))
      return bad('to', 'Expected a phone endpoint with a number of 7 to 15 digits');
    if (from?.['type'] !== 'phone' || !/^\d{7,15}$/.test(String(from['number'])))
      return bad('from', 'Expected a phone endpoint with a number of 7 to 15 digits');
    if (!Array.isArray(body['ncco']) && !Array.isArray(body['answer_url']))
      return bad('ncco', 'Either ncco or answer_url must be present');
    const call = {
      uuid: randomUUID(),
      conversation_uuid: `CON-${randomUUID()}`,
      direction: 'outbound',
      to: to['number'],
      from: from['number'],
    };
    r.reply(201, {
      uuid: call.uuid,
      status: 'started',
      direction: 'outbound',
      conversation_uuid: call.conversation_uuid,
    });
    tools.background(run(tools, body, call));
  };

  return {
    handle: (r, tools) => {
      const m = /^\/v1\/calls(?:\/([^/]+))?$/.exec(r.path);
      if (m === null) return false;
      if (r.fault !== undefined) {
        r.reply(r.fault.status, { type: `${ERRORS}#internal-error`, title: r.fault.message });
        return true;
      }
      if (!authorized(r.headers.authorization, key, o.applicationId)) {
        r.reply(401, {
          type: `${ERRORS}#unauthorized`,
          title: 'Unauthorized',
          detail: 'You did not provide correct credentials.',
          instance: randomUUID(),
        });
        return true;
      }
      const id = m[1];
      if (id === undefined && r.method === 'POST') create(r, tools);
      else if (id !== undefined && r.method === 'PUT') {
        let action: unknown;
        try {
          action = (JSON.parse(r.body) as { action?: unknown }).action;
        } catch {
          action = undefined;
        }
        const call = tools.live.get(id);
        if (call === undefined)
          r.reply(404, {
            type: `${ERRORS}#not-found`,
            title: 'Not Found',
            detail: `Call ${id} was not found`,
          });
        else if (action !== 'hangup')
          r.reply(400, {
            type: `${ERRORS}#bad-request`,
            title: 'Bad Request',
            detail: 'Unsupported action',
          });
        else {
          tools.live.delete(id);
          r.reply(204);
          call.hangUp();
        }
      } else r.reply(405, { type: `${ERRORS}#method-not-allowed`, title: 'Method Not Allowed' });
      return true;
    },
  };
}
