/**
 * The console's panels, drawn from what the API and `/metrics` return: the
 * instance's figures (latency percentiles, barge-in rate, degradation level,
 * provider errors) with their trend, readiness checks, incidents, objectives,
 * usage and invoices. Text only; nothing from the server is parsed as HTML.
 */
import { ApiError } from './api.js';
import { el } from './dom.js';
import { buckets, parseMetrics, quantile, select, total } from './prometheus.js';

const SVG = 'http://www.w3.org/2000/svg';
const TURN_HISTOGRAM = 'prx_voice_turn_latency_seconds';

/** The figures of one `/metrics` read. */
export interface Figures {
  readonly at: number;
  readonly live: number;
  readonly level: number;
  readonly turns: number;
  readonly bargeIns: number;
  readonly falseResumes: number;
  readonly providerErrors: number;
  readonly fallbacks: number;
  /** Quantiles by stage, ms. */
  readonly stages: Readonly<
    Record<string, { p50: number | null; p95: number | null; p99: number | null }>
  >;
}

/** Reads the figures from the exposition text. */
export function figures(text: string, at: number): Figures {
  const s = parseMetrics(text);
  const stages: Record<string, { p50: number | null; p95: number | null; p99: number | null }> = {};
  const ms = (v: number | null) => (v === null ? null : v * 1000);
  for (const stage of [
    'asr',
    'agent_first_token',
    'tts_first_audio',
    'first_audio_sent',
    'voice_to_voice',
  ]) {
    const b = buckets(s, TURN_HISTOGRAM, { stage });
    stages[stage] = {
      p50: ms(quantile(0.5, b)),
      p95: ms(quantile(0.95, b)),
      p99: ms(quantile(0.99, b)),
    };
  }
  const counts = select(s, `${TURN_HISTOGRAM}_count`).map((c) => c.value);
  return {
    at,
    live: total(s, 'prx_voice_live_sessions'),
    level: total(s, 'prx_voice_degradation_level'),
    turns: counts.length === 0 ? 0 : Math.max(...counts),
    bargeIns: total(s, 'prx_voice_barge_ins_total', { outcome: 'issued' }),
    falseResumes: total(s, 'prx_voice_barge_ins_total', { outcome: 'false_resumed' }),
    providerErrors: total(s, 'prx_voice_provider_errors_total'),
    fallbacks: total(s, 'prx_voice_provider_fallbacks_total'),
    stages,
  };
}

const fmtMs = (v: number | null | undefined): string =>
  v == null ? '—' : `${String(Math.round(v))} ms`;

function kpi(label: string, value: string, id: string, cls = ''): HTMLElement {
  const box = el(
    'div',
    { cls: `kpi ${cls}` },
    el('b', { text: value }),
    el('span', { cls: 'muted small', text: label }),
  );
  box.dataset['kpi'] = id;
  return box;
}

/** The figures as tiles. */
export function drawKpis(host: HTMLElement, f: Figures): void {
  const v2v = f.stages['voice_to_voice'];
  const rate = f.turns === 0 ? 0 : f.bargeIns / f.turns;
  host.replaceChildren(
    kpi('live sessions', String(f.live), 'live'),
    kpi('degradation level', `L${String(f.level)}`, 'level', f.level > 0 ? 'bad' : 'ok'),
    kpi('voice→voice p50', fmtMs(v2v?.p50), 'v2v-p50'),
    kpi('voice→voice p95', fmtMs(v2v?.p95), 'v2v-p95'),
    kpi('voice→voice p99', fmtMs(v2v?.p99), 'v2v-p99'),
    kpi('turns', String(f.turns), 'turns'),
    kpi(`barge-ins (${(rate * 100).toFixed(0)}% of turns)`, String(f.bargeIns), 'barge-ins'),
    kpi('false interruptions', String(f.falseResumes), 'false-resumes'),
    kpi(
      'provider errors',
      String(f.providerErrors),
      'provider-errors',
      f.providerErrors > 0 ? 'bad' : '',
    ),
    kpi('provider fallbacks', String(f.fallbacks), 'fallbacks'),
    kpi('ASR p95', fmtMs(f.stages['asr']?.p95), 'asr-p95'),
    kpi('first token p95', fmtMs(f.stages['agent_first_token']?.p95), 'token-p95'),
    kpi('first audio p95', fmtMs(f.stages['tts_first_audio']?.p95), 'audio-p95'),
  );
}

