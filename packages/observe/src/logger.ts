/**
 * The structured logger of a voice server: pino, configured by the `logging.*` keys —
 * `level`, `format` (`json`: one JSON object a line; `pretty`: one readable line), and
 * `redaction`, applied to every message and field before anything is written:
 * `none`; `basic` (credentials — keys such as `token`, `api_key`, `authorization` —
 * and PII patterns: e-mail addresses, phone and card numbers, bearer tokens, …);
 * `strict` (also what callers and agents said: `text`, `user_text`, `assistant_text`,
 * `transcript` fields are replaced whole).
 */
import { pino } from 'pino';
import type { Logger as PinoLogger } from 'pino';
import type { Logger, LoggingConfig } from '@prx-voice/core';
import { SENSITIVE_KEY_PATTERN, redact, redactValue } from '@prx-voice/types';

/** Where log lines go (default: stderr). */
export interface LogDestination {
  write(line: string): void;
}

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  readonly destination?: LogDestination;
  /** Fields every line carries (e.g. `instance_id`, `region`). */
  readonly base?: Readonly<Record<string, unknown>>;
}

/** Fields holding what callers and agents said: replaced whole at `strict`. */
const TRANSCRIPT_KEY =
  /(?:^|_)(?:text|texts|transcript|utterance|user_text|assistant_text|heard_text)$/;
const STRICT_KEY = new RegExp(`${SENSITIVE_KEY_PATTERN.source}|${TRANSCRIPT_KEY.source}`);

/** A pretty line: `12:00:00.000 WARN  message key=value …`. */
function prettyLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { time, level, msg, ...fields } = record;
  const at = typeof time === 'string' ? time.slice(11, 23) : '';
  const rest = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const label = (typeof level === 'string' ? level : 'info').toUpperCase().padEnd(5);
  return `${at} ${label} ${typeof msg === 'string' ? msg : ''}${rest === '' ? '' : ` ${rest}`}\n`;
}

/**
 * Creates the logger.
 *
 * @example
 * const logger = createLogger({ level: 'info', format: 'json', redaction: 'basic' });
 * logger.child({ session_id }).warn({ attempt: 2 }, 'storing the turn failed; retrying');
 */
export function createLogger(config: LoggingConfig, options: CreateLoggerOptions = {}): Logger {
  const out = options.destination ?? { write: (line: string) => process.stderr.write(line) };
  const stream =
    config.format === 'pretty' ? { write: (line: string) => out.write(prettyLine(line)) } : out;
  const level = config.redaction;
  const fields = (value: object): object =>
    level === 'none'
      ? value
      : (redactValue(
          value,
          level === 'strict' ? { level, sensitiveKey: STRICT_KEY } : { level },
        ) as object);
  const text = (message: string): string =>
    level === 'none' ? message : redact(message, { level });
  const root = pino(
    {
      level: config.level,
      base: options.base === undefined ? null : { ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        // Redaction happens here, before pino serializes anything.
        logMethod(args, method) {
          const [first, ...rest] = args as unknown[];
          if (typeof first === 'string') {
            method.apply(this, [text(first)] as never);
            return;
          }
          const message = rest[0];
          const redacted =
            first instanceof Error
              ? fields({ err: first })
              : first === null || typeof first !== 'object'
                ? first
                : fields(first);
          method.apply(
            this,
            (typeof message === 'string' ? [redacted, text(message)] : [redacted]) as never,
          );
        },
      },
    },
    stream,
  );
  return wrap(root);
}

function wrap(p: PinoLogger): Logger {
  return {
    trace: p.trace.bind(p),
    debug: p.debug.bind(p),
    info: p.info.bind(p),
    warn: p.warn.bind(p),
    error: p.error.bind(p),
    fatal: p.fatal.bind(p),
    child: (bindings) => wrap(p.child({ ...bindings })),
  };
}
