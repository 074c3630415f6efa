// Behaviour tests of the `nearnative` command line, the way a new user meets it, checked
// against independent references only: coreutils (sha*sum, b2sum), Python's hashlib/zlib,
// the official BLAKE3 vectors, the reference Go `age`/`age-keygen`, and the native binary
// itself for the "same bytes on every host" checks of the WASI build.
//
//   node --test tests/cli/
//
// Tests marked "Regression, fixed" pin defects found while writing these tests; the comment
// above each says what was wrong.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec } from '../support/exec.mjs';

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const NATIVE = path.join(ROOT, 'target/release/nearnative');
const WASM = path.join(ROOT, 'dist/wasi/nearnative.wasm');
const LAUNCHER = path.join(ROOT, 'js/wasi/nearnative.mjs');
const PTY = path.join(ROOT, 'tests/cli/pty_age.py');
const VECTORS = path.join(ROOT, 'tests/vectors');

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024; // age STREAM chunk (plaintext bytes)

// ---------------------------------------------------------------- helpers


/** The three ways to run the CLI from a directory holding the files (relative paths). */
const HOSTS = {
  native: (args, o = {}) => exec(NATIVE, args, o),
  wasmtime: (args, o = {}) => {
    // wasmtime passes no environment to the guest unless asked.
    const envArgs = Object.entries(o.env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
    return exec('wasmtime', ['run', '--dir', '.', ...envArgs, WASM, ...args], o);
  },
  'node:wasi': (args, o = {}) => exec(process.execPath, [LAUNCHER, ...args], o),
};
const nn = HOSTS.native;

/** Bytes as a string that keeps every byte (for readable assertion diffs). */
const text = (buf) => Buffer.from(buf).toString('latin1');

function assertOk(r, what = 'command') {
  assert.equal(r.signal, null, `${what} died from ${r.signal}; stderr: ${text(r.stderr)}`);
  assert.equal(r.code, 0, `${what} exited ${r.code}; stderr: ${text(r.stderr)}`);
}

/** Asserts a failed run: exit 1 and exactly one `nearnative: error[CODE]: ...` line. */
function assertError(r, codes, what = 'command') {
  assert.equal(r.signal, null, `${what} died from ${r.signal}`);
  assert.equal(r.code, 1, `${what} should exit 1, exited ${r.code}; stderr: ${text(r.stderr)}`);
  const m = /^nearnative: error\[([a-z_]+)\]: [^\n]+\n$/.exec(text(r.stderr));
  assert.ok(m, `${what}: stderr is not one 'nearnative: error[CODE]: message' line: ${JSON.stringify(text(r.stderr))}`);
  assert.ok(codes.includes(m[1]), `${what}: error code ${m[1]}, expected one of ${codes.join(', ')}`);
  return m[1];
}

let WORK; // the test's private temp directory (removed in after())
const at = (...p) => path.join(WORK, ...p);
const write = (name, data) => fs.writeFileSync(at(name), data);
const read = (name) => fs.readFileSync(at(name));

/** A fresh subdirectory of WORK holding copies of `files` (name -> bytes). */
function scratch(files = {}) {
  const dir = fs.mkdtempSync(path.join(WORK, 'case-'));
  for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), data);
  return dir;
}
const listing = (dir) => fs.readdirSync(dir).sort();

/** Bytes i % 251, the convention of the vector files. */
function pattern(n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = i % 251;
  return b;
}

async function waitFor(file) {
  // The lead may be rebuilding dist/ or target/release: give it a little while.
  for (let i = 0; i < 120 && !fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 1000));
  assert.ok(fs.existsSync(file), `${file} is missing: build it first (cargo xtask build)`);
}

/** Runs `argv` on a pseudo-terminal, typing `passphrase` at each prompt (see pty_age.py). */
function pty(argv, { cwd, passphrase, second, stdoutFile, timeout = 90 } = {}) {
  const env = { PTY_PASSPHRASE: passphrase };
  if (second !== undefined) env.PTY_PASSPHRASE_2 = second;
  const args = [PTY, '--timeout', String(timeout)];
  if (stdoutFile) args.push('--stdout', stdoutFile);
  return exec('python3', [...args, '--', ...argv], { cwd, env, timeout: (timeout + 10) * 1000 });
}

/** Where the payload of a binary age file starts (after the header and the 16-byte nonce). */
function payloadStart(file) {
  const mac = file.indexOf('\n---');
  assert.ok(mac > 0, 'not a binary age file');
  return file.indexOf('\n', mac + 1) + 1 + 16;
}

const flipped = (buf, index) => {
  const copy = Buffer.from(buf);
  copy[index] ^= 0x01;
  return copy;
};

// ---------------------------------------------------------------- fixtures

// Files for the hashing tests. `big.bin` is a few MiB with an odd length.
const HASH_FILES = ['empty', 'small.txt', 'with space.txt', 'big.bin'];
// Names coreutils escapes (leading `\`) in its output.
const ODD_NAMES = ['back\\slash.txt', 'new\nline.txt', 'carriage\rreturn.txt'];

let REF_R; // recipient of ref.key (made by age-keygen)
let NN_R; // recipient of nn.key (made by nearnative keygen)
const PLAIN_5M = randomBytes(5 * MiB + 17); // multi-chunk, final chunk short
const PLAIN_128K = randomBytes(2 * CHUNK); // exactly two full chunks
const PASSPHRASE = 'correct horse ✓ battery staple';

before(async () => {
  await waitFor(NATIVE);
  await waitFor(WASM);
  WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'nearnative-cli-test-'));
  write('empty', '');
  write('small.txt', 'hello, world\n');
  write('with space.txt', 'a file name with a space\n');
  write('big.bin', randomBytes(3 * MiB + 7));
  write('back\\slash.txt', 'backslash\n');
  write('new\nline.txt', 'newline\n');
  write('carriage\rreturn.txt', 'carriage return\n');
  write('plain5m.bin', PLAIN_5M);
  write('plain128k.bin', PLAIN_128K);

  // Keys: one from the reference age-keygen, one from ours.
  assertOk(await exec('age-keygen', ['-o', 'ref.key'], { cwd: WORK }), 'age-keygen');
  const y = await exec('age-keygen', ['-y', 'ref.key'], { cwd: WORK });
  assertOk(y, 'age-keygen -y');
  REF_R = text(y.stdout).trim();
  const k = await nn(['keygen', '-o', 'nn.key'], { cwd: WORK });
  assertOk(k, 'nearnative keygen -o');
  NN_R = /^Public key: (age1[0-9a-z]+)\n$/.exec(text(k.stderr))?.[1];
  assert.ok(NN_R, `keygen -o printed no 'Public key: age1...' line: ${text(k.stderr)}`);
});

after(() => {
  if (WORK) fs.rmSync(WORK, { recursive: true, force: true });
});

// ---------------------------------------------------------------- 1. hash output

