/** Configuration problems: how they are described, shown and thrown as one `CONFIG_INVALID`. */
import { VoiceError } from '@prx-voice/types';
import { displayValue } from './redact.js';
import { DEFAULT_SOURCE } from './source-map.js';
import type { SourceMap } from './source-map.js';

/** One configuration problem as reported in `VoiceError.details.issues`. */
export interface ConfigIssue {
  /** Dotted key, list items as `[i]`: `adapters.asr.fallbacks[1]`. */
  readonly key: string;
  /** The offending value as shown (secrets as `***`), or `(not set)`. */
  readonly value: string;
  /** Where the value came from: `config.yaml:12`, an env var name; `default` when not set. */
  readonly source: string;
  /** What was expected instead. */
  readonly expected: string;
}

/** A problem found while loading, before it is shown. */
export interface PendingIssue {
  /** Path of the offending key. */
  readonly path: readonly PropertyKey[];
  /** The offending value (undefined when missing). */
  readonly value: unknown;
  /** What was expected. */
  readonly expected: string;
  /** Source label when known better than the source map knows it. */
  readonly source?: string;
}

/** `['a', 'b', 0, 'c']` → `a.b[0].c`; the empty path is `(root)`. */
export function formatKey(path: readonly PropertyKey[]): string {
  let key = '';
  for (const segment of path) {
    if (typeof segment === 'number') key += `[${segment}]`;
    else key += key === '' ? String(segment) : `.${String(segment)}`;
  }
  return key === '' ? '(root)' : key;
}

/** One issue as a line: `key = value (from source): expected …`. */
export function formatIssue(issue: ConfigIssue): string {
  const from = issue.source === DEFAULT_SOURCE ? '' : ` (from ${issue.source})`;
  return `${issue.key} = ${issue.value}${from}: ${issue.expected}`;
}

/** Resolves sources and masks values; drops exact duplicates. */
export function resolveIssues(pending: readonly PendingIssue[], sources: SourceMap): ConfigIssue[] {
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  for (const item of pending) {
    const issue: ConfigIssue = {
      key: formatKey(item.path),
      value: displayValue(item.path, item.value),
      // A missing value has no source of its own; the parent's would mislead.
      source:
        item.value === undefined ? DEFAULT_SOURCE : (item.source ?? sources.lookup(item.path)),
      expected: item.expected,
    };
    const id = `${issue.key}\n${issue.expected}`;
    if (!seen.has(id)) {
      seen.add(id);
      issues.push(issue);
    }
  }
  return issues;
}

/** The one `CONFIG_INVALID` error listing every issue. */
export function configInvalid(issues: readonly ConfigIssue[]): VoiceError {
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  const lines = issues.map((issue) => `  - ${formatIssue(issue)}`);
  return new VoiceError('CONFIG_INVALID', {
    message: `Invalid configuration (${count}):\n${lines.join('\n')}`,
    details: { issues },
  });
}

/** Reads the value at `path` inside plain objects and arrays. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const row = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, substitution));
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}

/** "unknown key" with a did-you-mean when one known key is close, and the list of known keys. */
export function unknownKeyMessage(name: string, known: readonly string[]): string {
  if (known.length === 0) return `unknown key "${name}": its parent is not a mapping`;
  const close = known
    .map((candidate) => ({ candidate, score: distance(name.toLowerCase(), candidate) }))
    .filter(({ score, candidate }) => score <= Math.max(2, Math.floor(candidate.length / 3)))
    .sort((x, y) => x.score - y.score)[0];
  const hint = close === undefined ? '' : ` (did you mean "${close.candidate}"?)`;
  return `unknown key "${name}"${hint}; expected one of ${known.join(', ')}`;
}
