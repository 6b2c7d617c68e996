/**
 * A caller that talks over a session WebSocket in real time: a 20 ms PCM16
 * frame every 20 ms — an utterance (a 300 Hz tone, speech to the energy VAD),
 * then silence until the answer's `turn.completed`, a short pause, the next
 * utterance — so turns keep happening while a test injects a fault. It stops on
 * its own when the socket closes.
 */
import { WebSocket } from 'ws';
import type { WsClient } from './ws-client.ts';
import { pcmFrame } from './ws-client.ts';

const FRAME_MS = 20;
const SPEECH = pcmFrame('speech');
const SILENCE = pcmFrame('silence');

/** A talking caller. */
export interface Talker {
  /**
   * Turns answered since the talker started: `turn.completed` events of turns not interrupted
   * (an answer the caller's next utterance cut off — on a loaded machine, one later than the
   * talker's patience — is not counted: it is stored as `interrupted`, not `completed`).
   */
  readonly turns: number;
  /** Resolves once `count` more turns have been answered than when called; rejects after `timeoutMs`. */
  moreTurns(count: number, timeoutMs: number): Promise<void>;
  /**
   * Stops starting utterances (silence goes on); resolves once the utterance under way, if any,
   * has been answered (or `timeoutMs` passed) — the session is then idle for a text turn.
   */
  hush(timeoutMs?: number): Promise<void>;
  /** Starts talking again after `hush`. */
  resume(): void;
  /** Stops sending anything. */
  stop(): void;
}

/** Options of {@link startTalker}. */
export interface TalkerOptions {
  /** Length of each utterance, ms (default 400). */
  readonly speechMs?: number;
  /** Silence after an answer before the next utterance, ms (default 300). */
  readonly pauseMs?: number;
  /** An utterance without an answer this long is given up and the caller speaks again, ms (default 6000). */
  readonly answerTimeoutMs?: number;
}

/** Starts talking on `client` (see the module's description). */
export function startTalker(client: WsClient, opts: TalkerOptions = {}): Talker {
  const speechFrames = Math.max(1, Math.round((opts.speechMs ?? 400) / FRAME_MS));
  const pauseMs = opts.pauseMs ?? 300;
  const answerTimeoutMs = opts.answerTimeoutMs ?? 6_000;
  let phase: 'speech' | 'answer' | 'pause' | 'quiet' = 'pause';
  let phaseAt = Date.now();
  let framesLeft = 0;
  let answeredBefore = 0;
  let hushed = false;
  let turns = 0;
  let state = 'Idle';
  let scanned = 0;
  const idleWaiters: (() => void)[] = [];
  let turnWaiters: { at: number; resolve: () => void }[] = [];

  const countTurns = (): void => {
    const events = client.events;
    for (; scanned < events.length; scanned++) {
      const e = events[scanned];
      if (e?.type === 'prx.voice.turn.completed' && !e.data.interrupted) turns++;
      else if (e?.type === 'prx.voice.session.state_changed') state = e.data.to;
    }
    for (const w of turnWaiters.splice(0)) {
      if (turns >= w.at) w.resolve();
      else turnWaiters.push(w);
    }
  };
  // Quiet, and the session back to listening: idle, ready for a text turn.
  const settle = (): void => {
    if (phase === 'quiet' && (state === 'Listening' || stopped))
      for (const resolve of idleWaiters.splice(0)) resolve();
  };

  const tick = (): void => {
    if (client.ws.readyState !== WebSocket.OPEN) {
      stop();
      return;
    }
    countTurns();
    const now = Date.now();
    switch (phase) {
      case 'speech':
        client.ws.send(SPEECH);
        framesLeft--;
        if (framesLeft <= 0) {
          phase = 'answer';
          phaseAt = now;
        }
        return;
      case 'answer':
        client.ws.send(SILENCE);
        // Answered: a turn completed since the utterance and the session listens again (a text
        // turn completing while the caller spoke is not the answer).
        if ((turns > answeredBefore && state === 'Listening') || now - phaseAt > answerTimeoutMs) {
          if (hushed) phase = 'quiet';
          else {
            phase = 'pause';
            phaseAt = now;
          }
        }
        return;
      case 'pause':
        client.ws.send(SILENCE);
        if (hushed) phase = 'quiet';
        else if (now - phaseAt >= pauseMs) {
          phase = 'speech';
          framesLeft = speechFrames;
          answeredBefore = turns;
        }
        return;
      case 'quiet':
        client.ws.send(SILENCE);
        settle();
        return;
    }
  };

  let stopped = false;
  const timer = setInterval(tick, FRAME_MS);
  const stop = (): void => {
    clearInterval(timer);
    stopped = true;
    phase = 'quiet';
    settle();
  };

  return {
    get turns() {
      countTurns();
      return turns;
    },
    moreTurns(count, timeoutMs) {
      countTurns();
      const at = turns + count;
      return new Promise((resolve, reject) => {
        const timeout = setTimeout(() => {
          turnWaiters = turnWaiters.filter((w) => w !== waiter);
          reject(
            new Error(
              `${String(count)} more turns did not complete within ${String(timeoutMs)} ms (${String(turns)} so far); last events: ${client.events
                .slice(-8)
                .map((e) => e.type)
                .join(', ')}`,
            ),
          );
        }, timeoutMs);
        const waiter = {
          at,
          resolve: () => {
            clearTimeout(timeout);
            resolve();
          },
        };
        turnWaiters.push(waiter);
        countTurns();
      });
    },
    hush(timeoutMs = 10_000) {
      hushed = true;
      return new Promise((resolve, reject) => {
        const timeout = setTimeout(() => {
          reject(
            new Error(
              `the session did not go idle within ${String(timeoutMs)} ms (talker ${phase}, session ${state})`,
            ),
          );
        }, timeoutMs);
        idleWaiters.push(() => {
          clearTimeout(timeout);
          resolve();
        });
        countTurns();
        settle();
      });
    },
    resume() {
      hushed = false;
      if (phase === 'quiet') {
        phase = 'pause';
        phaseAt = Date.now();
      }
    },
    stop,
  };
}
