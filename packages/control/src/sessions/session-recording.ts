/**
 * Recording one session to the object store: the actor's audio tap feeds a stereo
 * recorder (caller left, bot right, on the session clock); each chunk it hands out is
 * written as its own object while the call runs, so a crash loses at most one chunk. When
 * the session ends the chunks are joined into one WAV file (sealed with the data
 * subject's key when the session has one), a `recordings` row is written, and the chunk
 * objects are deleted. A chunk that cannot be written leaves a silent gap, reported as
 * `recording.failed`; the session goes on.
 */
import { Readable } from 'node:stream';
import { SEALED_CONTENT_TYPE } from '@prx-voice/audit';
import type { DataKey } from '@prx-voice/audit';
import type { Clock } from '@prx-voice/core';
import type { SessionEmitter } from '@prx-voice/event';
import type { SampleRate } from '@prx-voice/media';
import { createStereoRecorder } from '@prx-voice/session';
import type { RecordingChunk, SessionAudioTap } from '@prx-voice/session';
import type { ObjectStore, RecordingRow, TenantRepositories } from '@prx-voice/storage';
import type { Id, SessionId, TenantId } from '@prx-voice/types';
import type { CreateSessionRequest, SessionManagerDeps } from './session-manager-types.js';
import {
  joinRecording,
  recordingBytes,
  recordingPartKey,
  sealedBody,
} from '../compliance/recording-join.js';
import type { RecordingKeys, RecordingPart } from '../compliance/recording-join.js';

/** What recording a session needs. */
export interface SessionRecordingOptions {
  readonly tenantId: TenantId;
  readonly sessionId: SessionId;
  readonly recordingId: Id<'recording'>;
  readonly store: ObjectStore;
  readonly repos: Pick<TenantRepositories, 'recordings'>;
  readonly clock: Clock;
  readonly rates: { readonly input: SampleRate; readonly output: SampleRate };
  readonly chunkMs: number;
  /** The data subject's key: every object of the recording is sealed with it. */
  readonly subject?: { readonly ref: string; readonly key: DataKey };
  readonly emitter: Pick<SessionEmitter, 'emit'>;
  readonly onError?: (error: unknown, context: string) => void;
}

/** A session being recorded. */
export interface SessionRecording {
  readonly id: Id<'recording'>;
  /** The actor's audio tap. */
  readonly tap: SessionAudioTap;
  /** Ends the recording and stores the file; resolves with its row (undefined if that failed). */
  stop(): Promise<RecordingRow | undefined>;
}

const CHANNELS = 2;

