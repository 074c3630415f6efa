#!/usr/bin/env node
// Runs the nearnative WASI command (dist/wasi/nearnative.wasm) under Node's node:wasi, with
// the same arguments, files, stdin/stdout and exit code as the native binary.
//
//   node js/wasi/nearnative.mjs hash -a sha256 README.md
//
// The current directory is preopened as `.`, as with `wasmtime run --dir .`: paths must be
// relative and stay below it. NEARNATIVE_WASM overrides the module.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

// node:wasi announces itself as experimental on stderr; the command's stderr must be the
// command's own, byte for byte like the native binary's.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
  if (type === 'ExperimentalWarning' && String(warning).includes('WASI')) return;
  return emitWarning.call(process, warning, ...rest);
};
const { runWasi } = await import('./run.mjs');

const wasmPath = process.env.NEARNATIVE_WASM ?? fileURLToPath(new URL('../../dist/wasi/nearnative.wasm', import.meta.url));
const module = await WebAssembly.compile(await readFile(wasmPath));
process.exitCode = await runWasi(module, ['nearnative', ...process.argv.slice(2)]);
