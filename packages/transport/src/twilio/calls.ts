/**
 * Outbound calls through Twilio's REST API: create a call (`POST …/Calls.json` with `To`,
 * `From`, the TwiML to run once answered, status callbacks for every progress event and,
 * when asked, asynchronous answering-machine detection) and hang one up (`POST
 * …/Calls/{CallSid}.json` with `Status=completed`).
 */
import { checkTwilioSids, postTwilioCallForm } from './rest.js';
import type { TwilioCallResource, TwilioRestOptions } from './rest.js';

/** The call progress events a status callback is asked for. */
export const TWILIO_STATUS_CALLBACK_EVENTS = Object.freeze([
  'initiated',
  'ringing',
  'answered',
  'completed',
] as const);

/** Options of {@link createTwilioCall}. */
export interface CreateTwilioCallOptions extends TwilioRestOptions {
  /** The number called (E.164) or a `sip:` / `client:` address. */
  readonly to: string;
  /** The caller ID: a Twilio number of the account. */
  readonly from: string;
  /** The TwiML the call runs once answered (e.g. `twimlConnectStream`'s). */
  readonly twiml: string;
  /** Where Twilio posts the call's progress (`StatusCallback`). */
  readonly statusCallback?: string;
  /** Detect an answering machine (`MachineDetection=Enable`, asynchronous); the result goes to `amdCallback`. */
  readonly machineDetection?: boolean;
  /** Where Twilio posts the detection result (`AsyncAmdStatusCallback`; default `statusCallback`). */
  readonly amdCallback?: string;
  /** Seconds to ring before giving up (`Timeout`). */
  readonly timeoutS?: number;
}

/**
 * Asks Twilio to place a call; resolves to the new call (`queued`). Throws as
 * `updateTwilioCall` does (e.g. `PROVIDER_ERROR` for Twilio's 21211 invalid `To`).
 *
 * @example
 * const call = await createTwilioCall({ accountSid, authToken, to: '+14155550100', from: '+14155550199', twiml });
 */
export async function createTwilioCall(o: CreateTwilioCallOptions): Promise<TwilioCallResource> {
  checkTwilioSids({ accountSid: o.accountSid });
  const form = new URLSearchParams({ To: o.to, From: o.from, Twiml: o.twiml });
  if (o.statusCallback !== undefined) {
    form.set('StatusCallback', o.statusCallback);
    form.set('StatusCallbackMethod', 'POST');
    for (const event of TWILIO_STATUS_CALLBACK_EVENTS) form.append('StatusCallbackEvent', event);
  }
  if (o.machineDetection === true) {
    form.set('MachineDetection', 'Enable');
    form.set('AsyncAmd', 'true');
    const amd = o.amdCallback ?? o.statusCallback;
    if (amd !== undefined) {
      form.set('AsyncAmdStatusCallback', amd);
      form.set('AsyncAmdStatusCallbackMethod', 'POST');
    }
  }
  if (o.timeoutS !== undefined) form.set('Timeout', String(o.timeoutS));
  return postTwilioCallForm(o, { path: '/Calls.json', form, action: 'call', fallbackSid: '' });
}

/** Options of {@link hangUpTwilioCall}. */
export interface HangUpTwilioCallOptions extends TwilioRestOptions {
  readonly callSid: string;
}

/** Ends a call (`Status=completed`); throws as `updateTwilioCall` does. */
export async function hangUpTwilioCall(o: HangUpTwilioCallOptions): Promise<TwilioCallResource> {
  checkTwilioSids({ accountSid: o.accountSid, callSid: o.callSid });
  return postTwilioCallForm(o, {
    path: `/Calls/${o.callSid}.json`,
    form: new URLSearchParams({ Status: 'completed' }),
    action: 'hang-up',
    fallbackSid: o.callSid,
  });
}
