// The sharp-shaped chain. Each method appends a step to ONE job object (the serde form of
// nearnative_image::Job); toBuffer()/stats() send that job, the input and the overlays into
// Wasm in one call. Options sharp has and we do not throw `unsupported` instead of being
// ignored. Steps run in the order they are called (sharp reorders some of them).

import { NearnativeError, invalid, unsupported } from './errors.js';
import { isNode } from './load.js';
import { CSS_COLOURS } from './css-colours.js';

const KERNELS = { nearest: 'nearest', linear: 'bilinear', cubic: 'bicubic', mitchell: 'mitchell', lanczos3: 'lanczos3' };
/** sharp's kernels this package does not have: refused as unsupported, not as unknown. */
const SHARP_ONLY_KERNELS = ['lanczos2', 'mks2013', 'mks2021'];
const FITS = ['cover', 'contain', 'fill', 'inside', 'outside'];
const FORMATS = { png: 'png', jpeg: 'jpeg', jpg: 'jpeg', webp: 'webp', gif: 'gif', qoi: 'qoi', bmp: 'bmp' };
const SHARP_ONLY_FORMATS = ['avif', 'heif', 'heic', 'tiff', 'tif', 'jp2', 'jxl', 'svg', 'pdf', 'dz', 'magick', 'fits'];
/** sharp's blend names (and its `color-` spellings) to the names jobs use. */
export const BLENDS = Object.fromEntries(['clear', 'source', 'over', 'in', 'out', 'atop', 'dest', 'dest-over', 'dest-in', 'dest-out', 'dest-atop', 'xor', 'add', 'saturate', 'multiply', 'screen', 'overlay', 'darken', 'lighten', 'colour-dodge', 'color-dodge', 'colour-burn', 'color-burn', 'hard-light', 'soft-light', 'difference', 'exclusion'].map((b) => [b, b.replace('color-', 'colour-')]));
const GRAVITIES = ['centre', 'north', 'northeast', 'east', 'southeast', 'south', 'southwest', 'west', 'northwest'];
// sharp.gravity's numbers (0 = centre, 1 = north, ...), which sharp's composite() also takes.
const GRAVITY_NUMBERS = ['centre', 'north', 'east', 'south', 'west', 'northeast', 'southeast', 'southwest', 'northwest'];

// sharp.position's names and sharp.strategy's numbers, beside the gravities.
const POSITION_NAMES = { top: 'north', right: 'east', bottom: 'south', left: 'west', 'right top': 'northeast', 'right bottom': 'southeast', 'left bottom': 'southwest', 'left top': 'northwest' };
const STRATEGY_NUMBERS = { 16: 'entropy', 17: 'attention' };

/** sharp's resize `position`: a gravity, a position name or a strategy, by name or number. */
function resizePosition(value) {
  const name = Number.isInteger(value)
    ? GRAVITY_NUMBERS[value] ?? STRATEGY_NUMBERS[value]
    : value === 'center' ? 'centre' : POSITION_NAMES[value] ?? value;
  if (!GRAVITIES.includes(name) && name !== 'entropy' && name !== 'attention') {
    throw invalid(`resize(): position ${JSON.stringify(value)} is not a position; use a gravity (${GRAVITIES.join(', ')}), ${Object.keys(POSITION_NAMES).map((p) => `'${p}'`).join(', ')}, 'entropy', 'attention' or their sharp numbers`);
  }
  return name;
}

/** Throws `unsupported` for option keys outside `allowed`. */
function only(options, allowed, where) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') throw invalid(`${where}: options must be an object`);
  for (const key of Object.keys(options)) {
    if (options[key] !== undefined && !allowed.includes(key)) {
      throw unsupported(`${where}: the sharp option '${key}' is not supported by @nearnative/image (supported: ${allowed.join(', ') || 'none'})`);
    }
  }
  return options;
}

/**
 * sharp's rule: `palette: true`, or any of `colours`/`colors`/`dither` without `palette: false`,
 * writes indexed colour.
 */
function pngPalette(o) {
  if (o.palette !== undefined && typeof o.palette !== 'boolean') throw invalid('png(): palette must be true or false');
  const wanted = o.palette ?? ((o.colours ?? o.colors) !== undefined || o.dither !== undefined);
  return wanted ? paletteOptions(o, 'png()') : null;
}

/** A GIF always has a palette: sharp's 256 colours and full dithering unless given. */
function gifPalette(o) {
  return paletteOptions(o, 'gif()');
}

/** `colours` (or `colors`) and `dither` as `where` gives them, with sharp's defaults. */
function paletteOptions(o, where) {
  const colours = o.colours ?? o.colors;
  return {
    colours: colours === undefined ? 256 : num(colours, `${where} colours`, { min: 2, max: 256, integer: true }),
    dither: o.dither === undefined ? 1 : num(o.dither, `${where} dither`, { min: 0, max: 1 }),
  };
}

function num(value, where, { min = -Infinity, max = Infinity, integer = false } = {}) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const range = min > -Infinity && max < Infinity ? ` from ${min} to ${max}` : min > -Infinity ? ` of at least ${min}` : max < Infinity ? ` of at most ${max}` : '';
    throw invalid(`${where} must be ${integer ? 'an integer' : 'a finite number'}${range}, got ${value}`);
  }
  return value;
}

