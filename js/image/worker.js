// A module Web Worker of the pool: loads the same build as the page (`?flavor=`), runs one
// request at a time and reports the size of its Wasm memory after each job, so the pool can
// replace a worker whose memory grew past its limit (Wasm memory never shrinks).
import { loadEngine } from './loader.js';

const flavor = new URL(import.meta.url).searchParams.get('flavor') ?? 'auto';
const ready = loadEngine(flavor);

self.onmessage = async ({ data: { id, request } }) => {
  let engine;
  try {
    engine = await ready;
    const result = engine.execute(request);
    const transfer = result?.data instanceof Uint8Array ? [result.data.buffer] : [];
    if (result && typeof result === "object") result.build = engine.build;
    self.postMessage({ id, result, memory: engine.memoryBytes() }, transfer);
  } catch (err) {
    const error = { code: err?.code ?? 'internal', message: String(err?.message ?? err) };
    self.postMessage({ id, error, memory: engine ? engine.memoryBytes() : 0 });
  }
};
