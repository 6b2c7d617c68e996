/**
 * Payload schema of `prx.voice.session.call_status`: what a phone carrier says about the
 * session's call outside its media stream — a status callback (`ringing`, `answered`,
 * `completed`, …), an answering-machine detection result, and the outcome of the hang-up
 * the server asked for when the session ended (`hangup_failed` after its retries).
 */
import { z } from 'zod';
import { nonEmptySchema } from './common.js';

/** What an answering-machine detection found (Twilio's `AnsweredBy`, Telnyx's `result`). */
export const ANSWERED_BY = [
  'human',
  'machine',
  'machine_end_beep',
  'machine_end_silence',
  'machine_end_other',
  'fax',
  'unknown',
] as const;

/** `session.call_status`: the carrier's word on the call. */
export const callStatusSchema = z.object({
  /** The carrier (`twilio`, `telnyx`, …). */
  carrier: nonEmptySchema,
  /** The carrier's id of the call (Twilio's CallSid, Telnyx's call_control_id). */
  call_id: z.string(),
  /**
   * The call's status as the carrier names it (`initiated`, `ringing`, `answered`,
   * `in-progress`, `completed`, `busy`, `no-answer`, `failed`, `canceled`, …), or this
   * server's `machine_detected` (an AMD result), `hung_up` or `hangup_failed`.
   */
  status: nonEmptySchema,
  /** An answering-machine detection result, when the carrier sent one. */
  answered_by: z.enum(ANSWERED_BY).optional(),
  /** The call's duration in seconds, when the carrier said (final statuses). */
  duration_s: z.number().nonnegative().optional(),
  /** Hang-up attempts made (`hung_up`, `hangup_failed`). */
  attempts: z.number().int().positive().optional(),
  /** Why the hang-up failed (the carrier's answer, or the network error). */
  error: z.string().optional(),
});

/** The call-status family: type → data schema. */
export const CALL_DATA_SCHEMAS = {
  'prx.voice.session.call_status': callStatusSchema,
} as const;
