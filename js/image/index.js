// @nearnative/image: a sharp-shaped image pipeline, Rust (crates/image) compiled to Wasm.
//   import image from '@nearnative/image';
//   const webp = await image(bytes).rotate().resize(800, 600, { fit: 'cover' }).webp().toBuffer();
// Browsers run jobs in a pool of module workers by default; Node (and `{ inline: true }`) on
// the calling thread. The simd128 or the scalar build is picked by feature detection.
import { NearnativeError, invalid, unsupported } from './errors.js';
import { isNode } from './load.js';
import { Frame } from './frame.js';
import { bestFlavor, loadEngine } from './loader.js';
import { BLENDS, Pipeline, blankSamples, bytesOf, isBlob, isBytes, parseColour, pixelLimit, rawSamples, widenToRgba } from './pipeline.js';
import { WorkerPool } from './pool.js';

const MiB = 1024 * 1024;
const hasWorkers = !isNode && typeof Worker !== 'undefined';
// memoryLimit: bytes of Wasm memory past which an instance is replaced after its job (the
// pool's workers, and the calling thread's instance).
const settings = { workers: hasWorkers ? undefined : 0, flavor: 'auto', memoryLimit: 256 * MiB };

const FLAVORS = ['auto', 'simd', 'scalar'];
let enginePromise;
const engine = () => (enginePromise ??= loadEngine(settings.flavor));

/** The browser worker pool (null where there is no Web Worker, e.g. Node). */
export const pool = hasWorkers ? new WorkerPool({ memoryLimit: settings.memoryLimit }) : null;

/**
 * `workers`: pool size (0 = run every job on the calling thread); `memoryLimit`: bytes of
 * Wasm memory after which a pool worker, or the calling thread's instance, is replaced after
 * its job; `flavor`: 'auto' | 'simd' | 'scalar' for inline jobs (set before the first job).
 */
export function configure({ workers, memoryLimit, flavor } = {}) {
  // Every value is checked before any takes effect, so a call that throws changes nothing.
  if (workers !== undefined) {
    if (!Number.isInteger(workers) || workers < 0) throw invalid(`configure(): workers must be an integer ≥ 0, got ${workers}`);
    if (workers > 0 && !pool) throw unsupported('configure(): this host has no Web Worker pool (Node runs jobs inline)');
  }
  if (memoryLimit !== undefined && (typeof memoryLimit !== 'number' || !(memoryLimit > 0))) {
    throw invalid(`configure(): memoryLimit must be a number of bytes above 0, got ${memoryLimit}`);
  }
  if (flavor !== undefined) {
    if (!FLAVORS.includes(flavor)) throw invalid(`configure(): flavor must be one of ${FLAVORS.join(', ')}, got ${flavor}`);
    if (enginePromise) throw invalid('configure(): the flavour is fixed once a job has run inline');
  }
  if (workers !== undefined) {
    settings.workers = workers;
    if (workers > 0) pool.configure({ size: workers });
  }
  if (memoryLimit !== undefined) {
    settings.memoryLimit = memoryLimit;
    pool?.configure({ memoryLimit });
  }
  if (flavor !== undefined) settings.flavor = flavor;
}

/** `{ simd128, threads, version, flavor, build }` of the build that runs inline jobs. */
export async function features() {
  return (await engine()).features();
}

const buildOf = (flavor) => (flavor === 'simd' ? 'simd128' : 'scalar');

/** 'simd128' or 'scalar': what feature detection picks on this engine. */
export const build = buildOf(bestFlavor());

/** The build inline jobs run: feature detection's, unless configure() chose a flavour. */
const inlineBuild = () => buildOf(settings.flavor === 'auto' ? bestFlavor() : settings.flavor);

const isImageData = (v) => (typeof ImageData !== 'undefined' && v instanceof ImageData)
  || (v && v.data instanceof Uint8ClampedArray && Number.isInteger(v.width) && Number.isInteger(v.height));
const isDrawable = (v) => ['ImageBitmap', 'OffscreenCanvas', 'HTMLCanvasElement', 'HTMLImageElement', 'VideoFrame']
  .some((name) => typeof globalThis[name] === 'function' && v instanceof globalThis[name]);


