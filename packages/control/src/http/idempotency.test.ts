import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { VoiceError } from '@prx-voice/types';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { IDEMPOTENCY_LOCK_MS, canonicalJson, requestHash, withIdempotency } from './idempotency.js';
import { parseJsonBody } from './validate.js';

interface Env {
  request_id: string;
  data: { n: number; name: string } | null;
  error: { code: string } | null;
}

let h: ControlHarness;
let key: string;
let runs = 0;
let failNext = false;
let gate: Promise<void> | undefined;
let entered: () => void = () => undefined;

beforeAll(async () => {
  h = await createControlHarness();
  const t = await h.tenant();
  key = await h.key(t.id, 'workspace_developer');
  h.control.route({
    method: 'post',
    path: '/things',
    summary: 'A dummy idempotent create.',
    permission: 'session:create',
    handler: (c) =>
      withIdempotency(c, { repos: h.db.repos, scope: 'POST /things' }, async () => {
        const body = await parseJsonBody(c, z.object({ name: z.string() }));
        entered();
        if (gate !== undefined) await gate;
        if (failNext) {
          failNext = false;
          throw new VoiceError('PROVIDER_UNAVAILABLE');
        }
        runs++;
        return { status: 201, data: { n: runs, name: body.name } };
      }),
  });
});

afterAll(async () => {
  await h.close();
});

const post = (
  body: unknown,
  idem?: string,
  headers: Record<string, string> = {},
): Promise<Response> =>
  h.request('/api/v1/things', {
    method: 'POST',
    token: key,
    body,
    headers: idem === undefined ? headers : { ...headers, 'Idempotency-Key': idem },
  });

describe('withIdempotency', () => {
  it('runs every request without a key', async () => {
    const a = (await (await post({ name: 'a' })).json()) as Env;
    const b = (await (await post({ name: 'a' })).json()) as Env;
    expect(b.data?.n).toBe((a.data?.n ?? 0) + 1);
  });

  it('replays the stored response for a repeat with the same body, with a fresh request id', async () => {
    const first = await post({ name: 'x', extra: { b: 1, a: 2 } }, 'k-1');
    expect(first.status).toBe(201);
    const firstBody = (await first.json()) as Env;
    const again = await post({ extra: { a: 2, b: 1 }, name: 'x' }, 'k-1');
    expect(again.status).toBe(201);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    const againBody = (await again.json()) as Env;
    expect(againBody.data).toEqual(firstBody.data);
    expect(againBody.request_id).not.toBe(firstBody.request_id);
  });

  it('answers IDEMPOTENCY_CONFLICT for the same key with another body', async () => {
    await post({ name: 'one' }, 'k-2');
    const other = await post({ name: 'two' }, 'k-2');
    expect(other.status).toBe(409);
    expect(((await other.json()) as Env).error?.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('answers CONFLICT with Retry-After 1 while the first request still runs', async () => {
    let open: () => void = () => undefined;
    gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const first = post({ name: 'slow' }, 'k-3');
    await inside; // the first request holds the key now
    entered = () => undefined;
    const second = await post({ name: 'slow' }, 'k-3');
    expect(second.status).toBe(409);
    expect(second.headers.get('Retry-After')).toBe('1');
    expect(((await second.json()) as Env).error?.code).toBe('CONFLICT');
    gate = undefined;
    open();
    expect((await first).status).toBe(201);
    expect((await post({ name: 'slow' }, 'k-3')).headers.get('Idempotent-Replayed')).toBe('true');
  });

  it('lets a retry take over a key whose first request never finished once its lease ran out', async () => {
    let release: () => void = () => undefined;
    gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    // The first request takes the key and never finishes (as if its process had died).
    const stuck = post({ name: 'crash' }, 'k-lease');
    await inside;
    entered = () => undefined;
    gate = undefined;
    h.clock.advance(IDEMPOTENCY_LOCK_MS - 1);
    const early = await post({ name: 'crash' }, 'k-lease');
    expect(early.status).toBe(409);
    expect(((await early.json()) as Env).error?.code).toBe('CONFLICT');
    h.clock.advance(1);
    const before = runs;
    const retried = await post({ name: 'crash' }, 'k-lease');
    expect(retried.status).toBe(201);
    expect(retried.headers.get('Idempotent-Replayed')).toBeNull();
    const taken = (await retried.json()) as Env;
    expect(runs).toBe(before + 1);
    const replayed = await post({ name: 'crash' }, 'k-lease');
    expect(replayed.headers.get('Idempotent-Replayed')).toBe('true');
    expect(((await replayed.json()) as Env).data).toEqual(taken.data);
    // Had the first request lived on, its late result replaces nothing.
    release();
    expect((await stuck).status).toBe(201);
    const after = await post({ name: 'crash' }, 'k-lease');
    expect(((await after.json()) as Env).data).toEqual(taken.data);
    expect(runs).toBe(before + 2);
  });

  it('forgets a failed first attempt so a retry with the same key can succeed', async () => {
    failNext = true;
    const failed = await post({ name: 'f' }, 'k-4');
    expect(failed.status).toBe(502);
    const retried = await post({ name: 'f' }, 'k-4');
    expect(retried.status).toBe(201);
    expect(retried.headers.get('Idempotent-Replayed')).toBeNull();
  });

  it('validates the key', async () => {
    const long = await post({ name: 'a' }, 'k'.repeat(256));
    expect(long.status).toBe(400);
    expect(((await long.json()) as Env).error?.code).toBe('VALIDATION_FAILED');
  });

  it('keeps keys per tenant', async () => {
    const t2 = await h.tenant();
    const key2 = await h.key(t2.id, 'workspace_developer');
    await post({ name: 'mine' }, 'shared');
    const theirs = await h.request('/api/v1/things', {
      method: 'POST',
      token: key2,
      body: { name: 'theirs' },
      headers: { 'Idempotency-Key': 'shared' },
    });
    expect(theirs.status).toBe(201);
    expect(((await theirs.json()) as Env).data?.name).toBe('theirs');
  });
});

describe('request hashing', () => {
  it('hashes canonical JSON, so key order and whitespace do not matter', () => {
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: null })).toBe(
      '{"a":null,"b":[1,{"c":2,"d":1}]}',
    );
    expect(requestHash('{"a":1,"b":2}')).toBe(requestHash(' { "b": 2, "a": 1 } '));
    expect(requestHash('{"a":1}')).not.toBe(requestHash('{"a":2}'));
    expect(requestHash('')).toMatch(/^[0-9a-f]{64}$/);
  });
});
