// Behaviour tests of the npm package dist/npm/hash (as built by `cargo xtask build`) in Node,
// against independent references: node:crypto (OpenSSL), the official BLAKE3 / RFC 9106
// vectors in tests/vectors, and the reference Go `age` CLI.
//
//   node --test tests/npm/
//
// Tests marked "Regression, fixed" pin defects found while writing these tests; the comment
// above each says what was wrong.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec } from '../support/exec.mjs';
import { rejectsWithCode } from '../support/assert-code.mjs';

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const PACKAGE = path.join(ROOT, 'dist/npm/hash/index.js');
const VECTORS = path.join(ROOT, 'tests/vectors');
const PTY = path.join(ROOT, 'tests/cli/pty_age.py');
const MiB = 1024 * 1024;

// The lead may be rebuilding dist/: give it a little while before giving up.
for (let i = 0; i < 120 && !fs.existsSync(PACKAGE); i++) await new Promise((r) => setTimeout(r, 1000));
const h = await import(PACKAGE);

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const vectors = (set) => JSON.parse(fs.readFileSync(path.join(VECTORS, `${set}.json`), 'utf8')).cases;
function pattern(n) {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = i % 251;
  return b;
}

let WORK;
before(() => {
  WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'nearnative-npm-test-'));
});
after(() => {
  if (WORK) fs.rmSync(WORK, { recursive: true, force: true });
});

// Inputs covering empty, block boundaries, multi-MiB, strings, Buffers (pooled, with a
// byteOffset), ArrayBuffers and views of other element types.
const BIG = crypto.randomBytes(MiB + 3);
function inputs() {
  const backing = crypto.randomBytes(300);
  return {
    empty: new Uint8Array(0),
    abc: 'abc',
    unicode: 'héllo wörld ✓ 🎉',
    '64 bytes': new Uint8Array(64).fill(0x61),
    '1 MiB + 3': BIG,
    'pooled Buffer': Buffer.from('a small pooled buffer'),
    'subarray view': new Uint8Array(backing.buffer, backing.byteOffset + 7, 200),
    ArrayBuffer: backing.buffer.slice(backing.byteOffset, backing.byteOffset + 100),
    'Uint32Array view': new Uint32Array(backing.buffer, backing.byteOffset + (backing.byteOffset % 4 ? 4 - (backing.byteOffset % 4) : 0), 16),
    DataView: new DataView(backing.buffer, backing.byteOffset + 3, 77),
  };
}
/** The bytes node:crypto should see for an input. */
function bytesOf(data) {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

// ---------------------------------------------------------------- digests

describe('digests: one-shot = streaming = node:crypto', () => {
  const ALGORITHMS = [
    // [our name, one-shot export, node:crypto name]
    ['sha1', 'sha1', 'sha1'],
    ['sha224', 'sha224', 'sha224'],
    ['sha256', 'sha256', 'sha256'],
    ['sha384', 'sha384', 'sha384'],
    ['sha512', 'sha512', 'sha512'],
    ['sha3-256', 'sha3_256', 'sha3-256'],
    ['sha3-512', 'sha3_512', 'sha3-512'],
    ['blake2b-512', 'blake2b_512', 'blake2b512'],
    ['blake2s-256', 'blake2s_256', 'blake2s256'],
  ];
  for (const [name, fn, nodeName] of ALGORITHMS) {
    test(`${name} (${nodeName})`, () => {
      for (const [label, data] of Object.entries(inputs())) {
        const bytes = bytesOf(data);
        const expected = crypto.createHash(nodeName).update(bytes).digest('hex');
        const oneShot = h[fn](data);
        assert.ok(oneShot instanceof Uint8Array, `${label}: returns a Uint8Array`);
        assert.equal(hex(oneShot), expected, `${name} one-shot of ${label}`);
        assert.equal(hex(h.digest(name, data)), expected, `digest('${name}') of ${label}`);
        // Streaming in irregular pieces across block boundaries.
        const hasher = h.createHasher(name);
        const sizes = [1, 63, 64, 65, 127, 1000];
        let offset = 0;
        for (let i = 0; offset < bytes.length; i++) {
          const n = sizes[i % sizes.length];
          hasher.update(bytes.subarray(offset, offset + n));
          offset += n;
        }
        assert.equal(hex(hasher.digest()), expected, `${name} streaming of ${label}`);
      }
      // update() chains and accepts mixed types
      const chained = h.createHasher(name).update('ab').update(new Uint8Array([0x63])).digest();
      assert.equal(hex(chained), crypto.createHash(nodeName).update('abc').digest('hex'));
    });
  }

  test('aliases (SHA-256, blake2b, xxh3...) name the same digest; case-insensitive', () => {
    assert.equal(hex(h.digest('SHA-256', 'abc')), hex(h.sha256('abc')));
    assert.equal(hex(h.digest('blake2b', 'abc')), crypto.createHash('blake2b512').update('abc').digest('hex'));
    assert.equal(hex(h.digest('Sha3_256', 'abc')), crypto.createHash('sha3-256').update('abc').digest('hex'));
  });

  test('blake3 = official vectors; xxh64/xxh3/crc32/crc32c = independent checksum vectors', () => {
    for (const c of vectors('blake3-official')) {
      const data = pattern(c.input_len);
      assert.equal(hex(h.blake3(data)), c.expected_hex, c.id);
    }
    const fns = { xxh64: 'xxh64', 'xxh3-64': 'xxh3_64', 'xxh3-128': 'xxh3_128', crc32: 'crc32', crc32c: 'crc32c' };
    let n = 0;
    for (const c of vectors('checksums')) {
      const data = c.input_hex !== undefined ? Buffer.from(c.input_hex, 'hex') : pattern(c.input_len);
      assert.equal(hex(h[fns[c.algorithm]](data)), c.expected_hex, c.id);
      const s = h.createHasher(c.algorithm);
      s.update(data.subarray(0, 7)).update(data.subarray(7));
      assert.equal(hex(s.digest()), c.expected_hex, `${c.id} streaming`);
      n++;
    }
    assert.ok(n > 100);
  });

  test('hashBlob: a few MiB Blob, several algorithms in one pass, progress reported', async () => {
    const parts = [crypto.randomBytes(MiB), 'text part ✓', crypto.randomBytes(3 * MiB + 5)];
    const blob = new Blob(parts);
    const whole = Buffer.from(await blob.arrayBuffer());
    const progress = [];
    const result = await h.hashBlob(blob, {
      algorithms: ['sha256', 'blake2b-512', 'sha3-256', 'sha1'],
      onProgress: (p) => progress.push(p),
    });
    assert.deepEqual(Object.keys(result).sort(), ['blake2b-512', 'sha1', 'sha256', 'sha3-256']);
    assert.equal(hex(result.sha256), crypto.createHash('sha256').update(whole).digest('hex'));
    assert.equal(hex(result['blake2b-512']), crypto.createHash('blake2b512').update(whole).digest('hex'));
    assert.equal(hex(result['sha3-256']), crypto.createHash('sha3-256').update(whole).digest('hex'));
    assert.equal(hex(result.sha1), crypto.createHash('sha1').update(whole).digest('hex'));
    assert.ok(progress.length >= 2, `progress was reported ${progress.length} times`);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i].bytes > progress[i - 1].bytes, 'progress increases');
    assert.deepEqual(progress.at(-1), { bytes: blob.size, total: blob.size });
    // default algorithm: blake3 (official vector)
    const b3 = vectors('blake3-official').find((c) => c.input_len === 102400);
    const dflt = await h.hashBlob(new Blob([pattern(102400)]));
    assert.equal(hex(dflt.blake3), b3.expected_hex);
    // an empty Blob
    const empty = await h.hashBlob(new Blob([]), { algorithms: ['sha256'] });
    assert.equal(hex(empty.sha256), crypto.createHash('sha256').digest('hex'));
  });
});

