/**
 * The IPC protocol between the load bench and a load generator process
 * (`load-generator.ts`): the parent hands it its share of the sessions, the
 * generator opens their sockets and reports `connected`, streams on `go`,
 * reports `streamed` with what its callers measured (sockets still open, so the
 * parent can read the server with every session live), and on `hang-up` closes
 * them, reports `closed` and exits.
 */
import type { CallerKind, LoadOptions } from './caller.js';
import type { StreamResult } from './load-client.js';

/** Parent → generator. */
export type ToGenerator =
  | {
      readonly type: 'load';
      readonly kind: CallerKind;
      readonly opts: LoadOptions;
      /** The callers' WebSocket URLs, each with its index among all the run's callers. */
      readonly callers: readonly { readonly index: number; readonly url: string }[];
      /** The speech of every turn: 16 kHz PCM16 little-endian, base64. */
      readonly speechBase64: string;
    }
  | { readonly type: 'go' }
  | { readonly type: 'hang-up' };

/** Generator → parent. */
export type FromGenerator =
  | { readonly type: 'started' }
  | { readonly type: 'connected' }
  /** What its callers measured (its CPU time and its wall time from `go` to its last caller done). */
  | ({ readonly type: 'streamed' } & StreamResult)
  | { readonly type: 'closed' };
