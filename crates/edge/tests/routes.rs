//! The router's contract, request by request: statuses, codes and bodies. Kernel outputs
//! are checked against published values (FIPS 180-2 "abc", RFC 4231 case 2, RFC 5869 case 1);
//! the full vector suites run through the HTTP hosts in tests/conformance.

use nearnative_edge::{start, ApiError, Config, Reply, RequestHead};
use serde_json::Value;

fn clock() -> f64 {
    0.0
}

fn config() -> Config {
    let mut config = Config::new("test", clock);
    config.test_routes = false;
    config
}

/// Runs one request through the router, the body in `chunk`-byte pieces.
fn run(config: &Config, head: RequestHead, body: &[u8], chunk: usize) -> Reply {
    let mut job = match start(config, &head) {
        Ok(job) => job,
        Err(err) => return err.into(),
    };
    let mut streamed = Vec::new();
    for piece in body.chunks(chunk.max(1)) {
        match job.push(piece) {
            Ok(out) => streamed.extend(out),
            Err(err) => return err.into(),
        }
    }
    match job.finish() {
        Ok(mut reply) => {
            streamed.extend(reply.body);
            reply.body = streamed;
            reply
        }
        Err(err) => err.into(),
    }
}

fn post(path: &str) -> RequestHead {
    RequestHead::new("POST", path).with_header("Content-Type", "application/octet-stream")
}

fn json(reply: &Reply) -> Value {
    serde_json::from_slice(&reply.body).unwrap()
}

fn error_code(reply: &Reply) -> String {
    json(reply)["error"]["code"].as_str().unwrap().to_owned()
}

