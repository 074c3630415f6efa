//! Raw AEADs for library users who manage their own keys and nonces. For files, prefer
//! [`crate::agefile`], which chooses keys and nonces safely.

use std::fmt;
use std::str::FromStr;

use aes_gcm::aead::{Aead as _, KeyInit, Payload};
use nearnative_core::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AeadAlgorithm {
    Aes256Gcm,
    ChaCha20Poly1305,
    XChaCha20Poly1305,
}

pub const KEY_LEN: usize = 32;
pub const TAG_LEN: usize = 16;

impl AeadAlgorithm {
    pub const ALL: [AeadAlgorithm; 3] =
        [AeadAlgorithm::Aes256Gcm, AeadAlgorithm::ChaCha20Poly1305, AeadAlgorithm::XChaCha20Poly1305];

    pub const fn name(self) -> &'static str {
        match self {
            AeadAlgorithm::Aes256Gcm => "aes-256-gcm",
            AeadAlgorithm::ChaCha20Poly1305 => "chacha20-poly1305",
            AeadAlgorithm::XChaCha20Poly1305 => "xchacha20-poly1305",
        }
    }

    pub const fn nonce_len(self) -> usize {
        match self {
            AeadAlgorithm::Aes256Gcm | AeadAlgorithm::ChaCha20Poly1305 => 12,
            AeadAlgorithm::XChaCha20Poly1305 => 24,
        }
    }
}

impl fmt::Display for AeadAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AeadAlgorithm {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        let wanted = text.trim().to_ascii_lowercase().replace('_', "-");
        let wanted = match wanted.as_str() {
            "aes256gcm" | "aes-gcm" => "aes-256-gcm",
            "chacha20poly1305" => "chacha20-poly1305",
            "xchacha20poly1305" => "xchacha20-poly1305",
            other => other,
        };
        AeadAlgorithm::ALL.into_iter().find(|a| a.name() == wanted).ok_or_else(|| {
            Error::unsupported(format!(
                "unknown AEAD '{text}'; choose one of: aes-256-gcm, chacha20-poly1305, xchacha20-poly1305"
            ))
        })
    }
}

fn check_lengths(algorithm: AeadAlgorithm, key: &[u8], nonce: &[u8]) -> Result<()> {
    if key.len() != KEY_LEN {
        return Err(Error::invalid_input(format!("{algorithm} needs a {KEY_LEN}-byte key, got {} bytes", key.len())));
    }
    if nonce.len() != algorithm.nonce_len() {
        return Err(Error::invalid_input(format!(
            "{algorithm} needs a {}-byte nonce, got {} bytes",
            algorithm.nonce_len(),
            nonce.len()
        )));
    }
    Ok(())
}

macro_rules! with_cipher {
    ($algorithm:expr, $key:expr, $nonce:expr, |$cipher:ident, $n:ident| $body:expr) => {
        match $algorithm {
            AeadAlgorithm::Aes256Gcm => {
                let $cipher = aes_gcm::Aes256Gcm::new_from_slice($key).expect("length checked");
                let $n = aes_gcm::Nonce::try_from($nonce).expect("length checked");
                $body
            }
            AeadAlgorithm::ChaCha20Poly1305 => {
                let $cipher = chacha20poly1305::ChaCha20Poly1305::new_from_slice($key).expect("length checked");
                let $n = chacha20poly1305::Nonce::try_from($nonce).expect("length checked");
                $body
            }
            AeadAlgorithm::XChaCha20Poly1305 => {
                let $cipher = chacha20poly1305::XChaCha20Poly1305::new_from_slice($key).expect("length checked");
                let $n = chacha20poly1305::XNonce::try_from($nonce).expect("length checked");
                $body
            }
        }
    };
}

/// Encrypts and authenticates; returns `ciphertext || tag` (16-byte tag).
pub fn seal(algorithm: AeadAlgorithm, key: &[u8], nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    check_lengths(algorithm, key, nonce)?;
    with_cipher!(algorithm, key, nonce, |cipher, n| cipher
        .encrypt(&n, Payload { msg: plaintext, aad })
        .map_err(|_| Error::limit_exceeded(format!("the plaintext is too long for {algorithm}"))))
}

/// Verifies and decrypts `ciphertext || tag`. Any mismatch is `auth_failed`; no plaintext is
/// released unless the whole message authenticates.
pub fn open(algorithm: AeadAlgorithm, key: &[u8], nonce: &[u8], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>> {
    check_lengths(algorithm, key, nonce)?;
    if sealed.len() < TAG_LEN {
        return Err(Error::invalid_input(format!(
            "the sealed message is {} bytes, shorter than the {TAG_LEN}-byte tag",
            sealed.len()
        )));
    }
    with_cipher!(algorithm, key, nonce, |cipher, n| cipher.decrypt(&n, Payload { msg: sealed, aad }).map_err(|_| {
        Error::auth_failed(format!(
            "{algorithm} authentication failed: wrong key, nonce or associated data, or the message was altered"
        ))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nearnative_core::ErrorCode;

    #[test]
    fn round_trip_and_tamper_detection() {
        for alg in AeadAlgorithm::ALL {
            let key = [7u8; 32];
            let nonce = vec![1u8; alg.nonce_len()];
            let sealed = seal(alg, &key, &nonce, b"hdr", b"hello").unwrap();
            assert_eq!(sealed.len(), 5 + TAG_LEN);
            assert_eq!(open(alg, &key, &nonce, b"hdr", &sealed).unwrap(), b"hello");
            let mut bad = sealed.clone();
            bad[0] ^= 1;
            assert_eq!(open(alg, &key, &nonce, b"hdr", &bad).unwrap_err().code(), ErrorCode::AuthFailed);
            assert_eq!(open(alg, &key, &nonce, b"other", &sealed).unwrap_err().code(), ErrorCode::AuthFailed);
            assert_eq!(seal(alg, &key[..31], &nonce, b"", b"").unwrap_err().code(), ErrorCode::InvalidInput);
        }
    }
}
