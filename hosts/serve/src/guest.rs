//! The wasmtime side: engine configuration, the per-request store and its limits, and how a
//! failed guest call is classified.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter, Store, Trap, UpdateDeadline,
};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::{RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

use crate::Limits;

/// How often the epoch advances. The epoch is only checked, never waited on, so a short tick
/// costs one atomic increment per tick; it bounds both how late a timeout fires and how long a
/// busy guest holds a tokio worker before yielding to other requests.
const EPOCH_TICK: Duration = Duration::from_millis(10);

// Per-component pool sizes. A Rust wasm32-wasip2 component has one main module with one memory
// and one table, plus the shim and fixup modules that wit-component adds for indirect lowering;
// these bounds leave room for that with margin, and cost only address space when unused.
const CORE_INSTANCES_PER_COMPONENT: u32 = 16;
const MEMORIES_PER_COMPONENT: u32 = 2;
const TABLES_PER_COMPONENT: u32 = 8;

pub(crate) fn engine(limits: &Limits) -> wasmtime::Result<Engine> {
    let n = limits.max_instances;
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(n)
        .total_core_instances(n * CORE_INSTANCES_PER_COMPONENT)
        .max_core_instances_per_component(CORE_INSTANCES_PER_COMPONENT)
        .total_memories(n * MEMORIES_PER_COMPONENT)
        .max_memories_per_component(MEMORIES_PER_COMPONENT)
        .total_tables(n * TABLES_PER_COMPONENT)
        .max_tables_per_component(TABLES_PER_COMPONENT)
        // One fiber runs instantiation, then one runs the handler: at most one live per request.
        .total_stacks(n)
        // No `linear_memory_keep_resident`/`table_keep_resident`: they make instantiation ~10%
        // faster (fewer page faults) but the memset at every deallocation costs more than it
        // saves: 1 MiB lost ~30% of GET /v1/health throughput under wrk here, 4 MiB likewise.
        .max_memory_size(limits.memory_bytes);
    let mut config = Config::new();
    config.epoch_interruption(true).allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config)
}

/// A linker with everything `wasmtime serve -Scli` gives a component: the wasi:cli command world
/// (Rust std needs it) plus wasi:http.
pub(crate) fn proxy_pre(engine: &Engine, component: &Component) -> wasmtime::Result<ProxyPre<GuestState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    let pre = linker.instantiate_pre(component)?;
    ProxyPre::new(pre)
}

/// Everything a request's store owns.
pub(crate) struct GuestState {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: NoOutgoingRequests,
    limiter: MemoryLimiter,
}

impl GuestState {
    /// The last memory growth this request's limit refused, if any.
    pub(crate) fn refused_memory(&mut self) -> Option<MemoryLimitExceeded> {
        self.limiter.refused.take()
    }
}

impl WasiView for GuestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for GuestState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.hooks }
    }
}

/// Builds the store for one request. Its deadline starts now.
pub(crate) fn new_store(engine: &Engine, env: &[(String, String)], limits: &Limits) -> Store<GuestState> {
    let wasi = WasiCtxBuilder::new().args(&["nearnative-http"]).envs(env).inherit_stdout().inherit_stderr().build();
    let state = GuestState {
        table: ResourceTable::new(),
        wasi,
        http: WasiHttpCtx::new(),
        hooks: NoOutgoingRequests,
        limiter: MemoryLimiter { limit: limits.memory_bytes, refused: None },
    };
    let mut store = Store::new(engine, state);
    store.limiter(|state| &mut state.limiter);
    let deadline = limits.time.map(|limit| Instant::now() + limit);
    // Yielding at every tick keeps a CPU-bound request from starving the others on the same
    // worker thread; the deadline check turns the same tick into the time limit.
    store.epoch_deadline_callback(move |_| match deadline {
        Some(deadline) if Instant::now() >= deadline => Err(TimeLimitExceeded.into()),
        _ => Ok(UpdateDeadline::Yield(1)),
    });
    store.set_epoch_deadline(1);
    store
}

/// Advances the engine's epoch until dropped.
pub(crate) struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EpochTicker {
    pub(crate) fn start(engine: &Engine) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        // A weak handle, so the ticker never keeps the engine (and its pool) alive.
        let weak = engine.weak();
        let thread = std::thread::Builder::new().name("epoch-ticker".into()).spawn({
            let stop = stop.clone();
            move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match weak.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            }
        })?;
        Ok(Self { stop, thread: Some(thread) })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The guest ran past its wall-clock limit (raised from the epoch callback).
#[derive(Debug)]
pub(crate) struct TimeLimitExceeded;

impl fmt::Display for TimeLimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the request exceeded its time limit")
    }
}

impl std::error::Error for TimeLimitExceeded {}

/// The guest asked for more linear memory than its limit.
#[derive(Debug)]
pub(crate) struct MemoryLimitExceeded {
    desired: usize,
    limit: usize,
}

impl fmt::Display for MemoryLimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the request tried to grow its memory to {} MiB, over the limit of {} MiB",
            self.desired.div_ceil(1 << 20),
            self.limit >> 20
        )
    }
}

impl std::error::Error for MemoryLimitExceeded {}

/// Refuses a `memory.grow` past the limit the way wasmtime's own limit does: the instruction
/// returns -1, so the guest's fallible allocations report `limit_exceeded` themselves, as they
/// do under `wasmtime serve`. The refusal is remembered, so that when an infallible allocation
/// aborts instead (a bare `unreachable` trap), the request is still told it ran out of memory.
struct MemoryLimiter {
    limit: usize,
    refused: Option<MemoryLimitExceeded>,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.limit || maximum.is_some_and(|max| desired > max) {
            let limit = maximum.map_or(self.limit, |max| max.min(self.limit));
            self.refused = Some(MemoryLimitExceeded { desired, limit });
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(maximum.is_none_or(|max| desired <= max))
    }
}

/// Our component makes no outgoing requests; a host that allowed them would let any request
/// reach the network on the server's behalf.
struct NoOutgoingRequests;

type IoFuture = Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>;
type SendResult = Result<(hyper::Response<WasiBody>, IoFuture), wasmtime_wasi_http::Error>;

impl WasiHttpHooks for NoOutgoingRequests {
    fn send_request(
        &mut self,
        _request: hyper::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: IoFuture,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) })
    }
}

/// What went wrong in a guest call, as the client will see it.
pub(crate) enum Failure {
    Timeout,
    Memory(String),
    Trap(String),
}

/// `refused`: the memory growth the limit refused during the call, if any. Rust's allocation
/// failure aborts with `unreachable` and says no more, so that trap after a refusal is put
/// down to memory; any other trap stays a bug, whatever was refused before it.
pub(crate) fn classify(error: &wasmtime::Error, refused: Option<MemoryLimitExceeded>) -> Failure {
    if error.downcast_ref::<TimeLimitExceeded>().is_some() || error.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
        return Failure::Timeout;
    }
    if let Some(memory) = refused.filter(|_| error.downcast_ref::<Trap>() == Some(&Trap::UnreachableCodeReached)) {
        return Failure::Memory(memory.to_string());
    }
    let message = match error.downcast_ref::<Trap>() {
        Some(trap) => format!("the component trapped: {trap}"),
        None => format!("the component failed: {}", error.root_cause()),
    };
    Failure::Trap(message)
}
