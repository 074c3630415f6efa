// Serves the playground and the HTTP API from one process: the wasi:http component
// (dist/http/nearnative-http.wasm) under `wasmtime serve`. The page's files are copied into
// target/site and preopened read-only as /site; the component serves them for non-API paths
// (NEARNATIVE_SITE) and answers /v1/* itself. This is what `cargo xtask demo` runs.
//
//   node playground/edge.mjs [--port N]          (0 picks a free port)
//   import { startEdgeDemo } from './edge.mjs'; const { url, close } = await startEdgeDemo({ port: 0 });
import { spawn } from 'node:child_process';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const SITE = join(ROOT, 'target/site');
const COMPONENT = join(ROOT, 'dist/http/nearnative-http.wasm');
// What the page loads: itself, the npm packages, and hash-wasm and pica for the comparisons.
const SITE_FILES = ['playground', 'dist/npm/hash', 'dist/npm/image', 'node_modules/hash-wasm/dist', 'node_modules/pica/dist'];

async function assembleSite() {
  await rm(SITE, { recursive: true, force: true });
  for (const path of SITE_FILES) {
    if (!existsSync(join(ROOT, path))) throw new Error(`${path} is missing: run \`cargo xtask build\` (and \`cargo xtask setup\`)`);
    await mkdir(join(SITE, path, '..'), { recursive: true });
    await cp(join(ROOT, path), join(SITE, path), { recursive: true });
  }
  await writeFile(join(SITE, 'index.html'), '<!doctype html><meta http-equiv="refresh" content="0; url=/playground/">\n');
}

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer().once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

export async function startEdgeDemo({ port = 0, host = '127.0.0.1' } = {}) {
  if (!existsSync(COMPONENT)) throw new Error(`${COMPONENT} is missing: run \`cargo xtask build\``);
  await assembleSite();
  const bound = port || (await freePort());
  const child = spawn('wasmtime', [
    'serve', '-Scli', '--addr', `${host}:${bound}`, '--dir', `${SITE}::/site`, '--env', 'NEARNATIVE_SITE=/site', COMPONENT,
  ], { stdio: ['ignore', 'inherit', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise((ok) => child.once('exit', ok));
  const url = `http://${host}:${bound}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wasmtime serve exited: ${log}`);
    try {
      if ((await fetch(`${url}/v1/health`)).ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`wasmtime serve did not answer within 60 s: ${log}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
  child.stderr.removeAllListeners('data');
  child.stderr.on('data', () => {}); // keep draining: a full pipe would stall the server
  const close = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  return { url, port: bound, close };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--port');
  const port = i > 0 ? Number(process.argv[i + 1]) : 8137;
  const { url, close } = await startEdgeDemo({ port });
  console.log(`serving the playground and the API from ${COMPONENT.slice(ROOT.length + 1)} under wasmtime serve`);
  console.log(`  open ${url}/playground/`);
  console.log(`  curl ${url}/v1/health`);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, async () => {
      await close();
      console.log('stopped');
      process.exit(0);
    });
  }
}
