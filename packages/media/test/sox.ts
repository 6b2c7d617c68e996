/**
 * Runs the `sox` command line tool as an independent oracle for tests. CI
 * installs sox through apt, so when `CI` is set a missing sox is an error;
 * elsewhere the caller may skip.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether `sox` can be run on this machine. */
export function soxAvailable(): boolean {
  const result = spawnSync('sox', ['--version'], { encoding: 'utf8' });
  return result.status === 0;
}

/** Whether tests run in CI, where every oracle must be present. */
export function inCi(): boolean {
  const value = process.env.CI;
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}

/**
 * Converts raw bytes with sox: `inputArgs` describe the input file, `outputArgs`
 * the output file. Dither is disabled (`-D`): without it sox adds random TPDF
 * dither when it reduces 16-bit audio to 14/13-bit G.711, and its output varies.
 */
export function soxConvert(
  input: Uint8Array,
  inputArgs: readonly string[],
  outputArgs: readonly string[],
): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'prx-media-sox-'));
  try {
    const inFile = join(dir, 'in.raw');
    const outFile = join(dir, 'out.raw');
    writeFileSync(inFile, input);
    const result = spawnSync('sox', ['-V1', '-D', ...inputArgs, inFile, ...outputArgs, outFile], {
      encoding: 'utf8',
    });
    if (result.status !== 0) {
      throw new Error(`sox failed (${String(result.status)}): ${result.stderr}`);
    }
    return readFileSync(outFile);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
