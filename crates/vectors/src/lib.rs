//! Conformance test vectors for `nearnative-hash`, and the runner that checks them.
//!
//! The vectors live in `tests/vectors/*.json` at the root of the repository, one file per set,
//! converted from official sources (NIST CAVP, RFC 4231/5869/7914/8439/9106, Project
//! Wycheproof, the BLAKE2 and BLAKE3 reference vectors, the age testkit); see
//! `tests/vectors/README.md`. Every host reads the same files, so the format is plain JSON:
//!
//! ```json
//! {"_comment": "...", "set": "sha2-cavp",
//!  "cases": [{"id": "SHA256ShortMsg/3", "op": "digest", "algorithm": "sha256",
//!             "input_hex": "...", "expected_hex": "..."}]}
//! ```
//!
//! [`run_set`] takes the JSON text of one file and checks every case against
//! `nearnative-hash`; [`embedded`] hands out every file of the directory, compiled in, so a
//! WASI build can run the whole suite without file access.
//!
//! What a case asks of the kernels is written once, against the [`Kernels`] trait:
//! [`RustKernels`] calls `nearnative-hash` directly, and any other implementation (the
//! Component Model library driven by an embedder, say) gets the same checks and the same
//! canonical lines through [`run_set_with`] and [`canonical_output_with`].
//!
//! **Invariant:** no file system access here; callers hand in JSON text.

use base64::Engine as _;
use nearnative_core::{Error, ErrorCode, MemoryBudget};
use nearnative_hash::aead::{self, AeadAlgorithm};
use nearnative_hash::agefile::{self, Secret};
use nearnative_hash::kdf;
use nearnative_hash::{to_hex, Algorithm, Hasher, Mac, MacAlgorithm};
use serde_json::Value;
use sha2::Digest as _;

pub use nearnative_hash::kdf::Argon2Params;

/// What a kernel call gives: bytes, or an error whose code every host prints the same way.
pub type KernelResult<T = Vec<u8>> = Result<T, Error>;

