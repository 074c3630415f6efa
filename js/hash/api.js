// The typed, friendly layer over the wasm-bindgen exports of hosts/web. It converts inputs,
// names algorithms, and turns traps into a reset instance plus an error, so one bad call
// never leaves the module unusable. No kernel logic lives here.

import { NearnativeError, guard } from './errors.js';
import { instantiate } from './load.js';

const encoder = new TextEncoder();

export { NearnativeError };

/** Bytes from anything byte-like; strings are UTF-8 encoded. */
export function toBytes(data, what = 'input') {
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string') return encoder.encode(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new NearnativeError(
    'invalid_input',
    `${what} must be a Uint8Array, ArrayBuffer, typed array or string, got ${data === null ? 'null' : typeof data}`,
  );
}

export function toHex(data) {
  // Any byte-like value (crypto.subtle.digest() gives an ArrayBuffer); not text, which has no hex form.
  if (!(data instanceof ArrayBuffer || ArrayBuffer.isView(data))) {
    const got = data === null ? 'null' : typeof data === 'object' ? data.constructor?.name ?? 'object' : typeof data;
    throw new NearnativeError('invalid_input', `toHex() takes bytes (a Uint8Array, ArrayBuffer or typed array), got ${got}`);
  }
  const bytes = toBytes(data, 'toHex() input');
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += bytes[i].toString(16).padStart(2, '0');
  return out;
}

