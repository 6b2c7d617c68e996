/**
 * A local server speaking the part of carriers' REST APIs outbound calls use, the way
 * they document it, and then acting as the carrier does: it posts signed status callbacks
 * / call events (ringing, answered, an answering-machine result when asked, completed),
 * opens the media stream the call was told to open with a scripted carrier client, and
 * stops it on hang-up. Errors as each carrier writes them; a test can make the next
 * requests fail. Each carrier plugs in as a {@link FakeCarrierApi}: Twilio's and Telnyx's
 * (`twilio-api.ts`, `telnyx-api.ts`) through their options, more through `carriers`
 * (Plivo's and Vonage's in `plivo-api.ts`, `vonage-api.ts`).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TelnyxCodec } from '../telnyx/media-stream.js';
import type {
  CarrierApiFault,
  CarrierApiRequest,
  CarrierStreamSocket,
  FakeCarrierApi,
  FakeCarrierCall,
} from './fake-carrier.js';
import { createTelnyxApi } from './telnyx-api.js';
import type { TelnyxSigner } from './telnyx-client.js';
import { createTwilioApi } from './twilio-api.js';

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

  const carriers: readonly FakeCarrierApi[] = [
    ...(o.twilio === undefined ? [] : [createTwilioApi(o.twilio)]),
    ...(o.telnyx === undefined ? [] : [createTelnyxApi(o.telnyx)]),
    ...(o.carriers ?? []),
  ];
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
    const request = { method: req.method ?? '', path, headers: req.headers, body: raw, fault };
    const reply = (status: number, body?: unknown): void => {
      if (body === undefined) res.writeHead(status).end();
      else json(res, status, body);
    };
    for (const carrier of carriers) if (carrier.handle({ ...request, reply }, tools)) return;
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
