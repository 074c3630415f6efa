// Behaviour tests of `nearnative image` (convert, batch convert, info), checked against
// independent references only: a PNG encoder and decoder written here over node:zlib (so no
// pixel goes through our own codecs unchecked), exact pixel arithmetic for lossless formats and
// right-angle geometry, PSNR for JPEG, Pillow's Lanczos resize when Pillow is installed
// (`cargo xtask setup` puts it in target/tools/python), and the native binary itself for the
// "same bytes on every host" checks of the WASI build (wasmtime and node:wasi).
//
//   node --test tests/cli/image.test.mjs
//
// Exit codes, as `nearnative image convert --help` documents them: 1 when a file cannot be
// read, decoded, processed or written; 2 when the command line is wrong, which includes an
// unknown step or a bad step value (printed as `nearnative: error[invalid_input]: ...` too).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { exec } from '../support/exec.mjs';

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const NATIVE = path.join(ROOT, 'target/release/nearnative');
const WASM = path.join(ROOT, 'dist/wasi/nearnative.wasm');
const LAUNCHER = path.join(ROOT, 'js/wasi/nearnative.mjs');
const PYTHONPATH = path.join(ROOT, 'target/tools/python');

const HOSTS = {
  native: (args, o = {}) => exec(NATIVE, args, o),
  wasmtime: (args, o = {}) => exec('wasmtime', ['run', '--dir', '.', WASM, ...args], o),
  'node:wasi': (args, o = {}) => exec(process.execPath, [LAUNCHER, ...args], o),
};
const nn = HOSTS.native;

const text = (buf) => Buffer.from(buf).toString('latin1');

function assertOk(r, what = 'command') {
  assert.equal(r.signal, null, `${what} died from ${r.signal}; stderr: ${text(r.stderr)}`);
  assert.equal(r.code, 0, `${what} exited ${r.code}; stderr: ${text(r.stderr)}`);
}

/** A failed run: exit `code` and exactly one `nearnative: error[CODE]: ...` line; returns the message. */
function assertError(r, errorCode, { exit = 1, what = 'command' } = {}) {
  assert.equal(r.signal, null, `${what} died from ${r.signal}`);
  assert.equal(r.code, exit, `${what} should exit ${exit}, exited ${r.code}; stderr: ${text(r.stderr)}`);
  const m = /^nearnative: error\[([a-z_]+)\]: ([^\n]+)\n$/.exec(text(r.stderr));
  assert.ok(m, `${what}: stderr is not one 'nearnative: error[CODE]: message' line: ${JSON.stringify(text(r.stderr))}`);
  assert.equal(m[1], errorCode, `${what}: error code ${m[1]} (${m[2]})`);
  assert.equal(text(r.stdout), '', `${what}: wrote to stdout`);
  return m[2];
}

// ---------------------------------------------------------------- an independent PNG codec

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** 8-bit RGB (alpha: false) or RGBA PNG of `rgba` (width*height*4 bytes), filter 0 rows. */
function encodePng(width, height, rgba, { alpha = true } = {}) {
  const channels = alpha ? 4 : 3;
  const raw = Buffer.alloc((width * channels + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * channels + 1);
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) raw[row + 1 + x * channels + c] = rgba[(y * width + x) * 4 + c];
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = alpha ? 6 : 2;
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * Decodes a non-interlaced 8-bit grey/RGB/RGBA or 1/2/4/8-bit indexed PNG to
 * { width, height, channels, rgba } (`channels` 1 for indexed, with `palette` entries as RGBA).
 */
function decodePng(buf) {
  assert.ok(buf.subarray(0, 8).equals(PNG_SIGNATURE), 'not a PNG');
  let pos = 8;
  let ihdr, plte, trns;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    assert.equal(buf.readUInt32BE(pos + 8 + len), zlib.crc32(buf.subarray(pos + 4, pos + 8 + len)), `${type} CRC`);
    if (type === 'IHDR') ihdr = data;
    if (type === 'PLTE') plte = data;
    if (type === 'tRNS') trns = data;
    if (type === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  const [depth, colour, , , interlace] = ihdr.subarray(8);
  const indexed = colour === 3;
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colour];
  assert.ok(channels && interlace === 0 && (depth === 8 || (indexed && [1, 2, 4].includes(depth))),
    `unsupported PNG: depth ${depth}, colour ${colour}`);
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = Math.ceil((width * channels * depth) / 8);
  const unit = Math.max(1, (channels * depth) / 8); // the filters' byte distance to the left neighbour
  const rows = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i];
      const a = i >= unit ? rows[y * stride + i - unit] : 0;
      const b = y > 0 ? rows[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= unit ? rows[(y - 1) * stride + i - unit] : 0;
      let pred;
      if (filter === 0) pred = 0;
      else if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else assert.fail(`bad PNG filter ${filter}`);
      rows[y * stride + i] = (x + pred) & 0xff;
    }
  }
  const rgba = Buffer.alloc(width * height * 4);
  const palette = indexed ? Array.from({ length: plte.length / 3 }, (_, i) =>
    [plte[i * 3], plte[i * 3 + 1], plte[i * 3 + 2], trns && i < trns.length ? trns[i] : 255]) : null;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (indexed) {
        const bit = x * depth;
        const index = (rows[y * stride + (bit >> 3)] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
        assert.ok(index < palette.length, `index ${index} outside a palette of ${palette.length}`);
        rgba.set(palette[index], p * 4);
        continue;
      }
      const s = rows.subarray(y * stride + x * channels, y * stride + (x + 1) * channels);
      const [r, g, b, a] = channels === 1 ? [s[0], s[0], s[0], 255] : channels === 2 ? [s[0], s[0], s[0], s[1]]
        : channels === 3 ? [s[0], s[1], s[2], 255] : [s[0], s[1], s[2], s[3]];
      rgba.set([r, g, b, a], p * 4);
    }
  }
  return { width, height, channels, depth, palette, rgba };
}

