/**
 * A session manager on the control harness with a stand-in for the `ws` socket — what the
 * attach tests (WebSocket and Twilio stream, backpressure, DTMF) drive on the simulated
 * clock without a real server. Internal to this package's tests.
 */
import { EventEmitter } from 'node:events';
import { defaultProviders } from '@prx-voice/adapter';
import { createEventBus, createEventLog } from '@prx-voice/event';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { createAdmissionService } from '@prx-voice/policy';
import { createControlHarness } from './control-harness.js';
import type { ControlHarness } from './control-harness.js';
import { createSessionManager } from '../sessions/session-manager.js';
import type { SessionManager } from '../sessions/session-manager.js';

/** Just what attachWebSocket and attachTwilioStream use of a `ws` socket; the test sets `bufferedAmount`. */
export class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: (string | Uint8Array)[] = [];
  closed: { code: number; reason: string } | undefined;
  send(data: string | Uint8Array): void {
    this.sent.push(data);
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
    this.readyState = 3;
  }
  /** The CloudEvents sent as text frames (of one type, if given). */
  events(type?: string): { type: string; data: Record<string, unknown> }[] {
    return this.sent
      .filter((d): d is string => typeof d === 'string')
      .map((d) => JSON.parse(d) as { type: string; data: Record<string, unknown> })
      .filter((e) => type === undefined || e.type === type);
  }
}

/** A harness and a session manager on it, with every event the manager's bus carried. */
export interface ManagerBench {
  readonly h: ControlHarness;
  readonly manager: SessionManager;
  readonly events: AnyVoiceEvent[];
  /** Lets pending work run, advancing the clock `ms` in 10 ms steps. */
  readonly settle: (ms?: number) => Promise<void>;
}

/** Starts a bench (mock providers, in-process admission, the event log on the harness's database). */
export async function startManagerBench(instanceId: string): Promise<ManagerBench> {
  const h = await createControlHarness();
  const bus = createEventBus();
  const events: AnyVoiceEvent[] = [];
  bus.listen(
    (e) => {
      if ('type' in e) events.push(e);
    },
    {
      onError: (err) => {
        throw err;
      },
    },
  );
  const manager = createSessionManager({
    config: { ...h.config, adapters: { ...h.config.adapters } },
    clock: h.clock,
    ids: h.ids,
    repos: h.db.repos,
    admission: createAdmissionService({ coordinator: h.coordinator, clock: h.clock }),
    providers: defaultProviders({ clock: h.clock }),
    bus,
    log: createEventLog({ repos: h.db.repos, clock: h.clock, onError: () => undefined }),
    instanceId,
  });
  return {
    h,
    manager,
    events,
    settle: async (ms = 0) => {
      for (let t = 0; t <= ms; t += 10) {
        if (t > 0) h.clock.advance(10);
        for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
      }
    },
  };
}
