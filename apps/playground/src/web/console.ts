/**
 * The operators' console: live sessions of the key's tenant (a platform admin:
 * any tenant's, or every tenant's live ones) with state and duration, a session's
 * timeline (its events as they happen, its turns with their latency, its
 * recordings to listen to), the instance's latency percentiles and barge-in rate
 * from the server's own `/metrics`, readiness, provider health and breaker states,
 * incidents, objectives, usage and invoices. Read-only but for ending a session;
 * each panel shows what the key's role may read and says so when it may not.
 */
import { ApiError, createApi, explain } from './api.js';
import type { Api } from './api.js';
import {
  figures,
  drawHealth,
  drawKpis,
  drawTrend,
  drawUsage,
  panel,
  rows,
} from './console-panels.js';
import type { Figures } from './console-panels.js';
import { drawProviders } from './console-providers.js';
import type { ProviderStatusView } from './console-providers.js';
import { OWN, fillPicker, listSessions, loadTenants } from './console-tenants.js';
import type { SessionView, TenantView } from './console-tenants.js';
import { currentKey, onSignIn, signIn, signOut } from './credential.js';
import { banner, byId, clearBanner, duration, el, guard } from './dom.js';
import { offerRecordings } from './recordings.js';
import { followEvents } from './sse.js';
import type { VoiceEvent } from './voice-socket.js';

/** How often the live panels are read again, ms. */
const REFRESH_MS = 2_000;
/** Reads of `/metrics` kept for the trend. */
const HISTORY = 90;

const ui = {
  banner: byId('banner'),
  signinForm: byId('signin-form', HTMLFormElement),
  key: byId('api-key', HTMLInputElement),
  remember: byId('remember', HTMLInputElement),
  signedIn: byId('signed-in'),
  refreshed: byId('refreshed'),
  signOut: byId('sign-out', HTMLButtonElement),
  dashboard: byId('dashboard'),
  kpis: byId('kpis'),
  trend: byId('trend'),
  sessions: byId('sessions'),
  tenantPicker: byId('tenant-picker', HTMLSelectElement),
  tenantScope: byId('tenant-scope'),
  timeline: byId('timeline'),
  timelineTitle: byId('timeline-title'),
  timelineState: byId('timeline-state'),
  endSession: byId('end-session', HTMLButtonElement),
  turns: byId('turns'),
  recordings: byId('recordings'),
  events: byId('timeline-events'),
  health: byId('health'),
  providers: byId('providers'),
  incidents: byId('incidents'),
  slo: byId('slo'),
  loadSlo: byId('load-slo', HTMLButtonElement),
  usage: byId('usage'),
  invoices: byId('invoices'),
};
const run = guard(ui.banner, explain);
const history: Figures[] = [];
let api: Api | undefined;
let selected: { id: string; abort: AbortController; recorded: boolean } | undefined;
/** Every tenant, for a platform admin's key (else empty: no picker). */
let tenants: TenantView[] = [];
/** The key's own tenant, once a session of it was listed. */
let ownTenant: string | undefined;
let timer: ReturnType<typeof setTimeout> | undefined;
let failing = false;

function sessionRow(s: SessionView, now: number, own: boolean): HTMLElement {
  const end = s.ended_at === null ? now : Date.parse(s.ended_at);
  const liveNow = s.ended_at === null;
  const tenant = tenants.find((t) => t.id === s.tenant_id);
  const row = el(
    'tr',
    { cls: `${liveNow ? 'live' : 'ended'}${selected?.id === s.id ? ' selected' : ''}` },
    el('td', {}, el('code', { text: s.id })),
    el('td', { text: tenant?.slug ?? s.tenant_id, title: s.tenant_id }),
    el('td', {}, el('span', { cls: 'pill', text: s.state })),
    el('td', { text: s.channel }),
    el('td', { text: String(s.turn_count) }),
    el('td', { text: duration(end - Date.parse(s.created_at)) }),
    el('td', { text: new Date(s.created_at).toLocaleTimeString() }),
  );
  row.dataset['sessionId'] = s.id;
  row.dataset['state'] = s.state;
  row.dataset['tenantId'] = s.tenant_id;
  row.tabIndex = 0;
  // The session routes answer for the key's own tenant: another's timeline needs its key.
  row.addEventListener('click', () =>
    own
      ? run(() => openTimeline(s.id, s.state))
      : banner(
          ui.banner,
          'info',
          `Session ${s.id} belongs to tenant ${tenant?.slug ?? s.tenant_id}: sign in with a key of that tenant to follow its timeline.`,
        ),
  );
  return row;
}

