/**
 * The console's provider panel, from `GET /providers/health`: per kind, each
 * provider in chain order with its circuit breaker's state, its recent calls
 * through the breaker (error rate, p95 call duration) and its last probe.
 */
import { el } from './dom.js';

/** One provider as `GET /providers/health` shows it. */
export interface ProviderStatusView {
  readonly kind: 'asr' | 'agent' | 'tts';
  readonly provider: string;
  readonly position: number | null;
  readonly breaker: 'closed' | 'open' | 'half_open';
  readonly calls: {
    readonly window_ms: number;
    readonly total: number;
    readonly failures: number;
    readonly refused: number;
    readonly error_rate: number | null;
    readonly latency_p50_ms: number | null;
    readonly latency_p95_ms: number | null;
    readonly last_failure_at: string | null;
  };
  readonly probe: {
    readonly healthy: boolean;
    readonly latency_ms: number | null;
    readonly detail: string | null;
  } | null;
}

const BREAKER_CLASS = { closed: 'ok', half_open: 'warn', open: 'bad' } as const;
const BREAKER_TEXT = { closed: 'closed', half_open: 'half-open', open: 'open' } as const;

function role(position: number | null): string {
  if (position === null) return 'chosen by a session';
  return position === 0 ? 'primary' : `fallback ${String(position)}`;
}

function calls(c: ProviderStatusView['calls']): string {
  const minutes = Math.round(c.window_ms / 60_000);
  if (c.total === 0 && c.refused === 0)
    return `no calls through failover in ${String(minutes)} min`;
  const rate = c.error_rate === null ? '—' : `${(c.error_rate * 100).toFixed(0)}% errors`;
  const p95 = c.latency_p95_ms === null ? '' : ` · p95 ${String(Math.round(c.latency_p95_ms))} ms`;
  const refused = c.refused === 0 ? '' : ` · ${String(c.refused)} refused`;
  return `${String(c.total)} calls · ${rate}${p95}${refused}`;
}

function probe(p: ProviderStatusView['probe']): HTMLElement {
  if (p === null) return el('td', { cls: 'muted', text: 'no probe' });
  const text = p.healthy
    ? `healthy${p.latency_ms === null ? '' : ` (${String(Math.round(p.latency_ms))} ms)`}`
    : `failing${p.detail === null ? '' : ` — ${p.detail}`}`;
  return el('td', { cls: p.healthy ? 'ok' : 'bad', text });
}

/** The providers as rows of `body` (a table body). */
export function drawProviders(body: HTMLElement, providers: readonly ProviderStatusView[]): void {
  body.replaceChildren();
  if (providers.length === 0) {
    body.append(el('tr', {}, el('td', { cls: 'muted', text: 'no providers' })));
    return;
  }
  for (const p of providers) {
    const row = el(
      'tr',
      {},
      el('th', { text: `${p.kind} · ${p.provider}` }),
      el('td', { cls: 'muted small', text: role(p.position) }),
      el(
        'td',
        {},
        el('span', { cls: `pill ${BREAKER_CLASS[p.breaker]}`, text: BREAKER_TEXT[p.breaker] }),
      ),
      el('td', {
        cls: (p.calls.error_rate ?? 0) > 0 ? 'bad' : '',
        text: calls(p.calls),
        title: p.calls.last_failure_at === null ? '' : `last failure ${p.calls.last_failure_at}`,
      }),
      probe(p.probe),
    );
    row.dataset['provider'] = `${p.kind}:${p.provider}`;
    row.dataset['breaker'] = p.breaker;
    body.append(row);
  }
}
