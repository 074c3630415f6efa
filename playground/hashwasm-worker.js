// The peer side of the throughput comparison: hash-wasm in a module Web Worker, doing exactly
// what @nearnative/hash's worker does for hashBlob: read the Blob as a stream, update a
// streaming hasher with every chunk, send the digest back.
import {
  createBLAKE2b, createBLAKE3, createCRC32, createSHA1, createSHA256, createSHA3, createSHA512, createXXHash3,
} from '/node_modules/hash-wasm/dist/index.esm.js';

const FACTORIES = {
  sha1: () => createSHA1(),
  sha256: () => createSHA256(),
  sha512: () => createSHA512(),
  'sha3-256': () => createSHA3(256),
  'blake2b-512': () => createBLAKE2b(512),
  blake3: () => createBLAKE3(256),
  'xxh3-64': () => createXXHash3(),
  crc32: () => createCRC32(),
};

// Hashers are created (and their Wasm compiled) once, before any timing.
const hashers = new Map();
async function hasher(algorithm) {
  if (!hashers.has(algorithm)) {
    const make = FACTORIES[algorithm];
    if (!make) throw Object.assign(new Error(`hash-wasm is not wired for '${algorithm}' here`), { code: 'unsupported' });
    hashers.set(algorithm, await make());
  }
  return hashers.get(algorithm);
}

const methods = {
  async prepare(algorithms) {
    for (const name of algorithms) (await hasher(name)).init().update(new Uint8Array(64)).digest('hex');
    return algorithms;
  },
  async hashBlob(blob, algorithm) {
    const h = (await hasher(algorithm)).init();
    const reader = blob.stream().getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      h.update(value);
    }
    return h.digest('hex');
  },
};

self.onmessage = async ({ data: { id, method, args } }) => {
  try {
    self.postMessage({ id, result: await methods[method](...args) });
  } catch (err) {
    self.postMessage({ id, error: { code: err.code ?? 'internal', message: String(err.message ?? err) } });
  }
};
self.postMessage({ ready: true });
