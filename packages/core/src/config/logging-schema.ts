/** The `logging` section. */
import { z } from 'zod';

/** Log levels, most verbose first; `silent` logs nothing. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** The `logging` section. */
export const loggingSchema = z.strictObject({
  level: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  format: z.enum(['json', 'pretty'], { error: 'expected "json" or "pretty"' }).default('json'),
  /** How much of transcripts and PII reaches logs: none, basic (credentials, PII patterns), strict (all user text). */
  redaction: z
    .enum(['none', 'basic', 'strict'], { error: 'expected "none", "basic" or "strict"' })
    .default('basic'),
});

/** The validated `logging` section. */
export type LoggingConfig = z.output<typeof loggingSchema>;
/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];
