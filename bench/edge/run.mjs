#!/usr/bin/env node
// The edge benchmark: the same HTTP API (crates/edge) on four servers, measured in one run.
//   native            bench/edge-native: the router compiled natively behind hyper (no Wasm)
//   nearnative-serve  our wasmtime embedder: pooling, InstancePre, AOT cache
//   wasmtime-serve    plain `wasmtime serve -Scli` with the same component
//   workerd           the Cloudflare Worker in workerd
// Per server: a fresh process's start to first byte (median of N starts), the p50 time per
// request over keep-alive (its difference to native is the per-request overhead), the
// instantiation time nearnative serve reports in Server-Timing, and a wrk load run
// (POST /v1/hash/sha256, 1 KiB bodies): req/s, p50/p99, non-2xx count, resident memory
// before and after. Writes bench/results/edge.json (DESIGN.md row format) and
// bench/RESULTS-edge.md.
//
//   node bench/edge/run.mjs [--quick]     (needs `cargo xtask build` and bench/edge-native built)
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile, rename } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, HTTP_COMPONENT, NATIVE_CLI, freePort, residentMemory, startHost } from '../../tests/support/edge-hosts.mjs';

const run = promisify(execFile);
const quick = process.argv.includes('--quick');
const NATIVE_SERVER = join(ROOT, 'target/release/nearnative-edge-native');
const STARTS = quick ? 3 : 7;
const SEQUENTIAL = quick ? 300 : 2000;
const LOAD_SECONDS = quick ? 5 : 30;
const BODY = Buffer.alloc(1024, 0x61);
const log = (...a) => console.error('[edge]', ...a);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

/** Start a server process the way a cold start would: nothing warm but the OS page cache. */
function spawnServer(kind, port, cacheDir) {
  switch (kind) {
    case 'native':
      return spawn(NATIVE_SERVER, ['--addr', `127.0.0.1:${port}`], { stdio: 'ignore' });
    case 'nearnative-serve':
      return spawn(NATIVE_CLI, ['serve', '--addr', `127.0.0.1:${port}`, '--component', HTTP_COMPONENT, '--cache-dir', cacheDir], { stdio: 'ignore' });
    case 'wasmtime-serve':
      return spawn('wasmtime', ['serve', '-Scli', '--addr', `127.0.0.1:${port}`, HTTP_COMPONENT], { stdio: 'ignore' });
    default:
      throw new Error(kind);
  }
}

/** Milliseconds from spawn to the first byte of a GET /v1/health answer, polling every 0.2 ms. */
async function firstByte(kind, cacheDir) {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawnServer(kind, port, cacheDir);
  try {
    for (;;) {
      const got = await new Promise((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('error', () => resolve(null));
        socket.once('connect', () => socket.write('GET /v1/health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'));
        socket.once('data', () => {
          resolve(performance.now() - t0);
          socket.destroy();
        });
      });
      if (got !== null) return got;
      if (child.exitCode !== null) throw new Error(`${kind} exited during start-up`);
      if (performance.now() - t0 > 60_000) throw new Error(`${kind}: no answer in 60 s`);
      await new Promise((ok) => setTimeout(ok, 0.2));
    }
  } finally {
    child.kill('SIGKILL');
    await new Promise((ok) => (child.exitCode !== null ? ok() : child.once('exit', ok)));
  }
}

