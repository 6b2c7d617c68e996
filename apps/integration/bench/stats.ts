/**
 * The figures of the load bench: percentiles and the pacing deviation of one
 * playback's frames from their ideal real-time schedule.
 */

/** One outbound audio frame as the client saw it arrive. */
export interface ArrivedFrame {
  /** `performance.now()` at arrival, ms. */
  readonly at: number;
  /** Payload size, bytes. */
  readonly bytes: number;
}

/** The `p`-th percentile (0–100, nearest rank) of `values`; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

/**
 * How late each frame of one playback arrived against the ideal schedule of a
 * real-time pacer with a lead, in ms (every value ≥ 0).
 *
 * The pacer (the voice server's `createOutputPacer`, and the echo server's copy
 * of its rule) sends a frame once the listener, who plays from the first frame
 * on in real time, would be at most `leadMs` behind the frame's end: frame k,
 * ending `end_k` ms into the playback, is due at `t0 + max(0, end_k − leadMs)`.
 * So the first `leadMs` of audio go out at once and every later frame one frame
 * length after the previous one. `t0` is not observable by the client, so it is
 * taken as the best fit: the earliest arrival minus its due offset. A frame's
 * deviation is then its arrival minus its due time — the timer lateness, event
 * loop stalls and socket delays of both ends, never negative.
 */
export function pacingDeviations(
  frames: readonly ArrivedFrame[],
  opts: { readonly bytesPerMs: number; readonly leadMs: number },
): number[] {
  let endMs = 0;
  const offsets = frames.map((f) => {
    endMs += f.bytes / opts.bytesPerMs;
    return f.at - Math.max(0, endMs - opts.leadMs);
  });
  const anchor = Math.min(...offsets);
  return offsets.map((o) => o - anchor);
}

/** A number for a table cell: fixed decimals, `-` for NaN. */
export function cell(value: number, decimals = 1): string {
  return Number.isFinite(value) ? value.toFixed(decimals) : '-';
}
