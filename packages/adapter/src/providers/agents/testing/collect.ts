/** Collecting an agent run in tests: its events, and the error it ended with, if any. */
import type { AgentEvent } from '../../../interfaces.js';

/** The events of a run and the error that ended it (`undefined` when it completed). */
export interface RunOutcome {
  readonly events: AgentEvent[];
  readonly error: unknown;
}

/** Iterates a run to its end, keeping the events and catching the error. */
export async function collectRun(run: AsyncIterable<AgentEvent>): Promise<RunOutcome> {
  const events: AgentEvent[] = [];
  try {
    for await (const event of run) events.push(event);
    return { events, error: undefined };
  } catch (error) {
    return { events, error };
  }
}

/** The concatenated text of the `token` events. */
export function spokenText(events: readonly AgentEvent[]): string {
  return events.map((event) => (event.type === 'token' ? event.text : '')).join('');
}
