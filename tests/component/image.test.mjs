// The `image` interface of the library component (dist/component/nearnative.wasm), through
// jco in Node. Inputs are made, and PNG outputs read back, by an independent PNG codec over
// node:zlib (./png.mjs); geometry is checked pixel for pixel against JavaScript, the query
// form (`transform`) against the variant form (`pipeline`), and bad input against the stable
// error codes.
//
//   node --test tests/component/image.test.mjs
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadComponentApi, codeOf } from './jco-load.mjs';
import { crop, decodePng, encodePng, flop, hugePngHeader, testPicture } from './png.mjs';

const { raw } = await loadComponentApi();
const { image } = raw;

const PNG_OUT = { format: 'png', quality: 80, progressive: false, compression: undefined, chromaSubsampling: 'chroma420', palette: undefined };
const KEEP = { format: undefined, quality: 80, progressive: false, compression: undefined, chromaSubsampling: 'chroma420', palette: undefined };
const BLACK = { r: 0, g: 0, b: 0, a: 255 };

/** The stable code a component call fails with (undefined if it succeeds). */
function failure(fn) {
  try {
    fn();
  } catch (err) {
    const code = codeOf(err);
    if (code === undefined) throw err;
    assert.ok(String(err.payload.val).length > 10, `message of ${code}: ${err.payload.val}`);
    return code;
  }
  return undefined;
}

