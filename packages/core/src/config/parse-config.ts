/** `parseConfig` for already-parsed input and `defaultConfig`. */
import type { Config } from './config-schema.js';
import type { InstanceRuntime } from './instance-id.js';
import { SourceMap } from './source-map.js';
import { validateConfig } from './validate-config.js';

/** Options of {@link parseConfig}. */
export interface ParseConfigOptions {
  /**
   * Where the input came from, for messages: one label for everything
   * (default `input`), or dotted keys → labels where the longest matching key wins.
   */
  readonly sources?: string | Readonly<Record<string, string>>;
  /** Host facts for the default `deploy.instance_id` (`<hostname>-<pid>`); the real ones when omitted. */
  readonly runtime?: InstanceRuntime;
}

function toSourceMap(sources: ParseConfigOptions['sources']): SourceMap {
  if (typeof sources === 'string') return new SourceMap(sources);
  const map = new SourceMap('input');
  const entries = Object.entries(sources ?? {}).sort(([a], [b]) => a.length - b.length);
  for (const [key, label] of entries) map.set(key === '' ? [] : key.split('.'), label);
  return map;
}

/**
 * Validates an already-parsed config object (snake_case keys, as in YAML) and
 * applies defaults. `null` entries count as not set.
 *
 * @throws VoiceError `CONFIG_INVALID` listing every problem with key, value, source and expectation.
 * @example
 * const config = parseConfig({ server: { port: 9000 } }, { sources: 'inline' });
 * config.session.timeouts.listening_s; // 30
 */
export function parseConfig(input: unknown, options: ParseConfigOptions = {}): Config {
  return validateConfig(input, { sources: toSourceMap(options.sources), runtime: options.runtime });
}

/**
 * The built-in configuration: every default, as used when no file and no
 * environment override exist.
 *
 * @example
 * const { server } = defaultConfig(); // server.port === 8080
 */
export function defaultConfig(options: Pick<ParseConfigOptions, 'runtime'> = {}): Config {
  return validateConfig({}, { sources: new SourceMap(), runtime: options.runtime });
}