describe('hash: output equals the reference tools byte for byte', () => {
  const COREUTILS = [
    ['sha1', 'sha1sum'],
    ['sha224', 'sha224sum'],
    ['sha256', 'sha256sum'],
    ['sha384', 'sha384sum'],
    ['sha512', 'sha512sum'],
    ['blake2b-512', 'b2sum'],
  ];
  for (const [algorithm, tool] of COREUTILS) {
    test(`${algorithm} = ${tool}: files (empty, space, escaped names, 3 MiB) in one call, and stdin`, async () => {
      const names = [...HASH_FILES, ...ODD_NAMES];
      const [ref, ours] = await Promise.all([
        exec(tool, names, { cwd: WORK }),
        nn(['hash', '-a', algorithm, ...names], { cwd: WORK }),
      ]);
      assertOk(ref, tool);
      assertOk(ours, `hash -a ${algorithm}`);
      assert.equal(text(ours.stdout), text(ref.stdout));
      assert.equal(text(ours.stderr), '');
      assert.equal(text(ours.stdout).split('\n').length, names.length + 1);

      const input = read('big.bin');
      const [refIn, oursDash, oursNone] = await Promise.all([
        exec(tool, ['-'], { cwd: WORK, input }),
        nn(['hash', '-a', algorithm, '-'], { cwd: WORK, input }),
        nn(['hash', '-a', algorithm], { cwd: WORK, input }), // no FILE: stdin, named "-"
      ]);
      assertOk(refIn, `${tool} -`);
      assertOk(oursDash, `hash -a ${algorithm} -`);
      assertOk(oursNone, `hash -a ${algorithm} (stdin)`);
      assert.equal(text(oursDash.stdout), text(refIn.stdout));
      assert.equal(text(oursNone.stdout), text(refIn.stdout));
    });
  }

  test('sha3-256, sha3-512, blake2s-256, crc32 = Python hashlib / zlib (files and stdin)', async () => {
    const script = `
import hashlib, json, sys, zlib
out = {}
for name in sys.argv[1:]:
    data = sys.stdin.buffer.read() if name == '-' else open(name, 'rb').read()
    out[name] = {'sha3-256': hashlib.sha3_256(data).hexdigest(), 'sha3-512': hashlib.sha3_512(data).hexdigest(),
                 'blake2s-256': hashlib.blake2s(data).hexdigest(), 'crc32': '%08x' % zlib.crc32(data)}
print(json.dumps(out))`;
    const input = read('big.bin');
    const py = await exec('python3', ['-c', script, ...HASH_FILES, '-'], { cwd: WORK, input });
    assertOk(py, 'python3');
    const ref = JSON.parse(text(py.stdout));
    for (const algorithm of ['sha3-256', 'sha3-512', 'blake2s-256', 'crc32']) {
      const [files, stdin] = await Promise.all([
        nn(['hash', '-a', algorithm, ...HASH_FILES], { cwd: WORK }),
        nn(['hash', '-a', algorithm, '-'], { cwd: WORK, input }),
      ]);
      assertOk(files, `hash -a ${algorithm}`);
      assertOk(stdin, `hash -a ${algorithm} -`);
      const expected = HASH_FILES.map((n) => `${ref[n][algorithm]}  ${n}\n`).join('');
      assert.equal(text(files.stdout), expected, algorithm);
      assert.equal(text(stdin.stdout), `${ref['-'][algorithm]}  -\n`, `${algorithm} stdin`);
    }
    assert.match(ref['small.txt'].crc32, /^[0-9a-f]{8}$/);
  });

  test('default algorithm is BLAKE3 (official test vectors); xxh64/xxh3/crc32c match the independent checksum vectors', async () => {
    const blake3 = JSON.parse(fs.readFileSync(path.join(VECTORS, 'blake3-official.json'), 'utf8')).cases;
    const sums = JSON.parse(fs.readFileSync(path.join(VECTORS, 'checksums.json'), 'utf8')).cases;
    const dir = scratch({ p102400: pattern(102400), p1025: pattern(1025), p100003: pattern(100003) });
    try {
      const r = await nn(['hash', 'p102400', 'p1025'], { cwd: dir });
      assertOk(r, 'hash (default algorithm)');
      const want = (len) => blake3.find((c) => c.input_len === len).expected_hex;
      assert.equal(text(r.stdout), `${want(102400)}  p102400\n${want(1025)}  p1025\n`);
      for (const algorithm of ['xxh64', 'xxh3-64', 'xxh3-128', 'crc32c']) {
        const c = sums.find((v) => v.algorithm === algorithm && v.input_len === 100003);
        const out = await nn(['hash', '-a', algorithm, 'p100003'], { cwd: dir });
        assertOk(out, `hash -a ${algorithm}`);
        assert.equal(text(out.stdout), `${c.expected_hex}  p100003\n`, algorithm);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // Regression, fixed (hosts/cli/src/hash_cmd.rs, `run`): file names are turned into Strings with
  // `to_string_lossy` and that lossy string is what gets opened, so a file whose name is not
  // UTF-8 (common on old Latin-1 file systems) cannot be hashed: "No such file or directory".
  // sha256sum hashes it and prints the name's bytes as they are.
  test('hash opens files whose names are not valid UTF-8 (like sha256sum)', async () => {
    const dir = scratch();
    try {
      // Latin-1 "café.txt": node's spawn cannot pass such bytes in argv, so a shell glob does.
      fs.writeFileSync(Buffer.concat([Buffer.from(`${dir}/`), Buffer.from('caf\xe9.txt', 'latin1')]), 'latin-1 name\n');
      const [ref, ours] = await Promise.all([
        exec('sh', ['-c', 'exec sha256sum *'], { cwd: dir }),
        exec('sh', ['-c', 'exec "$0" hash -a sha256 *', NATIVE], { cwd: dir }),
      ]);
      assertOk(ref, 'sha256sum');
      assert.ok(text(ref.stdout).endsWith('  caf\xe9.txt\n'), text(ref.stdout));
      assert.equal(text(ours.stderr), '', 'nearnative could not open the file');
      assertOk(ours, 'hash of a non-UTF-8 name');
      assert.equal(text(ours.stdout), text(ref.stdout));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------- 2. unreadable files, --check

describe('hash: unreadable files and --check behave like coreutils', () => {
  const coreutilsStderr = (buf, tool) => text(buf).replaceAll(`${tool}: `, 'nearnative: ');

  test('an unreadable file is reported on stderr, the others are still hashed, exit 1', async () => {
    const dir = scratch({ 'a.txt': 'a\n', 'b.txt': 'b\n' });
    fs.mkdirSync(path.join(dir, 'subdir'));
    try {
      const names = ['a.txt', 'missing.txt', 'b.txt'];
      const [ref, ours] = await Promise.all([exec('sha256sum', names, { cwd: dir }), nn(['hash', '-a', 'sha256', ...names], { cwd: dir })]);
      assert.equal(ref.code, 1);
      assert.equal(ours.code, 1);
      assert.equal(text(ours.stdout), text(ref.stdout));
      assert.equal(text(ours.stderr), 'nearnative: missing.txt: No such file or directory\n');
      assert.equal(text(ours.stderr), coreutilsStderr(ref.stderr, 'sha256sum'));
      // A directory is unreadable too.
      const [refDir, oursDir] = await Promise.all([
        exec('sha256sum', ['a.txt', 'subdir'], { cwd: dir }),
        nn(['hash', '-a', 'sha256', 'a.txt', 'subdir'], { cwd: dir }),
      ]);
      assert.equal(oursDir.code, 1);
      assert.equal(text(oursDir.stdout), text(refDir.stdout));
      assert.equal(text(oursDir.stderr), coreutilsStderr(refDir.stderr, 'sha256sum'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  /** A directory with files and a SUMS file written by `tool`, with every kind of line. */
  async function mixedSums(tool) {
    const dir = scratch({ 'ok 1.txt': 'one\n', 'back\\slash.txt': 'bs\n', 'empty': '', 'changed.txt': 'before\n', 'gone.txt': 'x' });
    const good = await exec(tool, ['ok 1.txt', 'back\\slash.txt', 'empty', 'changed.txt', 'gone.txt'], { cwd: dir });
    const binary = await exec(tool, ['-b', 'ok 1.txt'], { cwd: dir }); // `HEX *NAME`
    assertOk(good, tool);
    assertOk(binary, `${tool} -b`);
    assert.match(text(binary.stdout), / \*ok 1\.txt\n$/);
    fs.writeFileSync(path.join(dir, 'SUMS'), `${text(good.stdout)}this line is not a checksum\n${text(binary.stdout)}`, 'latin1');
    fs.writeFileSync(path.join(dir, 'changed.txt'), 'after\n');
    fs.rmSync(path.join(dir, 'gone.txt'));
    return dir;
  }

  for (const [algorithm, tool] of [['sha256', 'sha256sum'], ['blake2b-512', 'b2sum']]) {
    test(`--check of a SUMS file written by ${tool}: OK / FAILED / FAILED open or read / warnings, exit 1`, async () => {
      const dir = await mixedSums(tool);
      try {
        const [ref, ours, refQ, oursQ] = await Promise.all([
          exec(tool, ['-c', 'SUMS'], { cwd: dir }),
          nn(['hash', '-a', algorithm, '-c', 'SUMS'], { cwd: dir }),
          exec(tool, ['-c', '--quiet', 'SUMS'], { cwd: dir }),
          nn(['hash', '-a', algorithm, '--check', '--quiet', 'SUMS'], { cwd: dir }),
        ]);
        assert.equal(ref.code, 1);
        assert.equal(ours.code, 1, `exit code; stderr ${text(ours.stderr)}`);
        assert.equal(text(ours.stdout), text(ref.stdout));
        assert.match(text(ours.stdout), /^ok 1\.txt: OK\n.*changed\.txt: FAILED\ngone\.txt: FAILED open or read\n/s);
        assert.equal(text(ours.stderr), coreutilsStderr(ref.stderr, tool));
        assert.equal(oursQ.code, 1);
        assert.equal(text(oursQ.stdout), text(refQ.stdout), '--quiet');
        assert.equal(text(oursQ.stderr), coreutilsStderr(refQ.stderr, tool), '--quiet stderr');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test('--check reads names that are not UTF-8 and skips # comments, as sha256sum -c does', async () => {
    const dir = scratch({ plain: 'a' });
    // A file name with a byte that is not UTF-8 (Buffer paths keep it).
    fs.writeFileSync(Buffer.concat([Buffer.from(`${dir}/bad`), Buffer.from([0xff]), Buffer.from('name')]), 'z');
    const sums = await exec('sh', ['-c', 'exec sha256sum *'], { cwd: dir });
    assertOk(sums, 'sha256sum *');
    fs.writeFileSync(path.join(dir, 'SUMS'), Buffer.concat([Buffer.from('# caf\xe9: a Latin-1 comment\n', 'latin1'), sums.stdout]));
    const ref = await exec('sha256sum', ['-c', 'SUMS'], { cwd: dir });
    assertOk(ref, 'sha256sum -c');
    assert.match(text(ref.stdout), /^bad\xffname: OK$/m);
    const ours = await nn(['hash', '-a', 'sha256', '-c', 'SUMS'], { cwd: dir });
    assertOk(ours, 'hash -c');
    assert.equal(text(ours.stdout), text(ref.stdout));
    assert.equal(text(ours.stderr), '');
    // Node's WASI passes the name's bytes through, so it verifies the file as natively.
    const node = await HOSTS['node:wasi'](['hash', '-a', 'sha256', '-c', 'SUMS'], { cwd: dir });
    assertOk(node, 'node:wasi hash -c');
    assert.equal(text(node.stdout), text(ref.stdout));
    // wasmtime holds WASI paths to UTF-8: it reads the same sums file (comment skipped, other
    // names verified) but cannot open that one name, and says so as for a missing file.
    const r = await HOSTS.wasmtime(['hash', '-a', 'sha256', '-c', 'SUMS'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(text(r.stdout), /^plain: OK$/m);
    assert.match(text(r.stdout), /^bad\xffname: FAILED open or read$/m);
    assert.match(text(r.stderr), /WARNING: 1 listed file could not be read/);
    assert.doesNotMatch(text(r.stderr), /improperly formatted|UTF-8/);
  });

  test('--check reads BSD tag lines (sha256sum --tag, b2sum --tag), each with the algorithm it names, on every host', async () => {
    const dir = scratch({ 'a (b) = c.txt': 'one\n', plain: 'two', changed: 'before' });
    const tagged = await Promise.all([
      exec('sh', ['-c', 'exec sha256sum --tag *'], { cwd: dir }),
      exec('b2sum', ['--tag', 'plain', 'changed'], { cwd: dir }),
      exec('sha1sum', ['--tag', 'plain'], { cwd: dir }),
    ]);
    tagged.forEach((r) => assertOk(r, 'sum --tag'));
    fs.writeFileSync(path.join(dir, 'SUMS'), Buffer.concat(tagged.map((r) => r.stdout)));
    fs.writeFileSync(path.join(dir, 'changed'), 'after');
    const ref = await exec('sha256sum', ['-c', 'SUMS'], { cwd: dir });
    // The lines sha256sum reads (its own) get its verdicts; ours are checked with their tags.
    assert.match(text(ref.stdout), /^a \(b\) = c\.txt: OK\nchanged: FAILED\nplain: OK\n$/);
    for (const host of ['native', 'wasmtime', 'node:wasi']) {
      const r = await HOSTS[host](['hash', '-c', 'SUMS'], { cwd: dir });
      assert.equal(r.code, 1, `${host}: ${text(r.stderr)}`);
      assert.equal(text(r.stdout), `${text(ref.stdout)}plain: OK\nchanged: FAILED\nplain: OK\n`, host);
      assert.match(text(r.stderr), /WARNING: 2 computed checksums did NOT match/, host);
      assert.doesNotMatch(text(r.stderr), /improperly formatted/, host);
    }
  });

  test('--check: all lines verify -> exit 0, same output as sha256sum -c; and sha256sum -c accepts our sums', async () => {
    const names = [...HASH_FILES, 'back\\slash.txt'];
    const sums = await exec('sha256sum', names, { cwd: WORK });
    assertOk(sums, 'sha256sum');
    const dir = scratch({ SUMS: sums.stdout });
    try {
      // The sums name files in WORK: check from WORK, with the SUMS path relative to it.
      const sumsRel = path.relative(WORK, path.join(dir, 'SUMS'));
      const [ref, ours] = await Promise.all([
        exec('sha256sum', ['-c', sumsRel], { cwd: WORK }),
        nn(['hash', '-a', 'sha256', '-c', sumsRel], { cwd: WORK }),
      ]);
      assertOk(ref, 'sha256sum -c');
      assertOk(ours, 'hash -c');
      assert.equal(text(ours.stdout), text(ref.stdout));
      assert.equal(text(ours.stderr), '');
      // The other way: sums printed by nearnative, verified by coreutils.
      for (const [algorithm, tool] of [['sha512', 'sha512sum'], ['blake2b-512', 'b2sum']]) {
        const mine = await nn(['hash', '-a', algorithm, ...names], { cwd: WORK });
        assertOk(mine);
        const verify = await exec(tool, ['-c', '--strict', '-'], { cwd: WORK, input: mine.stdout });
        assertOk(verify, `${tool} -c of nearnative's sums`);
        assert.equal(text(verify.stdout).split('\n').filter((l) => l.endsWith(': OK')).length, names.length);
      }
      // A sums file read from stdin.
      const fromStdin = await nn(['hash', '-a', 'sha256', '-c', '-'], { cwd: WORK, input: sums.stdout });
      assertOk(fromStdin, 'hash -c -');
      assert.equal(text(fromStdin.stdout), text(ref.stdout));
      // And a digest that is off by one bit is caught (the check can fail).
      const bad = Buffer.from(text(sums.stdout).replace(/^e3b0/m, 'e3b1'), 'latin1');
      const caught = await nn(['hash', '-a', 'sha256', '-c', '-'], { cwd: WORK, input: bad });
      assert.equal(caught.code, 1);
      assert.match(text(caught.stdout), /^empty: FAILED$/m);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // Regression, fixed (hosts/cli/src/hash_cmd.rs, `check`): `NAME: OK` is printed with the raw name. For a
  // name holding a newline coreutils prints `\new\nline.txt: OK` (escaped, leading backslash),
  // so one result stays one line; nearnative splits it over two lines.
  test('--check escapes a name holding a newline like sha256sum -c', async () => {
    const sums = await exec('sha256sum', ['new\nline.txt'], { cwd: WORK });
    assertOk(sums, 'sha256sum');
    const [ref, ours] = await Promise.all([
      exec('sha256sum', ['-c', '-'], { cwd: WORK, input: sums.stdout }),
      nn(['hash', '-a', 'sha256', '-c', '-'], { cwd: WORK, input: sums.stdout }),
    ]);
    assertOk(ref, 'sha256sum -c');
    assertOk(ours, 'hash -c');
    assert.equal(text(ref.stdout), '\\new\\nline.txt: OK\n');
    assert.equal(text(ours.stdout), text(ref.stdout));
  });

  // Regression, fixed (hosts/cli/src/hash_cmd.rs, `check`): for a sums file without one valid line coreutils
  // prints `sha256sum: SUMS: no properly formatted checksum lines found` (naming the file, no
  // WARNING line); nearnative prints a WARNING about improperly formatted lines and then
  // `no properly formatted sha256 checksum lines found` without the file name.
  test('--check of a file with no checksum line reports it like sha256sum -c', async () => {
    const dir = scratch({ SUMS: 'not a checksum line\n' });
    try {
      const [ref, ours] = await Promise.all([
        exec('sha256sum', ['-c', 'SUMS'], { cwd: dir }),
        nn(['hash', '-a', 'sha256', '-c', 'SUMS'], { cwd: dir }),
      ]);
      assert.equal(ref.code, 1);
      assert.equal(ours.code, 1);
      assert.equal(text(ours.stdout), '');
      assert.equal(text(ours.stderr), coreutilsStderr(ref.stderr, 'sha256sum'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // Regression, fixed (same function): `-c missing-file` prints the open error and then, wrongly, also
  // "no properly formatted sha256 checksum lines found"; sha256sum prints only the first.
  test('--check of a sums file that does not exist prints only the open error', async () => {
    const dir = scratch();
    try {
      const [ref, ours] = await Promise.all([
        exec('sha256sum', ['-c', 'nonexistent.sums'], { cwd: dir }),
        nn(['hash', '-a', 'sha256', '-c', 'nonexistent.sums'], { cwd: dir }),
      ]);
      assert.equal(ref.code, 1);
      assert.equal(ours.code, 1);
      assert.equal(text(ours.stderr), coreutilsStderr(ref.stderr, 'sha256sum'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------- 3. age interop

describe('age: interoperates with the reference age / age-keygen', () => {
  const ageDecrypt = (key, file, cwd = WORK) => exec('age', ['-d', '-i', key, file], { cwd });

  test('keygen: identity file format, mode 0600, Public key on stderr, readable by age-keygen -y', async () => {
    const key = text(read('nn.key'));
    assert.match(key, /^# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n# public key: age1[0-9a-z]+\nAGE-SECRET-KEY-1[0-9A-Z]+\n$/);
    assert.ok(key.includes(`# public key: ${NN_R}\n`));
    assert.equal(fs.statSync(at('nn.key')).mode & 0o777, 0o600);
    const [refY, ourY, ourYref] = await Promise.all([
      exec('age-keygen', ['-y', 'nn.key'], { cwd: WORK }),
      nn(['keygen', '-y', 'nn.key'], { cwd: WORK }),
      nn(['keygen', '-y', 'ref.key'], { cwd: WORK }),
    ]);
    assertOk(refY, 'age-keygen -y nn.key');
    assert.equal(text(refY.stdout), `${NN_R}\n`);
    assert.equal(text(ourY.stdout), `${NN_R}\n`);
    assert.equal(text(ourYref.stdout), `${REF_R}\n`);
    // -y from stdin
    const stdinY = await nn(['keygen', '-y'], { cwd: WORK, input: read('ref.key') });
    assert.equal(text(stdinY.stdout), `${REF_R}\n`);
    // To stdout (not a terminal): the identity on stdout, the recipient on stderr, fresh each time.
    const [k1, k2] = await Promise.all([nn(['keygen'], { cwd: WORK }), nn(['keygen'], { cwd: WORK })]);
    assertOk(k1, 'keygen');
    const r1 = /^Public key: (age1[0-9a-z]+)\n$/.exec(text(k1.stderr))?.[1];
    assert.ok(r1, text(k1.stderr));
    assert.notEqual(text(k1.stdout), text(k2.stdout));
    const conv = await exec('age-keygen', ['-y'], { input: k1.stdout });
    assert.equal(text(conv.stdout), `${r1}\n`);
  });

  test('X25519: nearnative encrypt (-r, -R, -i, -a, stdin, 5 MiB, 128 KiB, empty) -> age -d', async () => {
    const dir = scratch({ 'recipients.txt': `# a comment, then a blank line\n\n${REF_R}\n` });
    const rel = (n) => path.join('..', n);
    try {
      const cases = [
        { args: ['-r', REF_R, '-o', 'c1.age', rel('plain5m.bin')], out: 'c1.age', plain: PLAIN_5M },
        { args: ['-R', 'recipients.txt', '-o', 'c2.age', rel('plain128k.bin')], out: 'c2.age', plain: PLAIN_128K },
        { args: ['-i', rel('ref.key'), '-a', '-o', 'c3.age', rel('small.txt')], out: 'c3.age', plain: read('small.txt'), armor: true },
        { args: ['--recipient', REF_R, '--armor', '--output', 'c4.age', rel('empty')], out: 'c4.age', plain: Buffer.alloc(0), armor: true },
        { args: ['-r', REF_R, '-o', 'c5.age', rel('empty')], out: 'c5.age', plain: Buffer.alloc(0) },
      ];
      for (const c of cases) {
        const r = await nn(['encrypt', ...c.args], { cwd: dir });
        assertOk(r, `encrypt ${c.args.join(' ')}`);
        assert.equal(text(r.stdout), '');
        const file = fs.readFileSync(path.join(dir, c.out));
        if (c.armor) assert.match(text(file), /^-----BEGIN AGE ENCRYPTED FILE-----\n[A-Za-z0-9+/=\n]+-----END AGE ENCRYPTED FILE-----\n$/);
        else assert.match(text(file.subarray(0, 60)), /^age-encryption\.org\/v1\n-> X25519 /);
        const d = await ageDecrypt(rel('ref.key'), c.out, dir);
        assertOk(d, `age -d of ${c.args.join(' ')}`);
        assert.ok(d.stdout.equals(c.plain), `age -d gave different plaintext for ${c.args.join(' ')}`);
      }
      // stdin -> stdout
      const piped = await nn(['encrypt', '-r', REF_R], { cwd: dir, input: PLAIN_5M });
      assertOk(piped, 'encrypt (stdin -> stdout)');
      const d = await exec('age', ['-d', '-i', rel('ref.key')], { cwd: dir, input: piped.stdout });
      assertOk(d, 'age -d (stdin)');
      assert.ok(d.stdout.equals(PLAIN_5M));
      // Size sanity: 81 chunks of 16-byte tags on top of the plaintext, plus a header.
      assert.ok(piped.stdout.length > PLAIN_5M.length + 81 * 16 && piped.stdout.length < PLAIN_5M.length + 81 * 16 + 400);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('X25519: age -r/-R/-a -> nearnative decrypt (5 MiB, 128 KiB, empty, stdin, reference identity file)', async () => {
    const dir = scratch({ 'plain5m.bin': PLAIN_5M, 'plain128k.bin': PLAIN_128K, empty: '' });
    try {
      const recipients = await nn(['keygen', '-y', path.join('..', 'nn.key')], { cwd: dir });
      fs.writeFileSync(path.join(dir, 'nn.pub'), recipients.stdout);
      const cases = [
        { age: ['-r', NN_R, '-o', 'c1.age', 'plain5m.bin'], key: 'nn.key', plain: PLAIN_5M },
        { age: ['-R', 'nn.pub', '-a', '-o', 'c2.age', 'plain128k.bin'], key: 'nn.key', plain: PLAIN_128K },
        { age: ['-r', NN_R, '-o', 'c3.age', 'empty'], key: 'nn.key', plain: Buffer.alloc(0) },
        { age: ['-a', '-r', NN_R, '-o', 'c4.age', 'empty'], key: 'nn.key', plain: Buffer.alloc(0) },
        { age: ['-r', REF_R, '-o', 'c5.age', 'plain128k.bin'], key: 'ref.key', plain: PLAIN_128K },
      ];
      for (const [i, c] of cases.entries()) {
        const e = await exec('age', c.age, { cwd: dir });
        assertOk(e, `age ${c.age.join(' ')}`);
        const out = `out${i}.bin`;
        const d = await nn(['decrypt', '-i', path.join('..', c.key), '-o', out, `c${i + 1}.age`], { cwd: dir });
        assertOk(d, `nearnative decrypt of age ${c.age.join(' ')}`);
        assert.equal(text(d.stdout), '');
        assert.equal(text(d.stderr), '');
        // Unlike age, an empty plaintext still gives an (empty) output file.
        assert.ok(fs.readFileSync(path.join(dir, out)).equals(c.plain), `plaintext of age ${c.age.join(' ')}`);
      }
      // stdin -> stdout, long option names
      const s = await nn(['decrypt', '--identity', path.join('..', 'nn.key')], { cwd: dir, input: fs.readFileSync(path.join(dir, 'c1.age')) });
      assertOk(s, 'decrypt (stdin)');
      assert.ok(s.stdout.equals(PLAIN_5M));
      assert.deepEqual(listing(dir).filter((n) => n.endsWith('.partial')), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('multiple recipients both ways, and an identity file holding several keys', async () => {
    const dir = scratch();
    const ref = path.join('..', 'ref.key');
    const ours = path.join('..', 'nn.key');
    try {
      const plain = read('small.txt');
      const e = await nn(['encrypt', '-r', REF_R, '-r', NN_R, '-o', 'both.age', path.join('..', 'small.txt')], { cwd: dir });
      assertOk(e, 'encrypt to two recipients');
      const stanzas = text(fs.readFileSync(path.join(dir, 'both.age'))).match(/^-> X25519 /gm) ?? [];
      assert.equal(stanzas.length, 2);
      const [a, b] = await Promise.all([ageDecrypt(ref, 'both.age', dir), nn(['decrypt', '-i', ours, 'both.age'], { cwd: dir })]);
      assertOk(a, 'age -d with the first key');
      assertOk(b, 'nearnative decrypt with the second key');
      assert.ok(a.stdout.equals(plain) && b.stdout.equals(plain));

      assertOk(await exec('age', ['-r', REF_R, '-r', NN_R, '-o', 'both2.age', path.join('..', 'small.txt')], { cwd: dir }), 'age -r -r');
      const [c, d] = await Promise.all([
        nn(['decrypt', '-i', ours, 'both2.age'], { cwd: dir }),
        nn(['decrypt', '-i', ref, 'both2.age'], { cwd: dir }),
      ]);
      assertOk(c);
      assertOk(d);
      assert.ok(c.stdout.equals(plain) && d.stdout.equals(plain));

      // One identity file with both keys, a file only for the second one; and two -i flags.
      fs.writeFileSync(path.join(dir, 'keys.txt'), Buffer.concat([read('ref.key'), read('nn.key')]));
      assertOk(await exec('age', ['-r', NN_R, '-o', 'nn-only.age', path.join('..', 'small.txt')], { cwd: dir }));
      const [f, g] = await Promise.all([
        nn(['decrypt', '-i', 'keys.txt', 'nn-only.age'], { cwd: dir }),
        nn(['decrypt', '-i', ref, '-i', ours, 'nn-only.age'], { cwd: dir }),
      ]);
      assertOk(f, 'identity file with two keys');
      assertOk(g, 'two -i flags');
      assert.ok(f.stdout.equals(plain) && g.stdout.equals(plain));
      // age itself reads our multi-key usage too
      const h = await ageDecrypt('keys.txt', 'nn-only.age', dir);
      assertOk(h);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('passphrase: age -p (typed on a terminal) -> nearnative decrypt with $NEARNATIVE_PASSPHRASE', async () => {
    const dir = scratch({ 'plain5m.bin': PLAIN_5M, empty: '' });
    try {
      // The reference picks its own work factor (18).
      const [p1, p2] = await Promise.all([
        pty(['age', '-p', '-o', 'p1.age', 'plain5m.bin'], { cwd: dir, passphrase: PASSPHRASE }),
        pty(['age', '-p', '-a', '-o', 'p2.age', 'empty'], { cwd: dir, passphrase: PASSPHRASE }),
      ]);
      assertOk(p1, `age -p: ${text(p1.stderr)}`);
      assertOk(p2, `age -p -a: ${text(p2.stderr)}`);
      assert.match(text(p1.stderr), /Enter passphrase[^\n]*:[\s\S]*Confirm passphrase/);
      assert.match(text(fs.readFileSync(path.join(dir, 'p1.age')).subarray(0, 80)), /^age-encryption\.org\/v1\n-> scrypt \S+ \d+\n/);
      const env = { NEARNATIVE_PASSPHRASE: PASSPHRASE };
      const [d1, d2, wrong] = await Promise.all([
        nn(['decrypt', '-o', 'out1.bin', 'p1.age'], { cwd: dir, env }),
        nn(['decrypt', 'p2.age'], { cwd: dir, env }),
        nn(['decrypt', '-o', 'wrong.bin', 'p1.age'], { cwd: dir, env: { NEARNATIVE_PASSPHRASE: `${PASSPHRASE}!` } }),
      ]);
      assertOk(d1, 'decrypt of age -p');
      assert.ok(fs.readFileSync(path.join(dir, 'out1.bin')).equals(PLAIN_5M));
      assertOk(d2, 'decrypt of age -p -a (empty)');
      assert.equal(d2.stdout.length, 0);
      assertError(wrong, ['auth_failed'], 'wrong passphrase');
      assert.ok(!fs.existsSync(path.join(dir, 'wrong.bin')));
      // A passphrase file opened with an identity is refused clearly.
      const withKey = await nn(['decrypt', '-i', path.join('..', 'nn.key'), 'p1.age'], { cwd: dir });
      assertError(withKey, ['invalid_input'], 'decrypt -i of a passphrase file');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('passphrase: nearnative encrypt -p --work-factor 10 -> age -d (typed on a terminal)', async () => {
    const dir = scratch({ 'plain5m.bin': PLAIN_5M, empty: '' });
    try {
      const env = { NEARNATIVE_PASSPHRASE: PASSPHRASE };
      const [e1, e2] = await Promise.all([
        nn(['encrypt', '-p', '--work-factor', '10', '-o', 'p1.age', 'plain5m.bin'], { cwd: dir, env }),
        nn(['encrypt', '--passphrase', '--work-factor', '10', '-a', 'empty'], { cwd: dir, env }),
      ]);
      assertOk(e1, 'encrypt -p');
      assertOk(e2, 'encrypt -p -a');
      fs.writeFileSync(path.join(dir, 'p2.age'), e2.stdout);
      assert.match(text(fs.readFileSync(path.join(dir, 'p1.age')).subarray(0, 80)), /^age-encryption\.org\/v1\n-> scrypt \S+ 10\n/);
      const [d1, d2, wrong] = await Promise.all([
        pty(['age', '-d', 'p1.age'], { cwd: dir, passphrase: PASSPHRASE, stdoutFile: 'out1.bin' }),
        pty(['age', '-d', 'p2.age'], { cwd: dir, passphrase: PASSPHRASE, stdoutFile: 'out2.bin' }),
        pty(['age', '-d', 'p1.age'], { cwd: dir, passphrase: 'not it', stdoutFile: 'out3.bin' }),
      ]);
      assertOk(d1, `age -d: ${text(d1.stderr)}`);
      assertOk(d2, `age -d (armored, empty): ${text(d2.stderr)}`);
      assert.ok(fs.readFileSync(path.join(dir, 'out1.bin')).equals(PLAIN_5M));
      assert.equal(fs.readFileSync(path.join(dir, 'out2.bin')).length, 0);
      assert.equal(wrong.code, 1, 'age -d with a wrong passphrase must fail (the test can fail)');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('passphrase typed on the terminal: nearnative prompts (Enter + Confirm), a mismatch is refused', async () => {
    const dir = scratch({ 'small.txt': read('small.txt') });
    const bin = NATIVE;
    try {
      const [e, mismatch] = await Promise.all([
        pty([bin, 'encrypt', '-p', '--work-factor', '10', 'small.txt'], { cwd: dir, passphrase: PASSPHRASE, stdoutFile: 'p.age' }),
        pty([bin, 'encrypt', '-p', '--work-factor', '10', '-o', 'm.age', 'small.txt'], { cwd: dir, passphrase: PASSPHRASE, second: 'something else' }),
      ]);
      assertOk(e, `encrypt -p on a terminal: ${text(e.stderr)}`);
      assert.match(text(e.stderr), /Enter passphrase: [\s\S]*Confirm passphrase: /);
      assert.equal(mismatch.code, 1, text(mismatch.stderr));
      assert.match(text(mismatch.stderr), /nearnative: error\[invalid_input\]: [^\n]*passphrases do not match/);
      assert.ok(!fs.existsSync(path.join(dir, 'm.age')));
      const [byAge, byUs] = await Promise.all([
        pty(['age', '-d', 'p.age'], { cwd: dir, passphrase: PASSPHRASE, stdoutFile: 'out.txt' }),
        pty([bin, 'decrypt', 'p.age'], { cwd: dir, passphrase: PASSPHRASE, stdoutFile: 'out2.txt' }),
      ]);
      assertOk(byAge, `age -d: ${text(byAge.stderr)}`);
      assertOk(byUs, `nearnative decrypt on a terminal: ${text(byUs.stderr)}`);
      assert.ok(fs.readFileSync(path.join(dir, 'out.txt')).equals(read('small.txt')));
      assert.ok(fs.readFileSync(path.join(dir, 'out2.txt')).equals(read('small.txt')));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------- 4. failures

describe('decrypt/encrypt failures: exit 1, a stable code, OUT absent or untouched, no temp files', () => {
  let BIG; // age -r NN_R of PLAIN_5M, made by the reference
  let ARMORED; // age -a -r NN_R of small.txt
  before(async () => {
    const e = await exec('age', ['-r', NN_R], { cwd: WORK, input: PLAIN_5M });
    assertOk(e, 'age -r');
    BIG = e.stdout;
    const a = await exec('age', ['-a', '-r', NN_R], { cwd: WORK, input: read('small.txt') });
    assertOk(a, 'age -a -r');
    ARMORED = a.stdout;
  });

  const OLD = Buffer.from('the previous content of OUT, which a failed run must not touch\n');

  /**
   * Runs `decrypt -i key.txt -o OUT in.age` on `host` in a fresh directory, twice: once with
   * no OUT, once with an OUT that existed before. Both must fail with one of `codes`.
   */
  async function expectFailure(host, input, codes, { key = 'nn.key', extra = [] } = {}) {
    const results = [];
    for (const preexisting of [false, true]) {
      const dir = scratch({ 'in.age': input, 'key.txt': read(key) });
      try {
        if (preexisting) fs.writeFileSync(path.join(dir, 'OUT'), OLD);
        const before = listing(dir);
        const r = await HOSTS[host](['decrypt', '-i', 'key.txt', ...extra, '-o', 'OUT', 'in.age'], { cwd: dir });
        results.push(assertError(r, codes, `${host} decrypt (OUT existed: ${preexisting})`));
        assert.equal(r.stdout.length, 0, 'nothing on stdout with -o');
        if (preexisting) assert.ok(fs.readFileSync(path.join(dir, 'OUT')).equals(OLD), 'the old OUT was changed');
        else assert.ok(!fs.existsSync(path.join(dir, 'OUT')), 'OUT was created by a failed run');
        assert.deepEqual(listing(dir), before, 'files were left behind (temporary file?)');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    return results;
  }

  test('wrong identity -> auth_failed', async () => {
    await expectFailure('native', BIG, ['auth_failed'], { key: 'ref.key' });
  });

  test('a flipped byte in the last chunk of a 5 MiB file -> auth_failed after 5 MiB were written to the temp file', async () => {
    await expectFailure('native', flipped(BIG, BIG.length - 1), ['auth_failed']);
  });

  test('a flipped byte in the first payload chunk -> auth_failed', async () => {
    await expectFailure('native', flipped(BIG, payloadStart(BIG) + 100), ['auth_failed']);
  });

  test('a flipped byte in the header MAC -> auth_failed', async () => {
    const at3 = BIG.indexOf('\n--- ') + 5 + 3; // a base64 character of the MAC
    const copy = Buffer.from(BIG);
    copy[at3] = copy[at3] === 0x41 ? 0x42 : 0x41; // another valid base64 character
    await expectFailure('native', copy, ['auth_failed']);
  });

  test('truncated: mid-chunk, at a chunk boundary, without the final chunk, inside the header', async (t) => {
    const start = payloadStart(BIG);
    const cuts = {
      'mid-chunk': BIG.length - 1000,
      'chunk boundary': start + 40 * (CHUNK + 16),
      'final chunk dropped': BIG.length - 33, // the final chunk holds 17 bytes + 16 tag
      'inside the header': 40,
      'after the nonce': start,
    };
    for (const [what, cut] of Object.entries(cuts)) {
      await t.test(what, () => expectFailure('native', BIG.subarray(0, cut), ['auth_failed', 'invalid_input']));
    }
  });

  test('not an age file -> invalid_input (text, random bytes, empty input, damaged armor)', async () => {
    await expectFailure('native', read('small.txt'), ['invalid_input']);
    await expectFailure('native', fs.readFileSync(path.join(ROOT, 'Cargo.toml')), ['invalid_input']);
    await expectFailure('native', randomBytes(4096), ['invalid_input']);
    await expectFailure('native', Buffer.alloc(0), ['invalid_input']);
    const armor = text(ARMORED);
    const lines = armor.split('\n');
    lines[1] = lines[1].slice(0, 10) + '!' + lines[1].slice(11); // not base64
    await expectFailure('native', Buffer.from(lines.join('\n'), 'latin1'), ['invalid_input']);
  });

  test('a flipped bit inside armored base64 -> auth_failed or invalid_input', async () => {
    const lines = text(ARMORED).split('\n');
    const body = lines.length - 3; // the last base64 line holds the payload
    const line = lines[body];
    lines[body] = line.slice(0, 2) + (line[2] === 'A' ? 'B' : 'A') + line.slice(3);
    await expectFailure('native', Buffer.from(lines.join('\n'), 'latin1'), ['auth_failed', 'invalid_input']);
  });

  test('success replaces an existing OUT (as age does), atomically and without leftovers', async () => {
    const dir = scratch({ 'in.age': BIG, 'key.txt': read('nn.key'), OUT: OLD });
    try {
      const r = await nn(['decrypt', '-i', 'key.txt', '-o', 'OUT', 'in.age'], { cwd: dir });
      assertOk(r, 'decrypt over an existing OUT');
      assert.ok(fs.readFileSync(path.join(dir, 'OUT')).equals(PLAIN_5M));
      assert.deepEqual(listing(dir), ['OUT', 'in.age', 'key.txt']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('encrypt failures leave no OUT: bad recipient, missing input, unreadable input, missing -R file', async () => {
    const dir = scratch({ 'in.txt': 'plaintext\n' });
    fs.mkdirSync(path.join(dir, 'adir'));
    try {
      const before = listing(dir);
      const cases = [
        [['-r', 'age1notarecipient', '-o', 'OUT', 'in.txt'], ['invalid_input']],
        [['-r', 'ssh-ed25519 AAAA', '-o', 'OUT', 'in.txt'], ['invalid_input', 'unsupported']],
        [['-r', NN_R, '-o', 'OUT', 'missing.txt'], ['io']],
        [['-r', NN_R, '-o', 'OUT', 'adir'], ['io']], // opens, then read fails (EISDIR)
        [['-R', 'missing.pub', '-o', 'OUT', 'in.txt'], ['io']],
        [['-o', 'OUT', 'in.txt'], ['invalid_input']], // no recipient at all
        [['-p', '-o', 'OUT', 'in.txt'], ['invalid_input']], // -p, no terminal, no env
      ];
      for (const [args, codes] of cases) {
        const r = await nn(['encrypt', ...args], { cwd: dir });
        assertError(r, codes, `encrypt ${args.join(' ')}`);
        assert.deepEqual(listing(dir), before, `encrypt ${args.join(' ')} left files behind`);
      }
      // an output directory that does not exist: io, nothing created
      const r = await nn(['decrypt', '-i', path.join(WORK, 'nn.key'), '-o', 'no/such/dir/OUT'], { cwd: dir, input: BIG });
      assertError(r, ['io']);
      assert.deepEqual(listing(dir), before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the WASI build fails the same way (wasmtime, node:wasi): code, OUT untouched, no temp files', async () => {
    for (const host of ['wasmtime', 'node:wasi']) {
      assert.deepEqual(await expectFailure(host, BIG, ['auth_failed'], { key: 'ref.key' }), ['auth_failed', 'auth_failed']);
      assert.deepEqual(await expectFailure(host, flipped(BIG, BIG.length - 1), ['auth_failed']), ['auth_failed', 'auth_failed']);
      await expectFailure(host, BIG.subarray(0, BIG.length - 1000), ['auth_failed', 'invalid_input']);
      await expectFailure(host, read('small.txt'), ['invalid_input']);
    }
  });
});

// ---------------------------------------------------------------- 5. usage

describe('command line: usage errors exit 2, help exits 0', () => {
  test('--help / -h / help on every subcommand, and --version, exit 0 with usage on stdout', async () => {
    const cases = [
      ['--help'], ['-h'], ['help'], ['hash', '--help'], ['hash', '-h'], ['keygen', '--help'], ['encrypt', '--help'],
      ['decrypt', '--help'], ['help', 'hash'], ['help', 'encrypt'],
    ];
    const results = await Promise.all(cases.map((args) => nn(args, { cwd: WORK })));
    for (const [i, r] of results.entries()) {
      const args = cases[i].join(' ');
      assertOk(r, args);
      assert.match(text(r.stdout), /Usage: nearnative( [a-z]+)? /, args);
      assert.equal(text(r.stderr), '', args);
    }
    assert.match(text(results[3].stdout), /sha3-256.*crc32c/s, 'hash --help lists the algorithms');
    const v = await nn(['--version']);
    assertOk(v);
    assert.match(text(v.stdout), /^nearnative \d+\.\d+\.\d+\n$/);
  });

  test('usage errors exit 2 with a message on stderr and nothing on stdout', async () => {
    const cases = [
      [],
      ['frobnicate'],
      ['hash', '--bogus'],
      ['hash', '-a', 'md5', 'small.txt'],
      ['hash', '-a'],
      ['encrypt', '-p', '-r', REF_R, 'small.txt'],
      ['encrypt', '-p', '--work-factor', '300', 'small.txt'],
      ['encrypt', '-p', '--work-factor', 'ten', 'small.txt'],
      ['encrypt', '-r', REF_R, 'small.txt', 'extra.txt'],
      ['decrypt', 'a.age', 'b.age'],
      ['decrypt', '-x'],
      ['keygen', '--nope'],
    ];
    const results = await Promise.all(cases.map((args) => nn(args, { cwd: WORK })));
    for (const [i, r] of results.entries()) {
      const args = JSON.stringify(cases[i]);
      assert.equal(r.code, 2, `${args} exited ${r.code}: ${text(r.stderr)}`);
      assert.equal(r.stdout.length, 0, args);
      assert.match(text(r.stderr), /^error: |Usage: nearnative/, args);
    }
    assert.match(text(results[3].stderr), /unknown hash algorithm 'md5'/);
  });

  // Regression, fixed (hosts/cli/src/age_cmd.rs): `--work-factor` is declared `requires = "passphrase"`, but
  // clap does not enforce it (the arg has a default value), so `encrypt --work-factor 10 -r R`
  // silently ignores the flag instead of failing as a usage error.
  test('--work-factor without -p is a usage error (exit 2)', async () => {
    const r = await nn(['encrypt', '--work-factor', '10', '-r', REF_R, 'small.txt'], { cwd: WORK });
    assert.equal(r.code, 2, `exited ${r.code}; stderr: ${text(r.stderr)}`);
    assert.equal(r.stdout.length, 0);
  });

  // Regression, fixed (hosts/cli/src/age_cmd.rs, KeygenArgs): positional FILEs are accepted and ignored
  // without -y (`nearnative keygen key.txt` prints a key to stdout, writes no key.txt);
  // age-keygen rejects them ("too many arguments"). A user who meant `-o key.txt` loses the
  // key silently.
  test('keygen with a FILE but no -y is rejected (age-keygen: "too many arguments")', async () => {
    const dir = scratch();
    try {
      const [ref, ours] = await Promise.all([exec('age-keygen', ['key.txt'], { cwd: dir }), nn(['keygen', 'key.txt'], { cwd: dir })]);
      assert.notEqual(ref.code, 0);
      assert.notEqual(ours.code, 0, 'nearnative keygen key.txt succeeded and ignored key.txt');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // Regression, fixed (hosts/cli/src/age_cmd.rs `keygen` + output.rs AtomicFile): `keygen -o FILE` replaces
  // an existing FILE. age-keygen refuses ("file exists", exit 1) because FILE may hold the only
  // copy of a secret key; nearnative silently destroys it.
  test('keygen -o refuses to overwrite an existing file (like age-keygen)', async () => {
    const dir = scratch({ 'ref.key': 'old secret\n', 'our.key': 'old secret\n' });
    try {
      const [ref, ours] = await Promise.all([
        exec('age-keygen', ['-o', 'ref.key'], { cwd: dir }),
        nn(['keygen', '-o', 'our.key'], { cwd: dir }),
      ]);
      assert.equal(ref.code, 1);
      assert.equal(text(fs.readFileSync(path.join(dir, 'ref.key'))), 'old secret\n');
      assert.equal(text(fs.readFileSync(path.join(dir, 'our.key'))), 'old secret\n', 'the existing key file was overwritten');
      assert.equal(ours.code, 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // The secret key file: owner-only natively; under WASI, which has no permissions to set, the
  // user is told to restrict it (found by a fresh-eyes audit: it was silently 0644).
  test('keygen -o: mode 0600 natively; under WASI a warning says the file could not be restricted', async () => {
    const dir = scratch({});
    try {
      assertOk(await nn(['keygen', '-o', 'native.key'], { cwd: dir }), 'native keygen -o');
      assert.equal(fs.statSync(path.join(dir, 'native.key')).mode & 0o777, 0o600);
      for (const host of ['wasmtime', 'node:wasi']) {
        const name = `${host.replace(':', '-')}.key`;
        const r = await HOSTS[host](['keygen', '-o', name], { cwd: dir });
        assertOk(r, `${host} keygen -o`);
        assert.match(text(r.stderr), new RegExp(`warning: .*cannot restrict ${name}.*chmod 600 ${name}`), host);
        assert.match(text(r.stderr), /^Public key: age1/m, host);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------- 6. same bytes on every host

describe('the WASI build prints the same bytes as the native binary', () => {
  let DIR;
  before(async () => {
    DIR = scratch({
      'small.txt': read('small.txt'),
      'with space.txt': read('with space.txt'),
      'big.bin': read('big.bin'),
      empty: '',
      'nn.key': read('nn.key'),
      'ref.key': read('ref.key'),
      'notage.txt': 'this is not an age file\n',
    });
    const sums = await exec('sha256sum', ['small.txt', 'with space.txt', 'empty', 'big.bin'], { cwd: DIR });
    fs.writeFileSync(path.join(DIR, 'SUMS'), Buffer.concat([sums.stdout, Buffer.from('garbage line\n0000000000000000000000000000000000000000000000000000000000000000  missing.txt\n')]));
    fs.writeFileSync(path.join(DIR, 'BAD'), text(sums.stdout).replace(/^\w{4}/m, '0000'));
    const c = await exec('age', ['-r', NN_R, '-o', 'c.age', 'big.bin'], { cwd: DIR });
    assertOk(c);
    const a = await exec('age', ['-a', '-r', NN_R, '-o', 'c.armor', 'small.txt'], { cwd: DIR });
    assertOk(a);
    const p = await nn(['encrypt', '-p', '--work-factor', '10', '-o', 'p.age', 'small.txt'], { cwd: DIR, env: { NEARNATIVE_PASSPHRASE: PASSPHRASE } });
    assertOk(p);
    const big = fs.readFileSync(path.join(DIR, 'c.age'));
    fs.writeFileSync(path.join(DIR, 'tampered.age'), flipped(big, big.length - 1));
  });
  after(() => DIR && fs.rmSync(DIR, { recursive: true, force: true }));

  const ALGORITHMS = ['sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'sha3-256', 'sha3-512', 'blake2b-512', 'blake2s-256', 'blake3', 'xxh64', 'xxh3-64', 'xxh3-128', 'crc32', 'crc32c'];
  const COMMANDS = [
    ...ALGORITHMS.map((a) => ({ args: ['hash', '-a', a, 'small.txt', 'with space.txt', 'empty', 'big.bin'] })),
    { args: ['hash', 'small.txt', 'missing.txt', 'big.bin'], code: 1 },
    { args: ['hash', '-a', 'blake2b-512', '-'], input: 'big.bin' },
    { args: ['hash', '-a', 'sha256', '-c', 'SUMS'], code: 1 },
    { args: ['hash', '-a', 'sha256', '-c', '--quiet', 'BAD'], code: 1 },
    { args: ['hash', '-a', 'sha256', '-c', 'notage.txt'], code: 1 },
    { args: ['hash', '-a', 'nope', 'small.txt'], code: 2 },
    { args: ['keygen', '-y', 'nn.key', 'ref.key'] },
    { args: ['decrypt', '-i', 'nn.key', 'c.age'] },
    { args: ['decrypt', '-i', 'nn.key', 'c.armor'] },
    { args: ['decrypt', '-i', 'nn.key'], input: 'c.age' },
    { args: ['decrypt', 'p.age'], env: { NEARNATIVE_PASSPHRASE: PASSPHRASE } },
    { args: ['decrypt', 'p.age'], env: { NEARNATIVE_PASSPHRASE: 'wrong' }, code: 1 },
    { args: ['decrypt', '-i', 'ref.key', 'c.age'], code: 1 },
    { args: ['decrypt', '-i', 'nn.key', 'notage.txt'], code: 1 },
    { args: ['decrypt', '-i', 'nn.key', 'tampered.age'], code: 1 },
    { args: ['decrypt', '-i', 'missing.key', 'c.age'], code: 1 },
    { args: ['encrypt', '-r', 'age1bogus', 'small.txt'], code: 1 },
  ];

  for (const cmd of COMMANDS) {
    const name = `${cmd.args.join(' ')}${cmd.input ? ` < ${cmd.input}` : ''}${cmd.env ? ' (passphrase in env)' : ''}`;
    test(`native = wasmtime = node:wasi: ${name}`, async () => {
      const opts = { cwd: DIR, env: cmd.env, input: cmd.input ? fs.readFileSync(path.join(DIR, cmd.input)) : undefined };
      const [native, ...others] = await Promise.all(Object.values(HOSTS).map((run) => run(cmd.args, opts)));
      assert.equal(native.signal, null);
      assert.equal(native.code, cmd.code ?? 0, `native exit code; stderr ${text(native.stderr)}`);
      if ((cmd.code ?? 0) === 0) assert.ok(native.stdout.length > 0);
      else assert.ok(native.stderr.length > 0);
      for (const [i, r] of others.entries()) {
        const host = Object.keys(HOSTS)[i + 1];
        assert.equal(r.signal, null, `${host} died from ${r.signal}`);
        assert.equal(text(r.stderr), text(native.stderr), `${host} stderr`);
        assert.equal(text(r.stdout), text(native.stdout), `${host} stdout`);
        assert.equal(r.code, native.code, `${host} exit code`);
      }
    });
  }

  test('native = wasmtime = node:wasi: decrypt -o OUT writes the same file, atomically', async () => {
    for (const host of Object.keys(HOSTS)) {
      const r = await HOSTS[host](['decrypt', '-i', 'nn.key', '-o', `out-${host.replace(':', '-')}.bin`, 'c.age'], { cwd: DIR });
      assertOk(r, host);
    }
    const outs = Object.keys(HOSTS).map((h) => fs.readFileSync(path.join(DIR, `out-${h.replace(':', '-')}.bin`)));
    assert.ok(outs.every((o) => o.equals(read('big.bin'))));
    assert.deepEqual(listing(DIR).filter((n) => n.includes('partial')), []);
  });

  // Regression, fixed (hosts/cli/src/main.rs): clap builds the usage and help texts from argv[0]. Under
  // wasmtime argv[0] is the module path, so a usage error or --help says
  // "Usage: nearnative.wasm decrypt ..." where the native binary (and node:wasi, whose
  // launcher passes "nearnative") says "Usage: nearnative decrypt ...". Setting
  // `bin_name = "nearnative"` on the command would make every host print the same bytes.
  test('native = wasmtime = node:wasi: usage error and --help texts ("Usage: nearnative ...")', async () => {
    for (const args of [['decrypt', '--bogus'], ['hash', '--help']]) {
      const [native, ...others] = await Promise.all(Object.values(HOSTS).map((run) => run(args, { cwd: DIR })));
      assert.match(text(native.stdout) + text(native.stderr), /Usage: nearnative (decrypt|hash) /);
      for (const [i, r] of others.entries()) {
        const host = Object.keys(HOSTS)[i + 1];
        assert.equal(text(r.stderr), text(native.stderr), `${host} stderr of ${args.join(' ')}`);
        assert.equal(text(r.stdout), text(native.stdout), `${host} stdout of ${args.join(' ')}`);
        assert.equal(r.code, native.code, `${host} exit code of ${args.join(' ')}`);
      }
    }
  });

  // Regression, fixed (WASI build): hashing a directory prints "Is a directory" natively (as sha256sum does)
  // but "Bad file descriptor" under wasmtime and node:wasi: the WASI path opens the directory
  // and the read fails with EBADF. Same input, different bytes out.
  test('native = wasmtime = node:wasi: hash of a directory ("Is a directory")', async () => {
    const dir = scratch({ 'a.txt': 'a\n' });
    fs.mkdirSync(path.join(dir, 'subdir'));
    try {
      const [native, ...others] = await Promise.all(Object.values(HOSTS).map((run) => run(['hash', 'a.txt', 'subdir'], { cwd: dir })));
      assert.equal(native.code, 1);
      assert.equal(text(native.stderr), 'nearnative: subdir: Is a directory\n');
      for (const [i, r] of others.entries()) {
        const host = Object.keys(HOSTS)[i + 1];
        assert.equal(text(r.stdout), text(native.stdout), `${host} stdout`);
        assert.equal(r.code, 1, `${host} exit code`);
        assert.equal(text(r.stderr), text(native.stderr), `${host} stderr`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('under Wasmer (@wasmer/sdk; absolute /workspace paths)', () => {
    let runner;
    const files = {};
    before(async () => {
      const { createWasmerRunner } = await import('../../js/wasi/wasmer.mjs');
      runner = await createWasmerRunner(fs.readFileSync(WASM));
      for (const n of ['small.txt', 'with space.txt', 'big.bin', 'empty', 'nn.key', 'ref.key', 'c.age', 'notage.txt', 'tampered.age']) {
        files[`/workspace/${n}`] = new Uint8Array(fs.readFileSync(path.join(DIR, n)));
      }
      const sums = text(fs.readFileSync(path.join(DIR, 'SUMS'))).replace(/^(\w+  )/gm, '$1/workspace/');
      files['/workspace/SUMS'] = new Uint8Array(Buffer.from(sums, 'latin1'));
    });
    after(async () => {
      await runner?.close();
    });

    const abs = (args) => args.map((a) => (fs.existsSync(path.join(DIR, a)) && !a.startsWith('-') ? `/workspace/${a}` : a));
    const strip = (buf) => text(buf).replaceAll('/workspace/', '');
    const WASMER_COMMANDS = [
      ...ALGORITHMS.map((a) => ({ args: ['hash', '-a', a, 'small.txt', 'with space.txt', 'empty', 'big.bin'] })),
      { args: ['hash', 'small.txt', 'missing.txt', 'big.bin'] },
      { args: ['hash', '-a', 'sha256', '-c', 'SUMS'] },
      { args: ['hash', '-a', 'nope', 'small.txt'] },
      { args: ['decrypt', '-i', 'nn.key', 'c.age'] },
      { args: ['decrypt', '-i', 'ref.key', 'c.age'] },
      { args: ['decrypt', '-i', 'nn.key', 'notage.txt'] },
      { args: ['decrypt', '-i', 'nn.key', 'tampered.age'] },
    ];
    for (const cmd of WASMER_COMMANDS) {
      test(`native = Wasmer: ${cmd.args.join(' ')}`, async () => {
        const native = await nn(cmd.args, { cwd: DIR });
        const w = await runner.run(abs(cmd.args).map((a) => (a === 'missing.txt' ? '/workspace/missing.txt' : a)), { files });
        assert.equal(strip(w.stderr), text(native.stderr), 'stderr');
        assert.equal(strip(w.stdout), text(native.stdout), 'stdout');
        assert.equal(w.exitCode, native.code, 'exit code');
      });
    }

    test('native = Wasmer: hash - (stdin), byte for byte', async () => {
      const input = fs.readFileSync(path.join(DIR, 'big.bin'));
      const native = await nn(['hash', '-a', 'sha512', '-'], { cwd: DIR, input });
      const w = await runner.run(['hash', '-a', 'sha512', '-'], { stdin: new Uint8Array(input) });
      assertOk(native);
      assert.equal(w.exitCode, 0);
      assert.equal(text(w.stdout), text(native.stdout));
    });

    test('Wasmer: a failed decrypt -o leaves no file; a good one writes the plaintext', async () => {
      const bad = await runner.run(['decrypt', '-i', '/workspace/nn.key', '-o', '/workspace/out.bin', '/workspace/tampered.age'], { files, collect: ['out.bin'] });
      assert.equal(bad.exitCode, 1);
      assert.equal(bad.files['out.bin'], null);
      const good = await runner.run(['decrypt', '-i', '/workspace/nn.key', '-o', '/workspace/out.bin', '/workspace/c.age'], { files, collect: ['out.bin'] });
      assert.equal(good.exitCode, 0, text(good.stderr));
      assert.ok(Buffer.from(good.files['out.bin']).equals(read('big.bin')));
    });
  });
});

// ---------------------------------------------------------------- 7. node:wasi stability

describe('node:wasi launcher stability', () => {
  // DESIGN.md reports Node 20's node:wasi segfaulting intermittently after the output was
  // printed. 25 runs, alternating a small and a 32 MiB file: each must exit 0 by itself
  // (no signal) with the complete output.
  test('25 runs of js/wasi/nearnative.mjs, small and 32 MiB files alternating, all exit 0 with full output', async () => {
    const dir = scratch({ 'small.txt': read('small.txt'), 'big32.bin': randomBytes(32 * MiB) });
    try {
      const expected = {};
      for (const f of ['small.txt', 'big32.bin']) {
        const r = await exec('sha256sum', [f], { cwd: dir });
        assertOk(r);
        expected[f] = text(r.stdout);
      }
      const failures = [];
      for (let i = 0; i < 25; i++) {
        const f = i % 2 === 0 ? 'small.txt' : 'big32.bin';
        const r = await HOSTS['node:wasi'](['hash', '-a', 'sha256', f], { cwd: dir });
        if (r.signal !== null || r.code !== 0 || text(r.stdout) !== expected[f] || r.stderr.length > 0) {
          failures.push(`run ${i} (${f}): code ${r.code} signal ${r.signal} stdout ${JSON.stringify(text(r.stdout))} stderr ${JSON.stringify(text(r.stderr).slice(0, 300))}`);
        }
      }
      assert.deepEqual(failures, []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // Regression, fixed (js/wasi/nearnative.mjs + run.mjs, i.e. the node:wasi host; root cause in Node 20
  // itself): this is the intermittent segfault DESIGN.md reports. It is not random: Node 20
  // crashes (SIGSEGV in V8's interpreter after `_start` returns, the output already complete)
  // once the wasm memory has grown to several tens of MiB and WASI functions are then called
  // through V8's fast API calls. `--no-turbo-fast-api-calls` (or
  // `v8.setFlagsFromString('--no-turbo-fast-api-calls')` in the launcher before the module is
  // instantiated) makes it go away. Measured here: the decrypt below crashed in 15 of 15 runs
  // without the flag, 0 of 10 with it; the bench program (nearnative-bench.opt.wasm) 8 of 20
  // without, 0 of 20 with. A 12-line hand-written module (memory.grow by 4000 pages, then
  // fd_write in a loop) crashes the same way (17 of 20; 0 of 20 with the flag), so it is not
  // nearnative's code. The hash runs above keep memory flat (256 KiB reads)
  // and never trigger it; scrypt at the default work factor 18 needs 256 MiB, so decrypting a
  // passphrase file made with defaults (by `age -p` or `nearnative encrypt -p`) crashes the
  // node:wasi launcher nearly every time, with exit code 139 instead of 0.
  test('node:wasi: decrypting a work-factor-18 passphrase file (256 MiB of wasm memory) exits 0, 3 runs', async () => {
    const env = { NEARNATIVE_PASSPHRASE: PASSPHRASE };
    const dir = scratch({ 'small.txt': read('small.txt') });
    try {
      assertOk(await nn(['encrypt', '-p', '-o', 'p18.age', 'small.txt'], { cwd: dir, env }), 'encrypt -p (default work factor)');
      assert.match(text(fs.readFileSync(path.join(dir, 'p18.age')).subarray(0, 80)), /-> scrypt \S+ 18\n/);
      const failures = [];
      for (let i = 0; i < 3; i++) {
        const r = await HOSTS['node:wasi'](['decrypt', 'p18.age'], { cwd: dir, env });
        if (r.signal !== null || r.code !== 0 || !r.stdout.equals(read('small.txt'))) {
          failures.push(`run ${i}: code ${r.code} signal ${r.signal}, plaintext ${r.stdout.equals(read('small.txt')) ? 'complete' : 'wrong'}`);
        }
      }
      assert.deepEqual(failures, []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
