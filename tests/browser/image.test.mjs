// @nearnative/image in headless Chromium: the worker pool and inline runs, ImageData and
// ImageBitmap in and out, the simd128 build, error codes across the worker boundary, and the
// recycling of a worker whose Wasm memory grew past the pool's limit. PNG output is decoded
// by the browser's own decoder (createImageBitmap) and compared with the raw output.
//
//   node --test tests/browser/image.test.mjs      (needs dist/npm/image and chromium)
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../../playground/serve.mjs';
import { launchChromium, openPage } from '../support/browser.mjs';

test('@nearnative/image in Chromium: pool, inline, ImageData, recycling', { timeout: 120_000 }, async () => {
  const server = await startServer({ port: 0 });
  const browser = await launchChromium();
  try {
    const missing = [];
    const { page, errors } = await openPage(browser, `${server.url}/dist/npm/image/package.json`);
    page.on('response', (res) => res.status() === 404 && missing.push(new URL(res.url()).pathname));
    const r = await page.evaluate(async () => {
      const mod = await import('/dist/npm/image/index.js');
      const image = mod.default;
      const out = {};
      // A 32×20 test picture, encoded by the browser.
      const W = 32, H = 20;
      const src = new ImageData(W, H);
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) src.data.set([x * 8, y * 12, (x * y) % 256, 255], (y * W + x) * 4);
      const canvas = new OffscreenCanvas(W, H);
      canvas.getContext('2d').putImageData(src, 0, 0);
      const pngBlob = await canvas.convertToBlob({ type: 'image/png' });
      const pixelsOf = async (bytes) => {
        const bitmap = await createImageBitmap(new Blob([bytes]));
        const c = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
        c.drawImage(bitmap, 0, 0);
        return Array.from(c.getImageData(0, 0, bitmap.width, bitmap.height).data);
      };

      out.build = image.build;
      out.features = await image.features();
      out.metadata = await image(pngBlob).metadata(); // in the pool
      out.blobSize = pngBlob.size;
      out.imageDataMetadata = await image(src).metadata();
      // The same chain in the pool and inline gives the same bytes.
      const chain = (opts) => image(pngBlob, opts).rotate().resize(16, 10, { fit: 'cover', kernel: 'lanczos3' }).sharpen().png();
      const pooled = await chain().toBuffer({ resolveWithObject: true });
      const inline = await chain({ inline: true }).toBuffer({ resolveWithObject: true });
      out.sameBytes = pooled.data.length > 0 && pooled.data.every((v, i) => v === inline.data[i]) && pooled.data.length === inline.data.length;
      out.pooledInfo = pooled.info;
      const raw = await chain({ inline: true }).raw().toBuffer();
      out.browserDecodesOurPng = (await pixelsOf(pooled.data)).every((v, i) => v === raw[i]);
      out.statsAfterJobs = image.pool.stats();
      // ImageData in, ImageData out (flop), and an ImageBitmap input.
      const flopped = await image(src).flop().toImageData();
      let flopOk = flopped instanceof ImageData && flopped.width === W && flopped.height === H;
      for (let y = 0; y < H && flopOk; y++) for (let x = 0; x < W; x++) {
        for (let c = 0; c < 4; c++) if (flopped.data[(y * W + x) * 4 + c] !== src.data[(y * W + W - 1 - x) * 4 + c]) flopOk = false;
      }
      out.flopOk = flopOk;
      const fromBitmap = await image(await createImageBitmap(pngBlob), { inline: true }).raw().toBuffer();
      out.bitmapOk = fromBitmap.every((v, i) => v === src.data[i]);
      const webp = await image(src).webp({ lossless: true }).toBuffer();
      out.webpDecodedByBrowser = (await pixelsOf(webp)).every((v, i) => v === src.data[i]);
      // A frame: ImageData in through a view, steps in place, a view out that the canvas draws.
      const frame = await image.frame(W, H);
      frame.pixels().set(src.data);
      frame.apply((p) => p.flop());
      const view = frame.imageData();
      const drawn = new OffscreenCanvas(W, H).getContext('2d');
      drawn.putImageData(view, 0, 0);
      const back = drawn.getImageData(0, 0, W, H).data;
      out.frameOk = view instanceof ImageData && view.data.buffer !== src.data.buffer
        && back.every((v, i) => v === flopped.data[i]);
      frame.free();
      // Errors keep their code across the worker boundary.
      try {
        await image(new Uint8Array([1, 2, 3, 4])).toBuffer();
      } catch (e) {
        out.poolError = { code: e.code, isNearnative: e instanceof mod.NearnativeError };
      }
      // Recycling: a job that grows a worker's memory past a low limit replaces the worker.
      const events = [];
      image.pool.addEventListener('recycle', (e) => events.push(e.detail));
      const before = image.pool.stats();
      image.configure({ memoryLimit: 48 * 1024 * 1024 });
      const big = new Uint8Array(3000 * 3000 * 4).fill(200);
      const bigOut = await image(big, { raw: { width: 3000, height: 3000, channels: 4 } }).resize(30, 30).raw().toBuffer({ resolveWithObject: true });
      out.bigInfo = bigOut.info;
      out.afterBig = image.pool.stats();
      out.recycleEvents = events;
      out.before = before;
      const again = await image(pngBlob).resize(4).png().toBuffer({ resolveWithObject: true });
      out.afterRecycle = { info: again.info, stats: image.pool.stats() };
      // configure({ workers: 0 }) runs everything on the page's thread.
      image.configure({ workers: 0 });
      const jobs = image.pool.stats().jobs;
      await image(pngBlob).flip().toBuffer();
      out.workersZeroUsedPool = image.pool.stats().jobs !== jobs;
      return out;
    });
    assert.equal(r.build, 'simd128');
    assert.equal(r.features.build, 'simd128');
    assert.equal(r.metadata.build, 'simd128', 'the pool worker ran the simd128 build');
    assert.deepEqual([r.metadata.format, r.metadata.width, r.metadata.height], ['png', 32, 20]);
    assert.equal(r.metadata.size, r.blobSize, 'the size of a Blob sent to a pool worker');
    assert.deepEqual([r.imageDataMetadata.format, r.imageDataMetadata.channels, r.imageDataMetadata.width], ['raw', 4, 32]);
    assert.equal(r.sameBytes, true, 'pool and inline give the same bytes');
    // Chromium writes RGBA PNGs, so the output keeps an alpha channel.
    const channels = r.metadata.hasAlpha ? 4 : 3;
    assert.deepEqual(r.pooledInfo, { format: 'png', width: 16, height: 10, channels, hasAlpha: channels === 4, size: r.pooledInfo.size });
    assert.equal(r.browserDecodesOurPng, true, 'Chromium decodes our PNG to the raw output');
    assert.ok(r.statsAfterJobs.workers >= 1 && r.statsAfterJobs.jobs >= 2, JSON.stringify(r.statsAfterJobs));
    assert.equal(r.flopOk, true, 'ImageData in, ImageData out');
    assert.equal(r.bitmapOk, true, 'ImageBitmap input');
    assert.equal(r.frameOk, true, 'a frame view drawn by putImageData equals the flop() result');
    assert.equal(r.webpDecodedByBrowser, true, 'lossless WebP decoded by Chromium');
    assert.deepEqual(r.poolError, { code: 'unsupported', isNearnative: true });
    assert.equal(r.before.recycled, 0, 'small jobs do not recycle under the default limit');
    assert.deepEqual([r.bigInfo.width, r.bigInfo.height], [30, 30]);
    assert.equal(r.afterBig.recycled, 1, JSON.stringify(r.afterBig));
    assert.equal(r.recycleEvents.length, 1);
    assert.ok(r.recycleEvents[0].memory > 48 * 1024 * 1024);
    assert.deepEqual([r.afterRecycle.info.width, r.afterRecycle.info.height], [4, 3]);
    assert.equal(r.afterRecycle.stats.jobs, r.afterBig.jobs + 1, 'a fresh worker took the next job');
    assert.equal(r.workersZeroUsedPool, false, 'workers: 0 runs inline');
    // Chromium asks for /favicon.ico, which the test server does not serve; nothing else may fail.
    assert.deepEqual(missing.filter((p) => p !== '/favicon.ico'), []);
    assert.deepEqual(errors.filter((e) => !/status of 404/.test(e) || missing.some((p) => p !== '/favicon.ico')), []);
  } finally {
    await browser.close();
    await server.close();
  }
});