/// The key material of an `age_decrypt` case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgeSecret<'a> {
    /// An identity file: `AGE-SECRET-KEY-1...` lines (possibly none), as `age -i` reads it.
    Identities(&'a str),
    Passphrase(&'a str),
}

/// The kernel calls the vector cases make, by algorithm *name* as the vector files spell it,
/// so that an implementation behind a boundary (a component, a JS package) receives exactly
/// what the file says and makes its own decisions, unknown names included.
///
/// The streaming and verify methods have defaults for implementations without such an API;
/// [`RustKernels`] overrides them so that its own streaming paths are checked too.
pub trait Kernels {
    fn digest(&mut self, algorithm: &str, data: &[u8]) -> KernelResult;

    /// The digest of the concatenated `pieces`, fed one `update` per piece.
    fn digest_pieces(&mut self, algorithm: &str, pieces: &[&[u8]]) -> KernelResult {
        self.digest(algorithm, &pieces.concat())
    }

    fn hmac(&mut self, algorithm: &str, key: &[u8], data: &[u8]) -> KernelResult;

    /// The HMAC of the concatenated `pieces`, fed one `update` per piece.
    fn hmac_pieces(&mut self, algorithm: &str, key: &[u8], pieces: &[&[u8]]) -> KernelResult {
        self.hmac(algorithm, key, &pieces.concat())
    }

    /// The implementation's own tag check (a wrong tag must give `auth_failed`; truncated
    /// tags of at least 16 bytes must be accepted), or `None` when it has none, in which
    /// case that part of an `hmac` case is skipped rather than imitated here.
    fn hmac_verify(&mut self, _algorithm: &str, _key: &[u8], _data: &[u8], _tag: &[u8]) -> Option<KernelResult<()>> {
        None
    }

    fn hkdf(&mut self, algorithm: &str, ikm: &[u8], salt: &[u8], info: &[u8], length: usize) -> KernelResult;

    fn pbkdf2_sha256(&mut self, password: &[u8], salt: &[u8], rounds: u32, length: usize) -> KernelResult;

    fn argon2id(&mut self, password: &[u8], salt: &[u8], params: &Argon2Params) -> KernelResult;

    /// The ciphertext followed by the 16-byte tag.
    fn aead_seal(&mut self, algorithm: &str, key: &[u8], nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> KernelResult;

    fn aead_open(&mut self, algorithm: &str, key: &[u8], nonce: &[u8], aad: &[u8], sealed: &[u8]) -> KernelResult;

    /// Decrypts an age file into `plaintext`. A streaming implementation may have written
    /// whole authenticated chunks there before it fails; the testkit has a rule for exactly
    /// that, checked only when [`Kernels::streams_age_plaintext`] says so.
    fn age_decrypt(&mut self, secret: AgeSecret<'_>, file: &[u8], plaintext: &mut Vec<u8>) -> KernelResult<()>;

    /// Whether `age_decrypt` releases plaintext chunk by chunk (true) or all or nothing.
    fn streams_age_plaintext(&self) -> bool {
        false
    }
}

/// [`Kernels`] over `nearnative-hash`, called directly (natively or inside one wasm module).
#[derive(Debug, Clone, Copy, Default)]
pub struct RustKernels;

impl Kernels for RustKernels {
    fn digest(&mut self, algorithm: &str, data: &[u8]) -> KernelResult {
        Ok(nearnative_hash::digest(algorithm.parse()?, data))
    }

    fn digest_pieces(&mut self, algorithm: &str, pieces: &[&[u8]]) -> KernelResult {
        let mut hasher = Hasher::new(algorithm.parse::<Algorithm>()?);
        for piece in pieces {
            hasher.update(piece);
        }
        Ok(hasher.finalize())
    }

    fn hmac(&mut self, algorithm: &str, key: &[u8], data: &[u8]) -> KernelResult {
        Ok(nearnative_hash::hmac(algorithm.parse()?, key, data))
    }

    fn hmac_pieces(&mut self, algorithm: &str, key: &[u8], pieces: &[&[u8]]) -> KernelResult {
        let mut mac = Mac::new(algorithm.parse::<MacAlgorithm>()?, key);
        for piece in pieces {
            mac.update(piece);
        }
        Ok(mac.finalize())
    }

    fn hmac_verify(&mut self, algorithm: &str, key: &[u8], data: &[u8], tag: &[u8]) -> Option<KernelResult<()>> {
        let verify = || {
            let mut mac = Mac::new(algorithm.parse::<MacAlgorithm>()?, key);
            mac.update(data);
            mac.verify(tag)
        };
        Some(verify())
    }

    fn hkdf(&mut self, algorithm: &str, ikm: &[u8], salt: &[u8], info: &[u8], length: usize) -> KernelResult {
        kdf::hkdf(algorithm.parse()?, ikm, salt, info, length)
    }

    fn pbkdf2_sha256(&mut self, password: &[u8], salt: &[u8], rounds: u32, length: usize) -> KernelResult {
        kdf::pbkdf2_sha256(password, salt, rounds, length)
    }

    fn argon2id(&mut self, password: &[u8], salt: &[u8], params: &Argon2Params) -> KernelResult {
        kdf::argon2id(password, salt, params, MemoryBudget::DEFAULT)
    }

    fn aead_seal(&mut self, algorithm: &str, key: &[u8], nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> KernelResult {
        aead::seal(algorithm.parse::<AeadAlgorithm>()?, key, nonce, aad, plaintext)
    }

    fn aead_open(&mut self, algorithm: &str, key: &[u8], nonce: &[u8], aad: &[u8], sealed: &[u8]) -> KernelResult {
        aead::open(algorithm.parse::<AeadAlgorithm>()?, key, nonce, aad, sealed)
    }

    fn age_decrypt(&mut self, secret: AgeSecret<'_>, file: &[u8], plaintext: &mut Vec<u8>) -> KernelResult<()> {
        match secret {
            AgeSecret::Passphrase(p) => agefile::decrypt(Secret::Passphrase(p), file, plaintext).map(drop),
            AgeSecret::Identities(text) => {
                let identities = agefile::parse_identities(text)?;
                agefile::decrypt(Secret::Identities(&identities), file, plaintext).map(drop)
            }
        }
    }

    fn streams_age_plaintext(&self) -> bool {
        true
    }
}

/// What one case came to. `detail` says what was checked when the case passed, and what
/// differed when it did not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseOutcome {
    pub id: String,
    pub passed: bool,
    pub detail: String,
    /// What the kernel produced, in the canonical form every host prints (see
    /// [`canonical_output`]); hosts are compared with each other on it, byte for byte.
    pub output: String,
}

/// Cases that nearnative decides differently from the official vectors, each with the
/// reason: `(case id, why)`. They stay in the vector files and are still run (and reported as
/// failed by [`run_set`]); the crate's own test requires that exactly these fail, so a fix
/// upstream, or a new deviation, shows up at once. Both are documented behaviours of
/// the `age` crate (0.12), which its own testkit test exempts.
pub const KNOWN_DEVIATIONS: &[(&str, &str)] = &[
    (
        "age/stanza_missing_body",
        "the age crate still accepts legacy stanzas without the final short body line, so it \
         decrypts this file; the testkit expects a header failure",
    ),
    (
        "age/stanza_missing_final_line",
        "the age crate still accepts legacy stanzas without the final short body line, so it \
         decrypts this file; the testkit expects a header failure",
    ),
];

/// Every vector file of `tests/vectors`, compiled in: `(file name, JSON text)`.
pub fn embedded() -> &'static [(&'static str, &'static str)] {
    macro_rules! files {
        ($($name:literal),* $(,)?) => {
            &[$(($name, include_str!(concat!("../../../tests/vectors/", $name)))),*]
        };
    }
    files![
        "aead-rfc8439.json",
        "aead-wycheproof.json",
        "age-testkit.json",
        "age-testkit-stream-1.json",
        "age-testkit-stream-2.json",
        "argon2-rfc9106.json",
        "blake2-kat.json",
        "blake3-official.json",
        "checksums.json",
        "hashlib-sanity.json",
        "hkdf-rfc5869.json",
        "hmac-rfc4231.json",
        "pbkdf2-rfc7914.json",
        "sha1-cavp.json",
        "sha2-cavp.json",
        "sha3-cavp.json",
    ]
}

/// Runs every case of one vector file. Returns the set's name and one outcome per case, in
/// file order; `Err` only when the text is not a vector file at all (a malformed *case* is a
/// failed outcome, not an error, so one bad case cannot hide the others).
pub fn run_set(json_text: &str) -> Result<(String, Vec<CaseOutcome>), String> {
    run_set_with(&mut RustKernels, json_text)
}

/// [`run_set`] against any implementation of the kernels.
pub fn run_set_with(kernels: &mut dyn Kernels, json_text: &str) -> Result<(String, Vec<CaseOutcome>), String> {
    let doc: Value = serde_json::from_str(json_text).map_err(|e| format!("not valid JSON: {e}"))?;
    let set = doc.get("set").and_then(Value::as_str).ok_or("the vector file has no \"set\" name")?.to_owned();
    let cases = doc.get("cases").and_then(Value::as_array).ok_or("the vector file has no \"cases\" array")?;
    let outcomes = cases.iter().enumerate().map(|(index, case)| run_case(kernels, index, case)).collect();
    Ok((set, outcomes))
}

/// The verdict a runner prints for an outcome: `pass`, `known` for a failure listed in
/// [`KNOWN_DEVIATIONS`], else `FAIL`.
pub fn verdict(outcome: &CaseOutcome) -> &'static str {
    match (outcome.passed, KNOWN_DEVIATIONS.iter().any(|(id, _)| *id == outcome.id)) {
        (true, _) => "pass",
        (false, true) => "known",
        (false, false) => "FAIL",
    }
}

/// Runs one case (`index` names it when it has no `id`).
fn run_case(kernels: &mut dyn Kernels, index: usize, case: &Value) -> CaseOutcome {
    let id = case.get("id").and_then(Value::as_str).map_or_else(|| format!("#{index}"), str::to_owned);
    let result = match case.get("op").and_then(Value::as_str) {
        Some("digest") => check_digest(kernels, case),
        Some("hmac") => check_hmac(kernels, case),
        Some("hkdf") => check_hkdf(kernels, case),
        Some("pbkdf2") => check_pbkdf2(kernels, case),
        Some("argon2id") => check_argon2id(kernels, case),
        Some("aead") => check_aead(kernels, case),
        Some("age_decrypt") => check_age(kernels, case),
        Some(other) => Err(format!("unknown op '{other}'")),
        None => Err("the case has no \"op\"".to_owned()),
    };
    let output = canonical_output_with(kernels, case);
    match result {
        Ok(detail) => CaseOutcome { id, passed: true, detail, output },
        Err(detail) => CaseOutcome { id, passed: false, detail, output },
    }
}

/// The one line a host prints for a case, so that hosts can be compared byte for byte:
/// - `digest`, `hmac` (untruncated), `hkdf`, `pbkdf2`, `argon2id`: the output as hex;
/// - `aead`: `HEX(seal)/HEX(open)` for valid cases, the result of `open` for invalid ones;
/// - `age_decrypt`: `sha256:HEX` of the plaintext;
/// - any failure: `error:CODE` with the stable error code.
///
/// The JavaScript runner in `tests/conformance/` builds the same strings from the npm API.
pub fn canonical_output(case: &Value) -> String {
    canonical_output_with(&mut RustKernels, case)
}

/// [`canonical_output`] computed by any implementation of the kernels.
pub fn canonical_output_with(kernels: &mut dyn Kernels, case: &Value) -> String {
    fn shown(result: KernelResult) -> String {
        match result {
            Ok(bytes) => to_hex(&bytes),
            Err(e) => format!("error:{}", e.code()),
        }
    }
    let mut compute = || -> Result<String, String> {
        let op = text(case, "op")?;
        Ok(match op {
            "digest" => shown(kernels.digest(text(case, "algorithm")?, &message(case)?)),
            "hmac" => shown(kernels.hmac(text(case, "algorithm")?, &bytes(case, "key_hex")?, &message(case)?)),
            "hkdf" => {
                let algorithm = text(case, "algorithm")?;
                let (ikm, salt, info) = (bytes(case, "ikm_hex")?, bytes(case, "salt_hex")?, bytes(case, "info_hex")?);
                shown(kernels.hkdf(algorithm, &ikm, &salt, &info, small_number(case, "length")?))
            }
            "pbkdf2" => shown(kernels.pbkdf2_sha256(
                &bytes(case, "password_hex")?,
                &bytes(case, "salt_hex")?,
                small_number(case, "rounds")?,
                small_number(case, "length")?,
            )),
            "argon2id" => {
                let params = argon2_params(case)?;
                let (password, salt) = (bytes(case, "password_hex")?, bytes(case, "salt_hex")?);
                shown(kernels.argon2id(&password, &salt, &params))
            }
            "aead" => {
                let algorithm = text(case, "algorithm")?;
                let (key, nonce, aad) = (bytes(case, "key_hex")?, bytes(case, "nonce_hex")?, bytes(case, "aad_hex")?);
                let opened = shown(kernels.aead_open(algorithm, &key, &nonce, &aad, &bytes(case, "sealed_hex")?));
                if field(case, "valid")?.as_bool() == Some(true) {
                    let plaintext = bytes(case, "plaintext_hex")?;
                    let sealed = shown(kernels.aead_seal(algorithm, &key, &nonce, &aad, &plaintext));
                    format!("{sealed}/{opened}")
                } else {
                    opened
                }
            }
            "age_decrypt" => {
                let file = base64::engine::general_purpose::STANDARD
                    .decode(text(case, "file_base64")?)
                    .map_err(|e| e.to_string())?;
                let identities: Vec<&str> =
                    field(case, "identities")?.as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                let identities = identities.join("\n");
                let secret = match case.get("passphrase").and_then(Value::as_str) {
                    Some(p) => AgeSecret::Passphrase(p),
                    None => AgeSecret::Identities(&identities),
                };
                let mut plain = Vec::new();
                match kernels.age_decrypt(secret, &file, &mut plain) {
                    Ok(()) => format!("sha256:{}", to_hex(&sha2::Sha256::digest(&plain))),
                    Err(e) => format!("error:{}", e.code()),
                }
            }
            other => return Err(format!("unknown op '{other}'")),
        })
    };
    compute().unwrap_or_else(|e| format!("malformed:{e}"))
}

type Check = Result<String, String>;

fn field<'a>(case: &'a Value, name: &str) -> Result<&'a Value, String> {
    case.get(name).ok_or_else(|| format!("missing field \"{name}\""))
}