/** PSNR (dB) over the colour channels of two RGBA buffers of one size. */
function psnr(a, b) {
  assert.equal(a.length, b.length, 'images differ in size');
  let sum = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (i % 4 === 3) continue;
    sum += (a[i] - b[i]) ** 2;
    n++;
  }
  return sum === 0 ? Infinity : 10 * Math.log10((255 * 255) / (sum / n));
}

// ---------------------------------------------------------------- fixtures

const W = 64;
const H = 48;

/** A smooth colour field with a hard-edged square, opaque; alpha varies when `alpha`. */
function picture(width, height, { alpha = false } = {}) {
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const inSquare = x >= width / 4 && x < width / 2 && y >= height / 4 && y < height / 2;
      rgba[i] = Math.round((255 * x) / (width - 1));
      rgba[i + 1] = Math.round((255 * y) / (height - 1));
      rgba[i + 2] = inSquare ? 230 : Math.round(128 + 100 * Math.sin((x + y) / 6));
      rgba[i + 3] = alpha ? (x * 7 + y * 3) % 256 : 255;
    }
  }
  return rgba;
}

/** At most 4 colours, so a GIF palette holds it exactly. */
function fourColours(width, height) {
  const colours = [[255, 0, 0], [0, 128, 255], [20, 200, 40], [250, 250, 250]];
  const rgba = Buffer.alloc(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const c = colours[(Math.floor((p % width) / 5) + Math.floor(p / width / 7)) % 4];
    rgba.set([...c, 255], p * 4);
  }
  return rgba;
}

const RGB = picture(W, H);
const RGBA = picture(W, H, { alpha: true });

let WORK;
const at = (...p) => path.join(WORK, ...p);

/** A fresh subdirectory of WORK holding `files` (name -> bytes). */
function scratch(files = {}) {
  const dir = fs.mkdtempSync(path.join(WORK, 'case-'));
  for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), data);
  return dir;
}

/** Converts `file` (in `dir`) to PNG with the CLI and decodes that PNG here. */
async function pixelsOf(dir, file) {
  const out = `${file}.decoded.png`;
  const r = await nn(['image', 'convert', file, out], { cwd: dir });
  assertOk(r, `convert ${file} -> png`);
  return decodePng(fs.readFileSync(path.join(dir, out)));
}

async function waitFor(file) {
  for (let i = 0; i < 120 && !fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 1000));
  assert.ok(fs.existsSync(file), `${file} is missing: build it first (cargo xtask build)`);
}

before(async () => {
  await waitFor(NATIVE);
  WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'nearnative-image-test-'));
  fs.writeFileSync(at('rgb.png'), encodePng(W, H, RGB, { alpha: false }));
  fs.writeFileSync(at('rgba.png'), encodePng(W, H, RGBA));
  fs.writeFileSync(at('four.png'), encodePng(W, H, fourColours(W, H), { alpha: false }));
});

after(() => {
  if (WORK) fs.rmSync(WORK, { recursive: true, force: true });
});

// ---------------------------------------------------------------- 1. formats

