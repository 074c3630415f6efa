// The timing loop shared by the Node and the Chromium hash benches (bench/native does the same
// in Rust). Plain ES module, no imports: it runs unchanged in Node and in the page.
//
// Methodology (bench/README.md): deterministic inputs `(i * 31 + 7) & 255` of 32 B, 1 KiB,
// 1 MiB and 64 MiB, plus `64MiB-stream` (64 MiB fed to a streaming hasher in 1 MiB chunks).
// For each (kernel, input) every implementation is calibrated (the batch doubles until one
// batch lasts the sample time) and warmed up, then the samples are taken round-robin across
// the implementations, so a burst of load from elsewhere on the machine hits all of them
// alike. A row reports the median time of ONE operation.

export const KERNELS = [
  'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'sha3-256', 'sha3-512', 'blake2b-512', 'blake2s-256',
  'blake3', 'xxh64', 'xxh3-64', 'xxh3-128', 'crc32', 'crc32c',
];

const MIB = 1 << 20;
export const BIG = 64 * MIB;
export const CHUNK = MIB;
export const STREAM = '64MiB-stream';
export const INPUTS = [['32B', 32], ['1KiB', 1024], ['1MiB', MIB], ['64MiB', BIG]];

/** The same bytes on every host: byte i is (i * 31 + 7) mod 256. */
export function makeInput(length) {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + 7) & 255;
  return bytes;
}

/**
 * `runs` samples of at least `sampleMs` each. A 64 MiB operation is a whole sample by itself,
 * and @noble/hashes needs seconds for one, so 64 MiB inputs get `bigRuns` samples of one
 * operation. `--quick` takes the streaming row of the `nearnative` impl only (`allStreams: false`).
 */
export function config(quick) {
  return quick
    ? { runs: 5, bigRuns: 1, sampleMs: 4, warmupMs: 5, tierUpMs: 30, bigWarmup: false, allStreams: false }
    : { runs: 15, bigRuns: 5, sampleMs: 10, warmupMs: 50, tierUpMs: 150, bigWarmup: true, allStreams: true };
}

export function toHex(bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = '';
  for (let i = 0; i < view.length; i++) out += view[i].toString(16).padStart(2, '0');
  return out;
}

// Every result feeds this, so no engine can drop a call whose output is unused.
let sink = 0;
export function sinkValue() {
  return sink;
}

function lastByte(out) {
  return out instanceof Uint8Array ? out[out.length - 1] : out.byteLength;
}

function batchSync(fn, data, iters) {
  const start = performance.now();
  for (let i = 0; i < iters; i++) sink ^= lastByte(fn(data));
  return performance.now() - start;
}

async function batchAsync(fn, data, iters) {
  const start = performance.now();
  for (let i = 0; i < iters; i++) sink ^= lastByte(await fn(data));
  return performance.now() - start;
}

const batch = (entry, data, iters) => (entry.async ? batchAsync(entry.fn, data, iters) : batchSync(entry.fn, data, iters));

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// Lets the page paint / the event loop breathe between groups; never inside a timed batch.
const breathe = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Times one (kernel, input) for every entry `{ impl, fn, async }` and returns the rows.
 * `fn(data)` returns the digest (Uint8Array or ArrayBuffer), or a Promise of it when `async`.
 */
