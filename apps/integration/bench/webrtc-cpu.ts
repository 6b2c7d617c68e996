/**
 * `tsx --conditions=@prx-voice/source bench/webrtc-cpu.ts [--sessions N] [--seconds S]`:
 * the server's CPU per session-second on the WebRTC path against the session WebSocket
 * path, same load: N concurrent sessions, each streaming S seconds of real-time audio in
 * (a 0.6 s tone, then silence: one turn answered by the mock providers, whose answer
 * comes back). WebRTC callers are libwebrtc peers (`@roamhq/wrtc`: Opus over RTP, RTVI on
 * the data channel); WebSocket callers send PCM16 16 kHz in 20 ms frames. The server is a
 * `prx-voice serve` child process; its CPU is read from `/proc/<pid>/stat` around each
 * run. The callers run in this process.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { startServerProcess } from '../src/support/server-process.ts';
import { connectWrtcCaller } from '../src/support/wrtc-caller.ts';

const KEY = 'pk_bench_webrtc_cpu_0123456789abcdef0123';
const { values } = parseArgs({
  options: { sessions: { type: 'string' }, seconds: { type: 'string' } },
});
const SESSIONS = Number(values.sessions ?? 4);
const SECONDS = Number(values.seconds ?? 10);

/** User + system CPU of a process so far, ms (`/proc/<pid>/stat`, 100 ticks a second). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${String(pid)}/stat`, 'utf8')
    .split(') ')[1]
    ?.split(' ');
  return (Number(fields?.[11]) + Number(fields?.[12])) * 10;
}

async function webSocketSession(url: string): Promise<void> {
  const res = await fetch(`${url}/api/v1/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ provider_options: { asr: { transcript: 'hello there' } } }),
  });
  const { data } = (await res.json()) as { data: { ws_url: string } };
  const ws = new WebSocket(`${data.ws_url}?token=${KEY}`);
  await new Promise((r) => ws.once('open', r));
  const frame = new Int16Array(320);
  const start = Date.now();
  for (let i = 0; i < SECONDS * 50; i++) {
    for (let s = 0; s < frame.length; s++)
      frame[s] =
        i < 30
          ? Math.round(0.3 * 32767 * Math.sin((2 * Math.PI * 300 * (i * 320 + s)) / 16000))
          : 0;
    ws.send(Buffer.from(frame.buffer));
    const due = start + (i + 1) * 20 - Date.now();
    if (due > 0) await new Promise((r) => setTimeout(r, due));
  }
  ws.close();
}

async function webrtcSession(url: string): Promise<void> {
  const caller = await connectWrtcCaller({
    url,
    key: KEY,
    requestData: { provider_options: { asr: { transcript: 'hello there' } } },
  });
  await caller.speak('speech', 600);
  await caller.speak('silence', SECONDS * 1000 - 600);
  caller.close();
}

async function run(
  name: string,
  pid: number,
  session: (url: string) => Promise<void>,
  url: string,
): Promise<number> {
  const before = cpuMs(pid);
  const started = Date.now();
  await Promise.all(Array.from({ length: SESSIONS }, () => session(url)));
  const wall = (Date.now() - started) / 1000;
  const used = cpuMs(pid) - before;
  const perSessionSecond = used / (SESSIONS * SECONDS);
  console.log(
    `${name.padEnd(10)} ${String(SESSIONS)} sessions × ${String(SECONDS)} s: server CPU ${String(used)} ms over ${wall.toFixed(1)} s wall → ${perSessionSecond.toFixed(1)} ms CPU per session-second`,
  );
  return perSessionSecond;
}

const dir = mkdtempSync(join(tmpdir(), 'prx-bench-webrtc-'));
const server = await startServerProcess(dir, {
  PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: KEY,
  PRX_VOICE_STORAGE__DATA_DIR: 'data',
  PRX_VOICE_ADAPTERS__ASR__PROVIDER: 'mock',
  PRX_VOICE_ADAPTERS__AGENT__PROVIDER: 'mock',
  PRX_VOICE_ADAPTERS__TTS__PROVIDER: 'mock',
  PRX_VOICE_ADAPTERS__VAD__PROVIDER: 'energy',
});
try {
  const pid = server.child.pid ?? 0;
  // One of each first, so that neither run pays for warming up.
  await webSocketSession(server.url);
  await webrtcSession(server.url);
  const ws = await run('websocket', pid, webSocketSession, server.url);
  const rtc = await run('webrtc', pid, webrtcSession, server.url);
  console.log(`webrtc / websocket: ${(rtc / ws).toFixed(2)}×`);
} finally {
  server.child.kill('SIGTERM');
  await server.exited;
  rmSync(dir, { recursive: true, force: true });
}
