/**
 * The W3C Trace Context `traceparent` header value, as carried by the
 * CloudEvents distributed-tracing extension.
 */

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_PARENT = '0'.repeat(16);

/**
 * Why a value is not a valid `traceparent`, or `undefined` if it is one:
 * `version-traceid-parentid-flags` in lower-case hex, version not `ff`,
 * neither id all zeros; version `00` has exactly these four fields, later
 * versions may append more after a `-`.
 */
export function traceparentProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `expected a traceparent string, got ${typeof value}`;
  const m = TRACEPARENT.exec(value);
  if (m === null) {
    return `"${value.slice(0, 80)}" is not a traceparent: expected 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`;
  }
  const [, version, traceId, parentId, , rest] = m;
  if (version === 'ff') return 'traceparent version ff is invalid';
  if (version === '00' && rest !== undefined)
    return 'traceparent version 00 has exactly four fields';
  if (traceId === ZERO_TRACE) return 'traceparent trace id must not be all zeros';
  if (parentId === ZERO_PARENT) return 'traceparent parent id must not be all zeros';
  return undefined;
}

/** Whether a value is a valid W3C `traceparent`. */
export function isTraceparent(value: unknown): value is string {
  return traceparentProblem(value) === undefined;
}
