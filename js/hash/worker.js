// A module Web Worker that runs @nearnative/hash off the main thread. Spawn it with
// `spawnWorker()` from the package (or `new Worker(new URL('./worker.js', import.meta.url),
// { type: 'module' })`) and talk to it through that client.
import * as api from './index.js';

const methods = {
  features: () => api.features(),
  digest: (algorithm, data) => api.digest(algorithm, data),
  hashBlob: (id, blob, options) =>
    api.hashBlob(blob, { ...options, onProgress: (p) => self.postMessage({ id, progress: p }) }),
  hmac: api.hmac,
  hkdf: api.hkdf,
  pbkdf2Sha256: api.pbkdf2Sha256,
  argon2id: api.argon2id,
  'aead.seal': api.aead.seal,
  'aead.open': api.aead.open,
  'age.generateIdentity': api.age.generateIdentity,
  'age.encrypt': api.age.encrypt,
  'age.decrypt': api.age.decrypt,
  'age.toRecipients': api.age.toRecipients,
};

self.onmessage = async ({ data: { id, method, args } }) => {
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
