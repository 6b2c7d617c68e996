/**
 * The IPC protocol between the load bench and a load generator process
 * (`load-generator.ts`): the parent hands it its share of the sessions, the
 * generator opens their sockets and reports `connected`, streams on `go`,
 * reports `streamed` with what its callers measured (sockets still open, so the
 * parent can read the server with every session live), and on `hang-up` closes
 * them, reports `closed` and exits.
 */
import type { CallerKind, LoadOptions, TurnRecord } from './caller.js';

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

/** What one generator's callers measured over the streaming. */
export interface GeneratorResult {
  readonly turns: readonly TurnRecord[];
  readonly failures: readonly string[];
  /** Sum over its callers of their streaming time, s. */
  readonly sessionSeconds: number;
  /** CPU time of the generator process over the streaming, ms. */
  readonly cpuMs: number;
  /** Its wall time from `go` to its last caller done, ms. */
  readonly wallMs: number;
}

/** Generator → parent. */
export type FromGenerator =
  | { readonly type: 'started' }
  | { readonly type: 'connected' }
  | ({ readonly type: 'streamed' } & GeneratorResult)
  | { readonly type: 'closed' };
