//! `cargo xtask fuzz [--seconds N]`: runs each cargo-fuzz target of fuzz/ for N seconds
//! (default 60) on nightly, after seeding fuzz/corpus/<target>/ from tests/vectors/image.
//! A crash fails the command; cargo-fuzz prints the reproducer's path under fuzz/artifacts/.

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::util::{self, root, step};

pub const TARGETS: [&str; 4] = ["decode", "probe", "pipeline", "jpeg_reduced"];

pub fn run(args: &[String]) -> Result<()> {
    let mut seconds = 60;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--seconds" => {
                seconds = it.next().and_then(|v| v.parse().ok()).context("--seconds needs a whole number")?;
            }
            other => bail!("cargo xtask fuzz takes [--seconds N], got '{other}'"),
        }
    }
    run_all(seconds)
}

/// Builds the targets once, then runs each for `seconds`.
pub fn run_all(seconds: u32) -> Result<()> {
    seed()?;
    step("cargo +nightly fuzz build (first build takes minutes)");
    util::run(nightly_fuzz().args(["build", "--fuzz-dir", "fuzz"]))?;
    for target in TARGETS {
        step(&format!("fuzz {target} for {seconds} s"));
        util::run(
            nightly_fuzz().args(["run", "--fuzz-dir", "fuzz", target]).arg(format!("fuzz/corpus/{target}")).args([
                "--",
                &format!("-max_total_time={seconds}"),
                "-rss_limit_mb=2048",
                "-timeout=30",
                "-print_final_stats=1",
            ]),
        )?;
    }
    Ok(())
}

fn nightly_fuzz() -> Command {
    // Plain `cargo` (the rustup proxy), so `+nightly` picks the toolchain; drop what the
    // outer stable cargo put in the environment.
    let mut cmd = Command::new("cargo");
    cmd.args(["+nightly", "fuzz"]);
    for var in ["CARGO", "RUSTC", "RUSTDOC", "RUSTUP_TOOLCHAIN", "CARGO_TARGET_DIR", "RUSTFLAGS"] {
        cmd.env_remove(var);
    }
    cmd
}

/// Copies the image vectors into each target's corpus, in the shape the target reads.
fn seed() -> Result<()> {
    let vectors = root().join("tests/vectors/image");
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for sub in ["png", "corrupt", "jpeg", "other", "jobs", "resize"] {
        let Ok(entries) = fs::read_dir(vectors.join(sub)) else { continue };
        let mut paths: Vec<_> = entries.map(|e| e.map(|e| e.path())).collect::<std::io::Result<_>>()?;
        paths.sort();
        // Every 4th file of the large PNG set is seed enough.
        let step_by = if sub == "png" { 4 } else { 1 };
        for path in paths.iter().filter(|p| !p.to_string_lossy().ends_with(".zz")).step_by(step_by) {
            files.push((path.file_name().unwrap().to_string_lossy().into_owned(), fs::read(path)?));
        }
    }
    let corpus = root().join("fuzz/corpus");
    for target in TARGETS {
        fs::create_dir_all(corpus.join(target))?;
    }
    for (name, bytes) in &files {
        write(&corpus.join("decode").join(name), bytes)?;
        write(&corpus.join("probe").join(name), bytes)?;
        let mut reduced = vec![16, 0, 12, 0];
        reduced.extend_from_slice(bytes);
        write(&corpus.join("jpeg_reduced").join(name), &reduced)?;
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(vectors.join("cases.json")).context("tests/vectors/image/cases.json")?)?;
    for case in manifest["cases"].as_array().into_iter().flatten().filter(|c| c["kind"] == "job") {
        let (Some(id), Some(query), Some(file)) = (case["id"].as_str(), case["query"].as_str(), case["file"].as_str())
        else {
            continue;
        };
        let query = &query.as_bytes()[..query.len().min(255)];
        let mut seed = vec![query.len() as u8];
        seed.extend_from_slice(query);
        seed.extend_from_slice(&fs::read(vectors.join(file))?);
        write(&corpus.join("pipeline").join(id), &seed)?;
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}
