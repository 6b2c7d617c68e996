/**
 * Plivo's Voice API in the local fake carrier, as Plivo documents it: make a call (`POST
 * /v1/Account/{auth_id}/Call/`, HTTP Basic auth with the Auth ID and Auth Token — a wrong
 * one is a 401 —, JSON `from`/`to`/`answer_url`, `201 {api_id, message: "call fired",
 * request_uuid}`), hang up (`DELETE …/Call/{call_uuid}/`, 204; 404 for a call not live) and
 * cancel (`DELETE …/Request/{request_uuid}/`). A call placed then does what Plivo does: posts
 * `ring_url` (`CallStatus=ringing`), fetches `answer_url` (`in-progress`) and follows its
 * `<Stream>` with a scripted Plivo client, reports machine detection to
 * `machine_detection_url` (`Machine=true|false`) when asked, and on hang-up closes the
 * stream and posts `hangup_url` (`completed`) — every callback form-encoded and signed V3.
 */
import { randomUUID } from 'node:crypto';
import { PLIVO_CONTENT_TYPES } from '../plivo/messages.js';
import type { PlivoContentType } from '../plivo/messages.js';
import type { FakeCarrierApi, FakeCarrierRequest, FakeCarrierTools } from './fake-carrier.js';
import { createPlivoClientScript, createPlivoSigner } from './plivo-client.js';

/** The account the fake Plivo serves. */
export interface PlivoApiOptions {
  readonly authId: string;
  readonly authToken: string;
}

const unescapeXml = (v: string): string =>
  v.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) =>
    e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : "'",
  );

/** The `<Stream>` of an answer's Plivo XML: its URL and content type. */
function streamOf(xml: string): { url: string; contentType: PlivoContentType } | undefined {
  const m = /<Stream\b([^>]*)>([^<]+)<\/Stream>/.exec(xml);
  if (m === null) return undefined;
  const declared = unescapeXml(/\scontentType="([^"]*)"/.exec(m[1] ?? '')?.[1] ?? '');
  const contentType = (PLIVO_CONTENT_TYPES as readonly string[]).includes(declared)
    ? (declared as PlivoContentType)
    : 'audio/x-mulaw;rate=8000';
  return { url: unescapeXml((m[2] ?? '').trim()), contentType };
}

/**
 * Plivo as a {@link FakeCarrierApi}, for `startCarrierApiServer({ carriers: [...] })`.
 *
 * @example
 * const carrier = await startCarrierApiServer({ carriers: [createPlivoApi({ authId, authToken })], dial, rewrite });
 */
