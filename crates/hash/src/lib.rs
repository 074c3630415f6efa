//! Hashing and encryption kernels: digests, MACs, KDFs, raw AEADs and age file encryption.
//!
//! Everything streams: [`Hasher`] and [`Mac`] take any number of `update` calls, and the
//! [`age`](crate::agefile) functions read and write through `std::io` traits in fixed-size
//! chunks, so memory stays flat however large the input. The heavy lifting is done by the
//! well-kept crates of the field (RustCrypto, blake3, xxhash-rust, crc32fast, crc32c, age);
//! this crate gives them one vocabulary of names and one error type.
//!
//! **Invariant:** no host bindings and no file system access; callers hand in bytes or
//! `Read`/`Write` implementations.

pub mod aead;
#[cfg(feature = "age")]
pub mod agefile;
mod algorithm;
mod digest;
pub mod kdf;
mod mac;
pub mod sums;

pub use algorithm::Algorithm;
pub use digest::{digest, Hasher};
pub use mac::{hmac, Mac, MacAlgorithm};
pub use nearnative_core::{Error, ErrorCode, Result};

/// Lowercase hex, the form every host prints digests in.
pub fn to_hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// Parses hex (either case) into bytes, with an error that names what was being parsed.
pub fn from_hex(what: &str, text: &str) -> Result<Vec<u8>> {
    hex::decode(text.trim()).map_err(|e| Error::invalid_input(format!("{what} is not valid hex: {e}")))
}