/** Node: the bytes at a file path (sharp's `sharp('in.jpg')`), or `io` naming the path. */
async function readPath(path, what) {
  if (!isNode) throw unsupported(`${what} '${path}': file paths need Node; in a browser pass the bytes or a Blob`);
  const { readFile } = await import('node:fs/promises');
  try {
    const bytes = await readFile(path);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (err) {
    throw new NearnativeError('io', `${path}: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message}`);
  }
}

/** `{ input, transfer }`: bytes or RGBA8 pixels, and the buffers we own and may transfer. */
async function resolveInput(value, options) {
  if (typeof value === 'string') value = await readPath(value, 'image input');
  if (options.raw) {
    const { width, height, channels } = options.raw;
    // As sharp: samples past width × height × channels (a slice of a pooled or padded buffer)
    // are ignored; too few is an error.
    const pixels = rawSamples(bytesOf(value, 'raw input'), width, height, channels, 'raw input');
    // Whether sharp would see an alpha band, whatever its values: it shapes raw() output.
    const alpha = channels === 2 || channels === 4;
    if (channels === 4) return { input: { rgba: pixels, width, height, alpha }, transfer: [] };
    const rgba = widenToRgba(pixels, channels);
    // Grey samples stay one band (plus alpha) in sharp's stats().
    return { input: { rgba, width, height, alpha, grey: channels <= 2 }, transfer: [rgba.buffer] };
  }
  if (isBlob(value)) {
    const bytes = new Uint8Array(await value.arrayBuffer());
    return { input: { bytes }, transfer: [bytes.buffer] };
  }
  if (isImageData(value)) {
    const { data, width, height } = value;
    return { input: { rgba: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height }, transfer: [] };
  }
  if (isDrawable(value)) {
    if (typeof OffscreenCanvas === 'undefined') throw unsupported('drawing an image source needs OffscreenCanvas');
    const width = value.width ?? value.displayWidth;
    const height = value.height ?? value.displayHeight;
    const ctx = new OffscreenCanvas(width, height).getContext('2d');
    ctx.drawImage(value, 0, 0);
    const { data } = ctx.getImageData(0, 0, width, height);
    const rgba = new Uint8Array(data.buffer);
    return { input: { rgba, width, height }, transfer: [rgba.buffer] };
  }
  return { input: { bytes: bytesOf(value, 'image input') }, transfer: [] };
}

async function resolveOverlays(overlays) {
  return Promise.all(overlays.map(async (o) => {
    if (typeof o === 'string') return readPath(o, 'composite input');
    return isBlob(o) ? new Uint8Array(await o.arrayBuffer()) : bytesOf(o, 'composite input');
  }));
}

/** Runs one engine request inline or in the pool; returns `{ result, build }`. */
async function execute(request, transfer, inline) {
  if (inline || !pool || settings.workers === 0) {
    const e = await engine();
    try {
      return { result: e.execute(request), build: e.build };
    } finally {
      // The result was copied out of Wasm memory, so the instance may go.
      e.recycleIfGrown(settings.memoryLimit);
    }
  }
  const result = await pool.run(request, transfer);
  return { result, build: result?.build ?? build };
}

const toNodeBuffer = (data) => (isNode && typeof Buffer !== 'undefined' ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : data);

/** sharp's interpretation of a file: 'b-w' for grey, 'rgb16'/'grey16' past 8 bits. */
function space({ channels, bitDepth }) {
  const grey = channels <= 2;
  if (bitDepth > 8) return grey ? 'grey16' : 'rgb16';
  return grey ? 'b-w' : 'srgb';
}

function sharpMetadata(info, { build: ran, size }) {
  const swap = info.orientation >= 5;
  return {
    format: info.format, size, width: swap ? info.height : info.width, height: swap ? info.width : info.height,
    space: space(info), channels: info.channels, depth: info.bitDepth > 8 ? 'ushort' : 'uchar', bitsPerSample: info.bitDepth,
    hasAlpha: info.hasAlpha, orientation: info.orientation, isProgressive: info.progressive, isPalette: info.palette,
    autoOrient: { width: info.width, height: info.height }, build: ran,
  };
}

async function runPipeline(kind, { input: value, options, job, overlays }) {
  const inline = !!options.inline;
  const { input, transfer } = await resolveInput(value, options);
  if (kind === 'metadata' && input.rgba) {
    const ran = inline || !pool || settings.workers === 0 ? (await engine()).build : build;
    // Raw samples as given, or the RGBA of ImageData and drawables. Like sharp, an alpha band
    // is an alpha band whatever its values.
    const channels = options.raw?.channels ?? 4;
    return { format: 'raw', size: input.width * input.height * channels, width: input.width, height: input.height, space: space({ channels, bitDepth: 8 }), channels, depth: 'uchar', bitsPerSample: 8, hasAlpha: channels === 2 || channels === 4, orientation: 1, isProgressive: false, isPalette: false, autoOrient: { width: input.width, height: input.height }, build: ran };
  }
  // Read before the bytes may be transferred (and detached) to a pool worker.
  const size = input.bytes?.length;
  const request = { kind, job, input, overlays: await resolveOverlays(overlays) };
  const { result, build: ran } = await execute(request, transfer, inline);
  if (kind === 'metadata') return sharpMetadata(result, { build: ran, size });
  if (kind === 'stats') return result;
  return { data: toNodeBuffer(result.data), info: result.info };
}

/** sharp's constructor: `image(input, { raw, limitInputPixels, autoOrient, inline })`. */
export function image(input, options) {
  if (input === undefined) throw unsupported('image() without input (sharp\'s stream mode) is not supported; pass the bytes');
  if (input !== null && typeof input === 'object' && 'create' in input) return created(input, options);
  // Checked here, as sharp's constructor throws, rather than when the job runs.
  const readable = typeof input === 'string' || isBytes(input) || isBlob(input) || isImageData(input) || isDrawable(input);
  if (!readable) {
    const got = input === null ? 'null' : typeof input === 'object' ? (input.constructor?.name ?? 'object') : typeof input;
    throw invalid(`image(): unsupported input (${got}); pass a Uint8Array, Buffer, ArrayBuffer, Blob, ImageData, ImageBitmap, OffscreenCanvas, { create } or, in Node, a file path`);
  }
  return new Pipeline(input, options, runPipeline);
}

/**
 * sharp's `{ create: { width, height, channels, background } }`: a blank image, handed on as
 * raw pixels of that many channels (so raw() output keeps sharp's bands).
 */
function created(input, options) {
  options ??= {};
  const keys = Object.keys(input).filter((k) => input[k] !== undefined);
  if (keys.length !== 1) throw unsupported(`image({ create }): only 'create' is supported beside it, got ${keys.join(', ')}`);
  const { pixels, width, height, channels } = blankSamples(input.create, 'image({ create })', pixelLimit(options.limitInputPixels));
  const { raw, ...rest } = options;
  if (raw !== undefined) throw invalid('image(): give either raw or create, not both');
  return new Pipeline(pixels, { ...rest, raw: { width, height, channels } }, runPipeline);
}

/**
 * RGBA8 pixels kept in Wasm memory on the calling thread between jobs (frame.js): copy pixels
 * in through `frame.pixels().set(rgba)`, run steps in place with `frame.apply((p) => ...)`,
 * read the result through `frame.imageData()`. `limitInputPixels` as in image().
 */
export async function frame(width, height, { limitInputPixels } = {}) {
  const n = (v, what) => {
    if (!Number.isInteger(v) || v < 1) throw invalid(`frame(): ${what} must be an integer ≥ 1, got ${v}`);
    return v;
  };
  const maxPixels = pixelLimit(limitInputPixels, 'frame(): limitInputPixels');
  return new Frame(await engine(), n(width, 'width'), n(height, 'height'), maxPixels);
}

/**
 * The CLI/HTTP vocabulary: `transform(bytes, 'resize=800x&fit=cover&format=webp')` (a string,
 * URLSearchParams or [name, value] pairs). Resolves to `{ data, info }`.
 */
export async function transform(input, query, { inline = false } = {}) {
  let pairs;
  if (typeof query === 'string') pairs = [...new URLSearchParams(query.replace(/^\?/, ''))];
  else if (query instanceof URLSearchParams) pairs = [...query];
  else if (Array.isArray(query)) pairs = query.map(([k, v = '']) => [String(k), String(v)]);
  else throw invalid('transform(): query must be a string, URLSearchParams or [name, value] pairs');
  const resolved = await resolveInput(input, {});
  if (!resolved.input.bytes) throw unsupported('transform() takes an encoded image; use image() for pixels');
  const { result } = await execute({ kind: 'transform', input: resolved.input, pairs: pairs.flat() }, resolved.transfer, inline);
  return { data: toNodeBuffer(result.data), info: result.info };
}

/** The step names `transform()` understands (`[{ name, takesValue, optionalValue }]`). */
export async function vocabulary() {
  return (await engine()).vocabulary();
}

/** Test hook: makes the inline instance trap, to prove it is reset and keeps working. */
export async function __trapForTests() {
  (await engine()).execute({ kind: 'trap' });
}

// sharp's static constants, so code written as `{ fit: sharp.fit.cover }` or
// `gravity: sharp.gravity.southeast` runs unchanged (values as in sharp 0.35).
const SHARP_CONSTANTS = {
  fit: { contain: 'contain', cover: 'cover', fill: 'fill', inside: 'inside', outside: 'outside' },
  kernel: { nearest: 'nearest', linear: 'linear', cubic: 'cubic', mitchell: 'mitchell', lanczos2: 'lanczos2', lanczos3: 'lanczos3', mks2013: 'mks2013', mks2021: 'mks2021' },
  gravity: { center: 0, centre: 0, north: 1, east: 2, south: 3, west: 4, northeast: 5, southeast: 6, southwest: 7, northwest: 8 },
  position: { top: 1, right: 2, bottom: 3, left: 4, 'right top': 5, 'right bottom': 6, 'left bottom': 7, 'left top': 8 },
  strategy: { entropy: 16, attention: 17 },
  align: { left: 'low', top: 'low', low: 'low', center: 'centre', centre: 'centre', right: 'high', bottom: 'high', high: 'high' },
  blend: BLENDS,
  colourspace: { multiband: 'multiband', 'b-w': 'b-w', bw: 'b-w', cmyk: 'cmyk', srgb: 'srgb' },
  bool: { and: 'and', or: 'or', eor: 'eor' },
};
SHARP_CONSTANTS.colorspace = SHARP_CONSTANTS.colourspace;

// sharp.format in sharp's shape, describing this package: the formats it reads and writes,
// file paths in Node only (toFile() picks the format from these suffixes), no streams.
SHARP_CONSTANTS.format = Object.fromEntries([
  ['jpeg', ['.jpg', '.jpeg'], ['jpg']], ['png', ['.png'], []], ['webp', ['.webp'], []],
  ['gif', ['.gif'], []], ['qoi', ['.qoi'], []], ['bmp', ['.bmp'], []],
].map(([id, fileSuffix, alias]) => [id, {
  id,
  input: { file: isNode, buffer: true, stream: false, fileSuffix },
  output: { file: isNode, buffer: true, stream: false, alias },
}]));
SHARP_CONSTANTS.format.raw = { id: 'raw', input: { file: false, buffer: true, stream: false }, output: { file: false, buffer: true, stream: false } };

/**
 * sharp's global knobs that change no output. There is no operation cache to size or clear,
 * and each job runs on one thread, so `cache()` reports an empty cache and `concurrency()` 1
 * whatever they are given; `simd()` says whether the simd128 build runs.
 */
const SHARP_KNOBS = {
  cache: () => ({ memory: { current: 0, high: 0, max: 0 }, files: { current: 0, max: 0 }, items: { current: 0, max: 0 } }),
  concurrency: () => 1,
  simd: () => inlineBuild() === 'simd128',
  counters: () => ({ queue: pool?.stats().queued ?? 0, process: pool?.stats().busy ?? 0 }),
};

Object.assign(image, SHARP_CONSTANTS, SHARP_KNOBS, { configure, features, frame, transform, vocabulary, pool, build, parseColour, NearnativeError });
export { Frame, NearnativeError, Pipeline, parseColour };
export default image;