function sparkline(label: string, values: readonly (number | null)[], unit: string): HTMLElement {
  const w = 260;
  const h = 40;
  const nums = values.filter((v): v is number => v !== null);
  const max = Math.max(1, ...nums);
  const points = values
    .map((v, i) =>
      v === null
        ? null
        : `${String((i / Math.max(1, values.length - 1)) * w)},${String(h - (v / max) * (h - 4) - 2)}`,
    )
    .filter((p) => p !== null)
    .join(' ');
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${String(w)} ${String(h)}`);
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', points);
  line.setAttribute('class', 'spark-line');
  svg.append(line);
  const last = nums.at(-1);
  return el(
    'figure',
    { cls: 'trend' },
    el('figcaption', {
      cls: 'small muted',
      text: `${label}: ${last === undefined ? '—' : `${String(Math.round(last))}${unit}`}`,
    }),
    svg,
  );
}

/** Voice-to-voice p95 and the barge-in rate between reads, over the reads kept. */
export function drawTrend(host: HTMLElement, history: readonly Figures[]): void {
  const p95 = history.map((f) => f.stages['voice_to_voice']?.p95 ?? null);
  const rate = history.map((f, i) => {
    const prev = history[i - 1];
    if (prev === undefined) return null;
    const turns = f.turns - prev.turns;
    return turns <= 0 ? 0 : ((f.bargeIns - prev.bargeIns) / turns) * 100;
  });
  host.replaceChildren(
    sparkline('voice→voice p95 over time', p95, ' ms'),
    sparkline('barge-ins per 100 turns, between reads', rate, '%'),
  );
}

/** Rows of `[name, value]` (value text, optionally a class) into a table body. */
export function rows(
  body: HTMLElement,
  items: readonly (readonly [string, string, string?])[],
  empty: string,
): void {
  body.replaceChildren();
  if (items.length === 0) {
    body.append(el('tr', {}, el('td', { cls: 'muted', text: empty })));
    return;
  }
  for (const [name, value, cls] of items) {
    body.append(
      el(
        'tr',
        {},
        el('th', { text: name }),
        el('td', { text: value, ...(cls === undefined ? {} : { cls }) }),
      ),
    );
  }
}

/** The readiness checks (`/health/ready`, ready or not). */
export function drawHealth(
  body: HTMLElement,
  checks: readonly { name: string; ok: boolean; detail?: string }[],
): void {
  rows(
    body,
    checks.map(
      (c) =>
        [
          c.name,
          `${c.ok ? 'ok' : 'failing'}${c.detail === undefined ? '' : ` — ${c.detail}`}`,
          c.ok ? 'ok' : 'bad',
        ] as const,
    ),
    'no checks',
  );
}

/** Usage of the current period against its budgets, and metered quantities. */
export function drawUsage(
  body: HTMLElement,
  u: {
    period: string;
    usage: { kind: string; used: number; budget: number | null; exceeded: boolean }[];
    meters?: { meter: string; provider: string | null; unit: string; quantity: number }[];
  },
): void {
  rows(
    body,
    [
      ...u.usage.map(
        (x) =>
          [
            `${x.kind} (${u.period})`,
            `${String(x.used)}${x.budget === null ? '' : ` of ${String(x.budget)}`}`,
            x.exceeded ? 'bad' : undefined,
          ] as [string, string, string?],
      ),
      ...(u.meters ?? []).map(
        (m) =>
          [
            `${m.meter}${m.provider === null ? '' : ` · ${m.provider}`}`,
            `${String(m.quantity)} ${m.unit}`,
          ] as [string, string],
      ),
    ],
    'no usage this period',
  );
}

/** Reads one panel; a refusal of the key's role is shown in the panel, not as a failure. */
export async function panel<T>(
  body: HTMLElement,
  read: () => Promise<T>,
  draw: (v: T) => void,
): Promise<void> {
  try {
    draw(await read());
  } catch (err) {
    if (err instanceof ApiError && (err.code === 'FORBIDDEN' || err.code === 'NOT_FOUND')) {
      rows(
        body,
        [],
        err.code === 'FORBIDDEN' ? "your key's role may not read this" : 'not on this server',
      );
      return;
    }
    throw err;
  }
}
