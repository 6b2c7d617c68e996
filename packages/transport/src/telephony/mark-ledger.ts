/** Marks sent to Twilio and not yet echoed, and which of them a `clear` overtook. */

/** What an echo resolves to. */
export interface MarkEcho {
  /** The mark was sent before the latest clear: its audio may have been dropped, not played. */
  readonly cleared: boolean;
  /** When it was sent, by the clock. */
  readonly sentAt: number;
}

/** Pending marks; see {@link createMarkLedger}. */
export interface MarkLedger {
  /** Records a mark sent now. */
  sent(name: string, at: number): void;
  /** Records a clear: every mark pending now is overtaken by it. */
  cleared(): void;
  /**
   * The carrier confirmed a clear and returns no marks it dropped: forgets every mark sent
   * before the latest clear; returns how many.
   */
  dropCleared(): number;
  /** Resolves an echo (the oldest pending mark of that name); undefined if none is pending. */
  echoed(name: string): MarkEcho | undefined;
  /** Marks pending. */
  readonly pending: number;
}

/** Creates an empty {@link MarkLedger}. Marks are few (one per segment), so a list does. */
export function createMarkLedger(): MarkLedger {
  const marks: { name: string; ordinal: number; sentAt: number }[] = [];
  let ordinal = 0;
  let fence = 0;
  return {
    sent: (name, at) => {
      ordinal++;
      marks.push({ name, ordinal, sentAt: at });
    },
    cleared: () => {
      fence = ordinal;
    },
    dropCleared: () => {
      const before = marks.length;
      for (let i = marks.length - 1; i >= 0; i--) {
        if ((marks[i]?.ordinal ?? 0) <= fence) marks.splice(i, 1);
      }
      return before - marks.length;
    },
    echoed: (name) => {
      const index = marks.findIndex((mark) => mark.name === name);
      const mark = marks[index];
      if (mark === undefined) return undefined;
      marks.splice(index, 1);
      return { cleared: mark.ordinal <= fence, sentAt: mark.sentAt };
    },
    get pending() {
      return marks.length;
    },
  };
}
