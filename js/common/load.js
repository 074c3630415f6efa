// Loading and flavour choice, the same in every @nearnative package (`cargo xtask build` copies
// js/common/ into each one). Wasm has no run-time CPU detection, so a package ships a simd128
// and a scalar build and picks one by asking the engine to validate a tiny module that uses a
// simd128 instruction.

const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export function engineHasSimd() {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

export const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof Deno === 'undefined';

// Node 20's fetch cannot read file: URLs, so in Node the bytes are read from disk and handed in.
async function wasmSource(url) {
  if (isNode && url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    return readFile(url);
  }
  return url;
}

/**
 * Instantiates one wasm-bindgen module. `glue` is the generated ES module; `url` the .wasm
 * beside it. A caller may pass its own source (bytes, a Response, or a compiled
 * WebAssembly.Module as Workers require).
 */
export async function instantiate(glue, url, source) {
  if (source instanceof WebAssembly.Module) {
    glue.initSync({ module: source });
  } else {
    await glue.default({ module_or_path: source ?? (await wasmSource(url)) });
  }
  return glue;
}
