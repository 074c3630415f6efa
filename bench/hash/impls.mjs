// Adapters that give nearnative and each peer one shape, `{ impl, oneShot(data), stream?(data,
// chunk), async? }`, for bench/hash/harness.mjs. The modules are passed in, because Node imports
// them by package name and the page by URL under /node_modules and /dist.
//
// Each implementation is called the way its users call it, on its fastest documented path:
// - nearnative: the public one-shot `digest(name, bytes)`; streaming through `createHasher`.
// - hash-wasm: one hasher per algorithm made once by `createSHA256()` etc., then
//   `init().update(bytes).digest('binary')` per operation (its one-shot `await sha256(bytes)`
//   adds a Promise and a lock per call, so that would flatter nearnative).
// - @noble/hashes: `sha256(bytes)`; streaming through `sha256.create()`.
// - node:crypto: `crypto.hash(name, bytes, 'buffer')`; streaming through `createHash`.
// - webcrypto: `await crypto.subtle.digest('SHA-256', bytes)`, one awaited call after another.

function chunked(hasher, data, chunk) {
  for (let offset = 0; offset < data.length; offset += chunk) hasher.update(data.subarray(offset, offset + chunk));
  return hasher;
}

/** nearnative through its public API object (`import * as h from '.../index.js'` or `await h.load('scalar')`). */
export function nearnative(api, impl = 'nearnative') {
  return (kernel) => ({
    impl,
    oneShot: (data) => api.digest(kernel, data),
    stream: (data, chunk) => chunked(api.createHasher(kernel), data, chunk).digest(),
  });
}

const HASH_WASM = {
  sha1: (hw) => hw.createSHA1(),
  sha224: (hw) => hw.createSHA224(),
  sha256: (hw) => hw.createSHA256(),
  sha384: (hw) => hw.createSHA384(),
  sha512: (hw) => hw.createSHA512(),
  'sha3-256': (hw) => hw.createSHA3(256),
  'sha3-512': (hw) => hw.createSHA3(512),
  'blake2b-512': (hw) => hw.createBLAKE2b(512),
  'blake2s-256': (hw) => hw.createBLAKE2s(256),
  blake3: (hw) => hw.createBLAKE3(256),
  xxh64: (hw) => hw.createXXHash64(),
  'xxh3-64': (hw) => hw.createXXHash3(),
  'xxh3-128': (hw) => hw.createXXHash128(),
  crc32: (hw) => hw.createCRC32(),
  crc32c: (hw) => hw.createCRC32(0x82f63b78),
};

/** hash-wasm (the whole module namespace). */
export function hashWasm(hw) {
  return async (kernel) => {
    const make = HASH_WASM[kernel];
    if (!make) return null;
    const hasher = await make(hw);
    return {
      impl: 'hash-wasm',
      oneShot: (data) => hasher.init().update(data).digest('binary'),
      stream: (data, chunk) => chunked(hasher.init(), data, chunk).digest('binary'),
    };
  };
}

/** @noble/hashes; `mods` holds the namespaces of sha2.js, sha3.js, blake2.js, blake3.js, legacy.js. */
export function noble({ sha2, sha3, blake2, blake3, legacy }) {
  const table = {
    sha1: legacy.sha1, sha224: sha2.sha224, sha256: sha2.sha256, sha384: sha2.sha384, sha512: sha2.sha512,
    'sha3-256': sha3.sha3_256, 'sha3-512': sha3.sha3_512, 'blake2b-512': blake2.blake2b, 'blake2s-256': blake2.blake2s,
    blake3: blake3.blake3,
  };
  return (kernel) => {
    const fn = table[kernel];
    if (!fn) return null;
    return {
      impl: '@noble/hashes',
      oneShot: (data) => fn(data),
      stream: (data, chunk) => chunked(fn.create(), data, chunk).digest(),
    };
  };
}

const NODE_NAMES = {
  sha1: 'sha1', sha224: 'sha224', sha256: 'sha256', sha384: 'sha384', sha512: 'sha512', 'sha3-256': 'sha3-256',
  'sha3-512': 'sha3-512', 'blake2b-512': 'blake2b512', 'blake2s-256': 'blake2s256',
};

/** node:crypto (OpenSSL), the native reference in Node. */
export function nodeCrypto(crypto) {
  return (kernel) => {
    const name = NODE_NAMES[kernel];
    if (!name) return null;
    return {
      impl: 'node:crypto',
      oneShot: (data) => crypto.hash(name, data, 'buffer'),
      stream: (data, chunk) => chunked(crypto.createHash(name), data, chunk).digest(),
    };
  };
}

const WEBCRYPTO_NAMES = { sha1: 'SHA-1', sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' };

/** WebCrypto `crypto.subtle.digest` (the browser's native code), async: every call is awaited. */
export function webCrypto(subtle) {
  return (kernel) => {
    const name = WEBCRYPTO_NAMES[kernel];
    if (!name) return null;
    return { impl: 'webcrypto', async: true, oneShot: (data) => subtle.digest(name, data) };
  };
}

/** Combines adapters into the `implsFor(kernel)` that harness.runHost wants (reference first). */
export function combine(...adapters) {
  return async (kernel) => (await Promise.all(adapters.map((adapter) => adapter(kernel)))).filter(Boolean);
}
