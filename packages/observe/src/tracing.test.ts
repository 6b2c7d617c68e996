import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createVoiceTracing } from './tracing.js';
import type { SpanOutcome } from './span-queue.js';

const T0 = Date.UTC(2026, 11, 6, 9, 0, 0);
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/;

/** Deterministic ids: trace and span ids from counters. */
function counterIds() {
  let trace = 0;
  let span = 0;
  return {
    generateTraceId: () => (++trace).toString(16).padStart(32, '0'),
    generateSpanId: () => (++span).toString(16).padStart(16, '0'),
  };
}

const msOf = (t: readonly [number, number]): number => t[0] * 1000 + t[1] / 1e6;

function inMemory(over: { maxQueue?: number } = {}) {
  const clock = new SimulatedClock({ start: T0 });
  const exporter = new InMemorySpanExporter();
  const outcomes: Record<SpanOutcome, number> = { exported: 0, dropped: 0, failed: 0 };
  const tracing = createVoiceTracing({
    exporter: 'otlp',
    spanExporter: exporter,
    clock,
    idGenerator: counterIds(),
    resource: { 'service.name': 'prx-voice-test' },
    onOutcome: (o, n) => {
      outcomes[o] += n;
    },
    ...over,
  });
  return { clock, exporter, outcomes, tracing };
}