#[test]
fn hash_streams_and_names_the_canonical_algorithm() {
    for chunk in [1, 2, 64] {
        let reply = run(&config(), post("/v1/hash/SHA-256"), b"abc", chunk);
        assert_eq!(reply.status, 200);
        assert_eq!(
            json(&reply),
            serde_json::json!({"algo": "sha256", "hex": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"})
        );
    }
}

#[test]
fn hmac_takes_its_key_from_a_header() {
    let head = post("/v1/hmac/hmac-sha256").with_header("nearnative-key", "4a656665");
    let reply = run(&config(), head, b"what do ya want for nothing?", 7);
    assert_eq!(json(&reply)["hex"], "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    let missing = run(&config(), post("/v1/hmac/sha256"), b"x", 1);
    assert_eq!((missing.status, error_code(&missing).as_str()), (400, "invalid_input"));
}

#[test]
fn kdf_reads_json_parameters() {
    let head =
        RequestHead::new("POST", "/v1/kdf/hkdf-sha256").with_header("content-type", "application/json; charset=utf-8");
    let body = br#"{"ikm_hex":"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b","salt_hex":"000102030405060708090a0b0c","info_hex":"f0f1f2f3f4f5f6f7f8f9","length":42}"#;
    let reply = run(&config(), head.clone(), body, 10);
    assert_eq!(
        json(&reply)["hex"],
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    );
    let typo = run(&config(), head.clone(), br#"{"ikm":"00","length":1}"#, 64);
    assert_eq!(typo.status, 400);
    let wrong_type = run(&config(), post("/v1/kdf/hkdf-sha256"), body, 64);
    assert_eq!((wrong_type.status, error_code(&wrong_type).as_str()), (415, "unsupported_media_type"));
    let argon = RequestHead::new("POST", "/v1/kdf/argon2id").with_header("content-type", "application/json");
    let greedy = br#"{"password_hex":"00","salt_hex":"0000000000000000","memory_kib":4194304,"iterations":1,"parallelism":1,"length":32}"#;
    let refused = run(&config(), argon, greedy, 64);
    assert_eq!((refused.status, error_code(&refused).as_str()), (422, "limit_exceeded"));
}

#[test]
fn aead_round_trips_and_reports_tampering() {
    let key = "00".repeat(32);
    let nonce = "00".repeat(12);
    let with_keys = |path: &str| post(path).with_header("nearnative-key", &key).with_header("nearnative-nonce", &nonce);
    let sealed = run(&config(), with_keys("/v1/aead/chacha20-poly1305/seal"), b"attack at dawn", 3);
    assert_eq!(sealed.status, 200);
    assert_eq!(sealed.body.len(), 14 + 16);
    let opened = run(&config(), with_keys("/v1/aead/chacha20-poly1305/open"), &sealed.body, 5);
    assert_eq!(opened.body, b"attack at dawn");
    let mut tampered = sealed.body.clone();
    tampered[0] ^= 1;
    let refused = run(&config(), with_keys("/v1/aead/chacha20-poly1305/open"), &tampered, 5);
    assert_eq!((refused.status, error_code(&refused).as_str()), (422, "auth_failed"));
}

#[test]
fn encrypt_streams_a_file_the_identity_decrypts() {
    let pair = nearnative_hash::agefile::generate();
    let plaintext: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let head = post(&format!("/v1/encrypt?recipient={}", pair.recipient));
    let mut job = start(&config(), &head).unwrap();
    assert_eq!(job.streams_reply(), Some("application/octet-stream"));
    let mut file = Vec::new();
    let mut streamed_before_end = 0;
    for piece in plaintext.chunks(70_000) {
        let out = job.push(piece).unwrap();
        streamed_before_end += out.len();
        file.extend(out);
    }
    file.extend(job.finish().unwrap().body);
    assert!(streamed_before_end > 0, "ciphertext must flow before the body ends");
    use nearnative_hash::agefile::ExposeSecret;
    let identity = pair.identity.expose_secret().to_owned();
    let opened = run(&config(), post("/v1/decrypt").with_header("nearnative-identity", &identity), &file, 4096);
    assert_eq!(opened.status, 200);
    assert_eq!(opened.body, plaintext);
    let garbage = run(&config(), post("/v1/decrypt").with_header("nearnative-identity", &identity), b"not age", 4);
    assert_eq!((garbage.status, error_code(&garbage).as_str()), (400, "invalid_input"));
}

#[test]
fn client_mistakes_are_4xx_with_codes() {
    let cases: &[(RequestHead, u16, &str)] = &[
        (post("/v1/hash/md5"), 404, "unsupported"),
        (post("/v1/hash/sha256/extra"), 404, "not_found"),
        (post("/v1/hash/"), 404, "not_found"),
        (post("/v1/hash/sha%2D256"), 404, "not_found"),
        (post("/nope"), 404, "not_found"),
        (post(""), 404, "not_found"),
        (RequestHead::new("GET", "/v1/hash/sha256"), 405, "method_not_allowed"),
        (RequestHead::new("POST", "/v1/health"), 405, "method_not_allowed"),
        (post("/v1/hash/sha256?x=1"), 400, "invalid_input"),
        (post("/v1/hash/sha256").with_header("content-length", "ten"), 400, "invalid_input"),
        (
            RequestHead::new("POST", "/v1/hash/sha256")
                .with_header("content-type", "application/x-www-form-urlencoded"),
            415,
            "unsupported_media_type",
        ),
        (post("/v1/encrypt"), 400, "invalid_input"),
        (post("/v1/encrypt?recipient=age1nope"), 400, "invalid_input"),
        (post("/v1/encrypt?recipients=age1x"), 400, "invalid_input"),
        (post("/v1/decrypt"), 400, "invalid_input"),
        (post("/v1/aead/aes-256-gcm/seal").with_header("nearnative-key", "zz"), 400, "invalid_input"),
        (post("/v1/aead/rot13/seal"), 404, "unsupported"),
        (post("/v1/_test/trap"), 404, "not_found"),
    ];
    for (head, status, code) in cases {
        let reply = run(&config(), head.clone(), b"", 1);
        assert_eq!(
            (reply.status, error_code(&reply).as_str()),
            (*status, *code),
            "{} {}?{}",
            head.method,
            head.path,
            head.query
        );
        assert_eq!(reply.content_type, "application/json");
    }
    let reply = run(&config(), RequestHead::new("GET", "/v1/hash/sha256"), b"", 1);
    assert_eq!(reply.headers, vec![("allow", "POST".to_owned())]);
}

#[test]
fn body_limits_answer_413_before_and_while_reading() {
    let mut small = config();
    small.max_body_bytes = 10;
    let declared = post("/v1/hash/sha256").with_header("content-length", "11");
    let err: ApiError = start(&small, &declared).err().unwrap();
    assert_eq!((err.status, err.code), (413, "limit_exceeded"));
    let reply = run(&small, post("/v1/hash/sha256"), &[0; 11], 4);
    assert_eq!(reply.status, 413);
    assert_eq!(run(&small, post("/v1/hash/sha256"), &[0; 10], 4).status, 200);
}

#[test]
fn time_limit_answers_503() {
    fn late() -> f64 {
        use std::sync::atomic::{AtomicU64, Ordering};
        static CALLS: AtomicU64 = AtomicU64::new(0);
        (CALLS.fetch_add(1, Ordering::Relaxed) * 1000) as f64
    }
    let mut config = Config::new("test", late);
    config.time_limit_ms = 1500;
    let reply = run(&config, post("/v1/hash/sha256"), &[0; 100], 10);
    assert_eq!((reply.status, error_code(&reply).as_str()), (503, "timeout"));
}

#[test]
fn health_describes_the_deployment() {
    let reply = run(&config(), RequestHead::new("GET", "/v1/health"), b"", 1);
    let body = json(&reply);
    assert_eq!(body["name"], "nearnative");
    assert_eq!(body["host"], "test");
    assert!(body["algorithms"]["hash"].as_array().unwrap().iter().any(|a| a == "blake3"));
    assert_eq!(body["limits"]["max_body_bytes"], 4u64 << 30);
}
