/** A Cartesia synthesis run against a local stand-in server, for tests. */
import { SimulatedClock } from '@prx-voice/core/testing';
import type { TtsEvent, TtsRequest } from '../../../interfaces.js';
import { AsyncEventQueue } from '../../../internal/async-queue.js';
import { createCartesiaTts } from '../cartesia-tts.js';
import { consume } from './consume.js';
import type { Consumed } from './consume.js';
import { startCartesiaWsServer } from './cartesia-ws-server.js';
import type { CartesiaWsServer, CartesiaWsServerOptions } from './cartesia-ws-server.js';

/** The key the fixture configures (through the injected environment). */
export const CARTESIA_TEST_KEY = 'sk_car_test-3f9d1b77';
/** The `context_id` of the fixture's synthesis. */
export const CONTEXT_ID = 'ctx-0001';

/** A synthesis in progress, its server, clock and abort controller. */
export interface CartesiaFixture {
  readonly clock: SimulatedClock;
  readonly server: CartesiaWsServer;
  readonly controller: AbortController;
  readonly consumed: Consumed<TtsEvent>;
}

/** What to synthesize: request fields, provider options, server behaviour. */
export interface CartesiaFixtureInit {
  readonly request?: Partial<Omit<TtsRequest, 'signal'>>;
  readonly options?: Record<string, unknown>;
  readonly server?: Partial<CartesiaWsServerOptions>;
  /** The environment (default `CARTESIA_API_KEY` set to the test key). */
  readonly env?: Record<string, string>;
}

/** Servers started by fixtures; close them after each test with {@link closeCartesiaFixtures}. */
const started: CartesiaWsServer[] = [];

/** Starts a server and a 16 kHz `en-US` synthesis of "Hello there." on it (overridable). */
export async function startCartesiaFixture(
  init: CartesiaFixtureInit = {},
): Promise<CartesiaFixture> {
  const clock = new SimulatedClock();
  const server = await startCartesiaWsServer({ apiKey: CARTESIA_TEST_KEY, ...init.server });
  started.push(server);
  const controller = new AbortController();
  const tts = createCartesiaTts({
    clock,
    env: init.env ?? { CARTESIA_API_KEY: CARTESIA_TEST_KEY },
    newContextId: () => CONTEXT_ID,
  });
  const consumed = consume(
    tts.synthesize({
      text: 'Hello there.',
      sampleRate: 16000,
      language: 'en-US',
      ...init.request,
      signal: controller.signal,
      options: { base_url: server.url, ...init.options },
    }),
  );
  return { clock, server, controller, consumed };
}

/** Closes every server the fixtures started. */
export async function closeCartesiaFixtures(): Promise<void> {
  await Promise.all(started.splice(0).map((s) => s.close()));
}

/** Text arriving piece by piece, as from an agent; records whether the reader stopped it early. */
export class TextFeed implements AsyncIterable<string> {
  #returned = false;
  readonly #queue = new AsyncEventQueue<string>(() => {
    this.#returned = true;
  });

  /** Whether the reader stopped before the end. */
  get returned(): boolean {
    return this.#returned;
  }

  push(piece: string): void {
    this.#queue.push(piece);
  }

  end(): void {
    this.#queue.end();
  }

  fail(error: Error): void {
    this.#queue.fail(error);
  }

  [Symbol.asyncIterator](): AsyncIterator<string> {
    return this.#queue[Symbol.asyncIterator]();
  }
}

/** A recognizable test signal: sample i is `(i * 37) % 20000 - 10000`. */
export function ramp(count: number, from = 0): Int16Array {
  const out = new Int16Array(count);
  for (let i = 0; i < count; i++) out[i] = (((from + i) * 37) % 20000) - 10000;
  return out;
}

/** Samples of all `audio` events, in order. */
export function audioOf(events: readonly TtsEvent[]): Int16Array {
  const parts = events.flatMap((e) => (e.type === 'audio' ? [e.samples] : []));
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
