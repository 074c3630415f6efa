use std::io::Write;
use std::sync::{Arc, Mutex};

use nearnative_core::{Error, ErrorCode};
use nearnative_hash::aead::{self, AeadAlgorithm};
use nearnative_hash::agefile::{self, EncryptWriter, Recipients, Secret};
use nearnative_hash::kdf::{self, Argon2Params};
use nearnative_hash::{from_hex, to_hex, Algorithm, Hasher, Mac, MacAlgorithm};
use serde_json::{json, Map, Value};

use crate::query::Query;
use crate::{ApiError, Config, RequestHead};

const JSON: &str = "application/json";
const BYTES: &str = "application/octet-stream";
/// KDF parameters are a few hundred bytes; anything much larger is not a parameter object.
const MAX_KDF_BODY: u64 = 64 << 10;

/// A complete reply: what a host sends when the job is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// Extra headers (`Allow` on a 405).
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub(crate) fn json(value: Value) -> Reply {
        let mut body = serde_json::to_vec(&value).unwrap_or_default();
        body.push(b'\n');
        Reply { status: 200, content_type: JSON, body, headers: Vec::new() }
    }

    fn bytes(body: Vec<u8>) -> Reply {
        Reply { status: 200, content_type: BYTES, body, headers: Vec::new() }
    }
}

impl From<ApiError> for Reply {
    fn from(err: ApiError) -> Reply {
        let headers = err.allow.map(|allow| vec![("allow", allow.to_owned())]).unwrap_or_default();
        Reply { status: err.status, content_type: JSON, body: err.to_json(), headers }
    }
}

/// One request in progress. Created by [`start`] from the request head, fed the body with
/// [`Job::push`], completed by [`Job::finish`].
pub struct Job {
    work: Work,
    received: u64,
    body_limit: u64,
    body_limit_for: &'static str,
    deadline: Option<f64>,
    time_limit_ms: u64,
    clock: crate::Clock,
}

enum Work {
    /// Answered from the head alone; the body (if any) is ignored.
    Ready(Reply),
    Hash(Hasher),
    Hmac(MacAlgorithm, Mac),
    Encrypt(EncryptWriter<Sink>, Sink),
    /// Needs the whole body; `then` runs on it in `finish`.
    Buffered(Vec<u8>, Buffered),
}

enum Buffered {
    Kdf(KdfKind, u64),
    Aead {
        algorithm: AeadAlgorithm,
        seal: bool,
        key: Vec<u8>,
        nonce: Vec<u8>,
        aad: Vec<u8>,
    },
    DecryptIdentities(String),
    DecryptPassphrase(String),
    /// `POST /v1/image`: the decoder needs the whole file.
    Image(Box<nearnative_image::Job>),
    ImageInfo,
}

#[derive(Clone, Copy)]
enum KdfKind {
    Hkdf(MacAlgorithm),
    Pbkdf2Sha256,
    Argon2id,
}

impl KdfKind {
    fn name(self) -> &'static str {
        match self {
            KdfKind::Hkdf(MacAlgorithm::HmacSha224) => "hkdf-sha224",
            KdfKind::Hkdf(MacAlgorithm::HmacSha256) => "hkdf-sha256",
            KdfKind::Hkdf(MacAlgorithm::HmacSha384) => "hkdf-sha384",
            KdfKind::Hkdf(MacAlgorithm::HmacSha512) => "hkdf-sha512",
            KdfKind::Pbkdf2Sha256 => "pbkdf2-sha256",
            KdfKind::Argon2id => "argon2id",
        }
    }

    const ALL: [KdfKind; 6] = [
        KdfKind::Hkdf(MacAlgorithm::HmacSha224),
        KdfKind::Hkdf(MacAlgorithm::HmacSha256),
        KdfKind::Hkdf(MacAlgorithm::HmacSha384),
        KdfKind::Hkdf(MacAlgorithm::HmacSha512),
        KdfKind::Pbkdf2Sha256,
        KdfKind::Argon2id,
    ];
}

