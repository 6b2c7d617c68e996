/**
 * The code of one Silero pool worker and the messages it exchanges with the
 * pool (`silero-pool.ts`). The worker holds the LSTM state of each of its
 * streams ("lanes") and a queue of their windows; each run of the model takes
 * the oldest window of every lane that has one (per sample rate, as `sr` is one
 * scalar per run) as one batch: states are gathered into the [2, batch, 64]
 * `h`/`c` tensors and scattered back from `hn`/`cn`, all in buffers that are
 * allocated once and grown by doubling. While a run is going, new windows
 * queue, so the batch grows with the load.
 */

/** Messages from the pool to a worker. */
export type ToWorker =
  | { readonly type: 'open'; readonly lane: number; readonly rate: 8000 | 16000 }
  | {
      readonly type: 'windows';
      /** Lane of each window, in order; a lane's windows are in its stream's order. */
      readonly lanes: Int32Array;
      /** The windows back to back, each as long as its lane's window (256 or 512 samples). */
      readonly samples: Float32Array;
    }
  | { readonly type: 'close'; readonly lane: number };

/** Messages from a worker to the pool. */
export type FromWorker =
  | { readonly type: 'loaded' }
  | { readonly type: 'load_failed'; readonly message: string }
  | {
      readonly type: 'scores';
      /** Lane of each window scored in one run of the model. */
      readonly lanes: Int32Array;
      readonly probabilities: Float32Array;
      /** Time inside `session.run` for the whole batch, ms. */
      readonly inferenceMs: number;
    }
  | { readonly type: 'failed'; readonly lanes: Int32Array; readonly message: string };

/**
 * The worker's code, CommonJS evaluated as a string so that it runs the same
 * from `src/` (TypeScript under a test runner) and from `dist/`. `workerData`
 * holds `ortPath`, `modelPath` and `sessionOptions`.
 */
export const POOL_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const MAX_WINDOW = 512;
const text = (e) => (e instanceof Error ? e.message : String(e));

// Lanes: id -> { id, rate, size, state (h[2][64] then c[2][64]), ring, head, count, slots, dead }.
const lanes = new Map();
const active = [];
const rateTensors = new Map([
  [8000, new ort.Tensor('int64', BigInt64Array.of(8000n), [])],
  [16000, new ort.Tensor('int64', BigInt64Array.of(16000n), [])],
]);

// Batch buffers, grown by doubling.
let capacity = 0;
let input, h, c, out, hn, cn, batch;
function ensure(n) {
  if (n <= capacity) return;
  capacity = Math.max(16, capacity);
  while (capacity < n) capacity *= 2;
  input = new Float32Array(capacity * MAX_WINDOW);
  h = new Float32Array(capacity * 128);
  c = new Float32Array(capacity * 128);
  out = new Float32Array(capacity);
  hn = new Float32Array(capacity * 128);
  cn = new Float32Array(capacity * 128);
  batch = new Array(capacity);
}

function enqueue(lane, samples, at) {
  if (lane.count === lane.slots) {
    const ring = new Float32Array(lane.slots * 2 * lane.size);
    for (let i = 0; i < lane.count; i++) {
      const from = ((lane.head + i) % lane.slots) * lane.size;
      ring.set(lane.ring.subarray(from, from + lane.size), i * lane.size);
    }
    lane.ring = ring;
    lane.head = 0;
    lane.slots *= 2;
  }
  const to = ((lane.head + lane.count) % lane.slots) * lane.size;
  const ring = lane.ring;
  for (let i = 0; i < lane.size; i++) ring[to + i] = samples[at + i];
  lane.count++;
}

const session = ort.InferenceSession.create(workerData.modelPath, workerData.sessionOptions);
session.then(
  () => parentPort.postMessage({ type: 'loaded' }),
  (e) => parentPort.postMessage({ type: 'load_failed', message: text(e) }));
let running = false;

