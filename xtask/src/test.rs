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