/// Where streamed ciphertext collects until the host takes it; shared because the age
/// writer owns its output.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Sink {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Routes a request by its head. `Err` is the reply to send at once (the body need not be
/// read); `Ok` is a job that wants the body.
pub fn start(config: &Config, head: &RequestHead) -> Result<Job, ApiError> {
    let segments: Vec<&str> = head.path.strip_prefix('/').unwrap_or("\u{0}").split('/').collect();
    let method = head.method.as_str();
    let post_only = |allow: &'static str| -> Result<(), ApiError> {
        if method == allow {
            Ok(())
        } else {
            Err(ApiError::method_not_allowed(method, &head.path, allow))
        }
    };
    let (work, streamed) = match segments.as_slice() {
        ["v1", "health"] => {
            post_only("GET")?;
            no_query(head)?;
            (Work::Ready(health(config)), true)
        }
        ["v1", "hash", algo] => {
            post_only("POST")?;
            no_query(head)?;
            raw_body(head)?;
            let algorithm: Algorithm = path_name(algo)?.parse().map_err(not_found_name)?;
            (Work::Hash(Hasher::new(algorithm)), true)
        }
        ["v1", "hmac", algo] => {
            post_only("POST")?;
            no_query(head)?;
            raw_body(head)?;
            let algorithm: MacAlgorithm = path_name(algo)?.parse().map_err(not_found_name)?;
            let key = hex_header(head, "nearnative-key")?
                .ok_or_else(|| ApiError::bad_request("send the HMAC key as hex in the nearnative-key header"))?;
            (Work::Hmac(algorithm, Mac::new(algorithm, &key)), true)
        }
        ["v1", "kdf", name] => {
            post_only("POST")?;
            no_query(head)?;
            json_body(head)?;
            let wanted = path_name(name)?.to_ascii_lowercase();
            let kind = KdfKind::ALL.into_iter().find(|k| k.name() == wanted).ok_or_else(|| {
                let names: Vec<_> = KdfKind::ALL.iter().map(|k| k.name()).collect();
                ApiError::new(404, "unsupported", format!("unknown KDF '{name}'; choose one of: {}", names.join(", ")))
            })?;
            (Work::Buffered(Vec::new(), Buffered::Kdf(kind, config.memory_budget.max_bytes)), false)
        }
        ["v1", "aead", algo, direction @ ("seal" | "open")] => {
            post_only("POST")?;
            no_query(head)?;
            raw_body(head)?;
            let algorithm: AeadAlgorithm = path_name(algo)?.parse().map_err(not_found_name)?;
            let key = hex_header(head, "nearnative-key")?
                .ok_or_else(|| ApiError::bad_request("send the key as hex in the nearnative-key header"))?;
            let nonce = hex_header(head, "nearnative-nonce")?
                .ok_or_else(|| ApiError::bad_request("send the nonce as hex in the nearnative-nonce header"))?;
            let aad = hex_header(head, "nearnative-aad")?.unwrap_or_default();
            let seal = *direction == "seal";
            (Work::Buffered(Vec::new(), Buffered::Aead { algorithm, seal, key, nonce, aad }), false)
        }
        ["v1", "encrypt"] => {
            post_only("POST")?;
            raw_body(head)?;
            (encrypt(config, head)?, true)
        }
        ["v1", "decrypt"] => {
            post_only("POST")?;
            no_query(head)?;
            raw_body(head)?;
            (decrypt(head)?, false)
        }
        ["v1", "image"] => {
            post_only("POST")?;
            raw_body(head)?;
            (Work::Buffered(Vec::new(), Buffered::Image(Box::new(crate::image::route_job(&head.query)?))), false)
        }
        ["v1", "image", "info"] => {
            post_only("POST")?;
            no_query(head)?;
            raw_body(head)?;
            (Work::Buffered(Vec::new(), Buffered::ImageInfo), false)
        }
        ["v1", "_test", what] if config.test_routes => (test_route(config, head, what)?, true),
        _ => {
            return Err(ApiError::not_found(format!(
                "no route {} {}; see GET /v1/health for what this server offers",
                head.method, head.path
            )))
        }
    };
    let (body_limit, body_limit_for) = match &work {
        Work::Buffered(_, Buffered::Kdf(..)) => (MAX_KDF_BODY, "KDF parameters"),
        Work::Buffered(..) => (config.max_buffered_bytes, "routes that hold the whole body"),
        _ => (config.max_body_bytes, "streamed bodies"),
    };
    debug_assert!(streamed || matches!(work, Work::Buffered(..)));
    if let Some(length) = head.content_length()? {
        if length > body_limit {
            return Err(ApiError::body_too_large(body_limit, body_limit_for));
        }
    }
    let now = (config.clock)();
    Ok(Job {
        work,
        received: 0,
        body_limit,
        body_limit_for,
        deadline: (config.time_limit_ms > 0).then_some(now + config.time_limit_ms as f64),
        time_limit_ms: config.time_limit_ms,
        clock: config.clock,
    })
}

