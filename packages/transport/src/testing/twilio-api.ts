/**
 * Twilio's REST API, faked two ways. {@link startTwilioApiServer}: a local HTTP server
 * speaking the part a transfer uses — update a call (`POST
 * /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json`) — the way Twilio does: HTTP
 * Basic auth checked (401 `20003`), form-encoded body with `Twiml`, 200 with the call
 * resource in JSON, 404 `20404` for a call it does not know, and errors as `{code, message,
 * more_info, status}`; a test can make it fail or hang. {@link createTwilioApi}: the part
 * outbound calls use, in the local fake carrier (`carrier-api.ts`) — create a call (`POST
 * …/Calls.json`, form `To`/`From`/`Twiml`, 201 with the call) and hang it up (`POST
 * …/Calls/{sid}.json` with `Status=completed`) — then acting as Twilio does: signed status
 * callbacks (initiated, ringing, in-progress, completed), the TwiML's `<Stream>` opened with
 * a scripted Twilio client, and the answering-machine result when asked.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { twilioSignature } from '../twilio/signature.js';
import type { FakeCarrierApi, FakeCarrierRequest, FakeCarrierTools } from './fake-carrier.js';
import { createTwilioClientScript } from './twilio-client.js';

/** A call update the server received (authenticated or not). */
export interface TwilioApiRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
  /** The form fields of the body. */
  readonly form: Readonly<Record<string, string>>;
}

/** What the server answers next, instead of Twilio's normal answer. */
export type TwilioApiFault =
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly code: number;
      readonly message: string;
    }
  | { readonly kind: 'hang' };

/** The running server. */
export interface TwilioApiServer {
  /** Base URL, e.g. `http://127.0.0.1:43123` (use as the API base). */
  readonly url: string;
  readonly requests: TwilioApiRequest[];
  /** Calls the account has live (updates of others answer 404). */
  readonly calls: Set<string>;
  /** The next requests fail this way (one fault per request, in order). */
  fail(fault: TwilioApiFault): void;
  close(): Promise<void>;
}

function twilioError(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      code,
      message,
      more_info: `https://www.twilio.com/docs/errors/${String(code)}`,
      status,
    }),
  );
}

/**
 * Starts the server on a free loopback port for one account.
 *
 * @example
 * const twilio = await startTwilioApiServer({ accountSid: 'AC…', authToken: 'secret' });
 * twilio.calls.add('CA…');
 */