describe('image convert: every output format, checked by decoding it independently', () => {
  test('png -> png keeps every pixel (RGB stays RGB, RGBA keeps its alpha)', async () => {
    for (const [name, pixels, channels] of [['rgb.png', RGB, 3], ['rgba.png', RGBA, 4]]) {
      const r = await nn(['image', 'convert', name, `copy-${name}`], { cwd: WORK });
      assertOk(r, `convert ${name}`);
      assert.equal(text(r.stdout), '');
      assert.equal(text(r.stderr), '');
      const out = decodePng(fs.readFileSync(at(`copy-${name}`)));
      assert.deepEqual([out.width, out.height, out.channels], [W, H, channels]);
      assert.ok(out.rgba.equals(pixels), `${name}: pixels changed`);
    }
  });

  for (const ext of ['webp', 'qoi', 'bmp']) {
    test(`png -> ${ext} -> png is lossless (RGB and RGBA)`, async () => {
      for (const [name, pixels] of [['rgb.png', RGB], ['rgba.png', RGBA]]) {
        const dir = scratch({ [name]: fs.readFileSync(at(name)) });
        const lossless = ext === 'webp' ? ['--lossless'] : [];
        assertOk(await nn(['image', 'convert', name, `out.${ext}`, ...lossless], { cwd: dir }), `convert ${name} -> ${ext}`);
        const info = JSON.parse(text((await nn(['image', 'info', '--json', `out.${ext}`], { cwd: dir })).stdout));
        assert.equal(info.format, ext);
        const back = await pixelsOf(dir, `out.${ext}`);
        assert.deepEqual([back.width, back.height], [W, H]);
        assert.ok(back.rgba.equals(pixels), `${name} through ${ext}: pixels changed`);
      }
    });
  }

  test('png -> webp is lossy by default: close, smaller than --lossless, alpha kept', async () => {
    for (const [name, pixels, channels] of [['rgb.png', RGB, 3], ['rgba.png', RGBA, 4]]) {
      const dir = scratch({ [name]: fs.readFileSync(at(name)) });
      assertOk(await nn(['image', 'convert', name, 'lossy.webp', '--quality', '90'], { cwd: dir }), name);
      assertOk(await nn(['image', 'convert', name, 'exact.webp', '--lossless'], { cwd: dir }), name);
      const lossy = fs.readFileSync(path.join(dir, 'lossy.webp'));
      assert.ok(lossy.length < fs.statSync(path.join(dir, 'exact.webp')).size, `${name}: lossy is not smaller`);
      const back = await pixelsOf(dir, 'lossy.webp');
      assert.equal(back.channels, channels, `${name}: channels`);
      assert.ok(psnr(back.rgba, pixels) > 30, `${name}: ${psnr(back.rgba, pixels).toFixed(1)} dB`);
    }
  });

  test('png -> gif of at most 256 colours is exact', async () => {
    const dir = scratch({ 'four.png': fs.readFileSync(at('four.png')) });
    assertOk(await nn(['image', 'convert', 'four.png', 'four.gif'], { cwd: dir }), 'convert -> gif');
    assert.equal(fs.readFileSync(path.join(dir, 'four.gif')).toString('latin1', 0, 6), 'GIF89a');
    const back = await pixelsOf(dir, 'four.gif');
    assert.ok(back.rgba.equals(fourColours(W, H)), 'GIF round trip changed pixels');
  });

  test('png -> jpeg: close to the source (PSNR), --quality trades size for fidelity, --progressive', async () => {
    const dir = scratch({ 'rgb.png': fs.readFileSync(at('rgb.png')) });
    const sizes = {};
    const fidelity = {};
    for (const q of [20, 95]) {
      assertOk(await nn(['image', 'convert', 'rgb.png', `q${q}.jpg`, '--quality', String(q)], { cwd: dir }), `q${q}`);
      sizes[q] = fs.statSync(path.join(dir, `q${q}.jpg`)).size;
      fidelity[q] = psnr((await pixelsOf(dir, `q${q}.jpg`)).rgba, RGB);
    }
    assert.ok(sizes[95] > sizes[20], `q95 (${sizes[95]} B) should be larger than q20 (${sizes[20]} B)`);
    assert.ok(fidelity[95] > fidelity[20], `q95 PSNR ${fidelity[95]} <= q20 PSNR ${fidelity[20]}`);
    assert.ok(fidelity[95] > 35, `q95 PSNR only ${fidelity[95].toFixed(1)} dB`);
    assert.ok(fidelity[20] > 22, `q20 PSNR only ${fidelity[20].toFixed(1)} dB`);
    // The default quality is 80: the same bytes as an explicit --quality 80.
    assertOk(await nn(['image', 'convert', 'rgb.png', 'default.jpg'], { cwd: dir }));
    assertOk(await nn(['image', 'convert', 'rgb.png', 'q80.jpg', '--quality', '80'], { cwd: dir }));
    assert.ok(fs.readFileSync(path.join(dir, 'default.jpg')).equals(fs.readFileSync(path.join(dir, 'q80.jpg'))));
    assertOk(await nn(['image', 'convert', 'rgb.png', 'p.jpg', '--progressive'], { cwd: dir }));
    const info = JSON.parse(text((await nn(['image', 'info', '--json', 'p.jpg'], { cwd: dir })).stdout));
    assert.equal(info.progressive, true);
    assert.ok(psnr((await pixelsOf(dir, 'p.jpg')).rgba, RGB) > 30);
  });

  test('--palette writes indexed PNG: exact when the colours fit, dithered when not; bad values refused', async () => {
    const dir = scratch({ 'rgb.png': fs.readFileSync(at('rgb.png')), 'rgba.png': fs.readFileSync(at('rgba.png')) });
    // Two colours fit in 1 bit and come back exactly.
    assertOk(await nn(['image', 'convert', 'rgb.png', 'bw.png', '--threshold', '128'], { cwd: dir }));
    assertOk(await nn(['image', 'convert', 'rgb.png', 'bw2.png', '--threshold', '128', '--palette', '2'], { cwd: dir }));
    const bw2 = decodePng(fs.readFileSync(path.join(dir, 'bw2.png')));
    assert.deepEqual([bw2.depth, bw2.palette.length], [1, 2]);
    assert.deepEqual(bw2.rgba, decodePng(fs.readFileSync(path.join(dir, 'bw.png'))).rgba);
    const info = JSON.parse(text((await nn(['image', 'info', '--json', 'bw2.png'], { cwd: dir })).stdout));
    assert.equal(info.palette, true);
    // A photo reduced to 256 colours with dithering, and with alpha in tRNS.
    for (const [file, flags] of [['rgb.png', ['--palette', '256']], ['rgba.png', ['--palette', '64', '--dither', '0']]]) {
      assertOk(await nn(['image', 'convert', file, 'p.png', ...flags], { cwd: dir }), flags.join(' '));
      const out = decodePng(fs.readFileSync(path.join(dir, 'p.png')));
      const src = decodePng(fs.readFileSync(at(file)));
      assert.ok(out.palette && out.palette.length <= Number(flags[1]), `${out.palette?.length} entries`);
      // Colours as seen: premultiplied, so the colour of a nearly transparent pixel counts little.
      const seen = (rgba) => rgba.map((v, i) => (i % 4 === 3 ? v : Math.round((v * rgba[i - (i % 4) + 3]) / 255)));
      const db = psnr(seen(out.rgba), seen(src.rgba));
      assert.ok(db > 28, `${file} ${flags.join(' ')}: PSNR ${db.toFixed(1)} dB`);
    }
    for (const flags of [['--palette', '1'], ['--palette', '300'], ['--dither', '2']]) {
      const bad = await nn(['image', 'convert', 'rgb.png', 'bad.png', ...flags], { cwd: dir });
      assert.equal(bad.code, 2, `${flags.join(' ')}: ${text(bad.stderr)}`);
      assert.ok(!fs.existsSync(path.join(dir, 'bad.png')));
    }
    assertError(await nn(['image', 'convert', 'rgb.png', 'p.jpg', '--palette', '16'], { cwd: dir }), 'invalid_input', { exit: 2 });
    assert.ok(!fs.existsSync(path.join(dir, 'p.jpg')), 'no partial output');
  });

  test('--compression sets the PNG zlib level; --chroma-subsampling the JPEG colour resolution', async () => {
    const dir = scratch({ 'rgb.png': fs.readFileSync(at('rgb.png')) });
    const size = {};
    for (const level of ['0', '9']) {
      assertOk(await nn(['image', 'convert', 'rgb.png', `z${level}.png`, '--compression', level], { cwd: dir }), `level ${level}`);
      size[level] = fs.statSync(path.join(dir, `z${level}.png`)).size;
      assert.deepEqual(decodePng(fs.readFileSync(path.join(dir, `z${level}.png`))).rgba, RGB, `level ${level} is lossless`);
    }
    assert.ok(size[0] > W * H * 3 && size[9] < size[0], `stored ${size[0]} B, level 9 ${size[9]} B`);
    const bad = await nn(['image', 'convert', 'rgb.png', 'z.png', '--compression', '10'], { cwd: dir });
    assert.equal(bad.code, 2, text(bad.stderr));
    assert.match(text(bad.stderr), /compression/);
    // Luma's sampling factors in SOF0: 0x22 for 4:2:0, 0x11 for 4:4:4.
    const luma = (file) => {
      const jpeg = fs.readFileSync(path.join(dir, file));
      return jpeg[jpeg.indexOf(Buffer.from([0xff, 0xc0])) + 11];
    };
    for (const [args, want] of [[[], 0x22], [['--chroma-subsampling', '4:4:4'], 0x11], [['--chroma-subsampling', '4:2:0'], 0x22]]) {
      assertOk(await nn(['image', 'convert', 'rgb.png', 'c.jpg', '--quality', '95', ...args], { cwd: dir }));
      assert.equal(luma('c.jpg'), want, args.join(' '));
    }
  });

  test('--linear A,B: a negative A inverts, six numbers give each channel its own line', async () => {
    const dir = scratch({ 'rgba.png': fs.readFileSync(at('rgba.png')) });
    assertOk(await nn(['image', 'convert', 'rgba.png', 'neg.png', '--linear', '-1,255'], { cwd: dir }));
    const neg = decodePng(fs.readFileSync(path.join(dir, 'neg.png'))).rgba;
    assert.deepEqual(neg, RGBA.map((v, i) => (i % 4 === 3 ? v : 255 - v)));
    assertOk(await nn(['image', 'convert', 'rgba.png', 'rgb.png', '--linear', '2,1,0.5,-100,0,20'], { cwd: dir }));
    const lines = decodePng(fs.readFileSync(path.join(dir, 'rgb.png'))).rgba;
    const line = [[2, -100], [1, 0], [0.5, 20]];
    assert.deepEqual(lines, RGBA.map((v, i) => (i % 4 === 3 ? v : Math.max(0, Math.min(255, Math.round(line[i % 4][0] * v + line[i % 4][1]))))));
    const bad = await nn(['image', 'convert', 'rgba.png', 'x.png', '--linear', '1,2,3'], { cwd: dir });
    assert.equal(bad.code, 2, text(bad.stderr));
  });

  test('--format overrides the extension; `-` reads stdin and writes stdout', async () => {
    const dir = scratch();
    const input = fs.readFileSync(at('rgba.png'));
    const r = await nn(['image', 'convert', '-', '-', '--format', 'qoi'], { cwd: dir, input });
    assertOk(r, 'convert - - --format qoi');
    assert.equal(r.stdout.toString('latin1', 0, 4), 'qoif');
    fs.writeFileSync(path.join(dir, 'x.qoi'), r.stdout);
    assert.ok((await pixelsOf(dir, 'x.qoi')).rgba.equals(RGBA));
    const named = await nn(['image', 'convert', '-', 'odd.name', '--format', 'png'], { cwd: dir, input });
    assertOk(named, 'convert - odd.name --format png');
    assert.ok(decodePng(fs.readFileSync(path.join(dir, 'odd.name'))).rgba.equals(RGBA));
  });
});

