//! The nearnative kernels as a Component Model library component: the WIT world
//! `nearnative:kernels/kernels` (`wit/kernels.wit`) exported over `crates/hash` and
//! `crates/image` (the `image` interface, in `image.rs`). Glue only:
//! convert arguments, call the crate, turn `nearnative_core::Error` into the WIT `error`
//! variant whose case is the stable code.
//!
//! Built for wasm32-wasip2, where rustc links a component directly. Rust's std makes the
//! component import wasi:cli, io and clocks even though nothing here does I/O; the only WASI
//! call the kernels really make is `random` (age keys, nonces and file keys).

use std::cell::RefCell;

mod image;

use nearnative_core::{ErrorCode, MemoryBudget};
use nearnative_hash::aead::{self, AeadAlgorithm};
use nearnative_hash::agefile::{self, ExposeSecret, Recipients, Secret};
use nearnative_hash::kdf::{self, Argon2Params};
use nearnative_hash::{Algorithm, MacAlgorithm};

// The generated ABI glue is unsafe by nature (raw pointers into linear memory); the
// workspace denies `unsafe_code`, so the exception is scoped to this module. Everything the
// crate itself writes, below, is safe Rust.
#[allow(unsafe_code)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "kernels",
    });

    use super::Component;
    export!(Component);
}

use bindings::exports::nearnative::kernels::{age, crypto, hash, types};
use types::{BuildInfo, Error};

struct Component;

fn wit_error(err: nearnative_core::Error) -> Error {
    let message = err.message().to_owned();
    match err.code() {
        ErrorCode::InvalidInput => Error::InvalidInput(message),
        ErrorCode::Unsupported => Error::Unsupported(message),
        ErrorCode::LimitExceeded => Error::LimitExceeded(message),
        ErrorCode::AuthFailed => Error::AuthFailed(message),
        ErrorCode::Io => Error::Io(message),
        // `ErrorCode` is non-exhaustive: a code added later without a WIT case is a bug here,
        // so it surfaces as `internal` with the code kept in the message.
        ErrorCode::Internal => Error::Internal(message),
        other => Error::Internal(format!("{other}: {message}")),
    }
}

fn parse<T: std::str::FromStr<Err = nearnative_core::Error>>(text: &str) -> Result<T, Error> {
    text.parse().map_err(wit_error)
}

/// WIT lengths are u32, which fits `usize` on every target this builds for; the saturation
/// only keeps the conversion total (an oversized length is then refused by the kernel).
fn length(len: u32) -> usize {
    usize::try_from(len).unwrap_or(usize::MAX)
}

impl types::Guest for Component {
    fn build() -> BuildInfo {
        let f = nearnative_core::features();
        let features = [("simd128", f.simd128), ("threads", f.threads)]
            .into_iter()
            .filter(|&(_, on)| on)
            .map(|(name, _)| name.to_owned())
            .collect();
        BuildInfo { version: env!("CARGO_PKG_VERSION").to_owned(), features }
    }
}

/// `hasher` resource: methods get `&self`, so the state sits in a `RefCell`. The component
/// model never re-enters a resource while one of its methods runs, so borrows cannot clash.
struct Hasher(RefCell<nearnative_hash::Hasher>);

impl hash::GuestHasher for Hasher {
    fn create(algorithm: String) -> Result<hash::Hasher, Error> {
        let algorithm = parse::<Algorithm>(&algorithm)?;
        Ok(hash::Hasher::new(Hasher(RefCell::new(nearnative_hash::Hasher::new(algorithm)))))
    }
    fn algorithm(&self) -> String {
        self.0.borrow().algorithm().name().to_owned()
    }
    fn update(&self, data: Vec<u8>) {
        self.0.borrow_mut().update(&data);
    }
    fn finish(&self) -> Vec<u8> {
        self.0.borrow_mut().finalize_reset()
    }
}

/// `mac` resource. `finish` resets to the freshly keyed state (kept in `keyed`), so a finished
/// mac authenticates the next message under the same key, as `hasher` does; no finished
/// state exists that would need an error or an empty answer.
struct Mac {
    keyed: nearnative_hash::Mac,
    current: RefCell<nearnative_hash::Mac>,
}

impl hash::GuestMac for Mac {
    fn create(algorithm: String, key: Vec<u8>) -> Result<hash::Mac, Error> {
        let keyed = nearnative_hash::Mac::new(parse::<MacAlgorithm>(&algorithm)?, &key);
        Ok(hash::Mac::new(Mac { current: RefCell::new(keyed.clone()), keyed }))
    }
    fn update(&self, data: Vec<u8>) {
        self.current.borrow_mut().update(&data);
    }
    fn finish(&self) -> Vec<u8> {
        self.current.replace(self.keyed.clone()).finalize()
    }
}

