/**
 * The playground page: sign in with an API key, pick an assistant or set providers,
 * prompt and voice, start a session and talk (microphone through the capture
 * worklet, replies through the playback worklet with `playback.position` reports),
 * or type; see the conversation, state, tool calls and each turn's latency
 * waterfall; interrupt; download the recording. Faults are said plainly, with a
 * way to reconnect.
 */
import { createApi, explain } from './api.js';
import type { Api } from './api.js';
import { openMicrophone, openPlayer, microphoneProblem } from './audio.js';
import type { Microphone, Player, PlaybackReport } from './audio.js';
import { Conversation } from './conversation.js';
import { currentKey, onSignIn, signIn, signOut } from './credential.js';
import { banner, byId, clearBanner, guard } from './dom.js';
import { offerLookAgain, offerRecordings } from './recordings.js';
import { recordStop, showPlayback } from './playback-stats.js';
import { readSettings, showAssistants } from './session-settings.js';
import { openVoiceSocket } from './voice-socket.js';
import type { VoiceEvent, VoiceSocket } from './voice-socket.js';
import { drawWaterfall, turnStages } from './waterfall.js';

/** A turn's timings as the page measures them. */
interface TurnTiming {
  firstAudioAt?: number;
  heardMs?: number;
  latency?: Record<string, unknown>;
  userText?: string;
  figure?: HTMLElement;
}

/** The session the page is attached to. */
interface Live {
  readonly id: string;
  readonly record: boolean;
  socket: VoiceSocket;
  player: Player;
  mic?: Microphone | undefined;
  /** The segment the audio now arriving belongs to (the last `playback.started`). */
  segment: string | null;
  readonly turnOf: Map<string, string>;
  readonly turns: Map<string, TurnTiming>;
  /** The page asked for the end (or the session closed): a socket close is expected. */
  ending: boolean;
  closed: boolean;
  /** When the interruption event of the playing reply arrived: page and audio clocks, ms. */
  interruptAt?: { readonly page: number; readonly audio: number } | undefined;
  lastPositionAt: number;
}

const ui = {
  banner: byId('banner'),
  signinForm: byId('signin-form', HTMLFormElement),
  key: byId('api-key', HTMLInputElement),
  remember: byId('remember', HTMLInputElement),
  signedIn: byId('signed-in'),
  signOut: byId('sign-out', HTMLButtonElement),
  setup: byId('setup'),
  start: byId('start', HTMLButtonElement),
  live: byId('live'),
  state: byId('state'),
  sessionId: byId('session-id'),
  talk: byId('talk', HTMLButtonElement),
  interrupt: byId('interrupt', HTMLButtonElement),
  end: byId('end', HTMLButtonElement),
  level: byId('level', HTMLMeterElement),
  textForm: byId('text-form', HTMLFormElement),
  text: byId('text-input', HTMLInputElement),
  waterfalls: byId('waterfalls'),
  recording: byId('recording'),
  stats: byId('playback-stats'),
};
const conversation = new Conversation(byId('transcript'), byId('events'));
const run = guard(ui.banner, explain);
let api: Api | undefined;
let token: string | undefined;
let live: Live | undefined;

function showSignedIn(signedIn: boolean): void {
  ui.signinForm.hidden = signedIn;
  ui.signedIn.hidden = !signedIn;
  ui.setup.hidden = !signedIn;
  if (!signedIn) ui.live.hidden = true;
}

async function trySignIn(key: string, remember: boolean): Promise<void> {
  const candidate = createApi(key);
  try {
    await showAssistants(candidate, byId('assistant', HTMLSelectElement));
  } catch (err) {
    showSignedIn(false);
    banner(ui.banner, 'error', explain(err));
    return;
  }
  signIn(key, remember);
  api = candidate;
  token = key;
  clearBanner(ui.banner);
  showSignedIn(true);
}

function setState(state: string): void {
  ui.state.textContent = state;
  ui.state.dataset['state'] = state;
}

function drawTurn(s: Live, turnId: string): void {
  const t = s.turns.get(turnId);
  if (t?.latency === undefined) return;
  const figure = drawWaterfall(
    `Turn ${String(s.turns.size)}${t.userText === undefined ? '' : `: “${t.userText}”`}`,
    turnStages(t.latency, t.heardMs ?? null),
  );
  figure.dataset['turnId'] = turnId;
  if (t.figure === undefined) ui.waterfalls.prepend(figure);
  else t.figure.replaceWith(figure);
  t.figure = figure;
}

