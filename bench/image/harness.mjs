// Shared by the Node and the Chromium image benches (bench/native/src/image.rs does the same in
// Rust). Plain ES module, no imports: it runs unchanged in Node and in the page.
//
// Methodology (bench/README.md): every job starts from the same deterministic photo-like image
// (`photo`, bit for bit the generator of bench/native/src/image.rs), or from the JPEG that
// `cargo xtask bench image` writes once with that generator and our encoder (q90). Each
// implementation runs the job once to warm up (not in --quick), then `runs` times, round-robin
// across implementations so a burst of load elsewhere hits all of them alike; the row reports
// the median wall time of one job, input conversion included (what a caller pays), input
// generation excluded. An implementation that cannot do a job gets a row with `failed`.

/** name → { input label, size, what it does }. The JPEG jobs read `photo-WxH.jpg`. */
export const JOBS = {
  'resize-lanczos3': { input: '4928x3279', width: 4928, height: 3279, out: [852, 567] },
  'blur-sigma10': { input: '4000x3000', width: 4000, height: 3000, out: [4000, 3000] },
  'jpeg-to-webp': { input: '4928x3279-jpeg', width: 4928, height: 3279, jpeg: true, out: [1600, 1065] },
  'grayscale-contrast': { input: '4000x3000', width: 4000, height: 3000, out: [4000, 3000] },
  // The memory targets of issue #5: timed once, reported for their peak Wasm memory.
  'jpeg-to-webp-24mp': { input: '6000x4000-jpeg', width: 6000, height: 4000, jpeg: true, out: [1600, 1067], memory: true },
  'jpeg-to-webp-100mp': { input: '10000x10000-jpeg', width: 10000, height: 10000, jpeg: true, out: [1600, 1600], memory: true },
};
export const TIMED_JOBS = Object.keys(JOBS).filter((j) => !JOBS[j].memory);
export const CONTRAST = 1.3;
export const BLUR_SIGMA = 10;
export const WEBP_WIDTH = 1600;

export const jpegName = (job) => `photo-${JOBS[job].width}x${JOBS[job].height}.jpg`;

function hash32(n) {
  n = Math.imul(n ^ (n >>> 16), 0x045d9f3b);
  n = Math.imul(n ^ (n >>> 16), 0x045d9f3b);
  return (n ^ (n >>> 16)) >>> 0;
}

const clamp8 = (v) => (v < 0 ? 0 : v > 255 ? 255 : v);

