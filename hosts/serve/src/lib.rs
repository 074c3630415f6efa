//! `nearnative serve`: a native HTTP server for the nearnative wasi:http component.
//!
//! It does what `wasmtime serve -Scli` does, tuned for production use of one known component:
//! the component is compiled ahead of time and cached on disk ([`cache`]), instances come from
//! wasmtime's pooling allocator, and every request gets its own store and instance with a memory
//! and a wall-clock limit ([`guest`]). A trap, a timeout or an exhausted memory limit ends that
//! request only, as a JSON error in the project's format ([`server`]).

mod cache;
mod guest;
mod server;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};

/// Serve the wasi:http component over HTTP/1.1 (native only).
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "The first line on stdout is `listening on http://ADDR` once the server accepts \
    connections (useful with `--addr 127.0.0.1:0`). A request that exceeds the time limit gets 503 \
    {\"error\":{\"code\":\"timeout\",...}}; one that needs more memory than --memory-limit-mib gets 422 \
    {\"error\":{\"code\":\"limit_exceeded\",...}}; any other trap gets 500 \
    {\"error\":{\"code\":\"internal\",...}}. SIGINT or SIGTERM stops accepting connections and lets \
    in-flight requests finish.")]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub addr: SocketAddr,
    /// The wasi:http proxy component to serve.
    #[arg(long, default_value = "dist/http/nearnative-http.wasm", value_name = "PATH")]
    pub component: PathBuf,
    /// Wall-clock limit per request, from instantiation to the end of the response body; 0 for none.
    /// A backstop: keep it above the guest's own NEARNATIVE_TIME_LIMIT_MS so the guest can answer first.
    #[arg(long, default_value_t = 120_000, value_name = "MS")]
    pub time_limit_ms: u64,
    /// Linear memory limit per request. Keep it above the guest's own memory budget plus its buffers.
    #[arg(long, default_value_t = 512, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub memory_limit_mib: u64,
    /// Instances that may run at once; further requests wait for a free one.
    #[arg(long, default_value_t = 64, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub max_instances: u32,
    /// Where compiled components are cached [default: the user cache dir, else `.nearnative-cache`
    /// next to the component].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Compile the component at every start instead of using the on-disk cache.
    #[arg(long, conflicts_with = "cache_dir")]
    pub no_cache: bool,
    /// An environment variable for the guest (repeatable); `NAME` alone passes this process's value.
    #[arg(long = "env", value_name = "NAME[=VALUE]", value_parser = parse_env)]
    pub env: Vec<(String, String)>,
    /// After SIGINT/SIGTERM, how long in-flight requests may take before the server exits anyway.
    #[arg(long, default_value_t = 10_000, value_name = "MS")]
    pub shutdown_timeout_ms: u64,
}

fn parse_env(text: &str) -> Result<(String, String), String> {
    let (name, value) = match text.split_once('=') {
        Some((name, value)) => (name, value.to_owned()),
        None => (text, std::env::var(text).map_err(|_| format!("`{text}` is not set in this environment"))?),
    };
    if name.is_empty() {
        return Err(format!("`{text}`: the variable name is empty"));
    }
    Ok((name.to_owned(), value))
}

/// Options after validation, shared by the server's parts.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    pub time: Option<Duration>,
    pub memory_bytes: usize,
    pub max_instances: u32,
}

/// Runs the server until SIGINT/SIGTERM and the end of the in-flight requests.
pub fn run(args: ServeArgs) -> Result<()> {
    let limits = Limits {
        time: (args.time_limit_ms > 0).then(|| Duration::from_millis(args.time_limit_ms)),
        memory_bytes: usize::try_from(args.memory_limit_mib << 20).context("--memory-limit-mib is too large")?,
        max_instances: args.max_instances,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(server::serve(args, limits))
}
