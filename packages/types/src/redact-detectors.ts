/**
 * The detectors behind `redact`: each finds one kind of personal or secret data
 * and reports spans; {@link detectPii} merges them into sorted, non-overlapping
 * findings. Every pattern is compiled once, anchored by a look-behind so it
 * starts only at a token boundary, and free of ambiguous nested repetition, so
 * a scan stays linear in the length of the text.
 */

/** The redaction levels, weakest first. */
export const REDACTION_LEVELS = ['none', 'basic', 'strict'] as const;

/**
 * How much `redact` removes:
 *
 * | level    | kinds redacted                                              |
 * | -------- | ----------------------------------------------------------- |
 * | `none`   | nothing — the text is returned unchanged                    |
 * | `basic`  | `email`, `phone`, `card`, `bearer`, `jwt`, `api_key`        |
 * | `strict` | everything in `basic`, plus `digits` and `ipv4`             |
 */
export type RedactionLevel = (typeof REDACTION_LEVELS)[number];

/** The kinds of data the detectors find. */
export const PII_KINDS = [
  'email',
  'phone',
  'card',
  'digits',
  'bearer',
  'jwt',
  'api_key',
  'ipv4',
] as const;

/** One kind of personal or secret data. */
export type PiiKind = (typeof PII_KINDS)[number];

/** One finding: its kind and its UTF-16 span `[start, end)` in the text. */
export interface PiiFinding {
  readonly kind: PiiKind;
  readonly start: number;
  readonly end: number;
}

interface Span {
  kind: PiiKind;
  start: number;
  end: number;
}

const BASIC_KINDS: readonly PiiKind[] = ['email', 'phone', 'card', 'bearer', 'jwt', 'api_key'];

/** Kinds each level redacts (the table on {@link RedactionLevel}). */
const KINDS_BY_LEVEL: Readonly<Record<RedactionLevel, ReadonlySet<PiiKind>>> = {
  none: new Set(),
  basic: new Set(BASIC_KINDS),
  strict: new Set([...BASIC_KINDS, 'digits', 'ipv4']),
};

/** Which finding wins when spans overlap: higher first, then the longer span. */
const PRIORITY: Readonly<Record<PiiKind, number>> = {
  bearer: 8,
  jwt: 7,
  api_key: 6,
  email: 5,
  card: 4,
  phone: 3,
  ipv4: 2,
  digits: 1,
};

// ---------------------------------------------------------------------------
// Patterns. All global; `matchAll` clones them, so sharing is safe.

/** Local part, `@`, then the domain characters; the domain is checked in code. */
const EMAIL_RE = /(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9.-]+/g;
/** A top-level domain label. */
const TLD_RE = /^[A-Za-z]{2,}$/;
/** `+` and digit groups separated by one space, dot or dash, or a `(0)`-style group. */
const PHONE_INTL_RE = /(?<![\w+])\+\d+(?:[ .-]?\(\d{1,4}\)\d*|[ .-]\d+)*/g;
/** North-American 3-3-4 with separators, optionally after a leading `1`. */
const PHONE_NANP_RE = /(?<![\w+.-])(?:1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}/g;
/** Digit groups separated by one space or dash; not inside a word or after a currency sign. */
const DIGIT_RUN_RE = /(?<![\w$€£¥₹])\d+(?:[ -]\d+)*/g;
/** `Bearer` and an RFC 6750 token (captured). */
const BEARER_RE = /\bbearer[ \t]+([\w.~+/-]+=*)/gi;
/** A plain word after "bearer" is prose ("the bearer of"), not a credential. */
const PLAIN_WORD_RE = /^(?:[A-Z]?[a-z]{1,11}|[A-Z]{2,12})$/;
/** Three or more base64url segments, the header starting `eyJ` (`{"`). */
const JWT_RE = /(?<![\w-])eyJ[\w-]+\.[\w-]+\.[\w-]*(?:\.[\w-]+)*/g;
/** Publishable and secret keys of common providers. */
const API_KEY_RE =
  /(?<![\w-])(?:[psr]k_[\w-]{16,}|sk-[\w-]{20,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{30,}|xox[abposr]-[A-Za-z0-9-]{10,}|A[KS]IA[0-9A-Z]{16}|AIza[\w-]{35})/g;
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/** A dotted quad of octets 0–255. */
const IPV4_RE = new RegExp(`(?<![\\w.])${OCTET}(?:\\.${OCTET}){3}`, 'g');
/** Spans the digit detectors must leave alone: UUIDs and hash-mode placeholders. */
const PROTECTED_RE =
  /(?<![\w-])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![\w-])|\[[A-Z_]+:[0-9a-f]{12}\]/g;