// ---------------------------------------------------------------- MACs and KDFs

describe('HMAC, HKDF, PBKDF2, Argon2id against node:crypto and RFC vectors', () => {
  test('hmac / createHmac = node:crypto createHmac (sha224..sha512, keys of 0 to 200 bytes)', () => {
    const data = crypto.randomBytes(10_000);
    for (const alg of ['sha224', 'sha256', 'sha384', 'sha512']) {
      for (const keyLen of [0, 20, 64, 128, 200]) {
        const key = crypto.randomBytes(keyLen);
        const expected = crypto.createHmac(alg, key).update(data).digest('hex');
        assert.equal(hex(h.hmac(alg, key, data)), expected, `hmac ${alg} key ${keyLen}`);
        assert.equal(hex(h.hmac(`hmac-${alg}`, key, data)), expected, `hmac-${alg}`);
        const m = h.createHmac(alg, key);
        m.update(data.subarray(0, 1)).update(data.subarray(1, 5000)).update(data.subarray(5000));
        assert.equal(hex(m.digest()), expected, `createHmac ${alg} key ${keyLen}`);
      }
    }
    assert.equal(hex(h.hmac('sha256', 'key', 'The quick brown fox jumps over the lazy dog')),
      'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8'); // Wikipedia's example
  });

  test('hkdf = node:crypto hkdfSync (sha256, sha512; lengths 1 .. 255*HashLen)', () => {
    for (const [alg, len] of [['sha256', 32], ['sha512', 64]]) {
      const ikm = crypto.randomBytes(22);
      const salt = crypto.randomBytes(13);
      const info = Buffer.from('context info');
      for (const length of [1, 16, 42, len, 100, 255 * len]) {
        const expected = Buffer.from(crypto.hkdfSync(alg, ikm, salt, info, length)).toString('hex');
        assert.equal(hex(h.hkdf(alg, ikm, salt, info, length)), expected, `hkdf ${alg} ${length}`);
      }
      // empty salt and info
      const expected = Buffer.from(crypto.hkdfSync(alg, ikm, Buffer.alloc(0), Buffer.alloc(0), 32)).toString('hex');
      assert.equal(hex(h.hkdf(alg, ikm, undefined, undefined, 32)), expected, `hkdf ${alg} without salt/info`);
    }
  });

  test('pbkdf2Sha256 = node:crypto pbkdf2Sync', () => {
    for (const [pw, salt, rounds, len] of [['password', 'salt', 1, 32], ['password', 'salt', 4096, 32], ['pässwörd', crypto.randomBytes(16), 1000, 100], ['', 'salt', 3, 7]]) {
      const expected = crypto.pbkdf2Sync(pw, salt, rounds, len, 'sha256').toString('hex');
      assert.equal(hex(h.pbkdf2Sha256(pw, salt, rounds, len)), expected, `pbkdf2 ${rounds} rounds, ${len} bytes`);
    }
  });

  test('argon2id = RFC 9106 5.3 vector (secret + associated data)', () => {
    const [c] = vectors('argon2-rfc9106');
    const out = h.argon2id(Buffer.from(c.password_hex, 'hex'), Buffer.from(c.salt_hex, 'hex'), {
      memoryKib: c.memory_kib, iterations: c.iterations, parallelism: c.parallelism, length: c.length,
      secret: Buffer.from(c.secret_hex, 'hex'), associatedData: Buffer.from(c.ad_hex, 'hex'),
    });
    assert.equal(hex(out), c.expected_hex);
    // Without secret/ad the result must differ (the options are really used).
    const plain = h.argon2id(Buffer.from(c.password_hex, 'hex'), Buffer.from(c.salt_hex, 'hex'), {
      memoryKib: c.memory_kib, iterations: c.iterations, parallelism: c.parallelism, length: c.length,
    });
    assert.notEqual(hex(plain), c.expected_hex);
  });

  test('argon2id with a huge memoryKib -> limit_exceeded, before allocating, and the module still works', async () => {
    for (const memoryKib of [2 ** 32 - 1, 3 * 1024 * 1024, 64 * 1024 * 1024]) {
      await rejectsWithCode(() => h.argon2id('password', 'somesalt', { memoryKib }), 'limit_exceeded', `memoryKib ${memoryKib}`);
    }
    assert.equal(hex(h.sha256('abc')), crypto.createHash('sha256').update('abc').digest('hex'));
    const small = h.argon2id('password', 'somesalt', { memoryKib: 64, iterations: 1 });
    assert.equal(small.length, 32);
  });

  // Regression, fixed (hosts/web/src/lib.rs argon2id + crates/hash/src/kdf.rs): the web host's memory budget
  // is 2 GiB (`2 << 30`), but on wasm32 a single allocation can never reach 2 GiB (isize::MAX
  // is 2^31 - 1), so a memoryKib the budget accepts fails inside the argon2 crate with
  // "Argon2id parameters: out of memory" reported as invalid_input. The parameters are valid;
  // running out of memory is a limit: expected limit_exceeded (budget below what wasm32 can
  // allocate, or OutOfMemory mapped to limit_exceeded).
  test('argon2id at the memory budget (memoryKib = 2 GiB) fails with limit_exceeded, not invalid_input', async () => {
    await rejectsWithCode(() => h.argon2id('password', 'somesalt', { memoryKib: 2 * 1024 * 1024, iterations: 1 }), 'limit_exceeded', 'memoryKib 2 GiB');
    assert.equal(hex(h.sha256('abc')), crypto.createHash('sha256').update('abc').digest('hex'));
  });
});

