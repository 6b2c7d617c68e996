/** A Deepgram ASR stream opened against a local stand-in server, for tests. */
import { SimulatedClock } from '@prx-voice/core/testing';
import type { AsrEvent, AsrStream } from '../../../interfaces.js';
import { createDeepgramAsr } from '../deepgram-asr.js';
import { consume } from './consume.js';
import type { Consumed } from './consume.js';
import { startDeepgramListenServer } from './deepgram-listen-server.js';
import type {
  DeepgramListenServer,
  DeepgramListenServerOptions,
} from './deepgram-listen-server.js';

/** The key the fixture configures (through the injected environment). */
export const DEEPGRAM_TEST_KEY = 'dg-test-key-5f2a9c';
/** Bytes per ms of 16 kHz PCM16. */
export const BYTES_PER_MS = 32;

/** An open stream, its server and its clock. */
export interface DeepgramFixture {
  readonly clock: SimulatedClock;
  readonly server: DeepgramListenServer;
  readonly stream: AsrStream;
  readonly consumed: Consumed<AsrEvent>;
}

/** Servers started by fixtures; close them after each test with {@link closeDeepgramFixtures}. */
const started: DeepgramListenServer[] = [];

/** Starts a server and opens a 16 kHz `en-US` stream on it with `options`. */
export async function openDeepgramFixture(
  options: Record<string, unknown> = {},
  server: DeepgramListenServerOptions = {},
): Promise<DeepgramFixture> {
  const clock = new SimulatedClock();
  const listen = await startDeepgramListenServer(server);
  started.push(listen);
  const stream = createDeepgramAsr({ clock, env: { DEEPGRAM_API_KEY: DEEPGRAM_TEST_KEY } }).open({
    sampleRate: 16000,
    language: 'en-US',
    options: { base_url: listen.url, ...options },
  });
  return { clock, server: listen, stream, consumed: consume(stream) };
}

/** Closes every server the fixtures started. */
export async function closeDeepgramFixtures(): Promise<void> {
  await Promise.all(started.splice(0).map((s) => s.close()));
}

/** Pushes `ms` of 20 ms frames of a constant value. */
export function pushMs(stream: AsrStream, ms: number, value = 100): void {
  const frame = new Int16Array(320).fill(value);
  for (let t = 0; t < ms; t += 20) stream.push(frame);
}
