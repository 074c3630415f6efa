// The image routes on every edge host: `POST /v1/image?STEPS` and `POST /v1/image/info`
// against `wasmtime serve`, `nearnative serve` and workerd. Checks: the same job gives the
// same bytes on every host (and from the native CLI's `nearnative image convert` when it is
// built), PNG replies read back by an independent decoder over node:zlib, Lanczos against
// Pillow by PSNR, content types and size headers, the error statuses and codes, and a
// 12-megapixel JPEG resized inside 128 MiB of Wasm memory.
//
//   NEARNATIVE_EDGE_HOSTS=workerd node --test tests/http/image.test.mjs
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EDGE_HOSTS, NATIVE_CLI, ROOT, startHost } from '../support/edge-hosts.mjs';
import { exec } from '../support/exec.mjs';
import { loadComponentApi } from '../component/jco-load.mjs';
import { crop, decodePng, encodePng, flop, hugePngHeader, testPicture } from '../component/png.mjs';

const hosts = process.env.NEARNATIVE_EDGE_HOSTS?.split(',') ?? EDGE_HOSTS;
const MAIN_ENV = { NEARNATIVE_MAX_BUFFERED_BYTES: String(32 << 20) };
const SMALL_ENV = { NEARNATIVE_MAX_BUFFERED_BYTES: '50000' };
const BYTES = { 'content-type': 'application/octet-stream' };

// Inputs: PNGs from the independent encoder, JPEGs from our encoder (the component via jco).
const { raw } = await loadComponentApi();
const W = 300, H = 200;
const PICTURE = testPicture(W, H);
const PNG = encodePng(W, H, PICTURE, { alpha: false });
const ALPHA = testPicture(64, 40, { alpha: true });
const ALPHA_PNG = encodePng(64, 40, ALPHA);
const JPEG = Buffer.from(raw.image.encode({ width: W, height: H, pixels: PICTURE }, { format: 'jpeg', quality: 90, progressive: false, compression: undefined, chromaSubsampling: 'chroma420', palette: undefined }));
const BIG = [4000, 3000];
const BIG_JPEG = Buffer.from(raw.image.encode({ width: BIG[0], height: BIG[1], pixels: testPicture(...BIG) }, { format: 'jpeg', quality: 85, progressive: false, compression: undefined, chromaSubsampling: 'chroma420', palette: undefined }));

// [name, query, input, content type, width, height]
const JOBS = [
  ['resize-webp', 'resize=120x&fit=cover&format=webp&quality=80', PNG, 'image/webp', 120, 80],
  ['contain-png', 'resize=100x100&fit=contain&background=ff000080&format=png', ALPHA_PNG, 'image/png', 100, 100],
  ['crop-flop-png', 'crop=10,20,100,50&flip=h&format=png', PNG, 'image/png', 100, 50],
  ['rotate-jpeg', 'rotate=90&format=jpeg&quality=70', PNG, 'image/jpeg', 200, 300],
  ['lanczos-png', 'resize=120x80&filter=lanczos3&format=png', PNG, 'image/png', 120, 80],
  ['same-format', 'resize=x100&filter=mitchell', JPEG, 'image/jpeg', 150, 100],
  ['percent-encoded', 'crop=10%2C20%2C100%2C50&rotate=45&background=%2300ff00&format=png', PNG, 'image/png', 106, 106],
  ['filters', 'blur=1.2&sharpen=0.8,1.5&grayscale&contrast=1.2&format=webp', PNG, 'image/webp', 300, 200],
  ['big-photo', 'resize=800x&format=webp', BIG_JPEG, 'image/webp', 800, 600],
  ['palette-png', 'resize=150x&palette=32&dither=0.5&format=png', PNG, 'image/png', 150, 100],
];
const outputs = new Map(); // job name -> { host: Buffer }

/** A valid QOI image of one opaque colour: header, run codes of 62 pixels, end marker. */
function qoiOfOneColour(width, height) {
  const pixels = width * height;
  const runs = Math.ceil(pixels / 62);
  const file = Buffer.alloc(14 + runs + 8, 0xfd); // 0xfd: QOI_OP_RUN of 62 (the previous pixel)
  file.write('qoif', 0, 'latin1');
  file.writeUInt32BE(width, 4);
  file.writeUInt32BE(height, 8);
  file[12] = 4;
  file[13] = 0;
  file[14 + runs - 1] = 0xc0 | (((pixels - 1) % 62));
  file.fill(0, 14 + runs, 14 + runs + 7);
  file[14 + runs + 7] = 1;
  return file;
}