// ---------------------------------------------------------------- 2. steps

describe('image convert: steps apply in the order given', () => {
  async function dims(args) {
    const dir = scratch({ 'rgb.png': fs.readFileSync(at('rgb.png')) });
    assertOk(await nn(['image', 'convert', 'rgb.png', 'out.png', ...args], { cwd: dir }), args.join(' '));
    const out = decodePng(fs.readFileSync(path.join(dir, 'out.png')));
    return [out.width, out.height];
  }

  test('resize WxH / Wx / xH and fit modes give the sizes sharp gives', async () => {
    assert.deepEqual(await dims(['--resize', '32x']), [32, 24]);
    assert.deepEqual(await dims(['--resize', 'x12']), [16, 12]);
    assert.deepEqual(await dims(['--resize', '20x20']), [20, 20]); // cover (default)
    assert.deepEqual(await dims(['--resize', '20x20', '--fit', 'inside']), [20, 15]);
    assert.deepEqual(await dims(['--resize', '20x20', '--fit', 'contain']), [20, 20]);
    assert.deepEqual(await dims(['--resize', '20x20', '--fit', 'fill', '--filter', 'nearest']), [20, 20]);
    assert.deepEqual(await dims(['--resize=40x', '--fit=cover']), [40, 30]);
  });

  test('crop then resize differs from resize then crop', async () => {
    assert.deepEqual(await dims(['--crop', '0,0,20,20', '--resize', '32x']), [32, 32]);
    assert.deepEqual(await dims(['--resize', '32x', '--crop', '0,0,20,20']), [20, 20]);
    assert.deepEqual(await dims(['--crop', '8,8,40,20', '--rotate', '90']), [20, 40]);
    assert.deepEqual(await dims(['--rotate', '90', '--crop', '8,8,40,20']), [40, 20]);
  });

  test('crop, flip and rotate 90 move pixels exactly', async () => {
    const dir = scratch({ 'rgba.png': fs.readFileSync(at('rgba.png')) });
    const run = async (out, args) => {
      assertOk(await nn(['image', 'convert', 'rgba.png', out, ...args], { cwd: dir }), args.join(' '));
      return decodePng(fs.readFileSync(path.join(dir, out)));
    };
    const px = (buf, width, x, y) => [...buf.subarray((y * width + x) * 4, (y * width + x) * 4 + 4)];
    const crop = await run('crop.png', ['--crop', '5,7,30,20']);
    assert.deepEqual([crop.width, crop.height], [30, 20]);
    for (const [x, y] of [[0, 0], [29, 19], [13, 4]]) assert.deepEqual(px(crop.rgba, 30, x, y), px(RGBA, W, x + 5, y + 7));
    const flop = await run('flop.png', ['--flip', 'h']);
    const flip = await run('flip.png', ['--flip', 'v']);
    const rot = await run('rot.png', ['--rotate', '90']);
    assert.deepEqual([rot.width, rot.height], [H, W]);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const src = px(RGBA, W, x, y);
        assert.deepEqual(px(flop.rgba, W, W - 1 - x, y), src);
        assert.deepEqual(px(flip.rgba, W, x, H - 1 - y), src);
        assert.deepEqual(px(rot.rgba, H, H - 1 - y, x), src); // clockwise
      }
    }
    // Two flips in a row undo each other: proof that both steps ran, in order.
    const twice = await run('twice.png', ['--flip', 'h', '--flip', 'h']);
    assert.ok(twice.rgba.equals(RGBA));
  });

  test('resize matches Pillow\'s Lanczos resize (PSNR), when Pillow is installed', async (t) => {
    const probe = await exec('python3', ['-c', 'import PIL'], { env: { PYTHONPATH } });
    if (probe.code !== 0) {
      t.skip('Pillow is not installed (cargo xtask setup installs it into target/tools/python)');
      return;
    }
    const [bw, bh] = [300, 200];
    const dir = scratch({ 'big.png': encodePng(bw, bh, picture(bw, bh), { alpha: false }) });
    const script = `
import sys
from PIL import Image
im = Image.open('big.png').convert('RGBA').resize((111, 74), Image.Resampling.LANCZOS)
sys.stdout.buffer.write(im.tobytes())`;
    const [pil, ours] = await Promise.all([
      exec('python3', ['-c', script], { cwd: dir, env: { PYTHONPATH } }),
      nn(['image', 'convert', 'big.png', 'small.png', '--resize', '111x74', '--filter', 'lanczos3'], { cwd: dir }),
    ]);
    assertOk(pil, 'Pillow');
    assertOk(ours, 'resize');
    const out = decodePng(fs.readFileSync(path.join(dir, 'small.png')));
    assert.deepEqual([out.width, out.height], [111, 74]);
    const db = psnr(out.rgba, pil.stdout);
    t.diagnostic(`PSNR against Pillow's LANCZOS: ${db.toFixed(2)} dB`);
    assert.ok(db > 45, `PSNR against Pillow ${db.toFixed(2)} dB`);
  });
});

