// The demo page end to end in headless Chromium, served by the edge component as
// `cargo xtask demo` serves it: drop a file on the playground, check every
// digest it shows against the native CLI, check the hash-wasm comparison and the edge API's digests, encrypt
// the file in the page and open the download with the reference `age` and with nearnative.
//
//   node --test tests/browser/            (needs target/release/nearnative, dist/npm/hash, chromium, age)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startEdgeDemo } from '../../playground/edge.mjs';
import { launchChromium, openPage } from '../support/browser.mjs';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CLI = join(ROOT, 'target/release/nearnative');
const AGE = process.env.AGE ?? '/usr/bin/age';
const SCREENSHOT = join(ROOT, 'target/demo-screenshot.png');
const REQUIRED = ['sha256', 'sha512', 'sha3-256', 'blake2b-512', 'blake3', 'xxh3-64', 'crc32'];
const COMPARED = ['sha256', 'blake3'];

/** 3 MiB of xorshift32 bytes, then a few text lines: deterministic, not a multiple of any block. */
function sampleBytes() {
  const noise = new Uint8Array(3 * 1024 * 1024);
  let x = 0x9e3779b9;
  for (let i = 0; i < noise.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    noise[i] = x & 0xff;
  }
  const text = Buffer.from('nearnative demo\nline two: héllo wörld\n🙂 third line without a newline at the end');
  return Buffer.concat([noise, text]);
}

function cli(args, options = {}) {
  const out = spawnSync(CLI, args, { encoding: 'buffer', maxBuffer: 64 << 20, ...options });
  assert.equal(out.status, 0, `nearnative ${args.join(' ')} failed: ${out.stderr}`);
  return out;
}

/** Drops `bytes` as a File named `name` on the drop zone with real drag events. */
async function dropFile(page, name, bytes) {
  return page.evaluate(
    ({ name, b64 }) => {
      const bin = atob(b64);
      const data = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([data], name, { type: 'application/octet-stream' }));
      const zone = document.querySelector('[data-testid="dropzone"]');
      const fire = (type) => zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
      const enterAccepted = !fire('dragenter');
      const overAccepted = !fire('dragover');
      const highlighted = zone.classList.contains('over');
      fire('drop');
      return { enterAccepted, overAccepted, highlighted };
    },
    { name, b64: Buffer.from(bytes).toString('base64') },
  );
}

async function encryptAndDownload(page, dir, { armor }) {
  await page.setChecked('[data-testid="armor"]', armor);
  await page.click('[data-testid="encrypt"]');
  await page.waitForSelector('[data-testid="encrypt-status"][data-state="done"], [data-testid="encrypt-status"][data-state="error"]');
  assert.equal(await page.getAttribute('[data-testid="encrypt-status"]', 'data-state'), 'done',
    await page.textContent('[data-testid="encrypt-error"]'));
  const link = page.locator('[data-testid="download-link"]');
  assert.equal(await link.getAttribute('data-armor'), String(armor));
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const path = join(dir, `${armor ? 'armored' : 'binary'}-${download.suggestedFilename()}`);
  await download.saveAs(path);
  return { path, suggested: download.suggestedFilename() };
}

