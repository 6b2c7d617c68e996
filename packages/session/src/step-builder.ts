import { transition, timeoutForMs } from './machine-adapter.js';
import type { EventDataMap, EventType } from '@prx-voice/event';
import type { SessionTrigger } from '@prx-voice/state';
import type { Id, IdKind, SessionOutcome, SessionState, Severity } from '@prx-voice/types';
import type { SessionCommand, SessionModel, StepContext, TimerName } from './model.js';

/** Event data as the reducer writes it: branded IDs as plain strings (the reducer mints them). */
export type EventDataInput<T> =
  T extends Id<IdKind>
    ? string
    : T extends readonly (infer U)[]
      ? EventDataInput<U>[]
      : T extends object
        ? { [K in keyof T]: EventDataInput<T[K]> }
        : T;

/**
 * Collects the commands of one reducer step over a private copy of the model.
 * Every FSM move goes through {@link StepBuilder.fire}, which emits
 * `session.state_changed`, re-arms the per-state timeout and persists the state.
 */
export class StepBuilder {
  readonly commands: SessionCommand[] = [];

  constructor(
    readonly m: SessionModel,
    readonly ctx: StepContext,
  ) {}

  /** The FSM state. */
  get state(): SessionState {
    return this.m.machine.value;
  }

  /** Applies a trigger; returns whether the machine moved. */
  fire(
    trigger: SessionTrigger,
    extra: { outcome?: SessionOutcome; closeReason?: string } = {},
  ): boolean {
    const r = transition(this.m.machine, trigger);
    if (r.kind !== 'moved') return false;
    this.m.machine = r.state;
    this.emit('prx.voice.session.state_changed', { from: r.from, to: r.to, trigger: trigger.type });
    this.cancel('state_timeout');
    const ms = timeoutForMs(r.to, this.m.settings.stateTimeoutsMs);
    if (ms !== undefined) this.arm('state_timeout', ms);
    this.cmd({
      type: 'persist_session',
      state: r.to,
      ...(extra.outcome === undefined ? {} : { outcome: extra.outcome }),
      ...(extra.closeReason === undefined ? {} : { closeReason: extra.closeReason }),
    });
    return true;
  }

  /** Adds a command. */
  cmd(command: SessionCommand): void {
    this.commands.push(command);
  }

  /** Emits an event, tagged with the current turn and run unless told otherwise. */
  emit<T extends EventType>(
    event: T,
    data: EventDataInput<EventDataMap[T]>,
    tags: { turnId?: string | null; runId?: string | null; severity?: Severity } = {},
  ): void {
    const turnId = tags.turnId === undefined ? this.m.turn?.id : tags.turnId;
    const runId = tags.runId === undefined ? this.m.run?.id : tags.runId;
    this.commands.push({
      type: 'emit',
      event,
      data: data,
      ...(turnId == null ? {} : { turnId }),
      ...(runId == null ? {} : { runId }),
      ...(tags.severity === undefined ? {} : { severity: tags.severity }),
    });
  }

  /** Arms (or re-arms) a named timer; a fire with an older token is stale. */
  arm(name: TimerName, ms: number): void {
    const token = ++this.m.nextToken;
    this.m.timers[name] = token;
    this.commands.push({ type: 'arm_timer', name, ms: Math.max(0, Math.round(ms)), token });
  }

  /** Cancels a named timer if armed. */
  cancel(name: TimerName): void {
    if (this.m.timers[name] === undefined) return;
    // Plain deletion keeps the model JSON-safe.
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
    delete this.m.timers[name];
    this.commands.push({ type: 'cancel_timer', name });
  }

  /** Whether a timer input is the current arming of its name. */
  isCurrent(name: TimerName, token: number): boolean {
    return this.m.timers[name] === token;
  }

  /** Consumes a timer (it fired). */
  consume(name: TimerName): void {
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
    delete this.m.timers[name];
  }
}
