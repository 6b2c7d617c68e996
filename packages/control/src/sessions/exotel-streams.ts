/**
 * The Exotel streams open on this instance, by Exotel's call SID. Exotel's API documents no
 * request that ends a live call; a bot ends it by closing the call's stream, so hanging up
 * an outbound Exotel call means closing the stream registered here.
 */

/** Open Exotel streams by call SID. */
export interface ExotelStreams {
  /** Registers the stream of `callSid` and how to close it; returns the release (stream closed). */
  register(callSid: string, close: () => void): () => void;
  /** Closes the stream of `callSid`; false when none is open here. */
  close(callSid: string): boolean;
}

/** Creates an empty {@link ExotelStreams}. */
export function createExotelStreams(): ExotelStreams {
  const open = new Map<string, () => void>();
  return {
    register: (callSid, close) => {
      open.set(callSid, close);
      return () => {
        if (open.get(callSid) === close) open.delete(callSid);
      };
    },
    close: (callSid) => {
      const close = open.get(callSid);
      if (close === undefined) return false;
      open.delete(callSid);
      close();
      return true;
    },
  };
}
