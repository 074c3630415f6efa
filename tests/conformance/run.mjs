#!/usr/bin/env node
// The cross-host conformance matrix: one set of vectors (tests/vectors/*.json), every host.
// Each host produces one canonical output line per case (see crates/vectors canonical_output);
// a cell passes when every line equals the reference host's (the kernels compiled natively),
// and the reference itself must pass every vector. Prints host × set and exits 1 on any
// difference, missing host or failed vector.
//
//   node tests/conformance/run.mjs [--only HOST,HOST]
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runVectorFile } from './vectors-js.mjs';
import { exec } from '../support/exec.mjs';
import { runWasi } from '../../js/wasi/run.mjs';
import { createWasmerRunner } from '../../js/wasi/wasmer.mjs';
import { httpApi } from './http-api.mjs';
import { startHost } from '../support/edge-hosts.mjs';
import { runImageConformance } from './image.mjs';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const VECTORS = join(ROOT, 'tests/vectors');
const NATIVE_CLI = join(ROOT, 'target/release/nearnative');
const NATIVE_KERNELS = join(ROOT, 'target/release/nearnative-conformance');
const WASI_CLI = join(ROOT, 'dist/wasi/nearnative.wasm');
const WASI_KERNELS = join(ROOT, 'target/wasi-simd/wasm32-wasip1/release/nearnative-conformance.wasm');
const COMPONENT = join(ROOT, 'dist/component/nearnative.wasm');
const COMPONENT_EMBEDDER = join(ROOT, 'target/release/nearnative-component-conformance');

const files = (await readdir(VECTORS)).filter((f) => f.endsWith('.json')).sort();
const docs = await Promise.all(files.map(async (f) => JSON.parse(await readFile(join(VECTORS, f), 'utf8'))));
const sets = docs.map((d) => d.set);

// ---------- helpers ----------


/** Parses `SET\tID\tVERDICT\tOUTPUT` lines of the kernel test program. */
function parseKernelLines(text) {
  const results = new Map();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [set, id, verdict, output] = line.split('\t');
    if (!results.has(set)) results.set(set, new Map());
    results.get(set).set(id, { verdict, output });
  }
  return results;
}

const sha256Hex = (bytes) => createHash('sha256').update(bytes).digest('hex');
const errorCode = (stderr) => /error\[([a-z_]+)\]/.exec(stderr.toString())?.[1] ?? 'unknown';

// ---------- host drivers: each returns Map(set -> Map(id -> output)) ----------

async function kernelsNative() {
  const r = await exec(NATIVE_KERNELS, files.map((f) => join(VECTORS, f)));
  if (r.code === 2 || r.signal) throw new Error(`native test program failed: ${r.stderr}`);
  return parseKernelLines(r.stdout.toString());
}

async function kernelsWasmtime() {
  const r = await exec('wasmtime', ['run', '--dir', '.', WASI_KERNELS, ...files], { cwd: VECTORS });
  if (r.code === 2 || r.signal) throw new Error(`wasmtime: ${r.stderr}`);
  return parseKernelLines(r.stdout.toString());
}

/** Runs a WASI module in this process under node:wasi, capturing stdout/stderr via files. */
async function nodeWasi(module, args, { cwd, env = {} }) {
  const capture = await mkdtemp(join(tmpdir(), 'nn-wasi-'));
  const { openSync, closeSync } = await import('node:fs');
  const outPath = join(capture, 'out'), errPath = join(capture, 'err');
  const stdout = openSync(outPath, 'w'), stderr = openSync(errPath, 'w');
  let code;
  try {
    code = await runWasi(module, args, { cwd, env, stdin: openSync('/dev/null', 'r'), stdout, stderr });
  } finally {
    closeSync(stdout);
    closeSync(stderr);
  }
  const result = { code, stdout: await readFile(outPath), stderr: await readFile(errPath) };
  await rm(capture, { recursive: true, force: true });
  return result;
}

async function kernelsNodeWasi() {
  const module = await WebAssembly.compile(await readFile(WASI_KERNELS));
  const r = await nodeWasi(module, ['nearnative-conformance', ...files], { cwd: VECTORS });
  if (r.code === 2) throw new Error(`node:wasi: ${r.stderr}`);
  return parseKernelLines(r.stdout.toString());
}

