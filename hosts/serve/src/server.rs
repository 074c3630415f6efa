//! The HTTP side: start-up checks, the accept loop, one store and instance per request, the
//! mapping of guest failures to JSON errors, and graceful shutdown.

use std::convert::Infallible;
use std::io::Write;
use std::path::Path;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::{Response, StatusCode};
use nearnative_core::ErrorCode;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{oneshot, watch, Semaphore};
use tokio::task::JoinSet;
use wasmtime::Engine;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::WasiHttpView;

use crate::guest::{self, Failure, GuestState, TimeLimitExceeded};
use crate::{cache, Limits, ServeArgs};

/// What every request needs, built once at start-up.
struct Shared {
    engine: Engine,
    pre: ProxyPre<GuestState>,
    env: Vec<(String, String)>,
    limits: Limits,
    /// Requests beyond the pool's size wait here instead of failing to instantiate.
    instances: Arc<Semaphore>,
}

pub(crate) async fn serve(args: ServeArgs, limits: Limits) -> Result<()> {
    let wasm = read_component(&args.component)?;
    let engine = guest::engine(&limits).map_err(anyhow::Error::from).context("configuring wasmtime")?;
    let cache_dir = if args.no_cache {
        None
    } else {
        let preferred = args.cache_dir.clone().unwrap_or_else(|| cache::default_dir(&args.component));
        cache::usable_dir(preferred, &args.component)
    };
    let component = cache::load(&engine, &wasm, cache_dir.as_deref(), &args.component).map_err(|e| {
        invalid_input(format!("{} is not a valid WebAssembly component: {e:#}", args.component.display()))
    })?;
    let pre = guest::proxy_pre(&engine, &component).map_err(|e| {
        invalid_input(format!(
            "{} is not a wasi:http proxy component this server can run (it must export \
             wasi:http/incoming-handler and import only wasi:cli and wasi:http): {e:#}",
            args.component.display()
        ))
    })?;

    // Instantiating once now turns a pool too small for the component, or a start function that
    // traps, into a start-up error instead of a failure of every request.
    let mut store = guest::new_store(&engine, &args.env, &limits);
    pre.instantiate_async(&mut store)
        .await
        .map_err(anyhow::Error::from)
        .with_context(|| format!("instantiating {}", args.component.display()))?;
    drop(store);

    let _ticker = guest::EpochTicker::start(&engine).context("starting the epoch thread")?;
    let listener = bind(args.addr).with_context(|| format!("cannot listen on {}", args.addr))?;
    let local = listener.local_addr()?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on http://{local}")?;
        stdout.flush()?;
    }

    let shared = Arc::new(Shared {
        engine,
        pre,
        env: args.env,
        instances: Arc::new(Semaphore::new(limits.max_instances as usize)),
        limits,
    });
    let (stop_sender, stop) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut signal = pin!(shutdown_signal());
    loop {
        tokio::select! {
            _ = &mut signal => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // The guest writes whole JSON bodies; Nagle would only delay them.
                    let _ = stream.set_nodelay(true);
                    connections.spawn(serve_connection(stream, shared.clone(), stop.clone()));
                }
                Err(e) => {
                    // Typically EMFILE: back off instead of spinning on the same error.
                    eprintln!("nearnative serve: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }

    drop(listener);
    let _ = stop_sender.send(true);
    while connections.try_join_next().is_some() {}
    if connections.is_empty() {
        return Ok(());
    }
    eprintln!(
        "nearnative serve: stopping; waiting up to {} ms for {} open connection(s) (signal again to stop now)",
        args.shutdown_timeout_ms,
        connections.len()
    );
    let drained = tokio::select! {
        _ = async { while connections.join_next().await.is_some() {} } => true,
        _ = tokio::time::sleep(Duration::from_millis(args.shutdown_timeout_ms)) => false,
        _ = shutdown_signal() => false,
    };
    if !drained {
        eprintln!("nearnative serve: {} connection(s) cut off at shutdown", connections.len());
        connections.abort_all();
    }
    Ok(())
}

fn invalid_input(message: String) -> anyhow::Error {
    nearnative_core::Error::invalid_input(message).into()
}

/// Reads the component, with errors that say what to do rather than wasmtime's parse errors.
fn read_component(path: &Path) -> Result<Vec<u8>> {
    let wasm = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => invalid_input(format!(
            "component not found: {} (build it with `cargo xtask build`, or pass --component PATH)",
            path.display()
        )),
        _ => nearnative_core::Error::io(format!("cannot read {}: {e}", path.display())).into(),
    })?;
    if wasm.len() < 8 || &wasm[..4] != b"\0asm" {
        return Err(invalid_input(format!("{} is not a WebAssembly file", path.display())));
    }
    if wasm[4..8] == [1, 0, 0, 0] {
        return Err(invalid_input(format!(
            "{} is a core WebAssembly module, not a component: build it for wasm32-wasip2",
            path.display()
        )));
    }
    Ok(wasm)
}

