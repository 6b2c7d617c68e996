/**
 * The two programs the turn-taking bench's corpus is made with: espeak-ng says
 * a text, sox resamples it to 16 kHz mono PCM16 and normalises its peak, or
 * synthesises a sound. Outputs are raw little-endian PCM16 files read back.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Sample rate of every clip (the session WebSocket's default input). */
export const CLIP_RATE = 16_000;

/** Why the corpus cannot be made here (a tool missing), or undefined when it can. */
export async function corpusToolsMissing(): Promise<string | undefined> {
  for (const [tool, args] of [
    ['espeak-ng', ['--version']],
    ['sox', ['--version']],
  ] as const) {
    try {
      await run(tool, [...args]);
    } catch (err) {
      return `${tool} is not available (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
    }
  }
  return undefined;
}

const RAW_OUT = ['-t', 'raw', '-e', 'signed-integer', '-b', '16', '-L', '-c', '1', '-D'];

async function readPcm(path: string): Promise<Int16Array> {
  const buf = await readFile(path);
  return new Int16Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
}

/** `text` said by espeak-ng (files in `dir`), as 16 kHz PCM16 normalised to each peak level (dBFS), by level. */
export async function speak(opts: {
  readonly dir: string;
  readonly name: string;
  readonly text: string;
  readonly voice: string;
  readonly rate: number;
  readonly peaks: readonly number[];
}): Promise<Map<number, Int16Array>> {
  const wav = join(opts.dir, `${opts.name}.wav`);
  await run('espeak-ng', ['-v', opts.voice, '-s', String(opts.rate), '-w', wav, opts.text]);
  const out = new Map<number, Int16Array>();
  for (const peak of opts.peaks) {
    const raw = join(opts.dir, `${opts.name}${peak}.raw`);
    await run('sox', [wav, ...RAW_OUT, raw, 'rate', '16k', 'gain', '-n', String(peak)]);
    out.set(peak, await readPcm(raw));
  }
  return out;
}

/** A sox-synthesised sound (`sox -n` with `recipe`), normalised to `peak` dBFS. */
export async function synthesize(
  dir: string,
  name: string,
  recipe: { readonly channels?: number; readonly effects: readonly string[] },
  peak: number,
): Promise<Int16Array> {
  const raw = join(dir, `${name}.raw`);
  const source = ['-r', String(CLIP_RATE), '-c', String(recipe.channels ?? 1), '-n'];
  await run('sox', [...source, ...RAW_OUT, raw, ...recipe.effects, 'gain', '-n', String(peak)]);
  return readPcm(raw);
}
