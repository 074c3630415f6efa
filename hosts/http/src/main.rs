//! The wasi:http adapter: translates wasi:http requests into `nearnative_edge` jobs and
//! streams their replies back. Everything the API does is in `crates/edge`; this file only
//! moves bytes between the host and the router, and serves the demo page when asked to.
//!
//! Configuration comes from the environment (`wasmtime serve --env`, Spin's `environment`,
//! a Worker's vars): the `NEARNATIVE_*` variables of `nearnative_edge::ENV_VARS`, plus
//! `NEARNATIVE_SITE`, a preopened directory whose files are served for non-API paths.

#[cfg(target_os = "wasi")]
mod wasi {
    use futures_lite::stream;
    use http_body_util::BodyExt as _;
    use nearnative_edge::{ApiError, Config, Job, Reply, RequestHead};
    use wstd::http::body::{Body, Bytes};
    use wstd::http::{Request, Response};

    pub type BodyStream = http_body_util::combinators::UnsyncBoxBody<Bytes, wstd::http::Error>;

    pub fn config() -> Result<Config, ApiError> {
        Config::from_env("wasi-http", nearnative_edge::instant_clock, |name| std::env::var(name).ok())
            .map_err(|e| ApiError::internal(format!("server configuration: {e}")))
    }

    pub fn head(request: &Request<Body>) -> RequestHead {
        let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
        let mut head = RequestHead::new(request.method().as_str(), target);
        for (name, value) in request.headers() {
            // A header that is not text cannot be one the router reads; keep it out.
            if let Ok(value) = value.to_str() {
                head.add_header(name.as_str(), value);
            }
        }
        head
    }

    pub fn respond(reply: Reply) -> Response<Body> {
        let mut builder = Response::builder().status(reply.status).header("content-type", reply.content_type);
        for (name, value) in &reply.headers {
            builder = builder.header(*name, value.as_str());
        }
        builder.body(Body::from(reply.body)).unwrap_or_else(|_| Response::new(Body::empty()))
    }

    /// The next piece of the request body; `None` at its end.
    async fn next_chunk(body: &mut BodyStream) -> Option<Result<Bytes, ApiError>> {
        loop {
            match body.frame().await? {
                Ok(frame) => match frame.into_data() {
                    Ok(data) => return Some(Ok(data)),
                    Err(_trailers) => continue,
                },
                Err(e) => return Some(Err(ApiError::bad_request(format!("reading the request body failed: {e}")))),
            }
        }
    }

    /// Reads the whole body through the job, then replies.
    pub async fn run_to_end(mut job: Job, mut body: BodyStream) -> Reply {
        while let Some(chunk) = next_chunk(&mut body).await {
            if let Err(err) = chunk.and_then(|data| job.push(&data)) {
                return err.into();
            }
        }
        job.finish().unwrap_or_else(Reply::from)
    }

    /// Replies at once and streams the job's output while the body streams in. A failure
    /// after the status went out ends the stream with an error, which aborts the response:
    /// the client sees a truncated body, never a complete-looking one.
    pub fn run_streaming(job: Job, body: BodyStream, content_type: &'static str) -> Response<Body> {
        let chunks = stream::unfold(Some((job, body)), |state| async move {
            let (mut job, mut body) = state?;
            loop {
                match next_chunk(&mut body).await {
                    Some(chunk) => match chunk.and_then(|data| job.push(&data)) {
                        Ok(out) if out.is_empty() => continue,
                        Ok(out) => return Some((Ok(Bytes::from(out)), Some((job, body)))),
                        Err(err) => return Some((Err(err), None)),
                    },
                    None => {
                        return match job.finish() {
                            Ok(reply) => Some((Ok(Bytes::from(reply.body)), None)),
                            Err(err) => Some((Err(err), None)),
                        }
                    }
                }
            }
        });
        Response::builder()
            .status(200)
            .header("content-type", content_type)
            .body(Body::from_try_stream(chunks))
            .unwrap_or_else(|_| Response::new(Body::empty()))
    }

    /// Serves a file below `NEARNATIVE_SITE` (the demo page), with the headers the page's
    /// Wasm wants.
    pub fn site(root: &str, path: &str) -> Response<Body> {
        let found = nearnative_edge::site_file(path).and_then(|(relative, content_type)| {
            Some((std::fs::read(format!("{root}/{relative}")).ok()?, content_type))
        });
        let Some((bytes, content_type)) = found else {
            return respond(ApiError::not_found(format!("no file {path}")).into());
        };
        Response::builder()
            .status(200)
            .header("content-type", content_type)
            .header("cross-origin-opener-policy", "same-origin")
            .header("cross-origin-embedder-policy", "require-corp")
            .header("cache-control", "no-store")
            .body(Body::from(bytes))
            .unwrap_or_else(|_| Response::new(Body::empty()))
    }
}

#[cfg(target_os = "wasi")]
#[wstd::http_server]
async fn main(
    request: wstd::http::Request<wstd::http::body::Body>,
) -> Result<wstd::http::Response<wstd::http::body::Body>, wstd::http::Error> {
    let head = wasi::head(&request);
    if !head.path.starts_with("/v1/") && (head.method == "GET" || head.method == "HEAD") {
        if let Ok(root) = std::env::var("NEARNATIVE_SITE") {
            return Ok(wasi::site(&root, &head.path));
        }
    }
    let started = wasi::config().and_then(|config| nearnative_edge::start(&config, &head));
    let job = match started {
        Ok(job) => job,
        Err(err) => return Ok(wasi::respond(err.into())),
    };
    let body = request.into_body().into_boxed_body();
    Ok(match job.streams_reply() {
        Some(content_type) => wasi::run_streaming(job, body, content_type),
        None => wasi::respond(wasi::run_to_end(job, body).await),
    })
}

#[cfg(not(target_os = "wasi"))]
fn main() {
    eprintln!(
        "nearnative-http is a wasi:http component: build it with --target wasm32-wasip2 and serve it with \
         `wasmtime serve -Scli` or `nearnative serve`"
    );
    std::process::exit(2);
}
