// Types for @nearnative/image. The implementation is Rust (crates/image) compiled to
// WebAssembly; the simd128 or the scalar build is picked when the package loads.

/** Stable error codes; the same strings on every nearnative host. */
export type ErrorCode = 'invalid_input' | 'unsupported' | 'limit_exceeded' | 'auth_failed' | 'io' | 'internal';

export class NearnativeError extends Error {
  readonly name: 'NearnativeError';
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string);
}

/** Encoded image bytes. */
export type BytesInput = Uint8Array | ArrayBuffer | ArrayBufferView | Blob;
/** Anything `image()` reads: encoded bytes, a file path (Node), or pixels (ImageData, ImageBitmap, canvases). */
export type Input = BytesInput | string | ImageData | ImageBitmap | OffscreenCanvas | HTMLCanvasElement | HTMLImageElement | CreateInput;

/** sharp's blank image. */
export interface CreateInput {
  create: { width: number; height: number; channels: 3 | 4; background?: Colour };
}

export type Colour = string | { r?: number; g?: number; b?: number; alpha?: number } | [number, number, number] | [number, number, number, number];
export type Fit = 'cover' | 'contain' | 'fill' | 'inside' | 'outside';
export type Kernel = 'nearest' | 'linear' | 'cubic' | 'mitchell' | 'lanczos3';
export type OutputFormat = 'png' | 'jpeg' | 'jpg' | 'webp' | 'gif' | 'qoi' | 'bmp' | 'raw';
export type Build = 'simd128' | 'scalar';

export interface ImageOptions {
  /** 8-bit pixels instead of an encoded file: grey, grey + alpha, RGB or RGBA. */
  raw?: { width: number; height: number; channels: 1 | 2 | 3 | 4 };
  /** Largest width × height accepted (default 100 megapixels); `false` lifts it. */
  limitInputPixels?: number | boolean;
  /** Turn the image upright from EXIF (default true). */
  autoOrient?: boolean;
  /** Run on the calling thread instead of the browser worker pool. */
  inline?: boolean;
  /** Only sharp's 'warning' is taken: corrupt input always fails. */
  failOn?: 'warning';
}

/** sharp's gravities: a side, a corner or the centre. */
export type Gravity = 'centre' | 'center' | 'north' | 'northeast' | 'east' | 'southeast' | 'south' | 'southwest' | 'west' | 'northwest';

export interface ResizeOptions {
  width?: number | null;
  height?: number | null;
  fit?: Fit;
  kernel?: Kernel;
  background?: Colour;
  /** What `cover` keeps and where `contain` places the image: a gravity, a sharp position name, `entropy` or `attention` (cover only), or their sharp numbers. */
  position?: Gravity | 'top' | 'right' | 'bottom' | 'left' | 'right top' | 'right bottom' | 'left bottom' | 'left top' | 'entropy' | 'attention' | number;
  /** Never scale up: where the fit would enlarge the image it keeps its size (`fill` per axis; `cover` cuts, `contain` pads). */
  withoutEnlargement?: boolean;
  /** Never scale down; wins over `withoutEnlargement`. */
  withoutReduction?: boolean;
  fastShrinkOnLoad?: boolean;
}

export interface OutputInfo {
  format: 'png' | 'jpeg' | 'webp' | 'gif' | 'qoi' | 'bmp' | 'raw';
  width: number;
  height: number;
  /** 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA: as stored in the file, or the bands of raw() output. */
  channels: 1 | 2 | 3 | 4;
  /** raw() output only: always 8-bit. */
  depth?: 'uchar';
  /** Whether the image has alpha: stored in the file, or an alpha band of raw() (true after greyscale() of an image with alpha, where raw() returns the grey alone, as sharp). */
  hasAlpha: boolean;
  /** After resize with fit 'cover' and position 'entropy' or 'attention', when it cut: the cut's corner in the resized image, negated. */
  cropOffsetLeft?: number;
  cropOffsetTop?: number;
  /** With cropOffsetLeft: the centre of attention in the resized image (0 for 'entropy'). */
  attentionX?: number;
  attentionY?: number;
  /** After trim(): the kept box's corner in the image trim worked on, negated (0 when nothing was cut). */
  trimOffsetLeft?: number;
  trimOffsetTop?: number;
  size: number;
}

/** `Buffer` in Node, `Uint8Array` elsewhere (a Buffer is a Uint8Array). */
export type OutputBytes = Uint8Array;

