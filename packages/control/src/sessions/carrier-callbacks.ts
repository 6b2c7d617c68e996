/**
 * How a carrier that dials (`outbound-calls.ts`) plugs its call-progress webhooks into the
 * call routes: its {@link CarrierCallbacks} mount the routes the carrier calls back (an
 * answer URL, status or event webhooks — each authenticated as that carrier signs them),
 * and report what they hear through the routes' {@link CallRecorder}, which makes it the
 * session's `session.call_status` event and ends the session on a final status, the same
 * for every carrier.
 */
import type { DefineRoute } from '../http/routes.js';
import type { OutboundCarrierName } from './outbound-calls.js';

/** What a carrier said about a session's call (the `session.call_status` data). */
export type CallStatusReport = {
  readonly carrier: OutboundCarrierName;
  readonly call_id: string;
  readonly status: string;
} & Readonly<Record<string, unknown>>;

/**
 * Records a carrier's word on the call of session `sessionId` of tenant `tenantId` (ignored
 * when they are not ids of a live session).
 */
export type CallRecorder = (tenantId: string, sessionId: string, report: CallStatusReport) => void;

/** A carrier's call-progress webhooks. */
export interface CarrierCallbacks {
  /** Declares the carrier's webhook routes; they report through `record`. */
  mount(route: DefineRoute, record: CallRecorder): void;
}

/** An answering-machine result as a yes/no: `machine` or `human`. */
export function machineOrHuman(isMachine: boolean): 'machine' | 'human' {
  return isMachine ? 'machine' : 'human';
}
