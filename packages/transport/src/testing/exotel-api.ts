/**
 * A local server speaking the part of Exotel's Voice v1 API outbound calls use, the way
 * Exotel documents it — `POST /v1/Accounts/{sid}/Calls/connect.json`, HTTP Basic auth with
 * the API key and token (401 otherwise), form-encoded `From`/`CallerId` and `StreamUrl` +
 * `StreamType=bidirectional` (or a flow's `Url`), 200 with `{"Call": {"Sid", "Status", …}}`,
 * refusals as `{"RestException": {"Status", "Message"}}` — and then acting as Exotel does:
 * the `answered` status callback, the AgentStream WebSocket to `StreamUrl` (its query echoed
 * as `start.custom_parameters`) driven by a scripted Exotel client, and, once the call is
 * over, the `terminal` status callback (multipart form data, as Exotel posts it; credentials
 * written into the callback URL sent as Basic auth). Exotel documents no REST hang-up: the
 * call ends when the bot closes the stream, or when the test hangs up as the caller.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CarrierApiFault, CarrierApiRequest, CarrierStreamSocket } from './carrier-api.js';
import { createExotelClientScript } from './exotel-client.js';
import type { ExotelClientScript } from './exotel-client.js';

/** The media-stream connection, which also reports being closed (by either side). */
export interface ExotelStreamSocket extends CarrierStreamSocket {
  onClose(listener: () => void): void;
}

/** One call the fake placed. */
export interface FakeExotelCall {
  /** Exotel's `Call.Sid`. */
  readonly id: string;
  /** The connect request's form fields. */
  readonly request: Readonly<Record<string, string>>;
  /** Undefined when the call was not answered (see `outcome`). */
  readonly socket: ExotelStreamSocket | undefined;
  readonly exotel: ExotelClientScript | undefined;
  /** Texts the bot sent on the stream, in order. */
  readonly received: string[];
  /** The bot closed the stream: the call is over. */
  readonly endedByBot: boolean;
  /** The call is over (the terminal status callback has been posted). */
  readonly over: boolean;
  /** Resolves once `pred` holds (checked on every message from the bot and at the call's end). */
  until(pred: () => boolean): Promise<void>;
  /** The person hangs up: `stop`, the stream closed, the terminal callback. */
  hangUp(): Promise<void>;
}

/** Options of {@link startExotelApiServer}. */
export interface ExotelApiServerOptions {
  readonly accountSid: string;
  readonly apiKey: string;
  readonly apiToken: string;
  /** Opens a WebSocket to `url` (what Exotel's media side does). */
  readonly dial: (url: string) => Promise<ExotelStreamSocket>;
  /** Maps a URL the server gave (its public URL) to where it listens. */
  readonly rewrite: (url: string) => string;
  /** How the next calls end up: answered (default) or Exotel's terminal status without an answer. */
  readonly outcome?: 'answered' | 'no-answer' | 'busy' | 'failed';
}

/** The running fake. */
export interface ExotelApiServer {
  /** Base URL (use as `telephony.exotel.api_base_url`). */
  readonly url: string;
  readonly requests: CarrierApiRequest[];
  readonly calls: FakeExotelCall[];
  /** The next call placed (or the first not yet taken). */
  nextCall(): Promise<FakeExotelCall>;
  /** The next requests fail this way (one fault per request, in order). */
  fail(fault: CarrierApiFault): void;
  close(): Promise<void>;
}

function restException(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ RestException: { Status: status, Message: message } }));
}

/** Exotel's time format: `YYYY-MM-DD HH:mm:ss`. */
const exotelTime = (): string => new Date().toISOString().slice(0, 19).replace('T', ' ');

/**
 * Starts the fake on a free loopback port for one account.
 *
 * @example
 * const exotel = await startExotelApiServer({ accountSid, apiKey, apiToken, dial, rewrite });
 * // POST /api/v1/calls {carrier: 'exotel'} … then:
 * const call = await exotel.nextCall();
 */
