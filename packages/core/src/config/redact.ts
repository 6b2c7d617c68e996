/**
 * Masks secrets in configuration values before they reach an error message:
 * values under keys whose name looks secret, and passwords inside URLs.
 */

/** Replacement text for a masked value. */
export const MASK = '***';

const SECRET_NAME = /key|secret|password|passwd|token|^credential$/i;

/** Names that match {@link SECRET_NAME} but are not secrets: file paths and on/off switches. */
const NOT_SECRET = /_file$|^allow_|^metadata_keys$/i;

/**
 * Whether a key name holds a secret: it contains key, secret, password, passwd,
 * token, or is `credential` (a TURN server's) — except `*_file` names (a path, not the content) and
 * `allow_*` names (switches such as `allow_query_token`).
 */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !NOT_SECRET.test(name);
}

/** Whether any segment of a path is a secret name. */
export function isSecretPath(path: readonly PropertyKey[]): boolean {
  return path.some((segment) => typeof segment === 'string' && isSecretName(segment));
}

const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:)[^@\s]*@/i;

/** `scheme://user:password@host` → `scheme://user:***@host`; other strings unchanged. */
export function redactUrlPassword(value: string): string {
  return value.replace(URL_PASSWORD, `$1${MASK}@`);
}

/** A copy of `value` with secret-named keys masked and URL passwords hidden, at any depth. */
export function redactValue(value: unknown): unknown {
  if (typeof value === 'string') return redactUrlPassword(value);
  if (Array.isArray(value)) return value.map(redactValue);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([name, inner]) => [
        name,
        isSecretName(name) && typeof inner !== 'boolean' ? MASK : redactValue(inner),
      ]),
    );
  }
  return value;
}

const MAX_SHOWN = 120;

/**
 * How a value is shown in a message: JSON-like, secrets masked, long values cut,
 * `(not set)` for a missing one. Booleans are shown even under secret names.
 */
export function displayValue(path: readonly PropertyKey[], value: unknown): string {
  if (value === undefined) return '(not set)';
  if (isSecretPath(path) && typeof value !== 'boolean') return MASK;
  const text = JSON.stringify(redactValue(value)) as string | undefined;
  const shown = text ?? typeof value;
  return shown.length > MAX_SHOWN ? `${shown.slice(0, MAX_SHOWN - 1)}…` : shown;
}
