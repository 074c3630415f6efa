// Host "chromium": the page side. Loads nearnative from /dist and the peers from /node_modules
// through the static server (playground/serve.mjs), then runs bench/hash/harness.mjs.
// Implementations: nearnative (the build the package picks; simd128 in Chromium), hash-wasm,
// @noble/hashes and WebCrypto's async `crypto.subtle.digest` (the browser's native code).

import * as h from '/dist/npm/hash/index.js';
import * as hw from '/node_modules/hash-wasm/dist/index.esm.js';
import * as sha2 from '/node_modules/@noble/hashes/sha2.js';
import * as sha3 from '/node_modules/@noble/hashes/sha3.js';
import * as blake2 from '/node_modules/@noble/hashes/blake2.js';
import * as blake3 from '/node_modules/@noble/hashes/blake3.js';
import * as legacy from '/node_modules/@noble/hashes/legacy.js';

import { BIG, KERNELS, makeInput, runHost } from './harness.mjs';
import { combine, hashWasm, nearnative, noble, webCrypto } from './impls.mjs';

/**
 * Runs the hash domain and resolves with the rows. `onLine(text)` gets progress lines and the
 * rows as JSON, so a driver can forward them as they come.
 */
export async function runBench({ quick = false, kernels = KERNELS, onLine = () => {} } = {}) {
  const features = h.features();
  if (features.flavor !== 'simd') throw new Error(`expected the simd128 build in Chromium, got ${JSON.stringify(features)}`);
  if (!crossOriginIsolated) onLine('warning: page is not cross-origin isolated; performance.now() is coarser');
  // The first 64 MiB one-shot grows the wasm memory; that one-time cost belongs to no kernel.
  h.digest('crc32', makeInput(BIG));
  const implsFor = combine(nearnative(h), hashWasm(hw), noble({ sha2, sha3, blake2, blake3, legacy }), webCrypto(crypto.subtle));
  return runHost({
    host: 'chromium', implsFor, quick, kernels,
    onRow: (row) => onLine(JSON.stringify(row)),
    onProgress: onLine,
  });
}
