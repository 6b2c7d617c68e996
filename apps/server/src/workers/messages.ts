/**
 * What the supervisor and its workers tell each other over the IPC channel of
 * `node:cluster` (every message's `type` starts with `prx-voice:`, so a worker's
 * channel can carry other messages too).
 */

/** A worker listens and serves: the instance it is and its URL. */
export interface WorkerReady {
  readonly type: 'prx-voice:ready';
  readonly instanceId: string;
  readonly url: string;
}

/**
 * A connection for the instance `to` (it holds the connection's session), sent with the
 * socket as the message's handle: the worker that took it passes it to the supervisor, the
 * supervisor to `to`'s worker. `raw` is the request as received (base64).
 */
export interface ConnectionHandoff {
  readonly type: 'prx-voice:handoff';
  readonly to: string;
  readonly raw: string;
}

/** A connection the supervisor accepted, dealt to a worker (the socket is the message's handle). */
export interface ConnectionDealt {
  readonly type: 'prx-voice:connection';
}

/** How many sessions a worker runs (sent when it changes): the supervisor deals to the least busy. */
export interface WorkerLoad {
  readonly type: 'prx-voice:load';
  readonly live: number;
}

/** A worker asks for every worker's metric series (a scrape reached it). */
export interface MetricsGather {
  readonly type: 'prx-voice:metrics-gather';
  readonly id: number;
}

/** The supervisor asks a worker for its series (`id` names the gathering). */
export interface MetricsCollect {
  readonly type: 'prx-voice:metrics-collect';
  readonly id: number;
}

/** A worker's series for a gathering (its registry's `getMetricsAsJSON()`). */
export interface MetricsPart {
  readonly type: 'prx-voice:metrics-part';
  readonly id: number;
  readonly series: readonly object[];
}

/** Every live worker's series, to the worker that asked. */
export interface MetricsGathered {
  readonly type: 'prx-voice:metrics-gathered';
  readonly id: number;
  readonly parts: readonly (readonly object[])[];
}

/** A message between the supervisor and a worker. */
export type WorkerMessage =
  | WorkerReady
  | ConnectionDealt
  | WorkerLoad
  | ConnectionHandoff
  | MetricsGather
  | MetricsCollect
  | MetricsPart
  | MetricsGathered;

/** Whether `message` is one of ours of kind `type`. */
export function isWorkerMessage<T extends WorkerMessage['type']>(
  message: unknown,
  type: T,
): message is Extract<WorkerMessage, { type: T }> {
  return (
    typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type
  );
}