impl Job {
    /// `Some(content type)` when the reply streams out while the body streams in: the host
    /// sends status 200 with this type first, then what each [`Job::push`] and
    /// [`Job::finish`] return. An error after that point can only abort the response, which
    /// the client sees as a truncated body, never as a complete one.
    pub fn streams_reply(&self) -> Option<&'static str> {
        match &self.work {
            Work::Encrypt(..) => Some(BYTES),
            _ => None,
        }
    }

    /// Feeds the next piece of the body; returns reply bytes ready to send (streaming jobs).
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<u8>, ApiError> {
        self.received += chunk.len() as u64;
        if self.received > self.body_limit {
            return Err(ApiError::body_too_large(self.body_limit, self.body_limit_for));
        }
        self.check_time()?;
        match &mut self.work {
            Work::Ready(_) => {}
            Work::Hash(hasher) => {
                hasher.update(chunk);
            }
            Work::Hmac(_, mac) => {
                mac.update(chunk);
            }
            Work::Encrypt(writer, sink) => {
                writer.write(chunk)?;
                return Ok(sink.take());
            }
            Work::Buffered(buffer, _) => buffer.extend_from_slice(chunk),
        }
        Ok(Vec::new())
    }

    /// Ends the body. For a streaming job the reply's body is the rest of the stream.
    pub fn finish(self) -> Result<Reply, ApiError> {
        self.check_time()?;
        Ok(match self.work {
            Work::Ready(reply) => reply,
            Work::Hash(hasher) => {
                let algo = hasher.algorithm().to_string();
                Reply::json(json!({"algo": algo, "hex": to_hex(&hasher.finalize())}))
            }
            Work::Hmac(algorithm, mac) => {
                Reply::json(json!({"algo": algorithm.name(), "hex": to_hex(&mac.finalize())}))
            }
            Work::Encrypt(writer, sink) => {
                writer.finish()?;
                Reply::bytes(sink.take())
            }
            Work::Buffered(body, then) => run_buffered(body, then)?,
        })
    }

    fn check_time(&self) -> Result<(), ApiError> {
        match self.deadline {
            Some(deadline) if (self.clock)() > deadline => Err(ApiError::timeout(self.time_limit_ms)),
            _ => Ok(()),
        }
    }
}

fn run_buffered(body: Vec<u8>, then: Buffered) -> Result<Reply, ApiError> {
    Ok(match then {
        Buffered::Kdf(kind, memory_budget) => {
            let output = run_kdf(kind, &body, memory_budget)?;
            Reply::json(json!({"algo": kind.name(), "hex": to_hex(&output)}))
        }
        Buffered::Aead { algorithm, seal, key, nonce, aad } => Reply::bytes(if seal {
            aead::seal(algorithm, &key, &nonce, &aad, &body)?
        } else {
            aead::open(algorithm, &key, &nonce, &aad, &body)?
        }),
        Buffered::DecryptIdentities(text) => {
            let identities = agefile::parse_identities(&text)?;
            Reply::bytes(agefile::decrypt(Secret::Identities(&identities), body.as_slice(), Vec::new())?)
        }
        Buffered::DecryptPassphrase(passphrase) => {
            Reply::bytes(agefile::decrypt(Secret::Passphrase(&passphrase), body.as_slice(), Vec::new())?)
        }
        Buffered::Image(job) => crate::image::run(&job, &body)?,
        Buffered::ImageInfo => crate::image::info(&body)?,
    })
}

fn run_kdf(kind: KdfKind, body: &[u8], memory_budget: u64) -> Result<Vec<u8>, ApiError> {
    let params: Map<String, Value> = match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(ApiError::bad_request("the KDF parameters must be a JSON object")),
        Err(e) => return Err(ApiError::bad_request(format!("the KDF parameters are not valid JSON: {e}"))),
    };
    let fields = KdfFields { params: &params, kind };
    Ok(match kind {
        KdfKind::Hkdf(algorithm) => {
            fields.only(&["ikm_hex", "salt_hex", "info_hex", "length"])?;
            kdf::hkdf(
                algorithm,
                &fields.hex("ikm_hex", true)?,
                &fields.hex("salt_hex", false)?,
                &fields.hex("info_hex", false)?,
                fields.number("length")? as usize,
            )?
        }
        KdfKind::Pbkdf2Sha256 => {
            fields.only(&["password_hex", "salt_hex", "rounds", "length"])?;
            kdf::pbkdf2_sha256(
                &fields.hex("password_hex", true)?,
                &fields.hex("salt_hex", true)?,
                fields.number("rounds")?,
                fields.number("length")? as usize,
            )?
        }
        KdfKind::Argon2id => {
            fields.only(&[
                "password_hex",
                "salt_hex",
                "memory_kib",
                "iterations",
                "parallelism",
                "length",
                "secret_hex",
                "ad_hex",
            ])?;
            let params = Argon2Params {
                memory_kib: fields.number("memory_kib")?,
                iterations: fields.number("iterations")?,
                parallelism: fields.number("parallelism")?,
                output_len: fields.number("length")? as usize,
                secret: fields.hex("secret_hex", false)?,
                associated_data: fields.hex("ad_hex", false)?,
            };
            let budget = nearnative_core::MemoryBudget { max_bytes: memory_budget };
            kdf::argon2id(&fields.hex("password_hex", true)?, &fields.hex("salt_hex", true)?, &params, budget)?
        }
    })
}