fn text<'a>(case: &'a Value, name: &str) -> Result<&'a str, String> {
    field(case, name)?.as_str().ok_or_else(|| format!("field \"{name}\" is not a string"))
}

fn bytes(case: &Value, name: &str) -> Result<Vec<u8>, String> {
    hex::decode(text(case, name)?).map_err(|e| format!("field \"{name}\" is not hex: {e}"))
}

fn number(case: &Value, name: &str) -> Result<u64, String> {
    field(case, name)?.as_u64().ok_or_else(|| format!("field \"{name}\" is not a non-negative integer"))
}

fn small_number<T: TryFrom<u64>>(case: &Value, name: &str) -> Result<T, String> {
    let value = number(case, name)?;
    T::try_from(value).map_err(|_| format!("field \"{name}\" is out of range: {value}"))
}

/// The message of a digest or MAC case: `input_hex`, or `input_len` bytes `i % 251` (the
/// BLAKE3 test-vector convention, which keeps long inputs out of the files).
fn message(case: &Value) -> Result<Vec<u8>, String> {
    match (case.get("input_hex"), case.get("input_len")) {
        (Some(_), None) => bytes(case, "input_hex"),
        (None, Some(_)) => {
            let len: usize = small_number(case, "input_len")?;
            Ok((0..len).map(|i| (i % 251) as u8).collect())
        }
        _ => Err("a case needs exactly one of \"input_hex\" and \"input_len\"".to_owned()),
    }
}