export interface Metadata {
  format: 'png' | 'jpeg' | 'webp' | 'gif' | 'qoi' | 'bmp' | 'raw';
  size: number;
  /** As stored (EXIF orientation not applied), like sharp. */
  width: number;
  height: number;
  space: 'srgb' | 'b-w' | 'rgb16' | 'grey16';
  channels: number;
  depth: 'uchar' | 'ushort';
  bitsPerSample: number;
  hasAlpha: boolean;
  orientation: number;
  isProgressive: boolean;
  isPalette: boolean;
  /** Size once upright. */
  autoOrient: { width: number; height: number };
  /** Which build ran the call. */
  build: Build;
}

export interface ChannelStats {
  min: number;
  max: number;
  sum: number;
  mean: number;
  stdev: number;
}

export interface Stats {
  /** R, G, B, then A when the image has alpha. */
  channels: ChannelStats[];
  isOpaque: boolean;
}

export interface CompositeInput {
  /**
   * Encoded bytes, a file path in Node, raw samples (with `raw`), or a blank of one colour
   * (`{ create: { width, height, channels: 3 | 4, background } }`), as sharp.
   */
  input: BytesInput | string | CreateInput;
  /** Repeat the overlay over the whole image, as sharp: `gravity` counts the tiles, `left`/`top` (else `gravity`) cut them. */
  tile?: boolean;
  /** `input` holds raw 8-bit samples of this size: grey, grey + alpha, RGB or RGBA. */
  raw?: { width: number; height: number; channels: 1 | 2 | 3 | 4 };
  /** With `top`, the overlay's top-left corner; both win over `gravity`. */
  left?: number;
  top?: number;
  /** Without `left`/`top`: a side, a corner or (the default) the centre. */
  /** A name, or sharp.gravity's number (0 centre, 1 north, 2 east, ..., 8 northwest). */
  gravity?: Gravity | number;
  /** sharp's blend modes, as libvips computes them (the PDF modes on premultiplied colour). */
  blend?: Blend;
}

export type Blend =
  | 'clear' | 'source' | 'over' | 'in' | 'out' | 'atop' | 'dest' | 'dest-over' | 'dest-in' | 'dest-out' | 'dest-atop'
  | 'xor' | 'add' | 'saturate' | 'multiply' | 'screen' | 'overlay' | 'darken' | 'lighten' | 'colour-dodge' | 'color-dodge'
  | 'colour-burn' | 'color-burn' | 'hard-light' | 'soft-light' | 'difference' | 'exclusion';

export interface PngOptions {
  /** An integer from 0 to 9. */
  compressionLevel?: number;
  /** Indexed colour (also implied by `colours`, `colors` or `dither`, unless `palette: false`). */
  palette?: boolean;
  /** The most palette entries, 2 to 256 (default 256); fewer colours are kept exactly. */
  colours?: number;
  colors?: number;
  /** Floyd–Steinberg error diffusion, 0 (none) to 1 (full, the default). */
  dither?: number;
}

export interface JpegOptions {
  quality?: number;
  progressive?: boolean;
  chromaSubsampling?: '4:2:0' | '4:4:4';
  optimiseCoding?: boolean;
  optimizeCoding?: boolean;
}

export interface WebpOptions {
  quality?: number;
  lossless?: boolean;
}

