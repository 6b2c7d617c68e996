/**
 * Reading the server's own `/metrics` (Prometheus text format) in the console:
 * samples by name and labels, quantiles of a histogram from its cumulative
 * buckets (linear within a bucket, as Prometheus's `histogram_quantile` does).
 */

/** One sample: a metric name, its labels and value. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the exposition text into samples (comments skipped). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) {
      labels[l[1] ?? ''] = (l[2] ?? '')
        .replace(/\\"/g, '"')
        .replace(/\\n/g, '\n')
        .replace(/\\\\/g, '\\');
    }
    const raw = m[3] ?? 'NaN';
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    out.push({ name: m[1] ?? '', labels, value });
  }
  return out;
}

/** The samples named `name` whose labels include `match`. */
export function select(
  samples: readonly Sample[],
  name: string,
  match: Readonly<Record<string, string>> = {},
): Sample[] {
  return samples.filter(
    (s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v),
  );
}

/** Sum of the samples named `name` matching `match` (0 when none). */
export function total(
  samples: readonly Sample[],
  name: string,
  match: Readonly<Record<string, string>> = {},
): number {
  return select(samples, name, match).reduce((sum, s) => sum + s.value, 0);
}

/** Cumulative bucket counts of a histogram (summed over other labels), by upper bound, ascending. */
export function buckets(
  samples: readonly Sample[],
  histogram: string,
  match: Readonly<Record<string, string>> = {},
): { le: number; count: number }[] {
  const byLe = new Map<number, number>();
  for (const s of select(samples, `${histogram}_bucket`, match)) {
    const le = s.labels['le'] === '+Inf' ? Infinity : Number(s.labels['le']);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return [...byLe.entries()].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
}

/** The `q` quantile (0..1) of cumulative buckets; null when empty. The +Inf bucket yields the last finite bound. */
export function quantile(
  q: number,
  cumulative: readonly { le: number; count: number }[],
): number | null {
  const n = cumulative.at(-1)?.count ?? 0;
  if (n === 0) return null;
  const rank = q * n;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of cumulative) {
    if (b.count >= rank) {
      if (b.le === Infinity) return prevLe;
      const inBucket = b.count - prevCount;
      return inBucket === 0 ? b.le : prevLe + ((b.le - prevLe) * (rank - prevCount)) / inBucket;
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}
