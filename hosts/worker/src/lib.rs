//! The Worker adapter: `nearnative_edge` behind wasm-bindgen, driven by `js/worker.mjs`
//! (which owns `fetch`, the request body stream and the Response). One JS↔Wasm crossing per
//! body chunk; routing, limits and JSON all come from the edge crate, as on wasi:http.

use nearnative_edge::{Config, Job, Reply, RequestHead};
use wasm_bindgen::prelude::*;

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// A finished reply as the JS side needs it to build a `Response`.
#[wasm_bindgen]
pub struct EdgeReply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
}

#[wasm_bindgen]
impl EdgeReply {
    #[wasm_bindgen(getter)]
    pub fn status(&self) -> u16 {
        self.status
    }

    #[wasm_bindgen(getter, js_name = contentType)]
    pub fn content_type(&self) -> String {
        self.content_type.to_owned()
    }

    /// Moves the body out (a second call returns an empty array).
    #[wasm_bindgen(js_name = takeBody)]
    pub fn take_body(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.body)
    }

    /// Extra headers as `[name, value, name, value, ...]`.
    #[wasm_bindgen(getter)]
    pub fn headers(&self) -> Vec<String> {
        self.headers.iter().flat_map(|(n, v)| [(*n).to_owned(), v.clone()]).collect()
    }
}

impl From<Reply> for EdgeReply {
    fn from(reply: Reply) -> Self {
        EdgeReply { status: reply.status, content_type: reply.content_type, body: reply.body, headers: reply.headers }
    }
}

fn fail(reply: Reply) -> JsValue {
    JsValue::from(EdgeReply::from(reply))
}

/// One request in progress; errors are thrown as an [`EdgeReply`] to send as it is.
#[wasm_bindgen]
pub struct EdgeJob {
    job: Option<Job>,
}

#[wasm_bindgen]
impl EdgeJob {
    /// `headers` is `[name, value, ...]`; `env` is `[name, value, ...]` of the Worker's
    /// `NEARNATIVE_*` bindings.
    pub fn start(method: &str, target: &str, headers: Vec<String>, env: Vec<String>) -> Result<EdgeJob, JsValue> {
        let lookup = |name: &str| env.chunks(2).find(|pair| pair[0] == name).and_then(|pair| pair.get(1).cloned());
        let config = Config::from_env("workerd", now_ms, lookup)
            .map_err(|e| fail(nearnative_edge::ApiError::internal(format!("server configuration: {e}")).into()))?;
        let mut head = RequestHead::new(method, target);
        for pair in headers.chunks(2) {
            if let [name, value] = pair {
                head.add_header(name, value);
            }
        }
        let job = nearnative_edge::start(&config, &head).map_err(|e| fail(e.into()))?;
        Ok(EdgeJob { job: Some(job) })
    }

    /// The content type to send at once when the reply streams (`undefined` otherwise).
    #[wasm_bindgen(js_name = streamsReply)]
    pub fn streams_reply(&self) -> Option<String> {
        self.job.as_ref().and_then(Job::streams_reply).map(str::to_owned)
    }

    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<u8>, JsValue> {
        let job = self.job.as_mut().ok_or_else(finished)?;
        job.push(chunk).map_err(|e| {
            self.job = None;
            fail(e.into())
        })
    }

    pub fn finish(&mut self) -> Result<EdgeReply, JsValue> {
        let job = self.job.take().ok_or_else(finished)?;
        job.finish().map(EdgeReply::from).map_err(|e| fail(e.into()))
    }
}

fn finished() -> JsValue {
    fail(nearnative_edge::ApiError::internal("this request was already answered").into())
}
