/** Reading a provider's event stream in the background of a test. */
import { VoiceError } from '@prx-voice/types';
import { Inbox } from './inbox.js';

/** A stream being read: its events as they come, and how it ended. */
export interface Consumed<T> {
  readonly events: Inbox<T>;
  /** Resolves when the iteration ends: undefined, or what it threw. */
  readonly done: Promise<unknown>;
}

/** Starts iterating `stream`, collecting its events. */
export function consume<T>(stream: AsyncIterable<T>): Consumed<T> {
  const events = new Inbox<T>();
  const done = (async (): Promise<unknown> => {
    try {
      for await (const event of stream) events.push(event);
      return undefined;
    } catch (error) {
      return error;
    }
  })();
  return { events, done };
}

/** The VoiceError a consumed stream ended with; fails the test if it ended otherwise. */
export async function failureOf(consumed: Consumed<unknown>): Promise<VoiceError> {
  const error = await consumed.done;
  if (!VoiceError.is(error)) throw new Error(`expected a VoiceError, got ${String(error)}`);
  return error;
}

/** Everything a test could see of an error or events, as one string (to look for leaked secrets). */
export function visibleText(value: unknown): string {
  if (value instanceof Error) {
    const cause = value.cause instanceof Error ? value.cause.message : String(value.cause);
    const json = VoiceError.is(value) ? JSON.stringify(value.toJSON()) : '';
    return `${value.message} ${value.stack ?? ''} ${json} ${cause}`;
  }
  return JSON.stringify(value);
}
