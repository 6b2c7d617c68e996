/**
 * Recording where the server composes it: a session created with `record: true` is
 * recorded to the object store in chunks while it runs and joined into one stereo WAV
 * when it ends — the caller on the left, the bot on the right, each placed where the
 * transport received or sent it (within 20 ms). With a data subject and a master key the
 * stored objects are sealed and the download opens them; a store that fails mid-call
 * leaves a silent gap, reported as `recording.failed`, and the call goes on. All of it on
 * the filesystem object store and on S3 (a local S3-compatible server).
 */
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateTone } from '@prx-voice/media';
import { createFilesystemObjectStore } from '@prx-voice/storage';
import type { ObjectStore } from '@prx-voice/storage';
import { startTestS3Server } from '@prx-voice/storage/testing';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { composeVoiceControl, settle, shutdownOnClock } from '../testing/composed.js';
import type { VoiceControl } from '../voice-control.js';

const MASTER_KEY = Buffer.alloc(32, 7).toString('base64');
const FRAME_MS = 20;
const IN_RATE = 16_000;
const OUT_RATE = 24_000;
/** How long the joined file may take to appear (real I/O: a filesystem or a local S3 server). */
const WAIT = { timeout: 10_000, interval: 20 };

/** An object store for the tests, and how to remove it. */
interface TestStore {
  readonly store: ObjectStore;
  close(): Promise<void>;
}

const stores: readonly { readonly kind: string; readonly open: () => Promise<TestStore> }[] = [
  {
    kind: 'filesystem',
    open: () => {
      const dir = mkdtempSync(join(tmpdir(), 'prx-rec-'));
      return Promise.resolve({
        store: createFilesystemObjectStore({ root: dir }),
        close: () => rm(dir, { recursive: true, force: true }),
      });
    },
  },
  {
    kind: 's3',
    open: async () => {
      const s3 = await startTestS3Server();
      return { store: await s3.store('recordings'), close: () => s3.close() };
    },
  },
];

