// Compiled with `tsc --noEmit` by the test suite: js/image/index.d.ts must describe the API as
// js/image/README.md shows it.
import image, { transform, configure, features, pool, NearnativeError, type Metadata, type Stats } from '../../dist/npm/image/index.js';

const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
const webp: Uint8Array = await image(bytes).rotate().resize(800, 600, { fit: 'cover', kernel: 'lanczos3' })
  .sharpen().webp({ quality: 80 }).toBuffer();
const { data, info } = await image(bytes).resize({ width: 200 }).png().toBuffer({ resolveWithObject: true });
const width: number = info.width;
const trimmedFrom: number | undefined = info.trimOffsetLeft;
const focus: [number | undefined, number | undefined] = [info.attentionX, info.cropOffsetTop];
const alphaOut: boolean = info.hasAlpha;
// Node: file paths in and out; sharp's withoutEnlargement.
const written = await image('photo.jpg').resize(800, 600, { withoutEnlargement: true, withoutReduction: false })
  .composite([{ input: 'logo.png', left: 10, top: 10 }]).toFile('thumb.webp');
const writtenWidth: number = written.width;
const portrait = await image(bytes).resize(200, 200, { position: 'top' }).resize(100, 100, { position: image.strategy.attention })
  .resize(90, 60, { fit: 'contain', position: 'southwest' }).toBuffer();
const meta: Metadata = await image(bytes).metadata();
const build: 'simd128' | 'scalar' = meta.build;
const stats: Stats = await image(new Blob([bytes])).extract({ left: 0, top: 0, width: 1, height: 1 }).stats();
const mean: number = stats.channels[0].mean;
const chained = image(bytes, { inline: true, limitInputPixels: 1e6 })
  .extend({ top: 1, background: '#fff' }).flip().flop().blur(2).median(3).greyscale().grayscale()
  .modulate({ brightness: 1.1, saturation: 0.9, hue: 30, lightness: 5 }).linear(1.2, 0).gamma(2.2).negate().threshold(100)
  .tint({ r: 10, g: 20, b: 30 }).flatten({ background: 'black' })
  .convolve({ width: 3, height: 3, kernel: [0, 0, 0, 0, 1, 0, 0, 0, 0] })
  .composite([{ input: bytes, left: 0, top: 0, blend: 'multiply' }]).jpeg({ quality: 70, progressive: true });
// sharp's watermark and encoder options.
const masked = image(bytes).composite([{ input: bytes, blend: 'dest-in' }, { input: bytes, raw: { width: 2, height: 2, channels: 4 }, blend: 'color-burn', tile: true },
  { input: { create: { width: 8, height: 8, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0.4 } } }, blend: 'soft-light' }]);
const watermarked = image(bytes).composite([{ input: bytes, gravity: 'southeast' }, { input: bytes }])
  .linear([1.1, 1, 0.9], [0, 5, -5]).png({ compressionLevel: 9 });
const crisp = image(bytes).jpeg({ quality: 90, chromaSubsampling: '4:4:4', optimiseCoding: true });
const indexed = [image(bytes).png({ palette: true }), image(bytes).png({ colours: 16, dither: 0.5 }), image(bytes).png({ colors: 8 })];
const statics = [image.fit.cover, image.kernel.lanczos3, image.gravity.southeast, image.cache(false).memory.max, image.concurrency(1), image.simd(), image.counters().queue];
const blank = image({ create: { width: 640, height: 480, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png();
const gifs = [image(bytes).gif(), image(bytes).gif({ colours: 16, dither: 0 }), image(bytes).gif({ colors: 32 })];
const bands = image(bytes).recomb([[0.3, 0.6, 0.1], [0.3, 0.6, 0.1], [0.3, 0.6, 0.1]]).extractChannel('green').unflatten()
  .toColourspace('b-w').toColorspace('srgb');
const { data: plain, info: plainInfo } = await image(bytes).raw().toUint8Array();
const channels: 1 | 2 | 3 | 4 = plainInfo.channels;
const pixels: ImageData = await image(new ImageData(1, 1)).raw().toImageData();
const viaQuery = await transform(bytes, 'resize=800x&fit=cover&format=webp');
// sharp code that reaches for the statics and typed variables ports as it is.
const level: number = 6;
const ported = image(bytes, { failOn: 'warning' }).resize({ width: 10, kernel: image.kernel.lanczos3 })
  .composite([{ input: bytes, blend: image.blend.multiply }]).negate({ alpha: true })
  .toColourspace(image.colourspace.srgb).toFormat(image.format.png, { compressionLevel: level });
const space: 'srgb' | 'b-w' | 'rgb16' | 'grey16' = (await image(bytes).metadata()).space;
configure({ workers: 0, memoryLimit: 64 * 1024 * 1024 });
const f = await features();
const recycled: number | undefined = pool?.stats().recycled;
try {
  await image(bytes).toBuffer();
} catch (err) {
  if (err instanceof NearnativeError && err.code === 'unsupported') console.log('typed error');
}
console.log(webp.length, data.length, width, trimmedFrom, focus, alphaOut, build, mean, chained, masked, watermarked, crisp, indexed, statics, blank, gifs, bands, plain.length, channels, pixels.width, viaQuery.info.format, f.build, recycled, ported, space);
