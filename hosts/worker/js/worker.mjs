// nearnative's HTTP API as a Cloudflare Worker (module syntax). The Wasm is imported as a
// compiled WebAssembly.Module, as Workers require (no compilation of bytes at run time, no
// eval); routing, limits and JSON errors come from the same Rust router as the wasi:http
// component (crates/edge), so both answer every request identically.
import wasmModule from './nearnative_worker_bg.wasm';
import { initSync, EdgeJob, EdgeReply, __wbg_reset_state } from './nearnative_worker.js';

initSync({ module: wasmModule });

// The router reads these names; a Worker gets them as `vars` (wrangler.toml) or bindings.
const ENV_NAMES = [
  'NEARNATIVE_MAX_BODY_BYTES', 'NEARNATIVE_MAX_BUFFERED_BYTES', 'NEARNATIVE_TIME_LIMIT_MS',
  'NEARNATIVE_MEMORY_BUDGET_MIB', 'NEARNATIVE_TEST_ROUTES',
];

function envPairs(env) {
  const pairs = [];
  for (const name of ENV_NAMES) if (env?.[name] != null) pairs.push(name, String(env[name]));
  return pairs;
}

function toResponse(reply) {
  const headers = new Headers({ 'content-type': reply.contentType });
  const extra = reply.headers;
  for (let i = 0; i + 1 < extra.length; i += 2) headers.set(extra[i], extra[i + 1]);
  const { status } = reply;
  const body = reply.takeBody();
  reply.free();
  return new Response(body, { status, headers });
}

/** A trap leaves the instance's memory in an unknown state: start the next request fresh. */
function trapped(err) {
  if (!(err instanceof WebAssembly.RuntimeError)) return null;
  __wbg_reset_state();
  const message = `the request trapped inside Wasm (${err.message}); the instance was reset`;
  return Response.json({ error: { code: 'internal', message } }, { status: 500 });
}

function failure(err) {
  if (err instanceof EdgeReply) return toResponse(err);
  const reset = trapped(err);
  if (reset) return reset;
  return Response.json({ error: { code: 'internal', message: String(err?.message ?? err) } }, { status: 500 });
}

async function runToEnd(job, body) {
  if (body) {
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      try {
        job.push(value);
      } catch (err) {
        await reader.cancel().catch(() => {});
        throw err;
      }
    }
  }
  return toResponse(job.finish());
}

/** The reply streams while the request body streams in (age encryption). */
function streaming(job, body, contentType) {
  const reader = body?.getReader();
  const out = new ReadableStream({
    async pull(controller) {
      try {
        for (;;) {
          const next = reader ? await reader.read() : { done: true };
          if (next.done) {
            const reply = job.finish();
            const rest = reply.takeBody();
            reply.free();
            job.free();
            if (rest.length) controller.enqueue(rest);
            controller.close();
            return;
          }
          const piece = job.push(next.value);
          if (piece.length) {
            controller.enqueue(piece);
            return;
          }
        }
      } catch (err) {
        // Status 200 is already sent: erroring the stream aborts the response, so the client
        // sees a truncated body, never a complete-looking one.
        if (err instanceof EdgeReply) err.free();
        else trapped(err);
        reader?.cancel().catch(() => {});
        controller.error(err);
      }
    },
    cancel() {
      reader?.cancel().catch(() => {});
    },
  });
  return new Response(out, { status: 200, headers: { 'content-type': contentType } });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const headers = [];
    for (const [name, value] of request.headers) headers.push(name, value);
    let job;
    try {
      job = EdgeJob.start(request.method, url.pathname + url.search, headers, envPairs(env));
    } catch (err) {
      return failure(err);
    }
    const contentType = job.streamsReply();
    if (contentType) return streaming(job, request.body, contentType);
    try {
      return await runToEnd(job, request.body);
    } catch (err) {
      return failure(err);
    } finally {
      try { job.free(); } catch { /* already freed, or the instance was reset */ }
    }
  },
};