/// Cut points that split `len` bytes into three uneven pieces (some empty for short inputs).
fn uneven_cuts(len: usize) -> [usize; 2] {
    let first = len / 3;
    let second = (first + (len - first) / 2 + 1).min(len);
    [first, second]
}

fn expect_eq(what: &str, got: &[u8], want: &[u8]) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: expected {}, got {}", to_hex(want), to_hex(got)))
    }
}

fn check_digest(kernels: &mut dyn Kernels, case: &Value) -> Check {
    let algorithm = text(case, "algorithm")?;
    let data = message(case)?;
    let want = bytes(case, "expected_hex")?;
    let got = kernels.digest(algorithm, &data).map_err(|e| format!("digest failed: {e}"))?;
    expect_eq("one-shot digest", &got, &want)?;

    let [a, b] = uneven_cuts(data.len());
    let streamed = kernels
        .digest_pieces(algorithm, &[&data[..a], &data[a..b], &data[b..]])
        .map_err(|e| format!("streaming digest failed: {e}"))?;
    expect_eq(&format!("streaming digest (pieces of {a}, {}, {})", b - a, data.len() - b), &streamed, &want)?;
    Ok(format!("{algorithm} of {} bytes, one-shot and in 3 pieces", data.len()))
}

fn check_hmac(kernels: &mut dyn Kernels, case: &Value) -> Check {
    let algorithm = text(case, "algorithm")?;
    let key = bytes(case, "key_hex")?;
    let data = message(case)?;
    let want = bytes(case, "expected_hex")?;
    let truncate = match case.get("truncate") {
        Some(_) => Some(small_number::<usize>(case, "truncate")?),
        None => None,
    };
    let compare = |tag: Vec<u8>| -> Vec<u8> {
        match truncate {
            Some(n) => tag[..n.min(tag.len())].to_vec(),
            None => tag,
        }
    };
    let tag = kernels.hmac(algorithm, &key, &data).map_err(|e| format!("HMAC failed: {e}"))?;
    expect_eq("one-shot HMAC", &compare(tag), &want)?;

    let [a, b] = uneven_cuts(data.len());
    let streamed = kernels
        .hmac_pieces(algorithm, &key, &[&data[..a], &data[a..b], &data[b..]])
        .map_err(|e| format!("streaming HMAC failed: {e}"))?;
    expect_eq("streaming HMAC", &compare(streamed), &want)?;

    let Some(verified) = kernels.hmac_verify(algorithm, &key, &data, &want) else {
        return Ok(match truncate {
            Some(_) => format!("{algorithm} truncated to {} bytes, one-shot and streaming", want.len()),
            None => format!("{algorithm}, one-shot and streaming"),
        });
    };
    if truncate.is_some() {
        // RFC 4231 case 5 publishes the tag truncated to 128 bits for every digest.
        verified.map_err(|e| format!("verify refused the truncated tag: {e}"))?;
        return Ok(format!("{algorithm} truncated to {} bytes, one-shot, streaming and verify", want.len()));
    }
    verified.map_err(|e| format!("verify refused the expected tag: {e}"))?;
    let mut wrong = want.clone();
    if let Some(last) = wrong.last_mut() {
        *last ^= 1;
    }
    match kernels.hmac_verify(algorithm, &key, &data, &wrong) {
        Some(Err(e)) if e.code() == ErrorCode::AuthFailed => {}
        other => return Err(format!("verify of an altered tag gave {other:?}, not auth_failed")),
    }
    Ok(format!("{algorithm}, one-shot, streaming and verify"))
}

