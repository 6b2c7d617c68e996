import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '@prx-voice/server';
import { twilioSignature } from '@prx-voice/transport';
import type { TwilioOutboundMessage } from '@prx-voice/transport';
import { createTwilioClientScript, parseTwilioOutbound } from '@prx-voice/transport/testing';
import type { TwilioClientScript } from '@prx-voice/transport/testing';
import {
  CARRIER_KEY,
  CARRIER_PUBLIC_URL as PUBLIC,
  FIRST,
  SECOND,
  audioCount as mediaCount,
  connectCarrierCall,
  hangUp,
  isType,
  markNames as marks,
  speak,
  startCarrierServer,
  storedTurns,
  markStreamDriver,
} from './support/carrier-call.ts';
import type { CarrierCall, CarrierDriver } from './support/carrier-call.ts';

const AUTH_TOKEN = 'twilio_auth_token_for_mark_tests';
let server: RunningServer;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ server, stop } = await startCarrierServer('twilio-marks', {
    PRX_VOICE_ADAPTERS__PROVIDERS__TWILIO: JSON.stringify({
      auth_token: AUTH_TOKEN,
      tenant: 'default',
    }),
  }));
}, 120_000);
afterAll(async () => {
  await stop();
});

/** A scripted Twilio as a carrier driver: a clear has it echo the marks it dropped. */
const twilioDriver = (twilio: TwilioClientScript): CarrierDriver<TwilioOutboundMessage> =>
  markStreamDriver(twilio, parseTwilioOutbound);

/** One call: the webhook, the media stream with a scripted Twilio, and the session's events. */
interface Call extends CarrierCall<TwilioOutboundMessage> {
  readonly twilio: TwilioClientScript;
}

async function placeCall(n: number): Promise<Call> {
  const form = {
    CallSid: `CA${n.toString(16).padStart(32, '0')}`,
    AccountSid: 'AC0123456789abcdef0123456789abcdef',
    From: '+14155550100',
    To: '+14155550199',
  };
  const res = await fetch(`${server.url}/telephony/twilio/voice`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilioSignature(AUTH_TOKEN, `${PUBLIC}/telephony/twilio/voice`, form),
    },
    body: new URLSearchParams(form).toString(),
  });
  expect(res.status).toBe(200);
  const params = Object.fromEntries(
    [...(await res.text()).matchAll(/<Parameter name="([^"]+)" value="([^"]+)"\s*\/>/g)].map(
      (m) => [m[1] ?? '', m[2] ?? ''],
    ),
  );
  const id = params['session_id'] ?? '';
  const twilio = createTwilioClientScript({ customParameters: params });
  const call = await connectCarrierCall(
    server,
    id,
    '/telephony/twilio/stream',
    twilioDriver(twilio),
  );
  return { ...call, twilio };
}

describe('Twilio marks drive the playback position', () => {
  it('a mark follows every segment, the last one included; the server goes past a segment only on its echo', async () => {
    const call = await placeCall(1);
    speak(call);
    await call.until(() => marks(call).length === 1);
    const segments = call.events.events
      .filter(isType('prx.voice.tts.segment_queued'))
      .map((e) => e.data as { segment_id: string; text: string });
    expect(segments.map((s) => s.text)).toEqual([FIRST, SECOND]);
    const [first, second] = segments.map((s) => s.segment_id);
    expect(marks(call)).toEqual([first]);
    // Held at the first segment's end, the server sends the second one no further than its
    // lead (200 ms) until Twilio says the first has played.
    call.ack(call.twilio.playToMark());
    await call.events.waitFor(isType('prx.voice.playback.completed', first));
    await call.until(() => marks(call).length === 2);
    expect(marks(call)).toEqual([first, second]);
    // The whole answer went out: Twilio has (second.length × 50 ms) buffered, then the last mark.
    expect(call.twilio.bufferedMs).toBe(SECOND.length * 50);
    expect(call.twilio.pendingMarks).toEqual([second]);
    // Twilio plays it late (a slow network): the server waits for the echo, it does not
    // finish the turn by its own clock. The delay stands for Twilio's playback, not a wait
    // for the server; it stays well under the server's 2 s patience for a missing echo.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(call.events.events.filter(isType('prx.voice.playback.completed', second))).toEqual([]);
    expect(call.events.events.filter(isType('prx.voice.turn.completed'))).toEqual([]);
    const echoedAt = Date.now();
    call.ack(call.twilio.playToMark());
    const completed = await call.events.waitFor(isType('prx.voice.turn.completed'));
    const played = await call.events.waitFor(isType('prx.voice.playback.completed', second));
    expect(Date.parse(played.time)).toBeGreaterThanOrEqual(echoedAt - 5);
    expect(completed.data).toMatchObject({
      assistant_text: `${FIRST} ${SECOND}`,
      interrupted: false,
    });
    await hangUp(call);
  }, 60_000);

  it('barge-in after echoing only the first mark: Twilio gets clear, the heard text is the first segment', async () => {
    const call = await placeCall(2);
    speak(call);
    await call.until(() => marks(call).length === 1);
    const [first] = marks(call);
    call.ack(call.twilio.playToMark());
    // The echo moved the position: the server sends the rest of the second segment again.
    const before = mediaCount(call);
    await call.until(() => mediaCount(call) > before + 1);
    const res = await fetch(`${server.url}/api/v1/sessions/${call.id}/interrupt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CARRIER_KEY}` },
    });
    expect(res.status).toBe(200);
    await call.until(() => call.outbound.some((m) => m.event === 'clear'));
    const resolved = await call.events.waitFor(isType('prx.voice.interrupt.resolved'));
    expect(resolved.data).toMatchObject({ heard_text: FIRST });
    expect(call.events.events.filter(isType('prx.voice.playback.completed', first))).toHaveLength(
      1,
    );
    // Nothing goes out after the clear until a new answer starts.
    const cleared = call.outbound.findIndex((m) => m.event === 'clear');
    expect(call.outbound.slice(cleared + 1)).toEqual([]);
    expect((await storedTurns(server, call.id))[0]).toMatchObject({
      interrupted: true,
      assistant_text: FIRST,
    });
    await hangUp(call);
  }, 60_000);
});
