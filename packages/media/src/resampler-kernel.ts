/**
 * Runs the resampler's polyphase FIR in WebAssembly SIMD (about five times the
 * speed of the same loop in JavaScript). One module instance and one memory are
 * shared by every resampler: coefficient tables are copied in once per filter,
 * and each call copies the caller's history into a scratch region and the
 * results back out, so no resampler owns wasm memory and none can leak it.
 */
import type { PolyphaseFilter } from './resampler-filter.js';
import { RESAMPLER_KERNEL_BASE64 } from './resampler-kernel-wasm.js';

/** The subset of the WebAssembly JS API used here (the Node typings lack it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (
    module: object,
    imports: object,
  ) => { readonly exports: Record<string, unknown> };
  readonly Memory: new (descriptor: { initial: number }) => WasmMemory;
}
type RunExport = (
  coef: number,
  stride: number,
  hist: number,
  start: number,
  phase: number,
  up: number,
  stepWhole: number,
  stepPhase: number,
  count: number,
  out: number,
) => void;

const PAGE = 65536;
/** Floats the kernel may read past the last tap of a row (rows are padded to 8). */
const OVERREAD = 8;

/** A filter's coefficient table inside the kernel's memory. */
interface LoadedTable {
  /** Byte offset of the table. */
  readonly offset: number;
  /** Floats per phase row (taps rounded up to a multiple of 8). */
  readonly stride: number;
}

/** One call's inputs; resamplers keep one and refill it, so calls do not allocate. */
export interface KernelJob {
  /** The filter whose coefficients to use. */
  filter: PolyphaseFilter;
  /** Input history (float32 copies of the PCM16 samples). */
  history: Float32Array;
  /** Valid samples at the start of `history`. */
  historyLength: number;
  /** History index of the first output's first tap. */
  start: number;
  /** Phase of the first output. */
  phase: number;
  /** Outputs to compute. */
  count: number;
  /** Where the outputs go. */
  output: Int16Array;
  /** Index in `output` of the first output. */
  outputAt: number;
}

class KernelHost {
  private readonly memory: WasmMemory;
  private readonly run: RunExport;
  private readonly tables = new Map<PolyphaseFilter, LoadedTable>();
  private top = 0;
  private floats: Float32Array;
  private ints: Int16Array;
  private historyOffset = 0;
  private historyCapacity = 0;
  private outputOffset = 0;
  private outputCapacity = 0;

  constructor() {
    const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    this.memory = new api.Memory({ initial: 1 });
    const module = new api.Module(Buffer.from(RESAMPLER_KERNEL_BASE64, 'base64'));
    const instance = new api.Instance(module, { env: { memory: this.memory } });
    this.run = instance.exports.run as RunExport;
    this.floats = new Float32Array(this.memory.buffer);
    this.ints = new Int16Array(this.memory.buffer);
  }

  /** Reserves `bytes` (16-byte aligned), growing the memory when needed. */
  private allocate(bytes: number): number {
    const offset = this.top;
    this.top += Math.ceil(bytes / 16) * 16;
    if (this.top > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((this.top - this.memory.buffer.byteLength) / PAGE));
      this.floats = new Float32Array(this.memory.buffer);
      this.ints = new Int16Array(this.memory.buffer);
    }
    return offset;
  }

  private table(filter: PolyphaseFilter): LoadedTable {
    let table = this.tables.get(filter);
    if (table === undefined) {
      const stride = Math.ceil(filter.taps / 8) * 8;
      const offset = this.allocate(filter.up * stride * 4);
      const base = offset / 4;
      for (let p = 0; p < filter.up; p++) {
        const row = base + p * stride;
        for (let i = 0; i < filter.taps; i++)
          this.floats[row + i] = filter.coefficients[p * filter.taps + i] as number;
        this.floats.fill(0, row + filter.taps, row + stride);
      }
      table = { offset, stride };
      this.tables.set(filter, table);
    }
    return table;
  }

  execute(job: KernelJob): void {
    const table = this.table(job.filter);
    const historyNeeded = job.historyLength + OVERREAD;
    if (historyNeeded > this.historyCapacity) {
      this.historyCapacity = Math.max(historyNeeded, 2 * this.historyCapacity);
      this.historyOffset = this.allocate(this.historyCapacity * 4);
    }
    if (job.count > this.outputCapacity) {
      this.outputCapacity = Math.max(job.count, 2 * this.outputCapacity);
      this.outputOffset = this.allocate(this.outputCapacity * 2);
    }
    // Copy the history in; zero what the padded rows may read beyond it.
    const floats = this.floats;
    const history = job.history;
    const h = this.historyOffset / 4;
    const n = job.historyLength;
    for (let i = 0; i < n; i++) floats[h + i] = history[i] as number;
    floats.fill(0, h + n, h + n + OVERREAD);

    const { filter } = job;
    const stepWhole = Math.floor(filter.down / filter.up);
    this.run(
      table.offset,
      table.stride,
      this.historyOffset,
      job.start,
      job.phase,
      filter.up,
      stepWhole,
      filter.down - stepWhole * filter.up,
      job.count,
      this.outputOffset,
    );
    const ints = this.ints;
    const o = this.outputOffset / 2;
    const output = job.output;
    const at = job.outputAt;
    for (let i = 0; i < job.count; i++) output[at + i] = ints[o + i] as number;
  }
}

let host: KernelHost | undefined;

/** Computes `job.count` outputs of a polyphase filter into `job.output`. */
export function runKernel(job: KernelJob): void {
  host ??= new KernelHost();
  host.execute(job);
}
