/** Parses `config.yaml` text and records the line each key was written on. */
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { VoiceError } from '@prx-voice/types';
import type { SourceMap } from './source-map.js';

/** A YAML syntax problem, 1-based line and column. */
export interface YamlSyntaxIssue {
  /** The yaml library's error code, e.g. `MISSING_CHAR`. */
  readonly code: string;
  /** What is wrong, without the source excerpt (it may hold secrets). */
  readonly message: string;
  /** 1-based line, when the problem has a position. */
  readonly line?: number;
  /** 1-based column, when the problem has a position. */
  readonly column?: number;
}

function syntaxError(
  label: string,
  issues: readonly YamlSyntaxIssue[],
  cause?: unknown,
): VoiceError {
  const lines = issues.map((issue) => {
    const at = issue.line === undefined ? '' : `:${issue.line}:${issue.column ?? 1}`;
    return `  - ${label}${at}: ${issue.message}`;
  });
  return new VoiceError('CONFIG_INVALID', {
    message: `Invalid configuration: ${label} is not valid YAML:\n${lines.join('\n')}`,
    details: { file: label, yaml_errors: issues },
    cause,
  });
}

function recordPositions(
  node: unknown,
  path: readonly PropertyKey[],
  record: (path: readonly PropertyKey[], offset: number) => void,
): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key: unknown = isScalar(pair.key) ? pair.key.value : pair.key;
      const child = [...path, String(key)];
      const range = (pair.key as YamlNode | null)?.range;
      if (range !== undefined && range !== null) record(child, range[0]);
      recordPositions(pair.value, child, record);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => {
      const child = [...path, index];
      const range = (item as YamlNode | null)?.range;
      if (range !== undefined && range !== null) record(child, range[0]);
      recordPositions(item, child, record);
    });
  }
}

/**
 * Parses one YAML document to plain data. Every syntax error is reported in one
 * `CONFIG_INVALID` with its line and column; each key's `label:line` goes into `sources`.
 */
export function parseYamlConfig(text: string, label: string, sources: SourceMap): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, version: '1.2' });
  if (doc.errors.length > 0) {
    throw syntaxError(
      label,
      doc.errors.map((error) => {
        const at = lineCounter.linePos(error.pos[0]);
        return { code: error.code, message: error.message, line: at.line, column: at.col };
      }),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw syntaxError(label, [{ code: 'BAD_ALIAS', message }], error);
  }
  sources.set([], label);
  recordPositions(doc.contents, [], (path, offset) => {
    sources.set(path, `${label}:${lineCounter.linePos(offset).line}`);
  });
  return value;
}
