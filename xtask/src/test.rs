//! `cargo xtask test`: every test, in the order that fails fastest. `build` has already run.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Result};

use crate::util::run as exec;
use crate::util::{self, node_bin, root, step};

pub fn run(args: &[String]) -> Result<()> {
    if let Some(unknown) = args.first() {
        bail!("cargo xtask test takes no arguments, got '{unknown}'");
    }
    step("tidy: docs name only paths that exist");
    crate::tidy::run()?;

    step("cargo fmt --check, cargo clippy -D warnings");
    exec(util::cargo().args(["fmt", "--all", "--check"]))?;
    exec(util::cargo().args(["clippy", "--workspace", "--all-targets", "--quiet", "--", "-D", "warnings"]))?;

    step("cargo test (kernels, vectors, CLI, xtask)");
    exec(util::cargo().args(["test", "--workspace", "--exclude", "nearnative-web"]))?;

    step("test programs: the vector runner (native, wasm32-wasip1) and the component embedder");
    crate::build::native_release()?;
    crate::build::simd_wasm_build("wasi-simd", "nearnative-conformance", "wasm32-wasip1")?;

    step("TypeScript declarations (tsc --noEmit on tests/types)");
    exec(Command::new(node_bin("tsc")).args(["-p", "tests/types"]))?;

    step("behaviour tests: CLI, npm in Node, demo page in Chromium (node --test)");
    let mut files = Vec::new();
    find_tests(&root().join("tests"), &mut files)?;
    files.sort();
    let relative: Vec<String> =
        files.iter().map(|f| f.strip_prefix(root()).unwrap().to_string_lossy().into_owned()).collect();
    exec(Command::new("node").arg("--test").arg("--test-reporter=spec").args(&relative))?;

    step("conformance matrix: every vector on every host");
    exec(Command::new("node").arg("tests/conformance/run.mjs"))?;

    step("image reference check: the vectors still match what generate.py writes (Pillow, pypng)");
    image_vectors_reproducible()?;

    step("fuzz: each image target for 10 s");
    crate::fuzz::run_all(10)?;

    eprintln!("\nall tests passed");
    Ok(())
}

fn find_tests(dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            find_tests(&path, found)?;
        } else if path.to_string_lossy().ends_with(".test.mjs") {
            found.push(path);
        }
    }
    Ok(())
}

/// Runs tests/vectors/image/generate.py into a scratch copy and checks that it writes the
/// committed files byte for byte: the expectations still come from the independent references.
fn image_vectors_reproducible() -> Result<()> {
    let committed = root().join("tests/vectors/image");
    let scratch = root().join("target/image-vectors-check");
    let _ = fs::remove_dir_all(&scratch);
    copy_tree(&committed, &scratch)?;
    exec(
        Command::new("python3")
            .arg(scratch.join("generate.py"))
            .env("PYTHONPATH", root().join(crate::setup::PYTHON_TOOLS)),
    )?;
    let mut a = Vec::new();
    let mut b = Vec::new();
    list_files(&committed, &committed, &mut a)?;
    list_files(&scratch, &scratch, &mut b)?;
    if a != b {
        bail!("generate.py writes other files than tests/vectors/image holds: run it and commit the result");
    }
    for rel in &a {
        if fs::read(committed.join(rel))? != fs::read(scratch.join(rel))? {
            bail!("tests/vectors/image/{} differs from what generate.py writes now", rel.display());
        }
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let path = entry?.path();
        let dest = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &dest)?;
        } else {
            fs::copy(&path, &dest)?;
        }
    }
    Ok(())
}

fn list_files(base: &Path, dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<std::io::Result<_>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "__pycache__") {
                continue;
            }
            list_files(base, &path, found)?;
        } else {
            found.push(path.strip_prefix(base).unwrap().to_path_buf());
        }
    }
    Ok(())
}
