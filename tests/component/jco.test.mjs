// Behaviour tests of the library component dist/component/nearnative.wasm (as built by
// `cargo xtask build`) transpiled by jco and run in Node, against independent references:
// node:crypto (OpenSSL) and the reference Go `age` CLI.
//
//   node --test tests/component/
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exec } from '../support/exec.mjs';
import { loadComponentApi, codeOf, ROOT } from './jco-load.mjs';
import { rejectsWithCode } from '../support/assert-code.mjs';

const MiB = 1024 * 1024;
const api = await loadComponentApi();
const { raw } = api;

const hex = (bytes) => Buffer.from(bytes).toString('hex');

let WORK;
before(() => {
  WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'nearnative-component-test-'));
});
after(() => {
  if (WORK) fs.rmSync(WORK, { recursive: true, force: true });
});

test('build(): the workspace version and the simd128 feature of the shipped build', () => {
  const version = /\[workspace\.package\][^[]*?version = "([^"]+)"/.exec(
    fs.readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8'),
  )[1];
  const info = api.build();
  assert.equal(info.version, version);
  assert.ok(info.features.includes('simd128'), `features: ${info.features}`);
  assert.ok(api.algorithms().includes('blake3'));
});

describe('digests = node:crypto', () => {
  // [our name, node:crypto name]
  const ALGORITHMS = [
    ['sha1', 'sha1'], ['sha224', 'sha224'], ['sha256', 'sha256'], ['sha384', 'sha384'], ['sha512', 'sha512'],
    ['sha3-256', 'sha3-256'], ['sha3-512', 'sha3-512'], ['blake2b-512', 'blake2b512'], ['blake2s-256', 'blake2s256'],
  ];
  const INPUTS = [0, 1, 55, 64, 65, 1000, MiB].map((n) => [n, crypto.randomBytes(n)]);

  for (const [name, nodeName] of ALGORITHMS) {
    test(`${name}: one-shot and hasher streaming, empty to 1 MiB`, () => {
      const hasher = api.createHasher(name);
      assert.equal(hasher.algorithm(), name);
      for (const [n, data] of INPUTS) {
        const expected = crypto.createHash(nodeName).update(data).digest('hex');
        const oneShot = api.digest(name, data);
        assert.ok(oneShot instanceof Uint8Array);
        assert.equal(hex(oneShot), expected, `${name} one-shot of ${n} bytes`);
        // Irregular chunks across block boundaries; the same hasher for every input proves
        // that finish() resets it.
        const sizes = [1, 63, 64, 65, 127, 4096];
        for (let offset = 0, i = 0; offset < data.length; i++) {
          const size = sizes[i % sizes.length];
          hasher.update(data.subarray(offset, offset + size));
          offset += size;
        }
        assert.equal(hex(hasher.digest()), expected, `${name} streaming of ${n} bytes`);
      }
      hasher.dispose();
    });
  }

  test('aliases name the same digest; the hasher reports the canonical name', () => {
    const abc = Buffer.from('abc');
    assert.equal(hex(api.digest('SHA-256', abc)), crypto.createHash('sha256').update(abc).digest('hex'));
    assert.equal(hex(api.digest('blake2b', abc)), crypto.createHash('blake2b512').update(abc).digest('hex'));
    assert.equal(api.createHasher('Sha3_256').algorithm(), 'sha3-256');
  });

  test('finish() resets the hasher: the second message is digested alone', () => {
    const hasher = api.createHasher('sha256');
    hasher.update('first message');
    hasher.digest();
    hasher.update('second');
    assert.equal(hex(hasher.digest()), crypto.createHash('sha256').update('second').digest('hex'));
    assert.equal(hex(hasher.digest()), crypto.createHash('sha256').digest('hex'), 'finish with no update: empty input');
  });
});

