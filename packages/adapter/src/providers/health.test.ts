import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createMockAgent } from '../mock/mock-agent.js';
import { createMockAsr } from '../mock/mock-asr.js';
import { createMockTts } from '../mock/mock-tts.js';
import { createAnthropicAgent } from './agents/anthropic-agent.js';
import { createOllamaAgent } from './agents/ollama-agent.js';
import { createOpenAiCompatibleAgent } from './agents/openai-compatible-agent.js';
import { findExecutable, probeExecutable, probeHttp } from './health.js';
import { createEspeakTts } from './local/espeak-tts.js';
import { createPocketsphinxAsr } from './local/pocketsphinx-asr.js';

const KEY = 'sk-health-secret-7781';
let server: Server;
let origin: string;
const seen: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];
/** Status by path; unknown paths answer 404. */
const statuses = new Map<string, number>();

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const status = statuses.get(req.url ?? '') ?? 404;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end('{"data":[]}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const signal = new AbortController().signal;
const clock = new SimulatedClock();

describe('probeHttp', () => {
  it('is healthy on 2xx, says a refused credential on 401/403, names other statuses', async () => {
    statuses.set('/ok', 200).set('/denied', 401).set('/down', 503);
    const probe = (path: string) =>
      probeHttp({ url: `${origin}${path}`, headers: {}, signal, fetch, secrets: [KEY] });
    expect(await probe('/ok')).toEqual({ healthy: true, detail: 'GET /ok 200' });
    expect(await probe('/denied')).toEqual({
      healthy: false,
      detail: 'GET /denied 401: the credential was refused',
    });
    expect(await probe('/down')).toEqual({ healthy: false, detail: 'GET /down 503' });
  });

  it('reports an unreachable endpoint without throwing, and never a secret', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const report = await probeHttp({
      url: `http://127.0.0.1:${String(port)}/v1/models?key=${KEY}`,
      headers: {},
      signal,
      fetch: () => Promise.reject(new Error(`connect ECONNREFUSED with ${KEY}`)),
      secrets: [KEY],
    });
    expect(report.healthy).toBe(false);
    expect(report.detail).toContain('ECONNREFUSED');
    expect(report.detail).not.toContain(KEY);
  });
});

describe('agent health checks', () => {
  it('OpenAI-compatible: GET {base}/models with the bearer key', async () => {
    statuses.set('/v1/models', 200);
    const agent = createOpenAiCompatibleAgent({ clock, env: { OPENAI_API_KEY: KEY } });
    const report = await agent.healthCheck?.({
      options: { base_url: `${origin}/v1`, model: 'm' },
      signal,
    });
    expect(report).toEqual({ healthy: true, detail: 'GET /v1/models 200' });
    expect(seen.at(-1)).toMatchObject({ method: 'GET', url: '/v1/models' });
    expect(seen.at(-1)?.headers.authorization).toBe(`Bearer ${KEY}`);
    // The default endpoint without a key cannot serve.
    const keyless = createOpenAiCompatibleAgent({ clock, env: {} });
    expect(await keyless.healthCheck?.({ options: { model: 'm' }, signal })).toEqual({
      healthy: false,
      detail: 'no API key (set the api_key option or OPENAI_API_KEY)',
    });
  });

  it('Anthropic: GET /v1/models with x-api-key and anthropic-version; a refused key is unhealthy', async () => {
    statuses.set('/v1/models', 401);
    const agent = createAnthropicAgent({ clock, env: { ANTHROPIC_API_KEY: KEY } });
    const report = await agent.healthCheck?.({ options: { base_url: origin, model: 'm' }, signal });
    expect(report).toEqual({
      healthy: false,
      detail: 'GET /v1/models 401: the credential was refused',
    });
    expect(seen.at(-1)?.headers['x-api-key']).toBe(KEY);
    expect(seen.at(-1)?.headers['anthropic-version']).toBeTypeOf('string');
  });

  it('invalid options are an unhealthy report, not a throw', async () => {
    const agent = createOllamaAgent({ clock });
    const report = await agent.healthCheck?.({ options: { base_url: origin }, signal });
    expect(report?.healthy).toBe(false);
    expect(report?.detail).toContain('model');
  });

  it('Ollama: GET /api/tags', async () => {
    statuses.set('/api/tags', 200);
    const agent = createOllamaAgent({ clock });
    expect(
      await agent.healthCheck?.({ options: { base_url: origin, model: 'm' }, signal }),
    ).toEqual({
      healthy: true,
      detail: 'GET /api/tags 200',
    });
  });

  it('mock providers are always healthy', async () => {
    for (const p of [createMockAgent({ clock }), createMockAsr(), createMockTts()]) {
      expect(await p.healthCheck?.({ signal })).toEqual({ healthy: true, detail: 'built in' });
    }
  });
});

describe('local engine health checks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prx-health-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds an executable on a PATH, not a plain file or a directory', () => {
    writeFileSync(join(dir, 'engine'), '#!/bin/sh\n');
    chmodSync(join(dir, 'engine'), 0o755);
    writeFileSync(join(dir, 'data'), '');
    expect(findExecutable('engine', `/nonexistent:${dir}`)).toBe(join(dir, 'engine'));
    expect(findExecutable('data', dir)).toBeUndefined();
    expect(findExecutable(dir, dir)).toBeUndefined();
    expect(probeExecutable('engine', [join(dir, 'missing-model')], dir)).toEqual({
      healthy: false,
      detail: `${join(dir, 'missing-model')} is missing`,
    });
    expect(probeExecutable('nope', [], dir)).toEqual({
      healthy: false,
      detail: 'nope is not installed',
    });
  });

  it('espeak-ng and pocketsphinx report whether their engine is installed', async () => {
    const missing = await createEspeakTts({ command: join(dir, 'no-espeak') }).healthCheck?.({
      signal,
    });
    expect(missing).toEqual({
      healthy: false,
      detail: `${join(dir, 'no-espeak')} is not installed`,
    });
    const asr = createPocketsphinxAsr({ command: join(dir, 'engine') });
    expect(await asr.healthCheck?.({ signal })).toEqual({
      healthy: true,
      detail: join(dir, 'engine'),
    });
    expect(await asr.healthCheck?.({ options: { hmm: join(dir, 'no-hmm') }, signal })).toEqual({
      healthy: false,
      detail: `${join(dir, 'no-hmm')} is missing`,
    });
  });
});