struct KdfFields<'a> {
    params: &'a Map<String, Value>,
    kind: KdfKind,
}

impl KdfFields<'_> {
    fn only(&self, allowed: &[&str]) -> Result<(), ApiError> {
        match self.params.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(unknown) => Err(ApiError::bad_request(format!(
                "{} takes no field '{unknown}'; its fields are: {}",
                self.kind.name(),
                allowed.join(", ")
            ))),
            None => Ok(()),
        }
    }

    fn hex(&self, name: &str, required: bool) -> Result<Vec<u8>, ApiError> {
        match self.params.get(name) {
            Some(Value::String(text)) => Ok(from_hex(name, text)?),
            Some(_) => Err(ApiError::bad_request(format!("'{name}' must be a hex string"))),
            None if required => Err(ApiError::bad_request(format!("{} needs '{name}'", self.kind.name()))),
            None => Ok(Vec::new()),
        }
    }

    fn number(&self, name: &str) -> Result<u32, ApiError> {
        let value = self
            .params
            .get(name)
            .ok_or_else(|| ApiError::bad_request(format!("{} needs '{name}'", self.kind.name())))?;
        value
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| ApiError::bad_request(format!("'{name}' must be a whole number below 2^32, got {value}")))
    }
}

fn encrypt(config: &Config, head: &RequestHead) -> Result<Work, ApiError> {
    let query = Query::parse(&head.query, &["recipient", "armor", "work_factor"])?;
    let armor = query.flag("armor")?;
    let sink = Sink::default();
    let writer = match head.header("nearnative-passphrase") {
        Some(passphrase) => {
            if query.all("recipient").next().is_some() {
                return Err(ApiError::bad_request("give recipients or a passphrase, not both"));
            }
            let work_factor = match query.one("work_factor")? {
                None => agefile::DEFAULT_SCRYPT_WORK_FACTOR,
                Some(text) => text
                    .parse()
                    .map_err(|_| ApiError::bad_request(format!("work_factor={text} is not a number from 1 to 22")))?,
            };
            // scrypt needs 128 * 2^N * r(8) bytes; refuse what the deployment's budget cannot hold.
            config.memory_budget.check("the scrypt work factor", 1024u64 << work_factor)?;
            EncryptWriter::new(Recipients::Passphrase { passphrase, work_factor }, armor, sink.clone())?
        }
        None => {
            if query.one("work_factor").ok().flatten().is_some() {
                return Err(ApiError::bad_request("work_factor applies only with a nearnative-passphrase header"));
            }
            let recipients = query.all("recipient").map(agefile::parse_recipient).collect::<Result<Vec<_>, _>>()?;
            if recipients.is_empty() {
                return Err(ApiError::bad_request(
                    "name at least one recipient (?recipient=age1...) or send a nearnative-passphrase header",
                ));
            }
            EncryptWriter::new(Recipients::Keys(&recipients), armor, sink.clone())?
        }
    };
    Ok(Work::Encrypt(writer, sink))
}

fn decrypt(head: &RequestHead) -> Result<Work, ApiError> {
    let identities: Vec<&str> = head.header_all("nearnative-identity").collect();
    match (identities.is_empty(), head.header("nearnative-passphrase")) {
        (false, Some(_)) => {
            Err(ApiError::bad_request("send a nearnative-identity or a nearnative-passphrase, not both"))
        }
        (true, None) => Err(ApiError::bad_request(
            "send the identity (AGE-SECRET-KEY-1...) in a nearnative-identity header, or a nearnative-passphrase",
        )),
        (true, Some(passphrase)) => Ok(Work::Buffered(Vec::new(), Buffered::DecryptPassphrase(passphrase.to_owned()))),
        (false, None) => {
            // Several identities may come as repeated headers or comma-separated in one.
            let text = identities.iter().flat_map(|v| v.split(',')).map(str::trim).collect::<Vec<_>>().join("\n");
            Ok(Work::Buffered(Vec::new(), Buffered::DecryptIdentities(text)))
        }
    }
}