fn check_hkdf(kernels: &mut dyn Kernels, case: &Value) -> Check {
    let algorithm = text(case, "algorithm")?;
    let length: usize = small_number(case, "length")?;
    let (ikm, salt, info) = (bytes(case, "ikm_hex")?, bytes(case, "salt_hex")?, bytes(case, "info_hex")?);
    let got = kernels.hkdf(algorithm, &ikm, &salt, &info, length).map_err(|e| format!("hkdf failed: {e}"))?;
    expect_eq("HKDF output", &got, &bytes(case, "expected_hex")?)?;
    let digest = algorithm.strip_prefix("hmac-").unwrap_or(algorithm);
    Ok(format!("HKDF-{digest} producing {length} bytes"))
}

fn check_pbkdf2(kernels: &mut dyn Kernels, case: &Value) -> Check {
    let rounds: u32 = small_number(case, "rounds")?;
    let length: usize = small_number(case, "length")?;
    let got = kernels
        .pbkdf2_sha256(&bytes(case, "password_hex")?, &bytes(case, "salt_hex")?, rounds, length)
        .map_err(|e| format!("pbkdf2_sha256 failed: {e}"))?;
    expect_eq("PBKDF2 output", &got, &bytes(case, "expected_hex")?)?;
    Ok(format!("PBKDF2-HMAC-SHA256, {rounds} rounds, {length} bytes"))
}

