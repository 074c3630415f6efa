// `node bench/image/memory.mjs IMPL JOB [INPUTS]`: one job in a fresh process with a fresh Wasm
// instance. Prints one JSON object: `{"memory_bytes": N | null, "ms": T}` — the instance's
// linear memory size after the job (Wasm memory never shrinks, so this is the job's peak,
// input copy included; null when the implementation's memory cannot be reached) and the job's
// wall time — or `{"failed": reason}`. Used by bench/image/node.mjs.

import { JOBS } from './harness.mjs';
import { load } from './node-load.mjs';
import { jobInput } from './node.mjs';

const [impl, job, inputs = 'target/bench-image'] = process.argv.slice(2);
if (!impl || !JOBS[job]) {
  process.stderr.write(`usage: node bench/image/memory.mjs IMPL JOB [INPUTS]; jobs: ${Object.keys(JOBS).join(', ')}\n`);
  process.exit(2);
}
let result;
try {
  // The package hides its instance; the same module through its wasm-bindgen exports shows it.
  const adapter = await load(impl === 'nearnative' ? 'nearnative-glue' : impl);
  const input = jobInput(job, inputs);
  if (typeof adapter.jobs[job] !== 'function') throw new Error(adapter.jobs[job]);
  const start = performance.now();
  const out = await adapter.jobs[job](input);
  const ms = performance.now() - start;
  const [w, h] = JOBS[job].out;
  if (out.width !== w || Math.abs(out.height - h) > 1) throw new Error(`output is ${out.width}x${out.height}, expected ${w}x${h}`);
  result = { memory_bytes: adapter.memory(job), ms };
} catch (err) {
  result = { failed: String(err?.message ?? err).split('\n')[0].slice(0, 200) };
}
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