// ---------------------------------------------------------------------------
// Character helpers.

function isDigitAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i); // NaN past the end
  return c >= 48 && c <= 57;
}

function isWordAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** Digits in a row from `i` going by `step` (±1), counted up to 7. */
function digitsFrom(text: string, i: number, step: 1 | -1): number {
  let n = 0;
  while (n < 7 && isDigitAt(text, i + n * step)) n++;
  return n;
}

/** A decimal point or a colon (times, ratios); not a comma, which also separates lists. */
function isNumberSeparator(c: string | undefined): boolean {
  return c === '.' || c === ':';
}

/**
 * Whether a number ending before `i` is glued to what follows: a word, or a
 * short number after `.` or `:` (`1234567.89`, `10:30`). Two long numbers
 * (`12345678.87654321`) are two numbers.
 */
function gluedAfter(text: string, i: number): boolean {
  if (isWordAt(text, i)) return true;
  if (!isNumberSeparator(text[i])) return false;
  const n = digitsFrom(text, i + 1, 1);
  return n > 0 && n < 7;
}

/** Whether a number starting at `i` is the tail of a short number (`3.14159265`, `37.7749295`). */
function gluedBefore(text: string, i: number): boolean {
  if (!isNumberSeparator(text[i - 1])) return false;
  const n = digitsFrom(text, i - 2, -1);
  return n > 0 && n < 7;
}

/** Luhn checksum over a string of ASCII digits. */
function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

// ---------------------------------------------------------------------------
// Detectors.

function scanEmail(text: string, out: Span[]): void {
  if (!text.includes('@')) return;
  for (const m of text.matchAll(EMAIL_RE)) {
    const at = m[0].indexOf('@');
    const labels = m[0].slice(at + 1).split('.');
    // Trailing dots and non-alphabetic tails ("a@b.com.42") are not part of the address.
    while (labels.length > 1 && !TLD_RE.test(labels[labels.length - 1] ?? '')) labels.pop();
    if (labels.length < 2) continue;
    if (labels.some((l) => l.length === 0 || l.startsWith('-') || l.endsWith('-'))) continue;
    out.push({ kind: 'email', start: m.index, end: m.index + at + 1 + labels.join('.').length });
  }
}

function scanPhone(text: string, out: Span[]): void {
  if (text.includes('+')) {
    for (const m of text.matchAll(PHONE_INTL_RE)) {
      // Digit groups of the match as [end offset, digits so far].
      const groups: [number, number][] = [];
      let digits = 0;
      const matchEnd = m.index + m[0].length;
      for (let i = m.index + 1; i < matchEnd; i++) {
        if (!isDigitAt(text, i)) continue;
        digits++;
        if (!isDigitAt(text, i + 1)) groups.push([i + 1, digits]);
      }
      if (gluedAfter(text, matchEnd)) groups.pop(); // "…2671abc": the last group belongs to a word
      while (groups.length > 1 && (groups[groups.length - 1]?.[1] ?? 0) > 15) groups.pop();
      const last = groups[groups.length - 1];
      if (last === undefined || last[1] < 8 || last[1] > 15) continue;
      const end = text[last[0]] === ')' && last[0] < matchEnd ? last[0] + 1 : last[0];
      out.push({ kind: 'phone', start: m.index, end });
    }
  }
  for (const m of text.matchAll(PHONE_NANP_RE)) {
    const end = m.index + m[0].length;
    if (isWordAt(text, end)) continue;
    if ((text[end] === '.' || text[end] === '-') && isDigitAt(text, end + 1)) continue;
    out.push({ kind: 'phone', start: m.index, end });
  }
}