impl hash::Guest for Component {
    type Hasher = Hasher;
    type Mac = Mac;

    fn algorithms() -> Vec<String> {
        Algorithm::names().map(str::to_owned).collect()
    }
    fn digest(algorithm: String, data: Vec<u8>) -> Result<Vec<u8>, Error> {
        Ok(nearnative_hash::digest(parse(&algorithm)?, &data))
    }
    fn hmac(algorithm: String, key: Vec<u8>, data: Vec<u8>) -> Result<Vec<u8>, Error> {
        Ok(nearnative_hash::hmac(parse(&algorithm)?, &key, &data))
    }
}

impl crypto::Guest for Component {
    fn hkdf(algorithm: String, ikm: Vec<u8>, salt: Vec<u8>, info: Vec<u8>, len: u32) -> Result<Vec<u8>, Error> {
        kdf::hkdf(parse(&algorithm)?, &ikm, &salt, &info, length(len)).map_err(wit_error)
    }
    fn pbkdf2_sha256(password: Vec<u8>, salt: Vec<u8>, rounds: u32, len: u32) -> Result<Vec<u8>, Error> {
        kdf::pbkdf2_sha256(&password, &salt, rounds, length(len)).map_err(wit_error)
    }
    fn argon2id(password: Vec<u8>, salt: Vec<u8>, params: crypto::Argon2Params) -> Result<Vec<u8>, Error> {
        let params = Argon2Params {
            memory_kib: params.memory_kib,
            iterations: params.iterations,
            parallelism: params.parallelism,
            output_len: length(params.length),
            secret: params.secret,
            associated_data: params.associated_data,
        };
        // 1 GiB, the same ceiling as the npm package: a wasm32 instance addresses 4 GiB at
        // most and engines often cannot grow a memory by gigabytes in one step.
        kdf::argon2id(&password, &salt, &params, MemoryBudget::DEFAULT).map_err(wit_error)
    }
    fn aead_seal(
        algorithm: String,
        key: Vec<u8>,
        nonce: Vec<u8>,
        aad: Vec<u8>,
        plaintext: Vec<u8>,
    ) -> Result<Vec<u8>, Error> {
        aead::seal(parse::<AeadAlgorithm>(&algorithm)?, &key, &nonce, &aad, &plaintext).map_err(wit_error)
    }
    fn aead_open(
        algorithm: String,
        key: Vec<u8>,
        nonce: Vec<u8>,
        aad: Vec<u8>,
        sealed: Vec<u8>,
    ) -> Result<Vec<u8>, Error> {
        aead::open(parse::<AeadAlgorithm>(&algorithm)?, &key, &nonce, &aad, &sealed).map_err(wit_error)
    }
}

impl age::Guest for Component {
    fn generate() -> age::KeyPair {
        let pair = agefile::generate();
        age::KeyPair { identity: pair.identity.expose_secret().to_owned(), recipient: pair.recipient }
    }
    fn encrypt(recipients: Vec<String>, armor: bool, plaintext: Vec<u8>) -> Result<Vec<u8>, Error> {
        let keys =
            recipients.iter().map(|r| agefile::parse_recipient(r)).collect::<Result<Vec<_>, _>>().map_err(wit_error)?;
        agefile::encrypt(Recipients::Keys(&keys), armor, &plaintext[..], Vec::new()).map_err(wit_error)
    }
    fn encrypt_with_passphrase(
        passphrase: String,
        work_factor: Option<u8>,
        armor: bool,
        plaintext: Vec<u8>,
    ) -> Result<Vec<u8>, Error> {
        let work_factor = work_factor.unwrap_or(agefile::DEFAULT_SCRYPT_WORK_FACTOR);
        let to = Recipients::Passphrase { passphrase: &passphrase, work_factor };
        agefile::encrypt(to, armor, &plaintext[..], Vec::new()).map_err(wit_error)
    }
    fn decrypt(identities: String, file: Vec<u8>) -> Result<Vec<u8>, Error> {
        let parsed = agefile::parse_identities(&identities).map_err(wit_error)?;
        agefile::decrypt(Secret::Identities(&parsed), &file[..], Vec::new()).map_err(wit_error)
    }
    fn decrypt_with_passphrase(passphrase: String, file: Vec<u8>) -> Result<Vec<u8>, Error> {
        agefile::decrypt(Secret::Passphrase(&passphrase), &file[..], Vec::new()).map_err(wit_error)
    }
}