export async function startTwilioApiServer(opts: {
  readonly accountSid: string;
  readonly authToken: string;
}): Promise<TwilioApiServer> {
  const requests: TwilioApiRequest[] = [];
  const calls = new Set<string>();
  const faults: TwilioApiFault[] = [];
  const hanging: ServerResponse[] = [];
  const expected = `Basic ${Buffer.from(`${opts.accountSid}:${opts.authToken}`).toString('base64')}`;

  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const form = Object.fromEntries(new URLSearchParams(body));
    requests.push({
      method: req.method ?? '',
      path,
      authorization: req.headers.authorization,
      contentType: req.headers['content-type'],
      form,
    });
    const fault = faults.shift();
    if (fault?.kind === 'hang') {
      hanging.push(res);
      return;
    }
    if (fault?.kind === 'status') return twilioError(res, fault.status, fault.code, fault.message);
    if (req.headers.authorization !== expected) {
      return twilioError(res, 401, 20003, 'Authenticate');
    }
    const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\/([^/]+)\.json$/.exec(path);
    if (req.method !== 'POST' || m === null || m[1] !== opts.accountSid || !calls.has(m[2] ?? '')) {
      return twilioError(res, 404, 20404, `The requested resource ${path} was not found`);
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return twilioError(res, 400, 20001, 'Invalid content type');
    }
    if (form['Twiml'] === undefined && form['Url'] === undefined && form['Status'] === undefined) {
      return twilioError(res, 400, 21218, 'Invalid ApplicationSid / no Url, Twiml or Status');
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        sid: m[2],
        account_sid: m[1],
        status: 'in-progress',
        api_version: '2010-04-01',
        uri: path,
      }),
    );
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
    fail: (fault) => faults.push(fault),
    close: async () => {
      for (const res of hanging.splice(0)) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The account the fake carrier's Twilio serves. */
export interface TwilioCarrierOptions {
  readonly accountSid: string;
  readonly authToken: string;
}

/** The `<Stream>` of a call's TwiML: its URL and `<Parameter>`s. */
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

/**
 * Twilio's outbound-call API as a {@link FakeCarrierApi}; `startCarrierApiServer` plugs it
 * in for its `twilio` option.
 */
export function createTwilioApi(t: TwilioCarrierOptions): FakeCarrierApi {
  const expected = `Basic ${Buffer.from(`${t.accountSid}:${t.authToken}`).toString('base64')}`;

  const postForm = async (
    tools: FakeCarrierTools,
    url: string,
    form: Record<string, string>,
  ): Promise<void> => {
    await fetch(tools.rewrite(url), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(t.authToken, url, form),
      },
      body: new URLSearchParams(form).toString(),
    });
  };

  const run = async (
    tools: FakeCarrierTools,
    form: Record<string, string>,
    sid: string,
  ): Promise<void> => {
    const base = {
      AccountSid: t.accountSid,
      CallSid: sid,
      From: form['From'] ?? '',
      To: form['To'] ?? '',
      Direction: 'outbound-api',
    };
    const status = form['StatusCallback'];
    for (const CallStatus of ['initiated', 'ringing', 'in-progress']) {
      if (status !== undefined) await postForm(tools, status, { ...base, CallStatus });
    }
    const stream = twiml(form['Twiml'] ?? '');
    const socket = await tools.dial(tools.rewrite(stream.url));
    const script = createTwilioClientScript({
      callSid: sid,
      accountSid: t.accountSid,
      customParameters: stream.parameters,
    });
    tools.place({ carrier: 'twilio', id: sid, request: form, socket, twilio: script }, async () => {
      socket.send(script.stop());
      socket.close();
      if (status !== undefined)
        await postForm(tools, status, { ...base, CallStatus: 'completed', CallDuration: '1' });
    });
    socket.send(script.connected());
    socket.send(script.start());
    const amd = form['AsyncAmdStatusCallback'];
    if (form['MachineDetection'] !== undefined && amd !== undefined) {
      await postForm(tools, amd, {
        ...base,
        AnsweredBy: tools.answeredBy,
        MachineDetectionDuration: '1800',
      });
    }
  };

  const create = (
    r: FakeCarrierRequest,
    tools: FakeCarrierTools,
    form: Record<string, string>,
  ): void => {
    if (!form['To'] || !form['From'] || form['Twiml'] === undefined)
      return r.reply(400, { code: 21201, message: 'No To, From or Twiml', status: 400 });
    const created = `CA${tools.nextNumber().toString(16).padStart(32, '0')}`;
    r.reply(201, {
      sid: created,
      account_sid: t.accountSid,
      status: 'queued',
      to: form['To'],
      from: form['From'],
    });
    tools.background(run(tools, form, created));
  };

  const update = (
    r: FakeCarrierRequest,
    tools: FakeCarrierTools,
    form: Record<string, string>,
    sid: string,
  ): void => {
    const call = tools.live.get(sid);
    if (call === undefined)
      return r.reply(404, {
        code: 20404,
        message: `The requested resource ${r.path} was not found`,
        status: 404,
      });
    if (form['Status'] === 'completed') {
      tools.live.delete(sid);
      r.reply(200, { sid, status: 'completed' });
      call.hangUp();
      return;
    }
    r.reply(400, { code: 21218, message: 'Invalid update', status: 400 });
  };

  return {
    handle: (r, tools) => {
      const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls(?:\/([^/]+))?\.json$/.exec(r.path);
      if (m === null) return false;
      if (r.fault !== undefined)
        r.reply(r.fault.status, { code: 20500, message: r.fault.message, status: r.fault.status });
      else if (r.headers.authorization !== expected || m[1] !== t.accountSid)
        r.reply(401, { code: 20003, message: 'Authenticate', status: 401 });
      else {
        const form = Object.fromEntries(new URLSearchParams(r.body));
        if (m[2] === undefined) create(r, tools, form);
        else update(r, tools, form, m[2]);
      }
      return true;
    },
  };
}
