/**
 * A local HTTP server speaking the part of Twilio's REST API a transfer uses — update a
 * call (`POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json`) — the way Twilio
 * does: HTTP Basic auth checked (401 `20003`), form-encoded body with `Twiml`, 200 with
 * the call resource in JSON, 404 `20404` for a call it does not know, and errors as
 * `{code, message, more_info, status}`. A test can make it fail or hang.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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
