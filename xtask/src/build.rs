//! Builds every host from the same source into the stable paths of DESIGN.md, then prints
//! every .wasm's size and enforces `size-budgets.json`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::util::run as run_cmd;
use crate::util::{self, node_bin, root, step};

/// simd128 is a build-time choice for wasm; every wasm host gets both builds where the engine
/// may lack it, and each flavour its own target dir so switching flags never rebuilds the other.
#[derive(Clone, Copy, PartialEq)]
pub enum Flavor {
    Simd,
    Scalar,
}

impl Flavor {
    fn name(self) -> &'static str {
        match self {
            Flavor::Simd => "simd",
            Flavor::Scalar => "scalar",
        }
    }
    fn rustflags(self) -> &'static str {
        match self {
            Flavor::Simd => "-C target-feature=+simd128",
            Flavor::Scalar => "",
        }
    }
}

pub fn run() -> Result<()> {
    native_cli()?;
    wasi_cli()?;
    npm_hash()?;
    npm_image()?;
    component("nearnative-component", "nearnative_component.wasm", "dist/component/nearnative.wasm")?;
    component("nearnative-http", "nearnative-http.wasm", "dist/http/nearnative-http.wasm")?;
    worker()?;
    report_sizes()
}

fn native_cli() -> Result<()> {
    step("native CLI, test programs and the edge baseline -> target/release/");
    native_release()
}

/// Every native release binary in one cargo invocation. Cargo unifies features over the
/// packages of one invocation, so building them separately would compile wasmtime (shared by
/// the CLI's `serve` and the component test host) once per feature set; built together, every
/// later `cargo xtask` step finds them up to date.
pub fn native_release() -> Result<()> {
    run_cmd(util::cargo().args(["build", "--release"]).args(NATIVE_RELEASE.iter().flat_map(|p| ["-p", p])))
}

const NATIVE_RELEASE: [&str; 4] =
    ["nearnative-cli", "nearnative-conformance", "nearnative-component-host", "nearnative-edge-native"];

/// The release profile of every Wasm build (and of the native kernel benchmark): whole-program
/// LTO in one codegen unit, and no unwinding tables. The workspace's own release profile is
/// lighter because native hosts embed wasmtime (see Cargo.toml).
pub const WASM_PROFILE: [(&str, &str); 3] = [
    ("CARGO_PROFILE_RELEASE_LTO", "fat"),
    ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1"),
    ("CARGO_PROFILE_RELEASE_PANIC", "abort"),
];

pub fn wasm_cargo(flavor: Flavor, dir: &str) -> Command {
    let mut cmd = util::cargo();
    cmd.env("RUSTFLAGS", flavor.rustflags()).env("CARGO_TARGET_DIR", root().join("target").join(dir));
    cmd.envs(WASM_PROFILE);
    cmd
}

/// `cargo build --release -p PACKAGE --target TARGET --features wasm32-simd` with simd128 in
/// `target/DIR`: the shape of every single-flavour Wasm build.
pub fn simd_wasm_build(dir: &str, package: &str, target: &str) -> Result<()> {
    run_cmd(wasm_cargo(Flavor::Simd, dir).args([
        "build",
        "--release",
        "-p",
        package,
        "--target",
        target,
        "--features",
        "wasm32-simd",
    ]))
}

fn wasm_opt(file: &Path) -> Result<()> {
    run_cmd(Command::new(node_bin("wasm-opt")).arg("-O3").arg(file).arg("-o").arg(file))
}

fn wasi_cli() -> Result<()> {
    step("WASI CLI (simd128) -> dist/wasi/nearnative.wasm");
    simd_wasm_build("wasi-simd", "nearnative-cli", "wasm32-wasip1")?;
    let built = root().join("target/wasi-simd/wasm32-wasip1/release/nearnative.wasm");
    let out = root().join("dist/wasi/nearnative.wasm");
    if up_to_date(&built, &out) {
        return Ok(());
    }
    fs::create_dir_all(out.parent().unwrap())?;
    fs::copy(&built, &out).with_context(|| format!("copying {}", built.display()))?;
    wasm_opt(&out)?;
    stamp(&built, &out)
}

