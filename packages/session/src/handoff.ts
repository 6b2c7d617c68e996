/**
 * Handoff to a person: where a session can be transferred, who asked, and the
 * interface a transport implements to carry the transfer out (Twilio updates the
 * live call with `<Dial>` TwiML; the session WebSocket's client acts on the
 * `handoff_requested` event itself).
 */

/** Where a handoff goes: an E.164 phone number or a SIP URI (validated at the edges). */
export type HandoffTarget =
  | { readonly type: 'phone'; readonly number: string }
  | { readonly type: 'sip'; readonly uri: string };

/** What asked for the handoff: the agent's `transfer_call` tool, a flow action, or the API. */
export type HandoffTrigger = 'tool' | 'flow' | 'api';

/** A handoff the effects runner carries out. */
export interface HandoffRequest {
  readonly target: HandoffTarget;
  readonly reason?: string;
  readonly trigger: HandoffTrigger;
}

/**
 * Carries a handoff out on the session's transport. Resolves once the transfer has
 * taken (the session then closes with outcome `handoff`); rejects (a `VoiceError`
 * preferably) when it did not. `signal` aborts when the session gives up on it
 * (HandoffPending's timeout, the session's end).
 */
export interface HandoffPerformer {
  perform(request: HandoffRequest, signal: AbortSignal): Promise<void>;
}
