/**
 * A local server speaking the part of Twilio's and Telnyx's REST APIs outbound calls use,
 * the way they document it — Twilio: `POST /2010-04-01/Accounts/{sid}/Calls.json` (Basic
 * auth, form `To`/`From`/`Twiml`, 201 with the call) and `POST …/Calls/{sid}.json` with
 * `Status=completed`; Telnyx: `POST /v2/calls` (Bearer auth, JSON, `{data: {call_control_id,
 * …}}`) and `POST /v2/calls/{id}/actions/hangup` — and then acting as the carrier does: it
 * posts signed status callbacks / call events (ringing, answered, an answering-machine
 * result when asked, completed), opens the media stream the call was told to open with a
 * scripted carrier client, and stops it on hang-up. Errors as each carrier writes them;
 * a test can make the next requests fail. More carriers plug in as {@link FakeCarrierApi}s
 * (Plivo's and Vonage's in `plivo-api.ts`, `vonage-api.ts`).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { twilioSignature } from '../twilio/signature.js';
import type { TelnyxCodec } from '../telnyx/media-stream.js';
import type {
  CarrierApiFault,
  CarrierApiRequest,
  CarrierStreamSocket,
  FakeCarrierApi,
  FakeCarrierCall,
} from './fake-carrier.js';
import { createTelnyxClientScript } from './telnyx-client.js';
import type { TelnyxSigner } from './telnyx-client.js';
import { createTwilioClientScript } from './twilio-client.js';

export type {
  CarrierApiFault,
  CarrierApiRequest,
  CarrierStreamSocket,
  FakeCarrierCall,
} from './fake-carrier.js';

/** Options of {@link startCarrierApiServer}. */
export interface CarrierApiServerOptions {
  readonly twilio?: { readonly accountSid: string; readonly authToken: string };
  readonly telnyx?: {
    readonly apiKey: string;
    readonly signer: TelnyxSigner;
    readonly codec?: TelnyxCodec;
  };
  /** Opens a WebSocket to `url` (what the carrier's media side does). */
  readonly dial: (url: string) => Promise<CarrierStreamSocket>;
  /** Maps a URL the server gave (its public URL) to where it listens. */
  readonly rewrite: (url: string) => string;
  /** The answering-machine result reported when detection is asked (default `human`). */
  readonly answeredBy?: string;
  /** More carriers the fake speaks. */
  readonly carriers?: readonly FakeCarrierApi[];
}

/** The running fake. */
export interface CarrierApiServer {
  /** Base URL (use as the carriers' API base URL). */
  readonly url: string;
  readonly requests: CarrierApiRequest[];
  readonly calls: FakeCarrierCall[];
  /** The next call placed (or the first not yet taken). */
  nextCall(): Promise<FakeCarrierCall>;
  /** Resolves once `pred` holds for the requests received (checked as each one is answered). */
  untilRequests(pred: (requests: readonly CarrierApiRequest[]) => boolean): Promise<void>;
  /** The next requests fail this way (one fault per request, in order). */
  fail(fault: CarrierApiFault): void;
  close(): Promise<void>;
}

const twiml = (xml: string): { url: string; parameters: Record<string, string> } => {
  const unescape = (v: string): string =>
    v.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) =>
      e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : "'",
    );
  const url = /<Stream[^>]*\surl="([^"]+)"/.exec(xml)?.[1] ?? '';
  const parameters: Record<string, string> = {};
  for (const m of xml.matchAll(/<Parameter name="([^"]*)" value="([^"]*)"\s*\/>/g))
    parameters[unescape(m[1] ?? '')] = unescape(m[2] ?? '');
  return { url: unescape(url), parameters };
};

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * Starts the fake on a free loopback port.
 *
 * @example
 * const carrier = await startCarrierApiServer({ twilio: { accountSid, authToken }, dial, rewrite });
 * // POST /api/v1/calls … then:
 * const call = await carrier.nextCall();
 */
