/**
 * A client's side of the session WebSocket's output, for clients that buffer
 * audio themselves: received audio plays at real time from its arrival (an
 * underrun waits), a `prx.voice.playback.started` event names the segment of
 * the audio that follows it, and `prx.voice.playback.flushed` drops everything
 * not yet played — the protocol's clearing rule. `position` is what a client
 * reports as `playback.position`, so the server keeps exactly what was heard.
 */

/** One run of received audio of a segment, placed on the playback timeline. */
interface Chunk {
  readonly segmentId: string | undefined;
  /** When it starts playing (clock ms). */
  readonly startAt: number;
  /** Its duration, ms (cut by a flush). */
  ms: number;
}

/** A client playback buffer; see {@link createClientPlayout}. */
export interface ClientPlayout {
  /** Audio received at `at` (clock ms): `ms` of it. */
  audio(ms: number, at: number): void;
  /** An event received at `at`; acts on `playback.started` and `playback.flushed`. */
  event(event: { readonly type: string; readonly data?: unknown }, at: number): void;
  /** Drops what is not yet played at `at`; returns how much, ms. */
  flush(at: number): number;
  /** Audio played by `at`, ms (everything received minus what is still buffered or was dropped). */
  playedMs(at: number): number;
  /** Audio buffered and not yet played at `at`, ms. */
  bufferedMs(at: number): number;
  /** The segment playing (or last played) at `at` and how much of it was heard: a `playback.position` report. */
  position(at: number): { readonly segmentId: string; readonly playedMs: number } | undefined;
  /** Audio dropped by flushes so far, ms. */
  readonly droppedMs: number;
}

/**
 * Creates a client playout model.
 *
 * @example
 * const playout = createClientPlayout();
 * ws.on('message', (data, binary) => binary
 *   ? playout.audio(data.length / 48, Date.now()) // 24 kHz PCM16: 48 bytes a ms
 *   : playout.event(JSON.parse(data.toString()), Date.now()));
 * setInterval(() => { const p = playout.position(Date.now()); if (p) ws.send(JSON.stringify({ type: 'playback.position', segment_id: p.segmentId, played_ms: p.playedMs })); }, 100);
 */
export function createClientPlayout(): ClientPlayout {
  const chunks: Chunk[] = [];
  let segmentId: string | undefined;
  let until = Number.NEGATIVE_INFINITY;
  let dropped = 0;
  const heardOf = (c: Chunk, at: number): number => Math.min(c.ms, Math.max(0, at - c.startAt));
  const playout: ClientPlayout = {
    audio(ms, at) {
      if (!(ms > 0)) return;
      const startAt = Math.max(at, until);
      const last = chunks.at(-1);
      if (
        last !== undefined &&
        last.segmentId === segmentId &&
        last.startAt + last.ms === startAt
      ) {
        last.ms += ms;
      } else {
        chunks.push({ segmentId, startAt, ms });
      }
      until = startAt + ms;
    },
    event(event, at) {
      if (event.type === 'prx.voice.playback.started') {
        const data = event.data as { segment_id?: unknown } | undefined;
        segmentId = typeof data?.segment_id === 'string' ? data.segment_id : undefined;
      } else if (event.type === 'prx.voice.playback.flushed') {
        playout.flush(at);
      }
    },
    flush(at) {
      let cut = 0;
      for (const c of chunks) {
        const heard = heardOf(c, at);
        cut += c.ms - heard;
        c.ms = heard;
      }
      for (let i = chunks.length - 1; i >= 0; i--) if (chunks[i]?.ms === 0) chunks.splice(i, 1);
      until = Math.min(until, at);
      dropped += cut;
      return cut;
    },
    playedMs: (at) => chunks.reduce((sum, c) => sum + heardOf(c, at), 0),
    bufferedMs: (at) => chunks.reduce((sum, c) => sum + c.ms - heardOf(c, at), 0),
    position(at) {
      const playing = chunks.findLast((c) => c.segmentId !== undefined && c.startAt <= at);
      if (playing?.segmentId === undefined) return undefined;
      const id = playing.segmentId;
      const ms = chunks
        .filter((c) => c.segmentId === id)
        .reduce((sum, c) => sum + heardOf(c, at), 0);
      return { segmentId: id, playedMs: ms };
    },
    get droppedMs() {
      return dropped;
    },
  };
  return playout;
}
