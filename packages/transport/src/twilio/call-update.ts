/**
 * Twilio's REST API, the one call a transfer needs: update a live call with new TwiML
 * (`POST {api}/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json`, form-encoded
 * `Twiml=…`, HTTP Basic auth with the account SID and auth token). Twilio's error body
 * `{code, message, more_info, status}` becomes a `VoiceError` naming Twilio's code.
 */
import { checkTwilioSids, postTwilioCallForm } from './rest.js';
import type { TwilioCallResource, TwilioRestOptions } from './rest.js';

export { TWILIO_API_BASE_URL } from './rest.js';
export type { TwilioCallResource } from './rest.js';

/** Options of {@link updateTwilioCall}. */
export interface UpdateTwilioCallOptions extends TwilioRestOptions {
  readonly callSid: string;
  /** The TwiML the call runs from now on (e.g. `twimlDial`'s). */
  readonly twiml: string;
}

/**
 * Updates a live call with `twiml`; resolves to the call resource Twilio answers.
 * Throws `VALIDATION_FAILED` for a malformed SID, `PROVIDER_AUTH_FAILED` (401/403),
 * `PROVIDER_RATE_LIMITED` (429), `PROVIDER_UNAVAILABLE` (5xx, network), `PROVIDER_ERROR`
 * (other refusals, e.g. 404 for a call that has ended), and rethrows an abort.
 *
 * @example
 * await updateTwilioCall({ accountSid, authToken, callSid, twiml: twimlDial({ target }) });
 */
export async function updateTwilioCall(o: UpdateTwilioCallOptions): Promise<TwilioCallResource> {
  checkTwilioSids({ accountSid: o.accountSid, callSid: o.callSid });
  return postTwilioCallForm(o, {
    path: `/Calls/${o.callSid}.json`,
    form: new URLSearchParams({ Twiml: o.twiml }),
    action: 'call update',
    fallbackSid: o.callSid,
  });
}
