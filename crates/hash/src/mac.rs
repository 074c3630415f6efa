use std::fmt;
use std::str::FromStr;

use hmac::{Hmac, KeyInit, Mac as _};
use nearnative_core::{Error, Result};

/// The HMAC family offered: HMAC over SHA-2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MacAlgorithm {
    HmacSha224,
    HmacSha256,
    HmacSha384,
    HmacSha512,
}

impl MacAlgorithm {
    pub const ALL: [MacAlgorithm; 4] =
        [MacAlgorithm::HmacSha224, MacAlgorithm::HmacSha256, MacAlgorithm::HmacSha384, MacAlgorithm::HmacSha512];

    pub const fn name(self) -> &'static str {
        match self {
            MacAlgorithm::HmacSha224 => "hmac-sha224",
            MacAlgorithm::HmacSha256 => "hmac-sha256",
            MacAlgorithm::HmacSha384 => "hmac-sha384",
            MacAlgorithm::HmacSha512 => "hmac-sha512",
        }
    }
}

impl fmt::Display for MacAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for MacAlgorithm {
    type Err = Error;

    /// Accepts `hmac-sha256` as well as the bare digest name `sha256`.
    fn from_str(text: &str) -> Result<Self> {
        let wanted = text.trim().to_ascii_lowercase().replace("sha-", "sha");
        let bare = wanted.strip_prefix("hmac-").unwrap_or(&wanted);
        MacAlgorithm::ALL.into_iter().find(|m| &m.name()[5..] == bare).ok_or_else(|| {
            Error::unsupported(format!(
                "unknown MAC '{text}'; choose one of: hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512"
            ))
        })
    }
}

/// A streaming HMAC.
#[derive(Clone)]
pub struct Mac {
    state: MacState,
}

#[derive(Clone)]
enum MacState {
    Sha224(Hmac<sha2::Sha224>),
    Sha256(Hmac<sha2::Sha256>),
    Sha384(Hmac<sha2::Sha384>),
    Sha512(Hmac<sha2::Sha512>),
}

impl Mac {
    /// HMAC accepts keys of any length (long keys are hashed first, RFC 2104).
    pub fn new(algorithm: MacAlgorithm, key: &[u8]) -> Self {
        fn keyed<M: KeyInit>(key: &[u8]) -> M {
            M::new_from_slice(key).expect("HMAC takes keys of any length")
        }
        let state = match algorithm {
            MacAlgorithm::HmacSha224 => MacState::Sha224(keyed(key)),
            MacAlgorithm::HmacSha256 => MacState::Sha256(keyed(key)),
            MacAlgorithm::HmacSha384 => MacState::Sha384(keyed(key)),
            MacAlgorithm::HmacSha512 => MacState::Sha512(keyed(key)),
        };
        Mac { state }
    }

    pub fn update(&mut self, data: &[u8]) -> &mut Self {
        match &mut self.state {
            MacState::Sha224(m) => m.update(data),
            MacState::Sha256(m) => m.update(data),
            MacState::Sha384(m) => m.update(data),
            MacState::Sha512(m) => m.update(data),
        }
        self
    }

    pub fn finalize(self) -> Vec<u8> {
        match self.state {
            MacState::Sha224(m) => m.finalize().into_bytes().to_vec(),
            MacState::Sha256(m) => m.finalize().into_bytes().to_vec(),
            MacState::Sha384(m) => m.finalize().into_bytes().to_vec(),
            MacState::Sha512(m) => m.finalize().into_bytes().to_vec(),
        }
    }

    /// Checks a tag in constant time. Truncated tags are accepted down to 16 bytes (128 bits),
    /// the truncation RFC 4231 test case 5 uses for every SHA-2 size.
    pub fn verify(self, tag: &[u8]) -> Result<()> {
        let full = self.finalize();
        let shortest = MIN_TRUNCATED_TAG_LEN.min(full.len());
        if tag.len() < shortest || tag.len() > full.len() {
            return Err(Error::invalid_input(format!(
                "a MAC tag must be {shortest} to {} bytes long, got {}",
                full.len(),
                tag.len()
            )));
        }
        let diff = full.iter().zip(tag).fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if diff == 0 {
            Ok(())
        } else {
            Err(Error::auth_failed("the MAC tag does not match: wrong key or altered message"))
        }
    }
}

/// Shorter tags make forgery too cheap to be worth accepting.
pub const MIN_TRUNCATED_TAG_LEN: usize = 16;

/// One-shot HMAC.
pub fn hmac(algorithm: MacAlgorithm, key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Mac::new(algorithm, key);
    mac.update(data);
    mac.finalize()
}
