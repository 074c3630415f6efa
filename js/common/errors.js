/** Errors with the stable codes shared by every nearnative host. */
export class NearnativeError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'NearnativeError';
    this.code = code;
  }
}

export const unsupported = (message) => new NearnativeError('unsupported', message);
export const invalid = (message) => new NearnativeError('invalid_input', message);

/**
 * Runs `fn`, a call into the wasm-bindgen module `glue`. Errors from Rust already carry a code;
 * a trap (a bug) resets the instance so the next call works (then calls `onReset`), and is
 * reported as `internal`; an object made before such a reset points into the old instance and
 * cannot be revived.
 */
export function guard(glue, fn, onReset) {
  try {
    return fn();
  } catch (err) {
    if (err instanceof WebAssembly.RuntimeError) {
      glue.__wbg_reset_state();
      onReset?.();
      throw new NearnativeError('internal', `the wasm module trapped (${err.message}); it has been reset, please report this`);
    }
    if (err && err.name === 'NearnativeError' && !(err instanceof NearnativeError)) {
      throw new NearnativeError(err.code, err.message);
    }
    if (err instanceof Error && /stale/i.test(err.message)) {
      throw new NearnativeError('invalid_input', 'this object was created before the module was reset after a trap; create a new one');
    }
    throw err;
  }
}
