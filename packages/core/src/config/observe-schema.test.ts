import { describe, expect, it } from 'vitest';
import { VoiceError } from '@prx-voice/types';
import { parseConfig } from './parse-config.js';

const runtime = { runtime: { hostname: 'test', pid: 1 } };
const problemOf = (input: unknown): string => {
  try {
    parseConfig(input, runtime);
  } catch (err) {
    if (VoiceError.is(err)) return err.message;
    throw err;
  }
  return '';
};

describe('the observe section', () => {
  it('defaults: no tracing export, no per-tenant series, the built-in objectives', () => {
    const { observe } = parseConfig({}, runtime);
    expect(observe.tracing).toMatchObject({
      exporter: 'none',
      include_text: false,
      queue_size: 2048,
    });
    expect(observe.metrics).toEqual({ per_tenant: false, max_tenants: 50 });
    expect(observe.slos).toEqual({});
  });

  it('takes objectives by name', () => {
    const { observe } = parseConfig(
      {
        observe: {
          slos: { voice_to_voice: { threshold_ms: 1200 }, availability: { objective: 0.9995 } },
        },
      },
      runtime,
    );
    expect(observe.slos).toEqual({
      voice_to_voice: { threshold_ms: 1200 },
      availability: { objective: 0.9995 },
    });
  });

  it.each([
    [{ slos: { availability: { objective: 2 } } }, 'observe.slos.availability.objective'],
    [{ slos: { uptime: { objective: 0.99 } } }, 'observe.slos'],
    [{ tracing: { exporter: 'jaeger' } }, 'observe.tracing.exporter'],
    [{ tracing: { endpoint: 'ftp://collector' } }, 'observe.tracing.endpoint'],
    [{ metrics: { max_tenants: 0 } }, 'observe.metrics.max_tenants'],
  ])('refuses %j, naming %s', (observe, key) => {
    expect(problemOf({ observe })).toContain(key);
  });
});