/** sharp's `limitInputPixels`: a pixel count; `false` or 0 for none; `true` or absent for 100 MP. */
export function pixelLimit(value, where = 'limitInputPixels') {
  if (value === undefined || value === true) return 100_000_000;
  if (value === false || value === 0) return Number.MAX_SAFE_INTEGER;
  return num(value, where, { min: 1, integer: true });
}

/** sharp colour spellings: '#rgb', '#rrggbb', '#rrggbbaa', 'rgb(r,g,b)', 'rgba(r,g,b,a)', { r, g, b, alpha }, names. */
export function parseColour(value, where = 'colour') {
  if (Array.isArray(value) && (value.length === 3 || value.length === 4)) {
    return [...value.map((v) => num(v, where, { min: 0, max: 255, integer: true })), ...(value.length === 3 ? [255] : [])];
  }
  if (value && typeof value === 'object') {
    const { r = 0, g = 0, b = 0, alpha = 1 } = only(value, ['r', 'g', 'b', 'alpha'], where);
    const byte = (v) => Math.round(num(v, where, { min: 0, max: 255 }));
    return [byte(r), byte(g), byte(b), Math.round(num(alpha, `${where}.alpha`, { min: 0, max: 1 }) * 255)];
  }
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (text === 'transparent') return [0, 0, 0, 0];
    if (Object.hasOwn(CSS_COLOURS, text)) return [...CSS_COLOURS[text], 255];
    let m = /^#?([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/.exec(text);
    if (m) {
      let hex = m[1];
      if (hex.length === 3) hex = [...hex].map((c) => c + c).join('');
      if (hex.length === 6) hex += 'ff';
      return [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16));
    }
    m = /^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*(?:,\s*([\d.]+)\s*)?\)$/.exec(text);
    if (m) return parseColour({ r: +m[1], g: +m[2], b: +m[3], alpha: m[4] === undefined ? 1 : +m[4] }, where);
    const hint = `use '#rrggbb', '#rrggbbaa', 'rgb(...)', { r, g, b, alpha } or a CSS colour name`;
    // Spellings sharp's parser reads and this one does not (hsl(), hwb(), rgb() with spaces or
    // percentages, 4-digit hex); anything else is no colour, as sharp says.
    const sharpReads = /^(hsla?|hwb)\(/.test(text) || /^#?[0-9a-f]{4}$/.test(text) || (/^rgba?\(/.test(text) && (text.includes('%') || !text.includes(',')));
    if (sharpReads) throw unsupported(`${where}: the colour '${value}' is not supported; ${hint}`);
    throw invalid(`${where}: cannot read the colour '${value}'; ${hint}`);
  }
  throw invalid(`${where}: expected a colour, got ${typeof value}`);
}

export const isBlob = (v) => typeof Blob !== 'undefined' && v instanceof Blob;

/** Bytes in any typed form: an ArrayBuffer or a view of one (Uint8Array, Buffer, DataView, ...). */
export const isBytes = (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v);

/** A byte view of `v` (bytes of any typed form), or a coded error naming `what`. */
export function bytesOf(v, what) {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'string') throw unsupported(`${what}: strings are not supported here; pass the bytes`);
  throw invalid(`${what} must be a Uint8Array, Buffer, ArrayBuffer, Blob, ImageData or ImageBitmap, got ${v === null ? 'null' : typeof v}`);
}

/**
 * The first width × height × channels bytes of raw `samples`, as sharp reads them (the rest of a
 * longer buffer is ignored), or a coded error when there are fewer.
 */
export function rawSamples(samples, width, height, channels, what) {
  const needed = width * height * channels;
  if (samples.length < needed) {
    throw invalid(`${what} of ${width}x${height} with ${channels} channel(s) needs ${needed} bytes, got ${samples.length}`);
  }
  return samples.length === needed ? samples : samples.subarray(0, needed);
}

/** Grey (1), grey + alpha (2) or RGB (3) samples to RGBA8, as sharp reads raw input; RGBA (4) as it is. */
export function widenToRgba(pixels, channels) {
  if (channels === 4) return pixels;
  const n = pixels.length / channels;
  const rgba = new Uint8Array(n * 4);
  const words = new Uint32Array(rgba.buffer);
  // One 32-bit store per pixel (little-endian, as every platform we run on): a quarter of the
  // stores of byte writes.
  if (channels === 3) {
    for (let i = 0, j = 0; i < n; i++, j += 3) words[i] = pixels[j] | (pixels[j + 1] << 8) | (pixels[j + 2] << 16) | 0xff000000;
  } else if (channels === 2) {
    for (let i = 0, j = 0; i < n; i++, j += 2) words[i] = (pixels[j] * 0x010101) | (pixels[j + 1] << 24);
  } else {
    for (let i = 0; i < n; i++) words[i] = (pixels[i] * 0x010101) | 0xff000000;
  }
  return rgba;
}

/**
 * The samples of sharp's `{ create: { width, height, channels, background } }`: a blank image
 * of 3 or 4 channels, checked against `maxPixels` before anything is allocated.
 */