/** RGBA pixels: gradients, soft bands and ±8 of grain (see bench/native/src/image.rs `photo`). */
export function photo(w, h) {
  const px = new Uint8Array(w * h * 4);
  let i = 0;
  for (let y = 0; y < h; y++) {
    const g0 = Math.floor((y * 255) / h);
    for (let x = 0; x < w; x++) {
      const n = hash32((Math.imul(y, w) + x) >>> 0);
      const band = ((Math.floor(x / 64) + Math.floor(y / 48)) % 5 === 0) ? 40 : 0;
      px[i++] = clamp8(Math.floor((x * 255) / w) + (n & 15) - 8 + band);
      px[i++] = clamp8(g0 + ((n >>> 8) & 15) - 8 + (band >> 1));
      px[i++] = clamp8(Math.floor(((x + y) * 255) / (w + h)) + ((n >>> 16) & 15) - 8 - (band >> 1) + 40);
      px[i++] = 255;
    }
  }
  return px;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function config(quick) {
  return quick ? { runs: 1, warmup: true } : { runs: 7, warmup: true };
}

const breathe = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Width and height of an encoded PNG/JPEG/WebP, from its header (enough to check outputs). */
export function encodedSize(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (b[0] === 0x89 && b[1] === 0x50) {
    const dv = new DataView(b.buffer, b.byteOffset);
    return [dv.getUint32(16), dv.getUint32(20)];
  }
  if (b[0] === 0xff && b[1] === 0xd8) {
    let i = 2;
    while (i + 9 < b.length) {
      if (b[i] !== 0xff) { i++; continue; }
      const marker = b[i + 1];
      const len = (b[i + 2] << 8) | b[i + 3];
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return [(b[i + 7] << 8) | b[i + 8], (b[i + 5] << 8) | b[i + 6]];
      }
      i += 2 + len;
    }
  }
  if (b[0] === 0x52 && b[8] === 0x57) {
    const chunk = String.fromCharCode(b[12], b[13], b[14], b[15]);
    if (chunk === 'VP8 ') return [((b[27] << 8) | b[26]) & 0x3fff, ((b[29] << 8) | b[28]) & 0x3fff];
    if (chunk === 'VP8L') {
      const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
      return [(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1];
    }
    if (chunk === 'VP8X') return [1 + (b[24] | (b[25] << 8) | (b[26] << 16)), 1 + (b[27] | (b[28] << 8) | (b[29] << 16))];
  }
  return null;
}

/**
 * Checks a job's result `{ width, height }` against the job's expected size; jobs on raw
 * pixels must also have changed them (a no-op kernel is not a result).
 */
function check(job, result, input) {
  const [w, h] = JOBS[job].out;
  // Resizers round 1065.2 or 1066.7 either way; one pixel of slack on the derived side.
  if (result.width !== w || Math.abs(result.height - h) > 1) {
    throw new Error(`output is ${result.width}x${result.height}, expected ${w}x${h}`);
  }
  if (result.pixels && input && result.pixels.length === input.length) {
    let same = true;
    for (let i = 0; i < input.length; i += 4093) if (result.pixels[i] !== input[i]) { same = false; break; }
    if (same) throw new Error('the output equals the input: the operation did nothing');
  }
}

/**
 * Times `job` for every entry `{ impl, run(input) -> Promise<{ width, height, pixels? }>, prepare? }`
 * (`prepare(input)`, when present, runs untimed before each run).
 * `input` is RGBA pixels or JPEG bytes. Returns one row per entry; failures become
 * `{ failed: reason }` rows.
 */
export async function measureJob({ host, job, input, entries, cfg, onProgress = () => {} }) {
  const spec = JOBS[job];
  const megapixels = (spec.width * spec.height) / 1e6;
  const runs = spec.memory ? 1 : cfg.runs;
  const live = [];
  const rows = [];
  for (const entry of entries) {
    if (entry.unsupported) {
      rows.push({ kernel: job, input: spec.input, host, impl: entry.impl, failed: entry.unsupported });
      continue;
    }
    try {
      // `prepare` (untimed) puts the input where the timed run starts from, e.g. Wasm memory.
      if (entry.prepare) await entry.prepare(input);
      const t = performance.now();
      const result = await entry.run(input);
      const first = performance.now() - t;
      check(job, result, spec.jpeg ? null : input);
      live.push({ entry, samples: cfg.warmup && !spec.memory ? [] : [first] });
    } catch (err) {
      const reason = String(err?.message ?? err).split('\n')[0].slice(0, 200);
      rows.push({ kernel: job, input: spec.input, host, impl: entry.impl, failed: reason });
      onProgress(`[${host}] ${job} ${entry.impl}: failed: ${reason}`);
    }
    await breathe();
  }
  while (live.some((l) => l.samples.length < runs)) {
    for (const l of live) {
      if (l.samples.length >= runs || l.failed) continue;
      try {
        if (l.entry.prepare) await l.entry.prepare(input);
        const t = performance.now();
        await l.entry.run(input);
        l.samples.push(performance.now() - t);
      } catch (err) {
        l.failed = String(err?.message ?? err).split('\n')[0].slice(0, 200);
      }
      await breathe();
    }
  }
  for (const { entry, samples, failed } of live) {
    if (failed) {
      rows.push({ kernel: job, input: spec.input, host, impl: entry.impl, failed });
      continue;
    }
    const ms = median(samples);
    rows.push({
      kernel: job, input: spec.input, host, impl: entry.impl, median_ms: Math.round(ms * 1000) / 1000,
      throughput: Math.round((megapixels / (ms / 1e3)) * 1000) / 1000, unit: 'MP/s', runs: samples.length,
    });
    onProgress(`[${host}] ${job} ${entry.impl}: ${ms.toFixed(1)} ms`);
  }
  return rows;
}

/** Luma (BT.601, 0..255 floats) of RGBA or RGB pixels. */
export function luma(pixels, channels = 4) {
  const n = pixels.length / channels;
  const out = new Float32Array(n);
  for (let i = 0, j = 0; i < n; i++, j += channels) {
    out[i] = 0.299 * pixels[j] + 0.587 * pixels[j + 1] + 0.114 * pixels[j + 2];
  }
  return out;
}

/**
 * Mean SSIM of two luma planes of the same size, over non-overlapping 8×8 windows with uniform
 * weights (Wang et al. 2004 with a box window instead of the 11×11 Gaussian; constants
 * C1 = (0.01·255)², C2 = (0.03·255)²). Partial windows at the right and bottom edges are skipped.
 */
export function ssim(a, b, width, height) {
  const C1 = (0.01 * 255) ** 2;
  const C2 = (0.03 * 255) ** 2;
  let total = 0;
  let count = 0;
  for (let y0 = 0; y0 + 8 <= height; y0 += 8) {
    for (let x0 = 0; x0 + 8 <= width; x0 += 8) {
      let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
      for (let y = y0; y < y0 + 8; y++) {
        for (let x = x0, i = y * width + x0; x < x0 + 8; x++, i++) {
          const va = a[i];
          const vb = b[i];
          sa += va; sb += vb; saa += va * va; sbb += vb * vb; sab += va * vb;
        }
      }
      const ma = sa / 64;
      const mb = sb / 64;
      const va = saa / 64 - ma * ma;
      const vb = sbb / 64 - mb * mb;
      const cov = sab / 64 - ma * mb;
      total += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
      count++;
    }
  }
  return total / count;
}
