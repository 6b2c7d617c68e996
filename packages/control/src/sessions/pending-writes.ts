/**
 * The last writes of sessions that ended here, kept findable until they land: a read of an
 * ended session's row waits for them (`SessionManager.stored`), and a drain gives up the
 * ones still retrying once storage is about to close.
 */

/** An ended session's writes still being stored. */
export interface PendingWrites {
  /** The session's tenant (a list of its sessions waits for all of its ended ones). */
  readonly tenantId: string;
  /** Resolves when every write has landed or been given up. */
  readonly done: Promise<void>;
  /** Gives up the writes still retrying (the instance is stopping). */
  stop(): void;
}

/** Records a session's pending writes in `storing` until they have all landed or been given up. */
export function trackPendingWrites(
  storing: Map<string, PendingWrites>,
  session: { readonly tenantId: string; readonly sessionId: string },
  writes: { idle(): Promise<void>; stop(): void },
): void {
  const { tenantId, sessionId } = session;
  const pending: PendingWrites = {
    tenantId,
    done: writes.idle().finally(() => {
      if (storing.get(sessionId) === pending) storing.delete(sessionId);
    }),
    stop: () => writes.stop(),
  };
  storing.set(sessionId, pending);
}
