// Loads one implementation of the image jobs in Node, ready to run: each loader makes a fresh
// instance of its Wasm (bench/image/memory.mjs relies on that, one process per measurement).
// Node 20 cannot fetch file: URLs, so every Wasm module is handed its bytes.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import * as impls from './impls.mjs';

const require = createRequire(import.meta.url);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const NODE_IMPLS = [
  'nearnative', 'nearnative (frame)', '@silvia-odwyer/photon-node', 'pica (wasm)', 'pica (js)', 'jimp', '@jsquash', 'wasm-vips', 'sharp',
];

if (!globalThis.ImageData) {
  // What @jsquash/resize constructs its result with (the browser's class, reduced to its fields).
  globalThis.ImageData = class ImageData {
    constructor(data, width, height) {
      this.data = data;
      this.width = width;
      this.height = height;
    }
  };
}

/**
 * Our wasm-bindgen glue: the simd128 build of the npm package dist/npm/image (any `.js` beside a
 * `_bg.wasm` exporting `imageRun`), or the file named by NEARNATIVE_IMAGE_GLUE.
 */
export function findOurGlue() {
  if (process.env.NEARNATIVE_IMAGE_GLUE) return process.env.NEARNATIVE_IMAGE_GLUE;
  const dir = join(ROOT, 'dist/npm/image');
  if (!existsSync(dir)) return null;
  const found = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('_bg.wasm')) {
        const js = path.replace(/_bg\.wasm$/, '.js');
        if (existsSync(js) && readFileSync(js, 'utf8').includes('imageRun')) found.push(js);
      }
    }
  };
  walk(dir);
  found.sort((a, b) => Number(/scalar/.test(a)) - Number(/scalar/.test(b)));
  return found[0] ?? null;
}

/** The raw exports (a fresh instance each call): what memory.mjs measures for `nearnative`. */
export async function loadNearnativeGlue() {
  const glue = findOurGlue();
  if (!glue) throw new Error('dist/npm/image is not built (cargo xtask build), and NEARNATIVE_IMAGE_GLUE is not set');
  const mod = await import(pathToFileURL(glue).href);
  const exports = await mod.default({ module_or_path: readFileSync(glue.replace(/\.js$/, '_bg.wasm')) });
  return impls.nearnative(mod, exports);
}

/** The npm package as users call it (runs inline in Node: there is no worker pool there). */
export async function loadNearnative() {
  const index = join(ROOT, 'dist/npm/image/index.js');
  if (!existsSync(index)) throw new Error('dist/npm/image is not built (cargo xtask build)');
  return impls.nearnativePackage(await import(pathToFileURL(index).href));
}

/** An Emscripten factory instantiated from its own .wasm bytes; resolves with (module, instance). */
function emscriptenOptions(wasmPath, captured) {
  const compiled = new WebAssembly.Module(readFileSync(wasmPath));
  return {
    instantiateWasm(imports, receive) {
      const instance = new WebAssembly.Instance(compiled, imports);
      captured.push(instance);
      receive(instance);
      return instance.exports;
    },
  };
}

const memoryOf = (instance) => Object.values(instance.exports).find((v) => v instanceof WebAssembly.Memory);

export async function load(name) {
  switch (name) {
    case 'nearnative':
      return loadNearnative();
    case 'nearnative (frame)': {
      const index = join(ROOT, 'dist/npm/image/index.js');
      if (!existsSync(index)) throw new Error('dist/npm/image is not built (cargo xtask build)');
      return impls.nearnativeFrame(await import(pathToFileURL(index).href));
    }
    case 'nearnative-glue':
      return loadNearnativeGlue();
    case '@silvia-odwyer/photon-node':
      return impls.photon(require('@silvia-odwyer/photon-node'));
    case 'pica (wasm)':
      return impls.pica(require('pica'), 'wasm');
    case 'pica (js)':
      return impls.pica(require('pica'), 'js');
    case 'jimp':
      return impls.jimp(await import('jimp'));
    case '@jsquash': {
      const base = join(ROOT, 'node_modules/@jsquash');
      const captured = [];
      const jpegDec = await import('@jsquash/jpeg/decode.js');
      await jpegDec.init(emscriptenOptions(join(base, 'jpeg/codec/dec/mozjpeg_dec.wasm'), captured));
      const webpEnc = await import('@jsquash/webp/encode.js');
      await webpEnc.init(emscriptenOptions(join(base, 'webp/codec/enc/webp_enc_simd.wasm'), captured));
      const resize = await import('@jsquash/resize');
      const resizeExports = await resize.initResize(readFileSync(join(base, 'resize/lib/resize/pkg/squoosh_resize_bg.wasm')));
      return impls.jsquash({
        resize: resize.default,
        jpegDecode: (bytes) => jpegDec.default(bytes),
        webpEncode: webpEnc.default,
        memories: () => ({ codecs: captured.map(memoryOf), resize: resizeExports.memory }),
      });
    }
    case 'wasm-vips': {
      // wasm-vips keeps its (shared) memory to itself; catch it as its glue creates it.
      const created = [];
      const Original = WebAssembly.Memory;
      WebAssembly.Memory = class extends Original {
        constructor(...args) {
          super(...args);
          created.push(this);
        }
      };
      try {
        const vips = await require('wasm-vips')();
        vips.concurrency(1);
        return impls.wasmVips(vips, () => created);
      } finally {
        WebAssembly.Memory = Original;
      }
    }
    case 'sharp':
      return impls.sharp(require('sharp'));
    default:
      throw new Error(`unknown implementation '${name}'; choose from ${NODE_IMPLS.join(', ')}`);
  }
}
