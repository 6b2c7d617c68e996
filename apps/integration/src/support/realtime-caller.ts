/**
 * Helpers of the OpenAI Realtime tests: a self-signed certificate for the server's TLS
 * listener (made with openssl; clients trust it through their own `ca` option), a caller
 * that streams 20 ms frames of PCM16 24 kHz in real time (a 300 Hz tone is speech to the
 * energy VAD, then silence), and a recorder of server events to wait on.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A certificate for 127.0.0.1 and its key, written in `dir`. */
export function selfSignedCert(dir: string): { certFile: string; keyFile: string; cert: Buffer } {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile, cert: readFileSync(certFile) };
}

const FRAME_SAMPLES = 480; // 20 ms at 24 kHz

function frame(kind: 'speech' | 'silence'): Buffer {
  const out = Buffer.alloc(FRAME_SAMPLES * 2);
  if (kind === 'silence') return out;
  for (let i = 0; i < FRAME_SAMPLES; i++)
    out.writeInt16LE(Math.round(0.3 * 32767 * Math.sin((2 * Math.PI * 300 * i) / 24000)), i * 2);
  return out;
}

/** A caller streaming audio in real time until stopped. */
export interface RealtimeCaller {
  /** Speaks (the tone) for `ms`, then goes back to silence. */
  say(ms: number): void;
  stop(): void;
}

/** Starts streaming: `send` gets each 20 ms frame of PCM16 24 kHz mono. */
export function startCaller(send: (pcm: Buffer) => void): RealtimeCaller {
  const speech = frame('speech');
  const silence = frame('silence');
  let speechFrames = 0;
  const timer = setInterval(() => {
    send(speechFrames > 0 ? speech : silence);
    if (speechFrames > 0) speechFrames--;
  }, 20);
  return {
    say: (ms) => {
      speechFrames = Math.round(ms / 20);
    },
    stop: () => clearInterval(timer),
  };
}

/** A server event as recorded. */
export type ServerEvent = Record<string, unknown> & { readonly type: string };

/** Records events and resolves waits on them. */
export interface EventRecorder {
  readonly events: ServerEvent[];
  push(event: ServerEvent): void;
  /** The first event from index `from` on matching, now or when it comes; rejects after `timeoutMs`. */
  next(match: (e: ServerEvent) => boolean, from?: number, timeoutMs?: number): Promise<ServerEvent>;
}

/** Creates a recorder. */
export function eventRecorder(): EventRecorder {
  const events: ServerEvent[] = [];
  const waiters = new Set<() => void>();
  return {
    events,
    push(event) {
      events.push(event);
      for (const w of [...waiters]) w();
    },
    next(match, from = 0, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = events.slice(from).find(match);
          if (found === undefined) return false;
          waiters.delete(waiter);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const waiter = (): void => void check();
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(
              `no matching event in ${String(timeoutMs)} ms; got ${events
                .slice(from)
                .map((e) => (e.type === 'error' ? JSON.stringify(e) : e.type))
                .join(', ')}`,
            ),
          );
        }, timeoutMs);
        waiters.add(waiter);
        check();
      });
    },
  };
}