async function kernelsWasmer() {
  const runner = await createWasmerRunner(await readFile(WASI_KERNELS));
  try {
    const inputs = {};
    for (const f of files) inputs[`/workspace/${f}`] = await readFile(join(VECTORS, f));
    const r = await runner.run(files.map((f) => `/workspace/${f}`), { files: inputs });
    if (r.exitCode === 2) throw new Error(`wasmer: ${Buffer.from(r.stderr)}`);
    return parseKernelLines(Buffer.from(r.stdout).toString());
  } finally {
    await runner.close();
  }
}

/**
 * The shipped CLI, through `hash` (digest sets) and `decrypt` (age sets). `run(args, {dir,
 * env, collect})` runs one command with `dir` as its working directory and returns
 * `{ code, stdout, stderr, files }`.
 */
async function cliHost(run) {
  const results = new Map();
  const work = await mkdtemp(join(tmpdir(), 'nn-cli-'));
  try {
    for (const doc of docs) {
      const outputs = new Map();
      const digests = doc.cases.filter((c) => c.op === 'digest');
      const ages = doc.cases.filter((c) => c.op === 'age_decrypt');
      if (!digests.length && !ages.length) continue;
      const byAlgorithm = new Map();
      digests.forEach((c, i) => {
        if (!byAlgorithm.has(c.algorithm)) byAlgorithm.set(c.algorithm, []);
        byAlgorithm.get(c.algorithm).push([`c${i}`, c]);
      });
      for (const [algorithm, cases] of byAlgorithm) {
        const dir = await mkdtemp(join(work, 'd'));
        const fileMap = {};
        for (const [name, c] of cases) {
          const bytes = c.input_hex !== undefined ? Buffer.from(c.input_hex, 'hex') : Buffer.from(Array.from({ length: c.input_len }, (_, i) => i % 251));
          await writeFile(join(dir, name), bytes);
          fileMap[name] = bytes;
        }
        const r = await run(['hash', '-a', algorithm, ...cases.map(([n]) => n)], { dir, fileMap });
        const lines = new Map(r.stdout.toString().trim().split('\n').map((l) => {
          const [hex, ...rest] = l.split('  ');
          return [rest.join('  ').split('/').pop(), hex];
        }));
        for (const [name, c] of cases) outputs.set(c.id, r.code === 0 ? lines.get(name) ?? 'missing' : `exit:${r.code}`);
      }
      for (const c of ages) {
        const dir = await mkdtemp(join(work, 'a'));
        const file = Buffer.from(c.file_base64, 'base64');
        const fileMap = { 'in.age': file };
        await writeFile(join(dir, 'in.age'), file);
        let args = ['decrypt', '-o', 'out.bin', 'in.age'];
        const env = {};
        if (c.passphrase != null) {
          env.NEARNATIVE_PASSPHRASE = c.passphrase;
        } else {
          const ids = c.identities.join('\n') + '\n';
          await writeFile(join(dir, 'id.txt'), ids);
          fileMap['id.txt'] = Buffer.from(ids);
          args = ['decrypt', '-i', 'id.txt', '-o', 'out.bin', 'in.age'];
        }
        const r = await run(args, { dir, env, fileMap, collect: ['out.bin'] });
        const out = r.files['out.bin'];
        if (r.code === 0) outputs.set(c.id, out ? `sha256:${sha256Hex(out)}` : 'missing-output');
        // A failed run must leave no output file behind (atomic writes).
        else outputs.set(c.id, `error:${errorCode(r.stderr)}${out ? '+partial-output' : ''}`);
      }
      results.set(doc.set, outputs);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return results;
}

async function readBack(dir, collect) {
  const files = {};
  for (const name of collect) files[name] = await readFile(join(dir, name)).catch(() => null);
  return files;
}

const cliNative = () => cliHost(async (args, { dir, env, collect = [] }) => {
  const r = await exec(NATIVE_CLI, args, { cwd: dir, env });
  return { ...r, files: await readBack(dir, collect) };
});

const cliWasmtime = () => cliHost(async (args, { dir, env = {}, collect = [] }) => {
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
  const r = await exec('wasmtime', ['run', '--dir', '.', ...envArgs, WASI_CLI, ...args], { cwd: dir });
  return { ...r, files: await readBack(dir, collect) };
});

async function cliNodeWasi() {
  const module = await WebAssembly.compile(await readFile(WASI_CLI));
  return cliHost(async (args, { dir, env = {}, collect = [] }) => {
    const r = await nodeWasi(module, ['nearnative', ...args], { cwd: dir, env });
    return { ...r, files: await readBack(dir, collect) };
  });
}

async function cliWasmer() {
  const runner = await createWasmerRunner(await readFile(WASI_CLI));
  try {
    return await cliHost(async (args, { env = {}, fileMap, collect = [] }) => {
      const files = Object.fromEntries(Object.entries(fileMap).map(([k, v]) => [`/workspace/${k}`, v]));
      // Wasmer resolves only absolute paths inside its sandbox.
      const absolute = args.map((a) => (a in fileMap || collect.includes(a) ? `/workspace/${a}` : a));
      const r = await runner.run(absolute, { files, env, collect });
      return { code: r.exitCode, stdout: Buffer.from(r.stdout), stderr: Buffer.from(r.stderr), files: r.files };
    });
  } finally {
    await runner.close();
  }
}

async function npmNode(flavor) {
  const { load } = await import('../../dist/npm/hash/index.js');
  const api = await load(flavor);
  if (api.features().simd128 !== (flavor === 'simd')) throw new Error(`asked for the ${flavor} build, got ${JSON.stringify(api.features())}`);
  const results = new Map();
  for (const doc of docs) {
    const { set, outputs } = await runVectorFile(api, doc);
    results.set(set, new Map(outputs));
  }
  return results;
}

let browserSession;
async function browser() {
  if (!browserSession) {
    const { startServer } = await import('../../playground/serve.mjs');
    const { launchChromium, openPage } = await import('../support/browser.mjs');
    const server = await startServer({ port: 0 });
    const chromium = await launchChromium();
    const { page, errors } = await openPage(chromium, `${server.url}/tests/conformance/browser.html`);
    await page.waitForFunction(() => window.ready === true, null, { timeout: 60_000 });
    browserSession = { page, errors, close: async () => (await chromium.close(), await server.close()) };
  }
  return browserSession;
}

async function npmChromium(where) {
  const { page, errors } = await browser();
  const data = await page.evaluate(([fn, names]) => window[fn](names), [where === 'worker' ? 'runWorker' : 'runMain', files]);
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  if (!data.features.simd128) throw new Error('Chromium supports simd128 but the scalar build was loaded');
  return new Map(data.results.map(({ set, outputs }) => [set, new Map(outputs)]));
}

async function runApi(api) {
  const results = new Map();
  for (const doc of docs) {
    const { set, outputs } = await runVectorFile(api, doc);
    results.set(set, new Map(outputs));
  }
  return results;
}

/** The library component in a Rust embedder (the wasmtime crate's bindgen!). */
async function componentWasmtime() {
  const r = await exec(COMPONENT_EMBEDDER, [COMPONENT, ...files.map((f) => join(VECTORS, f))]);
  if (r.code === 2 || r.signal) throw new Error(`component embedder failed: ${r.stderr}`);
  return parseKernelLines(r.stdout.toString());
}

/** The library component transpiled by jco, in this Node process. */
async function componentJco() {
  const { loadComponentApi } = await import('../component/jco-load.mjs');
  return runApi(await loadComponentApi());
}

/** An edge host serving the HTTP API, every vector as one request. */
async function edge(kind) {
  const host = await startHost(kind);
  try {
    return await runApi(httpApi(host.url));
  } finally {
    await host.stop();
  }
}

// ---------- the matrix ----------

const HOSTS = [
  ['kernels/native', kernelsNative],
  ['kernels/wasmtime', kernelsWasmtime],
  ['kernels/node-wasi', kernelsNodeWasi],
  ['kernels/wasmer', kernelsWasmer],
  ['cli/native', cliNative],
  ['cli/wasmtime', cliWasmtime],
  ['cli/node-wasi', cliNodeWasi],
  ['cli/wasmer', cliWasmer],
  ['npm/node-simd', () => npmNode('simd')],
  ['npm/node-scalar', () => npmNode('scalar')],
  ['npm/chromium-main', () => npmChromium('main')],
  ['npm/chromium-worker', () => npmChromium('worker')],
  ['component/wasmtime', componentWasmtime],
  ['component/jco', componentJco],
  ['edge/wasi-http', () => edge('wasmtime-serve')],
  ['edge/nearnative-serve', () => edge('nearnative-serve')],
  ['edge/workerd', () => edge('workerd')],
];

const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex > 0 ? process.argv[onlyIndex + 1].split(',') : null;

const outputsOf = (m) => new Map([...m].map(([set, cases]) => [set, new Map([...cases].map(([id, v]) => [id, typeof v === 'string' ? v : v.output]))]));

const started = Date.now();
const reference = await kernelsNative();
const problems = [];
for (const [set, cases] of reference) {
  for (const [id, { verdict }] of cases) if (verdict === 'FAIL') problems.push(`reference fails vector ${set}/${id}`);
}
const referenceOutputs = outputsOf(reference);

const rows = [];
for (const [host, driver] of HOSTS) {
  if (only && !only.includes(host)) continue;
  const t = Date.now();
  let got;
  try {
    // A host that hangs must fail its row, not stall the suite.
    const timeout = new Promise((_, fail) => setTimeout(() => fail(new Error('timed out after 300 s')), 300_000).unref());
    got = outputsOf(await Promise.race([driver(), timeout]));
  } catch (err) {
    problems.push(`${host}: ${err.message}`);
    rows.push([host, sets.map(() => 'ERROR'), Date.now() - t]);
    continue;
  }
  const cells = sets.map((set) => {
    const mine = got.get(set);
    if (!mine) return host.startsWith('cli/') ? 'n/a' : 'MISSING';
    let diffs = 0;
    for (const [id, output] of mine) {
      const want = referenceOutputs.get(set)?.get(id);
      if (output !== want) {
        diffs++;
        if (diffs <= 3) problems.push(`${host} ${set}/${id}: got ${String(output).slice(0, 80)}, reference ${String(want).slice(0, 80)}`);
      }
    }
    const expected = host.startsWith('cli/') ? mine.size : referenceOutputs.get(set).size;
    if (mine.size !== expected || mine.size === 0) diffs++;
    return diffs ? `DIFF ${diffs}` : `ok ${mine.size}`;
  });
  rows.push([host, cells, Date.now() - t]);
}
await browserSession?.close();

// The image domain's pipeline jobs (tests/conformance/image.mjs): one more set in the table.
const image = await runImageConformance({ only });
problems.push(...image.problems);
sets.push(image.set);
for (const row of rows) {
  const mine = image.rows.find(([h]) => h === row[0]);
  row[1].push(mine?.[1] ?? 'n/a');
  row[2] += mine?.[2] ?? 0;
}

const width = Math.max(...sets.map((s) => s.length), 9);
console.log(`\nconformance: ${docs.reduce((n, d) => n + d.cases.length, 0)} cases in ${sets.length} sets; reference = kernels/native\n`);
// Transposed (sets as rows) so the table fits a terminal.
const short = (h) => h.replace('kernels/', 'k/').replace('npm/chromium-', 'npm/chr-').replace('component/', 'comp/');
console.log(['set \\ host'.padEnd(width + 2), ...rows.map(([h]) => short(h).padStart(16))].join(''));
sets.forEach((set, i) => console.log([set.padEnd(width + 2), ...rows.map(([, cells]) => cells[i].padStart(16))].join('')));
console.log(['seconds'.padEnd(width + 2), ...rows.map(([, , ms]) => (ms / 1000).toFixed(1).padStart(16))].join(''));
console.log(`\ntotal ${((Date.now() - started) / 1000).toFixed(1)} s`);
const bad = rows.some(([, cells]) => cells.some((c) => !c.startsWith('ok') && c !== 'n/a'));
if (problems.length || bad) {
  console.error(`\nFAILED:\n  ${problems.slice(0, 40).join('\n  ')}`);
  process.exit(1);
}
console.log('every host gave the same bytes for every vector');