/// A wasm32-wasip2 component (rustc links it as a component itself). No wasm-opt: binaryen
/// reads core modules, not components.
fn component(package: &str, artifact: &str, out: &str) -> Result<()> {
    step(&format!("component {package} (wasm32-wasip2, simd128) -> {out}"));
    simd_wasm_build("wasi-simd", package, "wasm32-wasip2")?;
    let built = root().join("target/wasi-simd/wasm32-wasip2/release").join(artifact);
    let out = root().join(out);
    fs::create_dir_all(out.parent().unwrap())?;
    fs::copy(&built, &out).with_context(|| format!("copying {}", built.display()))?;
    Ok(())
}

/// `dist/worker/`: the Worker's module, the edge router through wasm-bindgen, and the files
/// workerd and wrangler read (hosts/worker/js).
fn worker() -> Result<()> {
    step("Cloudflare Worker (wasm32-unknown-unknown, simd128) -> dist/worker/");
    simd_wasm_build("web-simd", "nearnative-worker", "wasm32-unknown-unknown")?;
    let built = root().join("target/web-simd/wasm32-unknown-unknown/release/nearnative_worker.wasm");
    let out_dir = root().join("dist/worker");
    let optimized = out_dir.join("nearnative_worker_bg.wasm");
    fs::create_dir_all(&out_dir)?;
    if !up_to_date(&built, &optimized) {
        run_cmd(
            Command::new("wasm-bindgen")
                .args(["--target", "web", "--experimental-reset-state-function", "--out-name", "nearnative_worker"])
                .arg("--out-dir")
                .arg(&out_dir)
                .arg(&built),
        )?;
        wasm_opt(&optimized)?;
        stamp(&built, &optimized)?;
    }
    copy_dir(&root().join("hosts/worker/js"), &out_dir)
}

/// True when `output` exists and was made from exactly these `input` bytes. Cargo relinks a
/// cdylib whenever its features flip, so mtimes say nothing; a fingerprint of the bytes does.
/// Skipping wasm-bindgen and wasm-opt keeps a no-change build to seconds.
fn up_to_date(input: &Path, output: &Path) -> bool {
    let (Ok(bytes), Ok(stamp)) = (fs::read(input), fs::read_to_string(stamp_path(output))) else {
        return false;
    };
    output.exists() && stamp == util::fingerprint(&bytes)
}

/// Records that `output` was made from `input`'s current bytes.
fn stamp(input: &Path, output: &Path) -> Result<()> {
    let path = stamp_path(output);
    fs::create_dir_all(path.parent().unwrap())?;
    fs::write(path, util::fingerprint(&fs::read(input)?))?;
    Ok(())
}

fn stamp_path(output: &Path) -> PathBuf {
    let name = output.strip_prefix(root()).unwrap_or(output).to_string_lossy().replace(['/', '\\'], "__");
    root().join("target/stamps").join(name)
}

/// `dist/npm/hash/`: the JS layer from `js/hash/` plus, for each flavour, a hash module and an
/// age module (age is large, so it is loaded only when used).
fn npm_hash() -> Result<()> {
    let package = root().join("dist/npm/hash");
    for flavor in [Flavor::Simd, Flavor::Scalar] {
        for module in ["hash", "age"] {
            web_module(&package, "@nearnative/hash", module, flavor)?;
        }
    }
    npm_package("js/hash", &package)
}

/// `dist/npm/image/`: the JS layer from `js/image/` plus the image module in both flavours.
fn npm_image() -> Result<()> {
    let package = root().join("dist/npm/image");
    for flavor in [Flavor::Simd, Flavor::Scalar] {
        web_module(&package, "@nearnative/image", "image", flavor)?;
    }
    npm_package("js/image", &package)
}

