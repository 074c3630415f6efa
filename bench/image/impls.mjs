// The implementations of the image jobs, as adapters over modules the caller has loaded (so
// the same adapters run in Node and in the page). Each adapter is
//   { impl, wasm, jobs: { [job]: async (input) => { width, height, pixels? } | unsupported: 'why' },
//     memory(job): bytes of its Wasm linear memory, or null when it cannot be reached,
//     measurable: whether memory.mjs can measure it in a fresh instance }
// Peers run their nearest equivalent of each job; the differences are listed in bench/image/README.md.

import { BLUR_SIGMA, CONTRAST, JOBS, WEBP_WIDTH, encodedSize } from './harness.mjs';

const [RW, RH] = JOBS['resize-lanczos3'].out;

const wasmMemory = (memory) => (memory instanceof WebAssembly.Memory ? memory.buffer.byteLength : null);

/** Job objects of nearnative-image's `pipeline::Job` (serde JSON). */
export const OUR_JOBS = {
  'resize-lanczos3': { steps: [{ op: 'resize', width: RW, height: RH, fit: 'fill', filter: 'lanczos3' }], target: { kind: 'raw' } },
  'blur-sigma10': { steps: [{ op: 'blur', sigma: BLUR_SIGMA }], target: { kind: 'raw' } },
  'grayscale-contrast': { steps: [{ op: 'grayscale' }, { op: 'contrast', factor: CONTRAST }], target: { kind: 'raw' } },
  'jpeg-to-webp': {
    steps: [{ op: 'resize', width: WEBP_WIDTH, height: null }], target: { kind: 'encoded', format: 'webp', quality: 80 },
  },
};
OUR_JOBS['jpeg-to-webp-24mp'] = OUR_JOBS['jpeg-to-webp'];
OUR_JOBS['jpeg-to-webp-100mp'] = OUR_JOBS['jpeg-to-webp'];

/**
 * nearnative through its wasm-bindgen exports (`imageRun`, `imageRunRgba`): one call per job,
 * the job as JSON. `exports` is what the glue's `init` resolved with (it has `memory`).
 */
export function nearnative(glue, exports, impl = 'nearnative') {
  const none = new Uint8Array(0);
  const noLengths = new Uint32Array(0);
  const jobs = {};
  for (const [name, job] of Object.entries(OUR_JOBS)) {
    const text = JSON.stringify(job);
    const { width, height, jpeg } = JOBS[name];
    jobs[name] = jpeg
      ? async (input) => unwrap(glue.imageRun(text, input, none, noLengths))
      : async (input) => unwrap(glue.imageRunRgba(text, input, width, height, true, none, noLengths));
  }
  return { impl, wasm: true, measurable: true, jobs, memory: () => wasmMemory(exports.memory) };
}

/**
 * nearnative through the npm package's sharp-shaped chain (dist/npm/image): what a user calls.
 * Its Wasm memory is measured through `nearnative` (the same module) in a fresh instance.
 */
export function nearnativePackage(pkg) {
  const raw = (input, job) => {
    const { width, height } = JOBS[job];
    return pkg.image(input, { raw: { width, height, channels: 4 }, inline: true });
  };
  const done = async (pipeline) => {
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, pixels: data };
  };
  const webp = async (input) => {
    const { data, info } = await pkg.image(input, { inline: true }).resize(WEBP_WIDTH).webp({ quality: 80 })
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, bytes: data };
  };
  return {
    impl: 'nearnative',
    wasm: true,
    measurable: true, // through `nearnative`, in memory.mjs
    jobs: {
      'resize-lanczos3': async (input) => done(raw(input, 'resize-lanczos3').resize(RW, RH, { fit: 'fill', kernel: 'lanczos3' })),
      'blur-sigma10': async (input) => done(raw(input, 'blur-sigma10').blur(BLUR_SIGMA)),
      'grayscale-contrast': async (input) =>
        done(raw(input, 'grayscale-contrast').grayscale().linear(CONTRAST, 128 - 128 * CONTRAST)),
      'jpeg-to-webp': webp, 'jpeg-to-webp-24mp': webp, 'jpeg-to-webp-100mp': webp,
    },
    memory: () => null,
  };
}

