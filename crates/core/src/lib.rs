//! What every nearnative kernel shares: an error type whose [`ErrorCode`] is stable across
//! hosts (CLI exit codes, JS `error.code`, HTTP bodies all derive from it), memory budgets
//! checked before allocating, and a report of how this build was compiled.
//!
//! **Invariant:** no I/O, no host bindings. Hosts map these types; kernels only return them.

use std::fmt;

/// Stable, machine-readable error classes. The string form (`as_str`) is part of the public
/// API of every host and must never change for an existing variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The input is malformed: bad encoding, wrong length, truncated data.
    InvalidInput,
    /// The request is well formed but names something this build does not provide.
    Unsupported,
    /// The input would exceed a configured budget (memory, iterations, size).
    LimitExceeded,
    /// Authentication failed: wrong key or identity, or the data was tampered with.
    AuthFailed,
    /// Reading or writing the surrounding stream failed.
    Io,
    /// A bug: a kernel trapped or broke an invariant. Hosts reset what they must and report it.
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 6] = [
        ErrorCode::InvalidInput,
        ErrorCode::Unsupported,
        ErrorCode::LimitExceeded,
        ErrorCode::AuthFailed,
        ErrorCode::Io,
        ErrorCode::Internal,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::Unsupported => "unsupported",
            ErrorCode::LimitExceeded => "limit_exceeded",
            ErrorCode::AuthFailed => "auth_failed",
            ErrorCode::Io => "io",
            ErrorCode::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error a person can act on: a stable [`ErrorCode`] plus a message that says what was
/// wrong and, where possible, what to do instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    message: String,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error { code, message: message.into() }
    }
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::InvalidInput, message)
    }
    pub fn unsupported(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Unsupported, message)
    }
    pub fn limit_exceeded(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::LimitExceeded, message)
    }
    pub fn auth_failed(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::AuthFailed, message)
    }
    pub fn io(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Io, message)
    }
    pub fn code(&self) -> ErrorCode {
        self.code
    }
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error::io(err.to_string())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A ceiling on how much a kernel may allocate for one job. Kernels check a request against
/// it *before* allocating, so a hostile parameter (an Argon2 memory cost, a declared image
/// size) is refused with `limit_exceeded` instead of exhausting a 128 MiB edge worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryBudget {
    pub max_bytes: u64,
}

impl MemoryBudget {
    /// 1 GiB: generous for a CLI, still below what a wasm32 instance can address (4 GiB).
    pub const DEFAULT: MemoryBudget = MemoryBudget { max_bytes: 1 << 30 };

    pub fn check(&self, what: &str, requested_bytes: u64) -> Result<()> {
        if requested_bytes > self.max_bytes {
            return Err(Error::limit_exceeded(format!(
                "{what} needs {requested_bytes} bytes, over the memory budget of {} bytes; \
                 lower the parameter or raise the budget",
                self.max_bytes
            )));
        }
        Ok(())
    }
}

impl Default for MemoryBudget {
    fn default() -> Self {
        MemoryBudget::DEFAULT
    }
}

/// How this binary was compiled. Wasm has no run-time CPU detection, so `simd128` is a build
/// choice; hosts ship a simd128 and a scalar build and report which one is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    pub simd128: bool,
    pub threads: bool,
    pub target_arch: &'static str,
}

pub const fn features() -> Features {
    Features {
        simd128: cfg!(target_feature = "simd128"),
        threads: cfg!(target_feature = "atomics"),
        target_arch: std::env::consts::ARCH,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_snake_case() {
        let names: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names, ["invalid_input", "unsupported", "limit_exceeded", "auth_failed", "io", "internal"]);
    }

    #[test]
    fn budget_refuses_before_allocating() {
        let budget = MemoryBudget { max_bytes: 1024 };
        assert!(budget.check("x", 1024).is_ok());
        let err = budget.check("argon2 memory", 1025).unwrap_err();
        assert_eq!(err.code(), ErrorCode::LimitExceeded);
        assert!(err.message().contains("argon2 memory"));
    }
}
