/** Updating a live call through Twilio's REST API, against a local server speaking it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VoiceError } from '@prx-voice/types';
import { startTwilioApiServer } from '../testing/twilio-api.js';
import type { TwilioApiServer } from '../testing/twilio-api.js';
import { updateTwilioCall } from './call-update.js';
import { twimlDial } from './twiml.js';

const accountSid = 'AC0123456789abcdef0123456789abcdef';
const callSid = 'CA0123456789abcdef0123456789abcdef';
const authToken = 'twilio-auth-token';
let api: TwilioApiServer;

beforeAll(async () => {
  api = await startTwilioApiServer({ accountSid, authToken });
  api.calls.add(callSid);
});
afterAll(() => api.close());

const dial = twimlDial({ target: { type: 'phone', number: '+14155550100' } });

async function failure(p: Promise<unknown>): Promise<VoiceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(VoiceError.is(err)).toBe(true);
  return err as VoiceError;
}

describe('twimlDial', () => {
  it('dials a number or a SIP URI, escaping what it carries', () => {
    expect(dial).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Number>+14155550100</Number></Dial></Response>',
    );
    expect(
      twimlDial({
        target: { type: 'sip', uri: 'sip:desk@pbx.example.com;transport=tls&x=1' },
        callerId: '+14155550199',
        timeoutS: 20,
      }),
    ).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Dial callerId="+14155550199" timeout="20"><Sip>sip:desk@pbx.example.com;transport=tls&amp;x=1</Sip></Dial></Response>',
    );
  });
});

describe('updateTwilioCall', () => {
  it('posts the TwiML form-encoded with Basic auth and returns the call', async () => {
    const call = await updateTwilioCall({
      apiBaseUrl: `${api.url}/`,
      accountSid,
      authToken,
      callSid,
      twiml: dial,
    });
    expect(call).toEqual({ sid: callSid, status: 'in-progress' });
    const req = api.requests.at(-1);
    expect(req).toMatchObject({
      method: 'POST',
      path: `/2010-04-01/Accounts/${accountSid}/Calls/${callSid}.json`,
      contentType: 'application/x-www-form-urlencoded',
      form: { Twiml: dial },
    });
  });

  it("turns Twilio's errors into VoiceErrors naming Twilio's code", async () => {
    const wrongToken = await failure(
      updateTwilioCall({
        apiBaseUrl: api.url,
        accountSid,
        authToken: 'nope',
        callSid,
        twiml: dial,
      }),
    );
    expect(wrongToken.code).toBe('PROVIDER_AUTH_FAILED');
    expect(wrongToken.details).toMatchObject({ status: 401, twilio_code: 20003 });
    const ended = await failure(
      updateTwilioCall({
        apiBaseUrl: api.url,
        accountSid,
        authToken,
        callSid: 'CAffffffffffffffffffffffffffffffff',
        twiml: dial,
      }),
    );
    expect(ended.code).toBe('PROVIDER_ERROR');
    expect(ended.message).toMatch(/HTTP 404, code 20404/);
    api.fail({ kind: 'status', status: 503, code: 20503, message: 'Service unavailable' });
    const down = await failure(
      updateTwilioCall({ apiBaseUrl: api.url, accountSid, authToken, callSid, twiml: dial }),
    );
    expect(down.code).toBe('PROVIDER_UNAVAILABLE');
    expect(down.retryable).toBe(true);
  });

  it('refuses a malformed SID before any request, and reports an unreachable API', async () => {
    const before = api.requests.length;
    const bad = await failure(
      updateTwilioCall({
        apiBaseUrl: api.url,
        accountSid,
        authToken,
        callSid: '../x',
        twiml: dial,
      }),
    );
    expect(bad).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'callSid' } });
    expect(api.requests.length).toBe(before);
    const gone = await failure(
      updateTwilioCall({
        apiBaseUrl: 'http://127.0.0.1:9',
        accountSid,
        authToken,
        callSid,
        twiml: dial,
      }),
    );
    expect(gone.code).toBe('PROVIDER_UNAVAILABLE');
  });

  it('stops waiting when aborted', async () => {
    api.fail({ kind: 'hang' });
    const abort = new AbortController();
    const pending = updateTwilioCall({
      apiBaseUrl: api.url,
      accountSid,
      authToken,
      callSid,
      twiml: dial,
      signal: abort.signal,
    });
    abort.abort();
    await expect(pending).rejects.toThrow();
  });
});
