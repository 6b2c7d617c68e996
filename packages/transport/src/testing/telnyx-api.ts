/**
 * Telnyx's Call Control API in the local fake carrier, as Telnyx documents it: dial (`POST
 * /v2/calls`, Bearer auth with the API key — a wrong one is a 401 `10009` —, JSON
 * `connection_id`/`to`/`from`, `200 {data: {call_control_id, …}}`) and hang up (`POST
 * /v2/calls/{id}/actions/hangup`; 422 `90018` for a call that has ended), errors as
 * `{errors: [{code, title, detail}]}`. A call placed then does what Telnyx does: posts
 * signed `call.initiated` and `call.answered` events to `webhook_url`, opens `stream_url`
 * with a scripted Telnyx client, reports `call.machine.detection.ended` when detection was
 * asked, and on hang-up stops the stream and posts `call.hangup`.
 */
import { randomUUID } from 'node:crypto';
import type { TelnyxCodec } from '../telnyx/media-stream.js';
import type { FakeCarrierApi, FakeCarrierRequest, FakeCarrierTools } from './fake-carrier.js';
import { createTelnyxClientScript } from './telnyx-client.js';
import type { TelnyxSigner } from './telnyx-client.js';

/** The account the fake Telnyx serves. */
export interface TelnyxApiOptions {
  readonly apiKey: string;
  /** Signs the call-event webhooks. */
  readonly signer: TelnyxSigner;
  /** The codec the scripted media client streams (default `PCMU`). */
  readonly codec?: TelnyxCodec;
}

/**
 * Telnyx as a {@link FakeCarrierApi}; `startCarrierApiServer` plugs it in for its `telnyx`
 * option.
 */
export function createTelnyxApi(o: TelnyxApiOptions): FakeCarrierApi {
  const event = async (
    tools: FakeCarrierTools,
    url: string | undefined,
    type: string,
    payload: Record<string, unknown>,
  ): Promise<void> => {
    if (url === undefined) return;
    const body = JSON.stringify({
      data: {
        record_type: 'event',
        event_type: type,
        id: randomUUID(),
        occurred_at: new Date().toISOString(),
        payload,
      },
      meta: { attempt: 1, delivered_to: url },
    });
    await fetch(tools.rewrite(url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...o.signer.headers(body, Date.now() / 1000) },
      body,
    });
  };

  const dial = async (
    tools: FakeCarrierTools,
    body: Record<string, unknown>,
    id: string,
  ): Promise<void> => {
    const text = (k: string): string | undefined =>
      typeof body[k] === 'string' ? body[k] : undefined;
    const webhook = text('webhook_url');
    const payload = {
      call_control_id: id,
      connection_id: text('connection_id'),
      client_state: text('client_state'),
      from: text('from'),
      to: text('to'),
      direction: 'outgoing',
    };
    await event(tools, webhook, 'call.initiated', { ...payload, state: 'bridging' });
    await event(tools, webhook, 'call.answered', payload);
    const socket = await tools.dial(tools.rewrite(text('stream_url') ?? ''));
    const clientState = text('client_state');
    const script = createTelnyxClientScript({
      callControlId: id,
      codec: o.codec ?? 'PCMU',
      ...(clientState === undefined ? {} : { clientState }),
    });
    tools.place({ carrier: 'telnyx', id, request: body, socket, telnyx: script }, async () => {
      socket.send(script.stop());
      socket.close();
      await event(tools, webhook, 'call.hangup', {
        ...payload,
        hangup_cause: 'normal_clearing',
        hangup_source: 'caller',
      });
    });
    socket.send(script.connected());
    socket.send(script.start());
    if (text('answering_machine_detection') !== undefined) {
      await event(tools, webhook, 'call.machine.detection.ended', {
        ...payload,
        result: tools.answeredBy,
      });
    }
  };

  const create = (r: FakeCarrierRequest, tools: FakeCarrierTools): void => {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(r.body) as Record<string, unknown>;
    } catch {
      return error(r, 400, '10015', 'Invalid JSON');
    }
    if (
      typeof body['connection_id'] !== 'string' ||
      typeof body['to'] !== 'string' ||
      typeof body['from'] !== 'string'
    )
      return error(r, 422, '10032', 'connection_id, to and from are required');
    const created = `v3:${tools.nextNumber().toString(36)}_${randomUUID()}`;
    r.reply(200, {
      data: {
        call_control_id: created,
        call_leg_id: randomUUID(),
        call_session_id: randomUUID(),
        is_alive: false,
        record_type: 'call',
      },
    });
    tools.background(dial(tools, body, created));
  };

  return {
    handle: (r, tools) => {
      const m = /^\/v2\/calls(?:\/([^/]+)\/actions\/hangup)?$/.exec(r.path);
      if (m === null) return false;
      if (r.fault !== undefined) error(r, r.fault.status, '90000', r.fault.message);
      else if (r.headers.authorization !== `Bearer ${o.apiKey}`)
        error(r, 401, '10009', 'Authentication failed');
      else if (m[1] === undefined) create(r, tools);
      else {
        const id = decodeURIComponent(m[1]);
        const call = tools.live.get(id);
        if (call === undefined) error(r, 422, '90018', 'Call has already ended');
        else {
          tools.live.delete(id);
          r.reply(200, { data: { result: 'ok' } });
          call.hangUp();
        }
      }
      return true;
    },
  };
}

/** Answers with an error the way Telnyx writes one. */
function error(r: FakeCarrierRequest, status: number, code: string, title: string): void {
  r.reply(status, { errors: [{ code, title, detail: title }] });
}
