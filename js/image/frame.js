// A frame: RGBA8 pixels that stay in Wasm memory between jobs, for loops over canvas or video
// frames where copying every result out (and a fresh buffer per job) would cost more than the
// kernel. The caller copies pixels in through a view, steps run in place, and the result is
// read through a view again. Frames live on the calling thread's instance, never in the pool.

import { invalid, unsupported } from './errors.js';
import { packOverlays } from './engine.js';
import { JOB_PARTS, Pipeline, bytesOf, isBlob } from './pipeline.js';

const NO_INPUT = Symbol('frame input');
const describeOnly = () => {
  throw unsupported('a pipeline passed to frame.apply() only describes steps; it cannot run on its own');
};

function overlayBytes(o, i) {
  if (isBlob(o)) throw unsupported(`frame.apply(): composite input ${i} must be bytes (frame.apply() is synchronous, so Blobs are not read)`);
  return bytesOf(o, `frame.apply(): composite input ${i}`);
}

// A frame dropped without free() is freed by wasm-bindgen's own finaliser; this one tells the
// engine, which keeps its instance while it counts frames in it.
const collected = new FinalizationRegistry(({ engine, generation }) => engine.frameGone(generation));

export class Frame {
  #engine;
  #handle;
  #generation;
  #maxPixels;

  constructor(engine, width, height, maxPixels) {
    this.#engine = engine;
    this.#maxPixels = maxPixels;
    const { handle, generation } = engine.createFrame(width, height, maxPixels);
    this.#handle = handle;
    this.#generation = generation;
    collected.register(this, { engine, generation }, this);
  }

  #live() {
    if (!this.#handle) throw invalid('this frame was freed; create a new one with image.frame()');
    if (!this.#engine.isCurrent(this.#generation)) {
      throw invalid('this frame was made before the module was reset after a trap; create a new one with image.frame()');
    }
    return this.#handle;
  }

  get width() {
    return this.#engine.call(() => this.#live().width);
  }

  get height() {
    return this.#engine.call(() => this.#live().height);
  }

  /**
   * The pixels as a Uint8Array view of Wasm memory (no copy). Valid until the next call on
   * any frame or job of this thread: a job moves the pixels and may grow the memory.
   */
  pixels() {
    return this.#engine.call(() => this.#live().pixels());
  }

  /** The pixels as an ImageData (a `{ data, width, height }` object outside browsers) over the same view. */
  imageData() {
    const view = this.pixels();
    const data = new Uint8ClampedArray(view.buffer, view.byteOffset, view.byteLength);
    const { width, height } = this;
    return typeof ImageData === 'undefined' ? { data, width, height } : new ImageData(data, width, height);
  }

  /**
   * Runs steps on the frame in place. `build` receives an empty sharp-shaped pipeline and
   * returns it with steps added: `frame.apply((p) => p.grayscale().linear(1.3, -38.4))`.
   * Returns `{ width, height }` of the frame after the steps, plus `data` (the encoded bytes)
   * when the chain ends in an output format such as `.webp()`.
   */
  apply(build) {
    if (typeof build !== 'function') {
      throw invalid('frame.apply(build): build must be a function that adds steps to the pipeline it receives, e.g. (p) => p.grayscale()');
    }
    const pipeline = build(new Pipeline(NO_INPUT, { limitInputPixels: this.#maxPixels }, describeOnly));
    if (!(pipeline instanceof Pipeline)) throw invalid('frame.apply(build): build must return the pipeline it received');
    const { job, overlays } = pipeline[JOB_PARTS]();
    // No output format chosen means the frame itself is the result.
    if (job.target.kind === 'encoded' && job.target.format === null) job.target = { kind: 'raw' };
    const [joined, lengths] = packOverlays(overlays.map(overlayBytes));
    const handle = this.#live();
    const encoded = this.#engine.call(() => handle.run(JSON.stringify(job), joined, lengths));
    const size = this.#engine.call(() => ({ width: handle.width, height: handle.height }));
    return encoded === undefined ? size : { ...size, data: encoded };
  }

  /** Returns the pixels' memory to the instance; the frame cannot be used afterwards. */
  free() {
    if (!this.#handle) return;
    const handle = this.#handle;
    this.#handle = null;
    collected.unregister(this);
    // A frame of a replaced instance has nothing to free here: its pointer means nothing in
    // the new instance, where freeing it would corrupt the heap.
    if (!this.#engine.isCurrent(this.#generation)) return;
    this.#engine.frameGone(this.#generation);
    this.#engine.call(() => handle.free());
  }
}
