// `node bench/image/encoders.mjs`: our encoders beside jSquash's on the same image, judged as
// users judge them: bytes out, and SSIM of the decoded output against the source. Prints one
// JSON object per encoder on stdout: {encoder, format, setting, bytes, bits_per_pixel, ssim}.
//
// Source: the bench photo (bench/image/harness.mjs `photo`, 4928×3279) reduced to 1600×1065
// with sharp's Lanczos3, which averages the generator's per-pixel grain into something closer
// to a photo's texture. Every output is decoded by sharp (libvips: libjpeg-turbo, libwebp), an
// independent decoder. SSIM: harness.mjs `ssim`, on BT.601 luma, mean over non-overlapping 8×8
// windows with uniform weights.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { luma, photo, ssim } from './harness.mjs';
import { findOurGlue } from './node-load.mjs';

const require = createRequire(import.meta.url);
const sharp = require('sharp');
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const W = 1600;
const H = 1065;

function emscripten(wasmPath) {
  const compiled = new WebAssembly.Module(readFileSync(wasmPath));
  return {
    instantiateWasm(imports, receive) {
      const instance = new WebAssembly.Instance(compiled, imports);
      receive(instance);
      return instance.exports;
    },
  };
}

async function decodeLuma(bytes) {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.width !== W || info.height !== H) throw new Error(`decoded ${info.width}x${info.height}, expected ${W}x${H}`);
  return luma(data, info.channels);
}

export async function compareEncoders() {
  const big = photo(4928, 3279);
  const source = await sharp(big, { raw: { width: 4928, height: 3279, channels: 4 } })
    .resize(W, H, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer();
  const sourceLuma = luma(source, 4);

  const glue = findOurGlue();
  if (!glue) throw new Error('dist/npm/image is not built');
  const ours = await import(pathToFileURL(glue).href);
  await ours.default({ module_or_path: readFileSync(glue.replace(/\.js$/, '_bg.wasm')) });
  const encodeOurs = (target) => {
    const job = JSON.stringify({ steps: [], target: { kind: 'encoded', ...target } });
    return ours.imageRunRgba(job, source, W, H, true, new Uint8Array(0), new Uint32Array(0)).data;
  };

  const base = join(ROOT, 'node_modules/@jsquash');
  const jpegEnc = await import('@jsquash/jpeg/encode.js');
  await jpegEnc.init(emscripten(join(base, 'jpeg/codec/enc/mozjpeg_enc.wasm')));
  const webpEnc = await import('@jsquash/webp/encode.js');
  await webpEnc.init(emscripten(join(base, 'webp/codec/enc/webp_enc_simd.wasm')));
  const imageData = { data: new Uint8ClampedArray(source.buffer, source.byteOffset, source.byteLength), width: W, height: H };

  const cases = [
    ['nearnative', 'jpeg', 'q80', () => encodeOurs({ format: 'jpeg', quality: 80 })],
    ['@jsquash/jpeg (mozjpeg)', 'jpeg', 'q80', async () => new Uint8Array(await jpegEnc.default(imageData, { quality: 80 }))],
    ['nearnative', 'webp', 'q80 lossy', () => encodeOurs({ format: 'webp', quality: 80 })],
    ['nearnative', 'webp', 'q90 lossy', () => encodeOurs({ format: 'webp', quality: 90 })],
    ['nearnative', 'webp', 'lossless (quality 100)', () => encodeOurs({ format: 'webp', quality: 100 })],
    ['@jsquash/webp (libwebp)', 'webp', 'q80 lossy', async () => new Uint8Array(await webpEnc.default(imageData, { quality: 80 }))],
    ['@jsquash/webp (libwebp)', 'webp', 'lossless', async () => new Uint8Array(await webpEnc.default(imageData, { lossless: 1 }))],
  ];
  const results = [];
  for (const [encoder, format, setting, encode] of cases) {
    try {
      const bytes = await encode();
      const score = ssim(sourceLuma, await decodeLuma(Buffer.from(bytes)), W, H);
      results.push({
        encoder, format, setting, image: `${W}x${H}`, bytes: bytes.length,
        bits_per_pixel: Math.round(((bytes.length * 8) / (W * H)) * 1000) / 1000, ssim: Math.round(score * 1e5) / 1e5,
      });
    } catch (err) {
      results.push({ encoder, format, setting, image: `${W}x${H}`, failed: String(err.message ?? err).split('\n')[0] });
    }
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  compareEncoders().then(
    (results) => results.forEach((r) => process.stdout.write(`${JSON.stringify(r)}\n`)),
    (err) => {
      process.stderr.write(`bench/image/encoders.mjs: ${err.stack ?? err}\n`);
      process.exit(1);
    },
  );
}
