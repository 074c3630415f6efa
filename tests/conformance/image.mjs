#!/usr/bin/env node
// Image conformance: every pipeline job of tests/vectors/image/cases.json (`kind: "job"`: an
// input file and a query in the shared step vocabulary) on every image host; each host's output
// bytes must have the sha256 that the reference host (the native kernel, checked by
// crates/image/tests/vectors.rs) produced. Every bad file (`kind: "decode_error"`) runs too, as
// the job `format=png`: each host must refuse it with the case's error code and write nothing.
// A host whose artefact is missing fails its row.
//
//   node tests/conformance/image.mjs [--only HOST,HOST]
//
// tests/conformance/run.mjs imports `runImageConformance` and merges its row into its matrix
// (hosts it has no column for, such as npm/chromium-simd, still fail its run but get no cell).
// The npm/chromium-* hosts run the package's `transform()` in headless Chromium through the
// default worker pool (tests/conformance/image-browser.html, served by playground/serve.mjs).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { exec } from '../support/exec.mjs';
import { runWasi } from '../../js/wasi/run.mjs';
import { startHost } from '../support/edge-hosts.mjs';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const VECTORS = join(ROOT, 'tests/vectors/image');
const NATIVE_CLI = join(ROOT, 'target/release/nearnative');
const WASI_CLI = join(ROOT, 'dist/wasi/nearnative.wasm');
const NPM_IMAGE = join(ROOT, 'dist/npm/image/index.js');
export const SET = 'image-jobs';

const sha256Hex = (bytes) => createHash('sha256').update(bytes).digest('hex');
const errorCode = (stderr) => /error\[([a-z_]+)\]/.exec(stderr.toString())?.[1] ?? 'unknown';
const pairs = (query) => query.split('&').filter(Boolean).map((p) => {
  const i = p.indexOf('=');
  return i < 0 ? [p, ''] : [p.slice(0, i), p.slice(i + 1)];
});

function need(path) {
  if (!existsSync(path)) throw new Error(`${path.slice(ROOT.length + 1)} is missing: run \`cargo xtask build\``);
}

async function loadJobs() {
  const doc = JSON.parse(await readFile(join(VECTORS, 'cases.json'), 'utf8'));
  const jobs = doc.cases.filter((c) => c.kind === 'job').map((c) => ({ ...c, want: `sha256:${c.output_sha256}` }));
  const refusals = doc.cases.filter((c) => c.kind === 'decode_error')
    .map((c) => ({ ...c, query: 'format=png', want: `error:${c.code}` }));
  for (const job of [...jobs, ...refusals]) job.input = await readFile(join(VECTORS, job.file));
  return [...jobs, ...refusals];
}

// ---------- hosts: each maps a job to `sha256:HEX` or `error:CODE` ----------

