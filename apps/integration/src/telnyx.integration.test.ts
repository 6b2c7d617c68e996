/**
 * Telnyx over the wire against a real server: the TeXML webhook (Ed25519-signed as Telnyx
 * signs it), the TeXML answer, and the media stream driven by a scripted Telnyx that plays
 * what it is sent as Telnyx's buffer does (marks come back once the audio before them has
 * played; a clear returns the marks it dropped). The shared steps are in
 * `support/carrier-call.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '@prx-voice/server';
import type { TelnyxOutboundMessage } from '@prx-voice/transport';
import {
  createTelnyxClientScript,
  createTelnyxSigner,
  decodeTelnyxOutboundAudio,
  parseTelnyxOutbound,
} from '@prx-voice/transport/testing';
import {
  closeCode,
  connectCarrierCall,
  expectBargeIn,
  expectDtmf,
  expectTurnOnAcks,
  hangUp,
  openCarrierSocket,
  sessionCount,
  startCarrierServer,
  markStreamDriver,
} from './support/carrier-call.ts';
import type { CarrierCall, CarrierDriver } from './support/carrier-call.ts';

const signer = createTelnyxSigner();
let server: RunningServer;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ server, stop } = await startCarrierServer('telnyx', {
    PRX_VOICE_TELEPHONY__TELNYX__TENANT: 'default',
    PRX_VOICE_TELEPHONY__TELNYX__PUBLIC_KEY: signer.publicKey,
    PRX_VOICE_TELEPHONY__TELNYX__API_KEY: 'KEY0123456789ABCDEF_telnyx_tests',
    PRX_VOICE_TELEPHONY__TELNYX__CODEC: 'PCMA',
  }));
}, 120_000);
afterAll(async () => {
  await stop();
});

/** Telnyx's TeXML webhook body for call `n` (form-encoded, as a TeXML application sends it). */
function webhookBody(n: number): string {
  return new URLSearchParams({
    AccountSid: 'f5586561-8ff0-4291-a51b-c7dfe4139ff9',
    CallSid: `v3:call-${String(n)}`,
    CallStatus: 'ringing',
    Direction: 'inbound',
    From: '+13122010094',
    To: '+13122123456',
  }).toString();
}

async function webhook(body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${server.url}/telephony/telnyx/voice`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
}

function telnyxDriver(
  customParameters: Record<string, string>,
): CarrierDriver<TelnyxOutboundMessage> {
  const telnyx = createTelnyxClientScript({ customParameters, codec: 'PCMA' });
  return markStreamDriver(telnyx, parseTelnyxOutbound);
}

async function placeCall(
  n: number,
): Promise<{ texml: string; call: CarrierCall<TelnyxOutboundMessage> }> {
  const body = webhookBody(n);
  const res = await webhook(body, signer.headers(body, Date.now() / 1000));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/xml');
  const texml = await res.text();
  const params = Object.fromEntries(
    [...texml.matchAll(/<Parameter name="([^"]+)" value="([^"]+)"\s*\/>/g)].map((m) => [
      m[1] ?? '',
      m[2] ?? '',
    ]),
  );
  const id = params['session_id'] ?? '';
  const call = await connectCarrierCall(
    server,
    id,
    '/telephony/telnyx/stream',
    telnyxDriver(params),
  );
  return { texml, call };
}

describe('Telnyx', () => {
  it('refuses a webhook with a bad, stale or missing signature with 403, starting nothing', async () => {
    const before = await sessionCount(server);
    const body = webhookBody(0);
    const now = Date.now() / 1000;
    const forged = createTelnyxSigner().headers(body, now);
    const res = await webhook(body, forged);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    expect((await webhook(body, signer.headers(body, now - 3600))).status).toBe(403);
    expect((await webhook(body, {})).status).toBe(403);
    // Signed, then changed in transit.
    expect((await webhook(`${body}&To=%2B15550000000`, signer.headers(body, now))).status).toBe(
      403,
    );
    expect(await sessionCount(server)).toBe(before);
  });

  it('closes a media socket whose start carries no or a wrong stream token with 4401', async () => {
    const body = webhookBody(9);
    const texml = await (await webhook(body, signer.headers(body, Date.now() / 1000))).text();
    const sessionId = /name="session_id" value="([^"]+)"/.exec(texml)?.[1] ?? '';
    const tenantId = /name="tenant_id" value="([^"]+)"/.exec(texml)?.[1] ?? '';
    for (const customParameters of [
      { session_id: sessionId, tenant_id: tenantId },
      { session_id: sessionId, tenant_id: tenantId, stream_token: 'forged' },
    ]) {
      const ws = await openCarrierSocket(server, '/telephony/telnyx/stream');
      const closed = closeCode(ws);
      const telnyx = createTelnyxClientScript({ customParameters, codec: 'PCMA' });
      ws.send(telnyx.connected());
      ws.send(telnyx.start());
      expect(await closed).toBe(4401);
    }
  });

  it('answers TeXML opening a bidirectional stream, and a turn completes on mark returns', async () => {
    const { texml, call } = await placeCall(1);
    expect(texml).toContain(
      '<Connect><Stream url="wss://voice.example.com/telephony/telnyx/stream" track="inbound_track" codec="PCMA" bidirectionalMode="rtp" bidirectionalCodec="PCMA"',
    );
    expect(call.id).toMatch(/^sess_/);
    await expectTurnOnAcks(call);
    // The answer is A-law audio: the mock TTS's 440 Hz tone, not silence.
    const frames = call.outbound.flatMap((m) => (m.event === 'media' ? [JSON.stringify(m)] : []));
    const audio = decodeTelnyxOutboundAudio(frames, 'PCMA');
    expect(Math.max(...Array.from(audio.subarray(0, 800), Math.abs))).toBeGreaterThan(1000);
    await hangUp(call);
  }, 60_000);

  it('barge-in: Telnyx gets clear, the stored turn holds exactly the part whose mark came back', async () => {
    const { call } = await placeCall(2);
    await expectBargeIn(server, call);
    await hangUp(call);
  }, 60_000);

  it('DTMF reaches the session as media.dtmf events and a turn', async () => {
    const { call } = await placeCall(3);
    await expectDtmf(call);
    await hangUp(call);
  }, 60_000);
});