export async function startCarrierApiServer(o: CarrierApiServerOptions): Promise<CarrierApiServer> {
  const requests: CarrierApiRequest[] = [];
  const calls: FakeCarrierCall[] = [];
  const live = new Map<string, { hangUp(): void }>();
  const faults: CarrierApiFault[] = [];
  const takers: ((call: FakeCarrierCall) => void)[] = [];
  let taken = 0;
  let counter = 0;
  const background = (work: Promise<unknown>): void => {
    work.catch(() => undefined);
  };

  const place = (
    call: Omit<FakeCarrierCall, 'hungUp' | 'until' | 'received' | 'frames'>,
    onHangUp: () => Promise<void>,
  ): void => {
    const waiters: (() => void)[] = [];
    const received: string[] = [];
    const frames: (string | Uint8Array)[] = [];
    let hungUp = false;
    const wake = (): void => {
      for (const w of waiters.splice(0)) w();
    };
    const full: FakeCarrierCall = {
      ...call,
      received,
      frames,
      get hungUp() {
        return hungUp;
      },
      until: async (pred) => {
        while (!pred()) await new Promise<void>((resolve) => waiters.push(resolve));
      },
    };
    call.socket.onMessage((text) => {
      received.push(text);
      frames.push(text);
      wake();
    });
    call.socket.onBinary?.((data) => {
      frames.push(data);
      wake();
    });
    live.set(call.id, {
      hangUp: () => {
        hungUp = true;
        wake();
        background(onHangUp());
      },
    });
    calls.push(full);
    const taker = takers.shift();
    if (taker !== undefined) {
      taken++;
      taker(full);
    }
  };

  const postForm = async (
    url: string,
    form: Record<string, string>,
    authToken: string,
  ): Promise<void> => {
    await fetch(o.rewrite(url), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(authToken, url, form),
      },
      body: new URLSearchParams(form).toString(),
    });
  };

  const twilioCreate = async (form: Record<string, string>, sid: string): Promise<void> => {
    const t = o.twilio;
    if (t === undefined) return;
    const base = {
      AccountSid: t.accountSid,
      CallSid: sid,
      From: form['From'] ?? '',
      To: form['To'] ?? '',
      Direction: 'outbound-api',
    };
    const status = form['StatusCallback'];
    for (const CallStatus of ['initiated', 'ringing', 'in-progress']) {
      if (status !== undefined) await postForm(status, { ...base, CallStatus }, t.authToken);
    }
    const stream = twiml(form['Twiml'] ?? '');
    const socket = await o.dial(o.rewrite(stream.url));
    const script = createTwilioClientScript({
      callSid: sid,
      accountSid: t.accountSid,
      customParameters: stream.parameters,
    });
    place({ carrier: 'twilio', id: sid, request: form, socket, twilio: script }, async () => {
      socket.send(script.stop());
      socket.close();
      if (status !== undefined)
        await postForm(
          status,
          { ...base, CallStatus: 'completed', CallDuration: '1' },
          t.authToken,
        );
    });
    socket.send(script.connected());
    socket.send(script.start());
    const amd = form['AsyncAmdStatusCallback'];
    if (form['MachineDetection'] !== undefined && amd !== undefined) {
      await postForm(
        amd,
        { ...base, AnsweredBy: o.answeredBy ?? 'human', MachineDetectionDuration: '1800' },
        t.authToken,
      );
    }
  };

  const telnyxEvent = async (
    url: string | undefined,
    type: string,
    payload: Record<string, unknown>,
  ): Promise<void> => {
    const t = o.telnyx;
    if (url === undefined || t === undefined) return;
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
    await fetch(o.rewrite(url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...t.signer.headers(body, Date.now() / 1000) },
      body,
    });
  };

  const telnyxDial = async (body: Record<string, unknown>, id: string): Promise<void> => {
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
    await telnyxEvent(webhook, 'call.initiated', { ...payload, state: 'bridging' });
    await telnyxEvent(webhook, 'call.answered', payload);
    const socket = await o.dial(o.rewrite(text('stream_url') ?? ''));
    const clientState = text('client_state');
    const script = createTelnyxClientScript({
      callControlId: id,
      codec: o.telnyx?.codec ?? 'PCMU',
      ...(clientState === undefined ? {} : { clientState }),
    });
    place({ carrier: 'telnyx', id, request: body, socket, telnyx: script }, async () => {
      socket.send(script.stop());
      socket.close();
      await telnyxEvent(webhook, 'call.hangup', {
        ...payload,
        hangup_cause: 'normal_clearing',
        hangup_source: 'caller',
      });
    });
    socket.send(script.connected());
    socket.send(script.start());
    if (text('answering_machine_detection') !== undefined) {
      await telnyxEvent(webhook, 'call.machine.detection.ended', {
        ...payload,
        result: o.answeredBy ?? 'human',
      });
    }
  };

  const tools = {
    place,
    background,
    live,
    nextNumber: () => ++counter,
    dial: o.dial,
    rewrite: o.rewrite,
    answeredBy: o.answeredBy ?? 'human',
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    requests.push({
      method: req.method ?? '',
      path,
      authorization: req.headers.authorization,
      body: raw,
    });
    const fault = faults.shift();
    const t = o.twilio;
    const twilioPath = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls(?:\/([^/]+))?\.json$/.exec(path);
    if (twilioPath !== null && t !== undefined) {
      if (fault !== undefined)
        return json(res, fault.status, {
          code: 20500,
          message: fault.message,
          status: fault.status,
        });
      const expected = `Basic ${Buffer.from(`${t.accountSid}:${t.authToken}`).toString('base64')}`;
      if (req.headers.authorization !== expected || twilioPath[1] !== t.accountSid)
        return json(res, 401, { code: 20003, message: 'Authenticate', status: 401 });
      const form = Object.fromEntries(new URLSearchParams(raw));
      const sid = twilioPath[2];
      if (sid === undefined) {
        if (!form['To'] || !form['From'] || form['Twiml'] === undefined)
          return json(res, 400, { code: 21201, message: 'No To, From or Twiml', status: 400 });
        const created = `CA${(++counter).toString(16).padStart(32, '0')}`;
        json(res, 201, {
          sid: created,
          account_sid: t.accountSid,
          status: 'queued',
          to: form['To'],
          from: form['From'],
        });
        background(twilioCreate(form, created));
        return;
      }
      const call = live.get(sid);
      if (call === undefined)
        return json(res, 404, {
          code: 20404,
          message: `The requested resource ${path} was not found`,
          status: 404,
        });
      if (form['Status'] === 'completed') {
        live.delete(sid);
        json(res, 200, { sid, status: 'completed' });
        call.hangUp();
        return;
      }
      return json(res, 400, { code: 21218, message: 'Invalid update', status: 400 });
    }
    const n = o.telnyx;
    const telnyxPath = /^\/v2\/calls(?:\/([^/]+)\/actions\/hangup)?$/.exec(path);
    if (telnyxPath !== null && n !== undefined) {
      const error = (status: number, code: string, title: string): void =>
        json(res, status, { errors: [{ code, title, detail: title }] });
      if (fault !== undefined) return error(fault.status, '90000', fault.message);
      if (req.headers.authorization !== `Bearer ${n.apiKey}`)
        return error(401, '10009', 'Authentication failed');
      const id = telnyxPath[1] === undefined ? undefined : decodeURIComponent(telnyxPath[1]);
      if (id === undefined) {
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          return error(400, '10015', 'Invalid JSON');
        }
        if (
          typeof body['connection_id'] !== 'string' ||
          typeof body['to'] !== 'string' ||
          typeof body['from'] !== 'string'
        )
          return error(422, '10032', 'connection_id, to and from are required');
        const created = `v3:${(++counter).toString(36)}_${randomUUID()}`;
        json(res, 200, {
          data: {
            call_control_id: created,
            call_leg_id: randomUUID(),
            call_session_id: randomUUID(),
            is_alive: false,
            record_type: 'call',
          },
        });
        background(telnyxDial(body, created));
        return;
      }
      const call = live.get(id);
      if (call === undefined) return error(422, '90018', 'Call has already ended');
      live.delete(id);
      json(res, 200, { data: { result: 'ok' } });
      call.hangUp();
      return;
    }
    const request = { method: req.method ?? '', path, headers: req.headers, body: raw, fault };
    const reply = (status: number, body?: unknown): void => {
      if (body === undefined) res.writeHead(status).end();
      else json(res, status, body);
    };
    for (const other of o.carriers ?? []) if (other.handle({ ...request, reply }, tools)) return;
    json(res, 404, { message: 'not found' });
  };

  const requestWaiters: (() => void)[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      handle(req, res, body);
      res.once('finish', () => {
        for (const w of requestWaiters.splice(0)) w();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}`,
    requests,
    calls,
    nextCall: async () => {
      const ready = calls[taken];
      if (ready !== undefined) {
        taken++;
        return ready;
      }
      return new Promise((resolve) => takers.push(resolve));
    },
    untilRequests: async (pred) => {
      while (!pred(requests)) await new Promise<void>((resolve) => requestWaiters.push(resolve));
    },
    fail: (fault) => faults.push(fault),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
