#!/usr/bin/env node
// Runs the nearnative WASI command under Wasmer's runtime (npm @wasmer/sdk, Wasmer + WASIX
// compiled to Wasm) in Node. Wasmer sandboxes cannot mount host folders, so arguments that
// name existing files below the current directory are copied into the sandbox's /workspace,
// the command runs there, and the file named by -o/--output is copied back on success.
//
//   node js/wasi/wasmer.mjs hash -a sha256 README.md
import { readFile, writeFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Wasmer } from '@wasmer/sdk/node';

const WORKSPACE = '/workspace';

/** A reusable runner: one Wasmer client and one loaded package for many commands. */
export async function createWasmerRunner(wasmBytes) {
  const wasmer = new Wasmer();
  const pkg = await wasmer.packages.create({ modules: { nearnative: wasmBytes }, commands: { nearnative: { module: 'nearnative' } } });
  return {
    /**
     * Runs one command in a fresh sandbox. `files` maps workspace-relative names to bytes;
     * `collect` lists workspace-relative files to read back after the run (missing ones are
     * reported as null, which is how tests check that a failed run wrote nothing).
     */
    async run(args, { files = {}, env = {}, stdin, collect = [] } = {}) {
      const sandbox = await wasmer.sandboxes.create({ packages: [pkg], files, env });
      try {
        const output = await sandbox
          .command(pkg, args, { cwd: WORKSPACE, env })
          .run({ check: false, ...(stdin === undefined ? {} : { stdin }) });
        const collected = {};
        for (const name of collect) {
          collected[name] = await sandbox.fs.readFile(`${WORKSPACE}/${name}`).catch(() => null);
        }
        return { exitCode: output.exitCode, stdout: output.stdout.bytes, stderr: output.stderr.bytes, files: collected };
      } finally {
        await sandbox.close();
      }
    },
    close: () => wasmer.close(),
  };
}

async function main(argv) {
  const wasmPath = process.env.NEARNATIVE_WASM ?? fileURLToPath(new URL('../../dist/wasi/nearnative.wasm', import.meta.url));
  const runner = await createWasmerRunner(await readFile(wasmPath));
  const files = {};
  for (const arg of argv) {
    if (arg.startsWith('-') || arg.startsWith('/') || arg.includes('..')) continue;
    const info = await stat(arg).catch(() => null);
    if (info?.isFile()) files[arg] = await readFile(arg);
  }
  const outIndex = argv.findIndex((a) => a === '-o' || a === '--output');
  const output = outIndex >= 0 ? argv[outIndex + 1] : undefined;
  const stdin = process.stdin.isTTY ? undefined : await readStdin();
  const env = process.env.NEARNATIVE_PASSPHRASE ? { NEARNATIVE_PASSPHRASE: process.env.NEARNATIVE_PASSPHRASE } : {};
  const result = await runner.run(['nearnative', ...argv].slice(1), { files, env, stdin, collect: output ? [output] : [] });
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  if (output && result.exitCode === 0 && result.files[output]) await writeFile(output, result.files[output]);
  await runner.close();
  return result.exitCode;
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2));
}
