// One WASI command run under node:wasi. Kept apart from the launcher so tests can run many
// commands in one process from a single compiled module.
import { WASI } from 'node:wasi';

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