fn test_route(config: &Config, head: &RequestHead, what: &str) -> Result<Work, ApiError> {
    let query = Query::parse(&head.query, &["ms", "mib", "infallible"])?;
    let number = |name: &str| -> Result<u64, ApiError> {
        query
            .one(name)?
            .unwrap_or("0")
            .parse()
            .map_err(|_| ApiError::bad_request(format!("'{name}' must be a whole number")))
    };
    match what {
        "trap" => panic!("trap requested through /v1/_test/trap"),
        "spin" => {
            // Busy, not sleeping: only a host that can interrupt running code stops this.
            let until = (config.clock)() + number("ms")? as f64;
            let mut spins = 0u64;
            while (config.clock)() < until {
                spins = std::hint::black_box(spins + 1);
            }
            Ok(Work::Ready(Reply::json(json!({"spins": spins}))))
        }
        "alloc" => {
            let bytes = number("mib")? << 20;
            let block = if number("infallible")? == 1 {
                // As a dependency's allocation would: a refusal aborts the guest (a trap).
                vec![1u8; bytes as usize]
            } else {
                let mut block = Vec::<u8>::new();
                block.try_reserve_exact(bytes as usize).map_err(|_| {
                    ApiError::new(422, ErrorCode::LimitExceeded.as_str(), format!("could not allocate {bytes} bytes"))
                })?;
                block.resize(bytes as usize, 1);
                block
            };
            let touched: u64 = block.iter().step_by(4096).map(|&b| u64::from(b)).sum();
            Ok(Work::Ready(Reply::json(json!({"touched_pages": touched}))))
        }
        _ => Err(ApiError::not_found(format!("no test route '{what}'; there are trap, spin and alloc"))),
    }
}

fn health(config: &Config) -> Reply {
    let features = nearnative_core::features();
    Reply::json(json!({
        "name": "nearnative",
        "version": env!("CARGO_PKG_VERSION"),
        "host": config.host,
        "build": {"target_arch": features.target_arch, "simd128": features.simd128},
        "algorithms": {
            "hash": Algorithm::names().collect::<Vec<_>>(),
            "hmac": MacAlgorithm::ALL.iter().map(|a| a.name()).collect::<Vec<_>>(),
            "kdf": KdfKind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>(),
            "aead": AeadAlgorithm::ALL.iter().map(|a| a.name()).collect::<Vec<_>>(),
        },
        "image": crate::image::health(),
        "limits": {
            "max_body_bytes": config.max_body_bytes,
            "max_buffered_bytes": config.max_buffered_bytes,
            "time_limit_ms": config.time_limit_ms,
            "memory_budget_bytes": config.memory_budget.max_bytes,
        },
    }))
}

fn no_query(head: &RequestHead) -> Result<(), ApiError> {
    Query::parse(&head.query, &[]).map(|_| ())
}

/// Raw-byte routes hash or encrypt exactly the bytes sent; a form encoding would change
/// them, so form bodies are refused rather than silently digested in encoded form.
fn raw_body(head: &RequestHead) -> Result<(), ApiError> {
    let media = media_type(head);
    if matches!(media.as_str(), "application/x-www-form-urlencoded" | "multipart/form-data") {
        return Err(ApiError::unsupported_media_type(format!(
            "this route takes the raw bytes, not {media}; send Content-Type: application/octet-stream \
             (with curl: -H 'content-type: application/octet-stream' --data-binary @FILE)"
        )));
    }
    Ok(())
}

fn json_body(head: &RequestHead) -> Result<(), ApiError> {
    let media = media_type(head);
    if media != "application/json" {
        let sent = if media.is_empty() { "no Content-Type".to_owned() } else { media };
        return Err(ApiError::unsupported_media_type(format!(
            "this route takes JSON parameters; send Content-Type: application/json (got {sent})"
        )));
    }
    Ok(())
}

fn media_type(head: &RequestHead) -> String {
    head.header("content-type").unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

fn path_name(segment: &str) -> Result<&str, ApiError> {
    if segment.is_empty() || !segment.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(ApiError::not_found(format!("'{segment}' is not an algorithm name")));
    }
    Ok(segment)
}

fn not_found_name(err: Error) -> ApiError {
    ApiError { status: 404, ..ApiError::from(err) }
}

fn hex_header(head: &RequestHead, name: &str) -> Result<Option<Vec<u8>>, ApiError> {
    head.header(name).map(|text| from_hex(name, text).map_err(ApiError::from)).transpose()
}
