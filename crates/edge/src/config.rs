use nearnative_core::MemoryBudget;

/// Milliseconds on a clock that only has to be monotonic within one request. Hosts pass
/// their own: `std::time::Instant` does not exist on wasm32-unknown-unknown (Workers).
pub type Clock = fn() -> f64;

/// The limits and switches of one deployment. Every host reads the same environment
/// variables ([`Config::from_env`]), so a limit means the same thing on `wasmtime serve`,
/// Spin, Fastly, `nearnative serve` and a Worker.
#[derive(Debug, Clone)]
pub struct Config {
    /// Names the host in `/v1/health` (`wasi-http`, `workerd`, `native`).
    pub host: &'static str,
    /// Largest body a streaming route (hash, hmac, encrypt) accepts; such a body is never
    /// held in memory, so this can be far above the instance's memory.
    pub max_body_bytes: u64,
    /// Largest body a route that must see the whole body first (aead, decrypt, kdf) accepts.
    pub max_buffered_bytes: u64,
    /// Wall-clock limit per request in milliseconds, checked between body chunks; 0 = none.
    /// Hosts that can interrupt running code (epochs, CPU limits) enforce a hard limit too.
    pub time_limit_ms: u64,
    /// Memory a single kernel call may ask for (Argon2id's memory cost, scrypt's).
    pub memory_budget: MemoryBudget,
    /// Routes under `/v1/_test/` that trap, spin or allocate on purpose, for the host tests.
    pub test_routes: bool,
    pub clock: Clock,
}

pub const DEFAULT_MAX_BODY_BYTES: u64 = 4 << 30;
pub const DEFAULT_MAX_BUFFERED_BYTES: u64 = 64 << 20;
pub const DEFAULT_TIME_LIMIT_MS: u64 = 60_000;
pub const DEFAULT_MEMORY_BUDGET_MIB: u64 = 256;

/// The environment variables [`Config::from_env`] reads, with what each sets.
pub const ENV_VARS: &[(&str, &str)] = &[
    ("NEARNATIVE_MAX_BODY_BYTES", "largest body for streaming routes (default 4 GiB)"),
    ("NEARNATIVE_MAX_BUFFERED_BYTES", "largest body for routes that buffer it (default 64 MiB)"),
    ("NEARNATIVE_TIME_LIMIT_MS", "wall-clock limit per request, 0 for none (default 60000)"),
    ("NEARNATIVE_MEMORY_BUDGET_MIB", "memory one kernel call may ask for (default 256)"),
    ("NEARNATIVE_TEST_ROUTES", "1 enables /v1/_test/{trap,spin,alloc} (default off)"),
];

impl Config {
    pub fn new(host: &'static str, clock: Clock) -> Self {
        Config {
            host,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_buffered_bytes: DEFAULT_MAX_BUFFERED_BYTES,
            time_limit_ms: DEFAULT_TIME_LIMIT_MS,
            memory_budget: MemoryBudget { max_bytes: DEFAULT_MEMORY_BUDGET_MIB << 20 },
            test_routes: false,
            clock,
        }
    }

    /// Reads [`ENV_VARS`] through `lookup` (`std::env::var`, a Worker's `env`, ...). A value
    /// that does not parse is an error naming the variable, so a typo in a deployment file
    /// fails loudly instead of silently running with the default.
    pub fn from_env(host: &'static str, clock: Clock, lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut config = Config::new(host, clock);
        let number = |name: &str| -> Result<Option<u64>, String> {
            match lookup(name) {
                None => Ok(None),
                Some(text) if text.trim().is_empty() => Ok(None),
                Some(text) => {
                    text.trim().parse::<u64>().map(Some).map_err(|_| format!("{name}={text:?} is not a whole number"))
                }
            }
        };
        if let Some(v) = number("NEARNATIVE_MAX_BODY_BYTES")? {
            config.max_body_bytes = v;
        }
        if let Some(v) = number("NEARNATIVE_MAX_BUFFERED_BYTES")? {
            config.max_buffered_bytes = v;
        }
        if let Some(v) = number("NEARNATIVE_TIME_LIMIT_MS")? {
            config.time_limit_ms = v;
        }
        if let Some(v) = number("NEARNATIVE_MEMORY_BUDGET_MIB")? {
            config.memory_budget = MemoryBudget { max_bytes: v.saturating_mul(1 << 20) };
        }
        config.test_routes = match lookup("NEARNATIVE_TEST_ROUTES").as_deref().map(str::trim) {
            None | Some("") | Some("0") | Some("false") => false,
            Some("1") | Some("true") => true,
            Some(other) => return Err(format!("NEARNATIVE_TEST_ROUTES={other:?} must be 1 or 0")),
        };
        Ok(config)
    }
}

/// A [`Clock`] over `std::time::Instant`, for hosts that have one (WASI, native).
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub fn instant_clock() -> f64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zero() -> f64 {
        0.0
    }

    #[test]
    fn env_overrides_defaults_and_rejects_typos() {
        let config = Config::from_env("t", zero, |name| match name {
            "NEARNATIVE_MAX_BODY_BYTES" => Some("1024".into()),
            "NEARNATIVE_TEST_ROUTES" => Some("1".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.max_body_bytes, 1024);
        assert_eq!(config.max_buffered_bytes, DEFAULT_MAX_BUFFERED_BYTES);
        assert!(config.test_routes);
        let err =
            Config::from_env("t", zero, |name| (name == "NEARNATIVE_TIME_LIMIT_MS").then(|| "5s".into())).unwrap_err();
        assert!(err.contains("NEARNATIVE_TIME_LIMIT_MS"), "{err}");
    }
}