/**
 * nearnative with the pixels already in Wasm memory: the package's `image.frame()`, filled
 * before the timer starts (untimed, as native's copy of its input is), then the job's steps in
 * place. It times what native is timed on (opacity scan + kernel, the result left in memory),
 * so "× native" on its rows compares the kernels; the `nearnative` rows add the copies across
 * the boundary a sharp-shaped call makes.
 */
export function nearnativeFrame(pkg) {
  const jobs = {};
  const steps = {
    'resize-lanczos3': (p) => p.resize(RW, RH, { fit: 'fill', kernel: 'lanczos3' }),
    'blur-sigma10': (p) => p.blur(BLUR_SIGMA),
    'grayscale-contrast': (p) => p.grayscale().linear(CONTRAST, 128 - 128 * CONTRAST),
  };
  let frame = null;
  for (const name of Object.keys(OUR_JOBS)) {
    const { width, height, jpeg } = JOBS[name];
    if (jpeg) {
      jobs[name] = null; // no row: a frame holds pixels, the JPEG jobs start from a file
      continue;
    }
    jobs[name] = {
      prepare: async (input) => {
        frame?.free();
        frame = await pkg.frame(width, height);
        frame.pixels().set(input);
      },
      run: async () => {
        const size = frame.apply(steps[name]);
        return { ...size, pixels: frame.pixels() };
      },
    };
  }
  return { impl: 'nearnative (frame)', wasm: true, measurable: false, jobs, memory: () => null };
}

function unwrap(out) {
  return { width: out.width, height: out.height, pixels: out.format === 'raw' ? out.data : null, bytes: out.data };
}

/** @silvia-odwyer/photon-node (Rust + wasm-bindgen, the image crate's codecs). */
export function photon(p) {
  const raw = (input, w, h) => new p.PhotonImage(input, w, h);
  const done = (img) => {
    const out = { width: img.get_width(), height: img.get_height(), pixels: img.get_raw_pixels() };
    img.free();
    return out;
  };
  const spec = (job) => JOBS[job];
  const webp = async (input) => {
    const src = p.PhotonImage.new_from_byteslice(input);
    const h = Math.round((WEBP_WIDTH * src.get_height()) / src.get_width());
    const small = p.resize(src, WEBP_WIDTH, h, p.SamplingFilter.Lanczos3);
    src.free();
    const bytes = small.get_bytes_webp();
    small.free();
    const [width, height] = encodedSize(bytes) ?? [0, 0];
    return { width, height, bytes };
  };
  return {
    impl: '@silvia-odwyer/photon-node',
    wasm: true,
    measurable: true,
    jobs: {
      'resize-lanczos3': async (input) => {
        const { width, height } = spec('resize-lanczos3');
        const img = raw(input, width, height);
        const out = p.resize(img, RW, RH, p.SamplingFilter.Lanczos3);
        img.free();
        return done(out);
      },
      // photon's `radius` is the σ of its three-box approximation (ivank's gaussBlur_4).
      'blur-sigma10': async (input) => {
        const { width, height } = spec('blur-sigma10');
        const img = raw(input, width, height);
        p.gaussian_blur(img, BLUR_SIGMA);
        return done(img);
      },
      // adjust_contrast(c) scales by 259(c+255)/(255(259-c)); c = 33.5 is a factor of 1.30.
      'grayscale-contrast': async (input) => {
        const { width, height } = spec('grayscale-contrast');
        const img = raw(input, width, height);
        p.grayscale(img);
        p.adjust_contrast(img, 33.5);
        return done(img);
      },
      'jpeg-to-webp': webp,
      'jpeg-to-webp-24mp': webp,
      'jpeg-to-webp-100mp': webp,
    },
    memory: () => wasmMemory(p.__wasm?.memory),
  };
}

