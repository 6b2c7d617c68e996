/**
 * Traces over the wire: `prx-voice serve` as a process exporting OTLP/HTTP to a
 * collector this test runs; one voice turn over the session WebSocket, a caller's
 * `traceparent` on session creation. A second server's collector is down: its
 * sessions go on, and the failed exports are counted.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { api, mockServerEnv, until } from './support/cluster.ts';
import { startServerProcess } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';
import { connectWs, pcmFrame } from './support/ws-client.ts';

const KEY = 'pk_integration_tracing_key_0123456789ab';
const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER = `00-${CALLER_TRACE}-00f067aa0ba902b7-01`;
const dir = mkdtempSync(join(tmpdir(), 'prx-tracing-'));
const servers: ServerProcess[] = [];
let collector: Server | undefined;

afterAll(async () => {
  for (const s of servers) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  await Promise.all(servers.map((s) => s.exited));
  collector?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values: OtlpValue[] };
}
interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: { key: string; value: OtlpValue }[];
  events?: { name: string }[];
}

const attr = (span: OtlpSpan | undefined, key: string): unknown => {
  const v = span?.attributes.find((a) => a.key === key)?.value;
  if (v === undefined) return undefined;
  if (v.intValue !== undefined) return Number(v.intValue);
  return v.stringValue ?? v.doubleValue ?? v.boolValue ?? v.arrayValue;
};

/** A local OTLP/HTTP collector: every span posted, and a wait for one by name. */
async function startCollector(): Promise<{
  url: string;
  spans: OtlpSpan[];
  resources: unknown[];
  waitFor(name: string): Promise<OtlpSpan>;
}> {
  const spans: OtlpSpan[] = [];
  const resources: unknown[] = [];
  const waiters: { name: string; resolve: (s: OtlpSpan) => void }[] = [];
  collector = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const doc = JSON.parse(body) as {
        resourceSpans: { resource: unknown; scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      for (const rs of doc.resourceSpans) {
        resources.push(rs.resource);
        for (const ss of rs.scopeSpans) {
          for (const span of ss.spans) {
            spans.push(span);
            for (const w of waiters.splice(0)) {
              if (w.name === span.name) w.resolve(span);
              else waiters.push(w);
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const c = collector;
  await new Promise<void>((resolve) => c.listen(0, '127.0.0.1', resolve));
  const { port } = c.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}/v1/traces`,
    spans,
    resources,
    waitFor: (name) => {
      const seen = spans.find((s) => s.name === name);
      return seen !== undefined
        ? Promise.resolve(seen)
        : new Promise((resolve) => waiters.push({ name, resolve }));
    },
  };
}

/** A voice turn over a new session's WebSocket, then `end`; the events the client received. */
async function voiceTurn(
  server: ServerProcess,
  headers: Record<string, string> = {},
): Promise<{ id: string; events: readonly AnyVoiceEvent[] }> {
  const res = await fetch(`${server.url}/api/v1/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ channel: 'websocket' }),
  });
  expect(res.status).toBe(201);
  const created = (await res.json()) as { data: { id: string; ws_url: string } };
  const client = await connectWs(`${created.data.ws_url}?token=${KEY}`);
  for (let i = 0; i < 30; i++) client.ws.send(pcmFrame('speech'));
  for (let i = 0; i < 60; i++) client.ws.send(pcmFrame('silence'));
  await client.waitFor('prx.voice.turn.completed');
  client.ws.send(JSON.stringify({ type: 'end' }));
  expect((await client.closed).code).toBe(1000);
  return { id: created.data.id, events: client.events };
}

describe('traces over the wire', () => {
  it("exports session → turn → asr / chat / tts to an OTLP collector, continuing the caller's trace; every event carries its span", async () => {
    const otlp = await startCollector();
    const server = await startServerProcess(
      dir,
      mockServerEnv(KEY, 15_000, {
        PRX_VOICE_STORAGE__DATA_DIR: 'data-a',
        PRX_VOICE_OBSERVE__TRACING__EXPORTER: 'otlp',
        PRX_VOICE_OBSERVE__TRACING__ENDPOINT: otlp.url,
      }),
    );
    servers.push(server);
    const { id, events } = await voiceTurn(server, { traceparent: CALLER });
    const session = await otlp.waitFor('session');
    expect(attr(session, 'prx.session.id')).toBe(id);
    expect(session.traceId).toBe(CALLER_TRACE);
    expect(session.parentSpanId).toBe('00f067aa0ba902b7');
    const ofTrace = otlp.spans.filter((s) => s.traceId === CALLER_TRACE);
    const turn = ofTrace.find((s) => s.name === 'turn');
    expect(turn?.parentSpanId).toBe(session.spanId);
    for (const name of ['asr', 'chat', 'tts'])
      expect(ofTrace.find((s) => s.name === name)?.parentSpanId, name).toBe(turn?.spanId);
    const chat = ofTrace.find((s) => s.name === 'chat');
    expect(attr(chat, 'gen_ai.operation.name')).toBe('chat');
    expect(attr(chat, 'gen_ai.provider.name')).toBe('mock');
    expect(attr(chat, 'gen_ai.usage.output_tokens')).toBe(3);
    expect(Number(attr(turn, 'prx.latency.voice_to_voice_ms'))).toBeGreaterThan(0);
    // The PROTOCOL's promise: every event carries the traceparent of its span.
    const turnId = events.find((e) => e.type === 'prx.voice.turn.completed')?.prxturnid;
    expect(turnId).toBeDefined();
    for (const e of events) {
      const spanId = e.prxturnid === turnId ? turn?.spanId : session.spanId;
      expect(e.traceparent, e.type).toBe(`00-${CALLER_TRACE}-${String(spanId)}-01`);
    }
    // The resource names the service and the instance.
    expect(JSON.stringify(otlp.resources[0])).toContain('"service.name"');
    // No transcript on a span unless include_text is on.
    expect(JSON.stringify(ofTrace)).not.toContain('hello');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(
      Number(/^prx_voice_trace_spans_total\{outcome="exported"\} (\d+)$/m.exec(metrics)?.[1]),
    ).toBeGreaterThanOrEqual(5);
  }, 120_000);

  it('goes on talking when the collector is down, and counts the failed exports', async () => {
    // A port nobody listens on: bind one, then close it.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const server = await startServerProcess(
      dir,
      mockServerEnv(KEY, 15_000, {
        PRX_VOICE_STORAGE__DATA_DIR: 'data-b',
        PRX_VOICE_OBSERVE__TRACING__EXPORTER: 'otlp',
        PRX_VOICE_OBSERVE__TRACING__ENDPOINT: `http://127.0.0.1:${String(port)}/v1/traces`,
        PRX_VOICE_OBSERVE__TRACING__EXPORT_TIMEOUT_MS: '2000',
      }),
    );
    servers.push(server);
    const first = await voiceTurn(server);
    const second = await voiceTurn(server);
    for (const { events } of [first, second])
      expect(events.some((e) => e.type === 'prx.voice.session.closed')).toBe(true);
    const failed = await until(
      async () => {
        const text = await (await fetch(`${server.url}/metrics`)).text();
        return Number(
          /^prx_voice_trace_spans_total\{outcome="failed"\} (\d+)$/m.exec(text)?.[1] ?? 0,
        );
      },
      (n) => n > 0,
      20_000,
    );
    expect(failed).toBeGreaterThan(0);
    const sessions = await api(server, KEY, 'GET', '/sessions');
    expect(sessions.status).toBe(200);
  }, 120_000);
});
