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

/** A message between the supervisor and a worker. */
export type WorkerMessage = WorkerReady | ConnectionHandoff;

/** Whether `message` is one of ours of kind `type`. */
export function isWorkerMessage<T extends WorkerMessage['type']>(
  message: unknown,
  type: T,
): message is Extract<WorkerMessage, { type: T }> {
  return (
    typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type
  );
}
