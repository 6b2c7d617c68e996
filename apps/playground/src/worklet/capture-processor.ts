/**
 * Microphone capture: the context runs at 16 kHz, so the processor only converts
 * float samples to PCM16 little-endian and posts 20 ms frames (320 samples) with the
 * frame's peak level, for the session WebSocket and the level meter.
 */

/** Samples in one posted frame: 20 ms at 16 kHz. */
const FRAME_SAMPLES = 320;

/** What the capture processor posts: one frame of PCM16 and its peak (0..1). */
interface CaptureFrame {
  readonly type: 'frame';
  readonly pcm: ArrayBuffer;
  readonly peak: number;
}

class CaptureProcessor extends AudioWorkletProcessor {
  private frame = new Int16Array(FRAME_SAMPLES);
  private filled = 0;
  private peak = 0;

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (channel === undefined) return true;
    for (let i = 0; i < channel.length; i++) {
      const s = Math.max(-1, Math.min(1, channel[i] ?? 0));
      const abs = Math.abs(s);
      if (abs > this.peak) this.peak = abs;
      this.frame[this.filled++] = s < 0 ? s * 0x8000 : s * 0x7fff;
      if (this.filled === FRAME_SAMPLES) {
        const message: CaptureFrame = { type: 'frame', pcm: this.frame.buffer, peak: this.peak };
        this.port.postMessage(message, [this.frame.buffer]);
        this.frame = new Int16Array(FRAME_SAMPLES);
        this.filled = 0;
        this.peak = 0;
      }
    }
    return true;
  }
}

registerProcessor('prx-capture', CaptureProcessor);