/** `nearnative image convert in.EXT out.FORMAT --step value ...`, through `run(args, dir)`. */
function cliHost(run) {
  return async (jobs) => {
    const work = await mkdtemp(join(tmpdir(), 'nn-image-cli-'));
    const outputs = new Map();
    try {
      for (const job of jobs) {
        const dir = await mkdtemp(join(work, 'j'));
        const input = `in${extname(job.file)}`;
        const format = pairs(job.query).find(([n]) => n === 'format')?.[1] ?? extname(job.file).slice(1);
        const output = `out.${format}`;
        await writeFile(join(dir, input), job.input);
        const flags = pairs(job.query).flatMap(([n, v]) => (v === '' ? [`--${n}`] : [`--${n}`, v]));
        const r = await run(['image', 'convert', input, output, ...flags], dir);
        const out = await readFile(join(dir, output)).catch(() => null);
        if (r.code === 0) outputs.set(job.id, out ? `sha256:${sha256Hex(out)}` : 'missing-output');
        else outputs.set(job.id, `error:${errorCode(r.stderr)}${out ? '+partial-output' : ''}`);
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    return outputs;
  };
}

const cliNative = (jobs) => (need(NATIVE_CLI), cliHost((args, dir) => exec(NATIVE_CLI, args, { cwd: dir }))(jobs));

const cliWasmtime = (jobs) => (need(WASI_CLI),
cliHost((args, dir) => exec('wasmtime', ['run', '--dir', '.', WASI_CLI, ...args], { cwd: dir }))(jobs));

async function cliNodeWasi(jobs) {
  need(WASI_CLI);
  const module = await WebAssembly.compile(await readFile(WASI_CLI));
  const { openSync, closeSync } = await import('node:fs');
  return cliHost(async (args, dir) => {
    const outPath = join(dir, '.stdout'), errPath = join(dir, '.stderr');
    const stdout = openSync(outPath, 'w'), stderr = openSync(errPath, 'w'), stdin = openSync('/dev/null', 'r');
    let code;
    try {
      code = await runWasi(module, ['nearnative', ...args], { cwd: dir, env: {}, stdin, stdout, stderr });
    } finally {
      [stdout, stderr, stdin].forEach(closeSync);
    }
    return { code, stdout: await readFile(outPath), stderr: await readFile(errPath) };
  })(jobs);
}

/** Runs `transform(input, query)` of an in-process API on every job. */
async function viaTransform(jobs, transform, codeOf = (e) => e.code) {
  const outputs = new Map();
  for (const job of jobs) {
    try {
      const out = await transform(new Uint8Array(job.input), job.query);
      const bytes = out instanceof Uint8Array ? out : out?.bytes ?? out?.data;
      outputs.set(job.id, bytes ? `sha256:${sha256Hex(bytes)}` : 'no-bytes');
    } catch (err) {
      const code = codeOf(err);
      if (!code) throw err;
      outputs.set(job.id, `error:${code}`);
    }
  }
  return outputs;
}

async function npmNode(jobs) {
  need(NPM_IMAGE);
  const mod = await import(pathToFileURL(NPM_IMAGE).href);
  const api = typeof mod.load === 'function' ? await mod.load() : mod;
  if (typeof api.transform !== 'function') throw new Error('dist/npm/image exports no transform(input, query)');
  return viaTransform(jobs, (input, query) => api.transform(input, query));
}

async function componentJco(jobs) {
  const { loadComponentApi, codeOf } = await import('../component/jco-load.mjs');
  const { raw } = await loadComponentApi();
  if (typeof raw.image?.transform !== 'function') throw new Error('the component exports no image.transform');
  return viaTransform(jobs, (input, query) => raw.image.transform(input, query), codeOf);
}

function edge(kind) {
  return async (jobs) => {
    const host = await startHost(kind);
    try {
      return await viaTransform(jobs, async (input, query) => {
        const res = await fetch(`${host.url}/v1/image?${query}`, { method: 'POST', body: input });
        const bytes = new Uint8Array(await res.arrayBuffer());
        if (res.ok) return bytes;
        let code;
        try {
          code = JSON.parse(Buffer.from(bytes).toString()).error.code;
        } catch {
          throw new Error(`POST /v1/image?${query}: HTTP ${res.status} without a JSON error body`);
        }
        throw Object.assign(new Error(`HTTP ${res.status}`), { code });
      });
    } finally {
      await host.stop();
    }
  };
}

// ---------- the npm package in headless Chromium (tests/conformance/image-browser.html) ----------

const NPM_IMAGE_WORKER = join(ROOT, 'dist/npm/image/worker.js');
let chromiumSession; // one static server and one browser, shared by the chromium hosts

async function chromiumPage(flavor) {
  if (!chromiumSession) {
    const { startServer } = await import('../../playground/serve.mjs');
    const { launchChromium } = await import('../support/browser.mjs');
    const server = await startServer({ port: 0 });
    let browser;
    try {
      browser = await launchChromium();
    } catch (err) {
      await server.close();
      throw err;
    }
    chromiumSession = { server, browser, close: async () => (await browser.close(), await server.close()) };
  }
  const { openPage } = await import('../support/browser.mjs');
  const { page, errors } = await openPage(chromiumSession.browser, `${chromiumSession.server.url}/tests/conformance/image-browser.html?flavor=${flavor}`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 30_000 });
  return { page, errors };
}

/**
 * `transform(input, query)` of dist/npm/image inside a Chromium page, through the default
 * worker pool; `flavor` 'auto' (feature detection: simd128 in Chromium) or 'scalar' (the
 * pool's workers are made to load the scalar build).
 */
function npmChromium(flavor) {
  return async (jobs) => {
    need(NPM_IMAGE);
    need(NPM_IMAGE_WORKER);
    const { page, errors } = await chromiumPage(flavor);
    try {
      const outputs = await viaTransform(jobs, async (input, query) => {
        const r = await page.evaluate(([b64, q]) => window.runJob(b64, q), [Buffer.from(input).toString('base64'), query]);
        if (r.code) throw Object.assign(new Error(`transform(${query}): ${r.code}`), { code: r.code });
        return Buffer.from(r.data, 'base64');
      });
      const { stats, builds, detected } = await page.evaluate(() => window.poolInfo());
      const want = flavor === 'scalar' ? 'scalar' : 'simd128';
      if (flavor !== 'scalar' && detected !== 'simd128') throw new Error(`Chromium supports simd128 but feature detection picked ${detected}`);
      if (!stats || stats.jobs < jobs.length) throw new Error(`the jobs did not all run in the worker pool: ${JSON.stringify(stats)}`);
      if (builds.length !== 1 || builds[0] !== want) throw new Error(`asked for the ${want} build, the pool workers ran ${JSON.stringify(builds)}`);
      if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
      return outputs;
    } finally {
      await page.close();
    }
  };
}

export const IMAGE_HOSTS = [
  ['cli/native', cliNative],
  ['cli/wasmtime', cliWasmtime],
  ['cli/node-wasi', cliNodeWasi],
  ['npm/node-simd', npmNode],
  ['npm/chromium-simd', npmChromium('auto')],
  ['npm/chromium-scalar', npmChromium('scalar')],
  ['component/jco', componentJco],
  ['edge/wasi-http', edge('wasmtime-serve')],
  ['edge/nearnative-serve', edge('nearnative-serve')],
  ['edge/workerd', edge('workerd')],
];

/**
 * Runs the image jobs on every host (or those in `only`). Returns `{ set, rows: [[host, cell,
 * ms]], problems }`: a cell is `ok N`, `DIFF N` or `ERROR`.
 */
export async function runImageConformance({ only = null } = {}) {
  const jobs = await loadJobs();
  const problems = [];
  const rows = [];
  for (const job of jobs) if (job.kind === 'job' && !job.output_sha256) problems.push(`${job.id}: no blessed output_sha256`);
  try {
    await runHosts(jobs, only, rows, problems);
  } finally {
    await chromiumSession?.close();
    chromiumSession = undefined;
  }
  return { set: SET, rows, problems };
}

async function runHosts(jobs, only, rows, problems) {
  for (const [host, driver] of IMAGE_HOSTS) {
    if (only && !only.includes(host)) continue;
    const started = Date.now();
    let got;
    try {
      const timeout = new Promise((_, fail) => setTimeout(() => fail(new Error('timed out after 300 s')), 300_000).unref());
      got = await Promise.race([driver(jobs), timeout]);
    } catch (err) {
      problems.push(`${host} (image): ${err.message.split('\n')[0]}`);
      rows.push([host, 'ERROR', Date.now() - started]);
      continue;
    }
    let diffs = 0;
    for (const job of jobs) {
      const mine = got.get(job.id);
      if (mine !== job.want) {
        diffs++;
        if (diffs <= 3) problems.push(`${host} ${SET}/${job.id}: got ${mine}, reference ${job.want}`);
      }
    }
    rows.push([host, diffs ? `DIFF ${diffs}` : `ok ${jobs.length}`, Date.now() - started]);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const onlyIndex = process.argv.indexOf('--only');
  const only = onlyIndex > 0 ? process.argv[onlyIndex + 1].split(',') : null;
  const { rows, problems } = await runImageConformance({ only });
  console.log(`\nimage conformance: pipeline jobs and bad files of tests/vectors/image/cases.json; reference = native kernel\n`);
  console.log(['host'.padEnd(24), SET.padStart(12), 'seconds'.padStart(10)].join(''));
  for (const [host, cell, ms] of rows) console.log([host.padEnd(24), cell.padStart(12), (ms / 1000).toFixed(1).padStart(10)].join(''));
  if (problems.length || rows.some(([, cell]) => !cell.startsWith('ok'))) {
    console.error(`\nFAILED:\n  ${problems.slice(0, 40).join('\n  ')}`);
    process.exit(1);
  }
  console.log('every image host gave the reference bytes for every job and refused every bad file alike');
}