test('demo page: drop a file, digests match the CLI, hash-wasm comparison, age round trip', { timeout: 180_000 }, async () => {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'nearnative-demo-'));
  // Served exactly as `cargo xtask demo` serves it: by the wasi:http component under wasmtime.
  const server = await startEdgeDemo({ port: 0 });
  const browser = await launchChromium();
  try {
    const bytes = sampleBytes();
    const name = 'sample data.bin';
    const filePath = join(dir, name);
    writeFileSync(filePath, bytes);

    const { page, errors } = await openPage(browser, `${server.url}/playground/`);
    await page.waitForSelector('[data-testid="features"][data-state="ready"]');
    const flavor = await page.getAttribute('[data-testid="features"]', 'data-flavor');
    assert.ok(['simd', 'scalar'].includes(flavor), `features() flavor is ${flavor}`);
    assert.match(await page.textContent('[data-testid="features"]'), /simd128 build|scalar build/);

    // Drop: the zone must accept dragenter/dragover (preventDefault) and highlight.
    const drop = await dropFile(page, name, bytes);
    assert.deepEqual(drop, { enterAccepted: true, overAccepted: true, highlighted: true });
    assert.equal(await page.textContent('[data-testid="file-name"]'), name);
    assert.equal(await page.getAttribute('[data-testid="file-size"]', 'data-bytes'), String(bytes.length));

    // Digests: every one shown equals the CLI's for the same bytes.
    await page.waitForSelector('[data-testid="hash-status"][data-state="done"]', { timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid="hash-progress"]').value === 1);
    const shown = await page.$$eval('[data-testid="digests"] code[data-alg]', (els) =>
      Object.fromEntries(els.map((e) => [e.dataset.alg, e.textContent])));
    for (const alg of REQUIRED) assert.ok(shown[alg], `the page shows no ${alg} digest`);
    for (const [alg, hex] of Object.entries(shown)) {
      const line = cli(['hash', '-a', alg, filePath]).stdout.toString();
      assert.equal(line, `${hex}  ${filePath}\n`, `${alg}: page and CLI disagree`);
    }

    // The comparison with hash-wasm: numbers for both libraries, and they agree on the digest.
    await page.waitForSelector('[data-testid="compare"][data-state="done"]', { timeout: 90_000 });
    for (const alg of COMPARED) {
      for (const side of ['nn', 'hw']) {
        const rate = Number(await page.getAttribute(`[data-testid="cmp-${alg}-${side}-mbs"]`, 'data-value'));
        assert.ok(rate > 0 && Number.isFinite(rate), `${alg} ${side} MB/s is ${rate}`);
        assert.match(await page.textContent(`[data-testid="cmp-${alg}-${side}-ms"]`), /^\d+(\.\d+)? (ms|s)$/);
      }
      assert.match(await page.textContent(`[data-testid="cmp-${alg}-speedup"]`), /^\d+\.\d\d×$/);
      assert.equal(await page.getAttribute(`[data-testid="cmp-${alg}-agree"]`, 'data-agree'), 'true');
    }
    assert.match(await page.textContent('[data-testid="compare-method"]'), /Web Worker/);

    // The page's own server is the edge component: its /v1/hash routes agree with the page.
    await page.waitForSelector('[data-testid="edge-status"][data-state="done"]', { timeout: 60_000 });
    for (const alg of ['sha256', 'blake3']) {
      assert.equal(await page.getAttribute(`[data-testid="edge-${alg}-agree"]`, 'data-agree'), 'true');
    }
    assert.match(await page.textContent('[data-testid="edge-status"]'), /on wasi-http \(wasm32, simd128\)/);

    // Errors reach the user with their code.
    await page.fill('[data-testid="recipient"]', 'age1bogus');
    await page.click('[data-testid="encrypt"]');
    await page.waitForSelector('[data-testid="encrypt-error"]:not([hidden])');
    assert.equal(await page.getAttribute('[data-testid="encrypt-error"]', 'data-code'), 'invalid_input');
    assert.match(await page.textContent('[data-testid="encrypt-error"]'), /^invalid_input /);

    // "Generate a key pair" makes an identity in the page whose recipient the CLI agrees with.
    await page.click('[data-testid="keygen"]');
    await page.waitForSelector('[data-testid="identity-box"]:not([hidden])');
    const identityText = await page.textContent('[data-testid="identity"]');
    const pageRecipient = await page.inputValue('[data-testid="recipient"]');
    assert.match(identityText, /^AGE-SECRET-KEY-1[0-9A-Z]+$/m);
    const pageKeyPath = join(dir, 'page-key.txt');
    writeFileSync(pageKeyPath, identityText);
    assert.equal(cli(['keygen', '-y', pageKeyPath]).stdout.toString().trim(), pageRecipient);

    // Encrypt to a key made by the CLI; open the download with age and with nearnative.
    const keyPath = join(dir, 'key.txt');
    const keygen = cli(['keygen', '-o', keyPath]);
    const recipient = /Public key: (age1[0-9a-z]+)/.exec(keygen.stderr.toString())?.[1];
    assert.ok(recipient, `no recipient in: ${keygen.stderr}`);
    await page.fill('[data-testid="recipient"]', recipient);
    assert.equal(await page.isHidden('[data-testid="identity-box"]'), true);
    for (const armor of [false, true]) {
      const { path, suggested } = await encryptAndDownload(page, dir, { armor });
      assert.equal(suggested, `${name}.age`);
      const sealed = readFileSync(path);
      if (armor) assert.match(sealed.toString('latin1'), /^-----BEGIN AGE ENCRYPTED FILE-----\n/);
      else assert.equal(sealed.subarray(0, 22).toString(), 'age-encryption.org/v1\n');

      const byAge = spawnSync(AGE, ['-d', '-i', keyPath, path], { encoding: 'buffer', maxBuffer: 64 << 20 });
      assert.equal(byAge.status, 0, `age -d failed: ${byAge.stderr}`);
      assert.ok(byAge.stdout.equals(bytes), `age -d (armor=${armor}) gave other bytes`);

      const outPath = join(dir, `plain-${armor}.bin`);
      cli(['decrypt', '-i', keyPath, '-o', outPath, path]);
      assert.ok(readFileSync(outPath).equals(bytes), `nearnative decrypt (armor=${armor}) gave other bytes`);
    }
    assert.equal(await page.isHidden('[data-testid="encrypt-error"]'), true);

    assert.deepEqual(errors, [], 'the page logged errors');
    mkdirSync(join(ROOT, 'target'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`demo page test: ${((performance.now() - started) / 1000).toFixed(1)} s; screenshot ${SCREENSHOT}`);
  } finally {
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
