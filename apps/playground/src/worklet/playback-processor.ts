/**
 * Playback of the session's audio (PCM16, at the context's rate): chunks play in
 * order as they arrive; each belongs to the segment named by the last
 * `prx.voice.playback.started` before it. The processor reports what has been
 * heard of the playing segment (the page sends it as `playback.position`) and, on
 * `flush` (`prx.voice.playback.flushed` or an interrupt), drops everything not yet
 * played at once and acknowledges how much it dropped. Its output is also counted
 * (samples played, samples above silence) so a page or a test can tell it played.
 */

/** Messages the page sends. */
type PlaybackCommand =
  | { readonly type: 'audio'; readonly segmentId: string | null; readonly pcm: ArrayBuffer }
  | { readonly type: 'flush'; readonly id: number };

interface Chunk {
  readonly segmentId: string | null;
  readonly samples: Int16Array;
  offset: number;
}

/** Report every this many samples played (and when a segment starts or the buffer runs dry). */
const REPORT_EVERY_MS = 50;
/** Output samples above this magnitude count as sound. */
const SILENCE = 1 / 1024;

class PlaybackProcessor extends AudioWorkletProcessor {
  private readonly queue: Chunk[] = [];
  private queuedSamples = 0;
  private segmentId: string | null = null;
  private segmentPlayed = 0;
  private totalPlayed = 0;
  private audible = 0;
  private dropped = 0;
  private sinceReport = 0;
  private readonly reportEvery = Math.round((sampleRate * REPORT_EVERY_MS) / 1000);
  private wasPlaying = false;

  constructor() {
    super();
    this.port.onmessage = (event) => {
      const cmd = event.data as PlaybackCommand;
      if (cmd.type === 'audio') {
        const samples = new Int16Array(cmd.pcm);
        this.queue.push({ segmentId: cmd.segmentId, samples, offset: 0 });
        this.queuedSamples += samples.length;
      } else {
        const dropped = this.queuedSamples;
        this.queue.length = 0;
        this.queuedSamples = 0;
        this.dropped += dropped;
        this.port.postMessage({
          type: 'flushed',
          id: cmd.id,
          ...this.stats(),
          flushedMs: (dropped * 1000) / sampleRate,
        });
      }
    };
  }

  private stats() {
    return {
      segmentId: this.segmentId,
      playedMs: (this.segmentPlayed * 1000) / sampleRate,
      totalPlayedMs: (this.totalPlayed * 1000) / sampleRate,
      audibleMs: (this.audible * 1000) / sampleRate,
      bufferedMs: (this.queuedSamples * 1000) / sampleRate,
      droppedMs: (this.dropped * 1000) / sampleRate,
      time: currentTime,
    };
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const out = outputs[0]?.[0];
    if (out === undefined) return true;
    let i = 0;
    while (i < out.length) {
      const chunk = this.queue[0];
      if (chunk === undefined) break;
      if (chunk.segmentId !== this.segmentId) {
        this.segmentId = chunk.segmentId;
        this.segmentPlayed = 0;
        this.port.postMessage({ type: 'started', ...this.stats() });
      }
      const n = Math.min(out.length - i, chunk.samples.length - chunk.offset);
      for (let k = 0; k < n; k++) {
        const v = (chunk.samples[chunk.offset + k] ?? 0) / 0x8000;
        out[i + k] = v;
        if (v > SILENCE || v < -SILENCE) this.audible++;
      }
      chunk.offset += n;
      i += n;
      this.segmentPlayed += n;
      this.totalPlayed += n;
      this.queuedSamples -= n;
      this.sinceReport += n;
      if (chunk.offset === chunk.samples.length) this.queue.shift();
    }
    out.fill(0, i);
    for (let c = 1; c < (outputs[0]?.length ?? 0); c++) outputs[0]?.[c]?.set(out);
    const playing = i > 0;
    if (this.sinceReport >= this.reportEvery || (this.wasPlaying && !playing)) {
      this.sinceReport = 0;
      this.port.postMessage({ type: 'position', ...this.stats() });
    }
    this.wasPlaying = playing;
    return true;
  }
}

registerProcessor('prx-playback', PlaybackProcessor);
