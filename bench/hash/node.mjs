// Host "node": `node bench/hash/node.mjs [--quick] [--kernel NAME]...` prints one JSON row per
// line on stdout (DESIGN.md "Benchmark results format"), progress on stderr.
// Implementations: nearnative (the simd128 build the package picks), nearnative-scalar,
// hash-wasm, @noble/hashes and node:crypto (OpenSSL, the native reference).

import * as crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

import * as hw from 'hash-wasm';
import * as sha2 from '@noble/hashes/sha2.js';
import * as sha3 from '@noble/hashes/sha3.js';
import * as blake2 from '@noble/hashes/blake2.js';
import * as blake3 from '@noble/hashes/blake3.js';
import * as legacy from '@noble/hashes/legacy.js';

import { BIG, KERNELS, makeInput, runHost, sinkValue } from './harness.mjs';
import { combine, hashWasm, nearnative, nodeCrypto, noble } from './impls.mjs';

const PACKAGE = new URL('../../dist/npm/hash/index.js', import.meta.url);

function parseArgs(argv) {
  const options = { quick: false, kernels: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') options.quick = true;
    else if (argv[i] === '--kernel') options.kernels.push(argv[++i]);
    else throw new Error(`unknown argument '${argv[i]}'; usage: node bench/hash/node.mjs [--quick] [--kernel NAME]...`);
  }
  for (const k of options.kernels) if (!KERNELS.includes(k)) throw new Error(`unknown kernel '${k}'; choose from ${KERNELS.join(', ')}`);
  if (!options.kernels.length) options.kernels = KERNELS;
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const h = await import(PACKAGE.href);
  if (h.features().flavor !== 'simd') throw new Error(`expected the simd128 build in Node, got ${JSON.stringify(h.features())}`);
  const scalar = await h.load('scalar');
  // The first 64 MiB one-shot grows the wasm memory; that one-time cost belongs to no kernel.
  const big = makeInput(BIG);
  h.digest('crc32', big);
  scalar.digest('crc32', big);
  const implsFor = combine(
    nearnative(h), nearnative(scalar, 'nearnative-scalar'), hashWasm(hw), noble({ sha2, sha3, blake2, blake3, legacy }),
    nodeCrypto(crypto),
  );
  await runHost({
    host: 'node', implsFor, quick: options.quick, kernels: options.kernels,
    onRow: (row) => process.stdout.write(`${JSON.stringify(row)}\n`),
    onProgress: (line) => process.stderr.write(`${line}\n`),
  });
  process.stderr.write(`[node] done (sink ${sinkValue()})\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`bench/hash/node.mjs: ${err.stack ?? err}\n`);
    process.exit(1);
  });
}
