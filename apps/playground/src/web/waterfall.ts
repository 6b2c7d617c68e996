/**
 * A turn's latency waterfall drawn as SVG: each stage a bar that starts where the
 * previous ended, from the end of the caller's speech — transcript, first token,
 * first audio, sent (the server's own breakdown in `prx.voice.turn.completed`) and
 * heard (measured here: from the first audio's arrival to the speaker).
 */
import { el } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';

/** One stage of a turn, ms. */
export interface Stage {
  readonly name: string;
  readonly ms: number | null;
}

/** The stages of a turn from `turn.completed`'s latency and the measured heard delay. */
export function turnStages(latency: Record<string, unknown>, heardMs: number | null): Stage[] {
  const num = (k: string): number | null => {
    const v = latency[k];
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  return [
    { name: 'transcript', ms: num('asr_ms') },
    { name: 'first token', ms: num('agent_first_token_ms') },
    { name: 'first audio', ms: num('tts_first_audio_ms') },
    { name: 'sent', ms: num('first_audio_sent_ms') },
    { name: 'heard', ms: heardMs },
  ];
}

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Draws one turn's waterfall (`title` above it); a stage without a value is left blank. */
export function drawWaterfall(title: string, stages: readonly Stage[]): HTMLElement {
  const total = stages.reduce((sum, s) => sum + (s.ms ?? 0), 0);
  const width = 520;
  const labelW = 90;
  const row = 18;
  const scale = (width - labelW - 70) / Math.max(total, 1);
  const chart = svg('svg', {
    viewBox: `0 0 ${String(width)} ${String(row * stages.length + 4)}`,
    class: 'waterfall-chart',
    role: 'img',
    'aria-label': `${title}: ${String(Math.round(total))} ms from the end of speech to heard`,
  });
  let at = 0;
  stages.forEach((s, i) => {
    const y = i * row + 2;
    chart.append(svg('text', { x: 0, y: y + 12, class: 'wf-label' }, s.name));
    if (s.ms !== null) {
      const x = labelW + at * scale;
      const w = Math.max(1, s.ms * scale);
      chart.append(
        svg('rect', { x, y, width: w, height: row - 5, class: `wf-bar wf-${String(i)}` }),
      );
      chart.append(
        svg('text', { x: x + w + 4, y: y + 12, class: 'wf-ms' }, `${String(Math.round(s.ms))} ms`),
      );
      at += s.ms;
    } else {
      chart.append(svg('text', { x: labelW + at * scale, y: y + 12, class: 'wf-ms' }, '—'));
    }
  });
  const figure = el('figure', { cls: 'waterfall' });
  figure.append(
    el('figcaption', { text: `${title} · ${String(Math.round(total))} ms speech end → heard` }),
    chart,
  );
  return figure;
}
