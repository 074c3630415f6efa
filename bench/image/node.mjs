// Host "node": `node bench/image/node.mjs [--quick] [--job NAME]... [--impl NAME]... [--inputs DIR]`
// prints one JSON row per (job, implementation) on stdout (DESIGN.md "Benchmark results
// format"; failures as `{"failed": reason}`), progress on stderr. Timing runs in this process;
// each Wasm implementation's peak memory is then measured per job in a fresh process
// (bench/image/memory.mjs) and added to its row as `memory_bytes` (null: not reachable).

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { JOBS, config, jpegName, measureJob, photo } from './harness.mjs';
import { entriesFor } from './impls.mjs';
import { NODE_IMPLS, load } from './node-load.mjs';

const run = promisify(execFile);
const MEMORY = fileURLToPath(new URL('./memory.mjs', import.meta.url));

function parseArgs(argv) {
  const options = { quick: false, jobs: [], impls: [], inputs: 'target/bench-image', memory: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') options.quick = true;
    else if (a === '--job') options.jobs.push(argv[++i]);
    else if (a === '--impl') options.impls.push(argv[++i]);
    else if (a === '--inputs') options.inputs = argv[++i];
    else if (a === '--no-memory') options.memory = false;
    else throw new Error(`unknown argument '${a}'; usage: node bench/image/node.mjs [--quick] [--job NAME]... [--impl NAME]... [--inputs DIR] [--no-memory]`);
  }
  for (const j of options.jobs) if (!JOBS[j]) throw new Error(`unknown job '${j}'; choose from ${Object.keys(JOBS).join(', ')}`);
  for (const m of options.impls) if (!NODE_IMPLS.includes(m)) throw new Error(`unknown impl '${m}'; choose from ${NODE_IMPLS.join(', ')}`);
  if (!options.jobs.length) options.jobs = Object.keys(JOBS);
  if (!options.impls.length) options.impls = NODE_IMPLS;
  return options;
}

export function jobInput(job, inputs) {
  const spec = JOBS[job];
  return spec.jpeg ? new Uint8Array(readFileSync(join(inputs, jpegName(job)))) : photo(spec.width, spec.height);
}

/** `impl` on `job` in a fresh Node process: `{ memory_bytes, ms }` or `{ failed }` (memory.mjs). */
async function fresh(impl, job, inputs) {
  try {
    const { stdout } = await run(process.execPath, [MEMORY, impl, job, inputs], { maxBuffer: 1 << 20, timeout: 900_000 });
    return JSON.parse(stdout.trim().split('\n').pop());
  } catch (err) {
    return { failed: `the fresh process failed: ${String(err.stderr || err.message).trim().split('\n').pop().slice(0, 200)}` };
  }
}

/** --quick: fewer peers (the slowest pure-JS ones and wasm-vips are left to the full run). */
const QUICK_IMPLS = ['nearnative', 'nearnative (frame)', '@silvia-odwyer/photon-node', 'pica (wasm)', '@jsquash', 'sharp'];

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const cfg = config(options.quick);
  const progress = (line) => process.stderr.write(`${line}\n`);
  const names = options.quick && options.impls === NODE_IMPLS ? QUICK_IMPLS : options.impls;
  const adapters = [];
  const loadFailures = {};
  for (const name of names) {
    try {
      adapters.push(await load(name));
    } catch (err) {
      loadFailures[name] = `cannot load: ${String(err.message ?? err).split('\n')[0]}`;
      progress(`[node] ${name}: ${loadFailures[name]}`);
    }
  }
  const emit = (row) => process.stdout.write(`${JSON.stringify(row)}\n`);
  for (const job of options.jobs) {
    const spec = JOBS[job];
    if (spec.memory) {
      // The memory-target jobs: one run each, in a fresh process, timed there.
      for (const adapter of adapters) {
        const row = { kernel: job, input: spec.input, host: 'node', impl: adapter.impl };
        // --quick: the peers take 30+ s each on 100 MP; the full run measures them.
        if (options.quick && job === 'jpeg-to-webp-100mp' && adapter.impl !== 'nearnative') continue;
        if (adapter.jobs[job] === null) continue;
        if (typeof adapter.jobs[job] !== 'function') {
          emit({ ...row, failed: adapter.jobs[job] });
          continue;
        }
        const got = await fresh(adapter.impl, job, options.inputs);
        if (got.failed) emit({ ...row, failed: got.failed });
        else {
          const ms = Math.round(got.ms * 1000) / 1000;
          const mp = (spec.width * spec.height) / 1e6;
          emit({ ...row, median_ms: ms, throughput: Math.round((mp / (ms / 1e3)) * 1000) / 1000, unit: 'MP/s', runs: 1,
            ...(adapter.wasm ? { memory_bytes: got.memory_bytes } : {}) });
        }
        progress(`[node] ${job} ${adapter.impl}: ${JSON.stringify(got)}`);
      }
      continue;
    }
    const input = jobInput(job, options.inputs);
    const entries = entriesFor(adapters, job);
    for (const [impl, reason] of Object.entries(loadFailures)) entries.push({ impl, unsupported: reason });
    const rows = await measureJob({ host: 'node', job, input, entries, cfg, onProgress: progress });
    for (const row of rows) {
      const adapter = adapters.find((a) => a.impl === row.impl);
      if (adapter?.wasm && !row.failed) {
        // Peak memory: the same job again in a fresh process, unless the memory is unreachable anyway.
        if (options.memory && adapter.measurable) {
          const got = await fresh(row.impl, job, options.inputs);
          row.memory_bytes = got.failed ? null : got.memory_bytes;
          if (got.failed) row.memory_note = got.failed;
        } else {
          row.memory_bytes = null;
        }
      }
      emit(row);
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`bench/image/node.mjs: ${err.stack ?? err}\n`);
    process.exit(1);
  });
}
