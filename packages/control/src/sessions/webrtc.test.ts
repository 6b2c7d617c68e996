/**
 * SmallWebRTC signalling where the server composes it: `POST /api/v1/webrtc/offer` answers
 * a libwebrtc offer and creates a `webrtc` session, `PATCH` takes trickled candidates,
 * bad input is refused with its reason, the session ends when ICE never connects, and
 * both routes are in the OpenAPI document. Media over a real peer connection is exercised
 * in `apps/integration/src/webrtc.integration.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { composeVoiceControl, settle, shutdownOnClock } from '../testing/composed.js';
import type { VoiceControl } from '../voice-control.js';

/** An offer as `@roamhq/wrtc` (libwebrtc) makes it: Opus audio and a data channel. */
const OFFER = [
  'v=0',
  'o=- 5372990983441828082 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 9 0 8 110',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:TQgc',
  'a=ice-pwd:Qk4EZ1jDmN6cwKXkAxdajjZX',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 71:6F:25:98:92:1B:9B:E7:6E:BF:49:F9:BB:04:8D:6C:3C:D9:78:1C:A9:91:70:A1:10:52:38:58:97:3E:12:45',
  'a=setup:actpass',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
  'a=sendrecv',
  'a=msid:- 8754a5c6-4f70-4078-9885-5d086820bf90',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:110 telephone-event/48000',
  'a=ssrc:4151592207 cname:4AAB92eT0+nh3fW+',
  'a=ssrc:4151592207 msid:- 8754a5c6-4f70-4078-9885-5d086820bf90',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:TQgc',
  'a=ice-pwd:Qk4EZ1jDmN6cwKXkAxdajjZX',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 71:6F:25:98:92:1B:9B:E7:6E:BF:49:F9:BB:04:8D:6C:3C:D9:78:1C:A9:91:70:A1:10:52:38:58:97:3E:12:45',
  'a=setup:actpass',
  'a=mid:1',
  'a=sctp-port:5000',
  'a=max-message-size:262144',
  '',
].join('\r\n');

let h: ControlHarness;
let voice: VoiceControl;
let tenantId: string;
let admin: string;

beforeAll(async () => {
  h = await createControlHarness();
  const tenant = await h.tenant();
  tenantId = tenant.id;
  admin = await h.key(tenant.id, 'tenant_admin');
  voice = composeVoiceControl(h, {
    adapters: {
      asr: { provider: 'mock' },
      agent: { provider: 'mock' },
      tts: { provider: 'mock' },
      vad: { provider: 'energy' },
    },
    server: { shutdown_timeout_ms: 0 },
  });
}, 60_000);

afterAll(() => shutdownOnClock(h, voice));

const call = (method: string, token: string | undefined, body: unknown) =>
  h.request(
    '/api/v1/webrtc/offer',
    { method, ...(token === undefined ? {} : { token }), body },
    voice.control,
  );

async function sessions(): Promise<Record<string, unknown>[]> {
  const list = await h.request('/api/v1/sessions', { token: admin }, voice.control);
  return ((await list.json()) as { data: { items: Record<string, unknown>[] } }).data.items;
}

describe('POST /api/v1/webrtc/offer', () => {
  it('answers an offer with { sdp, type, pc_id }, creates a webrtc session and takes candidates', async () => {
    const res = await call('POST', admin, {
      sdp: OFFER,
      type: 'offer',
      pc_id: null,
      restart_pc: false,
      requestData: { provider_options: { asr: { transcript: 'hi' } } },
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { sdp: string; type: string; pc_id: string };
    expect(answer.type).toBe('answer');
    expect(answer.pc_id).toMatch(/^pc_/);
    expect(answer.sdp).toMatch(/^v=0\r\n/);
    expect(answer.sdp).toContain('opus/48000/2');
    expect(answer.sdp).toContain('webrtc-datachannel');
    expect(answer.sdp).toMatch(/a=candidate:/);
    const items = await sessions();
    expect(items[0]).toMatchObject({ channel: 'webrtc', tenant_id: tenantId });

    const patch = await call('PATCH', admin, {
      pc_id: answer.pc_id,
      candidates: [
        {
          candidate: 'candidate:1 1 udp 2122260223 192.0.2.77 50000 typ host generation 0',
          sdp_mid: '0',
          sdp_mline_index: 0,
        },
      ],
    });
    expect(patch.status).toBe(200);
    expect(await patch.json()).toEqual({ status: 'success' });

    // ICE never completes (nobody is there): the peer times out and the session ends.
    h.clock.advance(31_000);
    await settle();
    const after = (await sessions()).find((s) => s.id === items[0]?.id);
    expect(after?.state).toMatch(/closed|ended/i);
    const gone = await call('PATCH', admin, { pc_id: answer.pc_id, candidates: [] });
    expect(gone.status).toBe(404);
  });

  it('refuses an offer it cannot answer with 400 and the reason, creating no session', async () => {
    const before = (await sessions()).length;
    const garbage = await call('POST', admin, { sdp: 'hello', type: 'offer' });
    expect(garbage.status).toBe(400);
    const body = (await garbage.json()) as {
      error: { code: string; message: string; details: unknown };
    };
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.message).toContain('does not start with "v=0"');
    expect(body.error.details).toMatchObject({ reason: 'not_sdp' });

    const noOpus = await call('POST', admin, {
      sdp: OFFER.replace(/opus/g, 'speex'),
      type: 'offer',
    });
    expect(noOpus.status).toBe(400);
    expect(((await noOpus.json()) as { error: { details: unknown } }).error.details).toMatchObject({
      reason: 'no_opus',
    });
    const answerType = await call('POST', admin, { sdp: OFFER, type: 'answer' });
    expect(answerType.status).toBe(400);
    expect((await sessions()).length).toBe(before);
  });

  it('needs a credential that may create sessions; an unknown pc_id is a 404', async () => {
    expect((await call('POST', undefined, { sdp: OFFER, type: 'offer' })).status).toBe(401);
    expect((await call('PATCH', undefined, { pc_id: 'pc_x', candidates: [] })).status).toBe(401);
    const viewer = await h.key(tenantId, 'workspace_viewer');
    expect((await call('POST', viewer, { sdp: OFFER, type: 'offer' })).status).toBe(403);
    const unknown = await call('PATCH', admin, { pc_id: 'pc_nope', candidates: [] });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain(
      'pc_nope',
    );
    const renegotiate = await call('POST', admin, { sdp: OFFER, type: 'offer', pc_id: 'pc_nope' });
    expect(renegotiate.status).toBe(404);
  });

  it('documents both routes in the OpenAPI document', async () => {
    const res = await h.request('/api/v1/openapi.json', {}, voice.control);
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/webrtc/offer'] ?? {}).sort()).toEqual(['patch', 'post']);
  });
});
