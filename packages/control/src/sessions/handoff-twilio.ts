/**
 * Transferring a Twilio call: the live call is updated through Twilio's REST API with
 * `<Dial>` TwiML (`<Number>` or `<Sip>`), authenticated with the account SID (the
 * configured one, else the stream's `start`) and the auth token. The request is bounded
 * by `adapters.providers.twilio.request_timeout_ms` on the server's clock. When Twilio
 * stops the media stream because the call moved on, the stream's end waits for the
 * update's outcome, so the session closes as handed off, not as a hang-up.
 */
import type { Clock } from '@prx-voice/core';
import type { HandoffPerformer } from '@prx-voice/session';
import { twimlDial, updateTwilioCall } from '@prx-voice/transport';
import { VoiceError } from '@prx-voice/types';
import type { TwilioSettings } from './twilio.js';

/** How long a Twilio REST call may take by default, ms (`request_timeout_ms`). */
export const TWILIO_REQUEST_TIMEOUT_MS = 10_000;

/** A Twilio call's handoff performer, and what is in flight. */
export interface TwilioHandoff extends HandoffPerformer {
  /** The call update in flight, settled either way (undefined: none). */
  readonly pending: Promise<void> | undefined;
}

/** The performer of one Twilio call (see the module's description). */
export function twilioHandoff(o: {
  readonly settings: TwilioSettings;
  readonly clock: Clock;
  readonly accountSid: string;
  readonly callSid: string;
}): TwilioHandoff {
  let pending: Promise<void> | undefined;
  const { settings } = o;
  return {
    get pending() {
      return pending;
    },
    perform(request, signal) {
      const abort = new AbortController();
      const onAbort = (): void => abort.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      let timedOut = false;
      const timeoutMs = settings.requestTimeoutMs ?? TWILIO_REQUEST_TIMEOUT_MS;
      const timer = o.clock.setTimeout(() => {
        timedOut = true;
        abort.abort();
      }, timeoutMs);
      const callerId = settings.callerId;
      const done = updateTwilioCall({
        ...(settings.apiBaseUrl === undefined ? {} : { apiBaseUrl: settings.apiBaseUrl }),
        accountSid: settings.accountSid ?? o.accountSid,
        authToken: settings.authToken,
        callSid: o.callSid,
        twiml: twimlDial({
          target: request.target,
          ...(callerId === undefined ? {} : { callerId }),
          ...(settings.dialTimeoutS === undefined ? {} : { timeoutS: settings.dialTimeoutS }),
        }),
        signal: abort.signal,
      })
        .then(() => undefined)
        .catch((err: unknown) => {
          if (timedOut) {
            throw new VoiceError('PROVIDER_TIMEOUT', {
              message: `Twilio did not answer the call update within ${String(timeoutMs)} ms`,
              details: { provider: 'twilio' },
            });
          }
          throw err;
        })
        .finally(() => {
          o.clock.clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
        });
      const settled = done.then(
        () => undefined,
        () => undefined,
      );
      pending = settled;
      void settled.then(() => {
        if (pending === settled) pending = undefined;
      });
      return done;
    },
  };
}