async function post(url, body, headers = BYTES) {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

async function expectError(resPromise, status, code) {
  const res = await resPromise;
  const text = res.body.toString();
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${text.slice(0, 300)}`);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const parsed = JSON.parse(text);
  assert.equal(parsed.error.code, code, text);
  assert.ok(parsed.error.message.length > 10, text);
  return parsed;
}

for (const kind of hosts) {
  describe(`image routes on ${kind}`, () => {
    let host, small;
    before(async () => {
      // 128 MiB of Wasm memory on the wasmtime hosts: a Worker's limit.
      [host, small] = await Promise.all([
        startHost(kind, { env: MAIN_ENV, memoryMib: 128, timeoutMs: 120_000 }),
        startHost(kind, { env: SMALL_ENV }),
      ]);
    });
    after(async () => {
      await Promise.all([host?.stop(), small?.stop()]);
    });

    it('runs every job: content type, size headers, and the size in the encoded file', async () => {
      for (const [name, query, input, type, width, height] of JOBS) {
        const res = await post(`${host.url}/v1/image?${query}`, input, { 'content-type': 'image/x-anything' });
        assert.equal(res.status, 200, `${name}: ${res.body.subarray(0, 300)}`);
        assert.equal(res.headers.get('content-type'), type, name);
        assert.deepEqual([res.headers.get('x-image-width'), res.headers.get('x-image-height')], [String(width), String(height)], name);
        const info = raw.image.info(res.body);
        assert.deepEqual([`image/${info.format}`, info.width, info.height], [type, width, height], name);
        if (!outputs.has(name)) outputs.set(name, {});
        outputs.get(name)[kind] = res.body;
      }
    });

    it('crop + flip=h is exact (PNG read back with node:zlib)', async () => {
      const res = await post(`${host.url}/v1/image?crop=10,20,100,50&flip=h&format=png`, PNG);
      const png = decodePng(res.body);
      assert.deepEqual([png.width, png.height], [100, 50]);
      assert.deepEqual(Buffer.from(png.pixels), Buffer.from(flop(crop(PICTURE, W, 10, 20, 100, 50), 100, 50)));
    });

    it('POST /v1/image/info answers the header as JSON', async () => {
      const res = await post(`${host.url}/v1/image/info`, PNG);
      assert.equal(res.status, 200, res.body.toString());
      assert.match(res.headers.get('content-type'), /^application\/json/);
      assert.deepEqual(JSON.parse(res.body), {
        format: 'png', width: W, height: H, channels: 3, bit_depth: 8, has_alpha: false, orientation: 1, palette: false, progressive: false,
      });
      const jpeg = JSON.parse((await post(`${host.url}/v1/image/info`, JPEG)).body);
      assert.deepEqual([jpeg.format, jpeg.width, jpeg.height, jpeg.channels], ['jpeg', W, H, 3]);
      const huge = JSON.parse((await post(`${host.url}/v1/image/info`, hugePngHeader(20000, 20000))).body);
      assert.deepEqual([huge.width, huge.height], [20000, 20000]);
      const health = await (await fetch(`${host.url}/v1/health`)).json();
      assert.ok(health.image.formats.includes('webp') && health.image.steps.includes('resize'), JSON.stringify(health.image));
    });

    it('refuses bad requests with the stable codes', async () => {
      const url = `${host.url}/v1/image`;
      for (const path of ['/v1/image', '/v1/image/info']) {
        const res = await fetch(`${host.url}${path}`);
        await res.arrayBuffer();
        assert.equal(res.status, 405, path);
        assert.equal(res.headers.get('allow'), 'POST', path);
      }
      await expectError(post(`${url}?resize=10x`, new Uint8Array(0)), 400, 'invalid_input');
      await expectError(post(`${url}/info`, new Uint8Array(0)), 400, 'invalid_input');
      await expectError(post(`${url}?resise=10x`, PNG), 400, 'invalid_input');
      await expectError(post(`${url}?resize=10x&fit=squash`, PNG), 400, 'invalid_input');
      await expectError(post(`${url}?crop=%zz`, PNG), 400, 'invalid_input');
      await expectError(post(`${url}?crop=290,0,20,20`, PNG), 400, 'invalid_input');
      await expectError(post(`${url}?format=tiff`, PNG), 400, 'unsupported');
      await expectError(post(`${url}/info?format=png`, PNG), 400, 'invalid_input');
      await expectError(post(url, Buffer.from('plain text, not an image')), 400, 'unsupported');
      await expectError(post(url, PNG.subarray(0, PNG.length - 100)), 400, 'invalid_input');
      await expectError(post(url, PNG, { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
      // From the header, before any pixel buffer; a client cannot raise the server's limit.
      await expectError(post(url, hugePngHeader(20000, 20000)), 422, 'limit_exceeded');
      await expectError(post(`${url}?max-pixels=1000000000`, hugePngHeader(20000, 20000)), 422, 'limit_exceeded');
      await expectError(post(`${url}?max-pixels=1000`, PNG), 422, 'limit_exceeded');
      // Over NEARNATIVE_MAX_BUFFERED_BYTES (50000 on this server): declared, or streamed without a length.
      const big = Buffer.alloc(60_000, 7);
      await expectError(post(`${small.url}/v1/image`, big), 413, 'limit_exceeded');
      const stream = new ReadableStream({ start(c) { c.enqueue(big); c.close(); } });
      const streamed = await fetch(`${small.url}/v1/image`, { method: 'POST', body: stream, headers: BYTES, duplex: 'half' });
      assert.equal(streamed.status, 413);
      assert.equal((await streamed.json()).error.code, 'limit_exceeded');
    });

    // 10000×10000 is within the pixel limit, and a QOI of one colour is 1.6 MB of run codes,
    // but its pixels take 400 MB: more than the 128 MiB instance can grow to.
    it('an image whose pixels outgrow the instance is limit_exceeded, and the host stays usable', { skip: kind === 'workerd' && 'workerd has its own isolate limits' }, async () => {
      const res = await post(`${host.url}/v1/image?resize=32x&format=png`, qoiOfOneColour(10000, 10000));
      const text = res.body.toString();
      if (kind === 'nearnative-serve' || res.headers.get('content-type')?.startsWith('application/json')) {
        assert.equal(res.status, 422, text);
        assert.equal(JSON.parse(text).error.code, 'limit_exceeded', text);
      } else {
        assert.equal(res.status, 500, text); // wasmtime serve's own answer to a trap
      }
      const next = await post(`${host.url}/v1/image?format=png`, PNG);
      assert.equal(next.status, 200, next.body.toString());
    });

    it('a truncated JPEG is invalid_input', async () => {
      await expectError(post(`${host.url}/v1/image?format=png`, JPEG.subarray(0, JPEG.length >> 1)), 400, 'invalid_input');
    });
  });
}

describe('the same job, the same bytes', () => {
  it('every host gives byte-identical output for every job', { skip: hosts.length < 2 && 'one host only' }, () => {
    for (const [name] of JOBS) {
      const byHost = outputs.get(name) ?? {};
      assert.deepEqual(Object.keys(byHost).sort(), [...hosts].sort(), `${name}: a host gave no output`);
      const [first, ...rest] = hosts;
      for (const other of rest) assert.ok(byHost[first].equals(byHost[other]), `${name}: ${first} and ${other} differ`);
    }
  });

  async function nativeCli(t, jobs) {
    const help = existsSync(NATIVE_CLI) ? await exec(NATIVE_CLI, ['image', 'convert', '--help']) : { code: 1 };
    if (help.code !== 0) return t.skip('target/release/nearnative has no `image convert` (yet)');
    const first = hosts[0];
    const dir = await mkdtemp(join(tmpdir(), 'nn-image-http-'));
    try {
      for (const [name, query, input, type] of jobs) {
        const inName = join(dir, `${name}.in`);
        const outName = join(dir, `${name}.${type.split('/')[1]}`);
        await writeFile(inName, input);
        const steps = [...new URLSearchParams(query)].flatMap(([k, v]) => (v === '' ? [`--${k}`] : [`--${k}`, v]));
        const r = await exec(NATIVE_CLI, ['image', 'convert', inName, outName, ...steps]);
        assert.equal(r.code, 0, `${name}: ${r.stderr}`);
        assert.ok((await readFile(outName)).equals(outputs.get(name)[first]), `${name}: the native CLI differs from ${first}`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  // Shrink-on-load jobs included: the JPEG decoder's reduced IDCT is integer arithmetic with
  // written-out tables, the same on every host.
  it('equals the native CLI `nearnative image convert`', (t) => nativeCli(t, JOBS));

  it('equals the component (jco)', () => {
    const first = hosts[0];
    for (const [name, query, input] of JOBS) {
      const viaComponent = Buffer.from(raw.image.transform(input, query));
      assert.ok(viaComponent.equals(outputs.get(name)[first]), `${name}: the component differs from ${first}`);
    }
  });

  it('Lanczos3 resize is within 35 dB PSNR of Pillow', async (t) => {
    const python = join(ROOT, 'target/tools/python');
    const probe = await exec('python3', ['-c', 'import PIL'], { env: { PYTHONPATH: python } });
    if (probe.code !== 0) return t.skip('Pillow is not installed in target/tools/python');
    const dir = await mkdtemp(join(tmpdir(), 'nn-image-pil-'));
    try {
      await writeFile(join(dir, 'in.png'), PNG);
      const script = 'import sys\nfrom PIL import Image\n' +
        'im = Image.open(sys.argv[1]).convert("RGB").resize((120, 80), Image.LANCZOS)\nsys.stdout.buffer.write(im.tobytes())';
      const r = await exec('python3', ['-c', script, join(dir, 'in.png')], { env: { PYTHONPATH: python } });
      assert.equal(r.code, 0, r.stderr.toString());
      const ours = decodePng(outputs.get('lanczos-png')[hosts[0]]);
      let squared = 0;
      for (let i = 0, j = 0; i < ours.pixels.length; i += 4, j += 3) {
        for (let c = 0; c < 3; c++) squared += (ours.pixels[i + c] - r.stdout[j + c]) ** 2;
      }
      const psnr = 10 * Math.log10((255 * 255) / (squared / (120 * 80 * 3)));
      assert.ok(psnr > 35, `PSNR against Pillow ${psnr.toFixed(1)} dB`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