interface Group {
  start: number;
  end: number;
}

/** Whether three dash-separated groups read as a date (2026-11-21, 21-11-2026, 11-21-2026). */
function isDate(text: string, a: Group, b: Group, c: Group): boolean {
  const la = a.end - a.start;
  const lb = b.end - b.start;
  const lc = c.end - c.start;
  const va = Number(text.slice(a.start, a.end));
  const vb = Number(text.slice(b.start, b.end));
  const vc = Number(text.slice(c.start, c.end));
  const inRange = (v: number, max: number): boolean => v >= 1 && v <= max;
  if (la === 4 && lb <= 2 && lc <= 2) return inRange(vb, 12) && inRange(vc, 31);
  if (la <= 2 && lb <= 2 && lc === 4) {
    return (inRange(va, 12) && inRange(vb, 31)) || (inRange(va, 31) && inRange(vb, 12));
  }
  return false;
}

/** A test, for spans met in increasing order, of lying inside a UUID or a hash placeholder. */
function guardOf(text: string): (g: Group) => boolean {
  const guards = [...text.matchAll(PROTECTED_RE)].map((m) => ({
    start: m.index,
    end: m.index + m[0].length,
  }));
  let i = 0;
  return (g) => {
    while (i < guards.length && (guards[i]?.end ?? 0) <= g.start) i++;
    const guard = guards[i];
    return guard !== undefined && g.start >= guard.start && g.end <= guard.end;
  };
}

/** Splits a run of digit groups into segments, dropping the groups of dates, UUIDs and placeholders. */
function splitRun(
  text: string,
  groups: readonly Group[],
  guarded: (g: Group) => boolean,
): Group[][] {
  const segments: Group[][] = [];
  let current: Group[] = [];
  const cut = (): void => {
    if (current.length > 0) segments.push(current);
    current = [];
  };
  for (let i = 0; i < groups.length; i++) {
    const a = groups[i];
    const b = groups[i + 1];
    const c = groups[i + 2];
    if (a === undefined) break;
    if (guarded(a)) {
      cut();
    } else if (
      b !== undefined &&
      c !== undefined &&
      text[a.end] === '-' &&
      text[b.end] === '-' &&
      isDate(text, a, b, c)
    ) {
      cut();
      i += 2;
    } else {
      current.push(a);
    }
  }
  cut();
  return segments;
}

/** Issuer digits of payment cards (2–6 and 8); rules out ms timestamps and snowflake IDs. */
function plausibleIssuer(firstDigit: string | undefined): boolean {
  return firstDigit !== undefined && '234568'.includes(firstDigit);
}

/** Luhn-valid card windows (13–19 digits, aligned on group boundaries) of one segment. */
function scanCards(text: string, segment: readonly Group[], out: Span[]): void {
  for (let i = 0; i < segment.length; i++) {
    const first = segment[i];
    if (first === undefined || !plausibleIssuer(text[first.start])) continue;
    let digits = '';
    let found: Span | undefined;
    for (let j = i; j < segment.length; j++) {
      const g = segment[j];
      if (g === undefined || digits.length + g.end - g.start > 19) break;
      digits += text.slice(g.start, g.end);
      if (digits.length >= 13 && luhnValid(digits))
        found = { kind: 'card', start: first.start, end: g.end };
    }
    if (found !== undefined) out.push(found);
  }
}

