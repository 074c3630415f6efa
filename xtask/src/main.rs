//! `cargo xtask <command>`: setup, build, test, bench, demo. Runs from any folder: the root
//! is found from this crate's manifest. Each command lives in its own module.

mod bench;
mod build;
mod demo;
mod fuzz;
mod setup;
mod test;
mod tidy;
mod util;

use anyhow::{bail, Result};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  setup            install what is missing (wasm targets, wasm-bindgen-cli, wasmtime-cli,
                   npm tooling from package-lock.json, chromium and age from Debian)
  build            setup, then build every host into target/ and dist/ and check size budgets
  test             setup, build, then run every test: cargo tests, CLI, npm in Node and
                   Chromium, the cross-host conformance matrix, the demo page,
                   a short fuzz run of the image decoders
  bench [DOMAIN] [--quick]
                   benchmark a domain (hash, image, edge) on every host; writes
                   bench/results/DOMAIN.json and bench/RESULTS[-DOMAIN].md
  demo [--port N]  build, then serve the playground on 127.0.0.1 until Ctrl-C
  fuzz [--seconds N]
                   run each cargo-fuzz target of fuzz/ (image decode, probe, pipeline,
                   jpeg_reduced) for N seconds (default 60) on nightly

  --no-setup       (any command) skip the install step
";

fn main() {
    if let Err(err) = run() {
        eprintln!("xtask: error: {err:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.first() else {
        print!("{USAGE}");
        return Ok(());
    };
    // `--no-setup` skips the install step, for machines set up by other means.
    let no_setup = args.iter().any(|a| a == "--no-setup");
    let rest: Vec<String> = args[1..].iter().filter(|a| *a != "--no-setup").cloned().collect();
    let setup = || if no_setup { Ok(()) } else { setup::run() };
    match command.as_str() {
        "setup" => setup::run(),
        "build" => {
            setup()?;
            build::run()
        }
        "test" => {
            setup()?;
            build::run()?;
            test::run(&rest)
        }
        "bench" => {
            setup()?;
            build::run()?;
            bench::run(&rest)
        }
        "demo" => {
            setup()?;
            build::run()?;
            demo::run(&rest)
        }
        "fuzz" => {
            setup()?;
            fuzz::run(&rest)
        }
        "tidy" => tidy::run(),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown command '{other}'\n\n{USAGE}"),
    }
}
