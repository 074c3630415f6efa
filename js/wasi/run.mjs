// One WASI command run under node:wasi. Kept apart from the launcher so tests can run many
// commands in one process from a single compiled module.
import { WASI } from 'node:wasi';
import v8 from 'node:v8';

// Node 20 segfaults when WASI imports are called through V8's fast API calls while the wasm
// memory is large (hundreds of MiB, e.g. scrypt at work factor 18): a crash after all output
// was written. Measured here: 15 of 15 runs crashed with fast calls, 0 of 10 without; a
// 12-line hand-written module shows the same, so it is the engine, not our code.
// tests/cli/cli.test.mjs keeps a regression test.
v8.setFlagsFromString('--no-turbo-fast-api-calls');

/**
 * Instantiates `module` and runs its `_start` with `args` (argv[0] included). Returns the exit
 * code. stdio are the given fds (default: this process's 0, 1, 2).
 */
export async function runWasi(module, args, { env = process.env, cwd = process.cwd(), stdin = 0, stdout = 1, stderr = 2 } = {}) {
  const wasi = new WASI({
    version: 'preview1',
    args,
    env,
    // As `wasmtime run --dir .`: without chdir emulation WASI resolves every path against
    // the preopens, so only paths below the current directory are reachable.
    preopens: { '.': cwd },
    stdin,
    stdout,
    stderr,
    returnOnExit: true,
  });
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  return wasi.start(instance);
}
