// A small static file server for the playground, the browser tests and the browser benches.
// Serves the repository root read-only on 127.0.0.1 with the headers Wasm pages want
// (application/wasm, and COOP/COEP so threaded builds can use SharedArrayBuffer later).
//
//   node playground/serve.mjs [--port N]     (0 picks a free port)
//   import { startServer } from './serve.mjs'; const { url, close } = await startServer({ port: 0 });

import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.txt': 'text/plain; charset=utf-8', '.md': 'text/plain; charset=utf-8', '.ts': 'text/plain',
};

// Only these top-level folders are served; nothing else of the checkout leaves the machine.
const SERVED = ['playground', 'dist', 'node_modules', 'bench', 'tests'];

export async function startServer({ port = 0, host = '127.0.0.1', root = ROOT } = {}) {
  const server = createServer(async (req, res) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
    try {
      let path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      if (path === '/') {
        res.writeHead(302, { Location: '/playground/' });
        return res.end();
      }
      if (path.endsWith('/')) path += 'index.html';
      const file = normalize(join(root, path));
      const top = path.split('/')[1];
      if (!file.startsWith(root + sep) || !SERVED.includes(top)) throw Object.assign(new Error('not served'), { status: 404 });
      const info = await stat(file);
      if (!info.isFile()) throw Object.assign(new Error('not a file'), { status: 404 });
      const body = await readFile(file);
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch (err) {
      res.writeHead(err.status ?? (err.code === 'ENOENT' ? 404 : 500), { ...headers, 'Content-Type': 'text/plain' });
      res.end(err.code === 'ENOENT' || err.status === 404 ? 'not found\n' : 'error\n');
    }
  });
  await new Promise((ok, fail) => server.once('error', fail).listen(port, host, ok));
  const { port: bound } = server.address();
  // closeAllConnections: a browser's keep-alive connections must not hold close() open.
  const close = () => new Promise((ok) => (server.close(ok), server.closeAllConnections()));
  return { url: `http://${host}:${bound}`, port: bound, close };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--port');
  const port = i > 0 ? Number(process.argv[i + 1]) : 8137;
  let server;
  try {
    server = await startServer({ port });
  } catch (err) {
    console.error(err.code === 'EADDRINUSE' ? `port ${port} is in use: pass --port N (0 picks a free one)` : String(err));
    process.exit(1);
  }
  console.log(`nearnative playground: ${server.url}/playground/  (Ctrl-C to stop)`);
  const stop = () => server.close().then(() => (console.log('\nstopped'), process.exit(0)));
  process.once('SIGINT', stop).once('SIGTERM', stop);
}
