// Runs a program for a test: resolves to { code, signal, stdout: Buffer, stderr: Buffer }.
import { spawn } from 'node:child_process';

export function exec(cmd, args, { cwd, input, env = {}, timeout = 120_000 } = {}) {
  const fullEnv = { ...process.env, ...env };
  // A passphrase left in the caller's environment would change what -p does.
  if (!('NEARNATIVE_PASSPHRASE' in env)) delete fullEnv.NEARNATIVE_PASSPHRASE;
  return new Promise((resolve, reject) => {
    // detached: a new session without a controlling terminal, so nothing can prompt on the
    // terminal the tests were started from (a -p without passphrase must fail, not hang).
    const child = spawn(cmd, args, { cwd, env: fullEnv, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out = [];
    const err = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
    child.stdin.on('error', () => {}); // the program may exit without reading stdin
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}
