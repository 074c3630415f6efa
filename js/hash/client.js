import { NearnativeError } from './api.js';

/**
 * Starts a module Web Worker running this package and returns a promise-based client:
 * `await w.hashBlob(file, { algorithms: ['sha256', 'blake3'], onProgress })`,
 * `await w.call('age.encrypt', fileOrBytes, { recipients })`, `w.terminate()`. `ready` resolves
 * with the worker's `features()`. Blobs passed to age.encrypt/decrypt are read in the worker.
 */
export function spawnWorker({ url = new URL('./worker.js', import.meta.url) } = {}) {
  if (typeof Worker === 'undefined') {
    throw new NearnativeError('unsupported', 'this host has no Web Worker; call the functions directly instead');
  }
  const worker = new Worker(url, { type: 'module' });
  const pending = new Map();
  let next = 1;
  let readyResolve, readyReject;
  const ready = new Promise((resolve, reject) => ((readyResolve = resolve), (readyReject = reject)));
  worker.onerror = (event) => {
    const err = new NearnativeError('internal', `the worker failed: ${event.message ?? 'unknown error'}`);
    readyReject(err);
    for (const { reject } of pending.values()) reject(err);
    pending.clear();
  };
  worker.onmessage = ({ data }) => {
    if (data.ready) return readyResolve(data.features);
    const entry = pending.get(data.id);
    if (!entry) return;
    if (data.progress) return entry.onProgress?.(data.progress);
    pending.delete(data.id);
    if (data.error) entry.reject(new NearnativeError(data.error.code, data.error.message));
    else entry.resolve(data.result);
  };
  function call(method, ...args) {
    return ready.then(
      () => new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, method, args });
      }),
    );
  }
  return {
    ready,
    call,
    /** Hashes a Blob/File in the worker; `signal` cancels it (the promise rejects with code `io`). */
    hashBlob(blob, { algorithms = ['blake3'], onProgress, signal } = {}) {
      return ready.then(
        () => new Promise((resolve, reject) => {
          const id = next++;
          pending.set(id, { resolve, reject, onProgress });
          signal?.addEventListener('abort', () => worker.postMessage({ cancel: id }), { once: true });
          worker.postMessage({ id, method: 'hashBlob', args: [blob, { algorithms, progress: !!onProgress }] });
        }),
      );
    },
    terminate() {
      worker.terminate();
      for (const { reject } of pending.values()) reject(new NearnativeError('io', 'the worker was terminated'));
      pending.clear();
    },
  };
}