// ---------------------------------------------------------------- 3. info

describe('image info', () => {
  test('--json: every header field, for RGB, RGBA and JPEG inputs', async () => {
    const dir = scratch({ 'rgb.png': fs.readFileSync(at('rgb.png')), 'rgba.png': fs.readFileSync(at('rgba.png')) });
    assertOk(await nn(['image', 'convert', 'rgb.png', 'half.jpg', '--resize', '32x'], { cwd: dir }));
    const info = async (f) => {
      const r = await nn(['image', 'info', '--json', f], { cwd: dir });
      assertOk(r, `info --json ${f}`);
      assert.ok(text(r.stdout).endsWith('}\n') && text(r.stdout).split('\n').length === 2, 'one JSON line');
      return JSON.parse(text(r.stdout));
    };
    const base = { bit_depth: 8, orientation: 1, palette: false, progressive: false };
    assert.deepEqual(await info('rgb.png'), { format: 'png', width: W, height: H, channels: 3, has_alpha: false, ...base });
    assert.deepEqual(await info('rgba.png'), { format: 'png', width: W, height: H, channels: 4, has_alpha: true, ...base });
    assert.deepEqual(await info('half.jpg'), { format: 'jpeg', width: 32, height: 24, channels: 3, has_alpha: false, ...base });
  });

  test('text: aligned `key: value` lines with the same fields; stdin works', async () => {
    const r = await nn(['image', 'info', '-'], { cwd: WORK, input: fs.readFileSync(at('rgba.png')) });
    assertOk(r, 'info -');
    const lines = text(r.stdout).trimEnd().split('\n');
    const pairs = lines.map((l) => /^([a-z_]+):( +)(\S+)$/.exec(l));
    assert.ok(pairs.every(Boolean), text(r.stdout));
    const column = new Set(lines.map((l, i) => pairs[i][1].length + 1 + pairs[i][2].length));
    assert.equal(column.size, 1, 'values are not aligned');
    assert.deepEqual(Object.fromEntries(pairs.map((m) => [m[1], m[3]])), {
      format: 'png', width: String(W), height: String(H), channels: '4', bit_depth: '8', has_alpha: 'true',
      orientation: '1', palette: 'false', progressive: 'false',
    });
  });
});

// ---------------------------------------------------------------- 4. errors