/// One flavour of one nearnative-web cdylib (`--no-default-features --features MODULE`),
/// through wasm-bindgen and wasm-opt, into `PACKAGE/wasm/nearnative_MODULE_FLAVOR*`.
fn web_module(package: &Path, npm_name: &str, module: &str, flavor: Flavor) -> Result<()> {
    step(&format!("npm {npm_name}: {module} module, {} build", flavor.name()));
    let wasm_dir = package.join("wasm");
    fs::create_dir_all(&wasm_dir)?;
    let mut features = module.to_owned();
    if flavor == Flavor::Simd {
        features.push_str(",wasm32-simd");
    }
    let dir = format!("web-{}", flavor.name());
    run_cmd(wasm_cargo(flavor, &dir).args([
        "build",
        "--release",
        "-p",
        "nearnative-web",
        "--target",
        "wasm32-unknown-unknown",
        "--no-default-features",
        "--features",
        &features,
    ]))?;
    let built = root().join("target").join(&dir).join("wasm32-unknown-unknown/release/nearnative_web.wasm");
    let name = format!("nearnative_{module}_{}", flavor.name());
    let optimized = wasm_dir.join(format!("{name}_bg.wasm"));
    if up_to_date(&built, &optimized) {
        return Ok(());
    }
    run_cmd(
        Command::new("wasm-bindgen")
            .args(["--target", "web", "--weak-refs", "--experimental-reset-state-function", "--out-name", &name])
            .arg("--out-dir")
            .arg(&wasm_dir)
            .arg(&built),
    )?;
    wasm_opt(&optimized)?;
    stamp(&built, &optimized)
}

/// Copies the JS every package shares (`js/common`: loading, errors, the trap guard), a
/// package's own JS layer (`js/NAME`) and the licences into `package`, which stays
/// self-contained.
fn npm_package(js_dir: &str, package: &Path) -> Result<()> {
    copy_dir(&root().join("js/common"), package)?;
    copy_dir(&root().join(js_dir), package)?;
    for licence in ["LICENSE-MIT", "LICENSE-APACHE"] {
        fs::copy(root().join(licence), package.join(licence))?;
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            fs::create_dir_all(&target)?;
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn gzip_len(path: &Path) -> Result<u64> {
    let out = Command::new("gzip").args(["-9", "-c"]).arg(path).output().context("running gzip")?;
    Ok(out.stdout.len() as u64)
}

fn wasm_files(dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            wasm_files(&path, found)?;
        } else if path.extension().is_some_and(|e| e == "wasm") {
            found.push(path);
        }
    }
    Ok(())
}

/// Prints raw and gzipped sizes and fails when a file is over its budget in size-budgets.json.
fn report_sizes() -> Result<()> {
    let budgets_text = fs::read_to_string(root().join("size-budgets.json")).context("reading size-budgets.json")?;
    let budgets: serde_json::Value = serde_json::from_str(&budgets_text).context("parsing size-budgets.json")?;
    let mut files = Vec::new();
    wasm_files(&root().join("dist"), &mut files)?;
    files.sort();
    let mut over = Vec::new();
    println!("{:<58} {:>10} {:>10} {:>12}", "wasm", "raw", "gzip", "gzip budget");
    for file in &files {
        let rel = file.strip_prefix(root())?.to_string_lossy().replace('\\', "/");
        let raw = fs::metadata(file)?.len();
        let gz = gzip_len(file)?;
        let budget = budgets["files"][&rel]["gzip_max_bytes"].as_u64();
        let shown = budget.map_or("none".to_owned(), |b| b.to_string());
        println!("{rel:<58} {raw:>10} {gz:>10} {shown:>12}");
        match budget {
            Some(max) if gz > max => over.push(format!("{rel}: {gz} bytes gzipped, budget {max}")),
            None => over.push(format!("{rel}: no budget in size-budgets.json (add one)")),
            _ => {}
        }
    }
    if !over.is_empty() {
        bail!("size budgets exceeded:\n  {}", over.join("\n  "));
    }
    Ok(())
}
