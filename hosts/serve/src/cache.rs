//! The on-disk cache of compiled components.
//!
//! An entry is named by a key over the component's bytes, this crate's version and wasmtime's
//! compatibility hash of the engine configuration (which covers the wasmtime version, the target
//! CPU features and every setting that changes generated code), so a new component, a new
//! wasmtime or a different `--memory-limit-mib` never finds a stale entry. Each entry carries a
//! checksum of its payload: wasmtime only checks headers when loading precompiled code, so a
//! flipped bit in the code itself would otherwise run. Any unusable entry is replaced by a fresh
//! compilation; cache trouble is reported and never stops the server.

use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use wasmtime::component::Component;
use wasmtime::Engine;

const MAGIC: &[u8; 8] = b"NNSERVE1";
const CHECKSUM_LEN: usize = 32;
const PREFIX: &str = "serve-";
const SUFFIX: &str = ".cwasm";
/// Entries kept per cache directory; older ones are removed when a new one is written.
const KEEP: usize = 8;

/// The cache directory used when none is given: the user's cache dir when there is one,
/// otherwise `.nearnative-cache` next to the component.
pub(crate) fn default_dir(component: &Path) -> PathBuf {
    let user = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")));
    match user {
        Some(dir) => dir.join("nearnative").join("serve"),
        None => beside(component),
    }
}

fn beside(component: &Path) -> PathBuf {
    component.parent().unwrap_or(Path::new(".")).join(".nearnative-cache")
}

/// Adapts wasmtime's `Hash` of the engine configuration to blake3, whose output is stable
/// across runs and Rust versions (std's `DefaultHasher` promises neither).
struct Blake3Hasher(blake3::Hasher);

impl Hasher for Blake3Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    fn finish(&self) -> u64 {
        unreachable!("only the full blake3 output is used")
    }
}

fn key(engine: &Engine, wasm: &[u8]) -> String {
    let mut hasher = Blake3Hasher(blake3::Hasher::new());
    hasher.0.update(b"nearnative-serve\0");
    hasher.0.update(env!("CARGO_PKG_VERSION").as_bytes());
    hasher.0.update(blake3::hash(wasm).as_bytes());
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hasher.0.finalize().to_hex()[..32].to_owned()
}

/// Compiles the component, or loads it from `dir` when an entry for it is there.
pub(crate) fn load(engine: &Engine, wasm: &[u8], dir: Option<&Path>, component: &Path) -> wasmtime::Result<Component> {
    let Some(dir) = dir else {
        return compile(engine, wasm, component);
    };
    let path = dir.join(format!("{PREFIX}{}{SUFFIX}", key(engine, wasm)));
    match read_entry(engine, &path) {
        Ok(Some(loaded)) => return Ok(loaded),
        Ok(None) => {}
        Err(reason) => {
            note(format_args!("ignoring cache entry {}: {reason}; recompiling", path.display()));
            let _ = fs::remove_file(&path);
        }
    }
    let compiled = compile(engine, wasm, component)?;
    match compiled.serialize() {
        Ok(payload) => match write_entry(dir, &path, &payload) {
            Ok(()) => prune(dir, &path),
            Err(e) => note(format_args!("could not write cache entry {}: {e}", path.display())),
        },
        Err(e) => note(format_args!("could not serialize the compiled component: {e}")),
    }
    Ok(compiled)
}

fn compile(engine: &Engine, wasm: &[u8], component: &Path) -> wasmtime::Result<Component> {
    let start = Instant::now();
    let compiled = Component::new(engine, wasm)?;
    note(format_args!("compiled {} in {:.2} s", component.display(), start.elapsed().as_secs_f64()));
    Ok(compiled)
}

/// `Ok(None)` when there is no entry; `Err` with the reason when there is one that cannot be used.
fn read_entry(engine: &Engine, path: &Path) -> Result<Option<Component>, String> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let header = MAGIC.len() + CHECKSUM_LEN;
    if bytes.len() < header || &bytes[..MAGIC.len()] != MAGIC {
        return Err("not a cache entry".into());
    }
    let (checksum, payload) = bytes[MAGIC.len()..].split_at(CHECKSUM_LEN);
    if blake3::hash(payload).as_bytes() != checksum {
        return Err("checksum mismatch (corrupt or truncated)".into());
    }
    deserialize(engine, payload).map(Some).map_err(|e| e.to_string())
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, payload: &[u8]) -> wasmtime::Result<Component> {
    // SAFETY: wasmtime requires the bytes to be its own serialization of a component for a
    // compatible engine. The checksum, checked by the caller, proves these are exactly the bytes
    // `Component::serialize` produced when this process family wrote the entry; the entry's
    // name covers the engine's compatibility hash, and wasmtime re-checks version and config
    // itself. The bytes are copied into wasmtime's own mapping, so a later change to the file
    // cannot affect the loaded code (which `deserialize_file`'s mmap would not guarantee).
    unsafe { Component::deserialize(engine, payload) }
}

/// Written to a temporary file and renamed, so a reader sees a whole entry or none.
fn write_entry(dir: &Path, path: &Path, payload: &[u8]) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let temp =
        dir.join(format!(".{}.{}.tmp", path.file_name().unwrap_or_default().to_string_lossy(), std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(MAGIC)?;
        file.write_all(blake3::hash(payload).as_bytes())?;
        file.write_all(payload)?;
        drop(file);
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Keeps the newest entries; entries of older builds would otherwise pile up forever.
fn prune(dir: &Path, keep: &Path) {
    let Ok(read) = fs::read_dir(dir) else { return };
    let mut entries: Vec<(std::time::SystemTime, PathBuf)> = read
        .filter_map(Result::ok)
        .filter(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with(PREFIX) && name.ends_with(SUFFIX)
        })
        .filter_map(|entry| Some((entry.metadata().ok()?.modified().ok()?, entry.path())))
        .filter(|(_, path)| path != keep)
        .collect();
    entries.sort_by_key(|entry| std::cmp::Reverse(entry.0));
    for (_, old) in entries.into_iter().skip(KEEP - 1) {
        let _ = fs::remove_file(old);
    }
}

/// The fallback used when the preferred cache directory cannot be created.
pub(crate) fn usable_dir(preferred: PathBuf, component: &Path) -> Option<PathBuf> {
    if fs::create_dir_all(&preferred).is_ok() {
        return Some(preferred);
    }
    let fallback = beside(component);
    if fallback != preferred && fs::create_dir_all(&fallback).is_ok() {
        note(format_args!("cannot create {}; caching in {}", preferred.display(), fallback.display()));
        return Some(fallback);
    }
    note(format_args!("cannot create cache directory {}; compiling at every start", preferred.display()));
    None
}

fn note(message: std::fmt::Arguments<'_>) {
    eprintln!("nearnative serve: {message}");
}