export function fromHex(text) {
  if (typeof text !== 'string' || text.length % 2 !== 0 || /[^0-9a-fA-F]/.test(text)) {
    throw new NearnativeError('invalid_input', 'expected an even-length hex string');
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
  return out;
}

/** Names accepted for each digest (canonical first). */
const ALIASES = {
  sha1: ['sha-1'], sha224: ['sha-224'], sha256: ['sha-256'], sha384: ['sha-384'], sha512: ['sha-512'],
  'sha3-256': ['sha3_256'], 'sha3-512': ['sha3_512'], 'blake2b-512': ['blake2b', 'blake2b512'],
  'blake2s-256': ['blake2s', 'blake2s256'], blake3: [], xxh64: ['xxhash64'], 'xxh3-64': ['xxh3'],
  'xxh3-128': ['xxh128'], crc32: [], crc32c: [],
};

/**
 * Binds the API to one flavour of the wasm. `hashGlue`/`hashUrl` are loaded at once; the age
 * module (`ageGlue` loader + url) is large and only loaded on first use.
 */
export function createApi({ flavor, hashGlue, loadAgeGlue, ageUrl }) {
  const ids = new Map();
  hashGlue.algorithmNames().forEach((name, id) => {
    ids.set(name, id);
    for (const alias of ALIASES[name] ?? []) ids.set(alias, id);
  });

  function algorithmId(name) {
    const id = typeof name === 'string' ? ids.get(name.toLowerCase()) : undefined;
    if (id === undefined) {
      throw new NearnativeError('unsupported', `unknown hash algorithm '${name}'; choose one of: ${hashGlue.algorithmNames().join(', ')}`);
    }
    return id;
  }

  // Above this, a one-shot digest streams through a hasher in chunks of this size: copying a
  // 64 MiB input into wasm memory in one piece halves the throughput of the fast kernels
  // (xxh3, crc32) and leaves the instance's memory grown for good.
  const ONE_SHOT_CHUNK = 1 << 20;

  function digest(algorithm, data) {
    const id = algorithmId(algorithm);
    const bytes = toBytes(data);
    if (bytes.length <= ONE_SHOT_CHUNK) return guard(hashGlue, () => hashGlue.digest(id, bytes));
    const hasher = guard(hashGlue, () => new hashGlue.Hasher(id));
    try {
      for (let at = 0; at < bytes.length; at += ONE_SHOT_CHUNK) {
        const chunk = bytes.subarray(at, at + ONE_SHOT_CHUNK);
        guard(hashGlue, () => hasher.update(chunk));
      }
      return guard(hashGlue, () => hasher.digest());
    } finally {
      hasher.free();
    }
  }

  // A streaming object over a wasm-bindgen class with update()/digest(); digest() finalizes
  // and frees it, as in node:crypto.
  class Streaming {
    #inner;
    #what;
    constructor(what, create) {
      this.#what = what;
      this.#inner = guard(hashGlue, create);
    }
    #live() {
      if (!this.#inner) throw new NearnativeError('invalid_input', `this ${this.#what} was already finalized by digest()`);
      return this.#inner;
    }
    update(data) {
      const inner = this.#live();
      const bytes = toBytes(data);
      guard(hashGlue, () => inner.update(bytes));
      return this;
    }
    digest() {
      const inner = this.#live();
      const out = guard(hashGlue, () => inner.digest());
      inner.free();
      this.#inner = undefined;
      return out;
    }
    digestHex() {
      return toHex(this.digest());
    }
  }

  class Hasher extends Streaming {
    #algorithm;
    constructor(algorithm) {
      const id = algorithmId(algorithm);
      super('hasher', () => new hashGlue.Hasher(id));
      this.#algorithm = algorithm;
    }
    get algorithm() {
      return this.#algorithm;
    }
  }

  class Hmac extends Streaming {
    constructor(algorithm, key) {
      const keyBytes = toBytes(key, 'key');
      super('HMAC', () => new hashGlue.Mac(String(algorithm), keyBytes));
    }
  }

  /** Hashes a Blob/File (or any ReadableStream of bytes) with several algorithms in one pass. */
  async function hashStream(source, { algorithms = ['blake3'], onProgress, signal } = {}) {
    const list = Array.isArray(algorithms) ? algorithms : [algorithms];
    const idList = new Uint8Array(list.map(algorithmId));
    const stream = typeof source?.stream === 'function' ? source.stream() : source;
    if (typeof stream?.getReader !== 'function') {
      throw new NearnativeError('invalid_input', `hashBlob() takes a Blob, File or ReadableStream of bytes, got ${source === null ? 'null' : source?.constructor?.name ?? typeof source}; hash bytes with digest() or createHasher()`);
    }
    const multi = guard(hashGlue, () => new hashGlue.MultiHasher(idList));
    const total = typeof source.size === 'number' ? source.size : undefined;
    const reader = stream.getReader();
    let done = 0;
    try {
      for (;;) {
        if (signal?.aborted) throw new NearnativeError('io', 'hashing was aborted');
        const { value, done: finished } = await reader.read();
        if (finished) break;
        const chunk = toBytes(value, 'stream chunk');
        guard(hashGlue, () => multi.update(chunk));
        done += chunk.length;
        onProgress?.({ bytes: done, total });
      }
      const joined = guard(hashGlue, () => multi.digests());
      const result = {};
      let offset = 0;
      for (const name of list) {
        const len = digestLength(name);
        result[name] = joined.slice(offset, offset + len);
        offset += len;
      }
      return result;
    } catch (err) {
      // Stop the source too: an aborted File read should not keep running underneath.
      await reader.cancel(err).catch(() => {});
      throw err;
    } finally {
      multi.free();
      reader.releaseLock?.();
    }
  }

  const lengths = new Map();
  function digestLength(name) {
    if (!lengths.has(name)) lengths.set(name, digest(name, new Uint8Array(0)).length);
    return lengths.get(name);
  }

  function hmac(algorithm, key, data) {
    const k = toBytes(key, 'key');
    const d = toBytes(data);
    return guard(hashGlue, () => hashGlue.hmac(String(algorithm), k, d));
  }

  function hkdf(algorithm, ikm, salt, info, length) {
    const args = [toBytes(ikm, 'ikm'), toBytes(salt ?? new Uint8Array(0), 'salt'), toBytes(info ?? new Uint8Array(0), 'info')];
    return guard(hashGlue, () => hashGlue.hkdf(String(algorithm), ...args, checkLength(length)));
  }

  function pbkdf2Sha256(password, salt, rounds, length) {
    const p = toBytes(password, 'password');
    const s = toBytes(salt, 'salt');
    return guard(hashGlue, () => hashGlue.pbkdf2Sha256(p, s, checkU32(rounds, 'rounds'), checkLength(length)));
  }

  function argon2id(password, salt, options = {}) {
    const {
      memoryKib = 19 * 1024, iterations = 2, parallelism = 1, length = 32,
      secret = new Uint8Array(0), associatedData = new Uint8Array(0),
    } = options;
    const args = [toBytes(password, 'password'), toBytes(salt, 'salt')];
    const extra = [toBytes(secret, 'secret'), toBytes(associatedData, 'associatedData')];
    return guard(hashGlue, () => hashGlue.argon2id(
      ...args, checkU32(memoryKib, 'memoryKib'), checkU32(iterations, 'iterations'),
      checkU32(parallelism, 'parallelism'), checkLength(length), ...extra,
    ));
  }

  const aead = {
    seal(algorithm, key, nonce, plaintext, aad = new Uint8Array(0)) {
      const args = [toBytes(key, 'key'), toBytes(nonce, 'nonce'), toBytes(aad, 'aad'), toBytes(plaintext, 'plaintext')];
      return guard(hashGlue, () => hashGlue.aeadSeal(String(algorithm), ...args));
    },
    open(algorithm, key, nonce, sealed, aad = new Uint8Array(0)) {
      const args = [toBytes(key, 'key'), toBytes(nonce, 'nonce'), toBytes(aad, 'aad'), toBytes(sealed, 'sealed')];
      return guard(hashGlue, () => hashGlue.aeadOpen(String(algorithm), ...args));
    },
  };

  let agePromise;
  function ageModule(source) {
    agePromise ??= loadAgeGlue().then((glue) => instantiate(glue, ageUrl, source));
    return agePromise;
  }

  const age = {
    /** Loads the age module now (it is otherwise loaded on first use). */
    load: (source) => ageModule(source).then(() => undefined),
    async generateIdentity() {
      const glue = await ageModule();
      const [identity, recipient] = guard(glue, () => glue.ageKeygen());
      return { identity, recipient };
    },
    async toRecipients(identityText) {
      const glue = await ageModule();
      return guard(glue, () => glue.ageRecipients(String(identityText)));
    },
    async encrypt(plaintext, { recipients, passphrase, workFactor, armor = false } = {}) {
      const glue = await ageModule();
      const bytes = toBytes(plaintext, 'plaintext');
      if (passphrase !== undefined) {
        if (recipients?.length) throw new NearnativeError('invalid_input', 'a passphrase cannot be combined with recipients');
        const factor = workFactor ?? glue.defaultScryptWorkFactor();
        return guard(glue, () => glue.ageEncryptPassphrase(String(passphrase), checkU8(factor, 'workFactor'), !!armor, bytes));
      }
      const list = typeof recipients === 'string' ? [recipients] : recipients;
      if (!Array.isArray(list) || list.length === 0) {
        throw new NearnativeError('invalid_input', 'age.encrypt needs { recipients: ["age1..."] } or { passphrase }');
      }
      return guard(glue, () => glue.ageEncrypt(list.map(String), !!armor, bytes));
    },
    async decrypt(file, { identity, passphrase } = {}) {
      const glue = await ageModule();
      const bytes = toBytes(file, 'file');
      if (passphrase !== undefined) return guard(glue, () => glue.ageDecryptPassphrase(String(passphrase), bytes));
      if (identity === undefined) throw new NearnativeError('invalid_input', 'age.decrypt needs { identity } or { passphrase }');
      const text = Array.isArray(identity) ? identity.join('\n') : String(identity);
      return guard(glue, () => glue.ageDecrypt(text, bytes));
    },
    async isPassphraseFile(file) {
      const glue = await ageModule();
      const bytes = toBytes(file, 'file');
      return guard(glue, () => glue.ageIsPassphraseFile(bytes));
    },
  };

  function features() {
    return { ...hashGlue.features(), flavor };
  }

  const api = {
    features, digest, createHasher: (algorithm) => new Hasher(algorithm), hashStream, hashBlob: hashStream,
    hmac, createHmac: (algorithm, key) => new Hmac(algorithm, key), hkdf, pbkdf2Sha256, argon2id, aead, age,
    algorithms: () => hashGlue.algorithmNames(), toHex, fromHex, NearnativeError,
    /** Test hook: makes the wasm trap, to prove a trap leaves the module usable. */
    __trapForTests: () => guard(hashGlue, () => hashGlue.__trapForTests()),
  };
  for (const name of hashGlue.algorithmNames()) {
    api[name.replace(/-/g, '_')] = (data) => digest(name, data);
  }
  return api;
}

function checkU32(value, what) {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new NearnativeError('invalid_input', `${what} must be an integer between 0 and 2^32-1, got ${value}`);
  }
  return value;
}

function checkU8(value, what) {
  if (!Number.isInteger(value) || value < 0 || value > 255) {
    throw new NearnativeError('invalid_input', `${what} must be an integer between 0 and 255, got ${value}`);
  }
  return value;
}

function checkLength(value) {
  if (!Number.isInteger(value) || value <= 0 || value > 65536) {
    throw new NearnativeError('invalid_input', `length must be an integer between 1 and 65536, got ${value}`);
  }
  return value;
}
