// Runs one request on the calling thread: the job (JSON of nearnative_image::Job), the input
// and the overlays cross into Wasm in one call; the output comes back as one buffer plus a
// small info object. Used inline and inside each pool worker. No kernel logic lives here.

import { NearnativeError, guard as guardCall } from './errors.js';

const EMPTY = new Uint8Array(0);

/** Overlays travel as one concatenated buffer plus their lengths (one boundary crossing). */
export function packOverlays(overlays = []) {
  if (overlays.length === 0) return [EMPTY, new Uint32Array(0)];
  const lengths = new Uint32Array(overlays.map((o) => o.length));
  const joined = new Uint8Array(lengths.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const o of overlays) {
    joined.set(o, at);
    at += o.length;
  }
  return [joined, lengths];
}

/**
 * sharp's output `info`: our 8-bit output, and where the steps cut as
 * sharp reports it (offsets negated; the attention focus in the resized image).
 */
function sharpInfo({ format, width, height, channels, hasAlpha, size }, cuts) {
  const info = { format, width, height, channels };
  if (format === 'raw') info.depth = 'uchar';
  const negated = (v) => 0 - v; // 0 - 0 is 0, where -0 would print as -0 in Node
  if (cuts?.strategy) {
    const { left, top, focusX, focusY } = cuts.strategy;
    Object.assign(info, { cropOffsetLeft: negated(left), cropOffsetTop: negated(top), attentionX: focusX, attentionY: focusY });
  }
  if (cuts?.trim) Object.assign(info, { trimOffsetLeft: negated(cuts.trim[0]), trimOffsetTop: negated(cuts.trim[1]) });
  return Object.assign(info, { hasAlpha, size });
}

export function createEngine({ flavor, glue }) {
  // Frames point into this instance's memory, so it is never replaced while one is alive. Each
  // instance is a generation: a frame of an older one is stale, and is not counted.
  let generation = 0;
  let liveFrames = 0;
  let recycled = 0;
  const replaced = () => {
    generation++;
    liveFrames = 0;
  };
  // Every call into wasm goes through here (errors.js: codes kept, a trap resets the instance).
  const guard = (fn) => guardCall(glue, fn, replaced);

  const build = glue.features().simd128 ? 'simd128' : 'scalar';
  // The current instance's linear memory, which only grows until the instance is replaced.
  const memoryBytes = () => glue.initSync().memory.buffer.byteLength;

  function output(out) {
    const { data, format, width, height, channels, hasAlpha, size, input, cuts } = out;
    return { data, info: sharpInfo({ format, width, height, channels, hasAlpha, size }, cuts), input: input ?? null };
  }

  /**
   * `request`: { kind: 'run' | 'stats' | 'metadata' | 'transform', job?: string,
   * input: { bytes } | { rgba, width, height }, overlays?: Uint8Array[], pairs?: string[] }.
   */
  function execute(request) {
    const { kind, job, input, overlays, pairs } = request;
    switch (kind) {
      case 'run': {
        const [joined, lengths] = packOverlays(overlays);
        return output(guard(() => (input.rgba
          ? glue.imageRunRgba(job, input.rgba, input.width, input.height, input.alpha ?? true, joined, lengths)
          : glue.imageRun(job, input.bytes, joined, lengths))));
      }
      case 'stats': {
        const [joined, lengths] = packOverlays(overlays);
        return guard(() => (input.rgba
          ? glue.imageStats(job, input.rgba, input.width, input.height, input.alpha ?? true, input.grey ?? false, joined, lengths)
          : glue.imageStats(job, input.bytes, 0, 0, false, false, joined, lengths)));
      }
      case 'metadata':
        return guard(() => glue.imageMetadata(input.bytes));
      case 'transform':
        return output(guard(() => glue.imageTransform(pairs, input.bytes)));
      case 'trap':
        return guard(() => glue.__trapForTests());
      default:
        throw new NearnativeError('internal', `unknown request kind '${kind}'`);
    }
  }

  return {
    flavor,
    build,
    execute,
    /** RGBA8 pixels resident in this instance's memory (frame.js wraps the handle). */
    createFrame: (width, height, maxPixels) => {
      const handle = guard(() => new glue.ImageFrame(width, height, maxPixels));
      liveFrames++;
      return { handle, generation };
    },
    /** Whether a frame made in `frameGeneration` points into the current instance. */
    isCurrent: (frameGeneration) => frameGeneration === generation,
    /** A frame of `frameGeneration` was freed or collected. */
    frameGone: (frameGeneration) => {
      if (frameGeneration === generation) liveFrames--;
    },
    /**
     * Wasm memory never shrinks: after a job that grew it past `limit` bytes, a fresh instance
     * takes this one's place (while no frame lives in it), so one huge image does not keep its
     * memory for the life of the process. Returns whether it did.
     */
    recycleIfGrown(limit) {
      if (liveFrames > 0 || memoryBytes() <= limit) return false;
      glue.__wbg_reset_state();
      replaced();
      recycled++;
      return true;
    },
    /** Runs `fn` (a call on a handle of this instance) under the trap guard. */
    call: guard,
    memoryBytes,
    features: () => ({ ...glue.features(), flavor, build, memoryBytes: memoryBytes(), recycled }),
    vocabulary: () => glue.imageVocabulary(),
  };
}