/** A PNG whose header declares `width`x`height` (valid CRC), with a tiny IDAT. */
function declaredPng(width, height) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(Buffer.alloc(64))), chunk('IEND', Buffer.alloc(0))]);
}

describe('image convert: errors have stable codes and leave no output file', () => {
  const good = () => fs.readFileSync(at('rgb.png'));
  const corruptPng = () => {
    const png = Buffer.from(good());
    png[png.length - 30] ^= 0xff; // inside IDAT: its CRC no longer matches
    return png;
  };

  const CASES = [
    ['missing input file', {}, ['nope.png', 'out.png'], 'io', 1],
    ['corrupt PNG (bad IDAT CRC)', { 'in.png': corruptPng }, ['in.png', 'out.png'], 'invalid_input', 1],
    ['truncated PNG', { 'in.png': () => good().subarray(0, 100) }, ['in.png', 'out.webp'], 'invalid_input', 1],
    ['not an image', { 'in.png': () => Buffer.from('hello, world\n') }, ['in.png', 'out.png'], 'unsupported', 1],
    ['declared 100000x100000 PNG', { 'in.png': () => declaredPng(100000, 100000) }, ['in.png', 'out.png'], 'limit_exceeded', 1],
    ['--max-pixels below the input', { 'in.png': good }, ['in.png', 'out.png', '--max-pixels', '1000'], 'limit_exceeded', 1],
    ['crop outside the image', { 'in.png': good }, ['in.png', 'out.png', '--crop', '60,0,10,10'], 'invalid_input', 1],
    ['unknown step', { 'in.png': good }, ['in.png', 'out.png', '--resize', '10x', '--frobnicate', '3'], 'invalid_input', 2],
    ['step without its value', { 'in.png': good }, ['in.png', 'out.png', '--blur'], 'invalid_input', 2],
    ['bad step value', { 'in.png': good }, ['in.png', 'out.png', '--crop', '1,2,3'], 'invalid_input', 2],
    ['a crop of no pixels', { 'in.png': good }, ['in.png', 'out.png', '--crop', '0,0,0,0'], 'invalid_input', 2],
    ['a palette for JPEG output', { 'in.png': good }, ['in.png', 'out.jpg', '--palette', '16'], 'invalid_input', 2],
    ['--fit without a resize', { 'in.png': good }, ['in.png', 'out.png', '--fit', 'cover'], 'invalid_input', 2],
    ['unknown output extension', { 'in.png': good }, ['in.png', 'out.tiff'], 'unsupported', 2],
    ['stdout without --format', { 'in.png': good }, ['in.png', '-'], 'invalid_input', 2],
  ];
  for (const [name, files, args, code, exit] of CASES) {
    test(`${name}: error[${code}], exit ${exit}, no output`, async () => {
      const dir = scratch(Object.fromEntries(Object.entries(files).map(([f, make]) => [f, make()])));
      const before = fs.readdirSync(dir).sort();
      const r = await nn(['image', 'convert', ...args], { cwd: dir });
      const message = assertError(r, code, { exit, what: name });
      assert.ok(message.length > 15, `message too short to act on: ${message}`);
      assert.deepEqual(fs.readdirSync(dir).sort(), before, 'files left behind');
    });
  }

  test('unknown step lists where to look; bad step value names the step', async () => {
    const dir = scratch({ 'in.png': good() });
    const unknown = assertError(await nn(['image', 'convert', 'in.png', 'o.png', '--frobnicate'], { cwd: dir }), 'invalid_input', { exit: 2 });
    assert.match(unknown, /--frobnicate.*--help/);
    const bad = assertError(await nn(['image', 'convert', 'in.png', 'o.png', '--crop', '1,2,3'], { cwd: dir }), 'invalid_input', { exit: 2 });
    assert.match(bad, /crop/);
    // Values the kernel refuses are a bad command line too, found before any image is read.
    const sigma = assertError(await nn(['image', 'convert', 'missing.png', 'o.png', '--sharpen', '0'], { cwd: dir }), 'invalid_input', { exit: 2 });
    assert.match(sigma, /sharpen sigma/);
  });

  test('a failed job leaves an existing OUT untouched', async () => {
    const dir = scratch({ 'bad.png': corruptPng(), 'out.png': 'previous contents' });
    assertError(await nn(['image', 'convert', 'bad.png', 'out.png'], { cwd: dir }), 'invalid_input');
    assert.equal(fs.readFileSync(path.join(dir, 'out.png'), 'utf8'), 'previous contents');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['bad.png', 'out.png']);
  });

  test('image info: corrupt, missing and oversized-but-valid headers', async () => {
    const dir = scratch({ 'huge.png': declaredPng(100000, 100000), 'text.png': 'not an image' });
    assertError(await nn(['image', 'info', 'missing.png'], { cwd: dir }), 'io');
    assertError(await nn(['image', 'info', 'text.png'], { cwd: dir }), 'unsupported');
    // info reads the header only: a huge declared size is reported, not refused, on every
    // host (wasm32's png crate will not set up a reader for it; the header is read directly).
    for (const host of Object.keys(HOSTS)) {
      const r = await HOSTS[host](['image', 'info', '--json', 'huge.png'], { cwd: dir });
      assertOk(r, `${host}: info huge.png`);
      const info = JSON.parse(text(r.stdout));
      assert.deepEqual([info.width, info.height], [100000, 100000], host);
    }
  });

  test('--help lists every step with a description', async () => {
    const r = await nn(['image', 'convert', '--help']);
    assertOk(r, 'convert --help');
    const help = text(r.stdout);
    for (const step of ['resize', 'fit', 'filter', 'crop', 'rotate', 'flip', 'blur', 'sharpen', 'grayscale', 'brightness',
      'contrast', 'gamma', 'saturate', 'hue', 'modulate', 'normalise', 'trim', 'invert', 'quality', 'format', 'progressive',
      'max-pixels']) {
      assert.match(help, new RegExp(`^  --${step}\\b.*  \\S`, 'm'), `--${step} is not listed with a description`);
    }
  });
});