export interface Pipeline {
  clone(): Pipeline;
  rotate(angle?: number, options?: { background?: Colour }): this;
  autoOrient(): this;
  resize(width?: number | null, height?: number | null, options?: ResizeOptions): this;
  resize(options: ResizeOptions): this;
  extract(region: { left: number; top: number; width: number; height: number }): this;
  extend(options: number | { top?: number; bottom?: number; left?: number; right?: number; background?: Colour; extendWith?: 'background' }): this;
  /** sharp's trim: cuts away a border of one colour (default: the top-left pixel's). */
  trim(options?: { background?: Colour; threshold?: number; lineArt?: boolean; margin?: number }): this;
  flip(flip?: boolean): this;
  flop(flop?: boolean): this;
  blur(sigma?: number | boolean | { sigma: number; precision?: 'integer' | 'float' | 'approximate' }): this;
  sharpen(options?: number | { sigma?: number; m2?: number }, flat?: number, jagged?: number): this;
  /** Median of each `size`×`size` neighbourhood (default 3), 1..=1000. */
  median(size?: number): this;
  convolve(kernel: { width: 3 | 5; height: 3 | 5; kernel: number[]; scale?: number; offset?: number }): this;
  greyscale(grey?: boolean): this;
  grayscale(grey?: boolean): this;
  /** sharp's modulate, in CIE LCh; `hue` in whole degrees. */
  modulate(options: { brightness?: number; saturation?: number; hue?: number; lightness?: number }): this;
  /** sharp's normalise: L* from its `lower` to its `upper` percentile (defaults 1, 99) stretched to 0..100. */
  normalise(options?: boolean | { lower?: number; upper?: number }): this;
  normalize(options?: boolean | { lower?: number; upper?: number }): this;
  /** `a` and `b`: numbers, or arrays of the same length, 1 or 3 (red, green, blue). */
  linear(a?: number | number[] | null, b?: number | number[] | null): this;
  gamma(gamma?: number): this;
  negate(options?: boolean | { alpha?: boolean }): this;
  threshold(level?: number, options?: { greyscale?: true; grayscale?: true }): this;
  tint(colour: Colour): this;
  flatten(options?: { background?: Colour }): this;
  removeAlpha(): this;
  ensureAlpha(alpha?: number | null): this;
  composite(images: CompositeInput[]): this;
  /** A name, or one of `image.format`'s entries. */
  toFormat(format: OutputFormat | { id: string }, options?: PngOptions & JpegOptions & WebpOptions): this;
  /** `compressionLevel`: zlib level 0 (stored) to 9 (smallest); unset, a balanced default. */
  png(options?: PngOptions): this;
  /** 4:2:0 unless `chromaSubsampling: '4:4:4'`; Huffman tables are always optimised. */
  jpeg(options?: JpegOptions): this;
  /** Lossy (VP8) at `quality` (default 80); lossless (VP8L) with `lossless: true` or quality 100. */
  webp(options?: WebpOptions): this;
  /** 256 colours and full dithering unless given (`colours`/`colors` 2–256, `dither` 0–1). */
  gif(options?: { colours?: number; colors?: number; dither?: number }): this;
  /** 8-bit samples in sharp's bands: 1 after greyscale(), else RGB, plus alpha when the image has an alpha band. */
  raw(options?: { depth?: 'uchar' }): this;
  /** A 3×3 matrix times [R, G, B] per pixel, truncated into 0–255 as sharp; alpha kept. */
  recomb(matrix: [[number, number, number], [number, number, number], [number, number, number]]): this;
  /** One channel as an opaque grey image. */
  extractChannel(channel: 0 | 1 | 2 | 3 | 'red' | 'green' | 'blue' | 'alpha'): this;
  /** White pixels become transparent. */
  unflatten(): this;
  /** 'b-w' writes grey (greyscale after every other step); 'srgb' is the default. */
  toColourspace(space: 'srgb' | 'b-w'): this;
  toColorspace(space: 'srgb' | 'b-w'): this;
  toUint8Array(): Promise<{ data: Uint8Array; info: OutputInfo }>;
  toBuffer(): Promise<OutputBytes>;
  toBuffer(options: { resolveWithObject: true }): Promise<{ data: OutputBytes; info: OutputInfo }>;
  toBuffer(options: { resolveWithObject?: false }): Promise<OutputBytes>;
  toImageData(): Promise<ImageData>;
  /** Node: writes the result to `path` (whole or not at all); the extension picks the format unless one was chosen. */
  toFile(path: string): Promise<OutputInfo>;
  metadata(): Promise<Metadata>;
  stats(): Promise<Stats>;
  /** The job object that crosses into Wasm. */
  toJSON(): object;
}

export interface PoolStats {
  workers: number;
  busy: number;
  queued: number;
  /** Workers replaced because their Wasm memory grew past `memoryLimit`. */
  recycled: number;
  jobs: number;
  memoryLimit: number;
}

export interface WorkerPool extends EventTarget {
  stats(): PoolStats;
  terminate(): void;
}

export interface Features {
  simd128: boolean;
  threads: boolean;
  version: string;
  flavor: 'simd' | 'scalar';
  build: Build;
  /** The calling thread's Wasm memory in bytes (it only grows, until the instance is replaced). */
  memoryBytes: number;
  /** How often the calling thread's instance was replaced after a job grew it past `memoryLimit`. */
  recycled: number;
}

