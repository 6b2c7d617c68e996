/**
 * Streaming authenticated encryption of large objects (recordings) under a data key: the
 * STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015) over AES-256-GCM, so an
 * object is sealed and opened a record at a time, never held whole.
 *
 * Format (`application/vnd.prx-voice.sealed`), all integers big-endian:
 *
 * ```text
 * header  = "PRXS" (4) ‖ version 0x01 (1) ‖ chunkBytes u32 (4) ‖ nonce prefix (7 random)   — 16 bytes
 * record  = AES-256-GCM ciphertext of the record's plaintext ‖ tag (16)
 * nonce_i = nonce prefix (7) ‖ i u32 (4) ‖ flag (1): 0x01 on the final record, else 0x00
 * aad     = header (16) ‖ UTF-8 of the caller's aad        — the same for every record
 * ```
 *
 * Every record but the last holds exactly `chunkBytes` of plaintext; the final record holds
 * fewer, `plaintext length mod chunkBytes` — so it is empty when the plaintext is empty or
 * an exact multiple of `chunkBytes`. The final record always exists, and a full-size record
 * is never final: the opener knows a record's size from the header alone, and a stream that
 * ends without a short record flagged final is truncated. The record counter and the final
 * flag in the nonce make dropped, reordered, duplicated or appended records fail to
 * authenticate; binding the header into each record's aad makes any change to it (including
 * `chunkBytes` of a one-record object) fail too.
 *
 * The opener yields each record's plaintext as soon as it authenticates, so what it has
 * yielded is always an authentic prefix; only when iteration completes without an error is
 * the object known to be whole (write to a temporary place and commit at the end, or abort
 * the response on error).
 */
import { randomBytes } from 'node:crypto';
import { VoiceError } from '@prx-voice/types';
import { checkKey, gcmOpen, gcmSeal, openFailed, TAG_BYTES } from './sealing.js';
import type { DataKey } from './sealing.js';

/** The content type of a sealed stream. */
export const SEALED_CONTENT_TYPE = 'application/vnd.prx-voice.sealed';

/** Plaintext bytes per record unless told otherwise. */
export const DEFAULT_CHUNK_BYTES = 65_536;
/** The largest `chunkBytes` sealed or opened (16 MiB): the opener holds one record. */
export const MAX_CHUNK_BYTES = 16 * 1024 * 1024;

/** Options of {@link sealStream}. */
export interface SealStreamOptions {
  /** Plaintext bytes per record, 1 to 16 MiB; default 65536. */
  readonly chunkBytes?: number;
}

const MAGIC = Buffer.from('PRXS', 'latin1');
const VERSION = 1;
const PREFIX_BYTES = 7;
const HEADER_BYTES = MAGIC.length + 1 + 4 + PREFIX_BYTES;
const MAX_RECORDS = 2 ** 32;
const WHAT = 'the sealed stream';

function checkChunkBytes(chunkBytes: number): number {
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `chunkBytes must be an integer from 1 to ${String(MAX_CHUNK_BYTES)}, got ${String(chunkBytes)}.`,
      details: { field: 'chunkBytes' },
    });
  }
  return chunkBytes;
}

function tooLarge(): VoiceError {
  return new VoiceError('PAYLOAD_TOO_LARGE', {
    message: `A sealed stream holds at most ${String(MAX_RECORDS)} records; use a larger chunkBytes.`,
  });
}

/** The nonce of record `index`: prefix ‖ u32 index ‖ final flag. */
function recordNonce(prefix: Uint8Array, index: number, final: boolean): Buffer {
  const nonce = Buffer.alloc(PREFIX_BYTES + 5);
  nonce.set(prefix, 0);
  nonce.writeUInt32BE(index, PREFIX_BYTES);
  nonce[PREFIX_BYTES + 4] = final ? 1 : 0;
  return nonce;
}

/**
 * The size of the sealed stream of `plaintextBytes` bytes, so a sealed object's length can
 * be given up front: header + plaintext + one tag per record (`⌊n / chunkBytes⌋ + 1`).
 *
 * @example
 * sealedSize(0); // 32: header and an empty final record
 * sealedSize(100_000, 65_536); // 16 + 100_000 + 2 × 16
 */
export function sealedSize(
  plaintextBytes: number,
  chunkBytes: number = DEFAULT_CHUNK_BYTES,
): number {
  checkChunkBytes(chunkBytes);
  if (!Number.isSafeInteger(plaintextBytes) || plaintextBytes < 0) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `plaintextBytes must be a non-negative integer, got ${String(plaintextBytes)}.`,
      details: { field: 'plaintextBytes' },
    });
  }
  const records = Math.floor(plaintextBytes / chunkBytes) + 1;
  if (records > MAX_RECORDS) throw tooLarge();
  return HEADER_BYTES + plaintextBytes + records * TAG_BYTES;
}

/**
 * Seals a large object (a recording) as a stream of records under a data key, `aad` bound;
 * holds at most one record's plaintext. The format is described in this module's docs.
 *
 * @example
 * const aad = `${tenantId}\0${subject}\0${objectKey}`;
 * await store.put(objectKey, sealStream(dataKey, recording, aad), {
 *   contentType: SEALED_CONTENT_TYPE,
 * });
 */
