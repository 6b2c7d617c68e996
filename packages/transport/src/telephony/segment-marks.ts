/**
 * Which segment's audio is going out to Twilio and whether it still owes its
 * `mark`: every segment gets exactly one, named by its id, after its last audio —
 * when the segment ends, or at the latest when another segment's audio starts.
 */

/** The open segment; see {@link createSegmentMarks}. */
export interface SegmentMarks {
  /** Audio of `segmentId` goes out next; returns the open segment to mark first, if it is another. */
  audio(segmentId: string): string | undefined;
  /** The segment ended: true when it has audio out and no mark yet (send its mark now). */
  end(segmentId: string): boolean;
  /** A `clear` dropped the open segment's audio: it owes no mark. */
  reset(): void;
  /** The segment with audio out and no mark yet. */
  readonly open: string | undefined;
}

/** Creates a {@link SegmentMarks} with no open segment. */
export function createSegmentMarks(): SegmentMarks {
  let open: string | undefined;
  return {
    audio: (segmentId) => {
      const previous = open !== undefined && open !== segmentId ? open : undefined;
      open = segmentId;
      return previous;
    },
    end: (segmentId) => {
      if (open !== segmentId) return false;
      open = undefined;
      return true;
    },
    reset: () => {
      open = undefined;
    },
    get open() {
      return open;
    },
  };
}