/** pica: resize only, through its Wasm path or its pure-JS path. */
export function pica(picaFactory, feature) {
  const instance = picaFactory({ features: [feature], idle: 60_000 });
  const { width, height } = JOBS['resize-lanczos3'];
  const only = 'pica only resizes (no blur, colour or codecs)';
  return {
    impl: feature === 'wasm' ? 'pica (wasm)' : 'pica (js)',
    wasm: feature === 'wasm',
    jobs: {
      'resize-lanczos3': async (input) => {
        const pixels = await instance.resizeBuffer({ src: input, width, height, toWidth: RW, toHeight: RH, filter: 'lanczos3' });
        return { width: RW, height: RH, pixels };
      },
      'blur-sigma10': only, 'grayscale-contrast': only, 'jpeg-to-webp': only, 'jpeg-to-webp-24mp': only,
      'jpeg-to-webp-100mp': only,
    },
    memory: () => null,
  };
}

/** jimp (pure JS). No Lanczos (bicubic instead), no WebP encoder. */
export function jimp({ Jimp, ResizeStrategy }) {
  const from = (input, job) => {
    const { width, height } = JOBS[job];
    // A copy: jimp works in place on the buffer it is given.
    return new Jimp({ width, height, data: Buffer.from(input) });
  };
  const done = (img) => ({ width: img.bitmap.width, height: img.bitmap.height, pixels: img.bitmap.data });
  const noWebp = 'jimp has no WebP encoder';
  return {
    impl: 'jimp',
    wasm: false,
    jobs: {
      'resize-lanczos3': async (input) => done(from(input, 'resize-lanczos3').resize({ w: RW, h: RH, mode: ResizeStrategy.BICUBIC })),
      // jimp's gaussian() is O(r²) per pixel (minutes at σ=10); blur() is its fast box approximation.
      'blur-sigma10': async (input) => done(from(input, 'blur-sigma10').blur(BLUR_SIGMA)),
      // contrast(v) scales by (1+v)/(1-v); v = 0.3/2.3 is a factor of 1.30.
      'grayscale-contrast': async (input) => done(from(input, 'grayscale-contrast').greyscale().contrast(0.3 / 2.3)),
      'jpeg-to-webp': noWebp, 'jpeg-to-webp-24mp': noWebp, 'jpeg-to-webp-100mp': noWebp,
    },
    memory: () => null,
  };
}

/**
 * jSquash: @jsquash/resize (Rust, wasm-bindgen), @jsquash/jpeg (mozjpeg) and @jsquash/webp
 * (libwebp), each its own Wasm instance; memory is the sum of the three.
 * `modules` = { resize, jpegDecode, webpEncode, memories: () => ({ codecs: [Memory], resize: Memory }) };
 * the resize job counts only the resize module's memory.
 */
export function jsquash({ resize, jpegDecode, webpEncode, memories }) {
  const { width, height } = JOBS['resize-lanczos3'];
  const webp = async (input) => {
    const decoded = await jpegDecode(input);
    const h = Math.round((WEBP_WIDTH * decoded.height) / decoded.width);
    const small = await resize(decoded, { width: WEBP_WIDTH, height: h, method: 'lanczos3', fitMethod: 'stretch' });
    const bytes = new Uint8Array(await webpEncode(small, { quality: 80 }));
    const [w2, h2] = encodedSize(bytes) ?? [0, 0];
    return { width: w2, height: h2, bytes };
  };
  const none = '@jsquash has no such operation (codecs and resize only)';
  return {
    impl: '@jsquash',
    wasm: true,
    measurable: true,
    jobs: {
      'resize-lanczos3': async (input) => {
        const src = new ImageData(new Uint8ClampedArray(input.buffer, input.byteOffset, input.byteLength), width, height);
        const out = await resize(src, { width: RW, height: RH, method: 'lanczos3', fitMethod: 'stretch' });
        return { width: out.width, height: out.height, pixels: out.data };
      },
      'blur-sigma10': none, 'grayscale-contrast': none,
      'jpeg-to-webp': webp, 'jpeg-to-webp-24mp': webp, 'jpeg-to-webp-100mp': webp,
    },
    memory: (job) => {
      const { codecs, resize: r } = memories();
      const sizes = (JOBS[job]?.jpeg ? [...codecs, r] : [r]).map(wasmMemory);
      return sizes.length && sizes.every((s) => s !== null) ? sizes.reduce((a, b) => a + b, 0) : null;
    },
  };
}

