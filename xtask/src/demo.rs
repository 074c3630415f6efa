//! `cargo xtask demo [--port N]`: serve the playground and the HTTP API (built by `build::run`
//! just before) on 127.0.0.1 until Ctrl-C, both from the wasi:http component under
//! `wasmtime serve`, started by `node playground/edge.mjs`. On Unix this process becomes that
//! launcher (exec), so Ctrl-C reaches exactly one process, which stops wasmtime, prints
//! `stopped` and exits 0, and no server is left behind.

use std::net::TcpListener;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::util::{output, root, step};

const DEFAULT_PORT: u16 = 8137;

pub fn run(args: &[String]) -> Result<()> {
    let port = parse_port(args)?;
    let root = root();
    for needed in [
        "dist/npm/hash/index.js",
        "dist/npm/image/index.js",
        "dist/http/nearnative-http.wasm",
        "node_modules/hash-wasm/dist/index.esm.js",
        "node_modules/pica/dist/pica.min.js",
        "playground/index.html",
    ] {
        if !root.join(needed).is_file() {
            bail!("{needed} is missing: run `cargo xtask build` (and `cargo xtask setup` for node_modules)");
        }
    }
    let Some(version) = output("node", &["--version"]) else {
        bail!("node is not on PATH: the playground is served by node (run `cargo xtask setup`)");
    };
    // Fail here, with a useful message, rather than in node with a stack trace.
    if port != 0 {
        TcpListener::bind(("127.0.0.1", port))
            .with_context(|| format!("port {port} on 127.0.0.1 is not free: pass --port N (0 picks a free one)"))?;
    }

    if output("wasmtime", &["--version"]).is_none() {
        bail!("wasmtime is not on PATH: the demo runs the edge component under `wasmtime serve` (run `cargo xtask setup`)");
    }
    step(&format!(
        "serving the playground and the API from the edge component (node {}, playground/edge.mjs)",
        version.trim()
    ));
    if port != 0 {
        eprintln!("\n    open \x1b[1mhttp://127.0.0.1:{port}/playground/\x1b[0m\n");
    }
    let mut cmd = Command::new("node");
    cmd.arg("playground/edge.mjs").arg("--port").arg(port.to_string()).current_dir(&root);
    serve(cmd)
}

#[cfg(unix)]
fn serve(mut cmd: Command) -> Result<()> {
    use std::os::unix::process::CommandExt;
    // Only returns when node could not be started.
    let err = cmd.exec();
    Err(err).context("cannot start node playground/edge.mjs")
}

#[cfg(not(unix))]
fn serve(mut cmd: Command) -> Result<()> {
    // Ctrl-C reaches node and us alike; node prints `stopped` and exits, and so do we.
    let status = cmd.status().context("cannot start node playground/edge.mjs")?;
    if !status.success() && status.code().is_some() {
        bail!("the playground server failed with {status}");
    }
    Ok(())
}

fn parse_port(args: &[String]) -> Result<u16> {
    let mut port = DEFAULT_PORT;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let value = if arg == "--port" || arg == "-p" {
            it.next().context("--port needs a value, e.g. --port 8137")?.as_str()
        } else if let Some(v) = arg.strip_prefix("--port=") {
            v
        } else {
            bail!("demo: unknown argument '{arg}'; usage: cargo xtask demo [--port N]");
        };
        port = value.parse().with_context(|| format!("--port takes a number from 0 to 65535, got '{value}'"))?;
    }
    Ok(port)
}
