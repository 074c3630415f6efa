//! Key derivation: HKDF (RFC 5869), PBKDF2-HMAC-SHA256 (RFC 8018) and Argon2id (RFC 9106).
//! Each checks its cost parameters against a budget before doing any work, so a hostile
//! request cannot pin a CPU for hours or exhaust memory.

use nearnative_core::{Error, MemoryBudget, Result};

use crate::MacAlgorithm;

/// Largest output any KDF here produces; more is never needed for a key.
pub const MAX_OUTPUT_LEN: usize = 1 << 16;
/// PBKDF2 rounds above this are refused: at ~1 µs a round that is already minutes of work.
pub const MAX_PBKDF2_ROUNDS: u32 = 100_000_000;

fn check_output_len(len: usize) -> Result<()> {
    if len == 0 || len > MAX_OUTPUT_LEN {
        return Err(Error::invalid_input(format!(
            "the output length must be between 1 and {MAX_OUTPUT_LEN} bytes, got {len}"
        )));
    }
    Ok(())
}

/// HKDF extract-and-expand with HMAC over a SHA-2 digest.
pub fn hkdf(algorithm: MacAlgorithm, ikm: &[u8], salt: &[u8], info: &[u8], len: usize) -> Result<Vec<u8>> {
    check_output_len(len)?;
    let mut out = vec![0u8; len];
    let expanded = match algorithm {
        MacAlgorithm::HmacSha224 => hkdf::Hkdf::<sha2::Sha224>::new(Some(salt), ikm).expand(info, &mut out),
        MacAlgorithm::HmacSha256 => hkdf::Hkdf::<sha2::Sha256>::new(Some(salt), ikm).expand(info, &mut out),
        MacAlgorithm::HmacSha384 => hkdf::Hkdf::<sha2::Sha384>::new(Some(salt), ikm).expand(info, &mut out),
        MacAlgorithm::HmacSha512 => hkdf::Hkdf::<sha2::Sha512>::new(Some(salt), ikm).expand(info, &mut out),
    };
    expanded.map_err(|_| {
        Error::invalid_input(format!(
            "HKDF-{} produces at most 255 digest lengths of output, {len} bytes were asked for",
            &algorithm.name()[5..]
        ))
    })?;
    Ok(out)
}

/// PBKDF2 with HMAC-SHA256.
pub fn pbkdf2_sha256(password: &[u8], salt: &[u8], rounds: u32, len: usize) -> Result<Vec<u8>> {
    check_output_len(len)?;
    if rounds == 0 {
        return Err(Error::invalid_input("PBKDF2 needs at least 1 round"));
    }
    if rounds > MAX_PBKDF2_ROUNDS {
        return Err(Error::limit_exceeded(format!("{rounds} PBKDF2 rounds is over the limit of {MAX_PBKDF2_ROUNDS}")));
    }
    let mut out = vec![0u8; len];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, rounds, &mut out);
    Ok(out)
}

/// Argon2id parameters. `memory_kib` is the memory cost in KiB, as in RFC 9106.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Argon2Params {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    pub output_len: usize,
    pub secret: Vec<u8>,
    pub associated_data: Vec<u8>,
}

impl Default for Argon2Params {
    /// OWASP's first recommendation: 19 MiB, 2 passes, 1 lane, 32-byte output.
    fn default() -> Self {
        Argon2Params {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
            output_len: 32,
            secret: Vec::new(),
            associated_data: Vec::new(),
        }
    }
}

/// Argon2id, version 0x13. Refuses a memory cost over `budget` before allocating it.
pub fn argon2id(password: &[u8], salt: &[u8], params: &Argon2Params, budget: MemoryBudget) -> Result<Vec<u8>> {
    check_output_len(params.output_len)?;
    budget.check("Argon2id memory cost", u64::from(params.memory_kib) * 1024)?;
    let bad = |e: argon2::Error| match e {
        argon2::Error::OutOfMemory => {
            Error::limit_exceeded(format!("Argon2id could not allocate {} KiB; lower memory_kib", params.memory_kib))
        }
        other => Error::invalid_input(format!("Argon2id parameters: {other}")),
    };
    let mut builder = argon2::ParamsBuilder::new();
    builder
        .m_cost(params.memory_kib)
        .t_cost(params.iterations)
        .p_cost(params.parallelism)
        .output_len(params.output_len);
    if !params.associated_data.is_empty() {
        builder.data(argon2::AssociatedData::new(&params.associated_data).map_err(bad)?);
    }
    let argon_params = builder.build().map_err(bad)?;
    let context = if params.secret.is_empty() {
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, argon_params)
    } else {
        argon2::Argon2::new_with_secret(
            &params.secret,
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon_params,
        )
        .map_err(bad)?
    };
    let mut out = vec![0u8; params.output_len];
    context.hash_password_into(password, salt, &mut out).map_err(bad)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_memory_is_checked_before_allocation() {
        let params = Argon2Params { memory_kib: 4 * 1024 * 1024, ..Argon2Params::default() };
        let err = argon2id(b"pw", b"saltsalt", &params, MemoryBudget { max_bytes: 64 << 20 }).unwrap_err();
        assert_eq!(err.code(), nearnative_core::ErrorCode::LimitExceeded);
    }

    #[test]
    fn bad_parameters_are_invalid_input_not_panics() {
        assert!(pbkdf2_sha256(b"p", b"s", 0, 32).is_err());
        assert!(pbkdf2_sha256(b"p", b"s", 1, 0).is_err());
        assert!(hkdf(MacAlgorithm::HmacSha256, b"k", b"", b"", 255 * 32 + 1).is_err());
        let short_salt = argon2id(b"pw", b"x", &Argon2Params::default(), MemoryBudget::DEFAULT);
        assert_eq!(short_salt.unwrap_err().code(), nearnative_core::ErrorCode::InvalidInput);
    }
}
