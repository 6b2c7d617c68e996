/**
 * The whole control plane (`createVoiceControl`) over a {@link ControlHarness}'s
 * database, coordinator and simulated clock, with the mock providers and the energy
 * VAD — for tests that meet a feature where the server composes it. Not started:
 * call `start()` for the sampler, heartbeat and sweeps (a test whose clock jumps weeks
 * ahead should not). {@link shutdownOnClock} stops it while moving the clock.
 */
import { defaultProviders } from '@prx-voice/adapter';
import { parseConfig } from '@prx-voice/core';
import { createVoiceControl } from '../voice-control.js';
import type { VoiceControl, VoiceControlDeps } from '../voice-control.js';
import type { ControlHarness } from './control-harness.js';

/** Lets pending promise chains run (no time passes). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 30; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Composes the control plane; `config` is merged over mock providers and a shutdown that ends live sessions at once. */
export function composeVoiceControl(
  h: ControlHarness,
  config: Record<string, unknown> = {},
  deps: Partial<
    Pick<
      VoiceControlDeps,
      | 'degradationSignals'
      | 'tracing'
      | 'objectStore'
      | 'webAssetsDir'
      | 'autoProviders'
      | 'providers'
      | 'repos'
    >
  > = {},
): VoiceControl {
  return createVoiceControl({
    config: parseConfig(
      {
        adapters: {
          asr: { provider: 'mock' },
          agent: { provider: 'mock' },
          tts: { provider: 'mock' },
          vad: { provider: 'energy' },
        },
        // Shutdown on simulated time: end what is live at once.
        server: { shutdown_timeout_ms: 0 },
        ...config,
      },
      { runtime: { hostname: 'test', pid: 1 } },
    ),
    clock: h.clock,
    ids: h.ids,
    repos: h.db.repos,
    coordinator: h.coordinator,
    apiKeys: h.apiKeys,
    providers: defaultProviders({ clock: h.clock }),
    pingDatabase: () => Promise.resolve(),
    logger: h.log,
    ...deps,
  });
}

/** Shuts the control plane down on the simulated clock (sessions end, queues drain), then the harness. */
export async function shutdownOnClock(
  h: ControlHarness,
  voice: VoiceControl,
  stepMs = 100,
): Promise<void> {
  await shutdownVoice(h, voice, stepMs);
  await h.close();
}

/** Shuts one control plane down on the simulated clock, leaving the harness open. */
export async function shutdownVoice(
  h: ControlHarness,
  voice: VoiceControl,
  stepMs = 100,
): Promise<void> {
  const state = { done: false };
  const shutdown = voice.shutdown().finally(() => (state.done = true));
  for (let i = 0; i < 1_000 && !state.done; i++) {
    h.clock.advance(stepMs);
    await settle();
  }
  await shutdown;
}

/** A JSON caller of `voice`'s API with a tenant's `token`: the status and the envelope. */
export function jsonApi(h: ControlHarness, voice: VoiceControl, token: string) {
  return async (path: string, method = 'GET', body?: unknown) => {
    const res = await h.request(
      `/api/v1${path}`,
      { method, token, ...(body === undefined ? {} : { body }) },
      voice.control,
    );
    return { status: res.status, body: (await res.json()) as { data: Record<string, unknown> } };
  };
}
