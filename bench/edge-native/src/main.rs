//! `nearnative-edge-native [--addr 127.0.0.1:0]`: the same router and kernels as the wasi:http
//! component, compiled natively behind hyper, so `cargo xtask bench edge` can show what the
//! Wasm hosts cost against no Wasm at all. Prints `listening on http://ADDR` first.
//!
//! A baseline, not a product: a streaming reply (age encryption) is collected and sent at the
//! end rather than streamed; everything the benchmark measures behaves as in the component.

use std::convert::Infallible;

use anyhow::Context;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use nearnative_edge::{Config, Reply, RequestHead};

fn reply(reply: Reply) -> Response<Full<Bytes>> {
    let mut builder = Response::builder().status(reply.status).header("content-type", reply.content_type);
    for (name, value) in &reply.headers {
        builder = builder.header(*name, value.as_str());
    }
    builder.body(Full::new(Bytes::from(reply.body))).unwrap_or_default()
}

async fn handle(config: &Config, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
    let mut head = RequestHead::new(request.method().as_str(), target);
    for (name, value) in request.headers() {
        if let Ok(value) = value.to_str() {
            head.add_header(name.as_str(), value);
        }
    }
    let mut job = match nearnative_edge::start(config, &head) {
        Ok(job) => job,
        Err(err) => return reply(err.into()),
    };
    let mut body = request.into_body();
    let mut streamed = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return reply(nearnative_edge::ApiError::bad_request("reading the request body failed").into());
        };
        if let Ok(data) = frame.into_data() {
            match job.push(&data) {
                Ok(out) => streamed.extend(out),
                Err(err) => return reply(err.into()),
            }
        }
    }
    match job.finish() {
        Ok(mut done) => {
            streamed.extend(done.body);
            done.body = streamed;
            reply(done)
        }
        Err(err) => reply(err.into()),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr = match args.as_slice() {
        [] => "127.0.0.1:0".to_owned(),
        [flag, addr] if flag == "--addr" => addr.clone(),
        _ => anyhow::bail!("usage: nearnative-edge-native [--addr HOST:PORT]"),
    };
    let config = Config::from_env("native", nearnative_edge::instant_clock, |name| std::env::var(name).ok())
        .map_err(anyhow::Error::msg)?;
    let config: &'static Config = Box::leak(Box::new(config));
    let listener = tokio::net::TcpListener::bind(&addr).await.with_context(|| format!("binding {addr}"))?;
    println!("listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(
                    move |request| async move { Ok::<_, Infallible>(handle(config, request).await) },
                );
            // A client that hangs up mid-request is its own business.
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}