// Pixel-level references in JavaScript (RGBA8).
function flip(px, w, h) {
  const out = new Uint8Array(px.length);
  for (let y = 0; y < h; y++) out.set(px.subarray(y * w * 4, (y + 1) * w * 4), (h - 1 - y) * w * 4);
  return out;
}
/** Clockwise quarter turn: the result is h wide and w tall. */
function rotate90(px, w, h) {
  const out = new Uint8Array(px.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out.set(px.subarray((y * w + x) * 4, (y * w + x) * 4 + 4), (x * h + (h - 1 - y)) * 4);
  return out;
}

const W = 37, H = 21;
const PIXELS = testPicture(W, H, { alpha: true });
const PNG = encodePng(W, H, PIXELS);
const OPAQUE = testPicture(64, 48);
const OPAQUE_PNG = encodePng(64, 48, OPAQUE, { alpha: false });
// Full-resolution colour, so the test picture's fine colour detail survives (see the q90 bound below).
const JPEG = image.encode({ width: 64, height: 48, pixels: OPAQUE }, { format: 'jpeg', quality: 90, progressive: false, compression: undefined, chromaSubsampling: 'chroma444', palette: undefined });

describe('image: header and codecs', () => {
  test('info reads the header of an independently encoded PNG', () => {
    assert.deepEqual(image.info(PNG), {
      format: 'png', width: W, height: H, channels: 4, bitDepth: 8, hasAlpha: true, orientation: 1, palette: false, progressive: false,
    });
    const rgb = image.info(OPAQUE_PNG);
    assert.equal(rgb.channels, 3);
    assert.equal(rgb.hasAlpha, false);
    const jpeg = image.info(JPEG);
    assert.deepEqual([jpeg.format, jpeg.width, jpeg.height, jpeg.channels, jpeg.bitDepth], ['jpeg', 64, 48, 3, 8]);
  });

  test('decode gives the exact RGBA8 pixels of the PNG (RGBA and RGB)', () => {
    const rgba = image.decode(PNG);
    assert.deepEqual([rgba.width, rgba.height], [W, H]);
    assert.deepEqual(Buffer.from(rgba.pixels), Buffer.from(PIXELS));
    assert.deepEqual(Buffer.from(image.decode(OPAQUE_PNG).pixels), Buffer.from(OPAQUE));
  });

  test('encode: PNG (the default) round-trips exactly through the independent decoder; JPEG is close', () => {
    for (const output of [PNG_OUT, KEEP]) {
      const png = decodePng(image.encode({ width: W, height: H, pixels: PIXELS }, output));
      assert.deepEqual([png.width, png.height, png.colorType], [W, H, 6]);
      assert.deepEqual(Buffer.from(png.pixels), Buffer.from(PIXELS));
    }
    // Opaque pixels are written as RGB.
    assert.equal(decodePng(image.encode({ width: 64, height: 48, pixels: OPAQUE }, PNG_OUT)).colorType, 2);
    const back = image.decode(JPEG).pixels;
    let error = 0;
    for (let i = 0; i < back.length; i++) if (i % 4 !== 3) error += Math.abs(back[i] - OPAQUE[i]);
    const mean = error / (64 * 48 * 3);
    assert.ok(mean < 6, `JPEG q90 mean absolute error ${mean.toFixed(2)}`);
  });
});

describe('image: pipeline', () => {
  test('crop, flop, flip, rotate 90 and pad equal the JavaScript reference pixel for pixel', () => {
    const steps = [
      { tag: 'crop', val: { left: 3, top: 2, width: 20, height: 15 } },
      { tag: 'flop' },
      { tag: 'flip' },
      { tag: 'rotate', val: { degrees: 90, background: BLACK } },
      { tag: 'pad', val: { top: 1, right: 2, bottom: 3, left: 4, background: { r: 10, g: 20, b: 30, a: 40 } } },
    ];
    const out = image.pipeline(PNG, steps, PNG_OUT);
    let px = crop(PIXELS, W, 3, 2, 20, 15);
    px = rotate90(flip(flop(px, 20, 15), 20, 15), 20, 15); // now 15 wide, 20 tall
    const [pw, ph] = [15 + 4 + 2, 20 + 1 + 3];
    const padded = new Uint8Array(pw * ph * 4);
    for (let i = 0; i < pw * ph; i++) padded.set([10, 20, 30, 40], i * 4);
    for (let y = 0; y < 20; y++) padded.set(px.subarray(y * 15 * 4, (y + 1) * 15 * 4), ((y + 1) * pw + 4) * 4);
    assert.deepEqual([out.format, out.width, out.height, out.channels], ['png', pw, ph, 4]);
    const png = decodePng(out.bytes);
    assert.deepEqual([png.width, png.height], [pw, ph]);
    assert.deepEqual(Buffer.from(png.pixels), Buffer.from(padded));
  });

  test('linear, composite by gravity, PNG compression and JPEG chroma subsampling', () => {
    // linear: per channel, alpha kept, against the formula.
    const out = image.process({ width: W, height: H, pixels: PIXELS }, [{ tag: 'linear', val: { a: [1.5, 1, -1], b: [-10, 3, 255] } }]);
    const want = PIXELS.map((v, i) => (i % 4 === 3 ? v : Math.max(0, Math.min(255, Math.round([1.5, 1, -1][i % 4] * v + [-10, 3, 255][i % 4])))));
    assert.deepEqual(Buffer.from(out.pixels), Buffer.from(want));
    // gravity: a 4x3 opaque overlay in the south-east corner, and centred (rounding down).
    const dot = encodePng(4, 3, new Uint8Array(4 * 3 * 4).map((_, i) => [1, 2, 3, 255][i % 4]), { alpha: true });
    const at = (gravity) => {
      const placed = image.pipelineWith(OPAQUE_PNG, [{ tag: 'composite', val: { index: 0, left: 0n, top: 0n, gravity, blend: 'over' } }], PNG_OUT,
        { autoOrient: true, shrinkOnLoad: true, maxPixels: undefined, overlays: [dot] });
      const { pixels } = decodePng(placed.bytes);
      // The first pixel that changed: the overlay's top-left corner.
      for (let i = 0; i < 64 * 48; i++) if (pixels[i * 4] !== OPAQUE[i * 4] || pixels[i * 4 + 1] !== OPAQUE[i * 4 + 1]) return [i % 64, Math.floor(i / 64)];
      return null;
    };
    assert.deepEqual(at('south-east'), [60, 45]);
    assert.deepEqual(at('centre'), [30, 23], 'an odd spare pixel goes before the overlay, as sharp');
    assert.deepEqual(at(undefined), [0, 0], 'no gravity: left and top');
    // The blend modes cross the WIT enum: dest-in keeps the base only under the overlay,
    // multiply by (1, 2, 3) darkens it to about nothing, dest leaves it as it was.
    const blended = (blend) => decodePng(image.pipelineWith(OPAQUE_PNG, [{ tag: 'composite', val: { index: 0, left: 2n, top: 1n, gravity: undefined, blend } }], PNG_OUT,
      { autoOrient: true, shrinkOnLoad: true, maxPixels: undefined, overlays: [dot] }).bytes).pixels;
    const masked = blended('dest-in');
    for (let i = 0; i < 64 * 48; i++) {
      const [x, y] = [i % 64, Math.floor(i / 64)];
      const inside = x >= 2 && x < 6 && y >= 1 && y < 4;
      assert.deepEqual([...masked.subarray(i * 4, i * 4 + 4)], inside ? [...OPAQUE.subarray(i * 4, i * 4 + 4)] : [0, 0, 0, 0], `dest-in at (${x},${y})`);
    }
    const multiplied = blended('multiply');
    for (let c = 0; c < 3; c++) {
      const at = (64 + 2) * 4 + c; // (2, 1), under the dot's first pixel
      assert.equal(multiplied[at], Math.round((OPAQUE[at] * (c + 1)) / 255), `multiply, channel ${c}`);
    }
    assert.notDeepEqual([...multiplied.subarray((64 + 2) * 4, (64 + 2) * 4 + 3)], [1, 2, 3], 'multiply is not over');
    assert.deepEqual(Buffer.from(blended('dest')), Buffer.from(OPAQUE));
    // PNG zlib level 0 stores, 9 compresses; both decode to the input.
    const stored = image.encode({ width: 64, height: 48, pixels: OPAQUE }, { ...PNG_OUT, compression: 0 });
    const smallest = image.encode({ width: 64, height: 48, pixels: OPAQUE }, { ...PNG_OUT, compression: 9 });
    assert.ok(stored.length > 64 * 48 * 3 && smallest.length < stored.length, `${stored.length} vs ${smallest.length}`);
    for (const png of [stored, smallest]) assert.deepEqual(Buffer.from(decodePng(png).pixels), Buffer.from(OPAQUE));
    assert.equal(failure(() => image.encode({ width: 64, height: 48, pixels: OPAQUE }, { ...PNG_OUT, compression: 10 })), 'invalid_input');
    // JPEG: the SOF0 sampling factors of luma say 4:2:0 (2x2) or 4:4:4 (1x1).
    const sof = (jpeg) => jpeg[Buffer.from(jpeg).indexOf(Buffer.from([0xff, 0xc0])) + 11];
    const jpeg = { format: 'jpeg', quality: 95, progressive: false, compression: undefined };
    assert.equal(sof(image.encode({ width: 64, height: 48, pixels: OPAQUE }, { ...jpeg, chromaSubsampling: 'chroma420', palette: undefined })), 0x22);
    assert.equal(sof(image.encode({ width: 64, height: 48, pixels: OPAQUE }, { ...jpeg, chromaSubsampling: 'chroma444', palette: undefined })), 0x11);
  });

  test('resize keeps the aspect ratio for WIDTHx, and the encoded output says what it wrote', () => {
    const out = image.pipeline(OPAQUE_PNG, [
      { tag: 'resize', val: { width: 32, height: undefined, fit: 'cover', filter: 'lanczos3', background: BLACK, position: 'centre', withoutEnlargement: false, withoutReduction: false } },
    ], { format: 'webp', quality: 80, progressive: false, compression: undefined, chromaSubsampling: 'chroma420', palette: undefined });
    assert.deepEqual([out.format, out.width, out.height, out.channels], ['webp', 32, 24, 3]);
    const info = image.info(out.bytes);
    assert.deepEqual([info.format, info.width, info.height], ['webp', 32, 24]);
    // A uniform image stays uniform under every filter: an exact check of the resampling.
    const flat = new Uint8Array(50 * 30 * 4).fill(0).map((_, i) => [200, 100, 50, 255][i % 4]);
    for (const filter of ['nearest', 'bilinear', 'bicubic', 'mitchell', 'lanczos3']) {
      for (const fit of ['cover', 'contain', 'fill', 'inside', 'outside']) {
        const r = image.process({ width: 50, height: 30, pixels: flat }, [
          { tag: 'resize', val: { width: 20, height: 20, fit, filter, background: { r: 200, g: 100, b: 50, a: 255 }, position: 'centre', withoutEnlargement: false, withoutReduction: false } },
        ]);
        const expected = { cover: [20, 20], contain: [20, 20], fill: [20, 20], inside: [20, 12], outside: [33, 20] }[fit];
        assert.deepEqual([r.width, r.height], expected, `${fit} ${filter}`);
        assert.ok(r.pixels.every((v, i) => v === [200, 100, 50, 255][i % 4]), `${fit} ${filter}: not uniform`);
      }
    }
  });

  test('no output format keeps the input format (JPEG in, JPEG out)', () => {
    const out = image.pipeline(JPEG, [{ tag: 'flop' }], KEEP);
    assert.equal(out.format, 'jpeg');
    assert.equal(image.info(out.bytes).format, 'jpeg');
  });

  test('process runs steps on raw pixels', () => {
    const out = image.process({ width: W, height: H, pixels: PIXELS }, [{ tag: 'flop' }]);
    assert.deepEqual([out.width, out.height], [W, H]);
    assert.deepEqual(Buffer.from(out.pixels), Buffer.from(flop(PIXELS, W, H)));
  });

  test('invert: 255 - value on colour channels, alpha kept', () => {
    const out = image.process({ width: W, height: H, pixels: PIXELS }, [{ tag: 'invert' }]);
    const expected = PIXELS.map((v, i) => (i % 4 === 3 ? v : 255 - v));
    assert.deepEqual(Buffer.from(out.pixels), Buffer.from(expected));
  });
});

describe('image: transform (the CLI/HTTP query vocabulary) = pipeline (WIT variants)', () => {
  const CASES = [
    ['crop=3,2,20,15&flip=h&flip=v&rotate=90', [
      { tag: 'crop', val: { left: 3, top: 2, width: 20, height: 15 } }, { tag: 'flop' }, { tag: 'flip' },
      { tag: 'rotate', val: { degrees: 90, background: BLACK } }]],
    ['resize=20x10&fit=contain&filter=mitchell&background=ff000080', [
      { tag: 'resize', val: { width: 20, height: 10, fit: 'contain', filter: 'mitchell', background: { r: 255, g: 0, b: 0, a: 128 }, position: 'centre', withoutEnlargement: false, withoutReduction: false } }]],
    ['resize=20x10&position=right top&resize=9x9&fit=contain&position=southwest', [
      { tag: 'resize', val: { width: 20, height: 10, fit: 'cover', filter: 'lanczos3', background: BLACK, position: 'north-east', withoutEnlargement: false, withoutReduction: false } },
      { tag: 'resize', val: { width: 9, height: 9, fit: 'contain', filter: 'lanczos3', background: BLACK, position: 'south-west', withoutEnlargement: false, withoutReduction: false } }]],
    ['resize=12x30&position=attention', [
      { tag: 'resize', val: { width: 12, height: 30, fit: 'cover', filter: 'lanczos3', background: BLACK, position: 'attention', withoutEnlargement: false, withoutReduction: false } }]],
    ['resize=x9&filter=nearest&rotate=30&background=00ff00', [
      { tag: 'resize', val: { width: undefined, height: 9, fit: 'cover', filter: 'nearest', background: BLACK, position: 'centre', withoutEnlargement: false, withoutReduction: false } },
      { tag: 'rotate', val: { degrees: 30, background: { r: 0, g: 255, b: 0, a: 255 } } }]],
    ['pad=1,2,3,4&background=102030', [
      { tag: 'pad', val: { top: 1, right: 2, bottom: 3, left: 4, background: { r: 16, g: 32, b: 48, a: 255 } } }]],
    ['blur=1.5&box-blur=2&sharpen=1,2&median&median=4&sobel', [
      { tag: 'blur', val: 1.5 }, { tag: 'box-blur', val: 2 }, { tag: 'sharpen', val: { sigma: 1, amount: 2 } },
      { tag: 'median', val: 3 }, { tag: 'median', val: 4 }, { tag: 'sobel' }]],
    ['convolve=0,-1,0,-1,5,-1,0,-1,0', [
      { tag: 'convolve', val: { size: 3, weights: new Float32Array([0, -1, 0, -1, 5, -1, 0, -1, 0]), scale: undefined, offset: 0 } }]],
    ['grayscale&brightness=1.2&contrast=1.1&gamma=2.2&saturate=0.5&hue=90', [
      { tag: 'grayscale' }, { tag: 'brightness', val: 1.2 }, { tag: 'contrast', val: 1.1 }, { tag: 'gamma', val: 2.2 },
      { tag: 'saturate', val: 0.5 }, { tag: 'hue', val: 90 }]],
    ['sepia&invert&threshold=128&tint=ff8000&flatten', [
      { tag: 'sepia' }, { tag: 'invert' }, { tag: 'threshold', val: 128 }, { tag: 'tint', val: { r: 255, g: 128, b: 0, a: 255 } },
      { tag: 'flatten', val: { r: 255, g: 255, b: 255, a: 255 } }]],
    ['modulate=1.2,0.5,30,-4&modulate=0.9', [
      { tag: 'modulate', val: { brightness: 1.2, saturation: 0.5, hue: 30, lightness: -4 } },
      { tag: 'modulate', val: { brightness: 0.9, saturation: 1, hue: 0, lightness: 0 } }]],
    ['pad=3,3,3,3&background=ffffff&trim&normalise', [
      { tag: 'pad', val: { top: 3, right: 3, bottom: 3, left: 3, background: { r: 255, g: 255, b: 255, a: 255 } } },
      { tag: 'trim', val: { background: undefined, threshold: 10, lineArt: false, margin: 0 } },
      { tag: 'normalise', val: [1, 99] }]],
    ['trim&background=102030', [
      { tag: 'trim', val: { background: { r: 16, g: 32, b: 48, a: 255 }, threshold: 10, lineArt: false, margin: 0 } }]],
  ];
  for (const [query, steps] of CASES) {
    test(query, () => {
      const viaQuery = image.transform(PNG, `${query}&format=png`);
      const viaSteps = image.pipeline(PNG, steps, PNG_OUT).bytes;
      assert.deepEqual(Buffer.from(viaQuery), Buffer.from(viaSteps));
    });
  }

  test('values are percent-decoded, a leading ? is allowed, and format/quality pick the encoder', () => {
    // background modifies the step before it, which must be a resize, rotate or pad.
    assert.equal(failure(() => image.transform(PNG, 'crop=3,2,20,15&background=ff0000')), 'invalid_input');
    const a = image.transform(PNG, '?crop=3%2C2%2C20%2C15&rotate=45&background=%23ff0000&format=png');
    const b = image.transform(PNG, 'crop=3,2,20,15&rotate=45&background=ff0000&format=png');
    assert.deepEqual(Buffer.from(a), Buffer.from(b));
    const jpegQ30 = image.transform(OPAQUE_PNG, 'format=jpg&quality=30');
    const jpegQ95 = image.transform(OPAQUE_PNG, 'format=jpeg&quality=95');
    assert.equal(image.info(jpegQ30).format, 'jpeg');
    assert.ok(jpegQ30.length < jpegQ95.length, `q30 ${jpegQ30.length} bytes, q95 ${jpegQ95.length}`);
    assert.deepEqual(Buffer.from(jpegQ95),
      Buffer.from(image.pipeline(OPAQUE_PNG, [], { format: 'jpeg', quality: 95, progressive: false, compression: undefined, chromaSubsampling: 'chroma420', palette: undefined }).bytes));
  });
});

describe('image: bad input gives the stable codes', () => {
  test('empty, unrecognised, truncated and corrupt files', () => {
    assert.equal(failure(() => image.info(new Uint8Array(0))), 'invalid_input');
    assert.equal(failure(() => image.pipeline(new Uint8Array(0), [], KEEP)), 'invalid_input');
    assert.equal(failure(() => image.decode(Buffer.from('GIF? no, plain text'))), 'unsupported');
    assert.equal(failure(() => image.decode(PNG.subarray(0, PNG.length - 20))), 'invalid_input');
    const badCrc = Buffer.from(PNG);
    badCrc[40] ^= 0xff; // inside the IDAT data: its CRC no longer matches
    assert.equal(failure(() => image.decode(badCrc)), 'invalid_input');
  });

  test('a truncated JPEG is invalid_input', () => {
    assert.equal(failure(() => image.decode(JPEG.subarray(0, JPEG.length >> 1))), 'invalid_input');
  });

  // png's own check refuses 65535x65535 on wasm32 (its buffer would not fit the address
  // space) before our limit runs; it must still come out as limit_exceeded.
  test('a PNG declaring 65535x65535 is limit_exceeded', () => {
    assert.equal(failure(() => image.decode(hugePngHeader(65535, 65535))), 'limit_exceeded');
  });

  test('a PNG declaring 20000x20000 is refused from its header (limit_exceeded), but info reads it', () => {
    const huge = hugePngHeader(20000, 20000);
    assert.deepEqual([image.info(huge).width, image.info(huge).height], [20000, 20000]);
    assert.equal(failure(() => image.decode(huge)), 'limit_exceeded');
    assert.equal(failure(() => image.pipeline(huge, [], KEEP)), 'limit_exceeded');
    assert.equal(failure(() => image.transform(huge, 'resize=100x')), 'limit_exceeded');
  });

  test('job options: a lower pixel limit, auto-orient and overlays', () => {
    const options = { autoOrient: true, shrinkOnLoad: true, maxPixels: 100n, overlays: [] };
    assert.equal(failure(() => image.pipelineWith(PNG, [], PNG_OUT, options)), 'limit_exceeded');
    assert.equal(failure(() => image.transform(PNG, 'max-pixels=100')), 'limit_exceeded');
    const ok = image.pipelineWith(PNG, [], PNG_OUT, { ...options, maxPixels: undefined });
    assert.deepEqual(Buffer.from(decodePng(ok.bytes).pixels), Buffer.from(PIXELS));
    const composite = { tag: 'composite', val: { index: 0, left: 0n, top: 0n, gravity: undefined, blend: 'over' } };
    assert.equal(failure(() => image.pipelineWith(PNG, [composite], PNG_OUT, { ...options, maxPixels: undefined })), 'invalid_input');
  });

  test('bad steps and queries', () => {
    assert.equal(failure(() => image.transform(PNG, 'resise=10x')), 'invalid_input');
    assert.equal(failure(() => image.transform(PNG, 'resize=0x')), 'invalid_input');
    assert.equal(failure(() => image.transform(PNG, 'fit=cover')), 'invalid_input');
    assert.equal(failure(() => image.transform(PNG, 'crop=1,2,3')), 'invalid_input');
    assert.equal(failure(() => image.transform(PNG, 'crop=%zz')), 'invalid_input');
    assert.equal(failure(() => image.transform(PNG, 'format=tiff')), 'unsupported');
    assert.equal(failure(() => image.transform(PNG, 'quality=0&format=jpeg')), 'invalid_input');
    assert.equal(failure(() => image.pipeline(PNG, [{ tag: 'crop', val: { left: 30, top: 0, width: 10, height: 5 } }], KEEP)), 'invalid_input');
    assert.equal(failure(() => image.pipeline(PNG, [{ tag: 'rotate', val: { degrees: NaN, background: BLACK } }], KEEP)), 'invalid_input');
    assert.equal(failure(() => image.encode({ width: 10, height: 10, pixels: new Uint8Array(399) }, PNG_OUT)), 'invalid_input');
    assert.equal(failure(() => image.process({ width: 0, height: 10, pixels: new Uint8Array(0) }, [])), 'invalid_input');
  });
});