fn argon2_params(case: &Value) -> Result<Argon2Params, String> {
    Ok(Argon2Params {
        memory_kib: small_number(case, "memory_kib")?,
        iterations: small_number(case, "iterations")?,
        parallelism: small_number(case, "parallelism")?,
        output_len: small_number(case, "length")?,
        secret: bytes(case, "secret_hex")?,
        associated_data: bytes(case, "ad_hex")?,
    })
}

fn check_argon2id(kernels: &mut dyn Kernels, case: &Value) -> Check {
    let params = argon2_params(case)?;
    let got = kernels
        .argon2id(&bytes(case, "password_hex")?, &bytes(case, "salt_hex")?, &params)
        .map_err(|e| format!("argon2id failed: {e}"))?;
    expect_eq("Argon2id tag", &got, &bytes(case, "expected_hex")?)?;
    Ok(format!("Argon2id m={} KiB t={} p={}", params.memory_kib, params.iterations, params.parallelism))
}

fn check_aead(kernels: &mut dyn Kernels, case: &Value) -> Check {
    let algorithm = text(case, "algorithm")?;
    let key = bytes(case, "key_hex")?;
    let nonce = bytes(case, "nonce_hex")?;
    let aad = bytes(case, "aad_hex")?;
    let plaintext = bytes(case, "plaintext_hex")?;
    let sealed = bytes(case, "sealed_hex")?;
    let valid = field(case, "valid")?.as_bool().ok_or("field \"valid\" is not a boolean")?;
    if valid {
        let got =
            kernels.aead_seal(algorithm, &key, &nonce, &aad, &plaintext).map_err(|e| format!("seal failed: {e}"))?;
        expect_eq("seal", &got, &sealed)?;
        let opened =
            kernels.aead_open(algorithm, &key, &nonce, &aad, &sealed).map_err(|e| format!("open failed: {e}"))?;
        expect_eq("open", &opened, &plaintext)?;
        Ok(format!("{algorithm}: seal and open of {} bytes", plaintext.len()))
    } else {
        match kernels.aead_open(algorithm, &key, &nonce, &aad, &sealed) {
            Err(e) if e.code() == ErrorCode::AuthFailed => Ok(format!("{algorithm}: open refused it with auth_failed")),
            Err(e) => Err(format!("open failed with {} instead of auth_failed: {}", e.code(), e.message())),
            Ok(plain) => Err(format!("open accepted an invalid message and returned {}", to_hex(&plain))),
        }
    }
}

