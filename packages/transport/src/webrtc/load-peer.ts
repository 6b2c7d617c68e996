/**
 * The WebRTC peer, loaded on first use: werift and its DTLS, SRTP and X.509 stack
 * take about 0.4 s to load, a cost every server start paid before the first offer
 * (most servers never get one). Everything else of the transport loads without them.
 */
import type { WebrtcPeer, WebrtcPeerOptions } from './peer.js';

/**
 * Answers a WebRTC offer with a peer (see `peer.ts`): rejects with `VALIDATION_FAILED`
 * for an offer it cannot take; werift loads on the first call.
 */
export async function createWebrtcPeer(
  sdp: string,
  options: WebrtcPeerOptions,
): Promise<WebrtcPeer> {
  const peer = await import('./peer.js');
  return await peer.createWebrtcPeer(sdp, options);
}
