/**
 * Regenerates src/resampler-kernel-wasm.ts from src/resampler-kernel.wat:
 * `pnpm --filter @prx-voice/media kernel`.
 */
import { writeFileSync } from 'node:fs';
import { assembleKernel, KERNEL_MODULE_URL, kernelModuleSource } from '../test/kernel-assembly.js';

const bytes = await assembleKernel();
writeFileSync(KERNEL_MODULE_URL, kernelModuleSource(bytes));
console.log(`wrote ${KERNEL_MODULE_URL.pathname} (${bytes.length} bytes of WebAssembly)`);