describe('createVoiceTracing', () => {
  it('records spans at the times given, with their parents, and exports them in a batch', async () => {
    const { clock, exporter, outcomes, tracing } = inMemory();
    const session = tracing.startSpan('session', { at: T0, kind: 'server' });
    const turn = tracing.startSpan('turn', { at: T0 + 100, parent: session });
    turn.set({ 'prx.turn.id': 'turn_1', skipped: undefined });
    turn.event('barge_in', T0 + 400, { 'prx.playback.played_ms': 240 });
    turn.end(T0 + 900);
    turn.end(T0 + 5000); // a second end is ignored
    session.fail('INTERNAL', 'boom');
    session.end(T0 + 1000);
    expect(session.traceparent).toMatch(TRACEPARENT);
    expect(turn.traceId).toBe(session.traceId);
    expect(exporter.getFinishedSpans()).toEqual([]); // waiting for its batch
    clock.advance(1000);
    await tracing.flush();
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['turn', 'session']);
    const [t, s] = spans as [ReadableSpan, ReadableSpan];
    expect(t.parentSpanContext?.spanId).toBe(s.spanContext().spanId);
    expect(s.parentSpanContext).toBeUndefined();
    expect(msOf(t.startTime)).toBe(T0 + 100);
    expect(msOf(t.endTime)).toBe(T0 + 900);
    expect(t.attributes).toEqual({ 'prx.turn.id': 'turn_1' });
    expect(t.events.map((e) => [e.name, msOf(e.time), e.attributes])).toEqual([
      ['barge_in', T0 + 400, { 'prx.playback.played_ms': 240 }],
    ]);
    expect(s.status).toEqual({ code: 2, message: 'boom' });
    expect(s.attributes['error.type']).toBe('INTERNAL');
    expect(s.resource.attributes['service.name']).toBe('prx-voice-test');
    expect(`00-${s.spanContext().traceId}-${s.spanContext().spanId}-01`).toBe(session.traceparent);
    expect(outcomes).toEqual({ exported: 2, dropped: 0, failed: 0 });
  });

  it("continues a caller's trace from its traceparent, and keeps an unsampled one unsampled", async () => {
    const { clock, exporter, tracing } = inMemory();
    const caller = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const span = tracing.startSpan('session', { at: T0, parent: caller });
    expect(span.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    span.end(T0 + 1);
    const unsampled = tracing.startSpan('session', {
      at: T0,
      parent: '00-4bf92f3577b34da6a3ce929d0e0e4737-00f067aa0ba902b7-00',
    });
    expect(unsampled.recording).toBe(false);
    expect(unsampled.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4737-[0-9a-f]{16}-00$/);
    unsampled.end(T0 + 1);
    clock.advance(1000);
    await tracing.flush();
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0]?.parentSpanContext).toMatchObject({
      spanId: '00f067aa0ba902b7',
      isRemote: true,
    });
  });

  it('with the none exporter records nothing, yet every span has ids for the traceparent', async () => {
    const clock = new SimulatedClock({ start: T0 });
    const tracing = createVoiceTracing({ exporter: 'none', clock });
    const session = tracing.startSpan('session', { at: T0 });
    const turn = tracing.startSpan('turn', { at: T0, parent: session });
    expect(session.recording).toBe(false);
    expect(turn.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(turn.traceId).toBe(session.traceId);
    expect(turn.traceparent).not.toBe(session.traceparent);
    turn.set({ a: 1 });
    turn.end(T0 + 1);
    session.end(T0 + 2);
    await tracing.flush();
    expect(tracing.queued).toBe(0);
    await tracing.shutdown();
  });

  it('never waits on a collector that does not answer: a bounded queue, dropped and failed spans counted', async () => {
    const clock = new SimulatedClock({ start: T0 });
    const calls: number[] = [];
    const hung: SpanExporter = {
      export: (spans) => {
        calls.push(spans.length); // never answers
      },
      shutdown: () => Promise.resolve(),
    };
    const outcomes: Record<SpanOutcome, number> = { exported: 0, dropped: 0, failed: 0 };
    const tracing = createVoiceTracing({
      exporter: 'otlp',
      spanExporter: hung,
      clock,
      maxQueue: 16,
      exportTimeoutMs: 5000,
      onOutcome: (o, n) => {
        outcomes[o] += n;
      },
    });
    const end = (n: number) => {
      for (let i = 0; i < n; i++) tracing.startSpan('s', { at: clock.now() }).end(clock.now());
    };
    end(10);
    clock.advance(1000); // the batch goes out and hangs
    expect(calls).toEqual([10]);
    end(20); // 16 wait, 4 are dropped
    expect(tracing.queued).toBe(16);
    expect(outcomes.dropped).toBe(4);
    clock.advance(5000); // the hung export is given up; the next batch goes out
    await Promise.resolve();
    await Promise.resolve();
    expect(outcomes.failed).toBe(10);
    clock.advance(1000);
    expect(calls).toEqual([10, 16]);
    expect(tracing.queued).toBe(0);
  });

  it('exports OTLP/HTTP JSON to a collector', async () => {
    const bodies: { path: string; type: string; body: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        bodies.push({ path: req.url ?? '', type: req.headers['content-type'] ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as AddressInfo;
    const clock = new SimulatedClock({ start: T0 });
    const outcomes: Record<SpanOutcome, number> = { exported: 0, dropped: 0, failed: 0 };
    const tracing = createVoiceTracing({
      exporter: 'otlp',
      endpoint: `http://127.0.0.1:${port}/v1/traces`,
      headers: { 'x-collector-key': 'k' },
      clock,
      resource: { 'service.name': 'prx-voice' },
      onOutcome: (o, n) => {
        outcomes[o] += n;
      },
    });
    const session = tracing.startSpan('session', { at: T0 });
    tracing
      .startSpan('chat gpt-4o', {
        at: T0 + 5,
        parent: session,
        attributes: { 'gen_ai.usage.input_tokens': 12 },
      })
      .end(T0 + 50);
    session.end(T0 + 60);
    await tracing.shutdown();
    receiver.close();
    expect(outcomes).toEqual({ exported: 2, dropped: 0, failed: 0 });
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toMatchObject({ path: '/v1/traces', type: 'application/json' });
    const doc = JSON.parse(bodies[0]?.body ?? '{}') as {
      resourceSpans: {
        resource: { attributes: { key: string; value: { stringValue?: string } }[] };
        scopeSpans: { spans: { name: string; parentSpanId?: string; spanId: string }[] }[];
      }[];
    };
    const spans = doc.resourceSpans[0]?.scopeSpans[0]?.spans ?? [];
    expect(spans.map((s) => s.name)).toEqual(['chat gpt-4o', 'session']);
    expect(spans[0]?.parentSpanId).toBe(spans[1]?.spanId);
    expect(doc.resourceSpans[0]?.resource.attributes).toContainEqual({
      key: 'service.name',
      value: { stringValue: 'prx-voice' },
    });
  });
});
