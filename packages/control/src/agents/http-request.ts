/**
 * One outbound HTTP(S) request of an HTTP tool, pinned to an address that was already
 * checked: the socket connects there (no second DNS lookup), while the Host header and
 * TLS SNI/certificate check keep the URL's host name. Redirects are never followed,
 * non-2xx bodies are not read, and a 2xx body is capped while it streams.
 */
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedAddress } from './ssrf.js';

/** What to send. */
export interface PinnedRequest {
  readonly url: URL;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The body; `undefined` sends none. */
  readonly body: string | undefined;
  /** The checked address to connect to. */
  readonly address: ResolvedAddress;
  /** Aborting destroys the socket and rejects with the signal's reason. */
  readonly signal: AbortSignal;
  readonly maxResponseBytes: number;
}

/** What came back; `body` is absent for a non-2xx status or a body over the cap. */
export interface PinnedResponse {
  readonly status: number;
  readonly contentType: string | undefined;
  /** A 2xx body, read whole and under the cap. */
  readonly body?: Buffer;
  /** The 2xx body was larger than the cap (the rest was not read). */
  readonly tooLarge?: boolean;
}

/**
 * Sends one request to a pinned address; rejects on connection errors, a response cut
 * short, or the signal aborting.
 */
export function sendPinned(req: PinnedRequest): Promise<PinnedResponse> {
  return new Promise<PinnedResponse>((resolve, reject) => {
    const { address, signal, maxResponseBytes } = req;
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    let settled = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      outgoing.destroy();
      outcome();
    };
    const onAbort = (): void => {
      finish(() => {
        reject(signal.reason as Error);
      });
    };
    const pinned: LookupFunction = (_host, options, callback) => {
      if (options.all === true)
        callback(null, [{ address: address.address, family: address.family }]);
      else callback(null, address.address, address.family);
    };
    const send = req.url.protocol === 'https:' ? httpsRequest : httpRequest;
    const outgoing = send(
      req.url,
      { method: req.method, headers: req.headers, lookup: pinned, agent: false },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        const contentType = res.headers['content-type'];
        const done = (extra: { body?: Buffer; tooLarge?: boolean } = {}): void => {
          finish(() => {
            resolve({ status, contentType, ...extra });
          });
        };
        if (status < 200 || status > 299) {
          done();
          return;
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxResponseBytes) {
          done({ tooLarge: true });
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxResponseBytes) done({ tooLarge: true });
          else chunks.push(chunk);
        });
        res.on('end', () => {
          done({ body: Buffer.concat(chunks) });
        });
        res.on('error', (error) => {
          finish(() => {
            reject(error);
          });
        });
        res.on('close', () => {
          if (!res.complete) {
            finish(() => {
              reject(new Error('the response was cut short'));
            });
          }
        });
      },
    );
    outgoing.on('error', (error) => {
      finish(() => {
        reject(error);
      });
    });
    signal.addEventListener('abort', onAbort, { once: true });
    outgoing.end(req.body);
  });
}
