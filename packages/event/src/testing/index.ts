/**
 * `@prx-voice/event/testing` — helpers for tests of code that emits or
 * consumes PRX Voice events.
 *
 * @example
 * import { assertGapFree, collectEvents } from '@prx-voice/event/testing';
 * const seen = collectEvents(bus, { sessionId });
 * await seen.waitForType('prx.voice.turn.completed');
 * assertGapFree(seen.events);
 */
export { assertGapFree } from './assert-gap-free.js';
export type { AssertGapFreeOptions } from './assert-gap-free.js';
export { collectEvents } from './collect-events.js';
export type { EventCollector } from './collect-events.js';
export { failingEventRepos } from './failing-event-repos.js';
export type { FailingEventRepos, FailingEventReposOptions } from './failing-event-repos.js';
export { createMemorySink } from './memory-sink.js';
export type { MemorySink } from './memory-sink.js';
export { SAMPLE_EVENT_DATA } from './sample-data.js';
