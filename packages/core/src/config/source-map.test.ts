import { describe, expect, it } from 'vitest';
import { DEFAULT_SOURCE, SourceMap } from './source-map.js';

describe('SourceMap', () => {
  it('answers with the longest recorded prefix, else the root label', () => {
    const sources = new SourceMap();
    sources.set(['server'], 'config.yaml:1');
    sources.set(['server', 'port'], 'config.yaml:2');
    expect(sources.lookup(['server', 'port'])).toBe('config.yaml:2');
    expect(sources.lookup(['server', 'host'])).toBe('config.yaml:1');
    expect(sources.lookup(['session'])).toBe(DEFAULT_SOURCE);
  });

  it('forgets what was recorded below a path when the path is set again', () => {
    const sources = new SourceMap('input');
    sources.set(['limits', 'rate_limit', 'per_tenant', 'burst'], 'config.yaml:9');
    sources.set(['limits', 'rate_limit'], 'PRX_VOICE_LIMITS__RATE_LIMIT');
    expect(sources.lookup(['limits', 'rate_limit', 'per_tenant', 'burst'])).toBe(
      'PRX_VOICE_LIMITS__RATE_LIMIT',
    );
    sources.set([], 'other.yaml');
    expect(sources.lookup(['limits', 'rate_limit'])).toBe('other.yaml');
  });

  it('does not confuse siblings that share a prefix', () => {
    const sources = new SourceMap();
    sources.set(['features', 'a'], 'x');
    sources.set(['features', 'ab'], 'y');
    sources.set(['features', 'a'], 'z');
    expect(sources.lookup(['features', 'ab'])).toBe('y');
  });
});