// ---------------------------------------------------------------- AEAD

describe('AEAD', () => {
  const ALGS = { 'aes-256-gcm': 12, 'chacha20-poly1305': 12, 'xchacha20-poly1305': 24 };

  test('seal/open round trip (empty and 1 MiB plaintexts, with and without aad); tampering -> auth_failed', async () => {
    for (const [alg, nonceLen] of Object.entries(ALGS)) {
      for (const plaintext of [new Uint8Array(0), BIG]) {
        const key = crypto.randomBytes(32);
        const nonce = crypto.randomBytes(nonceLen);
        const aad = Buffer.from('header v1');
        const sealed = h.aead.seal(alg, key, nonce, plaintext, aad);
        assert.equal(sealed.length, plaintext.length + 16, `${alg}: ciphertext || 16-byte tag`);
        assert.ok(Buffer.from(h.aead.open(alg, key, nonce, sealed, aad)).equals(Buffer.from(plaintext)), `${alg} round trip`);
        const noAad = h.aead.seal(alg, key, nonce, plaintext);
        assert.ok(Buffer.from(h.aead.open(alg, key, nonce, noAad)).equals(Buffer.from(plaintext)));

        const flip = (buf, i) => { const c = Buffer.from(buf); c[i] ^= 0x80; return c; };
        if (plaintext.length) await rejectsWithCode(() => h.aead.open(alg, key, nonce, flip(sealed, 0), aad), 'auth_failed', `${alg} ciphertext`);
        await rejectsWithCode(() => h.aead.open(alg, key, nonce, flip(sealed, sealed.length - 1), aad), 'auth_failed', `${alg} tag`);
        await rejectsWithCode(() => h.aead.open(alg, key, nonce, sealed, 'header v2'), 'auth_failed', `${alg} aad`);
        await rejectsWithCode(() => h.aead.open(alg, key, nonce, sealed), 'auth_failed', `${alg} missing aad`);
        await rejectsWithCode(() => h.aead.open(alg, flip(key, 5), nonce, sealed, aad), 'auth_failed', `${alg} key`);
        await rejectsWithCode(() => h.aead.open(alg, key, flip(nonce, 0), sealed, aad), 'auth_failed', `${alg} nonce`);
      }
    }
  });

  test('aes-256-gcm and chacha20-poly1305 output = node:crypto createCipheriv ciphertext + tag', () => {
    for (const [alg, nodeAlg] of [['aes-256-gcm', 'aes-256-gcm'], ['chacha20-poly1305', 'chacha20-poly1305']]) {
      for (const len of [0, 1, 15, 16, 17, 1000, 65_537]) {
        const key = crypto.randomBytes(32);
        const nonce = crypto.randomBytes(12);
        const aad = crypto.randomBytes(len % 40);
        const plaintext = crypto.randomBytes(len);
        const cipher = crypto.createCipheriv(nodeAlg, key, nonce, { authTagLength: 16 });
        cipher.setAAD(aad, { plaintextLength: len });
        const expected = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
        const sealed = h.aead.seal(alg, key, nonce, plaintext, aad);
        assert.equal(hex(sealed), expected.toString('hex'), `${alg}, ${len} bytes`);
        assert.ok(Buffer.from(h.aead.open(alg, key, nonce, expected, aad)).equals(plaintext));
      }
    }
  });

  test('wrong key or nonce length -> invalid_input; unknown algorithm -> unsupported', async () => {
    for (const [alg, nonceLen] of Object.entries(ALGS)) {
      const key = new Uint8Array(32);
      const nonce = new Uint8Array(nonceLen);
      for (const badKey of [0, 16, 31, 33, 64]) {
        await rejectsWithCode(() => h.aead.seal(alg, new Uint8Array(badKey), nonce, 'x'), 'invalid_input', `${alg} key ${badKey}`);
        await rejectsWithCode(() => h.aead.open(alg, new Uint8Array(badKey), nonce, new Uint8Array(20)), 'invalid_input', `${alg} open key ${badKey}`);
      }
      for (const badNonce of [0, 8, nonceLen - 1, nonceLen + 1, nonceLen === 12 ? 24 : 12]) {
        await rejectsWithCode(() => h.aead.seal(alg, key, new Uint8Array(badNonce), 'x'), 'invalid_input', `${alg} nonce ${badNonce}`);
      }
      await rejectsWithCode(() => h.aead.open(alg, key, nonce, new Uint8Array(15)), 'invalid_input', `${alg} sealed shorter than the tag`);
    }
    await rejectsWithCode(() => h.aead.seal('aes-128-gcm', new Uint8Array(16), new Uint8Array(12), 'x'), 'unsupported', 'aes-128-gcm');
    await rejectsWithCode(() => h.aead.open('rot13', new Uint8Array(32), new Uint8Array(12), new Uint8Array(20)), 'unsupported', 'rot13');
  });
});