export function blankSamples(create, what, maxPixels) {
  const { width, height, channels, background, noise } = create ?? {};
  if (noise !== undefined) throw unsupported(`${what}: noise is not supported`);
  for (const [v, name] of [[width, 'width'], [height, 'height']]) {
    if (!Number.isInteger(v) || v < 1) throw invalid(`${what}: ${name} must be an integer ≥ 1, got ${v}`);
  }
  if (channels !== 3 && channels !== 4) throw invalid(`${what}: channels must be 3 or 4, got ${channels}`);
  if (width * height > maxPixels) {
    throw new NearnativeError('limit_exceeded', `${what}: ${width}x${height} is over the limit of ${maxPixels} pixels (limitInputPixels)`);
  }
  const colour = parseColour(background ?? { r: 0, g: 0, b: 0 }, `${what} background`).slice(0, channels);
  const pixels = new Uint8Array(width * height * channels);
  // One pixel, then doubling copies: a few dozen memmoves however large the image.
  pixels.set(colour, 0);
  for (let filled = channels; filled < pixels.length; filled *= 2) pixels.copyWithin(filled, 0, Math.min(filled, pixels.length - filled));
  return { pixels, width, height, channels };
}

/** The package-internal accessor frame.js reads a pipeline's job through. */
export const JOB_PARTS = Symbol('nearnative.jobParts');

export class Pipeline {
  #input; // the original input (resolved lazily)
  #options;
  #run; // (kind, pipeline state) => Promise
  #steps = [];
  #target = { kind: 'encoded', format: null, quality: 80, progressive: false };
  #autoOrient = true;
  #shrinkOnLoad = true;
  #maxPixels;
  /** toColourspace('b-w'): greyscale applied after every other step, as sharp converts on output. */
  #greyOutput = false;
  #overlays = [];

  constructor(input, options, run) {
    const o = only(options, ['raw', 'limitInputPixels', 'autoOrient', 'inline', 'failOn'], 'image()');
    if (o.failOn !== undefined && o.failOn !== 'warning') throw unsupported(`image(): failOn '${o.failOn}' is not supported; corrupt input always fails`);
    if (o.raw !== undefined) {
      const { width, height, channels } = only(o.raw, ['width', 'height', 'channels', 'premultiplied'], 'image({ raw })');
      num(channels, 'raw.channels', { min: 1, max: 4, integer: true });
      if (o.raw.premultiplied) throw unsupported('image({ raw }): premultiplied input is not supported');
      num(width, 'raw.width', { min: 1, integer: true });
      num(height, 'raw.height', { min: 1, integer: true });
    }
    this.#maxPixels = pixelLimit(o.limitInputPixels);
    if (o.autoOrient === false) this.#autoOrient = false;
    this.#input = input;
    this.#options = o;
    this.#run = run;
  }