describe('HMAC, HKDF, PBKDF2, Argon2id', () => {
  test('hmac and the mac resource = node:crypto createHmac; finish() re-keys for the next message', () => {
    const data = crypto.randomBytes(10_000);
    for (const alg of ['sha224', 'sha256', 'sha384', 'sha512']) {
      for (const keyLen of [0, 20, 64, 128, 200]) {
        const key = crypto.randomBytes(keyLen);
        const expected = crypto.createHmac(alg, key).update(data).digest('hex');
        assert.equal(hex(api.hmac(alg, key, data)), expected, `hmac ${alg} key ${keyLen}`);
        assert.equal(hex(api.hmac(`hmac-${alg}`, key, data)), expected, `hmac-${alg}`);
        const mac = api.createHmac(alg, key);
        mac.update(data.subarray(0, 1)).update(data.subarray(1, 5000)).update(data.subarray(5000));
        assert.equal(hex(mac.digest()), expected, `mac ${alg} key ${keyLen}`);
        mac.update('next');
        assert.equal(hex(mac.digest()), crypto.createHmac(alg, key).update('next').digest('hex'), 'after finish');
        mac.dispose();
      }
    }
  });

  test('hkdf = node:crypto hkdfSync (sha256, sha384, sha512)', () => {
    for (const [alg, hashLen] of [['sha256', 32], ['sha384', 48], ['sha512', 64]]) {
      const [ikm, salt, info] = [crypto.randomBytes(22), crypto.randomBytes(13), Buffer.from('context info')];
      for (const length of [1, 32, 42, hashLen * 255]) {
        const expected = Buffer.from(crypto.hkdfSync(alg, ikm, salt, info, length)).toString('hex');
        assert.equal(hex(api.hkdf(alg, ikm, salt, info, length)), expected, `hkdf ${alg} ${length}`);
      }
    }
  });

  test('pbkdf2Sha256 = node:crypto pbkdf2Sync', () => {
    for (const [rounds, length] of [[1, 32], [1000, 64], [4096, 20]]) {
      const [password, salt] = [crypto.randomBytes(12), crypto.randomBytes(16)];
      const expected = crypto.pbkdf2Sync(password, salt, rounds, length, 'sha256').toString('hex');
      assert.equal(hex(api.pbkdf2Sha256(password, salt, rounds, length)), expected, `${rounds} rounds`);
    }
  });

  test('argon2id: RFC 9106 vector; memory over the 1 GiB budget is limit_exceeded', async () => {
    // Node 20 has no Argon2, so the RFC's own test vector is the reference.
    const doc = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/vectors/argon2-rfc9106.json'), 'utf8'));
    for (const c of doc.cases) {
      const out = api.argon2id(Buffer.from(c.password_hex, 'hex'), Buffer.from(c.salt_hex, 'hex'), {
        memoryKib: c.memory_kib, iterations: c.iterations, parallelism: c.parallelism, length: c.length,
        secret: Buffer.from(c.secret_hex, 'hex'), associatedData: Buffer.from(c.ad_hex, 'hex'),
      });
      assert.equal(hex(out), c.expected_hex, c.id);
    }
    await rejectsWithCode(() => api.argon2id('pw', 'saltsaltsalt', { memoryKib: 2 * 1024 * 1024 }), 'limit_exceeded',
      'argon2id 2 GiB');
  });
});

describe('AEAD = node:crypto', () => {
  for (const alg of ['aes-256-gcm', 'chacha20-poly1305']) {
    test(`${alg}: seal = node:crypto, open round trip, tamper → auth_failed`, async () => {
      for (const size of [0, 1, 16, 1000, 70_000]) {
        const [key, nonce, aad, plaintext] =
          [crypto.randomBytes(32), crypto.randomBytes(12), crypto.randomBytes(size % 40), crypto.randomBytes(size)];
        const cipher = crypto.createCipheriv(alg, key, nonce, { authTagLength: 16 });
        cipher.setAAD(aad, { plaintextLength: size });
        const expected = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
        const sealed = api.aead.seal(alg, key, nonce, plaintext, aad);
        assert.equal(hex(sealed), expected.toString('hex'), `${alg} seal of ${size} bytes`);
        assert.equal(hex(api.aead.open(alg, key, nonce, sealed, aad)), plaintext.toString('hex'));
        const tampered = Uint8Array.from(sealed);
        tampered[size % tampered.length] ^= 0x80;
        await rejectsWithCode(() => api.aead.open(alg, key, nonce, tampered, aad), 'auth_failed', `${alg} tampered`);
        await rejectsWithCode(() => api.aead.open(alg, key, nonce, sealed, Buffer.from('other aad')), 'auth_failed',
          `${alg} wrong aad`);
      }
    });
  }

  test('xchacha20-poly1305 round trip (no node:crypto reference)', () => {
    const [key, nonce, plaintext] = [crypto.randomBytes(32), crypto.randomBytes(24), crypto.randomBytes(5000)];
    const sealed = api.aead.seal('xchacha20-poly1305', key, nonce, plaintext);
    assert.equal(sealed.length, plaintext.length + 16);
    assert.equal(hex(api.aead.open('xchacha20-poly1305', key, nonce, sealed)), plaintext.toString('hex'));
  });
});

