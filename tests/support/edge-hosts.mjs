// Starts each edge host of nearnative's HTTP API on 127.0.0.1 on a free port, for the HTTP
// test suite, the conformance matrix and the edge benchmark:
//   wasmtime-serve    `wasmtime serve -Scli` with dist/http/nearnative-http.wasm
//   nearnative-serve  `target/release/nearnative serve` with the same component
//   workerd           `workerd serve` with dist/worker/ (the Cloudflare Worker)
// Every host gets the same NEARNATIVE_* environment, so the same request means the same
// thing on each. `startHost` resolves once GET /v1/health answers.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const HTTP_COMPONENT = join(ROOT, 'dist/http/nearnative-http.wasm');
export const WORKER_DIR = join(ROOT, 'dist/worker');
export const NATIVE_CLI = join(ROOT, 'target/release/nearnative');
export const WORKERD = join(ROOT, 'node_modules/.bin/workerd');
export const EDGE_HOSTS = ['wasmtime-serve', 'nearnative-serve', 'workerd'];

export function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

function need(path, what) {
  if (!existsSync(path)) throw new Error(`${path} is missing (${what}): run \`cargo xtask build\` first`);
}

/** A workerd config for dist/worker with these bindings, in a fresh directory of copies. */
async function workerdConfig(env, port) {
  need(join(WORKER_DIR, 'worker.mjs'), 'the Worker');
  const dir = await mkdtemp(join(tmpdir(), 'nn-workerd-'));
  for (const name of await readdir(WORKER_DIR)) await copyFile(join(WORKER_DIR, name), join(dir, name));
  const shipped = await readFile(join(WORKER_DIR, 'config.capnp'), 'utf8');
  const date = /compatibilityDate = "([^"]+)"/.exec(shipped)[1];
  const bindings = Object.entries(env).map(([name, text]) => `(name = ${JSON.stringify(name)}, text = ${JSON.stringify(String(text))})`);
  await writeFile(join(dir, 'test.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "nearnative", worker = .nearnative)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "nearnative")],
);
const nearnative :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "nearnative_worker.js", esModule = embed "nearnative_worker.js"),
    (name = "nearnative_worker_bg.wasm", wasm = embed "nearnative_worker_bg.wasm"),
  ],
  compatibilityDate = "${date}",
  bindings = [${bindings.join(', ')}],
);
`);
  return dir;
}

/**
 * Starts `kind` with `env` (NEARNATIVE_* variables). Options: `memoryMib` and `timeoutMs` are
 * the host's own hard limits (wasmtime's -W max-memory-size/timeout, nearnative serve's
 * --memory-limit-mib/--time-limit-ms); workerd has its own fixed isolate limits.
 * Returns { kind, url, pid, stop(), stderr() }.
 */
export async function startHost(kind, { env = {}, memoryMib = 256, timeoutMs = 10_000 } = {}) {
  const port = await freePort();
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
  let cmd, args, cwd, cleanup = async () => {};
  if (kind === 'wasmtime-serve') {
    need(HTTP_COMPONENT, 'the wasi:http component');
    cmd = 'wasmtime';
    args = ['serve', '-Scli', '--addr', `127.0.0.1:${port}`, '-W', `max-memory-size=${memoryMib << 20},timeout=${timeoutMs}ms`, ...envArgs, HTTP_COMPONENT];
  } else if (kind === 'nearnative-serve') {
    need(HTTP_COMPONENT, 'the wasi:http component');
    need(NATIVE_CLI, 'the native CLI');
    cmd = NATIVE_CLI;
    args = ['serve', '--addr', `127.0.0.1:${port}`, '--component', HTTP_COMPONENT, '--memory-limit-mib', String(memoryMib), '--time-limit-ms', String(timeoutMs), ...envArgs];
  } else if (kind === 'workerd') {
    need(WORKERD, 'npm workerd: run `cargo xtask setup`');
    cwd = await workerdConfig(env, port);
    cmd = WORKERD;
    args = ['serve', 'test.capnp'];
    cleanup = () => rm(cwd, { recursive: true, force: true });
  } else {
    throw new Error(`unknown edge host ${kind}`);
  }
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise((ok) => child.once('exit', (code, signal) => ok({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const gone = await Promise.race([exited, new Promise((ok) => setTimeout(ok, 100, null))]);
    if (gone) throw new Error(`${kind} exited during start-up (${JSON.stringify(gone)}):\n${log}`);
    try {
      const res = await fetch(`${url}/v1/health`);
      if (res.ok) {
        await res.arrayBuffer();
        break;
      }
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${kind} did not answer /v1/health within 60 s:\n${log}`);
    }
  }
  return {
    kind,
    url,
    pid: child.pid,
    stderr: () => log,
    /** SIGTERM, then SIGKILL after 5 s; resolves to how the process ended. */
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const ended = await exited;
      clearTimeout(timer);
      await cleanup();
      return ended;
    },
  };
}

/** Resident memory of a process in bytes (`VmRSS`), and its peak (`VmHWM`). */
export async function residentMemory(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)[1]) * 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}
