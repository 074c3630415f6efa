# workerd configuration for nearnative's Worker: `workerd serve config.capnp` from this
# directory serves the API on 127.0.0.1:8787 (override with --socket-addr http=HOST:PORT).
# The compatibility date is pinned to the workerd release in package.json: workerd refuses
# dates newer than itself.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "nearnative", worker = .nearnative)],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "nearnative")],
);

const nearnative :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "nearnative_worker.js", esModule = embed "nearnative_worker.js"),
    (name = "nearnative_worker_bg.wasm", wasm = embed "nearnative_worker_bg.wasm"),
  ],
  compatibilityDate = "2026-11-17",
  # The same NEARNATIVE_* variables as every other host; see crates/edge/src/config.rs.
  bindings = [
    (name = "NEARNATIVE_MAX_BUFFERED_BYTES", text = "67108864"),
    (name = "NEARNATIVE_TIME_LIMIT_MS", text = "30000"),
    (name = "NEARNATIVE_MEMORY_BUDGET_MIB", text = "64"),
  ],
);