export interface ConfigureOptions {
  /** Pool size; 0 runs every job on the calling thread. */
  workers?: number;
  /** Bytes of Wasm memory after which a pool worker, or the calling thread's instance, is replaced after its job (default 256 MiB). */
  memoryLimit?: number;
  flavor?: 'auto' | 'simd' | 'scalar';
}

/**
 * RGBA8 pixels resident in Wasm memory on the calling thread between jobs (never in the pool):
 * the caller copies in through `pixels()`, steps run in place, the result is read through a view.
 */
export declare class Frame {
  readonly width: number;
  readonly height: number;
  /** A view of Wasm memory, valid until the next call on any frame or job of this thread. */
  pixels(): Uint8Array;
  /** The same view as an ImageData (`{ data, width, height }` outside browsers). */
  imageData(): ImageData | { data: Uint8ClampedArray; width: number; height: number };
  /** Adds steps to the empty pipeline it is given and runs them in place; `data` when an output format was chosen. */
  apply(build: (pipeline: Pipeline) => Pipeline): { width: number; height: number; data?: OutputBytes };
  /** Returns the memory; the frame cannot be used afterwards. */
  free(): void;
}

export declare function image(input: Input, options?: ImageOptions): Pipeline;
export declare function frame(width: number, height: number, options?: { limitInputPixels?: number | false }): Promise<Frame>;
export declare function configure(options: ConfigureOptions): void;
export declare function features(): Promise<Features>;
export declare function transform(
  input: BytesInput,
  query: string | URLSearchParams | Array<[string, string?]>,
  options?: { inline?: boolean },
): Promise<{ data: OutputBytes; info: OutputInfo }>;
/** `takesValue`: always a value (`resize=800x`); `optionalValue`: a flag that may carry one (`median`, `median=5`). */
export declare function vocabulary(): Promise<Array<{ name: string; takesValue: boolean; optionalValue: boolean }>>;
export declare function parseColour(colour: Colour): [number, number, number, number];
/** Browsers: the worker pool; null in Node. */
export declare const pool: WorkerPool | null;
/** What feature detection picks on this engine. */
export declare const build: Build;

declare const _default: typeof image & {
  configure: typeof configure;
  features: typeof features;
  frame: typeof frame;
  transform: typeof transform;
  vocabulary: typeof vocabulary;
  pool: WorkerPool | null;
  build: Build;
  parseColour: typeof parseColour;
  NearnativeError: typeof NearnativeError;
  /** sharp's constants, with sharp's values. */
  fit: { contain: 'contain'; cover: 'cover'; fill: 'fill'; inside: 'inside'; outside: 'outside' };
  kernel: { [K in Kernel | 'lanczos2' | 'mks2013' | 'mks2021']: K };
  gravity: Record<'center' | 'centre' | 'north' | 'east' | 'south' | 'west' | 'northeast' | 'southeast' | 'southwest' | 'northwest', number>;
  position: Record<'top' | 'right' | 'bottom' | 'left' | 'right top' | 'right bottom' | 'left bottom' | 'left top', number>;
  strategy: { entropy: number; attention: number };
  align: Record<string, string>;
  blend: { [B in Blend]: B extends `color-${infer Rest}` ? `colour-${Rest}` : B };
  colourspace: { multiband: 'multiband'; 'b-w': 'b-w'; bw: 'b-w'; cmyk: 'cmyk'; srgb: 'srgb' };
  colorspace: { multiband: 'multiband'; 'b-w': 'b-w'; bw: 'b-w'; cmyk: 'cmyk'; srgb: 'srgb' };
  bool: { and: 'and'; or: 'or'; eor: 'eor' };
  /** sharp's `format`, describing this package: what it reads and writes; file paths in Node only; no streams. */
  format: Record<'jpeg' | 'png' | 'webp' | 'gif' | 'qoi' | 'bmp' | 'raw', {
    id: string;
    input: { file: boolean; buffer: boolean; stream: boolean; fileSuffix?: string[] };
    output: { file: boolean; buffer: boolean; stream: boolean; alias?: string[] };
  }>;
  /** No operation cache exists: reports an empty one, whatever it is given. */
  cache(options?: boolean | { memory?: number; files?: number; items?: number }): { memory: { current: number; high: number; max: number }; files: { current: number; max: number }; items: { current: number; max: number } };
  /** Each job runs on one thread: 1, whatever it is given. */
  concurrency(threads?: number): number;
  /** Whether the simd128 build runs. */
  simd(enable?: boolean): boolean;
  counters(): { queue: number; process: number };
};
export default _default;
