// A PNG encoder and decoder over node:zlib, independent of the Rust `png` crate: the image
// tests make inputs with it and check every PNG that nearnative returns against it.
//   encodePng(width, height, rgba, { alpha = true })  -> Buffer (8-bit RGBA or RGB, filter 0)
//   decodePng(buffer) -> { width, height, bitDepth, colorType, pixels: RGBA8 Uint8Array }
//   hugePngHeader(width, height) -> a PNG whose IHDR declares this size (valid CRCs, one
//     tiny IDAT), for decompression-bomb checks.
//   crop(rgba, width, left, top, w, h), flop(rgba, width, height) -> RGBA8: geometry
//     references the image tests compare nearnative's output with.
import zlib from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])) >>> 0);
  return Buffer.concat([head, data, crc]);
}

function ihdr(width, height, colorType) {
  const h = Buffer.alloc(13);
  h.writeUInt32BE(width, 0);
  h.writeUInt32BE(height, 4);
  h[8] = 8; // bit depth
  h[9] = colorType;
  return chunk('IHDR', h); // compression, filter, interlace 0
}

export function encodePng(width, height, rgba, { alpha = true } = {}) {
  const channels = alpha ? 4 : 3;
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = (stride + 1) * y + 1;
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) raw[row + x * channels + c] = rgba[(y * width + x) * 4 + c];
    }
  }
  return Buffer.concat([
    SIGNATURE, ihdr(width, height, alpha ? 6 : 2),
    chunk('IDAT', zlib.deflateSync(raw, { level: 1 })), chunk('IEND', Buffer.alloc(0)),
  ]);
}

export function hugePngHeader(width, height) {
  return Buffer.concat([
    SIGNATURE, ihdr(width, height, 6), chunk('IDAT', zlib.deflateSync(Buffer.alloc(64))), chunk('IEND', Buffer.alloc(0)),
  ]);
}

const CHANNELS = { 0: 1, 2: 3, 4: 2, 6: 4 };

export function decodePng(buffer) {
  const buf = Buffer.from(buffer);
  if (!buf.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  let offset = 8, width, height, bitDepth, colorType, interlace;
  const idat = [];
  while (offset < buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    const data = buf.subarray(offset + 8, offset + 8 + length);
    const crc = buf.readUInt32BE(offset + 8 + length);
    if ((zlib.crc32(buf.subarray(offset + 4, offset + 8 + length)) >>> 0) !== crc) throw new Error(`bad CRC in ${type}`);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      [bitDepth, colorType] = [data[8], data[9]];
      interlace = data[12];
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  const channels = CHANNELS[colorType];
  if (bitDepth !== 8 || !channels || interlace !== 0) {
    throw new Error(`decodePng handles 8-bit non-interlaced grey/RGB/RGBA only (depth ${bitDepth}, type ${colorType})`);
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const rows = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = rows.subarray(y * stride, (y + 1) * stride);
    const prev = y ? rows.subarray((y - 1) * stride, y * stride) : Buffer.alloc(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[i - channels] : 0;
      const b = prev[i];
      const c = i >= channels ? prev[i - channels] : 0;
      let predictor;
      switch (filter) {
        case 0: predictor = 0; break;
        case 1: predictor = a; break;
        case 2: predictor = b; break;
        case 3: predictor = (a + b) >> 1; break;
        case 4: {
          const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
          predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw new Error(`bad filter type ${filter} in row ${y}`);
      }
      out[i] = (line[i] + predictor) & 0xff;
    }
  }
  const pixels = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const s = rows.subarray(i * channels, (i + 1) * channels);
    const [r, g, b, a] = channels >= 3 ? [s[0], s[1], s[2], channels === 4 ? s[3] : 255] : [s[0], s[0], s[0], channels === 2 ? s[1] : 255];
    pixels.set([r, g, b, a], i * 4);
  }
  return { width, height, bitDepth, colorType, pixels };
}

/** A deterministic test picture: smooth gradients plus a pattern, so every resize and crop shows. */
export function testPicture(width, height, { alpha = false } = {}) {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      rgba[i] = (x * 255) / Math.max(1, width - 1);
      rgba[i + 1] = (y * 255) / Math.max(1, height - 1);
      rgba[i + 2] = ((x >> 3) + (y >> 3)) & 1 ? 200 : 40;
      rgba[i + 3] = alpha ? (x + y) % 256 : 255;
    }
  }
  return rgba;
}

// Pixel-level references (RGBA8).
export function crop(px, w, left, top, cw, ch) {
  const out = new Uint8Array(cw * ch * 4);
  for (let y = 0; y < ch; y++) out.set(px.subarray(((top + y) * w + left) * 4, ((top + y) * w + left + cw) * 4), y * cw * 4);
  return out;
}
export function flop(px, w, h) {
  const out = new Uint8Array(px.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out.set(px.subarray((y * w + x) * 4, (y * w + x) * 4 + 4), (y * w + (w - 1 - x)) * 4);
  return out;
}