describe('age', () => {
  test('encrypt → decrypt round trip with a generated key pair, binary and armored', async () => {
    const { identity, recipient } = await api.age.generateIdentity();
    assert.match(identity, /^AGE-SECRET-KEY-1[0-9A-Z]+$/);
    assert.match(recipient, /^age1[0-9a-z]+$/);
    for (const size of [0, 1, 65_536, 200_000]) {
      const plaintext = crypto.randomBytes(size);
      for (const armor of [false, true]) {
        const file = await api.age.encrypt(plaintext, { recipients: [recipient], armor });
        const head = Buffer.from(file.subarray(0, 40)).toString('latin1');
        assert.ok(head.startsWith(armor ? '-----BEGIN AGE ENCRYPTED FILE-----' : 'age-encryption.org/v1\n'));
        const opened = await api.age.decrypt(file, { identity: `# a comment\n${identity}\n` });
        assert.equal(hex(opened), plaintext.toString('hex'), `${size} bytes, armor ${armor}`);
      }
    }
  });

  test('passphrase round trip (work factor 10); a wrong passphrase is auth_failed', async () => {
    const file = await api.age.encrypt('hello', { passphrase: 'correct horse', workFactor: 10 });
    assert.equal(Buffer.from(await api.age.decrypt(file, { passphrase: 'correct horse' })).toString(), 'hello');
    await rejectsWithCode(() => api.age.decrypt(file, { passphrase: 'wrong' }), 'auth_failed', 'wrong passphrase');
  });

  test('interoperates with the reference age CLI both ways', async () => {
    const { identity, recipient } = await api.age.generateIdentity();
    const keyFile = path.join(WORK, 'key.txt');
    fs.writeFileSync(keyFile, `${identity}\n`);
    const plaintext = crypto.randomBytes(100_000);
    const ours = await api.age.encrypt(plaintext, { recipients: [recipient] });
    const opened = await exec('age', ['-d', '-i', keyFile], { input: Buffer.from(ours) });
    assert.equal(opened.code, 0, opened.stderr.toString());
    assert.ok(opened.stdout.equals(plaintext), 'age -d opens what the component encrypted');
    const theirs = await exec('age', ['-e', '-r', recipient, '-a'], { input: plaintext });
    assert.equal(theirs.code, 0, theirs.stderr.toString());
    assert.equal(hex(await api.age.decrypt(theirs.stdout, { identity })), plaintext.toString('hex'));
  });

  test('wrong identity is auth_failed', async () => {
    const alice = await api.age.generateIdentity();
    const bob = await api.age.generateIdentity();
    const file = await api.age.encrypt('secret', { recipients: [alice.recipient] });
    await rejectsWithCode(() => api.age.decrypt(file, { identity: bob.identity }), 'auth_failed', 'wrong identity');
  });
});

describe('bad input throws with the stable code', () => {
  test('the raw jco API throws a ComponentError whose payload is the WIT error variant', () => {
    let error;
    try {
      raw.hash.digest('md5', new Uint8Array(0));
    } catch (e) {
      error = e;
    }
    assert.ok(error, 'digest("md5") must throw');
    assert.equal(error.payload?.tag, 'unsupported');
    assert.match(error.payload.val, /unknown hash algorithm 'md5'.*sha256/);
    assert.equal(codeOf(error), 'unsupported');
  });

  test('each failure maps to its code; the instance stays usable afterwards', async () => {
    const { identity, recipient } = await api.age.generateIdentity();
    const cases = [
      ['unknown digest', () => api.digest('md5', 'x'), 'unsupported'],
      ['unknown hasher', () => api.createHasher('nope'), 'unsupported'],
      ['unknown mac', () => api.hmac('md5', 'k', 'x'), 'unsupported'],
      ['unknown mac resource', () => api.createHmac('sha1', 'k'), 'unsupported'],
      ['unknown aead', () => api.aead.seal('aes-128-cbc', Buffer.alloc(32), Buffer.alloc(12), 'x'), 'unsupported'],
      ['aead key of 16 bytes', () => api.aead.seal('aes-256-gcm', Buffer.alloc(16), Buffer.alloc(12), 'x'),
        'invalid_input'],
      ['aead nonce of 8 bytes', () => api.aead.open('chacha20-poly1305', Buffer.alloc(32), Buffer.alloc(8),
        Buffer.alloc(20)), 'invalid_input'],
      ['hkdf output too long', () => api.hkdf('sha256', 'ikm', '', '', 255 * 32 + 1), 'invalid_input'],
      ['pbkdf2 zero rounds', () => api.pbkdf2Sha256('pw', 'salt', 0, 32), 'invalid_input'],
      ['garbage age file', () => api.age.decrypt(Buffer.from('definitely not an age file'), { identity }),
        'invalid_input'],
      ['truncated age header', () => api.age.decrypt(Buffer.from('age-encryption.org/v1\n-> X25519'), { identity }),
        'invalid_input'],
      ['bad identity', () => api.age.decrypt(Buffer.from('x'), { identity: 'AGE-SECRET-KEY-1NOPE' }), 'invalid_input'],
      ['bad recipient', () => api.age.encrypt('x', { recipients: ['age1nope'] }), 'invalid_input'],
      ['no recipients', () => api.age.encrypt('x', { recipients: [] }), 'invalid_input'],
      ['ssh recipient', () => api.age.encrypt('x', { recipients: ['ssh-ed25519 AAAAC3Nz'] }), 'unsupported'],
      ['empty passphrase', () => api.age.encrypt('x', { passphrase: '', workFactor: 10 }), 'invalid_input'],
      ['work factor 0', () => api.age.encrypt('x', { passphrase: 'pw', workFactor: 0 }), 'invalid_input'],
    ];
    for (const [what, fn, code] of cases) await rejectsWithCode(fn, code, what);
    // Still usable: errors are results, not traps.
    assert.equal(hex(api.digest('sha256', 'abc')), crypto.createHash('sha256').update('abc').digest('hex'));
    const file = await api.age.encrypt('ok', { recipients: [recipient] });
    assert.equal(Buffer.from(await api.age.decrypt(file, { identity })).toString(), 'ok');
  });
});