// ---------------------------------------------------------------- errors

describe('errors carry stable codes', () => {
  test('unknown algorithm -> unsupported (digest, one-shot names, createHasher, hmac, createHmac, hkdf, hashBlob)', async () => {
    await rejectsWithCode(() => h.digest('md5', 'abc'), 'unsupported', 'digest md5');
    await rejectsWithCode(() => h.digest('', 'abc'), 'unsupported', 'digest ""');
    await rejectsWithCode(() => h.digest(undefined, 'abc'), 'unsupported', 'digest undefined');
    await rejectsWithCode(() => h.createHasher('sha257'), 'unsupported', 'createHasher');
    await rejectsWithCode(() => h.hmac('md5', 'key', 'abc'), 'unsupported', 'hmac md5');
    await rejectsWithCode(() => h.hmac('sha3-256', 'key', 'abc'), 'unsupported', 'hmac sha3-256');
    await rejectsWithCode(() => h.createHmac('whirlpool', 'key'), 'unsupported', 'createHmac');
    await rejectsWithCode(() => h.hkdf('md5', 'ikm', '', '', 32), 'unsupported', 'hkdf md5');
    await rejectsWithCode(() => h.hashBlob(new Blob(['x']), { algorithms: ['sha256', 'md5'] }), 'unsupported', 'hashBlob');
    assert.equal(h.md5, undefined);
  });

  test('a finalized hasher or HMAC throws invalid_input on update() and digest()', async () => {
    const hasher = h.createHasher('sha256').update('abc');
    assert.equal(hex(hasher.digest()), crypto.createHash('sha256').update('abc').digest('hex'));
    await rejectsWithCode(() => hasher.update('more'), 'invalid_input', 'update after digest');
    await rejectsWithCode(() => hasher.digest(), 'invalid_input', 'digest after digest');
    const mac = h.createHmac('sha256', 'k').update('abc');
    mac.digest();
    await rejectsWithCode(() => mac.update('more'), 'invalid_input', 'hmac update after digest');
    await rejectsWithCode(() => mac.digest(), 'invalid_input', 'hmac digest after digest');
    // Other hashers are unaffected.
    assert.equal(hex(h.createHasher('sha256').update('abc').digest()), hex(h.sha256('abc')));
  });

  test('bad input types -> invalid_input (numbers, null, undefined, plain objects, arrays)', async () => {
    for (const bad of [123, null, undefined, {}, [1, 2, 3], true, Symbol.iterator]) {
      const label = typeof bad === 'symbol' ? 'symbol' : JSON.stringify(bad) ?? String(bad);
      await rejectsWithCode(() => h.sha256(bad), 'invalid_input', `sha256(${label})`);
      await rejectsWithCode(() => h.digest('blake3', bad), 'invalid_input', `digest(${label})`);
      await rejectsWithCode(() => h.createHasher('sha256').update(bad), 'invalid_input', `update(${label})`);
      await rejectsWithCode(() => h.hmac('sha256', bad, 'data'), 'invalid_input', `hmac key ${label}`);
      await rejectsWithCode(() => h.aead.seal('aes-256-gcm', new Uint8Array(32), new Uint8Array(12), bad), 'invalid_input', `seal ${label}`);
      await rejectsWithCode(() => h.age.encrypt(bad, { recipients: ['age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq'] }), 'invalid_input', `age.encrypt ${label}`);
    }
    for (const rounds of [-1, 1.5, NaN, '1000', 2 ** 32]) {
      await rejectsWithCode(() => h.pbkdf2Sha256('pw', 'salt', rounds, 32), 'invalid_input', `pbkdf2 rounds ${rounds}`);
    }
    await rejectsWithCode(() => h.pbkdf2Sha256('pw', 'salt', 0, 32), 'invalid_input', 'pbkdf2 0 rounds');
    for (const len of [0, -1, 1.5, 65537, '32']) {
      await rejectsWithCode(() => h.hkdf('sha256', 'ikm', 'salt', 'info', len), 'invalid_input', `hkdf length ${len}`);
    }
    await rejectsWithCode(() => h.hkdf('sha256', 'ikm', 'salt', 'info', 255 * 32 + 1), 'invalid_input', 'hkdf over 255*HashLen');
    await rejectsWithCode(() => h.argon2id('pw', 'short'), 'invalid_input', 'argon2 salt < 8 bytes');
    await rejectsWithCode(() => h.argon2id('pw', 'somesalt', { iterations: 0 }), 'invalid_input', 'argon2 0 iterations');
    // hashBlob wants a Blob or a stream; toHex wants bytes (an ArrayBuffer, as crypto.subtle gives, is bytes).
    for (const bad of [new Uint8Array(3), 'abc', null, 42, {}]) {
      const label = bad === null ? 'null' : bad.constructor?.name ?? typeof bad;
      await rejectsWithCode(() => h.hashBlob(bad), 'invalid_input', `hashBlob(${label})`);
    }
    for (const bad of ['abc', null, 42, {}]) {
      await rejectsWithCode(async () => h.toHex(bad), 'invalid_input', `toHex(${JSON.stringify(bad)})`);
    }
    const subtle = await crypto.webcrypto.subtle.digest('SHA-256', new TextEncoder().encode('abc'));
    assert.equal(h.toHex(subtle), crypto.createHash('sha256').update('abc').digest('hex'), 'toHex(ArrayBuffer)');
    assert.equal(h.toHex(new Uint16Array([0x1234, 1])), Buffer.from(new Uint16Array([0x1234, 1]).buffer).toString('hex'));
    // The module keeps working after all that.
    assert.equal(hex(h.sha256('abc')), crypto.createHash('sha256').update('abc').digest('hex'));
  });
});