parentPort.on('message', (m) => {
  if (m.type === 'open') {
    const size = m.rate === 8000 ? 256 : 512;
    const lane = { id: m.lane, rate: m.rate, size, state: new Float32Array(256),
      ring: new Float32Array(4 * size), head: 0, count: 0, slots: 4 };
    lanes.set(m.lane, lane);
    active.push(lane);
    return;
  }
  if (m.type === 'close') {
    const lane = lanes.get(m.lane);
    if (lane === undefined) return;
    lanes.delete(m.lane);
    if (!lane.dead) active.splice(active.indexOf(lane), 1);
    return;
  }
  let at = 0;
  for (let i = 0; i < m.lanes.length; i++) {
    const lane = lanes.get(m.lanes[i]);
    if (lane === undefined) throw new Error('windows for an unknown lane ' + m.lanes[i]);
    if (!lane.dead) enqueue(lane, m.samples, at);
    at += lane.size;
  }
  if (!running) {
    running = true;
    // A model that did not load was reported as load_failed; the pool ends this worker.
    drain().catch(() => undefined).finally(() => { running = false; });
  }
});

async function drain() {
  const s = await session;
  for (;;) {
    const wide = await runBatch(s, 16000);
    const narrow = await runBatch(s, 8000);
    if (wide === 0 && narrow === 0) return;
  }
}

/** One run over the oldest window of every lane at this rate that has one; returns the batch size. */
async function runBatch(s, rate) {
  let n = 0;
  for (let i = 0; i < active.length; i++) {
    const lane = active[i];
    if (lane.rate === rate && lane.count > 0) n++;
  }
  if (n === 0) return 0;
  ensure(n);
  const size = rate === 8000 ? 256 : 512;
  let b = 0;
  for (let i = 0; i < active.length; i++) {
    const lane = active[i];
    if (lane.rate !== rate || lane.count === 0) continue;
    batch[b] = lane;
    const from = lane.head * size;
    const ring = lane.ring;
    const to = b * size;
    for (let k = 0; k < size; k++) input[to + k] = ring[from + k];
    lane.head = (lane.head + 1) % lane.slots;
    lane.count--;
    const st = lane.state;
    const first = b * 64;
    const second = (n + b) * 64;
    for (let k = 0; k < 64; k++) {
      h[first + k] = st[k];
      h[second + k] = st[64 + k];
      c[first + k] = st[128 + k];
      c[second + k] = st[192 + k];
    }
    b++;
  }
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = batch[i].id;
  const started = performance.now();
  try {
    await s.run(
      {
        input: new ort.Tensor('float32', input.subarray(0, n * size), [n, size]),
        sr: rateTensors.get(rate),
        h: new ort.Tensor('float32', h.subarray(0, n * 128), [2, n, 64]),
        c: new ort.Tensor('float32', c.subarray(0, n * 128), [2, n, 64]),
      },
      {
        output: new ort.Tensor('float32', out.subarray(0, n), [n, 1]),
        hn: new ort.Tensor('float32', hn.subarray(0, n * 128), [2, n, 64]),
        cn: new ort.Tensor('float32', cn.subarray(0, n * 128), [2, n, 64]),
      });
  } catch (e) {
    // The lanes' states are lost with the run: they fail (their windows still in
    // flight are skipped until the pool closes them), the others go on.
    for (let i = 0; i < n; i++) {
      const lane = batch[i];
      if (!lane.dead && lanes.get(lane.id) === lane) {
        lane.dead = true;
        active.splice(active.indexOf(lane), 1);
      }
      batch[i] = undefined;
    }
    parentPort.postMessage({ type: 'failed', lanes: ids, message: text(e) }, [ids.buffer]);
    return n;
  }
  const inferenceMs = performance.now() - started;
  const probabilities = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const st = batch[i].state;
    const first = i * 64;
    const second = (n + i) * 64;
    for (let k = 0; k < 64; k++) {
      st[k] = hn[first + k];
      st[64 + k] = hn[second + k];
      st[128 + k] = cn[first + k];
      st[192 + k] = cn[second + k];
    }
    probabilities[i] = out[i];
    batch[i] = undefined;
  }
  parentPort.postMessage(
    { type: 'scores', lanes: ids, probabilities, inferenceMs },
    [ids.buffer, probabilities.buffer]);
  return n;
}
`;
