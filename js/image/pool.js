// A pool of module Web Workers for browsers. No SharedArrayBuffer (so no COOP/COEP headers
// are needed): requests are posted, results are transferred back. A worker whose Wasm memory
// grew past `memoryLimit` after a job is terminated and replaced, because Wasm memory never
// shrinks; `stats().recycled` counts that and a `recycle` event is dispatched.
import { NearnativeError } from './errors.js';

const MiB = 1024 * 1024;

export class WorkerPool extends EventTarget {
  #workers = []; // { worker, job }
  #queue = [];
  #recycled = 0;
  #jobs = 0;
  #size;
  #memoryLimit;
  #url;

  constructor({ size, memoryLimit = 256 * MiB, url, flavor = 'auto' } = {}) {
    super();
    if (typeof Worker === 'undefined') throw new NearnativeError('unsupported', 'this host has no Web Worker; run jobs inline');
    const cores = globalThis.navigator?.hardwareConcurrency ?? 2;
    this.#size = size ?? Math.max(1, Math.min(4, cores - 1));
    this.#memoryLimit = memoryLimit;
    this.#url = url ?? new URL(`./worker.js?flavor=${flavor}`, import.meta.url);
  }

  configure({ size, memoryLimit } = {}) {
    if (size !== undefined) this.#size = Math.max(1, size);
    if (memoryLimit !== undefined) this.#memoryLimit = memoryLimit;
  }

  /** `{ workers, busy, queued, recycled, jobs, memoryLimit }`. */
  stats() {
    return {
      workers: this.#workers.length,
      busy: this.#workers.filter((w) => w.job).length,
      queued: this.#queue.length,
      recycled: this.#recycled,
      jobs: this.#jobs,
      memoryLimit: this.#memoryLimit,
    };
  }

  /** Runs one engine request in a worker; `transfer` lists buffers the caller gives away. */
  run(request, transfer = []) {
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, transfer, resolve, reject });
      this.#pump();
    });
  }

  terminate() {
    for (const { worker, job } of this.#workers) {
      worker.terminate();
      job?.reject(new NearnativeError('io', 'the worker pool was terminated'));
    }
    this.#workers = [];
    for (const job of this.#queue.splice(0)) job.reject(new NearnativeError('io', 'the worker pool was terminated'));
  }

  #pump() {
    while (this.#queue.length > 0) {
      let entry = this.#workers.find((w) => !w.job);
      if (!entry) {
        if (this.#workers.length >= this.#size) return;
        entry = this.#spawn();
      }
      const job = this.#queue.shift();
      entry.job = job;
      entry.worker.postMessage({ id: 0, request: job.request }, job.transfer);
    }
  }

  #spawn() {
    const entry = { worker: new Worker(this.#url, { type: 'module' }), job: null };
    entry.worker.onmessage = ({ data }) => {
      const job = entry.job;
      entry.job = null;
      this.#jobs++;
      if (data.error) job?.reject(new NearnativeError(data.error.code, data.error.message));
      else job?.resolve(data.result);
      if (data.memory > this.#memoryLimit) this.#retire(entry, data.memory);
      this.#pump();
    };
    entry.worker.onerror = (event) => {
      event.preventDefault?.();
      entry.job?.reject(new NearnativeError('internal', `an image worker failed: ${event.message ?? 'unknown error'}`));
      entry.job = null;
      this.#remove(entry);
      this.#pump();
    };
    this.#workers.push(entry);
    return entry;
  }

  #remove(entry) {
    entry.worker.terminate();
    this.#workers = this.#workers.filter((w) => w !== entry);
  }

  #retire(entry, memory) {
    this.#remove(entry);
    this.#recycled++;
    const detail = { memory, limit: this.#memoryLimit };
    this.dispatchEvent(typeof CustomEvent === 'function' ? new CustomEvent('recycle', { detail }) : new Event('recycle'));
  }
}