  #push(step) {
    this.#steps.push(step);
    return this;
  }

  /** A copy of this pipeline that can be continued independently (sharp's clone()). */
  clone() {
    const copy = new Pipeline(this.#input, this.#options, this.#run);
    copy.#steps = structuredClone(this.#steps);
    copy.#target = { ...this.#target };
    copy.#autoOrient = this.#autoOrient;
    copy.#shrinkOnLoad = this.#shrinkOnLoad;
    copy.#maxPixels = this.#maxPixels;
    copy.#greyOutput = this.#greyOutput;
    copy.#overlays = [...this.#overlays];
    return copy;
  }

  // ---- geometry ----

  /** No angle: upright from EXIF (already the default here). An angle: clockwise degrees. */
  rotate(angle, options) {
    const { background } = only(options, ['background'], 'rotate()');
    if (angle === undefined) {
      if (background !== undefined) throw invalid('rotate(): background needs an angle');
      this.#autoOrient = true;
      return this;
    }
    return this.#push({ op: 'rotate', degrees: num(angle, 'rotate() angle'), background: background === undefined ? [0, 0, 0, 255] : parseColour(background, 'rotate() background') });
  }

  /** sharp's autoOrient(). */
  autoOrient() {
    this.#autoOrient = true;
    return this;
  }

  resize(width, height, options) {
    if (width !== null && typeof width === 'object') {
      options = width;
      ({ width, height } = width);
    } else if (height !== null && typeof height === 'object') {
      options = height;
      height = options.height;
    }
    const o = only(options, ['width', 'height', 'fit', 'kernel', 'background', 'position', 'fastShrinkOnLoad', 'withoutEnlargement', 'withoutReduction'], 'resize()');
    const side = (v, what) => (v === undefined || v === null ? null : num(v, `resize() ${what}`, { min: 1, max: 0xffffffff, integer: true }));
    const step = { op: 'resize', width: side(width, 'width'), height: side(height, 'height'), fit: 'cover', filter: 'lanczos3', background: [0, 0, 0, 255] };
    if (o.fit !== undefined) {
      if (!FITS.includes(o.fit)) throw invalid(`resize(): unknown fit '${o.fit}'; use ${FITS.join(', ')}`);
      step.fit = o.fit;
    }
    for (const flag of ['fastShrinkOnLoad', 'withoutEnlargement', 'withoutReduction']) {
      if (o[flag] !== undefined && typeof o[flag] !== 'boolean') throw invalid(`resize(): ${flag} must be true or false, got ${JSON.stringify(o[flag])}`);
    }
    if (o.kernel !== undefined) {
      if (!Object.hasOwn(KERNELS, o.kernel)) {
        const names = Object.keys(KERNELS).join(', ');
        if (SHARP_ONLY_KERNELS.includes(o.kernel)) throw unsupported(`resize(): the kernel '${o.kernel}' is not supported; use ${names}`);
        throw invalid(`resize(): unknown kernel '${o.kernel}'; use ${names}`);
      }
      step.filter = KERNELS[o.kernel];
    }
    if (o.position !== undefined) step.position = resizePosition(o.position);
    if (o.background !== undefined) step.background = parseColour(o.background, 'resize() background');
    if (o.withoutEnlargement) step.without_enlargement = true;
    if (o.withoutReduction) step.without_reduction = true;
    if (o.fastShrinkOnLoad === false) this.#shrinkOnLoad = false;
    // Without a width or a height the image keeps its size, as in sharp: nothing to resize.
    if (step.width === null && step.height === null) return this;
    return this.#push(step);
  }

  extract({ left, top, width, height } = {}) {
    const n = (v, w, min) => num(v, `extract() ${w}`, { min, integer: true });
    return this.#push({ op: 'crop', left: n(left, 'left', 0), top: n(top, 'top', 0), width: n(width, 'width', 1), height: n(height, 'height', 1) });
  }

  /**
   * sharp's trim: cuts away a border of `background` (default: the top-left pixel's colour)
   * within `threshold` (default 10); `lineArt` skips the 3x3 median; `margin` keeps a border.
   */
  trim(options) {
    const o = options === undefined ? {} : only(options, ['background', 'threshold', 'lineArt', 'margin'], 'trim()');
    const step = { op: 'trim', background: null, threshold: 10, lineArt: false, margin: 0 };
    if (o.background !== undefined) step.background = parseColour(o.background, 'trim() background');
    if (o.threshold !== undefined) step.threshold = num(o.threshold, 'trim() threshold', { min: 0 });
    if (o.lineArt !== undefined) step.lineArt = !!o.lineArt;
    if (o.margin !== undefined) step.margin = num(o.margin, 'trim() margin', { min: 0, max: 10_000_000, integer: true });
    return this.#push(step);
  }

  extend(options) {
    if (typeof options === 'number') options = { top: options, bottom: options, left: options, right: options };
    const o = only(options, ['top', 'bottom', 'left', 'right', 'background', 'extendWith'], 'extend()');
    if (o.extendWith !== undefined && o.extendWith !== 'background') throw unsupported(`extend(): extendWith '${o.extendWith}' is not supported; only 'background'`);
    const n = (v, w) => (v === undefined ? 0 : num(v, `extend() ${w}`, { min: 0, integer: true }));
    return this.#push({
      op: 'pad', top: n(o.top, 'top'), right: n(o.right, 'right'), bottom: n(o.bottom, 'bottom'), left: n(o.left, 'left'),
      background: o.background === undefined ? [0, 0, 0, 255] : parseColour(o.background, 'extend() background'),
    });
  }

  flip(flip = true) {
    return flip ? this.#push({ op: 'flip' }) : this;
  }

  flop(flop = true) {
    return flop ? this.#push({ op: 'flop' }) : this;
  }

  // ---- filters ----

  /** No sigma: a fast 3×3 box blur, as sharp. */
  blur(sigma) {
    if (sigma === undefined || sigma === true) return this.#push({ op: 'box_blur', radius: 1 });
    if (sigma === false) return this;
    if (typeof sigma === 'object') {
      const o = only(sigma, ['sigma', 'precision'], 'blur()');
      // Ours is one filter, accurate to well under a level and constant time per pixel
      // whatever sigma: every sharp precision gets it, 'approximate' (sharp's faster, coarser
      // box-based blur) included, so nothing is traded for speed.
      if (o.precision !== undefined && !['integer', 'float', 'approximate'].includes(o.precision)) {
        throw invalid(`blur(): unknown precision '${o.precision}'; use 'integer', 'float' or 'approximate' (all run the same recursive Gaussian)`);
      }
      sigma = o.sigma;
    }
    return this.#push({ op: 'blur', sigma: num(sigma, 'blur() sigma', { min: 0.3, max: 1000 }) });
  }

  /** sharpen(): sharp's mild 3×3 kernel; sharpen(sigma), sharpen({ sigma, m2 }): unsharp mask of `sigma`, amount `m2` (default 1). */
  sharpen(options, flat, jagged) {
    // sharp's "fast, mild sharpen" without options: this 3×3 convolution.
    if (options === undefined) return this.convolve({ width: 3, height: 3, kernel: [-1, -1, -1, -1, 32, -1, -1, -1, -1], scale: 24 });
    if (typeof options === 'number') options = { sigma: options, m1: flat, m2: jagged };
    const o = only(options, ['sigma', 'm2'], 'sharpen()');
    const sigma = o.sigma === undefined ? 1 : num(o.sigma, 'sharpen() sigma', { min: 0.000001, max: 10 });
    const amount = o.m2 === undefined ? 1 : num(o.m2, 'sharpen() m2', { min: 0, max: 1000000 });
    return this.#push({ op: 'sharpen', sigma, amount });
  }

  median(size = 3) {
    if (!Number.isInteger(size) || size < 1 || size > 1000) throw invalid(`median(): size must be a whole number in 1..1000, got ${size}`);
    return this.#push({ op: 'median', size });
  }

  convolve(kernel) {
    const o = only(kernel, ['width', 'height', 'kernel', 'scale', 'offset'], 'convolve()');
    if (o.width !== o.height || ![3, 5].includes(o.width)) throw unsupported(`convolve(): only 3×3 and 5×5 kernels are supported, got ${o.width}×${o.height}`);
    if (!Array.isArray(o.kernel) || o.kernel.length !== o.width * o.height) throw invalid(`convolve(): kernel needs ${o.width * o.height} numbers`);
    return this.#push({
      op: 'convolve', size: o.width, weights: o.kernel.map((v) => num(v, 'convolve() weight')),
      scale: o.scale === undefined ? null : num(o.scale, 'convolve() scale'), offset: o.offset === undefined ? 0 : num(o.offset, 'convolve() offset'),
    });
  }

  // ---- colour ----

  greyscale(grey = true) {
    return grey ? this.#push({ op: 'grayscale' }) : this;
  }

  grayscale(grey = true) {
    return this.greyscale(grey);
  }

  /**
   * sharp's modulate, in CIE LCh: lightness `L * brightness + lightness`, chroma
   * `C * saturation`, hue `h + hue` degrees (an integer, as sharp). One step per call.
   */
  modulate(options) {
    const o = only(options, ['brightness', 'saturation', 'hue', 'lightness'], 'modulate()');
    const step = { op: 'modulate', brightness: 1, saturation: 1, hue: 0, lightness: 0 };
    if (o.brightness !== undefined) step.brightness = num(o.brightness, 'modulate() brightness', { min: 0 });
    if (o.saturation !== undefined) step.saturation = num(o.saturation, 'modulate() saturation', { min: 0 });
    if (o.hue !== undefined) step.hue = num(o.hue, 'modulate() hue', { integer: true }) % 360;
    if (o.lightness !== undefined) step.lightness = num(o.lightness, 'modulate() lightness');
    const identity = step.brightness === 1 && step.saturation === 1 && step.hue === 0 && step.lightness === 0;
    // sharp skips an identity modulate (no round trip through Lab).
    return identity ? this : this.#push(step);
  }

  /**
   * sharp's normalise: stretches lightness (CIE L*) so its `lower` and `upper` percentiles
   * (defaults 1 and 99) become black and white; colour and alpha kept.
   */
  normalise(options) {
    if (options === false) return this;
    const o = options === undefined || options === true ? {} : only(options, ['lower', 'upper'], 'normalise()');
    // sharp passes the percentiles on as whole numbers (truncated).
    const lower = Math.trunc(o.lower === undefined ? 1 : num(o.lower, 'normalise() lower', { min: 0, max: 99 }));
    const upper = Math.trunc(o.upper === undefined ? 99 : num(o.upper, 'normalise() upper', { min: 1, max: 100 }));
    if (lower >= upper) throw invalid(`normalise(): lower must be less than upper, got ${lower} >= ${upper}`);
    return this.#push({ op: 'normalise', lower, upper });
  }

  normalize(options) {
    return this.normalise(options);
  }

  /**
   * `a * colour + b` on red, green and blue (alpha kept): numbers, or arrays of one or three
   * (one per colour channel) of the same length, as sharp takes them.
   */
  linear(a, b) {
    if (a === undefined || a === null) a = typeof b === 'number' ? 1 : [];
    if (b === undefined || b === null) b = typeof a === 'number' ? 0 : [];
    const list = (v, what) => {
      const values = Array.isArray(v) ? v : [v];
      return values.map((x) => num(x, `linear() ${what}`));
    };
    const [as, bs] = [list(a, 'a'), list(b, 'b')];
    if (as.length !== bs.length) throw invalid(`linear(): a and b must be arrays of the same length, got ${as.length} and ${bs.length}`);
    if (as.length === 0) return this;
    if (as.length === 4) throw unsupported('linear(): a 4th (alpha) coefficient is not supported; alpha is kept');
    if (as.length !== 1 && as.length !== 3) throw invalid(`linear(): give 1 or 3 coefficients (red, green, blue), got ${as.length}`);
    const three = (v) => (v.length === 1 ? [v[0], v[0], v[0]] : v);
    return this.#push({ op: 'linear', a: three(as), b: three(bs) });
  }

  /** A tone curve out = in^(1/g); sharp's resize-time linearisation (gammaOut) is not supported. */
  gamma(g = 2.2, gammaOut) {
    if (gammaOut !== undefined) throw unsupported('gamma(): gammaOut is not supported');
    return this.#push({ op: 'gamma', gamma: num(g, 'gamma()', { min: 1, max: 3 }) });
  }

  /** Alpha is negated too unless `{ alpha: false }`, as sharp. */
  negate(options) {
    if (options === false) return this;
    const o = only(options === true ? undefined : options, ['alpha'], 'negate()');
    if (o.alpha !== undefined && typeof o.alpha !== 'boolean') throw invalid('negate(): alpha must be true or false');
    return this.#push({ op: 'invert', alpha: o.alpha !== false });
  }

  threshold(level = 128, options) {
    const o = only(options, ['greyscale', 'grayscale'], 'threshold()');
    if (o.greyscale === false || o.grayscale === false) throw unsupported('threshold(): per-channel thresholds (greyscale: false) are not supported');
    const at = num(level, 'threshold()', { min: 0, max: 255, integer: true });
    // sharp leaves the image as it is at 0 (where every value would pass, alpha included).
    return at === 0 ? this : this.#push({ op: 'threshold', level: at });
  }

  /** A 3×3 matrix times [R, G, B] per pixel, truncated into 0–255 as sharp; alpha kept. */
  recomb(matrix) {
    const rows = Array.isArray(matrix) ? matrix : [];
    if (rows.length === 4 && rows.every((r) => Array.isArray(r) && r.length === 4)) {
      throw unsupported('recomb(): 4×4 matrices (with alpha) are not supported; use a 3×3 one');
    }
    if (rows.length !== 3 || !rows.every((r) => Array.isArray(r) && r.length === 3)) throw invalid('recomb() takes a 3×3 matrix: three rows of three numbers');
    return this.#push({ op: 'recomb', matrix: rows.map((r) => r.map((v) => num(v, 'recomb() entry'))) });
  }

  /** One channel as an opaque grey image: 0–3 or 'red', 'green', 'blue', 'alpha'. */
  extractChannel(channel) {
    const named = { red: 0, green: 1, blue: 2, alpha: 3 };
    const index = typeof channel === 'string' && channel in named ? named[channel] : channel;
    if (!Number.isInteger(index) || index < 0 || index > 3) throw invalid(`extractChannel() takes 0-3 or 'red', 'green', 'blue', 'alpha', got ${JSON.stringify(channel)}`);
    return this.#push({ op: 'extract_channel', channel: index });
  }

  /** White pixels become transparent. */
  unflatten() {
    return this.#push({ op: 'unflatten' });
  }

  /** 'b-w' writes grey (one band in raw(), a grey PNG or JPEG); 'srgb' is the default. */
  toColourspace(space) {
    const name = String(space).toLowerCase();
    if (name === 'b-w') this.#greyOutput = true;
    else if (name === 'srgb' || name === 'rgb') this.#greyOutput = false;
    else throw unsupported(`toColourspace('${space}'): only 'srgb' and 'b-w' output are supported`);
    return this;
  }

  toColorspace(space) {
    return this.toColourspace(space);
  }

  tint(colour) {
    const [r, g, b] = parseColour(colour, 'tint()');
    return this.#push({ op: 'tint', rgb: [r, g, b] });
  }

  /** Drops alpha, keeping the colours as stored (use flatten() for a background). */
  removeAlpha() {
    return this.#push({ op: 'remove_alpha' });
  }

  /** Adds an alpha channel of `alpha` (0 to 1, default opaque) where there is none; 0.5 is 127, as sharp. */
  ensureAlpha(alpha) {
    if (alpha === undefined || alpha === null) alpha = 1;
    return this.#push({ op: 'ensure_alpha', alpha: Math.floor(num(alpha, 'ensureAlpha() alpha', { min: 0, max: 1 }) * 255) });
  }

  /** sharp's default background is black. */
  flatten(options) {
    const o = only(options, ['background'], 'flatten()');
    const [r, g, b] = o.background === undefined ? [0, 0, 0] : parseColour(o.background, 'flatten() background');
    return this.#push({ op: 'flatten', background: [r, g, b] });
  }

  /**
   * A composite entry's overlay: encoded bytes, a Blob or (Node) a path as given, or RGBA8
   * pixels with their size for sharp's `raw` samples and `create` blanks.
   */
  #overlay({ input, raw }, what) {
    raw ??= undefined; // null is not given, as in sharp
    if (input !== null && typeof input === 'object' && !isBytes(input) && !isBlob(input) && 'create' in input) {
      if (raw !== undefined) throw invalid(`${what}: give either raw or create, not both`);
      const blank = blankSamples(input.create, `${what} create`, this.#maxPixels);
      return { overlay: widenToRgba(blank.pixels, blank.channels), raw: { width: blank.width, height: blank.height } };
    }
    if (raw !== undefined) {
      const { width, height, channels } = only(raw, ['width', 'height', 'channels'], `${what} raw`);
      for (const [v, name] of [[width, 'width'], [height, 'height']]) {
        if (!Number.isInteger(v) || v < 1) throw invalid(`${what}: raw ${name} must be an integer ≥ 1, got ${v}`);
      }
      if (![1, 2, 3, 4].includes(channels)) throw invalid(`${what}: raw channels must be 1, 2, 3 or 4, got ${channels}`);
      if (!isBytes(input)) throw invalid(`${what}: raw input must be the samples' bytes (Uint8Array, Buffer or ArrayBuffer)`);
      // sharp reads wider typed arrays at their own depth; only 8-bit samples are read here.
      if (ArrayBuffer.isView(input) && !(input instanceof Uint8Array || input instanceof Uint8ClampedArray)) {
        throw unsupported(`${what}: raw samples must be 8-bit (Uint8Array, Uint8ClampedArray, Buffer or ArrayBuffer), got ${input.constructor.name}`);
      }
      const samples = rawSamples(bytesOf(input, `${what} input`), width, height, channels, `${what} raw input`);
      return { overlay: widenToRgba(samples, channels), raw: { width, height } };
    }
    if (!(typeof input === 'string' || isBytes(input) || isBlob(input))) {
      throw unsupported(`${what}: input must be an encoded image (bytes, Blob or, in Node, a file path), raw samples with raw: { width, height, channels }, or { create }; text is not supported`);
    }
    return { overlay: input };
  }

  /** Overlays: encoded images (bytes or Blob) at left/top, else at `gravity` (default centre), as sharp. */
  composite(images) {
    if (!Array.isArray(images)) throw invalid('composite() takes an array of { input, left, top, gravity, blend }');
    for (const [i, entry] of images.entries()) {
      const o = only(entry, ['input', 'left', 'top', 'gravity', 'blend', 'raw', 'tile'], `composite()[${i}]`);
      const given = (v) => v !== undefined && v !== null;
      if (given(o.left) !== given(o.top)) throw invalid(`composite()[${i}]: give both left and top, or neither (then gravity places it)`);
      const offset = given(o.left);
      // Checked even when left/top win over it, as sharp does.
      const gravity = !given(o.gravity) ? 'centre' : Number.isInteger(o.gravity) ? GRAVITY_NUMBERS[o.gravity] : o.gravity === 'center' ? 'centre' : o.gravity;
      if (!GRAVITIES.includes(gravity)) {
        throw invalid(`composite()[${i}]: gravity ${JSON.stringify(o.gravity)} is not a gravity; use ${GRAVITIES.join(', ')}, 0-8, or left and top`);
      }
      const blend = given(o.blend) ? (Object.hasOwn(BLENDS, o.blend) ? BLENDS[o.blend] : undefined) : 'over';
      if (blend === undefined) throw invalid(`composite()[${i}]: blend ${JSON.stringify(o.blend)} is not a blend mode; use one of ${Object.keys(BLENDS).join(', ')}`);
      if (given(o.tile) && typeof o.tile !== 'boolean') throw invalid(`composite()[${i}]: tile must be true or false, got ${JSON.stringify(o.tile)}`);
      // Offsets win over the gravity, which still decides how tiles are laid out, as in sharp.
      const place = offset ? { left: num(o.left, 'left', { integer: true }), top: num(o.top, 'top', { integer: true }) } : {};
      const { overlay, raw } = this.#overlay(o, `composite()[${i}]`);
      this.#overlays.push(overlay);
      this.#push({ op: 'composite', index: this.#overlays.length - 1, blend, gravity, ...place, ...(raw && { raw }), ...(o.tile && { tile: true }) });
    }
    return this;
  }

  // ---- output ----

  toFormat(format, options) {
    if (format && typeof format === 'object' && typeof format.id === 'string') format = format.id;
    const name = String(format).toLowerCase();
    if (name === 'raw') return this.raw(options);
    if (SHARP_ONLY_FORMATS.includes(name)) throw unsupported(`toFormat(): ${name} output is not supported; use png, jpeg, webp, gif, qoi or bmp`);
    const canonical = FORMATS[name];
    if (!canonical) throw invalid(`toFormat(): unknown format '${format}'`);
    const allowed = {
      jpeg: ['quality', 'progressive', 'chromaSubsampling', 'optimiseCoding', 'optimizeCoding'],
      webp: ['quality', 'lossless'], png: ['compressionLevel', 'palette', 'colours', 'colors', 'dither'], gif: ['colours', 'colors', 'dither'], qoi: [], bmp: [],
    }[canonical];
    const o = only(options, allowed, `${canonical}()`);
    if (canonical === 'webp' && o.lossless !== undefined && typeof o.lossless !== 'boolean') throw invalid('webp(): lossless must be true or false');
    // WebP: lossy below quality 100 (sharp's default, q80), lossless at 100 or with `lossless: true`.
    const quality = o.lossless === true ? 100
      : o.quality === undefined ? 80 : num(o.quality, `${canonical}() quality`, { min: 1, max: 100, integer: true });
    // JPEG Huffman tables are always fitted to the image, as sharp's default optimiseCoding
    // (sharp's spelling precedence: optimizeCoding when it is a boolean).
    const optimise = typeof o.optimizeCoding === 'boolean' ? o.optimizeCoding : o.optimiseCoding;
    if (optimise !== undefined && typeof optimise !== 'boolean') throw invalid('jpeg(): optimiseCoding must be true or false');
    if (optimise === false) throw unsupported('jpeg(): optimiseCoding: false is not supported; the Huffman tables are always optimised');
    const chroma = o.chromaSubsampling ?? '4:2:0';
    if (chroma !== '4:2:0' && chroma !== '4:4:4') throw invalid(`jpeg(): chromaSubsampling must be '4:2:0' or '4:4:4', got '${chroma}'`);
    const compression = o.compressionLevel === undefined ? null : num(o.compressionLevel, 'png() compressionLevel', { min: 0, max: 9, integer: true });
    this.#target = { kind: 'encoded', format: canonical, progressive: !!o.progressive, quality, compression, chroma, palette: canonical === 'png' ? pngPalette(o) : canonical === 'gif' ? gifPalette(o) : null };
    return this;
  }

  png(options) { return this.toFormat('png', options); }
  jpeg(options) { return this.toFormat('jpeg', options); }
  webp(options) { return this.toFormat('webp', options); }
  gif(options) { return this.toFormat('gif', options); }

  /**
   * 8-bit pixels in sharp's bands (info.channels): 1 after greyscale(), else RGB, plus alpha
   * when the image has an alpha band.
   */
  raw(options) {
    const o = only(options, ['depth'], 'raw()');
    if (o.depth !== undefined && o.depth !== 'uchar') throw unsupported(`raw(): depth '${o.depth}' is not supported; output is 8-bit (uchar)`);
    this.#target = { kind: 'raw', layout: 'bands' };
    return this;
  }

  /** The job as it crosses into Wasm (serde form of nearnative_image::Job). */
  toJSON() {
    const steps = this.#greyOutput ? [...this.#steps, { op: 'grayscale' }] : this.#steps;
    return { steps, target: this.#target, auto_orient: this.#autoOrient, shrink_on_load: this.#shrinkOnLoad, limits: { max_pixels: this.#maxPixels } };
  }

  /** For frame.apply(): the job object and the composite inputs, as they stand. */
  [JOB_PARTS]() {
    return { job: this.toJSON(), overlays: [...this.#overlays] };
  }

  #state() {
    return { input: this.#input, options: this.#options, job: JSON.stringify(this.toJSON()), overlays: this.#overlays };
  }

  /** Encoded bytes (a Buffer in Node), or `{ data, info }` with `{ resolveWithObject: true }`. */
  async toBuffer(options) {
    const { resolveWithObject = false } = only(options, ['resolveWithObject'], 'toBuffer()');
    const { data, info } = await this.#run('run', this.#state());
    return resolveWithObject ? { data, info } : data;
  }

  /** `{ data, info }` with `data` a Uint8Array (sharp 0.35's toUint8Array). */
  async toUint8Array() {
    const { data, info } = await this.toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info };
  }

  /** Browsers: the result as an ImageData (RGBA8). */
  async toImageData() {
    if (typeof ImageData === 'undefined') throw unsupported('toImageData() needs ImageData (browsers); use raw().toBuffer() instead');
    const copy = this.clone();
    copy.#target = { kind: 'raw', layout: 'rgba8' };
    const { data, info } = await copy.toBuffer({ resolveWithObject: true });
    return new ImageData(new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength), info.width, info.height);
  }

  /** Header facts of the input (the chain is not applied), sharp-shaped. */
  metadata() {
    return this.#run('metadata', this.#state());
  }

  /** Per-channel statistics of the image after the chain's steps. */
  stats() {
    return this.#run('stats', this.#state());
  }

  /**
   * Node: writes the result to `path` and resolves to its info, as sharp does. Without a format
   * chosen (`webp()`, `toFormat()`, ...), the extension picks it. The file appears whole or
   * not at all: the bytes go to a temporary file beside it, renamed into place.
   */
  async toFile(path) {
    if (typeof path !== 'string' || path === '') throw invalid('toFile() needs a file path');
    if (!isNode) throw unsupported('toFile() needs Node; in a browser use toBuffer() and save the bytes yourself');
    let chain = this;
    if (this.#target.kind === 'encoded' && this.#target.format === null) {
      const ext = /\.([^./\\]+)$/.exec(path)?.[1]?.toLowerCase();
      if (!ext) throw invalid(`toFile('${path}'): no extension to pick the format from; call png(), jpeg(), webp(), ... first`);
      if (!FORMATS[ext] && !SHARP_ONLY_FORMATS.includes(ext)) {
        throw invalid(`toFile('${path}'): '.${ext}' names no image format; use .png, .jpg, .webp, .gif, .qoi or .bmp, or choose one with toFormat()`);
      }
      chain = this.clone().toFormat(ext);
    }
    const { data, info } = await chain.toBuffer({ resolveWithObject: true });
    const { writeFile, rename, rm } = await import('node:fs/promises');
    // A name no other call can hold, and removed only by the call that made it: 'wx' fails with
    // EEXIST before touching another's file; after any other failure (a write cut short by a
    // full disk included) the temporary file is ours and must not stay behind.
    const temporary = `${path}.${globalThis.crypto.randomUUID()}.part`;
    try {
      await writeFile(temporary, data, { flag: 'wx' });
      await rename(temporary, path);
    } catch (err) {
      if (err.code !== 'EEXIST') await rm(temporary, { force: true });
      // Node names the file it was writing: the temporary one, which the caller never chose.
      throw new NearnativeError('io', `${path}: ${String(err.message).replaceAll(temporary, path)}`);
    }
    return info;
  }
}

