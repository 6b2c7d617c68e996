/**
 * A streaming POSIX ustar writer: each entry's header, its bytes as they come, padding
 * to 512-byte blocks, and the two zero blocks that end an archive. Entries must declare
 * their size up front (a body that yields a different number of bytes is an error), so
 * nothing is buffered beyond one chunk. Readable by `tar`, libarchive and every unpacker.
 */
import { VoiceError } from '@prx-voice/types';

const BLOCK = 512;
const ZEROS = new Uint8Array(BLOCK * 2);

/** One file of an archive. */
export interface TarEntry {
  /** Path inside the archive: ASCII, at most 100 bytes, no leading `/`, no `..`. */
  readonly path: string;
  /** Exact size of the body, bytes. */
  readonly size: number;
  readonly body: Uint8Array | AsyncIterable<Uint8Array>;
  /** Modification time, epoch ms. */
  readonly mtimeMs: number;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** The 512-byte ustar header of an entry. */
export function tarHeader(entry: Pick<TarEntry, 'path' | 'size' | 'mtimeMs'>): Uint8Array {
  const { path } = entry;
  if (
    !/^[\x20-\x7e]+$/.test(path) ||
    path.length > 100 ||
    path.startsWith('/') ||
    path.split('/').includes('..')
  ) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `Invalid archive path "${path.slice(0, 120)}": printable ASCII, at most 100 bytes, relative, without "..".`,
    });
  }
  if (!Number.isSafeInteger(entry.size) || entry.size < 0 || entry.size >= 8 ** 11) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `Invalid archive entry size ${String(entry.size)} for "${path}".`,
    });
  }
  const h = new Uint8Array(BLOCK);
  const put = (text: string, offset: number) => {
    for (let i = 0; i < text.length; i++) h[offset + i] = text.charCodeAt(i);
  };
  put(path, 0);
  put(octal(0o644, 8), 100); // mode
  put(octal(0, 8), 108); // uid
  put(octal(0, 8), 116); // gid
  put(octal(entry.size, 12), 124);
  put(octal(Math.max(0, Math.floor(entry.mtimeMs / 1000)), 12), 136);
  put('        ', 148); // checksum, counted as spaces
  put('0', 156); // a regular file
  put('ustar\0', 257);
  put('00', 263);
  put('prx-voice', 265); // uname
  put('prx-voice', 297); // gname
  let sum = 0;
  for (const byte of h) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/**
 * The archive of `entries`, as a stream of chunks.
 *
 * @example
 * await store.put(key, tarStream(entries()), { contentType: 'application/x-tar' });
 */
export async function* tarStream(entries: AsyncIterable<TarEntry>): AsyncIterable<Uint8Array> {
  for await (const entry of entries) {
    yield tarHeader(entry);
    let written = 0;
    const chunks = entry.body instanceof Uint8Array ? [entry.body] : entry.body;
    for await (const chunk of chunks) {
      written += chunk.byteLength;
      if (written > entry.size) break;
      yield chunk;
    }
    if (written !== entry.size) {
      throw new VoiceError('INTERNAL', {
        message: `Archive entry "${entry.path}" declared ${String(entry.size)} bytes and had ${written > entry.size ? 'more' : String(written)}.`,
      });
    }
    const pad = (BLOCK - (entry.size % BLOCK)) % BLOCK;
    if (pad > 0) yield ZEROS.subarray(0, pad);
  }
  yield ZEROS;
}
