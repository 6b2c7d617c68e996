/** Remembers where each configuration value came from: a file line, an env var, or the defaults. */

/** Source label of values nobody set. */
export const DEFAULT_SOURCE = 'default';

const SEPARATOR = '\u0001';

function keyOf(path: readonly PropertyKey[]): string {
  return path.map(String).join(SEPARATOR);
}

/** Path → source label; the longest recorded prefix of a path names its source. */
export class SourceMap {
  readonly #entries = new Map<string, string>();
  readonly #root: string;

  /** `root` labels everything not recorded more precisely. */
  constructor(root: string = DEFAULT_SOURCE) {
    this.#root = root;
  }

  /** Records `label` for `path`, replacing what was recorded for it and below it. */
  set(path: readonly PropertyKey[], label: string): void {
    const key = keyOf(path);
    for (const existing of [...this.#entries.keys()]) {
      if (key === '' || existing.startsWith(key + SEPARATOR)) this.#entries.delete(existing);
    }
    this.#entries.set(key, label);
  }

  /** The label of the longest recorded prefix of `path`. */
  lookup(path: readonly PropertyKey[]): string {
    for (let length = path.length; length >= 0; length -= 1) {
      const label = this.#entries.get(keyOf(path.slice(0, length)));
      if (label !== undefined) return label;
    }
    return this.#root;
  }
}