describe.each(stores)('recording in the server, on the $kind object store', ({ open }) => {
  let h: ControlHarness;
  let voice: VoiceControl;
  let opened: TestStore;
  let store: ObjectStore;
  /** When set, writes to the store fail (an outage). */
  const outage = { on: false };

  beforeAll(async () => {
    h = await createControlHarness();
    opened = await open();
    const inner = opened.store;
    store = {
      ...inner,
      put: (key, body, opts) =>
        outage.on
          ? Promise.reject(new Error('object store unavailable'))
          : inner.put(key, body, opts),
    };
    voice = composeVoiceControl(
      h,
      {
        audit: { recording: { chunk_ms: 1_000 }, subjects: { master_key: MASTER_KEY } },
        observe: { degradation: { sample_ms: 600_000 } },
      },
      { objectStore: store },
    );
  }, 60_000);

  afterAll(async () => {
    await shutdownOnClock(h, voice);
    await opened.close();
  });

  interface Call {
    readonly id: SessionId;
    readonly tenantId: TenantId;
    readonly token: string;
    readonly startedAt: number;
    /** Clock times at which each outbound frame was sent. */
    readonly sent: number[];
    readonly events: { type: string; data: Record<string, unknown> }[];
    api(path: string, method?: string, body?: unknown): Promise<Response>;
  }

  async function startCall(body: Record<string, unknown>): Promise<Call> {
    const tenant = await h.tenant('growth');
    const token = await h.key(tenant.id, 'tenant_admin');
    const api = (path: string, method = 'GET', b?: unknown) =>
      h.request(
        `/api/v1${path}`,
        { method, token, ...(b === undefined ? {} : { body: b }) },
        voice.control,
      );
    const startedAt = h.clock.now();
    const res = await api('/sessions', 'POST', { channel: 'websocket', ...body });
    expect(res.status).toBe(201);
    const id = ((await res.json()) as { data: { id: SessionId } }).data.id;
    const tenantId = tenant.id as TenantId;
    const sent: number[] = [];
    const live = voice.manager.live(tenantId, id);
    const events: Call['events'] = [];
    live?.emitter.addSink((e) => events.push({ type: e.type, data: e.data }));
    voice.manager.attach(tenantId, id, {
      sendAudio: () => sent.push(h.clock.now()),
      clear: () => undefined,
    });
    await settle();
    return { id, tenantId, token, startedAt, sent, events, api };
  }

  /** Streams the caller's audio in real time: `toneFrames` (indexes) carry a 1 kHz tone, the rest silence. */
  async function talk(call: Call, frames: number, tone: (i: number) => boolean): Promise<void> {
    const silence = new Int16Array((IN_RATE * FRAME_MS) / 1000);
    const loud = generateTone({
      sampleRate: IN_RATE,
      frequencyHz: 1_000,
      durationMs: FRAME_MS,
      amplitude: 0.5,
    });
    for (let i = 0; i < frames; i++) {
      h.clock.advance(FRAME_MS);
      voice.manager.live(call.tenantId, call.id)?.actor.pushAudio(tone(i) ? loud.samples : silence);
      if (i % 5 === 0) await settle();
    }
  }

  async function endCall(
    call: Call,
  ): Promise<{ id: string; download_url: string; duration_ms: number; sealed: boolean }> {
    expect((await call.api(`/sessions/${call.id}/end`, 'POST')).status).toBeLessThan(300);
    await settle();
    // The file is joined from the chunks in the store (real I/O, awaited); `recording.stopped`
    // says it is done (the row written, the chunks deleted).
    return vi.waitFor(async () => {
      expect(
        call.events.some(
          (e) =>
            e.type === 'prx.voice.recording.stopped' ||
            (e.type === 'prx.voice.recording.failed' && e.data['stage'] === 'finalize'),
        ),
      ).toBe(true);
      const res = await call.api(`/sessions/${call.id}/recordings`);
      const items = (
        (await res.json()) as {
          data: {
            items: { id: string; download_url: string; duration_ms: number; sealed: boolean }[];
          };
        }
      ).data.items;
      expect(items).toHaveLength(1);
      return items[0] as (typeof items)[number];
    }, WAIT);
  }

  /**
   * The keys of a tenant's stored objects once the chunks are gone (deleted after the
   * recording's row is written, before `recording.stopped`).
   */
  function storedObjects(tenantId: TenantId): Promise<string[]> {
    return vi.waitFor(async () => {
      const keys = (await store.list(`${tenantId}/`)).items.map((i) => i.key);
      expect(keys.filter((k) => /\.pcm(\.sealed)?$/.test(k))).toEqual([]);
      return keys;
    }, WAIT);
  }

  /** The two channels of a stereo PCM16 WAV. */
  function channels(wav: Uint8Array): { rate: number; left: Int16Array; right: Int16Array } {
    const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
    expect(String.fromCharCode(...wav.subarray(0, 4))).toBe('RIFF');
    expect(view.getUint16(22, true)).toBe(2);
    const rate = view.getUint32(24, true);
    const frames = view.getUint32(40, true) / 4;
    const left = new Int16Array(frames);
    const right = new Int16Array(frames);
    for (let i = 0; i < frames; i++) {
      left[i] = view.getInt16(44 + i * 4, true);
      right[i] = view.getInt16(46 + i * 4, true);
    }
    return { rate, left, right };
  }

  /** Sample index of the first loud sample at or after `from`, or -1. */
  function onset(samples: Int16Array, from = 0): number {
    for (let i = from; i < samples.length; i++)
      if (Math.abs(samples[i] as number) > 2_000) return i;
    return -1;
  }

  it('records the caller on the left and the bot on the right, aligned with what the transport saw', async () => {
    const call = await startCall({ record: true });
    // 0.3 s of silence, 0.6 s of tone (the caller speaks), then silence while the bot answers.
    await talk(call, 200, (i) => i >= 15 && i < 45);
    expect(call.sent.length).toBeGreaterThan(10);
    const rec = await endCall(call);
    expect(rec.sealed).toBe(false);
    expect(call.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['prx.voice.recording.stopped']),
    );
    const res = await call.api(rec.download_url.replace('/api/v1', ''));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/wav');
    const { rate, left, right } = channels(new Uint8Array(await res.arrayBuffer()));
    expect(rate).toBe(OUT_RATE);
    const ms = (samples: number) => (samples * 1000) / rate;
    // The caller's tone began 300 ms in; the bot's first frame went out at sent[0].
    expect(Math.abs(ms(onset(left)) - 300)).toBeLessThanOrEqual(20);
    const botAt = (call.sent[0] as number) - call.startedAt;
    expect(Math.abs(ms(onset(right)) - botAt)).toBeLessThanOrEqual(20);
    // Each side is silent where only the other spoke.
    expect(onset(right.subarray(0, Math.floor(((botAt - 30) * rate) / 1000)))).toBe(-1);
    expect(
      Math.max(
        ...left
          .subarray(
            Math.ceil(((botAt + 50) * rate) / 1000),
            Math.ceil(((botAt + 250) * rate) / 1000),
          )
          .map(Math.abs),
      ),
    ).toBeLessThan(2_000);
    // The chunks are gone; the file remains.
    const objects = await storedObjects(call.tenantId);
    expect(objects).toHaveLength(1);
    expect(objects[0]).toMatch(/\/recordings\/\d{4}\/\d{2}\/\d{2}\/sess_[^/]+\/rec_[^/]+\.wav$/);
  });

  it("seals a data subject's recording at rest and opens it on download", async () => {
    const call = await startCall({ record: true, metadata: { caller_number: '+15550100' } });
    await talk(call, 100, (i) => i >= 10 && i < 40);
    const rec = await endCall(call);
    expect(rec.sealed).toBe(true);
    const [object] = await storedObjects(call.tenantId);
    const stored = await store.get(object ?? '');
    expect(String.fromCharCode(...stored.subarray(0, 4))).toBe('PRXS');
    const res = await call.api(rec.download_url.replace('/api/v1', ''));
    const { left } = channels(new Uint8Array(await res.arrayBuffer()));
    expect(Math.abs((onset(left) * 1000) / OUT_RATE - 200)).toBeLessThanOrEqual(20);
  });

  it('goes on through an object-store outage, leaving a reported silent gap', async () => {
    const call = await startCall({ record: true });
    await talk(call, 60, () => false);
    outage.on = true;
    await talk(call, 100, () => true);
    outage.on = false;
    await talk(call, 100, () => true);
    const rec = await endCall(call);
    const failed = call.events.filter((e) => e.type === 'prx.voice.recording.failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]?.data).toMatchObject({ stage: 'chunk', gap_ms: 1_000 });
    const stopped = call.events.find((e) => e.type === 'prx.voice.recording.stopped');
    expect(stopped?.data['gap_ms']).toBe(failed.length * 1_000);
    const res = await call.api(rec.download_url.replace('/api/v1', ''));
    const { left } = channels(new Uint8Array(await res.arrayBuffer()));
    // The tone runs from 1.2 s on; the lost chunk (1–2 s) is silent, what followed is there.
    expect(onset(left)).toBeGreaterThanOrEqual(2 * OUT_RATE);
    expect(await voice.metrics.render()).toMatch(
      /prx_voice_recordings_total\{outcome="chunk_failed"\} [1-9]/,
    );
    expect(voice.manager.live(call.tenantId, call.id)).toBeUndefined();
  });

  it('records nothing unless asked (request, tenant setting or server default)', async () => {
    const call = await startCall({});
    await talk(call, 30, () => false);
    expect((await call.api(`/sessions/${call.id}/end`, 'POST')).status).toBeLessThan(300);
    await settle();
    const res = await call.api(`/sessions/${call.id}/recordings`);
    expect(((await res.json()) as { data: { items: unknown[] } }).data.items).toEqual([]);
    expect(call.events.some((e) => e.type.startsWith('prx.voice.recording.'))).toBe(false);
  });
});