function scanDigitRuns(text: string, kinds: ReadonlySet<PiiKind>, out: Span[]): void {
  const wantCards = kinds.has('card');
  const wantDigits = kinds.has('digits');
  const guarded = guardOf(text);
  for (const m of text.matchAll(DIGIT_RUN_RE)) {
    const groups: Group[] = [];
    const end = m.index + m[0].length;
    let start = m.index;
    for (let i = m.index; i <= end; i++) {
      if (i < end && isDigitAt(text, i)) continue;
      groups.push({ start, end: i });
      start = i + 1;
    }
    // "…7 8am", "…567.89", "3.14159265": an edge group glued to a word or a short number is not ours
    if (gluedAfter(text, end)) groups.pop();
    if (gluedBefore(text, m.index)) groups.shift();
    for (const segment of splitRun(text, groups, guarded)) {
      if (wantCards) scanCards(text, segment, out);
      if (!wantDigits) continue;
      const digitCount = segment.reduce((n, g) => n + g.end - g.start, 0);
      const first = segment[0];
      const last = segment[segment.length - 1];
      if (digitCount >= 7 && first !== undefined && last !== undefined) {
        out.push({ kind: 'digits', start: first.start, end: last.end });
      }
    }
  }
}

function scanBearer(text: string, out: Span[]): void {
  for (const m of text.matchAll(BEARER_RE)) {
    const token = m[1];
    if (token === undefined || PLAIN_WORD_RE.test(token)) continue;
    const end = m.index + m[0].length;
    out.push({ kind: 'bearer', start: end - token.length, end });
  }
}

function scanSimple(text: string, kind: PiiKind, re: RegExp, out: Span[]): void {
  for (const m of text.matchAll(re)) out.push({ kind, start: m.index, end: m.index + m[0].length });
}

function scanIpv4(text: string, out: Span[]): void {
  for (const m of text.matchAll(IPV4_RE)) {
    const end = m.index + m[0].length;
    if (isWordAt(text, end) || (text[end] === '.' && isDigitAt(text, end + 1))) continue;
    out.push({ kind: 'ipv4', start: m.index, end });
  }
}

/** A finding and the span of the detection that named it, whose text hash mode hashes. */
export interface Detection extends PiiFinding {
  readonly valueStart: number;
  readonly valueEnd: number;
}

/**
 * Merges overlapping spans (sorted by start), scanning left to right: each
 * cluster of overlapping spans becomes one finding covering all of them, so no
 * part of any detected value survives, named by its highest-priority, then
 * longest, span.
 */
function resolve(spans: readonly Span[]): Detection[] {
  const found: Detection[] = [];
  let end = -1;
  let start = 0;
  let best: Span | undefined;
  const flush = (): void => {
    if (best !== undefined) {
      found.push({ kind: best.kind, start, end, valueStart: best.start, valueEnd: best.end });
    }
  };
  for (const s of spans) {
    if (best !== undefined && s.start < end) {
      end = Math.max(end, s.end);
      const byPriority = PRIORITY[s.kind] - PRIORITY[best.kind];
      if (byPriority > 0 || (byPriority === 0 && s.end - s.start > best.end - best.start)) best = s;
      continue;
    }
    flush();
    start = s.start;
    end = s.end;
    best = s;
  }
  flush();
  return found;
}

/** Every finding of the level's kinds in `text`, sorted and non-overlapping. */
export function detectPii(text: string, level: RedactionLevel): Detection[] {
  const kinds = KINDS_BY_LEVEL[level];
  if (kinds.size === 0 || text.length === 0) return [];
  const spans: Span[] = [];
  if (kinds.has('email')) scanEmail(text, spans);
  if (kinds.has('phone')) scanPhone(text, spans);
  if (kinds.has('card') || kinds.has('digits')) scanDigitRuns(text, kinds, spans);
  if (kinds.has('bearer')) scanBearer(text, spans);
  if (kinds.has('jwt') && text.includes('eyJ')) scanSimple(text, 'jwt', JWT_RE, spans);
  if (kinds.has('api_key')) scanSimple(text, 'api_key', API_KEY_RE, spans);
  if (kinds.has('ipv4')) scanIpv4(text, spans);
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  return resolve(spans);
}