function onReport(s: Live, r: PlaybackReport): void {
  showPlayback(ui.stats, r);
  if (r.segmentId !== null && !s.closed) {
    const now = performance.now();
    if (r.type !== 'position' || now - s.lastPositionAt >= 100) {
      s.lastPositionAt = now;
      s.socket.send({
        type: 'playback.position',
        segment_id: r.segmentId,
        played_ms: Math.round(r.playedMs),
      });
    }
  }
  if (r.type === 'started' && r.segmentId !== null) {
    const turnId = s.turnOf.get(r.segmentId);
    const t = turnId === undefined ? undefined : s.turns.get(turnId);
    if (turnId !== undefined && t?.firstAudioAt !== undefined && t.heardMs === undefined) {
      t.heardMs = performance.now() - t.firstAudioAt + s.player.outputLatencyMs;
      drawTurn(s, turnId);
    }
  }
}

/**
 * The reply stops: everything buffered is dropped. How fast after the first event of
 * the interruption (`interrupt.issued` or `playback.flushed`) is read on the audio
 * clock — when the worklet dropped it, the output falls silent — and the page's
 * round trip to the worklet is shown beside it.
 */
function flushPlayback(s: Live): void {
  const first = s.interruptAt === undefined;
  const at = s.interruptAt ?? { page: performance.now(), audio: s.player.currentTimeMs };
  s.interruptAt = at;
  run(async () => {
    const r = await s.player.flush();
    if (first) recordStop(ui.stats, at, r);
    showPlayback(ui.stats, r);
  });
}

function onEvent(s: Live, e: VoiceEvent): void {
  conversation.apply(e);
  const d = e.data;
  switch (e.type) {
    case 'prx.voice.session.state_changed':
      setState(String(d['to']));
      break;
    case 'prx.voice.playback.started':
      s.segment = typeof d['segment_id'] === 'string' ? d['segment_id'] : null;
      s.interruptAt = undefined;
      if (s.segment !== null && e.prxturnid !== undefined) s.turnOf.set(s.segment, e.prxturnid);
      break;
    case 'prx.voice.interrupt.issued':
    case 'prx.voice.playback.flushed':
      flushPlayback(s);
      break;
    case 'prx.voice.asr.transcript_final':
      if (e.prxturnid !== undefined) turn(s, e.prxturnid).userText = String(d['text']);
      break;
    case 'prx.voice.turn.completed': {
      const id = typeof d['turn_id'] === 'string' ? d['turn_id'] : e.prxturnid;
      if (id === undefined) break;
      const t = turn(s, id);
      t.latency = (d['latency'] ?? {}) as Record<string, unknown>;
      if (typeof d['user_text'] === 'string') t.userText = d['user_text'];
      drawTurn(s, id);
      break;
    }
    case 'prx.voice.session.error':
      banner(ui.banner, 'warn', `The server refused a message: ${String(d['message'])}`);
      break;
    case 'prx.voice.session.failed':
      s.closed = true;
      banner(ui.banner, 'error', `The session failed: ${String(d['message'])}`, {
        label: 'Start a new session',
        run: () => run(startSession),
      });
      break;
    case 'prx.voice.session.closed':
      s.closed = true;
      ended(s, typeof d['reason'] === 'string' ? d['reason'] : '');
      break;
    default:
      break;
  }
}

function turn(s: Live, id: string): TurnTiming {
  let t = s.turns.get(id);
  if (t === undefined) s.turns.set(id, (t = {}));
  return t;
}

function ended(s: Live, reason: string): void {
  stopMic(s);
  const byPage = s.ending;
  const why = byPage
    ? 'You ended the session.'
    : reason === 'client_end'
      ? 'The session was ended from outside this page (by an operator or through the API).'
      : reason === 'shutdown'
        ? 'The server is shutting down, so the session ended.'
        : `The session ended (${reason || 'no reason given'}).`;
  banner(ui.banner, byPage ? 'info' : 'warn', why, {
    label: 'Start a new session',
    run: () => run(startSession),
  });
  setControls(false);
  if (s.record && api !== undefined) {
    const a = api;
    if (reason === 'shutdown') {
      // The server is going away: asking it now would only fail. Its recording is kept.
      offerLookAgain(a, s.id, ui.recording, run, 'The recording is kept by the server. ');
    } else {
      run(async () => {
        await offerRecordings(a, s.id, ui.recording, run);
      });
    }
  }
}

function stopMic(s: Live): void {
  s.mic?.stop();
  s.mic = undefined;
  ui.talk.setAttribute('aria-pressed', 'false');
  ui.talk.textContent = 'Talk';
  ui.level.value = 0;
}

function setControls(on: boolean): void {
  for (const b of [ui.talk, ui.interrupt, ui.end, ui.text]) b.disabled = !on;
}

