import { createApi } from './api.js';
import { engineHasSimd, instantiate } from './load.js';

// Explicit branches, not template strings, so bundlers can see every file we may load.
const GLUE = {
  simd: {
    hash: () => import('./wasm/nearnative_hash_simd.js'),
    hashUrl: () => new URL('./wasm/nearnative_hash_simd_bg.wasm', import.meta.url),
    age: () => import('./wasm/nearnative_age_simd.js'),
    ageUrl: () => new URL('./wasm/nearnative_age_simd_bg.wasm', import.meta.url),
  },
  scalar: {
    hash: () => import('./wasm/nearnative_hash_scalar.js'),
    hashUrl: () => new URL('./wasm/nearnative_hash_scalar_bg.wasm', import.meta.url),
    age: () => import('./wasm/nearnative_age_scalar.js'),
    ageUrl: () => new URL('./wasm/nearnative_age_scalar_bg.wasm', import.meta.url),
  },
};

/**
 * Loads one build. `flavor` is 'simd', 'scalar' or 'auto' (feature detection). `hashSource`
 * and `ageSource` override where the .wasm comes from (bytes, URL, Response or a compiled
 * WebAssembly.Module).
 */
export async function load(flavor = 'auto', { hashSource, ageSource } = {}) {
  const chosen = flavor === 'auto' ? (engineHasSimd() ? 'simd' : 'scalar') : flavor;
  const files = GLUE[chosen];
  if (!files) throw new TypeError(`unknown flavor '${flavor}': use 'simd', 'scalar' or 'auto'`);
  const hashGlue = await instantiate(await files.hash(), files.hashUrl(), hashSource);
  const api = createApi({ flavor: chosen, hashGlue, loadAgeGlue: files.age, ageUrl: files.ageUrl() });
  if (ageSource !== undefined) await api.age.load(ageSource);
  return api;
}
