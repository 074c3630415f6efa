// Loads the library component dist/component/nearnative.wasm in Node through jco: transpiles it
// (jco transpile → target/jco/nearnative/, WASI from @bytecodealliance/preview2-shim), imports
// the ES module and wraps it in the API shape of the npm package that
// tests/conformance/vectors-js.mjs drives (digest, hmac, hkdf, pbkdf2Sha256, argon2id, aead,
// age). Errors become `Error`s with the snake_case stable `.code`, as on every other host.
//
//   import { loadComponentApi } from './jco-load.mjs';
//   const api = await loadComponentApi();
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { exec } from '../support/exec.mjs';

export const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const COMPONENT = path.join(ROOT, 'dist/component/nearnative.wasm');
export const JCO = path.join(ROOT, 'node_modules/.bin/jco');
export const OUT_DIR = path.join(ROOT, 'target/jco/nearnative');
// Records which component (and jco) the transpiled output came from, so a rebuilt component
// is transpiled again and an unchanged one is not (test files run in parallel processes).
const STAMP = path.join(OUT_DIR, 'source.stamp');

/** Transpiles `wasm` with jco into `outDir` (replacing it whole); returns the seconds it took. */
export async function transpile(wasm, outDir, name = path.basename(outDir)) {
  if (!existsSync(wasm)) {
    throw new Error(`${path.relative(ROOT, wasm)} is missing: build it first`);
  }
  // Transpile beside the destination, then swap it in, so a concurrent reader never sees a
  // half-written directory.
  const temp = `${outDir}.tmp-${process.pid}`;
  await rm(temp, { recursive: true, force: true });
  const started = performance.now();
  const r = await exec(JCO, ['transpile', wasm, '-o', temp, '--name', name, '--quiet']);
  const seconds = (performance.now() - started) / 1000;
  if (r.code !== 0) {
    await rm(temp, { recursive: true, force: true });
    throw new Error(`jco transpile ${wasm} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
  }
  const old = `${outDir}.old-${process.pid}`;
  await mkdir(path.dirname(outDir), { recursive: true });
  if (existsSync(outDir)) await rename(outDir, old);
  await rename(temp, outDir);
  await rm(old, { recursive: true, force: true });
  return seconds;
}

/** The stable code of a jco `ComponentError` carrying our WIT `error` variant, else undefined. */
export function codeOf(err) {
  const tag = err?.payload?.tag;
  return typeof tag === 'string' ? tag.replace(/-/g, '_') : undefined;
}

export class NearnativeError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = 'NearnativeError';
    this.code = code;
  }
}

/** Runs a component call, turning a `result` error into a NearnativeError with `.code`. */
function call(fn) {
  try {
    return fn();
  } catch (err) {
    const code = codeOf(err);
    if (code === undefined) throw err;
    throw new NearnativeError(code, String(err.payload.val), { cause: err });
  }
}

const encoder = new TextEncoder();
function bytes(data) {
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string') return encoder.encode(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new NearnativeError('invalid_input', `expected bytes or a string, got ${data === null ? 'null' : typeof data}`);
}

let loaded;

/**
 * Transpiles the component if it changed since the last transpile, imports it and returns
 * `{ digest, createHasher, hmac, createHmac, hkdf, pbkdf2Sha256, argon2id, aead, age, build,
 * algorithms, raw, transpileSeconds }` (`raw` is the jco module itself).
 */
export function loadComponentApi() {
  loaded ??= load();
  return loaded;
}

async function load() {
  if (!existsSync(COMPONENT)) {
    throw new Error(`${path.relative(ROOT, COMPONENT)} is missing: build it first with cargo xtask build, or\n` +
      '  RUSTFLAGS="-C target-feature=+simd128" CARGO_TARGET_DIR=target/wasi-simd cargo build --release ' +
      '-p nearnative-component --target wasm32-wasip2 --features wasm32-simd\n' +
      '  and copy target/wasi-simd/wasm32-wasip2/release/nearnative_component.wasm to dist/component/nearnative.wasm');
  }
  const jcoVersion = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/@bytecodealliance/jco/package.json'))).version;
  const stamp = `${createHash('sha256').update(readFileSync(COMPONENT)).digest('hex')} jco ${jcoVersion}`;
  let transpileSeconds = 0;
  if (!existsSync(STAMP) || readFileSync(STAMP, 'utf8') !== stamp) {
    transpileSeconds = await transpile(COMPONENT, OUT_DIR, 'nearnative');
    await writeFile(STAMP, stamp);
  }
  const raw = await import(pathToFileURL(path.join(OUT_DIR, 'nearnative.js')).href);
  const { hash, crypto, age, types } = raw;

  return {
    raw,
    transpileSeconds,
    build: () => types.build(),
    algorithms: () => hash.algorithms(),
    digest: (algorithm, data) => call(() => hash.digest(String(algorithm), bytes(data))),
    createHasher(algorithm) {
      const hasher = call(() => hash.Hasher.create(String(algorithm)));
      return {
        algorithm: () => hasher.algorithm(),
        update(data) {
          hasher.update(bytes(data));
          return this;
        },
        /** The digest; the hasher is then ready for the next message. */
        digest: () => hasher.finish(),
        dispose: () => hasher[Symbol.dispose](),
      };
    },
    hmac: (algorithm, key, data) => call(() => hash.hmac(String(algorithm), bytes(key), bytes(data))),
    createHmac(algorithm, key) {
      const mac = call(() => hash.Mac.create(String(algorithm), bytes(key)));
      return {
        update(data) {
          mac.update(bytes(data));
          return this;
        },
        /** The tag; the mac is then ready for the next message under the same key. */
        digest: () => mac.finish(),
        dispose: () => mac[Symbol.dispose](),
      };
    },
    hkdf: (algorithm, ikm, salt, info, length) =>
      call(() => crypto.hkdf(String(algorithm), bytes(ikm), bytes(salt ?? ''), bytes(info ?? ''), length)),
    pbkdf2Sha256: (password, salt, rounds, length) =>
      call(() => crypto.pbkdf2Sha256(bytes(password), bytes(salt), rounds, length)),
    argon2id(password, salt, options = {}) {
      // The npm package's defaults (OWASP's first recommendation).
      const { memoryKib = 19 * 1024, iterations = 2, parallelism = 1, length = 32, secret = '', associatedData = '' } =
        options;
      const params = {
        memoryKib, iterations, parallelism, length, secret: bytes(secret), associatedData: bytes(associatedData),
      };
      return call(() => crypto.argon2id(bytes(password), bytes(salt), params));
    },
    aead: {
      // Argument order of the npm package: the data before the optional aad.
      seal: (algorithm, key, nonce, plaintext, aad = '') =>
        call(() => crypto.aeadSeal(String(algorithm), bytes(key), bytes(nonce), bytes(aad), bytes(plaintext))),
      open: (algorithm, key, nonce, sealed, aad = '') =>
        call(() => crypto.aeadOpen(String(algorithm), bytes(key), bytes(nonce), bytes(aad), bytes(sealed))),
    },
    age: {
      async generateIdentity() {
        return age.generate();
      },
      async encrypt(plaintext, { recipients, passphrase, workFactor, armor = false } = {}) {
        if (passphrase !== undefined) {
          return call(() => age.encryptWithPassphrase(String(passphrase), workFactor, !!armor, bytes(plaintext)));
        }
        const list = typeof recipients === 'string' ? [recipients] : recipients;
        if (!Array.isArray(list)) {
          throw new NearnativeError('invalid_input', 'age.encrypt needs { recipients: ["age1..."] } or { passphrase }');
        }
        return call(() => age.encrypt(list.map(String), !!armor, bytes(plaintext)));
      },
      async decrypt(file, { identity, passphrase } = {}) {
        if (passphrase !== undefined) return call(() => age.decryptWithPassphrase(String(passphrase), bytes(file)));
        if (identity === undefined) {
          throw new NearnativeError('invalid_input', 'age.decrypt needs { identity } or { passphrase }');
        }
        const text = Array.isArray(identity) ? identity.join('\n') : String(identity);
        return call(() => age.decrypt(text, bytes(file)));
      },
    },
  };
}
