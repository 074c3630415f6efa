// Host "chromium": the page side. Loads nearnative (the npm package, and its wasm-bindgen
// module for memory) from /dist and the peers from /node_modules through the static server
// (playground/serve.mjs), then runs bench/image/harness.mjs. Peers in the page: pica (Wasm and
// JS paths) and jSquash; photon-node and wasm-vips' Node build do not load in a page, and
// jimp 1.6's npm package ships no browser build (its dist/browser is a stub).

import * as pkg from '/dist/npm/image/index.js';

import { JOBS, TIMED_JOBS, config, jpegName, measureJob, photo } from './harness.mjs';
import { OUR_JOBS, entriesFor, jsquash, nearnativeFrame, nearnativePackage, pica } from './impls.mjs';

const GLUE = '/dist/npm/image/wasm/nearnative_image_simd.js';
const NOT_IN_PAGE = {
  '@silvia-odwyer/photon-node': 'photon-node is a Node build (fs, CommonJS); not loadable in a page',
  jimp: "jimp 1.6's npm package ships no browser build",
};

/** Peak memory of our module on `job`: a fresh instance (a fresh import of the glue). */
async function ourPeakMemory(job, input) {
  const glue = await import(`${GLUE}?fresh=${job}-${Math.random()}`);
  const exports = await glue.default({ module_or_path: GLUE.replace(/\.js$/, '_bg.wasm') });
  const text = JSON.stringify(OUR_JOBS[job]);
  const { width, height, jpeg } = JOBS[job];
  const none = new Uint8Array(0);
  if (jpeg) glue.imageRun(text, input, none, new Uint32Array(0));
  else glue.imageRunRgba(text, input, width, height, true, none, new Uint32Array(0));
  return exports.memory.buffer.byteLength;
}

async function loadJsquash() {
  const resize = await import('/node_modules/@jsquash/resize/index.js');
  const jpeg = await import('/node_modules/@jsquash/jpeg/decode.js');
  const webp = await import('/node_modules/@jsquash/webp/encode.js');
  const resizeExports = await resize.initResize();
  return jsquash({
    resize: resize.default, jpegDecode: (bytes) => jpeg.default(bytes), webpEncode: webp.default,
    // The codecs' Emscripten instances are not reachable from outside their modules here.
    memories: () => ({ codecs: [null], resize: resizeExports.memory }),
  });
}

/**
 * Runs the image jobs (the memory-target jobs are Node's) and resolves with the rows.
 * `onLine(text)` gets progress lines. JPEG inputs come from `/target-inputs/` (the driver routes it).
 */
export async function runBench({ quick = false, jobs = TIMED_JOBS, onLine = () => {} } = {}) {
  if (pkg.build !== 'simd128') throw new Error(`expected the simd128 build in Chromium, got ${pkg.build}`);
  const cfg = config(quick);
  const adapters = [nearnativePackage(pkg), nearnativeFrame(pkg)];
  const worker = nearnativePackage({ image: (input, options) => pkg.image(input, { ...options, inline: false }) });
  worker.impl = 'nearnative (worker pool)';
  adapters.push(worker);
  adapters.push(pica(window.pica, 'wasm'));
  // --quick: pica's Wasm path is the one peer; the full run adds its JS path and jSquash.
  if (!quick) {
    adapters.push(pica(window.pica, 'js'));
    try {
      adapters.push(await loadJsquash());
    } catch (err) {
      onLine(`@jsquash: cannot load: ${err.message}`);
    }
  }
  const rows = [];
  for (const job of jobs) {
    const spec = JOBS[job];
    const input = spec.jpeg
      ? new Uint8Array(await (await fetch(`/target-inputs/${jpegName(job)}`)).arrayBuffer())
      : photo(spec.width, spec.height);
    const entries = entriesFor(adapters, job);
    if (!quick) for (const [impl, why] of Object.entries(NOT_IN_PAGE)) entries.push({ impl, unsupported: why });
    const got = await measureJob({ host: 'chromium', job, input, entries, cfg, onProgress: onLine });
    for (const row of got) {
      if (row.impl === 'nearnative' && !row.failed) {
        try {
          row.memory_bytes = await ourPeakMemory(job, input);
        } catch (err) {
          row.memory_bytes = null;
          row.memory_note = `fresh-instance run failed: ${err.message}`;
        }
      } else if (!row.failed && ['pica (wasm)', '@jsquash'].includes(row.impl)) {
        row.memory_bytes = null;
      }
      rows.push(row);
    }
  }
  return rows;
}
