/**
 * The page's audio: the microphone through the capture worklet (a 16 kHz context,
 * PCM16 frames of 20 ms) and the session's audio through the playback worklet (a
 * context at the output rate) whose reports become `playback.position`.
 */

/** Sample rate of the audio sent to the server (the protocol's default input). */
export const INPUT_RATE = 16_000;
/** Sample rate of the audio the server sends (the protocol's default output). */
export const OUTPUT_RATE = 24_000;

/** A sentence for a microphone that could not be opened. */
export function microphoneProblem(err: unknown): string {
  const name = err instanceof DOMException ? err.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Microphone permission was denied. Allow the microphone for this site (the icon in the address bar), then press Talk again — or type below.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No microphone was found. Connect one and press Talk again — or type below.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The microphone is busy in another application. Free it and press Talk again.';
    default:
      return `The microphone could not be opened: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** An open microphone. */
export interface Microphone {
  stop(): void;
}

/** Opens the microphone; each 20 ms frame of PCM16 goes to `onFrame` with its peak (0..1). */
export async function openMicrophone(
  onFrame: (pcm: ArrayBuffer, peak: number) => void,
): Promise<Microphone> {
  if (!('mediaDevices' in navigator) || !window.isSecureContext) {
    throw new Error('The microphone needs a secure page: open it over https or on localhost.');
  }
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: {
      channelCount: 1,
      echoCancellation: true,
      noiseSuppression: true,
      autoGainControl: true,
    },
  });
  const ctx = new AudioContext({ sampleRate: INPUT_RATE, latencyHint: 'interactive' });
  try {
    await ctx.audioWorklet.addModule('/assets/capture-processor.js');
    const source = ctx.createMediaStreamSource(stream);
    const node = new AudioWorkletNode(ctx, 'prx-capture', { numberOfOutputs: 1 });
    node.port.onmessage = (e: MessageEvent<{ pcm: ArrayBuffer; peak: number }>) => {
      onFrame(e.data.pcm, e.data.peak);
    };
    source.connect(node);
    // Connected (silently) to the destination so the graph renders it.
    node.connect(ctx.destination);
    await ctx.resume();
  } catch (err) {
    for (const t of stream.getTracks()) t.stop();
    await ctx.close().catch(() => undefined);
    throw err;
  }
  return {
    stop() {
      for (const t of stream.getTracks()) t.stop();
      void ctx.close().catch(() => undefined);
    },
  };
}

/** A report of the playback worklet. */
export interface PlaybackReport {
  readonly type: 'position' | 'started' | 'flushed';
  readonly segmentId: string | null;
  /** Heard of the playing segment, ms. */
  readonly playedMs: number;
  readonly totalPlayedMs: number;
  /** Output above silence so far, ms. */
  readonly audibleMs: number;
  readonly bufferedMs: number;
  readonly droppedMs: number;
  /** The audio clock when the worklet made the report, s. */
  readonly time?: number;
  /** `flushed` only: the flush acknowledged, and what it dropped (ms). */
  readonly id?: number;
  readonly flushedMs?: number;
}

/** The page's player. */
export interface Player {
  /** Audio of `segmentId` (PCM16 at {@link OUTPUT_RATE}). */
  audio(segmentId: string | null, pcm: ArrayBuffer): void;
  /** Drops what is not yet played; resolves with the worklet's acknowledgement. */
  flush(): Promise<PlaybackReport>;
  /** The audio clock now, ms (the time of the last rendered quantum). */
  readonly currentTimeMs: number;
  /** Output latency of the device, ms (added to what is "heard"). */
  readonly outputLatencyMs: number;
  close(): void;
}

/** Starts the player (call from a click: browsers start audio only on a user gesture). */
export async function openPlayer(onReport: (r: PlaybackReport) => void): Promise<Player> {
  const ctx = new AudioContext({ sampleRate: OUTPUT_RATE, latencyHint: 'interactive' });
  await ctx.audioWorklet.addModule('/assets/playback-processor.js');
  const node = new AudioWorkletNode(ctx, 'prx-playback', {
    numberOfInputs: 0,
    numberOfOutputs: 1,
    outputChannelCount: [1],
  });
  node.connect(ctx.destination);
  let flushes = 0;
  const waiting = new Map<number, (r: PlaybackReport) => void>();
  node.port.onmessage = (e: MessageEvent<PlaybackReport>) => {
    const r = e.data;
    if (r.type === 'flushed' && r.id !== undefined) {
      waiting.get(r.id)?.(r);
      waiting.delete(r.id);
    }
    onReport(r);
  };
  await ctx.resume();
  return {
    audio(segmentId, pcm) {
      node.port.postMessage({ type: 'audio', segmentId, pcm }, [pcm]);
    },
    flush() {
      const id = ++flushes;
      return new Promise<PlaybackReport>((resolve) => {
        waiting.set(id, resolve);
        node.port.postMessage({ type: 'flush', id });
      });
    },
    get currentTimeMs() {
      return ctx.currentTime * 1000;
    },
    get outputLatencyMs() {
      return ((ctx.outputLatency || 0) + (ctx.baseLatency || 0)) * 1000;
    },
    close() {
      for (const resolve of waiting.values()) {
        resolve({
          type: 'flushed',
          segmentId: null,
          playedMs: 0,
          totalPlayedMs: 0,
          audibleMs: 0,
          bufferedMs: 0,
          droppedMs: 0,
        });
      }
      waiting.clear();
      void ctx.close().catch(() => undefined);
    },
  };
}
