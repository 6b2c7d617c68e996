/**
 * The playground's playback figures, shown as text and kept as `data-` attributes
 * of their element (which the browser test reads): played, buffered and dropped
 * audio, and how fast the last barge-in stopped the reply.
 */
import type { PlaybackReport } from './audio.js';

/** Shows the worklet's figures in `host`. */
export function showPlayback(host: HTMLElement, r: PlaybackReport): void {
  const d = host.dataset;
  d['playedMs'] = String(Math.round(r.totalPlayedMs));
  d['audibleMs'] = String(Math.round(r.audibleMs));
  d['bufferedMs'] = String(Math.round(r.bufferedMs));
  d['droppedMs'] = String(Math.round(r.droppedMs));
  host.textContent = `played ${d['playedMs']} ms · buffered ${d['bufferedMs']} ms · dropped ${d['droppedMs']} ms${
    d['stopMs'] === undefined
      ? ''
      : ` · last barge-in stopped ${d['stopMs']} ms after the event (acknowledged in ${d['ackMs'] ?? '?'} ms)`
  }`;
}

/**
 * Keeps how fast a barge-in stopped the reply: from the interruption event's
 * arrival (`at`, on the page's and the audio clock, ms) to the worklet dropping
 * what was queued (`flushed.time`, audio clock) — from then on the output is
 * silent — and the page's round trip to the worklet (`ack-ms`) beside it.
 */
export function recordStop(
  host: HTMLElement,
  at: { readonly page: number; readonly audio: number },
  flushed: PlaybackReport,
): void {
  const d = host.dataset;
  const ack = performance.now() - at.page;
  d['ackMs'] = ack.toFixed(1);
  const stop = flushed.time === undefined ? ack : Math.max(0, flushed.time * 1000 - at.audio);
  d['stopMs'] = stop.toFixed(1);
  d['stops'] = String(Number(d['stops'] ?? '0') + 1);
}