export function sealStream(
  key: DataKey,
  source: AsyncIterable<Uint8Array>,
  aad: string,
  opts: SealStreamOptions = {},
): AsyncIterable<Uint8Array> {
  checkKey(key, 'The data key');
  const chunkBytes = checkChunkBytes(opts.chunkBytes ?? DEFAULT_CHUNK_BYTES);
  return sealRecords(key, source, aad, chunkBytes);
}

async function* sealRecords(
  key: DataKey,
  source: AsyncIterable<Uint8Array>,
  aad: string,
  chunkBytes: number,
): AsyncGenerator<Uint8Array, void, undefined> {
  const prefix = randomBytes(PREFIX_BYTES);
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header[MAGIC.length] = VERSION;
  header.writeUInt32BE(chunkBytes, MAGIC.length + 1);
  prefix.copy(header, MAGIC.length + 5);
  const recordAad = Buffer.concat([header, Buffer.from(aad, 'utf8')]);
  const seal = (index: number, final: boolean, plaintext: Uint8Array): Buffer => {
    if (index >= MAX_RECORDS) throw tooLarge();
    return gcmSeal(key, recordNonce(prefix, index, final), plaintext, recordAad);
  };
  yield header;
  const plaintext = Buffer.alloc(chunkBytes);
  let filled = 0;
  let index = 0;
  for await (const input of source) {
    let offset = 0;
    while (offset < input.length) {
      const n = Math.min(chunkBytes - filled, input.length - offset);
      plaintext.set(input.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      if (filled === chunkBytes) {
        yield seal(index, false, plaintext);
        index += 1;
        filled = 0;
      }
    }
  }
  yield seal(index, true, plaintext.subarray(0, filled));
}

/**
 * Opens a stream sealed by {@link sealStream}, whatever the boundaries of its input chunks;
 * holds at most one record. Yields each record's plaintext once it authenticates.
 *
 * @throws VoiceError `INTERNAL` (not retryable), `details.reason` one of `malformed` (bad
 * magic or header), `unsupported_version`, `authentication_failed` (wrong key or aad, a
 * changed, dropped, reordered or appended record, a cut record) or `truncated` (no final
 * record).
 * @example
 * const sealed = await store.getStream(objectKey);
 * for await (const bytes of openStream(dataKey, sealed, aad)) res.write(bytes);
 */
export function openStream(
  key: DataKey,
  source: AsyncIterable<Uint8Array>,
  aad: string,
): AsyncIterable<Uint8Array> {
  checkKey(key, 'The data key');
  return openRecords(key, source, aad);
}

/** The record size a header gives, after checking its magic and version. */
function readHeader(header: Buffer): number {
  if (!header.subarray(0, MAGIC.length).equals(MAGIC)) throw openFailed(WHAT, 'malformed');
  if (header[MAGIC.length] !== VERSION) throw openFailed(WHAT, 'unsupported_version');
  const chunkBytes = header.readUInt32BE(MAGIC.length + 1);
  if (chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) throw openFailed(WHAT, 'malformed');
  return chunkBytes;
}

async function* openRecords(
  key: DataKey,
  source: AsyncIterable<Uint8Array>,
  aad: string,
): AsyncGenerator<Uint8Array, void, undefined> {
  const header = Buffer.alloc(HEADER_BYTES);
  let headerFilled = 0;
  let record = Buffer.alloc(0);
  let prefix = Buffer.alloc(0);
  let recordAad = Buffer.alloc(0);
  let filled = 0;
  let index = 0;
  const open = (final: boolean, sealed: Uint8Array): Buffer => {
    if (index >= MAX_RECORDS) throw openFailed(WHAT, 'authentication_failed');
    const plain = gcmOpen(key, recordNonce(prefix, index, final), sealed, recordAad);
    if (plain === undefined) throw openFailed(WHAT, 'authentication_failed');
    index += 1;
    return plain;
  };
  for await (const input of source) {
    let offset = 0;
    if (headerFilled < HEADER_BYTES) {
      const n = Math.min(HEADER_BYTES - headerFilled, input.length);
      header.set(input.subarray(0, n), headerFilled);
      headerFilled += n;
      offset = n;
      if (headerFilled < HEADER_BYTES) continue;
      record = Buffer.alloc(readHeader(header) + TAG_BYTES);
      prefix = header.subarray(MAGIC.length + 5);
      recordAad = Buffer.concat([header, Buffer.from(aad, 'utf8')]);
    }
    while (offset < input.length) {
      const n = Math.min(record.length - filled, input.length - offset);
      record.set(input.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      // A full-size record is never the final one.
      if (filled === record.length) {
        yield open(false, record);
        filled = 0;
      }
    }
  }
  if (headerFilled < HEADER_BYTES) throw openFailed(WHAT, 'truncated');
  if (filled < TAG_BYTES) throw openFailed(WHAT, 'truncated');
  yield open(true, record.subarray(0, filled));
}