fn check_age(kernels: &mut dyn Kernels, case: &Value) -> Check {
    let file = base64::engine::general_purpose::STANDARD
        .decode(text(case, "file_base64")?)
        .map_err(|e| format!("field \"file_base64\" is not base64: {e}"))?;
    let expect = text(case, "expect")?;
    let identities = field(case, "identities")?
        .as_array()
        .ok_or("field \"identities\" is not an array")?
        .iter()
        .map(|v| v.as_str().ok_or("an identity is not a string"))
        .collect::<Result<Vec<_>, _>>()?
        .join("\n");
    let secret = match field(case, "passphrase")? {
        Value::Null => AgeSecret::Identities(&identities),
        Value::String(p) => AgeSecret::Passphrase(p),
        _ => return Err("field \"passphrase\" is neither a string nor null".to_owned()),
    };
    let payload_sha256 = case.get("payload_sha256").and_then(Value::as_str);

    let mut released = Vec::new();
    let result = kernels.age_decrypt(secret, &file, &mut released);
    let released_hash = to_hex(&sha2::Sha256::digest(&released));
    match (expect, result) {
        ("success", Ok(())) => {
            let want = payload_sha256.ok_or("a success case needs \"payload_sha256\"")?;
            if released_hash == want {
                Ok(format!("decrypted {} bytes, SHA-256 matches", released.len()))
            } else {
                Err(format!("decrypted {} bytes with SHA-256 {released_hash}, expected {want}", released.len()))
            }
        }
        ("success", Err(e)) => Err(format!("expected success, failed with {}: {}", e.code(), e.message())),
        (kind, Ok(())) => Err(format!(
            "expected {kind}, but decryption succeeded and returned {} bytes (SHA-256 {released_hash})",
            released.len()
        )),
        (kind, Err(e)) => {
            let mut detail = format!("{kind}: failed with {}: {}", e.code(), e.message());
            if kind == "payload failure" && kernels.streams_age_plaintext() {
                // The testkit's rule: whatever plaintext was released before the error must
                // hash to `payload` (only whole authenticated chunks may come out).
                if let Some(want) = payload_sha256 {
                    if released_hash != want {
                        return Err(format!(
                            "{detail}; but the {} bytes written before the error have SHA-256 \
                             {released_hash}, expected {want}",
                            released.len()
                        ));
                    }
                }
                let verdict = if payload_sha256.is_some() {
                    "match the testkit's payload hash"
                } else {
                    "were not checked (no payload hash given)"
                };
                detail.push_str(&format!("; the {} bytes written before the error {verdict}", released.len()));
            } else if !released.is_empty() {
                return Err(format!(
                    "{detail}; but {} bytes of plaintext were written before a {kind}",
                    released.len()
                ));
            } else if kind == "payload failure" {
                detail.push_str("; nothing was released (all-or-nothing API), so the payload hash does not apply");
            }
            Ok(detail)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uneven_cuts_stay_in_bounds_and_are_uneven() {
        for len in 0..600 {
            let [a, b] = uneven_cuts(len);
            assert!(a <= b && b <= len, "{len}: {a} {b}");
        }
        assert_eq!(uneven_cuts(100), [33, 67]);
    }

    #[test]
    fn a_wrong_expected_value_fails_with_both_values_shown() {
        let set = r#"{"set": "t", "cases": [
            {"id": "ok", "op": "digest", "algorithm": "sha256", "input_hex": "616263",
             "expected_hex": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
            {"id": "bad", "op": "digest", "algorithm": "sha256", "input_len": 3,
             "expected_hex": "00"},
            {"op": "frobnicate"}]}"#;
        let (name, outcomes) = run_set(set).unwrap();
        assert_eq!(name, "t");
        assert!(outcomes[0].passed, "{:?}", outcomes[0]);
        assert!(!outcomes[1].passed);
        assert!(outcomes[1].detail.contains("expected 00, got "), "{}", outcomes[1].detail);
        assert_eq!(outcomes[2].id, "#2");
        assert!(!outcomes[2].passed);
    }

    #[test]
    fn not_a_vector_file_is_an_error() {
        assert!(run_set("[]").is_err());
        assert!(run_set("{").is_err());
    }
}
