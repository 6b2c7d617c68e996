/**
 * The logger libraries take: structured (fields and a message), levelled, with child
 * loggers that carry context (`tenant_id`, `session_id`, `turn_id`, `run_id`,
 * `trace_id`). A pino logger satisfies it; `@prx-voice/observe`'s `createLogger` makes
 * one configured by the `logging.*` keys, with redaction applied before output.
 */

/** Logs a message, optionally with structured fields first (`log({ session_id }, 'ended')`). */
export interface LogFn {
  (message: string): void;
  (fields: Readonly<Record<string, unknown>>, message?: string): void;
}

/** A structured, levelled logger. */
export interface Logger {
  readonly trace: LogFn;
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
  readonly fatal: LogFn;
  /** A logger whose every line also carries `bindings`. */
  child(bindings: Readonly<Record<string, unknown>>): Logger;
}

const nothing: LogFn = () => undefined;

/** A logger that logs nothing (tests, embedding without logs). */
export const silentLogger: Logger = {
  trace: nothing,
  debug: nothing,
  info: nothing,
  warn: nothing,
  error: nothing,
  fatal: nothing,
  child: () => silentLogger,
};
