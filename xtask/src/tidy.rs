//! Repository checks that are cheap and catch rot: the docs must not name paths that are gone
//! (STYLE.md: keep ARCHITECTURE.md true), and the README must keep its two commands.

use std::fs;

use anyhow::{bail, Result};

use crate::util::root;

pub fn run() -> Result<()> {
    let mut problems = Vec::new();
    // tests/vectors/README.md is left out: it names paths in the upstream repositories.
    for doc in ["ARCHITECTURE.md", "README.md", "bench/README.md", "js/hash/README.md"] {
        let Ok(text) = fs::read_to_string(root().join(doc)) else {
            problems.push(format!("{doc} is missing"));
            continue;
        };
        for path in named_paths(&text) {
            if !root().join(&path).exists() && !generated(&path) {
                problems.push(format!("{doc} names `{path}`, which does not exist"));
            }
        }
    }
    let readme = fs::read_to_string(root().join("README.md")).unwrap_or_default();
    let first_screen: String = readme.lines().take(40).collect::<Vec<_>>().join("\n");
    for command in ["cargo xtask demo", "cargo xtask test"] {
        if !first_screen.contains(command) {
            problems.push(format!("README.md's first screen must show `{command}`"));
        }
    }
    if !problems.is_empty() {
        bail!("tidy:\n  {}", problems.join("\n  "));
    }
    Ok(())
}

/// Build output is named in the docs but only exists after `cargo xtask build`.
fn generated(path: &str) -> bool {
    ["dist/", "target/", "bench/results/", "node_modules/"].iter().any(|p| path.starts_with(p))
}

/// Backticked tokens that look like repository paths: contain a `/`, no spaces, and start
/// with one of the top-level folders.
fn named_paths(text: &str) -> Vec<String> {
    const TOP: [&str; 12] = [
        "crates/",
        "hosts/",
        "js/",
        "tests/",
        "bench/",
        "xtask/",
        "playground/",
        "wit/",
        "dist/",
        "target/",
        ".ci/",
        ".cargo/",
    ];
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(|t| t.trim_end_matches(['/', '.', ',', ':']).to_owned())
        .filter(|t| !t.contains(' ') && !t.contains('*') && !t.contains('<') && TOP.iter().any(|p| t.starts_with(p)))
        .collect()
}