async function refresh(): Promise<void> {
  const a = api;
  if (a === undefined) return;
  const now = Date.now();
  const scope = ui.tenantPicker.value;
  const items = await listSessions(a, scope, tenants);
  if (scope === OWN) ownTenant ??= items[0]?.tenant_id;
  ui.sessions.replaceChildren(
    ...items.map((s) => sessionRow(s, now, scope === OWN || s.tenant_id === ownTenant)),
  );
  if (items.length === 0)
    ui.sessions.append(el('tr', {}, el('td', { cls: 'muted', text: 'no sessions yet' })));
  // The open session, also when the list leaves it out (every tenant's live ones: not once ended).
  const open = selected;
  const current =
    items.find((s) => s.id === open?.id) ??
    (open === undefined ? undefined : await a.get<SessionView>(`sessions/${open.id}`));
  if (current !== undefined) {
    ui.timelineState.textContent = current.state;
    ui.endSession.disabled = current.ended_at !== null;
    // Its recording is joined after the call: look again until it is there.
    if (current.ended_at !== null && selected !== undefined && !selected.recorded)
      await showRecordings(a, selected);
  }
  const metrics = await a.raw('/metrics');
  const f = figures(await metrics.text(), now);
  history.push(f);
  if (history.length > HISTORY) history.shift();
  drawKpis(ui.kpis, f);
  drawTrend(ui.trend, history);
  const ready = await a.raw('/health/ready').catch((err: unknown) => {
    // 503 means not ready: its checks are in the error's details.
    if (err instanceof ApiError && err.status === 503) return undefined;
    throw err;
  });
  if (ready !== undefined) {
    const body = (await ready.json()) as {
      data: { checks: { name: string; ok: boolean; detail?: string }[] };
    };
    drawHealth(ui.health, body.data.checks);
  } else {
    drawHealth(ui.health, [{ name: 'ready', ok: false, detail: 'the server is not ready (503)' }]);
  }
  await panel(
    ui.providers,
    () => a.get<{ providers: ProviderStatusView[] }>('providers/health'),
    (d) => drawProviders(ui.providers, d.providers),
  );
  await panel(
    ui.incidents,
    () =>
      a.get<{
        items: { id: string; status: string; title: string; severity: string; opened_at: string }[];
      }>('incidents?limit=10'),
    (r) =>
      rows(
        ui.incidents,
        r.items.map(
          (i) =>
            [
              `${i.severity} · ${new Date(i.opened_at).toLocaleString()}`,
              `${i.status}: ${i.title}`,
              i.status === 'open' ? 'bad' : undefined,
            ] as [string, string, string?],
        ),
        'no incidents',
      ),
  );
  await panel(
    ui.usage,
    () => a.get<Parameters<typeof drawUsage>[1]>('usage'),
    (u) => drawUsage(ui.usage, u),
  );
  await panel(
    ui.invoices,
    () =>
      a.get<{
        items: {
          id: string;
          period: string;
          total_micros: number;
          currency: string;
          status: string;
        }[];
      }>('invoices?limit=12'),
    (r) =>
      rows(
        ui.invoices,
        r.items.map(
          (i) =>
            [`${i.period} · ${i.status}`, `${(i.total_micros / 1e6).toFixed(2)} ${i.currency}`] as [
              string,
              string,
            ],
        ),
        'no invoices yet',
      ),
  );
  ui.refreshed.textContent = `updated ${new Date(now).toLocaleTimeString()}`;
}

function tick(): void {
  timer = setTimeout(() => {
    refresh()
      .then(() => {
        if (failing) clearBanner(ui.banner);
        failing = false;
      })
      .catch((err: unknown) => {
        failing = true;
        banner(ui.banner, 'error', `${explain(err)} Retrying every few seconds.`);
      })
      .finally(() => {
        if (api !== undefined) tick();
      });
  }, REFRESH_MS);
}

function showEvent(e: VoiceEvent): void {
  const summary = Object.entries(e.data)
    .filter(([, v]) => typeof v !== 'object' || v === null)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ')
    .slice(0, 160);
  const row = el('li', {}, el('code', { text: `#${String(e.prxseq ?? '')}` }));
  row.append(` ${e.type.replace('prx.voice.', '')} `, el('span', { cls: 'muted', text: summary }));
  ui.events.prepend(row);
  if (
    (e.type === 'prx.voice.turn.completed' || e.type === 'prx.voice.recording.stopped') &&
    selected !== undefined
  ) {
    run(() => showTurns(selected?.id ?? ''));
  }
}