export function createPlivoApi(o: PlivoApiOptions): FakeCarrierApi {
  const signer = createPlivoSigner(o.authToken);
  const expected = `Basic ${Buffer.from(`${o.authId}:${o.authToken}`).toString('base64')}`;
  /** Calls asked for and not answered yet, by request_uuid. */
  const pending = new Map<string, { cancelled: boolean }>();
  /** request_uuid of each connected call, by CallUUID. */
  const connected = new Map<string, string>();

  const post = async (
    tools: FakeCarrierTools,
    url: string | undefined,
    form: Record<string, string>,
  ): Promise<string> => {
    if (url === undefined) return '';
    const body = new URLSearchParams(form).toString();
    const res = await fetch(tools.rewrite(url), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...signer.headers('POST', url, body),
      },
      body,
    });
    return res.text();
  };

  const run = async (
    tools: FakeCarrierTools,
    body: Record<string, unknown>,
    requestUuid: string,
  ): Promise<void> => {
    const text = (k: string): string | undefined =>
      typeof body[k] === 'string' ? body[k] : undefined;
    const callUuid = randomUUID();
    const base = {
      CallUUID: callUuid,
      RequestUUID: requestUuid,
      ALegUUID: callUuid,
      ALegRequestUUID: requestUuid,
      From: text('from') ?? '',
      To: text('to') ?? '',
      Direction: 'outbound',
    };
    const hangupUrl = text('hangup_url');
    await post(tools, text('ring_url'), { ...base, CallStatus: 'ringing', Event: 'Ring' });
    const request = pending.get(requestUuid);
    pending.delete(requestUuid);
    if (request?.cancelled !== false) {
      await post(tools, hangupUrl, {
        ...base,
        CallStatus: 'cancel',
        HangupCause: 'ORIGINATOR_CANCEL',
        Event: 'Hangup',
      });
      return;
    }
    const xml = await post(tools, text('answer_url'), {
      ...base,
      CallStatus: 'in-progress',
      Event: 'StartApp',
    });
    const stream = streamOf(xml);
    if (stream === undefined) return;
    const socket = await tools.dial(tools.rewrite(stream.url));
    const script = createPlivoClientScript({ callId: callUuid, contentType: stream.contentType });
    connected.set(callUuid, requestUuid);
    tools.place({ carrier: 'plivo', id: requestUuid, request: body, socket, plivo: script }, () => {
      socket.close();
      return post(tools, hangupUrl, {
        ...base,
        CallStatus: 'completed',
        HangupCause: 'NORMAL_CLEARING',
        Duration: '1',
        BillDuration: '60',
        Event: 'Hangup',
      }).then(() => undefined);
    });
    socket.send(script.start());
    if (text('machine_detection') !== undefined) {
      await post(tools, text('machine_detection_url'), {
        ...base,
        Machine: tools.answeredBy.startsWith('machine') ? 'true' : 'false',
        IfMachine: text('machine_detection') === 'hangup' ? 'hangup' : 'continue',
        Event: 'MachineDetection',
        CallStatus: 'in-progress',
      });
    }
  };

  const create = (r: FakeCarrierRequest, tools: FakeCarrierTools): void => {
    const apiId = randomUUID();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(r.body) as Record<string, unknown>;
    } catch {
      return r.reply(400, { api_id: apiId, error: 'invalid JSON in the request body' });
    }
    const missing = ['from', 'to', 'answer_url'].filter(
      (k) => typeof body[k] !== 'string' || body[k] === '',
    );
    if (missing.length > 0)
      return r.reply(400, { api_id: apiId, error: `${missing.join(', ')} must be present` });
    if (!/^(\d{7,15}|sip:.+)$/.test(String(body['to'])))
      return r.reply(400, { api_id: apiId, error: 'invalid to number' });
    const requestUuid = randomUUID();
    pending.set(requestUuid, { cancelled: false });
    r.reply(201, { api_id: apiId, message: 'call fired', request_uuid: requestUuid });
    tools.background(run(tools, body, requestUuid));
  };

  return {
    handle: (r, tools) => {
      const m = /^\/v1\/Account\/([^/]+)\/(Call|Request)\/(?:([^/]+)\/)?$/.exec(r.path);
      if (m === null) return false;
      const apiId = randomUUID();
      if (r.fault !== undefined) {
        r.reply(r.fault.status, { api_id: apiId, error: r.fault.message });
        return true;
      }
      if (r.headers.authorization !== expected || m[1] !== o.authId) {
        r.reply(401, { api_id: apiId, error: 'Authentication credentials invalid' });
        return true;
      }
      const [, , kind, id] = m;
      if (kind === 'Call' && id === undefined && r.method === 'POST') create(r, tools);
      else if (kind === 'Call' && id !== undefined && r.method === 'DELETE') {
        const requestUuid = connected.get(id);
        const call = requestUuid === undefined ? undefined : tools.live.get(requestUuid);
        if (requestUuid === undefined || call === undefined) {
          r.reply(404, { api_id: apiId, error: 'not found' });
        } else {
          tools.live.delete(requestUuid);
          connected.delete(id);
          r.reply(204);
          call.hangUp();
        }
      } else if (kind === 'Request' && id !== undefined && r.method === 'DELETE') {
        const request = pending.get(id);
        if (request === undefined) r.reply(404, { api_id: apiId, error: 'not found' });
        else {
          request.cancelled = true;
          r.reply(204);
        }
      } else r.reply(405, { api_id: apiId, error: 'method not allowed' });
      return true;
    },
  };
}