export async function startExotelApiServer(o: ExotelApiServerOptions): Promise<ExotelApiServer> {
  const requests: CarrierApiRequest[] = [];
  const calls: FakeExotelCall[] = [];
  const faults: CarrierApiFault[] = [];
  const takers: ((call: FakeExotelCall) => void)[] = [];
  let taken = 0;
  let counter = 0;
  const expected = `Basic ${Buffer.from(`${o.apiKey}:${o.apiToken}`).toString('base64')}`;

  const deliver = (call: FakeExotelCall): void => {
    calls.push(call);
    const taker = takers.shift();
    if (taker !== undefined) {
      taken++;
      taker(call);
    }
  };

  /** Posts a status callback as Exotel does (multipart form data; URL credentials as Basic auth). */
  const callback = async (url: string | undefined, fields: Record<string, string>) => {
    if (url === undefined) return;
    const target = new URL(o.rewrite(url));
    const headers: Record<string, string> = {};
    if (target.username !== '') {
      const user = decodeURIComponent(target.username);
      const password = decodeURIComponent(target.password);
      headers['authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      target.username = '';
      target.password = '';
    }
    const body = new FormData();
    for (const [k, v] of Object.entries(fields)) body.append(k, v);
    await fetch(target, { method: 'POST', headers, body });
  };

  const place = async (form: Record<string, string>, sid: string): Promise<void> => {
    const status = form['StatusCallback'];
    const base = {
      CallSid: sid,
      From: form['From'] ?? '',
      To: form['CallerId'] ?? '',
      Direction: 'outbound-api',
      DateCreated: exotelTime(),
      PhoneNumberSid: form['CallerId'] ?? '',
      CustomField: form['CustomField'] ?? '',
    };
    const waiters: (() => void)[] = [];
    const wake = (): void => {
      for (const w of waiters.splice(0)) w();
    };
    const received: string[] = [];
    let over = false;
    let endedByBot = false;
    const media: { socket?: ExotelStreamSocket; script?: ExotelClientScript } = {};
    const terminal = async (Status: string): Promise<void> => {
      if (over) return;
      over = true;
      wake();
      await callback(status, {
        ...base,
        Status,
        EventType: 'terminal',
        DateUpdated: exotelTime(),
        ConversationDuration: Status === 'completed' ? '1' : '0',
        RecordingUrl: '',
      });
      wake();
    };
    let callerHungUp = false;
    const call: FakeExotelCall = {
      id: sid,
      request: form,
      get socket() {
        return media.socket;
      },
      get exotel() {
        return media.script;
      },
      received,
      get endedByBot() {
        return endedByBot;
      },
      get over() {
        return over;
      },
      until: async (pred) => {
        while (!pred()) await new Promise<void>((resolve) => waiters.push(resolve));
      },
      hangUp: async () => {
        callerHungUp = true;
        if (media.socket !== undefined && media.script !== undefined) {
          media.socket.send(media.script.stop('callended'));
          media.socket.close();
        }
        await terminal('completed');
      },
    };
    const outcome = o.outcome ?? 'answered';
    if (outcome !== 'answered') {
      deliver(call);
      await terminal(outcome);
      return;
    }
    await callback(status, { ...base, Status: 'in-progress', EventType: 'answered' });
    const streamUrl = new URL(form['StreamUrl'] ?? '');
    const customParameters = Object.fromEntries(streamUrl.searchParams);
    const socket = await o.dial(o.rewrite(streamUrl.toString()));
    const script = createExotelClientScript({
      callSid: sid,
      accountSid: o.accountSid,
      from: form['From'] ?? '',
      to: form['CallerId'] ?? '',
      customParameters,
      sampleRate: customParameters['sample-rate'] === '16000' ? 16000 : 8000,
    });
    media.socket = socket;
    media.script = script;
    socket.onMessage((text) => {
      received.push(text);
      wake();
    });
    // The bot closing the stream ends the call (Connect Voice AI has nothing after the stream).
    socket.onClose(() => {
      if (!callerHungUp) endedByBot = true;
      void terminal('completed').catch(() => undefined);
    });
    deliver(call);
    socket.send(script.connected());
    socket.send(script.start());
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
    if (fault !== undefined) return restException(res, fault.status, fault.message);
    const m = /^\/v1\/Accounts\/([^/]+)\/Calls\/connect(\.json)?$/.exec(path);
    if (m === null || req.method !== 'POST') return restException(res, 404, 'Not Found');
    if (req.headers.authorization !== expected || m[1] !== o.accountSid)
      return restException(res, 401, 'Authentication is required to view this resource.');
    const form = Object.fromEntries(new URLSearchParams(raw));
    if (!form['From'] || !form['CallerId'])
      return restException(res, 400, 'From and CallerId are mandatory');
    if (form['Url'] === undefined && form['StreamUrl'] === undefined)
      return restException(res, 400, 'Either Url or StreamUrl is mandatory');
    if (form['StreamUrl'] !== undefined && form['StreamType'] !== 'bidirectional')
      return restException(res, 400, 'StreamType must be bidirectional');
    const sid = `${(++counter).toString(16).padStart(8, '0')}a1b2c3d4e5f6a7b8c9d0e1f2`;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        Call: {
          Sid: sid,
          ParentCallSid: null,
          DateCreated: exotelTime(),
          DateUpdated: exotelTime(),
          AccountSid: o.accountSid,
          To: form['CallerId'],
          From: form['From'],
          PhoneNumberSid: form['CallerId'],
          Status: 'in-progress',
          Direction: 'outbound-api',
          Uri: `/v1/Accounts/${o.accountSid}/Calls/${sid}.json`,
        },
      }),
    );
    place(form, sid).catch(() => undefined);
  };

  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => handle(req, res, body));
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
    fail: (fault) => faults.push(fault),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