async function showTurns(id: string): Promise<void> {
  const a = api;
  if (a === undefined || id === '') return;
  const turns = await a.get<{
    items: {
      seq: number;
      user_text: string | null;
      assistant_text: string | null;
      interrupted: boolean;
      latency: { voice_to_voice_ms: number | null };
    }[];
  }>(`sessions/${id}/turns?limit=100`);
  ui.turns.replaceChildren(
    ...turns.items.map((t) =>
      el(
        'tr',
        {},
        el('td', { text: String(t.seq) }),
        el('td', { text: t.user_text ?? '' }),
        el('td', { text: `${t.assistant_text ?? ''}${t.interrupted ? ' (interrupted)' : ''}` }),
        el('td', {
          text:
            t.latency.voice_to_voice_ms === null
              ? '—'
              : `${String(t.latency.voice_to_voice_ms)} ms`,
        }),
      ),
    ),
  );
  if (selected?.id === id && !selected.recorded) await showRecordings(a, selected);
}

/** Offers the selected session's recordings, noting once there is one. */
async function showRecordings(a: Api, s: NonNullable<typeof selected>): Promise<void> {
  await panel(
    ui.recordings,
    () => offerRecordings(a, s.id, ui.recordings, run),
    (found) => {
      s.recorded = found;
    },
  );
}

async function openTimeline(id: string, state: string): Promise<void> {
  const a = api;
  if (a === undefined) return;
  selected?.abort.abort();
  const abort = new AbortController();
  selected = { id, abort, recorded: false };
  ui.timeline.hidden = false;
  ui.timeline.dataset['sessionId'] = id;
  ui.timelineTitle.textContent = `Session ${id}`;
  ui.timelineState.textContent = state;
  ui.events.replaceChildren();
  for (const row of ui.sessions.querySelectorAll('tr'))
    row.classList.toggle('selected', row.dataset['sessionId'] === id);
  await showTurns(id);
  run(() => followEvents(a, id, showEvent, abort.signal));
}

function showSignedIn(on: boolean): void {
  ui.signinForm.hidden = on;
  ui.signedIn.hidden = !on;
  ui.dashboard.hidden = !on;
}

async function trySignIn(key: string, remember: boolean): Promise<void> {
  const candidate = createApi(key);
  try {
    await candidate.get('sessions?limit=1');
  } catch (err) {
    banner(ui.banner, 'error', explain(err));
    return;
  }
  signIn(key, remember);
  api = candidate;
  tenants = (await loadTenants(candidate)) ?? [];
  ui.tenantScope.hidden = tenants.length === 0;
  fillPicker(ui.tenantPicker, tenants);
  clearBanner(ui.banner);
  showSignedIn(true);
  await refresh();
  tick();
}

onSignIn(ui, (key, remember) => run(() => trySignIn(key, remember)));
ui.signOut.addEventListener('click', () => {
  selected?.abort.abort();
  selected = undefined;
  if (timer !== undefined) clearTimeout(timer);
  api = undefined;
  tenants = [];
  ownTenant = undefined;
  signOut();
  showSignedIn(false);
});
ui.endSession.addEventListener('click', () =>
  run(async () => {
    if (api === undefined || selected === undefined) return;
    const { state } = await api.post<{ state: string }>(`sessions/${selected.id}/end`);
    banner(ui.banner, 'info', `Session ${selected.id} was ended (now ${state}).`);
    ui.endSession.disabled = true;
  }),
);
ui.tenantPicker.addEventListener('change', () => {
  clearBanner(ui.banner);
  run(refresh);
});
ui.loadSlo.addEventListener('click', () =>
  run(() =>
    panel(
      ui.slo,
      () =>
        api?.get<{
          instance_slos: {
            name: string;
            objective: number;
            good: number;
            total: number;
            burn_rates: Record<string, number>;
          }[];
        }>('slo') ?? Promise.resolve({ instance_slos: [] }),
      (r) =>
        rows(
          ui.slo,
          r.instance_slos.map(
            (s) =>
              [
                `${s.name} (${String(s.objective * 100)}%)`,
                `${String(s.good)}/${String(s.total)} good · burn ${Object.entries(s.burn_rates)
                  .map(([w, b]) => `${w} ${b.toFixed(2)}`)
                  .join(', ')}`,
              ] as [string, string],
          ),
          'no objectives',
        ),
    ),
  ),
);
window.addEventListener('unhandledrejection', (e) => {
  banner(ui.banner, 'error', explain(e.reason));
});

showSignedIn(false);
const saved = currentKey();
if (saved !== undefined) run(() => trySignIn(saved, true));
