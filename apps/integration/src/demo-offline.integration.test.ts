/**
 * A fresh `pnpm start` with the offline engines answers the demo's spoken questions:
 * no agent or script configured, so `auto` runs pocketsphinx (with the grammar derived
 * from the demo's phrases), the built-in `demo` assistant and espeak-ng. The questions
 * are spoken by espeak-ng, resampled to 16 kHz with sox and streamed at real time over
 * the session WebSocket; the transcripts, the assistant's answers and the tool calls
 * (availability, then booking) come back as events on the same socket.
 *
 * This is also the two-node flow run end to end over the WebSocket with the offline
 * stack: the demo runs in its flow (`info` → `booking` → `info`) driven by the
 * session's flows engine — the spoken request makes the agent call `start_booking`,
 * whose call moves the flow into `booking`, where the availability and the booking run
 * the restaurant's tools, and `book_table`'s result (`booked: true`) moves it back to
 * `info`; the node events arrive on the socket, and the booking node's answers are
 * spoken by espeak-ng.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWav } from '@prx-voice/media';
import { startServer } from '@prx-voice/server';
import type { RunningServer } from '@prx-voice/server';
import { connectWs } from './support/ws-client.js';
import type { WsClient } from './support/ws-client.js';

function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const available = has('espeak-ng') && has('pocketsphinx_continuous') && has('sox');
if (!available && process.env.CI !== undefined)
  throw new Error('espeak-ng, sox and pocketsphinx must be installed in CI');

const KEY = 'pk_integration_demo_key_0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'prx-demo-'));
let server: RunningServer;

beforeAll(async () => {
  if (!available) return;
  // As `pnpm start` runs it: built-in defaults, nothing configured but the port and a key.
  server = await startServer({
    load: {
      cwd: dir,
      env: {
        PRX_VOICE_SERVER__PORT: '0',
        PRX_VOICE_SERVER__SHUTDOWN_TIMEOUT_MS: '300',
        PRX_VOICE_SERVER__HOST: '127.0.0.1',
        PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: KEY,
        PRX_VOICE_STORAGE__DATA_DIR: 'data',
      },
    },
    log: (line) => process.stderr.write(`SERVER: ${line}\n`),
  });
}, 120_000);
afterAll(async () => {
  if (available) await server.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

/** espeak-ng saying `text`, resampled by sox to 16 kHz mono PCM16. */
function speak(text: string): Int16Array {
  const raw = join(dir, 'raw.wav');
  const file = join(dir, `${text.replace(/\W+/g, '_')}.wav`);
  execFileSync('espeak-ng', ['-v', 'en-us+f2', '-w', raw, text]);
  execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', file]);
  const wav = readWav(readFileSync(file));
  expect(wav.sampleRate).toBe(16000);
  return wav.samples;
}

/** Streams `text` spoken, at real time, with silence around it; resolves with the turn it made. */
async function ask(client: WsClient, text: string): Promise<Record<string, unknown>> {
  const completed = client.next('prx.voice.turn.completed');
  const speech = speak(text);
  const padded = new Int16Array(speech.length + 16000 * 2);
  padded.set(speech, 8000); // 0.5 s of silence before, 1.5 s after
  for (let i = 0; i < padded.length; i += 320) {
    const chunk = padded.subarray(i, i + 320);
    client.ws.send(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const turn = (await completed).data as Record<string, unknown>;
  process.stderr.write(
    `DEMO: heard "${String(turn.user_text)}" → "${String(turn.assistant_text)}"\n`,
  );
  return turn;
}

describe.skipIf(!available)(
  'a first conversation offline: espeak-ng → pocketsphinx (demo grammar) → demo assistant → espeak-ng',
  () => {
    it('answers the demo’s spoken questions, checking and booking a table through its tools', async () => {
      const res = await fetch(`${server.url}/api/v1/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({}),
      });
      const created = (await res.json()) as {
        data: { ws_url: string; providers: Record<string, string> };
      };
      expect(created.data.providers).toMatchObject({
        asr: 'pocketsphinx',
        agent: 'demo',
        tts: 'espeak',
      });
      const client = await connectWs(`${created.data.ws_url}?token=${KEY}`);

      const hello = await ask(client, 'hello');
      expect(hello.user_text).toBe('hello');
      expect(hello.assistant_text).toMatch(/^Hello, and welcome to the Riverside Bistro\./);

      const hours = await ask(client, 'when are you open');
      expect(hours.user_text).toBe('when are you open');
      expect(hours.assistant_text).toBe('We are open from noon to 10 pm, every day except Monday.');

      const audioBeforeTable = client.audioBytes;
      const table = await ask(client, 'is there a table for four on friday at seven thirty');
      expect(table.user_text).toBe('is there a table for four on friday at seven thirty');
      expect(table.assistant_text).toBe(
        'Good news: we have a table for 4 on Friday at 7:30 pm. What name shall I put the booking under?',
      );

      const data = (type: string) =>
        client.events.filter((e) => e.type === type).map((e) => e.data as Record<string, unknown>);
      const FRIDAY = { party_size: 4, day: 'friday', time: '19:30' };
      // The request took the flow from info to booking (start_booking), where the table was checked.
      expect(data('prx.voice.flow.node_exited')).toEqual([
        { node: 'info', to: 'booking', reason: 'transition_to', function: 'start_booking' },
      ]);
      expect(data('prx.voice.flow.node_entered')).toContainEqual({
        node: 'booking',
        from: 'info',
        reason: 'transition_to',
        function: 'start_booking',
      });
      // The booking node's answer was spoken by espeak-ng: seconds of audio (24 kHz PCM16).
      expect(client.audioBytes - audioBeforeTable).toBeGreaterThan(24000 * 2 * 2);

      const name = await ask(client, 'my name is alice');
      expect(name.user_text).toBe('my name is alice');
      expect(data('prx.voice.agent.tool_call')).toMatchObject([
        { name: 'start_booking', arguments: FRIDAY },
        { name: 'check_availability', arguments: FRIDAY },
        { name: 'book_table', arguments: { ...FRIDAY, name: 'Alice' } },
      ]);
      const results = data('prx.voice.agent.tool_result');
      expect(results).toMatchObject([
        { name: 'start_booking', ok: true, result: FRIDAY },
        { name: 'check_availability', ok: true, result: { available: true } },
        { name: 'book_table', ok: true, result: { booked: true } },
      ]);
      // book_table's result chose the way back: booking exited to info.
      expect(data('prx.voice.flow.node_exited').at(-1)).toEqual({
        node: 'booking',
        to: 'info',
        reason: 'transition_on',
        function: 'book_table',
      });
      expect(data('prx.voice.flow.node_entered').at(-1)).toEqual({
        node: 'info',
        from: 'booking',
        reason: 'transition_on',
        function: 'book_table',
      });
      const reference = (results[2]?.result as { reference: string }).reference;
      expect(name.assistant_text).toBe(
        `Done: a table for 4 on Friday at 7:30 pm, under the name Alice. Your reference is ${reference}. Is there anything else?`,
      );
      // What the agent said is what the turn reports it said.
      const spoken = data('prx.voice.agent.response_complete').map((d) => d.text);
      expect(spoken).toContain(name.assistant_text);

      const bye = await ask(client, 'thank you');
      expect(bye.user_text).toBe('thank you');
      expect(bye.assistant_text).toBe('You are welcome. Goodbye!');
      expect(client.audioBytes).toBeGreaterThan(24000 * 2 * 10); // well over 10 s of answers
      client.ws.send(JSON.stringify({ type: 'end' }));
      client.ws.close();
    }, 240_000);
  },
);