// ---------------------------------------------------------------- builds, traps

describe('simd and scalar builds', () => {
  let simd;
  let scalar;
  before(async () => {
    [simd, scalar] = await Promise.all([h.load('simd'), h.load('scalar')]);
  });

  test("features(): load('simd') reports simd128 true, load('scalar') false; the default picks simd on Node 20", () => {
    assert.equal(simd.features().simd128, true);
    assert.equal(simd.features().flavor, 'simd');
    assert.equal(scalar.features().simd128, false);
    assert.equal(scalar.features().flavor, 'scalar');
    assert.equal(h.features().simd128, true);
    assert.equal(typeof h.features().version, 'string');
  });

  test('the two builds give identical digests, HMACs, KDF and AEAD outputs', () => {
    const algorithms = h.algorithms();
    assert.equal(algorithms.length, 15);
    for (const data of Object.values(inputs())) {
      for (const name of algorithms) {
        const a = hex(simd.digest(name, data));
        assert.equal(hex(scalar.digest(name, data)), a, `${name}`);
        assert.equal(hex(h.digest(name, data)), a, `${name} default build`);
      }
    }
    const key = crypto.randomBytes(32);
    const nonce = crypto.randomBytes(24);
    assert.equal(hex(scalar.hmac('sha512', key, BIG)), hex(simd.hmac('sha512', key, BIG)));
    assert.equal(hex(scalar.hkdf('sha256', key, 'salt', 'info', 77)), hex(simd.hkdf('sha256', key, 'salt', 'info', 77)));
    assert.equal(hex(scalar.pbkdf2Sha256('pw', 'salt', 100, 40)), hex(simd.pbkdf2Sha256('pw', 'salt', 100, 40)));
    assert.equal(hex(scalar.argon2id('pw', 'somesalt', { memoryKib: 256, iterations: 2, parallelism: 2 })), hex(simd.argon2id('pw', 'somesalt', { memoryKib: 256, iterations: 2, parallelism: 2 })));
    for (const alg of ['aes-256-gcm', 'chacha20-poly1305', 'xchacha20-poly1305']) {
      const n = nonce.subarray(0, alg.startsWith('x') ? 24 : 12);
      assert.equal(hex(scalar.aead.seal(alg, key, n, BIG, 'aad')), hex(simd.aead.seal(alg, key, n, BIG, 'aad')), alg);
    }
  });

  test("trap: (await load('scalar')).__trapForTests() throws code internal, and the same API object works afterwards", async () => {
    const api = await h.load('scalar');
    for (let round = 0; round < 3; round++) {
      await rejectsWithCode(() => api.__trapForTests(), 'internal', `trap ${round}`);
      assert.equal(hex(api.sha256('abc')), crypto.createHash('sha256').update('abc').digest('hex'), 'digest after the trap');
      assert.equal(hex(api.createHasher('sha512').update('a').update('bc').digest()), crypto.createHash('sha512').update('abc').digest('hex'), 'streaming after the trap');
      assert.equal(hex(api.hmac('sha256', 'k', 'abc')), crypto.createHmac('sha256', 'k').update('abc').digest('hex'), 'hmac after the trap');
      const blob = await api.hashBlob(new Blob([BIG]), { algorithms: ['sha256'] });
      assert.equal(hex(blob.sha256), crypto.createHash('sha256').update(BIG).digest('hex'), 'hashBlob after the trap');
      await rejectsWithCode(() => api.digest('md5', 'x'), 'unsupported', 'errors still coded after the trap');
    }
    // The simd build (a different instance) is untouched.
    assert.equal(hex(h.sha256('abc')), crypto.createHash('sha256').update('abc').digest('hex'));
  });

  // Regression, fixed (js/hash/api.js `guard`): after a trap the instance is reset, and a Hasher/Hmac made
  // before it throws wasm-bindgen's plain `Error("Invalid stale object from previous Wasm
  // instance")` with no `.code`, breaking the rule that every error carries a stable code.
  // (It should be a NearnativeError, e.g. code internal or invalid_input, saying that the
  // hasher was invalidated by the reset.)
  test('a hasher created before a trap fails afterwards with a coded error, not a bare Error', async () => {
    const api = await h.load('scalar');
    const hasher = api.createHasher('sha256').update('a');
    const mac = api.createHmac('sha256', 'key').update('a');
    await rejectsWithCode(() => api.__trapForTests(), 'internal', 'trap');
    let error;
    try {
      hasher.update('bc');
      const out = hasher.digest();
      // If it works it must be right.
      assert.equal(hex(out), crypto.createHash('sha256').update('abc').digest('hex'));
    } catch (e) {
      error = e;
    }
    if (error) assert.ok(typeof error.code === 'string', `stale hasher threw an error without a code: ${error.message}`);
    error = undefined;
    try {
      mac.update('bc').digest();
    } catch (e) {
      error = e;
    }
    if (error) assert.ok(typeof error.code === 'string', `stale HMAC threw an error without a code: ${error.message}`);
    assert.equal(hex(api.sha256('abc')), crypto.createHash('sha256').update('abc').digest('hex'));
  });
});