export async function measureGroup({ host, kernel, input, data, entries, cfg }) {
  const big = data.length >= BIG;
  const runs = big ? cfg.bigRuns : cfg.runs;
  const plans = [];
  for (const entry of entries) {
    // One 64 MiB operation lasts longer than a sample on every host (>= 12 ms at 5 GB/s).
    let iters = 1;
    while (!big) {
      const elapsed = await batch(entry, data, iters);
      if (elapsed >= cfg.sampleMs) break;
      const wanted = (cfg.sampleMs * 1.2) / Math.max(elapsed, 0.001);
      iters = Math.ceil(iters * Math.min(Math.max(wanted, 2), 100));
    }
    if (big) {
      if (cfg.bigWarmup) await batch(entry, data, iters);
    } else {
      const start = performance.now();
      while (performance.now() - start < cfg.warmupMs) await batch(entry, data, iters);
    }
    plans.push({ entry, iters, samples: [] });
  }
  for (let r = 0; r < runs; r++) {
    for (const plan of plans) plan.samples.push((await batch(plan.entry, data, plan.iters)) / plan.iters);
    if (big) await breathe();
  }
  await breathe();
  return plans.map(({ entry, samples }) => {
    const ms = median(samples);
    return {
      kernel, input, host, impl: entry.impl, median_ms: ms, throughput: round3(data.length / (ms / 1e3) / 1e6),
      unit: 'MB/s', runs,
    };
  });
}

function round3(x) {
  return Math.round(x * 1000) / 1000;
}

/**
 * Checks that every implementation agrees with the reference (the first one) before anything
 * is timed: a misconfigured peer (wrong seed, polynomial or byte order) must not be timed.
 */
export async function verify(kernel, impls) {
  const data = makeInput(5000);
  const want = toHex(await impls[0].oneShot(data));
  for (const impl of impls) {
    const got = toHex(await impl.oneShot(data));
    if (got !== want) throw new Error(`${impl.impl} ${kernel}: digest ${got} differs from ${impls[0].impl}'s ${want}`);
    if (impl.stream) {
      const streamed = toHex(await impl.stream(data, 1024));
      if (streamed !== want) throw new Error(`${impl.impl} ${kernel}: streamed digest ${streamed} differs from ${want}`);
    }
  }
}

/**
 * Runs the whole hash domain on one host. `implsFor(kernel)` returns a list of
 * `{ impl, oneShot(data), stream?(data, chunk), async? }`, reference first (nearnative).
 * `onRow(row)` receives each row as soon as it is measured.
 */
export async function runHost({ host, implsFor, quick = false, kernels = KERNELS, onRow, onProgress = () => {} }) {
  const cfg = config(quick);
  const input = makeInput(BIG);
  const small = makeInput(32);
  const medium = makeInput(1024);
  const rows = [];
  const emit = (list) => {
    for (const row of list) {
      rows.push(row);
      onRow?.(row);
    }
  };
  for (const kernel of kernels) {
    const kernelStart = performance.now();
    const impls = await implsFor(kernel);
    await verify(kernel, impls);
    // JIT tiers (V8's optimizing compilers for JS and Wasm) kick in after tens of ms of calls and
    // compile on a background thread, which is slow to come when other builds share the cores;
    // until then a 32 B sample would time the interpreter. So each implementation first runs
    // this kernel on small inputs for `tierUpMs`.
    for (const impl of impls) {
      const start = performance.now();
      while (performance.now() - start < cfg.tierUpMs) {
        await batch({ fn: impl.oneShot, async: !!impl.async }, small, 50);
        await batch({ fn: impl.oneShot, async: !!impl.async }, medium, 5);
      }
    }
    for (const [label, length] of INPUTS) {
      const data = length === BIG ? input : makeInput(length);
      const entries = impls.map((i) => ({ impl: i.impl, fn: i.oneShot, async: !!i.async }));
      emit(await measureGroup({ host, kernel, input: label, data, entries, cfg }));
    }
    const streaming = impls.filter((i) => i.stream && (cfg.allStreams || i.impl === 'nearnative'));
    if (streaming.length) {
      const entries = streaming.map((i) => ({ impl: i.impl, fn: (d) => i.stream(d, CHUNK), async: !!i.async }));
      emit(await measureGroup({ host, kernel, input: STREAM, data: input, entries, cfg }));
    }
    onProgress(`[${host}] ${kernel} done in ${((performance.now() - kernelStart) / 1e3).toFixed(1)} s`);
  }
  return rows;
}