function attach(s: Live): void {
  if (token === undefined) return;
  s.socket = openVoiceSocket(s.id, token, {
    onOpen: () => {
      clearBanner(ui.banner);
      setControls(true);
    },
    onEvent: (e) => onEvent(s, e),
    onAudio: (pcm) => {
      const turnId = s.segment === null ? undefined : s.turnOf.get(s.segment);
      if (turnId !== undefined) turn(s, turnId).firstAudioAt ??= performance.now();
      s.player.audio(s.segment, pcm);
    },
    onClose: ({ code, message }) => {
      stopMic(s);
      setControls(false);
      if (s.closed || (s.ending && code === 1000)) return;
      setState('disconnected');
      banner(ui.banner, 'error', message, {
        label: code === 4401 ? 'Sign in again' : 'Reconnect',
        run: () => (code === 4401 ? doSignOut() : run(() => reconnect(s))),
      });
    },
  });
}

/** Attaches again if the session still runs; else starts a new one with the same settings. */
async function reconnect(s: Live): Promise<void> {
  if (api === undefined) return;
  const row = await api.get<{ state: string }>(`sessions/${s.id}`).catch(() => undefined);
  if (row !== undefined && row.state !== 'Closed' && row.state !== 'Failed') {
    banner(ui.banner, 'info', 'Reconnecting…');
    attach(s);
    return;
  }
  await startSession();
}

async function startSession(): Promise<void> {
  if (api === undefined) return;
  const settings = readSettings();
  if (settings.kind === 'invalid') {
    banner(ui.banner, 'error', settings.message);
    return;
  }
  if (live !== undefined) {
    live.ending = true;
    stopMic(live);
    live.socket.close();
    live.player.close();
  }
  clearBanner(ui.banner);
  const session = await api.post<{ id: string; state: string }>('sessions', settings.body);
  // Audio starts after this click (browsers start audio once the person has used the page).
  const holder: { live?: Live } = {};
  let player: Player;
  try {
    player = await openPlayer((r) => {
      if (holder.live !== undefined) onReport(holder.live, r);
    });
  } catch (err) {
    await api.post(`sessions/${session.id}/end`).catch(() => undefined);
    throw new Error(
      `The audio player could not start (${err instanceof Error ? err.message : String(err)}).`,
      { cause: err },
    );
  }
  conversation.reset();
  ui.waterfalls.replaceChildren();
  ui.recording.replaceChildren();
  delete ui.stats.dataset['stopMs'];
  const current: Live = {
    id: session.id,
    record: settings.body.record === true,
    socket: {
      send: () => undefined,
      sendAudio: () => undefined,
      close: () => undefined,
      open: false,
    },
    player,
    segment: null,
    turnOf: new Map(),
    turns: new Map(),
    ending: false,
    closed: false,
    lastPositionAt: 0,
  };
  live = current;
  holder.live = current;
  ui.sessionId.textContent = session.id;
  ui.live.hidden = false;
  setState(session.state);
  attach(current);
}

async function toggleTalk(): Promise<void> {
  const s = live;
  if (s === undefined) return;
  if (s.mic !== undefined) {
    stopMic(s);
    return;
  }
  try {
    s.mic = await openMicrophone((pcm, peak) => {
      s.socket.sendAudio(pcm);
      ui.level.value = Math.max(peak, ui.level.value * 0.85);
    });
  } catch (err) {
    banner(ui.banner, 'error', microphoneProblem(err));
    return;
  }
  ui.talk.setAttribute('aria-pressed', 'true');
  ui.talk.textContent = 'Stop talking';
}

function doSignOut(): void {
  if (live !== undefined) {
    live.ending = true;
    stopMic(live);
    live.socket.close();
    live.player.close();
    live = undefined;
  }
  signOut();
  api = undefined;
  token = undefined;
  showSignedIn(false);
}

onSignIn(ui, (key, remember) => run(() => trySignIn(key, remember)));
ui.signOut.addEventListener('click', doSignOut);
ui.start.addEventListener('click', () => run(startSession));
ui.talk.addEventListener('click', () => run(toggleTalk));
ui.interrupt.addEventListener('click', () => live?.socket.send({ type: 'interrupt' }));
ui.end.addEventListener('click', () => {
  if (live === undefined) return;
  live.ending = true;
  live.socket.send({ type: 'end' });
});
ui.textForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = ui.text.value.trim();
  if (text === '' || live === undefined) return;
  live.socket.send({ type: 'input.text', text });
  conversation.typed(text);
  ui.text.value = '';
});
// A failure nothing caught still reaches the person (and stays in the console for developers).
window.addEventListener('unhandledrejection', (e) => {
  banner(ui.banner, 'error', explain(e.reason));
});

setControls(false);
const saved = currentKey();
showSignedIn(false);
if (saved !== undefined) run(() => trySignIn(saved, true));