/** Starts recording a session (see the module's description) and emits `recording.started`. */
export function startSessionRecording(o: SessionRecordingOptions): SessionRecording {
  const sampleRate = Math.max(o.rates.input, o.rates.output) as SampleRate;
  const sealed = o.subject !== undefined;
  const keys: RecordingKeys = {
    tenantId: o.tenantId,
    sessionId: o.sessionId,
    recordingId: o.recordingId,
    startedAt: o.clock.now(),
    sampleRate,
    sealed,
  };
  const parts: RecordingPart[] = [];
  let gapSamples = 0;
  let writes: Promise<void> = Promise.resolve();
  const msOf = (samples: number): number => Math.round((samples * 1000) / sampleRate);

  function failed(stage: 'chunk' | 'finalize', gapMs: number, err: unknown, chunk?: number): void {
    o.onError?.(err, `session ${o.sessionId}: recording ${stage}`);
    o.emitter.emit('prx.voice.recording.failed', {
      recording_id: o.recordingId,
      stage,
      ...(chunk === undefined ? {} : { chunk }),
      gap_ms: gapMs,
      message: err instanceof Error && err.message !== '' ? err.message : String(err),
    });
  }

  function write(chunk: RecordingChunk): void {
    const part: RecordingPart = { samples: chunk.samples, written: false };
    parts[chunk.index] = part;
    const key = recordingPartKey(keys, chunk.index, chunk.samples);
    writes = writes.then(async () => {
      const put = () =>
        o.store.put(key, sealedBody(key, Readable.from([chunk.bytes]), o.subject?.key), {
          contentType: sealed ? SEALED_CONTENT_TYPE : 'application/octet-stream',
        });
      try {
        await put().catch(put); // one retry: a blip of the store costs nothing
        part.written = true;
      } catch (err) {
        gapSamples += chunk.samples;
        failed('chunk', msOf(chunk.samples), err, chunk.index);
      }
    });
  }

  const recorder = createStereoRecorder({
    clock: o.clock,
    sampleRate,
    callerRate: o.rates.input,
    botRate: o.rates.output,
    chunkMs: o.chunkMs,
    onChunk: write,
  });
  o.emitter.emit('prx.voice.recording.started', {
    recording_id: o.recordingId,
    sample_rate: sampleRate,
    channels: CHANNELS,
    content_type: sealed ? SEALED_CONTENT_TYPE : 'audio/wav',
    chunk_ms: o.chunkMs,
  });

  let stopping: Promise<RecordingRow | undefined> | undefined;
  async function finish(): Promise<RecordingRow | undefined> {
    const totals = recorder.stop();
    await writes;
    try {
      const row = await joinRecording({
        store: o.store,
        repos: o.repos,
        keys,
        parts,
        ...(o.subject === undefined ? {} : { subject: o.subject }),
      });
      // Once the file and its row exist (after `session.closed`: the file is joined after the call).
      o.emitter.emit('prx.voice.recording.stopped', {
        recording_id: o.recordingId,
        duration_ms: totals.durationMs,
        // The size of the WAV file a download gets (a sealed object is a little larger).
        size_bytes: recordingBytes(totals.samples),
        gap_ms: msOf(gapSamples),
      });
      return row;
    } catch (err) {
      failed('finalize', totals.durationMs, err);
      return undefined;
    }
  }

  return {
    id: o.recordingId,
    tap: { caller: (samples) => recorder.caller(samples), bot: (frame) => recorder.bot(frame) },
    stop: () => (stopping ??= finish()),
  };
}

/**
 * The session's recording, when it is to be recorded: the request's `record`, else the
 * tenant's `settings.recording`, else `audit.recording.enabled` — and an object store;
 * from degradation level L3, only enterprise tenants' sessions are recorded.
 */
export function recordingOf(
  deps: SessionManagerDeps,
  o: {
    readonly tenant: {
      readonly settings: Readonly<Record<string, unknown>>;
      readonly tier: string;
    };
    readonly tenantId: TenantId;
    readonly sessionId: SessionId;
    readonly request: CreateSessionRequest;
    readonly rates: { readonly input: SampleRate; readonly output: SampleRate };
    readonly emitter: SessionEmitter;
    readonly subject?: { readonly ref: string; readonly key: DataKey };
  },
): SessionRecording | undefined {
  const own = o.tenant.settings['recording'];
  const wanted =
    o.request.record ?? (typeof own === 'boolean' ? own : deps.config.audit.recording.enabled);
  if (!wanted || deps.objectStore === undefined) return undefined;
  if (deps.degradation?.().recordEnterpriseOnly === true && o.tenant.tier !== 'enterprise')
    return undefined;
  return startSessionRecording({
    tenantId: o.tenantId,
    sessionId: o.sessionId,
    recordingId: deps.ids.next('recording'),
    store: deps.objectStore,
    repos: deps.repos.forTenant(o.tenantId),
    clock: deps.clock,
    rates: o.rates,
    chunkMs: deps.config.audit.recording.chunk_ms,
    emitter: o.emitter,
    ...(o.subject === undefined ? {} : { subject: o.subject }),
    ...(deps.onError === undefined ? {} : { onError: deps.onError }),
  });
}