// ---------------------------------------------------------------- 5. batch

describe('image convert DIR OUTDIR --ext: batch mode', () => {
  test('converts every image, reports the corrupt one, keeps going, exits 1', async () => {
    const dir = scratch();
    const inDir = path.join(dir, 'in');
    fs.mkdirSync(path.join(inDir, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(inDir, 'a.png'), fs.readFileSync(at('rgb.png')));
    fs.writeFileSync(path.join(inDir, 'b.bad.png'), fs.readFileSync(at('rgb.png')).subarray(0, 90));
    fs.writeFileSync(path.join(inDir, 'c.PNG'), fs.readFileSync(at('rgba.png')));
    fs.writeFileSync(path.join(inDir, 'notes.txt'), 'not an image\n');
    fs.writeFileSync(path.join(inDir, 'sub', 'd.png'), fs.readFileSync(at('rgb.png')));
    const r = await nn(['image', 'convert', 'in', 'out', '--ext', 'webp', '--resize', '32x'], { cwd: dir });
    assert.equal(r.code, 1, `exit ${r.code}; stderr: ${text(r.stderr)}`);
    const errors = text(r.stderr).trimEnd().split('\n');
    assert.equal(errors.length, 1, text(r.stderr));
    assert.match(errors[0], /^nearnative: error\[invalid_input\]: in\/b\.bad\.png: /);
    assert.equal(text(r.stdout), 'converted 2 of 3 images from in into out (1 failed)\n');
    assert.deepEqual(fs.readdirSync(path.join(dir, 'out')).sort(), ['a.webp', 'c.webp']);
    const a = await pixelsOf(path.join(dir, 'out'), 'a.webp');
    const c = await pixelsOf(path.join(dir, 'out'), 'c.webp');
    assert.deepEqual([a.width, a.height, c.width, c.height], [32, 24, 32, 24]);
    assert.equal(c.channels, 4, 'alpha lost');
  });

  test('all good: exit 0, steps after --ext, --format with another extension', async () => {
    const dir = scratch();
    fs.mkdirSync(path.join(dir, 'in'));
    fs.writeFileSync(path.join(dir, 'in', 'x.png'), fs.readFileSync(at('rgb.png')));
    fs.writeFileSync(path.join(dir, 'in', 'y.png'), fs.readFileSync(at('rgba.png')));
    const r = await nn(['image', 'convert', 'in', 'out', '--flip', 'v', '--ext', 'img', '--format', 'png'], { cwd: dir });
    assertOk(r, 'batch');
    assert.equal(text(r.stderr), '', 'no progress bar when stderr is not a terminal');
    assert.equal(text(r.stdout), 'converted 2 of 2 images from in into out (0 failed)\n');
    const x = decodePng(fs.readFileSync(path.join(dir, 'out', 'x.img')));
    assert.deepEqual([...x.rgba.subarray(0, 4)], [...RGB.subarray((H - 1) * W * 4, (H - 1) * W * 4 + 4)]);
  });

  test('on a terminal, stderr shows a progress bar (util-linux `script` provides the pseudo-terminal)', async (t) => {
    if ((await exec('script', ['--version'])).code !== 0) {
      t.skip('util-linux script is not installed');
      return;
    }
    const dir = scratch();
    fs.mkdirSync(path.join(dir, 'in'));
    for (const n of ['a', 'b', 'c']) fs.copyFileSync(at('rgb.png'), path.join(dir, 'in', `${n}.png`));
    const cmd = `"${NATIVE}" image convert in out --ext qoi --resize 8x`;
    const r = await exec('script', ['-qec', cmd, '/dev/null'], { cwd: dir });
    assertOk(r, 'batch on a pty');
    const screen = text(r.stdout); // stdout and stderr share the terminal
    assert.match(screen, /1\/3 /, 'no progress bar');
    assert.match(screen, /3\/3 /, 'progress bar does not reach the end');
    assert.match(screen, /converted 3 of 3 images from in into out \(0 failed\)/);
  });

  test('into its own directory: no input is written over; a named pipe is skipped, not read', async () => {
    const dir = scratch();
    const inDir = path.join(dir, 'd');
    fs.mkdirSync(inDir);
    const png = fs.readFileSync(at('rgb.png'));
    fs.writeFileSync(path.join(inDir, 'a.png'), png);
    for (const name of ['a.jpg', 'b.qoi']) assertOk(await nn(['image', 'convert', at('rgb.png'), path.join(inDir, name)]), name);
    assert.equal((await exec('mkfifo', [path.join(inDir, 'pipe.png')])).code, 0, 'mkfifo');
    // Named as `./d`, to be the same directory only once normalised.
    const r = await nn(['image', 'convert', 'd', './d/', '--ext', 'png'], { cwd: dir });
    assert.equal(r.code, 1, `exit ${r.code}; stderr: ${text(r.stderr)}`);
    const errors = text(r.stderr).trimEnd().split('\n');
    assert.equal(errors.length, 2, text(r.stderr));
    for (const line of errors) assert.match(line, /error\[invalid_input\]: d\/a\.(jpg|png): would overwrite the input \.?\/?d\/a\.png/);
    assert.ok(fs.readFileSync(path.join(inDir, 'a.png')).equals(png), 'a.png was written over');
    assert.equal(text(r.stdout), 'converted 1 of 3 images from d into ./d/ (2 failed)\n');
    assert.deepEqual(fs.readdirSync(inDir).sort(), ['a.jpg', 'a.png', 'b.png', 'b.qoi', 'pipe.png']);
    // Names that differ only in case are one file on macOS and Windows: refused too.
    const cased = path.join(dir, 'cased');
    fs.mkdirSync(cased);
    assertOk(await nn(['image', 'convert', at('rgb.png'), path.join(cased, 'B.jpg')]), 'B.jpg');
    const original = fs.readFileSync(path.join(cased, 'B.jpg'));
    fs.writeFileSync(path.join(cased, 'b.png'), png);
    const c = await nn(['image', 'convert', 'cased', path.join(dir, 'cased'), '--ext', 'jpg'], { cwd: dir });
    assert.equal(c.code, 1, text(c.stderr));
    assert.match(text(c.stderr), /b\.png: would overwrite the input/);
    assert.ok(fs.readFileSync(path.join(cased, 'B.jpg')).equals(original), 'B.jpg was written over');
  });

  test('a directory without --ext is a usage error', async () => {
    const dir = scratch();
    fs.mkdirSync(path.join(dir, 'in'));
    assertError(await nn(['image', 'convert', 'in', 'out'], { cwd: dir }), 'invalid_input', { exit: 2 });
    assert.deepEqual(fs.readdirSync(dir), ['in']);
  });
});

// ---------------------------------------------------------------- 6. every host, same bytes

describe('native = wasmtime = node:wasi: identical bytes', () => {
  before(async () => {
    await waitFor(WASM);
  });

  const JOBS = [
    ['resize lanczos3 + webp', ['rgba.png', 'out.webp', '--resize', '40x30', '--filter', 'lanczos3']],
    ['blur + png', ['rgba.png', 'out.png', '--blur', '2.5']],
    ['jpeg q80', ['rgb.png', 'out.jpg', '--quality', '80']],
    ['linear + jpeg 4:4:4', ['rgb.png', 'out.jpg', '--linear', '1.2,-12', '--chroma-subsampling', '4:4:4']],
    ['png compression 9', ['rgba.png', 'out.png', '--linear', '0.9,1,1.1,5,0,-5', '--compression', '9']],
    ['crop + rotate 33 + sharpen + gif', ['four.png', 'out.gif', '--crop', '4,4,50,30', '--rotate', '33', '--sharpen', '1,0.8']],
    ['pad + trim + normalise + modulate + tint', ['rgba.png', 'out.png', '--pad', '4,4,4,4', '--background', '00000000', '--trim',
      '--normalise', '--modulate', '1.1,0.8,40,3', '--tint', '3366cc']],
    ['greyscale + jpeg (stored grey)', ['rgb.png', 'out.jpg', '--grayscale', '--threshold', '90']],
    ['palette png, dithered, with alpha', ['rgba.png', 'out.png', '--resize', '40x30', '--palette', '24', '--dither', '0.6']],
  ];
  for (const [name, args] of JOBS) {
    test(name, async () => {
      const outputs = {};
      for (const host of Object.keys(HOSTS)) {
        const dir = scratch({ [args[0]]: fs.readFileSync(at(args[0])) });
        const r = await HOSTS[host](['image', 'convert', ...args], { cwd: dir });
        assertOk(r, `${host}: ${name}`);
        assert.equal(text(r.stderr), '', host);
        outputs[host] = fs.readFileSync(path.join(dir, args[1]));
      }
      assert.ok(outputs.native.length > 0);
      assert.ok(outputs.wasmtime.equals(outputs.native), `${name}: wasmtime differs from native`);
      assert.ok(outputs['node:wasi'].equals(outputs.native), `${name}: node:wasi differs from native`);
    });
  }

  test('info --json, an error and batch output are the same everywhere', async () => {
    const results = {};
    for (const host of Object.keys(HOSTS)) {
      const dir = scratch({ 'rgba.png': fs.readFileSync(at('rgba.png')), 'bad.png': Buffer.from('garbage!') });
      fs.mkdirSync(path.join(dir, 'in'));
      fs.copyFileSync(at('rgb.png'), path.join(dir, 'in', 'p.png'));
      const info = await HOSTS[host](['image', 'info', '--json', 'rgba.png'], { cwd: dir });
      const bad = await HOSTS[host](['image', 'convert', 'bad.png', 'x.png'], { cwd: dir });
      const badInfo = await HOSTS[host](['image', 'info', '--json', 'bad.png'], { cwd: dir });
      const batch = await HOSTS[host](['image', 'convert', 'in', 'out', '--ext', 'qoi', '--resize', 'x10'], { cwd: dir });
      assertOk(info, `${host} info`);
      assertOk(batch, `${host} batch`);
      results[host] = {
        info: text(info.stdout),
        bad: [bad.code, text(bad.stderr)],
        badInfo: [badInfo.code, text(badInfo.stdout), text(badInfo.stderr)],
        badLeftovers: fs.existsSync(path.join(dir, 'x.png')),
        batch: [text(batch.stdout), fs.readFileSync(path.join(dir, 'out', 'p.qoi')).toString('base64')],
      };
    }
    assert.equal(results.native.bad[0], 1);
    assert.equal(results.native.badLeftovers, false);
    // With --json a failure is JSON on stdout too, shaped as the HTTP API's error body.
    const [code, stdout, stderr] = results.native.badInfo;
    assert.equal(code, 1);
    assert.equal(JSON.parse(stdout).error.code, 'unsupported', stdout);
    assert.match(JSON.parse(stdout).error.message, /signature/);
    assert.match(stderr, /error\[unsupported\]/);
    assert.deepEqual(results.wasmtime, results.native);
    assert.deepEqual(results['node:wasi'], results.native);
  });
});