fn bind(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    // Lets a restarted server rebind while old connections sit in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let service = hyper::service::service_fn(move |request| handle(shared.clone(), request));
    let mut connection = pin!(http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service));
    // Errors here are the client's (a reset, a malformed request) and are answered by hyper.
    let _ = tokio::select! {
        result = connection.as_mut() => result,
        // `map` drops the watch guard, which must not live across the await below.
        _ = async { stop.wait_for(|stop| *stop).await.map(|_| ()) } => {
            // Finishes the request in progress, then closes instead of waiting for the next one.
            connection.as_mut().graceful_shutdown();
            connection.as_mut().await
        }
    };
}

async fn handle(
    shared: Arc<Shared>,
    request: hyper::Request<Incoming>,
) -> Result<Response<HyperOutgoingBody>, Infallible> {
    let Ok(permit) = shared.instances.clone().acquire_owned().await else {
        return Ok(json_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the server is shutting down"));
    };
    // Kept for the log line of a failed request; formatting it for every request would cost more.
    let (method, uri) = (request.method().clone(), request.uri().clone());
    let mut store = guest::new_store(&shared.engine, &shared.env, &shared.limits);
    let (sender, receiver) = oneshot::channel();
    let resources = store
        .data_mut()
        .http()
        .new_incoming_request(Scheme::Http, request)
        .and_then(|request| Ok((request, store.data_mut().http().new_response_outparam(sender)?)));
    let (request, response_out) = match resources {
        Ok(resources) => resources,
        Err(e) => return Ok(json_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidInput.as_str(), &format!("{e:#}"))),
    };

    let pre = shared.pre.clone();
    let time_limit = shared.limits.time;
    // Reported to the client as `Server-Timing: instantiate;dur=MS`, which is how the edge
    // benchmark reads the per-request instantiation cost without instrumenting the server.
    let instantiate_nanos = Arc::new(AtomicU64::new(0));
    let instantiate_written = instantiate_nanos.clone();
    // A task of its own, because the guest keeps running after it has sent the response head:
    // it streams the body, and hyper sends it while this request's future has already returned.
    let task = tokio::spawn(async move {
        let run = async {
            let started = Instant::now();
            let proxy = pre.instantiate_async(&mut store).await?;
            instantiate_written.store(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
            proxy.wasi_http_incoming_handler().call_handle(&mut store, request, response_out).await
        };
        // The epoch callback stops a guest that computes past its deadline; this stops one that
        // waits past it (on a slow upload, say), which no epoch check can see.
        let result = match time_limit {
            Some(limit) => tokio::time::timeout(limit, run).await.unwrap_or_else(|_| Err(TimeLimitExceeded.into())),
            None => run.await,
        };
        let refused = store.data_mut().refused_memory();
        // The store goes back to the pool before another request may take its place.
        drop(store);
        drop(permit);
        if let Err(e) = &result {
            eprintln!("nearnative serve: {method} {}: {e:#}", uri.path());
        }
        result.map_err(|e| guest::classify(&e, refused))
    });

    Ok(match receiver.await {
        Ok(Ok(mut response)) => {
            let millis = instantiate_nanos.load(Ordering::Relaxed) as f64 / 1e6;
            if let Ok(value) = hyper::header::HeaderValue::from_str(&format!("instantiate;dur={millis:.4}")) {
                response.headers_mut().append("server-timing", value);
            }
            response
        }
        Ok(Err(code)) => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal.as_str(),
            &format!("the component answered with the wasi:http error {code:?}"),
        ),
        // The response sender was dropped with the store: the guest ended without answering.
        Err(_) => match task.await {
            Ok(Err(failure)) => match failure {
                Failure::Timeout => json_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "timeout",
                    &format!(
                        "the request did not finish within the time limit of {} ms",
                        time_limit.map_or(0, |t| t.as_millis())
                    ),
                ),
                // As the guest answers a fallible allocation that the limit refused.
                Failure::Memory(message) => {
                    json_error(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::LimitExceeded.as_str(), &message)
                }
                Failure::Trap(message) => {
                    json_error(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal.as_str(), &message)
                }
            },
            Ok(Ok(())) => json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal.as_str(),
                "the component returned without sending a response",
            ),
            Err(e) => json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal.as_str(),
                &format!("the request task failed: {e}"),
            ),
        },
    })
}

fn json_error(status: StatusCode, code: &str, message: &str) -> Response<HyperOutgoingBody> {
    let body = serde_json::json!({ "error": { "code": code, "message": message } }).to_string();
    let mut response = Response::new(Full::new(Bytes::from(body)).map_err(|never| match never {}).boxed_unsync());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
    response
}
