/**
 * The error-code registry of the public contract (`shared/PROTOCOL.md`): every
 * code the API, the WebSocket and the engine can report, each with one HTTP
 * status, whether retrying the same request can succeed, and a default message.
 */

/** One registry entry. */
export interface ErrorCodeSpec {
  /** HTTP status the code maps to, on every route. */
  readonly status: number;
  /** Whether repeating the same request later may succeed. */
  readonly retryable: boolean;
  /** Message used when none is given. */
  readonly message: string;
}

/** The registry, keyed by UPPER_SNAKE code. */
export const ERROR_CODES = {
  // 400 — the request itself is wrong
  VALIDATION_FAILED: { status: 400, retryable: false, message: 'The request is invalid.' },
  MALFORMED_JSON: { status: 400, retryable: false, message: 'The body is not valid JSON.' },
  INVALID_ID: {
    status: 400,
    retryable: false,
    message: 'The identifier is malformed or of the wrong kind.',
  },
  INVALID_AUDIO: {
    status: 400,
    retryable: false,
    message: 'The audio is malformed or in an unsupported format.',
  },
  UNSUPPORTED_AUDIO_FORMAT: {
    status: 400,
    retryable: false,
    message: 'The audio format or sample rate is not supported.',
  },
  INVALID_FRAME: {
    status: 400,
    retryable: false,
    message: 'The frame is malformed or of an unknown type.',
  },
  // 401 / 403 — who is asking
  UNAUTHENTICATED: {
    status: 401,
    retryable: false,
    message: 'Authentication is missing or invalid.',
  },
  TOKEN_EXPIRED: { status: 401, retryable: false, message: 'The token has expired.' },
  FORBIDDEN: {
    status: 403,
    retryable: false,
    message: 'The credential is not allowed to do this.',
  },
  FEATURE_DISABLED: {
    status: 403,
    retryable: false,
    message: 'This feature is not enabled for the tenant.',
  },
  // 404 / 405 / 409 / 410 — the thing asked about
  NOT_FOUND: { status: 404, retryable: false, message: 'The resource does not exist.' },
  SESSION_NOT_FOUND: { status: 404, retryable: false, message: 'The session does not exist.' },
  TENANT_NOT_FOUND: { status: 404, retryable: false, message: 'The tenant does not exist.' },
  METHOD_NOT_ALLOWED: {
    status: 405,
    retryable: false,
    message: 'The method is not allowed on this route.',
  },
  SESSION_STATE_CONFLICT: {
    status: 409,
    retryable: false,
    message: 'The session is not in a state that allows this.',
  },
  SESSION_ALREADY_ATTACHED: {
    status: 409,
    retryable: false,
    message: 'A connection is already attached to the session.',
  },
  IDEMPOTENCY_CONFLICT: {
    status: 409,
    retryable: false,
    message: 'The idempotency key was used with a different request.',
  },
  CONFLICT: {
    status: 409,
    retryable: false,
    message: 'The resource already exists or was changed concurrently.',
  },
  SESSION_CLOSED: { status: 410, retryable: false, message: 'The session has ended.' },
  // 413 / 415 — size and type
  PAYLOAD_TOO_LARGE: {
    status: 413,
    retryable: false,
    message: 'The body or frame is larger than allowed.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    retryable: false,
    message: 'The content type is not supported.',
  },
  // 429 — limits
  RATE_LIMITED: { status: 429, retryable: true, message: 'Too many requests; retry later.' },
  QUOTA_EXCEEDED: {
    status: 429,
    retryable: true,
    message: 'A usage or concurrency quota is exhausted.',
  },
  // 5xx — our side or a provider's
  INTERNAL: { status: 500, retryable: true, message: 'An internal error occurred.' },
  CONFIG_INVALID: { status: 500, retryable: false, message: 'The configuration is invalid.' },
  TOOL_FAILED: { status: 500, retryable: false, message: 'A tool call failed.' },
  NOT_IMPLEMENTED: {
    status: 501,
    retryable: false,
    message: 'This is not supported by the server.',
  },
  PROVIDER_UNAVAILABLE: {
    status: 502,
    retryable: true,
    message: 'A speech or language provider is unavailable.',
  },
  PROVIDER_ERROR: { status: 502, retryable: false, message: 'A provider rejected the request.' },
  PROVIDER_AUTH_FAILED: {
    status: 502,
    retryable: false,
    message: 'A provider rejected our credentials.',
  },
  PROVIDER_RATE_LIMITED: {
    status: 502,
    retryable: true,
    message: 'A provider is rate limiting us.',
  },
  OVERLOADED: { status: 503, retryable: true, message: 'The server is overloaded; retry later.' },
  NOT_READY: { status: 503, retryable: true, message: 'The server is starting or draining.' },
  STORAGE_UNAVAILABLE: {
    status: 503,
    retryable: true,
    message: 'Storage or coordination is unavailable.',
  },
  TIMEOUT: { status: 504, retryable: true, message: 'The operation timed out.' },
  PROVIDER_TIMEOUT: { status: 504, retryable: true, message: 'A provider did not answer in time.' },
  TOOL_TIMEOUT: { status: 504, retryable: true, message: 'A tool call did not finish in time.' },
} as const satisfies Record<string, ErrorCodeSpec>;

/** Every code of the registry. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes in registry order. */
export const ERROR_CODE_LIST: readonly ErrorCode[] = Object.keys(ERROR_CODES) as ErrorCode[];

/** Whether a string is a registered error code. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** The registry entry of a code. */
export function errorSpec(code: ErrorCode): ErrorCodeSpec {
  return ERROR_CODES[code];
}
