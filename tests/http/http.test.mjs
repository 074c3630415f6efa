// One HTTP suite, three hosts: the same requests, good and bad, against `wasmtime serve`
// (the wasi:http component), `nearnative serve` (the same component in our own embedder) and
// `workerd serve` (the Cloudflare Worker). Outputs are checked against node:crypto and the
// reference `age` CLI; failures must be 4xx/5xx with the JSON error body and a stable code.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHash, createHmac, hkdfSync, pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EDGE_HOSTS, residentMemory, startHost } from '../support/edge-hosts.mjs';
import { exec } from '../support/exec.mjs';

const BYTES = { 'content-type': 'application/octet-stream' };
const MAIN_ENV = { NEARNATIVE_TEST_ROUTES: '1', NEARNATIVE_MEMORY_BUDGET_MIB: '64', NEARNATIVE_MAX_BUFFERED_BYTES: String(8 << 20) };
const LIMITS_ENV = { NEARNATIVE_TEST_ROUTES: '1', NEARNATIVE_MAX_BODY_BYTES: '100000', NEARNATIVE_MAX_BUFFERED_BYTES: '10000', NEARNATIVE_TIME_LIMIT_MS: '1000' };

async function post(url, body, headers = BYTES) {
  const res = await fetch(url, { method: 'POST', body, headers, duplex: 'half' });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

async function expectError(resPromise, status, code) {
  const res = await resPromise;
  const text = res.body.toString();
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${text}`);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const parsed = JSON.parse(text);
  assert.equal(parsed.error.code, code, text);
  assert.ok(parsed.error.message.length > 10, text);
  return parsed;
}

/** A body that arrives in `pieces` chunks of `size` bytes, `pauseMs` apart (chunked upload). */
function dripping(block, pieces, pauseMs = 0) {
  let sent = 0;
  return new ReadableStream({
    async pull(controller) {
      if (sent === pieces) return controller.close();
      if (pauseMs && sent) await new Promise((ok) => setTimeout(ok, pauseMs));
      controller.enqueue(block);
      sent++;
    },
  });
}

const hex = (b) => Buffer.from(b).toString('hex');

// NEARNATIVE_EDGE_HOSTS=a,b narrows the run while working on one host; CI runs all three.
const hosts = process.env.NEARNATIVE_EDGE_HOSTS?.split(',') ?? EDGE_HOSTS;

for (const kind of hosts) {
  describe(`HTTP API on ${kind}`, () => {
    let host, limited, dir;
    before(async () => {
      [host, limited] = await Promise.all([
        startHost(kind, { env: MAIN_ENV, memoryMib: 128, timeoutMs: 120_000 }),
        startHost(kind, { env: LIMITS_ENV, timeoutMs: 3000 }),
      ]);
      dir = await mkdtemp(join(tmpdir(), 'nn-http-'));
    });
    after(async () => {
      await Promise.all([host?.stop(), limited?.stop()]);
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('reports health, the host and the limits in force', async () => {
      const res = await fetch(`${host.url}/v1/health`);
      assert.equal(res.status, 200);
      const health = await res.json();
      assert.equal(health.name, 'nearnative');
      assert.equal(health.host, kind === 'workerd' ? 'workerd' : 'wasi-http');
      assert.ok(health.algorithms.hash.includes('blake3'));
      assert.equal(health.limits.max_buffered_bytes, 8 << 20);
      const limits = await (await fetch(`${limited.url}/v1/health`)).json();
      assert.equal(limits.limits.time_limit_ms, 1000);
    });

    it('hashes like node:crypto, whole or chunked', async () => {
      const data = randomBytes(300_001);
      for (const [algo, node] of [['sha256', 'sha256'], ['sha512', 'sha512'], ['sha3-256', 'sha3-256'], ['blake2b-512', 'blake2b512'], ['sha1', 'sha1']]) {
        const expected = createHash(node).update(data).digest('hex');
        const whole = await post(`${host.url}/v1/hash/${algo}`, data);
        assert.equal(whole.status, 200, whole.body.toString());
        assert.deepEqual(JSON.parse(whole.body), { algo, hex: expected });
        const chunked = await post(`${host.url}/v1/hash/${algo}`, dripping(data.subarray(0, 100_000), 3));
        assert.equal(JSON.parse(chunked.body).hex, createHash(node).update(Buffer.concat(Array(3).fill(data.subarray(0, 100_000)))).digest('hex'));
      }
      const empty = await post(`${host.url}/v1/hash/SHA-256`, new Uint8Array(0));
      assert.deepEqual(JSON.parse(empty.body), { algo: 'sha256', hex: createHash('sha256').digest('hex') });
    });

    it('computes HMAC, HKDF and PBKDF2 like node:crypto', async () => {
      const key = randomBytes(40), data = randomBytes(5000);
      const mac = await post(`${host.url}/v1/hmac/hmac-sha512`, data, { ...BYTES, 'nearnative-key': hex(key) });
      assert.equal(JSON.parse(mac.body).hex, createHmac('sha512', key).update(data).digest('hex'));
      const json = { 'content-type': 'application/json' };
      const [ikm, salt, info] = [randomBytes(22), randomBytes(13), randomBytes(10)];
      const hk = await post(`${host.url}/v1/kdf/hkdf-sha256`, JSON.stringify({ ikm_hex: hex(ikm), salt_hex: hex(salt), info_hex: hex(info), length: 42 }), json);
      assert.equal(JSON.parse(hk.body).hex, hex(hkdfSync('sha256', ikm, salt, info, 42)));
      const pb = await post(`${host.url}/v1/kdf/pbkdf2-sha256`, JSON.stringify({ password_hex: hex('pw'), salt_hex: hex(salt), rounds: 1000, length: 32 }), json);
      assert.equal(JSON.parse(pb.body).hex, hex(pbkdf2Sync('pw', salt, 1000, 32, 'sha256')));
    });

    it('seals like node:crypto and refuses tampered ciphertext with auth_failed', async () => {
      const key = randomBytes(32), nonce = randomBytes(12), aad = randomBytes(7), plain = randomBytes(4096);
      const headers = { ...BYTES, 'nearnative-key': hex(key), 'nearnative-nonce': hex(nonce), 'nearnative-aad': hex(aad) };
      const sealed = await post(`${host.url}/v1/aead/aes-256-gcm/seal`, plain, headers);
      const cipher = createCipheriv('aes-256-gcm', key, nonce).setAAD(aad);
      const expected = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      assert.equal(sealed.body.toString('hex'), expected.toString('hex'));
      const opened = await post(`${host.url}/v1/aead/aes-256-gcm/open`, sealed.body, headers);
      assert.deepEqual(opened.body, plain);
      sealed.body[10] ^= 1;
      await expectError(post(`${host.url}/v1/aead/aes-256-gcm/open`, sealed.body, headers), 422, 'auth_failed');
    });

    it('encrypts for the age CLI and decrypts what the age CLI wrote', async () => {
      const keyFile = join(dir, `${kind}.key`);
      assert.equal((await exec('age-keygen', ['-o', keyFile])).code, 0);
      const keyText = await readFile(keyFile, 'utf8');
      const recipient = /public key: (age1\S+)/.exec(keyText)[1];
      const identity = /AGE-SECRET-KEY-1\S+/.exec(keyText)[0];
      const plain = randomBytes(3 << 20);
      const file = await post(`${host.url}/v1/encrypt?recipient=${recipient}`, dripping(plain.subarray(0, 1 << 20), 3));
      assert.equal(file.status, 200);
      const fileName = join(dir, `${kind}.age`);
      await writeFile(fileName, file.body);
      const byAge = await exec('age', ['-d', '-i', keyFile, fileName]);
      assert.equal(byAge.code, 0, byAge.stderr.toString());
      assert.ok(byAge.stdout.equals(Buffer.concat(Array(3).fill(plain.subarray(0, 1 << 20)))));

      const plainName = join(dir, `${kind}.txt`);
      await writeFile(plainName, plain);
      const made = await exec('age', ['-a', '-r', recipient, '-o', `${plainName}.age`, plainName]);
      assert.equal(made.code, 0, made.stderr.toString());
      const opened = await post(`${host.url}/v1/decrypt`, await readFile(`${plainName}.age`), { ...BYTES, 'nearnative-identity': identity });
      assert.equal(opened.status, 200, opened.body.subarray(0, 200).toString());
      assert.ok(opened.body.equals(plain));
      await expectError(post(`${host.url}/v1/decrypt`, file.body, { ...BYTES, 'nearnative-identity': (await exec('age-keygen', [])).stdout.toString().match(/AGE-SECRET-KEY-1\S+/)[0] }), 422, 'auth_failed');
    });

    it('answers client mistakes with 4xx and a stable code, never 500', async () => {
      const u = host.url;
      await expectError(post(`${u}/v1/hash/md5`, 'x'), 404, 'unsupported');
      await expectError(post(`${u}/v1/hash/sha256/extra`, 'x'), 404, 'not_found');
      await expectError(post(`${u}/v1/nothing`, 'x'), 404, 'not_found');
      await expectError(post(`${u}/v1/hash/sha%2F256`, 'x'), 404, 'not_found');
      await expectError(fetch(`${u}/v1/hash/sha256`).then(async (r) => ({ status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) })), 405, 'method_not_allowed');
      await expectError(post(`${u}/v1/hash/sha256?algo=x`, 'x'), 400, 'invalid_input');
      await expectError(post(`${u}/v1/hash/sha256`, 'a=b', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
      await expectError(post(`${u}/v1/kdf/hkdf-sha256`, '{}', BYTES), 415, 'unsupported_media_type');
      await expectError(post(`${u}/v1/kdf/hkdf-sha256`, '{"ikm_hex":', { 'content-type': 'application/json' }), 400, 'invalid_input');
      await expectError(post(`${u}/v1/kdf/argon2id`, JSON.stringify({ password_hex: '00', salt_hex: '0000000000000000', memory_kib: 1 << 20, iterations: 1, parallelism: 1, length: 32 }), { 'content-type': 'application/json' }), 422, 'limit_exceeded');
      await expectError(post(`${u}/v1/hmac/sha256`, 'x', { ...BYTES, 'nearnative-key': 'not hex' }), 400, 'invalid_input');
      await expectError(post(`${u}/v1/aead/chacha20-poly1305/seal`, 'x', { ...BYTES, 'nearnative-key': '00', 'nearnative-nonce': '00' }), 400, 'invalid_input');
      await expectError(post(`${u}/v1/encrypt`, 'x'), 400, 'invalid_input');
      await expectError(post(`${u}/v1/encrypt?recipient=age1qqqq`, 'x'), 400, 'invalid_input');
      await expectError(post(`${u}/v1/encrypt?recipient=%zz`, 'x'), 400, 'invalid_input');
      await expectError(post(`${u}/v1/decrypt`, 'not an age file', { ...BYTES, 'nearnative-passphrase': 'pw' }), 400, 'invalid_input');
    });

    it('answers 413 over the body limits, declared or streamed', async () => {
      await expectError(post(`${limited.url}/v1/hash/sha256`, new Uint8Array(100_001)), 413, 'limit_exceeded');
      await expectError(post(`${limited.url}/v1/hash/sha256`, dripping(new Uint8Array(40_000), 3)), 413, 'limit_exceeded');
      const ok = await post(`${limited.url}/v1/hash/sha256`, new Uint8Array(100_000));
      assert.equal(ok.status, 200);
      const aead = { ...BYTES, 'nearnative-key': '00'.repeat(32), 'nearnative-nonce': '00'.repeat(12) };
      await expectError(post(`${limited.url}/v1/aead/chacha20-poly1305/seal`, new Uint8Array(10_001), aead), 413, 'limit_exceeded');
    });

    it('answers 503 when a request outlives the time limit, then serves the next', async () => {
      const slow = post(`${limited.url}/v1/hash/sha256`, dripping(new Uint8Array(10), 3, 700));
      await expectError(slow, 503, 'timeout');
      assert.equal((await post(`${limited.url}/v1/hash/sha256`, 'abc')).status, 200);
    });

    it('isolates a trap to its own request', async () => {
      const trapped = await post(`${host.url}/v1/_test/trap`, '');
      assert.equal(trapped.status, 500);
      if (kind !== 'wasmtime-serve') assert.equal(JSON.parse(trapped.body).error.code, 'internal');
      const next = await post(`${host.url}/v1/hash/sha256`, 'abc');
      assert.equal(next.status, 200);
      assert.equal(JSON.parse(next.body).hex, createHash('sha256').update('abc').digest('hex'));
    });

    if (kind !== 'workerd') it('keeps an instance inside its memory limit and stays usable', async () => {
      // Over the limit, memory.grow fails (-1) and the guest's fallible allocation answers.
      await expectError(post(`${host.url}/v1/_test/alloc?mib=512`, ''), 422, 'limit_exceeded');
      // An infallible allocation aborts the guest instead: a trap, which only our embedder can
      // still put down to the memory limit (wasmtime serve answers its own 500).
      const aborted = await post(`${host.url}/v1/_test/alloc?mib=512&infallible=1`, '');
      if (kind === 'nearnative-serve') {
        assert.equal(aborted.status, 422, aborted.body.toString());
        const { error } = JSON.parse(aborted.body);
        assert.equal(error.code, 'limit_exceeded');
        assert.match(error.message, /over the limit of 128 MiB/);
      } else {
        assert.equal(aborted.status, 500, aborted.body.toString());
      }
      const small = await post(`${host.url}/v1/_test/alloc?mib=16`, '');
      assert.equal(small.status, 200, small.body.toString());
      assert.equal((await post(`${host.url}/v1/hash/sha256`, 'abc')).status, 200);
    });

    if (kind !== 'workerd') {
      // workerd run locally enforces no CPU limit; wasmtime and nearnative serve interrupt
      // running code (epochs), so a request spinning past the limit fails alone.
      it('interrupts a request that spins past the host time limit', async () => {
        const res = await post(`${limited.url}/v1/_test/spin?ms=20000`, '');
        assert.ok(res.status === 503 || res.status === 500, `status ${res.status}`);
        if (kind === 'nearnative-serve') assert.equal(JSON.parse(res.body).error.code, 'timeout');
        assert.equal((await post(`${limited.url}/v1/hash/sha256`, 'abc')).status, 200);
      });
    }

    if (kind === 'nearnative-serve') {
      it('shuts down gracefully: SIGTERM lets the request in flight finish, then exits 0', async () => {
        const own = await startHost(kind, { env: MAIN_ENV });
        const block = randomBytes(64 << 10);
        const reply = post(`${own.url}/v1/hash/sha256`, dripping(block, 8, 150));
        await new Promise((ok) => setTimeout(ok, 300));
        const ended = own.stop();
        const res = await reply;
        assert.equal(res.status, 200, res.body.toString());
        assert.equal(JSON.parse(res.body).hex, createHash('sha256').update(Buffer.concat(Array(8).fill(block))).digest('hex'));
        assert.deepEqual(await ended, { code: 0, signal: null });
        await assert.rejects(fetch(`${own.url}/v1/health`), 'the port is closed after shutdown');
      });
    }

    it('hashes a 1 GiB upload without holding it in memory', { timeout: 120_000 }, async () => {
      const block = randomBytes(1 << 20);
      const blocks = 1024;
      const reference = createHash('sha256');
      for (let i = 0; i < blocks; i++) reference.update(block);
      const before = await residentMemory(host.pid);
      const res = await post(`${host.url}/v1/hash/sha256`, dripping(block, blocks));
      assert.equal(res.status, 200, res.body.toString());
      assert.equal(JSON.parse(res.body).hex, reference.digest('hex'));
      const afterwards = await residentMemory(host.pid);
      // The upload is 1 GiB; a server that buffered it would peak above that.
      assert.ok(afterwards.peak - before.rss < 256 << 20, `peak ${afterwards.peak >> 20} MiB after ${before.rss >> 20} MiB`);
    });
  });
}