// sharp methods without an equivalent here: each throws `unsupported` saying why, rather than
// the TypeError a missing method would give code ported from sharp.
const NO_METADATA = 'output carries no metadata (EXIF, ICC, XMP): pixels come out upright and in sRGB';
const UNSUPPORTED_METHODS = {
  affine: 'affine transforms are not supported; use rotate(), resize() or extract()',
  clahe: 'local contrast (CLAHE) is not supported; normalise() stretches contrast globally',
  dilate: 'morphology is not supported', erode: 'morphology is not supported',
  boolean: 'bitwise operations between images are not supported', bandbool: 'bitwise operations between bands are not supported',
  joinChannel: 'adding bands is not supported; ensureAlpha() adds alpha',
  pipelineColourspace: 'the working space is always 8-bit sRGB', pipelineColorspace: 'the working space is always 8-bit sRGB',
  timeout: 'timeouts are not supported', tile: 'tiled (Deep Zoom) output is not supported',
  avif: 'AVIF output is not supported', heif: 'HEIF output is not supported', tiff: 'TIFF output is not supported',
  jp2: 'JPEG 2000 output is not supported', jxl: 'JPEG XL output is not supported',
  withMetadata: NO_METADATA, keepMetadata: NO_METADATA, keepExif: NO_METADATA, withExif: NO_METADATA,
  withExifMerge: NO_METADATA, keepIccProfile: NO_METADATA, withIccProfile: NO_METADATA, keepXmp: NO_METADATA,
  withXmp: NO_METADATA, withDensity: NO_METADATA, keepGainMap: NO_METADATA, withGainMap: NO_METADATA,
};
for (const [name, why] of Object.entries(UNSUPPORTED_METHODS)) {
  Object.defineProperty(Pipeline.prototype, name, {
    value() { throw unsupported(`${name}(): ${why}`); },
    writable: true, configurable: true,
  });
}

export { NearnativeError };
