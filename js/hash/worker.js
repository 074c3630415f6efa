// A module Web Worker that runs @nearnative/hash off the main thread. Spawn it with
// `spawnWorker()` from the package (or `new Worker(new URL('./worker.js', import.meta.url),
// { type: 'module' })`) and talk to it through that client.
import * as api from './index.js';

const running = new Map(); // id -> AbortController of a hashBlob in progress

// Blobs are read here, in the worker, so the page never holds a second copy of a big file.
const bytesOf = async (data) => (data instanceof Blob ? new Uint8Array(await data.arrayBuffer()) : data);

const methods = {
  features: () => api.features(),
  algorithms: () => api.algorithms(),
  digest: (algorithm, data) => api.digest(algorithm, data),
  hashBlob: (id, blob, { algorithms, progress }) => {
    const controller = new AbortController();
    running.set(id, controller);
    const onProgress = progress ? (p) => self.postMessage({ id, progress: p }) : undefined;
    return api.hashBlob(blob, { algorithms, onProgress, signal: controller.signal }).finally(() => running.delete(id));
  },
  hmac: api.hmac,
  hkdf: api.hkdf,
  pbkdf2Sha256: api.pbkdf2Sha256,
  argon2id: api.argon2id,
  'aead.seal': api.aead.seal,
  'aead.open': api.aead.open,
  'age.generateIdentity': api.age.generateIdentity,
  'age.encrypt': async (data, options) => api.age.encrypt(await bytesOf(data), options),
  'age.decrypt': async (data, options) => api.age.decrypt(await bytesOf(data), options),
  'age.toRecipients': api.age.toRecipients,
};

self.onmessage = async ({ data: { id, method, args, cancel } }) => {
  if (cancel !== undefined) return running.get(cancel)?.abort();
  try {
    const fn = methods[method];
    if (!fn) throw new api.NearnativeError('unsupported', `the worker has no method '${method}'`);
    const result = await (method === 'hashBlob' ? fn(id, ...args) : fn(...args));
    const transfer = result instanceof Uint8Array ? [result.buffer] : [];
    self.postMessage({ id, result }, transfer);
  } catch (err) {
    self.postMessage({ id, error: { code: err.code ?? 'internal', message: String(err.message ?? err) } });
  }
};
self.postMessage({ ready: true, features: api.features() });
