/**
 * A Prometheus histogram without labels that records without allocating: counts in
 * a preallocated array, turned into exposition lines only when scraped. For values
 * observed on the audio path (a timer per 20 ms frame per session), where prom-client's
 * `observe` (a labels object and a hash per call) would allocate per frame.
 */
import type { Metric, Registry } from 'prom-client';

/** One exposition line as prom-client's registry reads it. */
interface Sample {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/** An allocation-free histogram; see {@link registerTallyHistogram}. */
export interface TallyHistogram {
  /** Records one value (in the histogram's unit); non-finite or negative values are ignored. */
  observe(value: number): void;
}

/**
 * Registers a label-less histogram of `buckets` (ascending upper bounds; `+Inf` is added)
 * with `registry`; the registry's default labels are added at scrape as for any metric.
 *
 * @example
 * const lateness = registerTallyHistogram(registry, { name: 'prx_voice_x_seconds', help: '…', buckets: [0.005, 0.02] });
 * lateness.observe(0.003);
 */
export function registerTallyHistogram(
  registry: Registry,
  spec: { readonly name: string; readonly help: string; readonly buckets: readonly number[] },
): TallyHistogram {
  const bounds = Float64Array.from(spec.buckets);
  for (let i = 1; i < bounds.length; i++) {
    if (!((bounds[i] as number) > (bounds[i - 1] as number))) {
      throw new Error(`Histogram ${spec.name}: buckets must ascend.`);
    }
  }
  // counts[i]: values ≤ bounds[i] and > bounds[i-1]; the last slot: above every bound.
  const counts = new Float64Array(bounds.length + 1);
  let sum = 0;
  let count = 0;
  const metric = {
    name: spec.name,
    help: spec.help,
    type: 'histogram',
    aggregator: 'sum',
    get() {
      const values: Sample[] = [];
      let cumulative = 0;
      for (let i = 0; i < bounds.length; i++) {
        cumulative += counts[i] as number;
        values.push({
          metricName: `${spec.name}_bucket`,
          labels: { le: bounds[i] as number },
          value: cumulative,
        });
      }
      values.push({ metricName: `${spec.name}_bucket`, labels: { le: '+Inf' }, value: count });
      values.push({ metricName: `${spec.name}_sum`, labels: {}, value: sum });
      values.push({ metricName: `${spec.name}_count`, labels: {}, value: count });
      return Promise.resolve({
        name: spec.name,
        help: spec.help,
        type: 'histogram',
        aggregator: 'sum',
        values,
      });
    },
    reset(): void {
      counts.fill(0);
      sum = 0;
      count = 0;
    },
  };
  // prom-client's registry needs only name, help, type and get(); the class type asks for more.
  registry.registerMetric(metric as unknown as Metric);
  return {
    observe(value) {
      if (!(value >= 0) || value === Number.POSITIVE_INFINITY) return;
      let i = 0;
      while (i < bounds.length && value > (bounds[i] as number)) i++;
      counts[i] = (counts[i] as number) + 1;
      sum += value;
      count++;
    },
  };
}
