/**
 * Re-chunks a byte stream of arbitrary-sized pieces into fixed-size frames,
 * e.g. 20 ms of PCM16 (640 bytes at 16 kHz) for a transport or a provider.
 */
import { VoiceError } from '@prx-voice/types';

/** Options of {@link createFramer}. */
export interface FramerOptions {
  /** Bytes per frame; even (whole PCM16 samples) and positive. */
  readonly frameBytes: number;
}

/** Options of {@link Framer.flush}. */
export interface FramerFlushOptions {
  /** Zero-fill the pending bytes to a whole frame; default false (return them as they are). */
  readonly pad?: boolean;
}

/** A fixed-size framer; see {@link createFramer}. */
export interface Framer {
  /** Bytes per frame. */
  readonly frameBytes: number;
  /** Bytes received but not yet emitted as a frame (0 … frameBytes − 1). */
  readonly pendingBytes: number;
  /**
   * Adds a chunk and calls `onFrame` once per completed frame, in order. A frame
   * is a view either of `chunk` or of the framer's own buffer: use or copy it
   * before `onFrame` returns. `onFrame` must not call back into this framer.
   */
  push(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void): void;
  /**
   * Returns the pending bytes and empties the framer: as they are (shorter than a
   * frame, possibly empty) or, with `pad`, zero-filled to a whole frame (empty when
   * nothing is pending). The result is a view valid until the next push or flush.
   */
  flush(options?: FramerFlushOptions): Uint8Array;
}

const EMPTY = new Uint8Array(0);

/**
 * Creates a framer emitting frames of exactly `frameBytes` bytes. Throws
 * `VALIDATION_FAILED` unless `frameBytes` is a positive even integer.
 */
export function createFramer(options: FramerOptions): Framer {
  const { frameBytes } = options;
  if (!Number.isSafeInteger(frameBytes) || frameBytes <= 0 || frameBytes % 2 !== 0) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `Frame size ${String(frameBytes)} bytes is invalid; expected a positive even integer (whole PCM16 samples).`,
      details: { frameBytes },
    });
  }
  const pending = new Uint8Array(frameBytes);
  let pendingBytes = 0;
  let busy = false;

  function push(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void): void {
    if (busy) {
      throw new VoiceError('VALIDATION_FAILED', {
        message:
          'Framer.push was called from inside its own onFrame callback; push chunks one after another.',
      });
    }
    busy = true;
    try {
      let offset = 0;
      if (pendingBytes > 0) {
        const take = Math.min(frameBytes - pendingBytes, chunk.length);
        for (let i = 0; i < take; i++) pending[pendingBytes + i] = chunk[i] as number;
        pendingBytes += take;
        offset = take;
        if (pendingBytes < frameBytes) return;
        pendingBytes = 0;
        onFrame(pending);
      }
      // Whole frames straight from the chunk, without copying.
      while (chunk.length - offset >= frameBytes) {
        onFrame(chunk.subarray(offset, offset + frameBytes));
        offset += frameBytes;
      }
      // The remainder is shorter than a frame; a plain loop copies it without allocating a view.
      for (let i = offset; i < chunk.length; i++) pending[i - offset] = chunk[i] as number;
      pendingBytes = chunk.length - offset;
    } finally {
      busy = false;
    }
  }

  function flush(flushOptions: FramerFlushOptions = {}): Uint8Array {
    const count = pendingBytes;
    pendingBytes = 0;
    if (count === 0) return EMPTY;
    if (flushOptions.pad === true) {
      pending.fill(0, count);
      return pending;
    }
    return pending.subarray(0, count);
  }

  return {
    frameBytes,
    get pendingBytes() {
      return pendingBytes;
    },
    push,
    flush,
  };
}