async function startNative() {
  const port = await freePort();
  const child = spawn(NATIVE_SERVER, ['--addr', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((ok) => child.stdout.once('data', ok));
  return { kind: 'native', url: `http://127.0.0.1:${port}`, pid: child.pid, stop: async () => (child.kill('SIGTERM'), await new Promise((ok) => child.once('exit', ok))) };
}

/** p50 of sequential keep-alive requests, plus nearnative serve's Server-Timing instantiate. */
async function sequential(url) {
  const times = [];
  const instantiate = [];
  for (let i = 0; i < SEQUENTIAL + 50; i++) {
    const t0 = performance.now();
    const res = await fetch(`${url}/v1/hash/sha256`, { method: 'POST', body: BODY, headers: { 'content-type': 'application/octet-stream' } });
    await res.arrayBuffer();
    const ms = performance.now() - t0;
    if (!res.ok) throw new Error(`HTTP ${res.status} from ${url}`);
    if (i < 50) continue; // warm-up
    times.push(ms);
    const timing = /instantiate;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '');
    if (timing) instantiate.push(Number(timing[1]));
  }
  return { p50: median(times), p99: quantile(times, 0.99), instantiate };
}

async function wrk(url) {
  const dir = await mkdtemp(join(tmpdir(), 'nn-wrk-'));
  const script = join(dir, 'post.lua');
  await writeFile(script, `wrk.method = "POST"\nwrk.body = string.rep("a", 1024)\nwrk.headers["content-type"] = "application/octet-stream"\n`);
  try {
    const { stdout } = await run('wrk', ['-t2', '-c16', `-d${LOAD_SECONDS}s`, '--latency', '-s', script, `${url}/v1/hash/sha256`], { maxBuffer: 1 << 20 });
    const unit = { us: 1e-3, ms: 1, s: 1000 };
    const latency = (p) => {
      const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(stdout);
      return m ? Number(m[1]) * unit[m[2]] : NaN;
    };
    const total = Number(/(\d+) requests in/.exec(stdout)[1]);
    return {
      rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)[1]),
      p50: latency(50),
      p99: latency(99),
      requests: total,
      non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0),
      errors: /Socket errors: (.*)/.exec(stdout)?.[1] ?? 'none',
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const HOSTS = ['native', 'nearnative-serve', 'wasmtime-serve', 'workerd'];
for (const needed of [NATIVE_SERVER, NATIVE_CLI, HTTP_COMPONENT]) {
  if (!existsSync(needed)) throw new Error(`${needed} is missing: run \`cargo xtask bench edge\` (it builds everything first)`);
}

const started = Date.now();
const load = loadavg()[0];
const rows = [];
const row = (kernel, input, host, fields) => rows.push({ kernel, input, host, impl: 'nearnative', ...fields });
const cacheDir = await mkdtemp(join(tmpdir(), 'nn-aot-'));
try {
  // Cold starts, interleaved so every server sees the same machine state.
  const starts = Object.fromEntries(HOSTS.filter((h) => h !== 'workerd').map((h) => [h, []]));
  await firstByte('nearnative-serve', cacheDir); // fills the AOT cache once; later starts load it
  for (let i = 0; i < STARTS; i++) {
    for (const kind of Object.keys(starts)) starts[kind].push(await firstByte(kind, cacheDir));
  }
  for (const [kind, ms] of Object.entries(starts)) {
    row('cold-start-first-byte', 'GET /v1/health', kind, { median_ms: median(ms), unit: 'ms', runs: ms.length, min_ms: Math.min(...ms) });
    log(`cold start ${kind}: median ${median(ms).toFixed(2)} ms`);
  }
  // workerd's start is measured by startHost (polling fetch every 100 ms), so too coarse to
  // report beside the others; it is left out rather than shown wrong.

  for (const kind of HOSTS) {
    const host = kind === 'native' ? await startNative() : await startHost(kind, { timeoutMs: 600_000 });
    try {
      const seq = await sequential(host.url);
      row('request-latency', 'POST /v1/hash/sha256 1KiB', kind, { median_ms: seq.p50, p99_ms: seq.p99, unit: 'ms', runs: SEQUENTIAL });
      if (seq.instantiate.length) {
        row('instantiate', 'per request', kind, { median_ms: median(seq.instantiate), p99_ms: quantile(seq.instantiate, 0.99), unit: 'ms', runs: seq.instantiate.length });
      }
      const before = await residentMemory(host.pid);
      const w = await wrk(host.url);
      const after = await residentMemory(host.pid);
      row('load', 'POST /v1/hash/sha256 1KiB, wrk -t2 -c16', kind, {
        median_ms: w.p50, p99_ms: w.p99, throughput: w.rps, unit: 'req/s', runs: w.requests,
        non_2xx: w.non2xx, socket_errors: w.errors, rss_before_mib: +(before.rss / 2 ** 20).toFixed(1), rss_after_mib: +(after.rss / 2 ** 20).toFixed(1),
      });
      log(`${kind}: p50 ${seq.p50.toFixed(3)} ms sequential; wrk ${w.rps} req/s p50 ${w.p50} p99 ${w.p99} ms, non-2xx ${w.non2xx}; RSS ${(before.rss / 2 ** 20).toFixed(0)} -> ${(after.rss / 2 ** 20).toFixed(0)} MiB`);
    } finally {
      await host.stop();
    }
  }
} finally {
  await rm(cacheDir, { recursive: true, force: true });
}

// ---------- results ----------
const json = `{"domain": "edge", "rows": [\n${rows.map((r) => `  ${JSON.stringify(r)}`).join(',\n')}\n]}\n`;
const jsonPath = join(ROOT, 'bench/results/edge.json');
await writeFile(`${jsonPath}.tmp`, json);
await rename(`${jsonPath}.tmp`, jsonPath);

const get = (kernel, host) => rows.find((r) => r.kernel === kernel && r.host === host);
const f = (x, d = 2) => (x == null || Number.isNaN(x) ? '—' : x.toFixed(d));
const nativeLatency = get('request-latency', 'native').median_ms;
const nativeRps = get('load', 'native').throughput;
const lines = [
  '# Edge results',
  '',
  `Generated by \`cargo xtask bench edge${quick ? ' --quick' : ''}\` in ${((Date.now() - started) / 1000).toFixed(0)} s on ${cpus().length} × ${cpus()[0].model.trim()}, load ${load.toFixed(2)} at the start. Measured, not asserted: no test depends on these numbers.`,
  '',
  '| server | cold start → first byte (median) | request p50 (keep-alive) | overhead vs native | instantiate p50 | wrk req/s | vs native | wrk p50 / p99 | non-2xx | RSS before → after |',
  '|---|---|---|---|---|---|---|---|---|---|',
];
for (const kind of HOSTS) {
  const cold = get('cold-start-first-byte', kind);
  const lat = get('request-latency', kind);
  const inst = get('instantiate', kind);
  const l = get('load', kind);
  lines.push(`| ${kind} | ${cold ? `${f(cold.median_ms)} ms` : 'not measured'} | ${f(lat.median_ms * 1000, 0)} µs | ${kind === 'native' ? '—' : `${f((lat.median_ms - nativeLatency) * 1000, 0)} µs`} | ${inst ? `${f(inst.median_ms * 1000, 1)} µs` : '—'} | ${f(l.throughput, 0)} | ${kind === 'native' ? '—' : `${f((100 * l.throughput) / nativeRps, 0)} %`} | ${f(l.median_ms)} / ${f(l.p99_ms)} ms | ${l.non_2xx} | ${l.rss_before_mib} → ${l.rss_after_mib} MiB |`);
}
const ns = (k) => get(k, 'nearnative-serve');
const targets = [
  ['instantiation p50 under 50 µs (nearnative serve)', ns('instantiate') ? ns('instantiate').median_ms * 1000 < 50 : null, ns('instantiate') ? `${f(ns('instantiate').median_ms * 1000, 1)} µs` : 'not reported'],
  ['cold process first byte under 10 ms (nearnative serve, AOT cache)', ns('cold-start-first-byte').median_ms < 10, `${f(ns('cold-start-first-byte').median_ms)} ms`],
  ['per-request overhead under 100 µs (nearnative serve vs native)', (ns('request-latency').median_ms - nativeLatency) * 1000 < 100, `${f((ns('request-latency').median_ms - nativeLatency) * 1000, 0)} µs`],
  ['throughput ≥ 50 % of native (nearnative serve)', ns('load').throughput >= nativeRps / 2, `${f((100 * ns('load').throughput) / nativeRps, 0)} %`],
  ['zero non-2xx for valid requests (every server)', HOSTS.every((h) => get('load', h).non_2xx === 0), HOSTS.map((h) => `${h} ${get('load', h).non_2xx}`).join(', ')],
];
lines.push('', '| target | measured | result |', '|---|---|---|');
for (const [name, pass, shown] of targets) lines.push(`| ${name} | ${shown} | ${pass === null ? 'n/a' : pass ? 'pass' : '**fail**'} |`);
lines.push(
  '',
  'How: cold start spawns a fresh process and polls a raw TCP GET /v1/health every 0.2 ms until the first byte (workerd is left out: its start-up is not comparable and is not polled finely); request p50 is sequential Node fetch over keep-alive, so the overhead column subtracts the same client cost from both sides; instantiate is the `Server-Timing: instantiate` header nearnative serve adds; load is `wrk -t2 -c16` for ' + `${LOAD_SECONDS} s with 1 KiB bodies, client and server sharing the same ${cpus().length} cores.`,
  '',
);
await writeFile(join(ROOT, 'bench/RESULTS-edge.md'), lines.join('\n'));
log(`wrote bench/results/edge.json and bench/RESULTS-edge.md in ${((Date.now() - started) / 1000).toFixed(0)} s`);