// ---------------------------------------------------------------- age

describe('age: round trips and interop with the reference age CLI', () => {
  let id;
  let REF_KEY;
  let REF_R;
  before(async () => {
    id = await h.age.generateIdentity();
    fs.writeFileSync(path.join(WORK, 'npm.key'), `${id.identity}\n`, { mode: 0o600 });
    const g = await exec('age-keygen', ['-o', 'ref.key'], { cwd: WORK });
    assert.equal(g.code, 0, g.stderr.toString());
    REF_KEY = fs.readFileSync(path.join(WORK, 'ref.key'), 'utf8');
    REF_R = /public key: (age1\S+)/.exec(REF_KEY)[1];
  });

  test('generateIdentity / toRecipients agree with age-keygen -y', async () => {
    assert.match(id.identity, /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
    assert.match(id.recipient, /^age1[0-9a-z]{58}$/);
    const y = await exec('age-keygen', ['-y', 'npm.key'], { cwd: WORK });
    assert.equal(y.stdout.toString(), `${id.recipient}\n`);
    assert.deepEqual(await h.age.toRecipients(REF_KEY), [REF_R]);
    const other = await h.age.generateIdentity();
    assert.notEqual(other.identity, id.identity);
  });

  test('encrypt/decrypt round trip: binary and armor, empty and 3 MiB, several recipients', async () => {
    const other = await h.age.generateIdentity();
    for (const plaintext of [new Uint8Array(0), crypto.randomBytes(3 * MiB + 1)]) {
      for (const armor of [false, true]) {
        const file = await h.age.encrypt(plaintext, { recipients: [id.recipient, other.recipient], armor });
        const head = Buffer.from(file.subarray(0, 40)).toString('latin1');
        assert.ok(head.startsWith(armor ? '-----BEGIN AGE ENCRYPTED FILE-----' : 'age-encryption.org/v1\n'), head);
        for (const who of [id, other]) {
          const out = await h.age.decrypt(file, { identity: who.identity });
          assert.ok(Buffer.from(out).equals(Buffer.from(plaintext)), `round trip armor=${armor} len=${plaintext.length}`);
        }
        const stranger = await h.age.generateIdentity();
        await rejectsWithCode(() => h.age.decrypt(file, { identity: stranger.identity }), 'auth_failed', 'wrong identity');
      }
    }
    // A single recipient as a string, and an identity list.
    const one = await h.age.encrypt('hello', { recipients: other.recipient });
    assert.equal(Buffer.from(await h.age.decrypt(one, { identity: [id.identity, other.identity] })).toString(), 'hello');
  });

  test('tampered or truncated age data -> auth_failed / invalid_input; not an age file -> invalid_input', async () => {
    const plain = crypto.randomBytes(200_000);
    const file = Buffer.from(await h.age.encrypt(plain, { recipients: [id.recipient] }));
    const flipped = Buffer.from(file);
    flipped[flipped.length - 1] ^= 1;
    await rejectsWithCode(() => h.age.decrypt(flipped, { identity: id.identity }), 'auth_failed', 'flipped last byte');
    let error;
    try {
      await h.age.decrypt(file.subarray(0, file.length - 100), { identity: id.identity });
    } catch (e) {
      error = e;
    }
    assert.ok(error && ['auth_failed', 'invalid_input'].includes(error.code), `truncated: ${error?.code}`);
    await rejectsWithCode(() => h.age.decrypt('this is not an age file', { identity: id.identity }), 'invalid_input', 'text');
    await rejectsWithCode(() => h.age.decrypt(new Uint8Array(0), { identity: id.identity }), 'invalid_input', 'empty');
    await rejectsWithCode(() => h.age.decrypt(file, {}), 'invalid_input', 'neither identity nor passphrase');
    await rejectsWithCode(() => h.age.encrypt('x', { recipients: ['age1notarecipient'] }), 'invalid_input', 'bad recipient');
    await rejectsWithCode(() => h.age.encrypt('x', { recipients: [] }), 'invalid_input', 'no recipients');
  });

  test('npm-encrypted files open with the reference `age -d`, binary and armored, 3 MiB', async () => {
    const plain = crypto.randomBytes(3 * MiB + 11);
    for (const armor of [false, true]) {
      const file = await h.age.encrypt(plain, { recipients: [REF_R], armor });
      const r = await exec('age', ['-d', '-i', 'ref.key'], { cwd: WORK, input: Buffer.from(file) });
      assert.equal(r.code, 0, r.stderr.toString());
      assert.ok(r.stdout.equals(plain), `age -d, armor=${armor}`);
    }
  });

  test('files made by the reference `age -r` (binary and -a) open with age.decrypt', async () => {
    const plain = crypto.randomBytes(3 * MiB + 11);
    for (const flags of [[], ['-a']]) {
      const r = await exec('age', [...flags, '-r', id.recipient], { cwd: WORK, input: plain });
      assert.equal(r.code, 0, r.stderr.toString());
      const out = await h.age.decrypt(r.stdout, { identity: id.identity });
      assert.ok(Buffer.from(out).equals(plain), `age ${flags.join(' ')} -> npm`);
    }
    const empty = await exec('age', ['-r', id.recipient], { cwd: WORK, input: Buffer.alloc(0) });
    assert.equal((await h.age.decrypt(empty.stdout, { identity: id.identity })).length, 0);
  });

  test('passphrase round trip (workFactor 10), wrong passphrase -> auth_failed, and the reference age -d opens it', async () => {
    const plain = crypto.randomBytes(100_000);
    const passphrase = 'npm pass phrase ✓';
    const file = await h.age.encrypt(plain, { passphrase, workFactor: 10 });
    assert.match(Buffer.from(file.subarray(0, 80)).toString('latin1'), /^age-encryption\.org\/v1\n-> scrypt \S+ 10\n/);
    assert.equal(await h.age.isPassphraseFile(file), true);
    assert.ok(Buffer.from(await h.age.decrypt(file, { passphrase })).equals(plain));
    await rejectsWithCode(() => h.age.decrypt(file, { passphrase: 'not it' }), 'auth_failed', 'wrong passphrase');
    await rejectsWithCode(() => h.age.decrypt(file, { identity: id.identity }), 'invalid_input', 'identity for a passphrase file');
    await rejectsWithCode(() => h.age.encrypt(plain, { passphrase: '' }), 'invalid_input', 'empty passphrase');
    await rejectsWithCode(() => h.age.encrypt(plain, { passphrase, recipients: [id.recipient] }), 'invalid_input', 'passphrase + recipients');
    const armored = await h.age.encrypt(plain, { passphrase, workFactor: 10, armor: true });
    assert.ok(Buffer.from(await h.age.decrypt(armored, { passphrase })).equals(plain));
    // The reference reads passphrases from a terminal only: drive it through a pty.
    const dir = fs.mkdtempSync(path.join(WORK, 'pp-'));
    fs.writeFileSync(path.join(dir, 'p.age'), file);
    fs.writeFileSync(path.join(dir, 'pa.age'), armored);
    const run = (name, out) => exec('python3', [PTY, '--stdout', out, '--', 'age', '-d', name], { cwd: dir, env: { PTY_PASSPHRASE: passphrase } });
    const [r1, r2] = await Promise.all([run('p.age', 'out1'), run('pa.age', 'out2')]);
    assert.equal(r1.code, 0, r1.stderr.toString());
    assert.equal(r2.code, 0, r2.stderr.toString());
    assert.ok(fs.readFileSync(path.join(dir, 'out1')).equals(plain));
    assert.ok(fs.readFileSync(path.join(dir, 'out2')).equals(plain));
  });

  test('a file made by the reference `age -p` (its own work factor) opens with the passphrase', async () => {
    const dir = fs.mkdtempSync(path.join(WORK, 'ref-pp-'));
    const plain = crypto.randomBytes(70_000);
    fs.writeFileSync(path.join(dir, 'plain'), plain);
    const passphrase = 'reference pass phrase';
    const r = await exec('python3', [PTY, '--', 'age', '-p', '-o', 'p.age', 'plain'], { cwd: dir, env: { PTY_PASSPHRASE: passphrase } });
    assert.equal(r.code, 0, r.stderr.toString());
    const file = fs.readFileSync(path.join(dir, 'p.age'));
    assert.ok(Buffer.from(await h.age.decrypt(file, { passphrase })).equals(plain));
    await rejectsWithCode(() => h.age.decrypt(file, { passphrase: 'wrong' }), 'auth_failed', 'wrong passphrase on a reference file');
  });
});
