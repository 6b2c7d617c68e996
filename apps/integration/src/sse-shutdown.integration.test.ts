import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEvent } from '@prx-voice/event';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { startServer } from '@prx-voice/server';

const KEY = 'pk_integration_sse_key_0123456789abcdef';
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function start(
  extra: Record<string, string> = {},
  dir = mkdtempSync(join(tmpdir(), 'prx-int-')),
) {
  dirs.push(dir);
  return startServer({
    load: {
      cwd: dir,
      env: {
        PRX_VOICE_SERVER__PORT: '0',
        PRX_VOICE_SERVER__HOST: '127.0.0.1',
        PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: KEY,
        PRX_VOICE_ADAPTERS__ASR__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__AGENT__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__TTS__PROVIDER: 'mock',
        PRX_VOICE_STORAGE__DATA_DIR: 'data',
        ...extra,
      },
    },
    log: (line) => process.stderr.write(`SERVER: ${line}\n`),
  });
}

/** Reads SSE messages until `until` says stop; returns the parsed events with their `id:` lines. */
async function readSse(
  url: string,
  headers: Record<string, string>,
  until: (e: AnyVoiceEvent) => boolean,
): Promise<{ id: string; event: AnyVoiceEvent }[]> {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${KEY}`, ...headers },
    signal: abort.signal,
  });
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const out: { id: string; event: AnyVoiceEvent }[] = [];
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const id = /^id: ?(.*)$/m.exec(block)?.[1] ?? '';
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.replace(/^data: ?/, ''))
        .join('\n');
      if (data === '') continue;
      const event = parseEvent(data);
      out.push({ id, event });
      if (until(event)) {
        abort.abort();
        return out;
      }
    }
  }
  return out;
}

describe('SSE and shutdown', () => {
  it('streams a session’s events with id = prxseq and resumes exactly after Last-Event-ID', async () => {
    // The session is still live at the end: a short drain, not the default 30 s.
    const server = await start({ PRX_VOICE_SERVER__SHUTDOWN_TIMEOUT_MS: '200' });
    try {
      const created = (await (
        await fetch(`${server.url}/api/v1/sessions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
          body: '{}',
        })
      ).json()) as { data: { id: string } };
      const id = created.data.id;
      await fetch(`${server.url}/api/v1/sessions/${id}/turns`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: '{"text":"hello"}',
      });
      const all = await readSse(
        `${server.url}/api/v1/sessions/${id}/events`,
        {},
        (e) => e.type === 'prx.voice.turn.completed',
      );
      expect(all.map((m) => Number(m.id))).toEqual(all.map((m) => m.event.prxseq));
      expect(all.map((m) => m.event.prxseq)).toEqual(all.map((_, i) => i + 1));
      const cut = all[4];
      if (cut === undefined) throw new Error('too few events');
      const resumed = await readSse(
        `${server.url}/api/v1/sessions/${id}/events`,
        { 'last-event-id': cut.id },
        (e) => e.type === 'prx.voice.turn.completed',
      );
      expect(resumed.map((m) => m.event.prxseq)).toEqual(all.slice(5).map((m) => m.event.prxseq));
      const viaQuery = await readSse(
        `${server.url}/api/v1/sessions/${id}/events?after_seq=${cut.id}`,
        {},
        (e) => e.type === 'prx.voice.turn.completed',
      );
      expect(viaQuery[0]?.event.prxseq).toBe(cut.event.prxseq + 1);
    } finally {
      await server.shutdown();
    }
  }, 120_000);

  it('on shutdown ends live sessions with reason shutdown within the timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prx-int-'));
    const server = await start({ PRX_VOICE_SERVER__SHUTDOWN_TIMEOUT_MS: '200' }, dir);
    const created = (await (
      await fetch(`${server.url}/api/v1/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: '{}',
      })
    ).json()) as { data: { id: string } };
    expect(await server.shutdown()).toEqual({ ended: 0, forced: 1 });
    // The same data directory, opened again, has the session ended as shut down.
    const again = await start({}, dir);
    try {
      const res = (await (
        await fetch(`${again.url}/api/v1/sessions/${created.data.id}`, {
          headers: { authorization: `Bearer ${KEY}` },
        })
      ).json()) as { data: { state: string; outcome: string; close_reason: string } };
      expect(res.data).toMatchObject({ state: 'Closed', outcome: 'shutdown' });
    } finally {
      await again.shutdown();
    }
  }, 120_000);
});
