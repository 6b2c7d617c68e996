/**
 * Assembles the resampler's WebAssembly kernel from its text source with wabt
 * (a dev dependency), for the generator script and the drift test.
 */
import { readFileSync } from 'node:fs';
import wabt from 'wabt';

/** Path of the kernel's text source. */
export const KERNEL_WAT_URL = new URL('../src/resampler-kernel.wat', import.meta.url);

/** Path of the generated module embedding the kernel's bytes. */
export const KERNEL_MODULE_URL = new URL('../src/resampler-kernel-wasm.ts', import.meta.url);

/** The kernel's binary, assembled from `src/resampler-kernel.wat`. */
export async function assembleKernel(): Promise<Uint8Array> {
  const tools = await wabt();
  const module = tools.parseWat('resampler-kernel.wat', readFileSync(KERNEL_WAT_URL, 'utf8'), {
    simd: true,
    sat_float_to_int: true,
  });
  try {
    module.validate();
    return Uint8Array.from(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

/** The source text of the generated module for a kernel binary. */
export function kernelModuleSource(bytes: Uint8Array): string {
  const base64 = Buffer.from(bytes).toString('base64');
  const lines = base64.match(/.{1,96}/g) ?? [];
  return [
    '// Generated from resampler-kernel.wat by `pnpm --filter @prx-voice/media kernel` — do not edit.',
    '',
    '/** The resampler kernel (WebAssembly binary), base64-encoded. */',
    'export const RESAMPLER_KERNEL_BASE64 =',
    lines.map((line) => `  '${line}'`).join(' +\n') + ';',
    '',
  ].join('\n');
}
