//! nearnative's HTTP API, written once for every edge host: the wasi:http component
//! (`wasmtime serve`, Spin, Fastly, `nearnative serve`), the Cloudflare Worker and the native
//! reference server of the benchmark. Hosts translate their request type into a
//! [`RequestHead`], call [`start`], feed the body through [`Job::push`] as it arrives and send
//! what [`Job::finish`] returns; the routing, validation, limits and JSON live here.
//!
//! | route | body | reply |
//! |---|---|---|
//! | `GET /v1/health` | - | `{"name","version","host","build","algorithms","limits"}` |
//! | `POST /v1/hash/{algo}` | bytes, streamed | `{"algo","hex"}` |
//! | `POST /v1/hmac/{algo}` + `nearnative-key: HEX` | bytes, streamed | `{"algo","hex"}` |
//! | `POST /v1/kdf/{hkdf-sha256,...,pbkdf2-sha256,argon2id}` | JSON parameters | `{"algo","hex"}` |
//! | `POST /v1/aead/{algo}/{seal,open}` + `nearnative-key`, `nearnative-nonce`, `nearnative-aad` | bytes | bytes |
//! | `POST /v1/encrypt?recipient=age1...[&armor=true]` or `nearnative-passphrase` | bytes, streamed | age file, streamed |
//! | `POST /v1/decrypt` + `nearnative-identity` or `nearnative-passphrase` | age file | plaintext |
//! | `POST /v1/image?resize=800x&fit=cover&format=webp&quality=80` (the CLI's step vocabulary) | image file | image file, `x-image-width`/`-height` |
//! | `POST /v1/image/info` | image file | `{"format","width","height","channels","bit_depth",...}` |
//!
//! Every failure is `{"error":{"code","message"}}` with a 4xx status for a client mistake
//! (see [`ApiError`]); a 5xx means a bug or a limit of the server.
//!
//! **Invariant:** no I/O and no host bindings; the host owns sockets, clocks and files.

mod config;
mod error;
mod image;
mod job;
mod query;

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub use config::instant_clock;
pub use config::{Clock, Config, ENV_VARS};
pub use error::ApiError;
pub use image::image_job;
pub use job::{start, Job, Reply};

/// What a host knows about a request before its body arrives.
#[derive(Debug, Clone, Default)]
pub struct RequestHead {
    pub method: String,
    /// The path without the query, as sent (`/v1/hash/sha256`).
    pub path: String,
    /// The raw query string without `?` (empty when there is none).
    pub query: String,
    /// Header names lowercased; repeated headers appear repeatedly.
    pub headers: Vec<(String, String)>,
}

impl RequestHead {
    pub fn new(method: &str, path_and_query: &str) -> Self {
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        RequestHead { method: method.to_owned(), path: path.to_owned(), query: query.to_owned(), headers: Vec::new() }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.add_header(name, value);
        self
    }

    pub fn add_header(&mut self, name: &str, value: &str) {
        self.headers.push((name.to_ascii_lowercase(), value.to_owned()));
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers.iter().filter(move |(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// `Content-Length`, when the client sent one.
    pub fn content_length(&self) -> Result<Option<u64>, ApiError> {
        match self.header("content-length") {
            None => Ok(None),
            Some(text) => text
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| ApiError::bad_request(format!("Content-Length {text:?} is not a number"))),
        }
    }
}

/// For hosts that also serve the demo page: maps a request path to a file below the site
/// root and its content type, refusing anything that could leave the root.
pub fn site_file(path: &str) -> Option<(String, &'static str)> {
    let relative = path.strip_prefix('/').unwrap_or(path);
    let relative = if relative.is_empty() || relative.ends_with('/') {
        format!("{relative}index.html")
    } else {
        relative.to_owned()
    };
    if relative.split('/').any(|segment| segment.is_empty() || segment.starts_with('.') || segment.contains('\\')) {
        return None;
    }
    let content_type = match relative.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("wasm") => "application/wasm",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
    Some((relative, content_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_paths_stay_below_the_root() {
        assert_eq!(site_file("/").unwrap().0, "index.html");
        assert_eq!(
            site_file("/playground/app.js").unwrap(),
            ("playground/app.js".into(), "text/javascript; charset=utf-8")
        );
        for bad in ["/../etc/passwd", "/a/../../b", "/.git/config", "//x", "/a\\..\\b"] {
            assert!(site_file(bad).is_none(), "{bad}");
        }
    }
}
