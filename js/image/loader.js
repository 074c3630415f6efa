import { createEngine } from './engine.js';
import { engineHasSimd, instantiate } from './load.js';

// Explicit branches, not template strings, so bundlers can see every file we may load.
const GLUE = {
  simd: {
    glue: () => import('./wasm/nearnative_image_simd.js'),
    url: () => new URL('./wasm/nearnative_image_simd_bg.wasm', import.meta.url),
  },
  scalar: {
    glue: () => import('./wasm/nearnative_image_scalar.js'),
    url: () => new URL('./wasm/nearnative_image_scalar_bg.wasm', import.meta.url),
  },
};

/** 'simd' when the engine validates simd128, else 'scalar'. */
export function bestFlavor() {
  return engineHasSimd() ? 'simd' : 'scalar';
}

/**
 * Loads one build and returns the engine that runs jobs on the calling thread. `flavor` is
 * 'simd', 'scalar' or 'auto' (feature detection); `source` overrides where the .wasm comes
 * from (bytes, URL, Response or a compiled WebAssembly.Module).
 */
export async function loadEngine(flavor = 'auto', { source } = {}) {
  const chosen = flavor === 'auto' ? bestFlavor() : flavor;
  const files = GLUE[chosen];
  if (!files) throw new TypeError(`unknown flavor '${flavor}': use 'simd', 'scalar' or 'auto'`);
  const glue = await instantiate(await files.glue(), files.url(), source);
  return createEngine({ flavor: chosen, glue });
}
