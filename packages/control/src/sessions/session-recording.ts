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
import { SEALED_CONTENT_TYPE, openStream, recordingAad, sealStream } from '@prx-voice/audit';
import type { DataKey } from '@prx-voice/audit';
import type { Clock } from '@prx-voice/core';
import type { SessionEmitter } from '@prx-voice/event';
import { wavHeader } from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';
import { createStereoRecorder } from '@prx-voice/session';
import type { RecordingChunk, SessionAudioTap } from '@prx-voice/session';
import { objectKey } from '@prx-voice/storage';
import type { ObjectStore, RecordingRow, TenantRepositories } from '@prx-voice/storage';
import type { Id, SessionId, TenantId } from '@prx-voice/types';

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
const BYTES_PER_FRAME = 2 * CHANNELS;
const HEADER_BYTES = 44;

const once = (bytes: Uint8Array): AsyncIterable<Uint8Array> => Readable.from([bytes]);

/** Starts recording a session (see the module's description) and emits `recording.started`. */
export function startSessionRecording(o: SessionRecordingOptions): SessionRecording {
  const sampleRate = Math.max(o.rates.input, o.rates.output) as SampleRate;
  const startedAt = o.clock.now();
  const sealed = o.subject !== undefined;
  const keyOf = (name: string): string =>
    objectKey({
      tenantId: o.tenantId,
      kind: 'recordings',
      at: startedAt,
      sessionId: o.sessionId,
      name,
    });
  const fileKey = keyOf(`${o.recordingId}.wav${sealed ? '.sealed' : ''}`);
  const partKey = (index: number): string =>
    keyOf(`${o.recordingId}.part-${String(index).padStart(6, '0')}.pcm${sealed ? '.sealed' : ''}`);
  const chunks: { samples: number; written: boolean }[] = [];
  let gapSamples = 0;
  let writes: Promise<void> = Promise.resolve();
  const msOf = (samples: number): number => Math.round((samples * 1000) / sampleRate);

  const seal = (key: string, body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> =>
    o.subject === undefined ? body : sealStream(o.subject.key, body, recordingAad(key));
  const open = (key: string, body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> =>
    o.subject === undefined ? body : openStream(o.subject.key, body, recordingAad(key));

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
    const entry = { samples: chunk.samples, written: false };
    chunks[chunk.index] = entry;
    const key = partKey(chunk.index);
    writes = writes.then(async () => {
      const put = () =>
        o.store.put(key, sealed ? seal(key, once(chunk.bytes)) : chunk.bytes, {
          contentType: sealed ? SEALED_CONTENT_TYPE : 'application/octet-stream',
        });
      try {
        await put().catch(put); // one retry: a blip of the store costs nothing
        entry.written = true;
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

  /** The WAV file: header, then each chunk's audio (silence where a chunk was lost). */
  async function* wavFile(totalSamples: number): AsyncIterable<Uint8Array> {
    yield wavHeader({ sampleRate, channels: CHANNELS, dataBytes: totalSamples * BYTES_PER_FRAME });
    for (const [index, chunk] of chunks.entries()) {
      if (!chunk.written) {
        yield new Uint8Array(chunk.samples * BYTES_PER_FRAME);
        continue;
      }
      const key = partKey(index);
      yield* open(key, await o.store.getStream(key));
    }
  }

  let stopping: Promise<RecordingRow | undefined> | undefined;
  async function finish(): Promise<RecordingRow | undefined> {
    const totals = recorder.stop();
    // The size of the WAV file a download gets (a sealed object is a little larger).
    const sizeBytes = HEADER_BYTES + totals.samples * BYTES_PER_FRAME;
    await writes;
    o.emitter.emit('prx.voice.recording.stopped', {
      recording_id: o.recordingId,
      duration_ms: totals.durationMs,
      size_bytes: sizeBytes,
      gap_ms: msOf(gapSamples),
    });
    try {
      await o.store.put(fileKey, seal(fileKey, wavFile(totals.samples)), {
        contentType: sealed ? SEALED_CONTENT_TYPE : 'audio/wav',
      });
      const row = await o.repos.recordings.create({
        id: o.recordingId,
        sessionId: o.sessionId,
        objectKey: fileKey,
        contentType: 'audio/wav',
        sampleRate,
        channels: CHANNELS,
        durationMs: totals.durationMs,
        sizeBytes,
        ...(o.subject === undefined ? {} : { subjectRef: o.subject.ref }),
      });
      for (const [index, chunk] of chunks.entries())
        if (chunk.written) await o.store.delete(partKey(index));
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
