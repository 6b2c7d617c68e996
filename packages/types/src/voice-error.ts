import { ERROR_CODES, isErrorCode } from './error-codes.js';
import type { ErrorCode } from './error-codes.js';

/** Options of a {@link VoiceError}; all fall back to the registry. */
export interface VoiceErrorOptions {
  /** Human-readable message; defaults to the code's registry message. */
  readonly message?: string;
  /** Overrides the registry's retryable flag for this occurrence. */
  readonly retryable?: boolean;
  /** Machine-readable context (field names, limits, retry hints). Never secrets. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** The underlying error. */
  readonly cause?: unknown;
}

/**
 * One validation problem, as `VALIDATION_FAILED` details list them: where (a
 * dotted path into the value) and what is wrong.
 */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

/** The wire form of an error, as the envelope's `error` field carries it. */
export interface VoiceErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;
}

/**
 * The one error class of PRX Voice: a registry code, its HTTP status, whether a
 * retry can help, structured details and the cause.
 *
 * @example
 * throw new VoiceError('SESSION_NOT_FOUND', { details: { session_id: id } });
 */
export class VoiceError extends Error {
  override readonly name = 'VoiceError';
  /** Registry code. */
  readonly code: ErrorCode;
  /** HTTP status from the registry. */
  readonly status: number;
  /** Whether repeating the operation may succeed. */
  readonly retryable: boolean;
  /** Structured context. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, options: VoiceErrorOptions = {}) {
    const spec = ERROR_CODES[code];
    super(
      options.message ?? spec.message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.status = spec.status;
    this.retryable = options.retryable ?? spec.retryable;
    this.details = options.details ?? {};
  }

  /** The envelope's `error` object. */
  toJSON(): VoiceErrorBody {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      details: this.details,
    };
  }

  /** Whether a value is a VoiceError (also across package copies). */
  static is(value: unknown): value is VoiceError {
    return (
      value instanceof VoiceError ||
      (value instanceof Error &&
        value.name === 'VoiceError' &&
        isErrorCode((value as { code?: unknown }).code))
    );
  }

  /**
   * Wraps anything thrown into a VoiceError: a VoiceError is returned as it is,
   * anything else becomes `fallback` (default `INTERNAL`) with the original as cause.
   */
  static from(value: unknown, fallback: ErrorCode = 'INTERNAL'): VoiceError {
    if (VoiceError.is(value)) return value;
    return new VoiceError(fallback, { cause: value });
  }
}