/** wasm-vips (libvips through Emscripten). */
export function wasmVips(vips, memories = () => []) {
  const image = (input, job) => {
    const { width, height } = JOBS[job];
    return vips.Image.newFromMemory(input, width, height, 4, 'uchar');
  };
  const run = (img, op) => {
    const out = op(img);
    const pixels = out.writeToMemory();
    const result = { width: out.width, height: out.height, pixels };
    out.delete();
    img.delete();
    return result;
  };
  const webp = async (input) => {
    const thumb = vips.Image.thumbnailBuffer(input, WEBP_WIDTH);
    const bytes = thumb.writeToBuffer('.webp', { Q: 80 });
    const result = { width: thumb.width, height: thumb.height, bytes };
    thumb.delete();
    return result;
  };
  const { width, height } = JOBS['resize-lanczos3'];
  return {
    impl: 'wasm-vips',
    wasm: true,
    measurable: true,
    jobs: {
      'resize-lanczos3': async (input) =>
        run(image(input, 'resize-lanczos3'), (img) => img.resize(RW / width, { vscale: RH / height, kernel: 'lanczos3' })),
      'blur-sigma10': async (input) => run(image(input, 'blur-sigma10'), (img) => img.gaussblur(BLUR_SIGMA)),
      'grayscale-contrast': async (input) =>
        run(image(input, 'grayscale-contrast'), (img) => img.colourspace('b-w').linear(CONTRAST, 128 - 128 * CONTRAST)),
      'jpeg-to-webp': webp, 'jpeg-to-webp-24mp': webp, 'jpeg-to-webp-100mp': webp,
    },
    memory: () => {
      const sizes = memories().map((m) => m.buffer.byteLength);
      return sizes.length ? Math.max(...sizes) : null;
    },
  };
}

/** sharp (libvips, native): the reference, not a peer. Its default thread pool (both cores). */
export function sharp(s) {
  const raw = (input, job) => {
    const { width, height } = JOBS[job];
    return s(input, { raw: { width, height, channels: 4 } });
  };
  const done = async (pipeline) => {
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, pixels: info.channels === 4 ? data : null };
  };
  const webp = async (input) => {
    const { data, info } = await s(input).resize(WEBP_WIDTH).webp({ quality: 80 }).toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, bytes: data };
  };
  return {
    impl: 'sharp',
    wasm: false,
    jobs: {
      'resize-lanczos3': async (input) => done(raw(input, 'resize-lanczos3').resize(RW, RH, { fit: 'fill', kernel: 'lanczos3' })),
      'blur-sigma10': async (input) => done(raw(input, 'blur-sigma10').blur(BLUR_SIGMA)),
      'grayscale-contrast': async (input) =>
        done(raw(input, 'grayscale-contrast').grayscale().linear(CONTRAST, 128 - 128 * CONTRAST)),
      'jpeg-to-webp': webp, 'jpeg-to-webp-24mp': webp, 'jpeg-to-webp-100mp': webp,
    },
    memory: () => null,
  };
}

/** The entries of `measureJob` for one job. */
export function entriesFor(adapters, job) {
  return adapters.filter((a) => a.jobs[job] !== null).map((a) => {
    const fn = a.jobs[job];
    if (typeof fn === 'function') return { impl: a.impl, run: fn };
    if (fn && typeof fn.run === 'function') return { impl: a.impl, run: fn.run, prepare: fn.prepare };
    return { impl: a.impl, unsupported: fn ?? 'not implemented' };
  });
}
