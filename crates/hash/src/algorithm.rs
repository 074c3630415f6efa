use std::fmt;
use std::str::FromStr;

use nearnative_core::Error;

/// Every digest the hash domain offers. The canonical names (`name()`) are the ones used on
/// the command line, in JS and in HTTP paths; `FromStr` also accepts common aliases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Sha3_256,
    Sha3_512,
    Blake2b512,
    Blake2s256,
    Blake3,
    Xxh64,
    Xxh3_64,
    Xxh3_128,
    Crc32,
    Crc32c,
}

impl Algorithm {
    pub const ALL: [Algorithm; 15] = [
        Algorithm::Sha1,
        Algorithm::Sha224,
        Algorithm::Sha256,
        Algorithm::Sha384,
        Algorithm::Sha512,
        Algorithm::Sha3_256,
        Algorithm::Sha3_512,
        Algorithm::Blake2b512,
        Algorithm::Blake2s256,
        Algorithm::Blake3,
        Algorithm::Xxh64,
        Algorithm::Xxh3_64,
        Algorithm::Xxh3_128,
        Algorithm::Crc32,
        Algorithm::Crc32c,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha224 => "sha224",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
            Algorithm::Sha3_256 => "sha3-256",
            Algorithm::Sha3_512 => "sha3-512",
            Algorithm::Blake2b512 => "blake2b-512",
            Algorithm::Blake2s256 => "blake2s-256",
            Algorithm::Blake3 => "blake3",
            Algorithm::Xxh64 => "xxh64",
            Algorithm::Xxh3_64 => "xxh3-64",
            Algorithm::Xxh3_128 => "xxh3-128",
            Algorithm::Crc32 => "crc32",
            Algorithm::Crc32c => "crc32c",
        }
    }

    /// Digest length in bytes. Non-cryptographic checksums are printed big-endian, the
    /// canonical form of `xxhsum` and of zlib's `crc32` written as hex.
    pub const fn output_len(self) -> usize {
        match self {
            Algorithm::Sha1 => 20,
            Algorithm::Sha224 => 28,
            Algorithm::Sha256 | Algorithm::Sha3_256 | Algorithm::Blake2s256 | Algorithm::Blake3 => 32,
            Algorithm::Sha384 => 48,
            Algorithm::Sha512 | Algorithm::Sha3_512 | Algorithm::Blake2b512 => 64,
            Algorithm::Xxh64 | Algorithm::Xxh3_64 => 8,
            Algorithm::Xxh3_128 => 16,
            Algorithm::Crc32 | Algorithm::Crc32c => 4,
        }
    }

    /// True for the digests that resist deliberate collisions; the rest detect accidents only.
    pub const fn is_cryptographic(self) -> bool {
        !matches!(
            self,
            Algorithm::Xxh64 | Algorithm::Xxh3_64 | Algorithm::Xxh3_128 | Algorithm::Crc32 | Algorithm::Crc32c
        )
    }

    pub fn names() -> impl Iterator<Item = &'static str> {
        Algorithm::ALL.iter().map(|a| a.name())
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        let wanted = text.trim().to_ascii_lowercase().replace('_', "-");
        let alias = match wanted.as_str() {
            "sha-1" => Some(Algorithm::Sha1),
            "sha-224" => Some(Algorithm::Sha224),
            "sha-256" => Some(Algorithm::Sha256),
            "sha-384" => Some(Algorithm::Sha384),
            "sha-512" => Some(Algorithm::Sha512),
            "sha3256" => Some(Algorithm::Sha3_256),
            "sha3512" => Some(Algorithm::Sha3_512),
            "blake2b" | "blake2b512" => Some(Algorithm::Blake2b512),
            "blake2s" | "blake2s256" => Some(Algorithm::Blake2s256),
            "xxhash64" | "xxh64" => Some(Algorithm::Xxh64),
            "xxh3" | "xxh364" => Some(Algorithm::Xxh3_64),
            "xxh128" | "xxh3128" => Some(Algorithm::Xxh3_128),
            _ => None,
        };
        alias.or_else(|| Algorithm::ALL.into_iter().find(|a| a.name() == wanted)).ok_or_else(|| {
            Error::unsupported(format!(
                "unknown hash algorithm '{text}'; choose one of: {}",
                Algorithm::names().collect::<Vec<_>>().join(", ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_lengths_match() {
        for alg in Algorithm::ALL {
            assert_eq!(alg.name().parse::<Algorithm>().unwrap(), alg);
            assert_eq!(crate::digest(alg, b"abc").len(), alg.output_len(), "{alg}");
        }
    }

    #[test]
    fn unknown_names_list_the_choices() {
        let err = "md5".parse::<Algorithm>().unwrap_err();
        assert_eq!(err.code(), nearnative_core::ErrorCode::Unsupported);
        assert!(err.message().contains("blake3"));
    }
}
