// The playground's image panel in headless Chromium, served by the edge component as
// `cargo xtask demo` serves it: choose an image on the file input, run a resize job in the
// package's worker pool, check the output's size (the page's report and the decoded bytes),
// that both the Wasm and the pica timings appear, and that a screenshot shows a non-blank
// result. The screenshot goes to target/playground-image-screenshot.png.
//
//   node --test tests/browser/playground-image.test.mjs   (needs dist/npm/image, dist/http, chromium)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startEdgeDemo } from '../../playground/edge.mjs';
import { launchChromium, openPage } from '../support/browser.mjs';
import { photo } from '../../bench/image/harness.mjs';

const require = createRequire(import.meta.url);
const sharp = require('sharp');
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SCREENSHOT = join(ROOT, 'target/playground-image-screenshot.png');

/** A 1200×800 photo-like PNG (the bench generator), encoded by sharp: an independent encoder. */
async function samplePng() {
  return sharp(Buffer.from(photo(1200, 800)), { raw: { width: 1200, height: 800, channels: 4 } }).png().toBuffer();
}

test('image panel: choose a PNG, resize to 400 px wide in the worker pool, compare with pica', { timeout: 240_000 }, async () => {
  const server = await startEdgeDemo({ port: 0 });
  let browser;
  try {
    browser = await launchChromium();
    const { page, errors } = await openPage(browser, `${server.url}/playground/`);
    await page.waitForSelector('[data-testid="image-panel"][data-ready="true"]', { timeout: 60_000 });
    await page.setInputFiles('[data-testid="image-input"]', { name: 'photo.png', mimeType: 'image/png', buffer: await samplePng() });
    await page.waitForSelector('[data-testid="image-status"][data-state="ready"]', { timeout: 60_000 });
    assert.equal(await page.getAttribute('[data-testid="image-in-info"]', 'data-width'), '1200');

    // The default first step is a resize; make it 400 px wide (height from the aspect ratio).
    await page.fill('[data-testid="image-step-0-width"]', '400');
    await page.selectOption('[data-testid="image-format"]', 'png');
    await page.click('[data-testid="image-run"]');
    await page.waitForSelector('[data-testid="image-status"][data-state="done"], [data-testid="image-status"][data-state="error"]', { timeout: 120_000 });
    const error = await page.textContent('[data-testid="image-error"]');
    assert.equal(await page.getAttribute('[data-testid="image-status"]', 'data-state'), 'done', `job failed: ${error}`);

    const size = page.locator('[data-testid="image-out-size"]');
    assert.equal(await size.getAttribute('data-width'), '400');
    assert.equal(await size.getAttribute('data-height'), '267');
    const wasmMs = Number(await page.getAttribute('[data-testid="image-time-wasm"]', 'data-ms'));
    const peerMs = Number(await page.getAttribute('[data-testid="image-time-peer"]', 'data-ms'));
    assert.ok(wasmMs > 0 && Number.isFinite(wasmMs), `Wasm time: ${wasmMs}`);
    assert.ok(peerMs > 0 && Number.isFinite(peerMs), `pica time: ${peerMs}`);
    assert.match(await page.textContent('[data-testid="image-time-peer"]'), /\(400×267\)/);
    const ratio = Number(await page.getAttribute('[data-testid="image-speedup"]', 'data-ratio'));
    assert.ok(Math.abs(ratio - peerMs / wasmMs) < 0.01, `speed-up ${ratio} is not ${peerMs}/${wasmMs}`);

    // The bytes behind the shown image decode (with sharp) to 400×267, and look like the input
    // reduced: its mean colour is within a few levels of sharp's own resize of the same PNG.
    const b64 = await page.evaluate(async () => {
      const blob = await (await fetch(document.querySelector('[data-testid="image-result"]').src)).blob();
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(s);
    });
    const out = Buffer.from(b64, 'base64');
    const meta = await sharp(out).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 400, 267]);
    const ours = await sharp(out).stats();
    const reference = await sharp(await samplePng()).resize(400).stats();
    for (let c = 0; c < 3; c++) {
      assert.ok(Math.abs(ours.channels[c].mean - reference.channels[c].mean) < 3, `channel ${c} mean ${ours.channels[c].mean} vs ${reference.channels[c].mean}`);
    }

    // Screenshot: the result region must not be blank (a uniform colour).
    mkdirSync(join(ROOT, 'target'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const result = page.locator('[data-testid="image-result"]');
    const box = await result.boundingBox();
    assert.ok(box && box.width >= 100 && box.height >= 60, `result image box ${JSON.stringify(box)}`);
    const shot = await result.screenshot();
    const region = await sharp(shot).stats();
    const spread = Math.max(...region.channels.slice(0, 3).map((ch) => ch.stdev));
    assert.ok(spread > 10, `the result region of the screenshot is nearly uniform (stdev ${spread})`);
    assert.deepEqual(errors, [], `page errors: ${errors.join('; ')}`);
  } finally {
    await browser?.close();
    await server.close();
  }
});

test('image panel: a file that is not an image gives the stable error code', { timeout: 120_000 }, async () => {
  const server = await startEdgeDemo({ port: 0 });
  let browser;
  try {
    browser = await launchChromium();
    const { page } = await openPage(browser, `${server.url}/playground/`);
    await page.waitForSelector('[data-testid="image-panel"][data-ready="true"]', { timeout: 60_000 });
    await page.setInputFiles('[data-testid="image-input"]', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image at all\n') });
    await page.waitForSelector('[data-testid="image-error"]:not([hidden])', { timeout: 60_000 });
    assert.ok(['invalid_input', 'unsupported'].includes(await page.getAttribute('[data-testid="image-error"]', 'data-code')));
    assert.equal(await page.isDisabled('[data-testid="image-run"]'), true);
  } finally {
    await browser?.close();
    await server.close();
  }
});
