//! `cargo xtask bench [DOMAIN] [--quick]`: benchmarks a domain on every host, writes
//! `bench/results/<domain>.json` (DESIGN.md "Benchmark results format") and renders
//! `bench/RESULTS.md`. Performance is reported as ratios measured in one run, never asserted.
//!
//! The hash domain runs on four hosts, one after the other so they never compete for the cores:
//! `native` and `wasmtime` (the `nearnative-bench` crate in bench/native, built natively and as
//! wasm32-wasip1 with simd128), `node` and `chromium` (bench/hash/*.mjs). Every runner prints one
//! JSON row per line on stdout; this module merges them. Methodology: bench/README.md.
//!
//! The image domain (`image`) runs its jobs the same way: `nearnative-bench-image` natively and
//! under wasmtime, bench/image/node.mjs and bench/image/chromium.mjs beside the JS/Wasm peers,
//! and bench/image/encoders.mjs for encoded sizes at equal quality; it writes
//! `bench/results/image.json` and renders `bench/RESULTS-image.md`.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::util::{self, node_bin, root, step};

const DOMAINS: [&str; 3] = ["hash", "edge", "image"];

/// Every digest of the hash domain, in `Algorithm::ALL` order.
const HASH_KERNELS: [&str; 15] = [
    "sha1",
    "sha224",
    "sha256",
    "sha384",
    "sha512",
    "sha3-256",
    "sha3-512",
    "blake2b-512",
    "blake2s-256",
    "blake3",
    "xxh64",
    "xxh3-64",
    "xxh3-128",
    "crc32",
    "crc32c",
];
const INPUTS: [&str; 5] = ["32B", "1KiB", "1MiB", "64MiB", "64MiB-stream"];
const HOSTS: [&str; 5] = ["native", "wasmtime", "node", "chromium", "workerd"];
/// The platform's own native code, shown beside the peers but not counted as one.
const REFERENCES: [&str; 2] = ["node:crypto", "webcrypto"];
/// Peers whose versions the results header names (package-lock.json).
const NPM_PEERS: [&str; 3] = ["hash-wasm", "@noble/hashes", "playwright-core"];

pub fn run(args: &[String]) -> Result<()> {
    let mut quick = false;
    let mut domains = Vec::new();
    for arg in args {
        match arg.as_str() {
            "--quick" => quick = true,
            flag if flag.starts_with('-') => {
                bail!("bench: unknown option '{flag}'; usage: cargo xtask bench [DOMAIN] [--quick]")
            }
            domain if DOMAINS.contains(&domain) => domains.push(domain.to_owned()),
            other => bail!("bench: unknown domain '{other}'; domains: {}", DOMAINS.join(", ")),
        }
    }
    if domains.is_empty() {
        domains = DOMAINS.iter().map(|d| (*d).to_owned()).collect();
    }
    for domain in &domains {
        match domain.as_str() {
            "hash" => hash(quick)?,
            "edge" => edge(quick)?,
            "image" => image(quick)?,
            _ => unreachable!("checked above"),
        }
    }
    Ok(())
}

/// One result row, in the field order of DESIGN.md.
#[derive(Clone, Debug)]
struct Row {
    kernel: String,
    input: String,
    host: String,
    implementation: String,
    median_ms: f64,
    throughput: f64,
    unit: String,
    runs: u64,
}

impl Row {
    fn parse(line: &str) -> Result<Row> {
        let v: Value = serde_json::from_str(line).with_context(|| format!("not a JSON row: {line}"))?;
        let text =
            |k: &str| v[k].as_str().map(str::to_owned).with_context(|| format!("row lacks string '{k}': {line}"));
        let number = |k: &str| v[k].as_f64().with_context(|| format!("row lacks number '{k}': {line}"));
        let row = Row {
            kernel: text("kernel")?,
            input: text("input")?,
            host: text("host")?,
            implementation: text("impl")?,
            median_ms: number("median_ms")?,
            throughput: number("throughput")?,
            unit: text("unit")?,
            runs: v["runs"].as_u64().with_context(|| format!("row lacks integer 'runs': {line}"))?,
        };
        if !(row.median_ms > 0.0 && row.throughput > 0.0 && row.throughput.is_finite()) {
            bail!("row with a non-positive time or throughput: {line}");
        }
        Ok(row)
    }

    fn to_json(&self) -> String {
        let s = |t: &str| Value::from(t).to_string();
        format!(
            "{{\"kernel\": {}, \"input\": {}, \"host\": {}, \"impl\": {}, \"median_ms\": {}, \"throughput\": {}, \
             \"unit\": {}, \"runs\": {}}}",
            s(&self.kernel),
            s(&self.input),
            s(&self.host),
            s(&self.implementation),
            Value::from(round_sig(self.median_ms, 6)),
            Value::from(round_sig(self.throughput, 6)),
            s(&self.unit),
            self.runs
        )
    }
}

fn round_sig(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

fn hash(quick: bool) -> Result<()> {
    let started = Instant::now();
    let load_before = load_average();
    let cwasm = build_bench_crate()?;
    let quick_flag: &[&str] = if quick { &["--quick"] } else { &[] };
    let mode = if quick { " (quick)" } else { "" };
    let mut rows = Vec::new();
    let mut timings: Vec<(&'static str, f64, usize)> = vec![("native", 0.0, 0), ("wasmtime", 0.0, 0)];

    // native and wasmtime take turns kernel by kernel: the `wasmtime / native` ratio compares two
    // processes, and taking them seconds rather than minutes apart lets both see the same load.
    step(&format!("bench hash on native and wasmtime, kernel by kernel{mode}"));
    let native = root().join("target/bench-native/release/nearnative-bench");
    for kernel in HASH_KERNELS {
        for (slot, host) in ["native", "wasmtime"].into_iter().enumerate() {
            let mut cmd = if host == "native" {
                Command::new(&native)
            } else {
                let mut cmd = Command::new("wasmtime");
                cmd.args(["run", "--allow-precompiled"]).arg(&cwasm);
                cmd
            };
            cmd.args(quick_flag).args(["--kernel", kernel]);
            let t = Instant::now();
            let got = host_rows(host, &mut cmd)?;
            timings[slot].1 += t.elapsed().as_secs_f64();
            timings[slot].2 += got.len();
            rows.extend(got);
        }
    }
    for (host, script) in [("node", "bench/hash/node.mjs"), ("chromium", "bench/hash/chromium.mjs")] {
        step(&format!("bench hash on {host}{mode}"));
        let mut cmd = Command::new("node");
        cmd.arg(script).args(quick_flag);
        let t = Instant::now();
        let got = host_rows(host, &mut cmd)?;
        timings.push((host, t.elapsed().as_secs_f64(), got.len()));
        rows.extend(got);
    }
    check_complete(&rows)?;
    let elapsed = started.elapsed().as_secs_f64();
    let load_after = load_average();

    let results = root().join("bench/results/hash.json");
    write_atomically(&results, &results_json("hash", &rows))?;
    let run = RunInfo { quick, elapsed, timings, load_before, load_after };
    write_atomically(&root().join("bench/RESULTS.md"), &render(&rows, &run))?;
    step(&format!("bench hash: {} rows in {elapsed:.0} s -> bench/results/hash.json, bench/RESULTS.md", rows.len()));
    Ok(())
}

/// The HTTP API on every edge server (bench/edge/run.mjs): cold start, per-request overhead,
/// instantiation and a wrk load run, beside the same router compiled natively.
fn edge(quick: bool) -> Result<()> {
    // `build` (run before every bench) made target/release/nearnative-edge-native, the router
    // natively behind hyper, together with the CLI.
    crate::build::native_release()?;
    step(&format!("bench edge{}", if quick { " (quick)" } else { "" }));
    let mut cmd = Command::new("node");
    cmd.arg("bench/edge/run.mjs").current_dir(root());
    if quick {
        cmd.arg("--quick");
    }
    util::run(&mut cmd)
}

/// Builds `nearnative-bench` natively and as simd128 wasm32-wasip1 (see [`build_bench_bin`])
/// and precompiles the Wasm with `wasmtime compile` for its 15 short runs. Returns the .cwasm.
fn build_bench_crate() -> Result<PathBuf> {
    let optimized = build_bench_bin("nearnative-bench")?;
    let compiled = optimized.with_extension("").with_extension("cwasm");
    util::run(Command::new("wasmtime").arg("compile").arg(&optimized).arg("-o").arg(&compiled))?;
    Ok(compiled)
}

/// Builds one binary of the bench crate natively and as simd128 wasm32-wasip1 (in
/// target/wasi-simd, the target dir of the WASI CLI build, so the dependencies are shared),
/// and runs wasm-opt -O3 on a copy as `cargo xtask build` does for dist/wasi/nearnative.wasm.
/// Returns that .opt.wasm.
fn build_bench_bin(bin: &str) -> Result<PathBuf> {
    // Its own target dir: built with the Wasm builds' profile (fat LTO, one codegen unit) so
    // native and Wasm are compiled alike, without disturbing the workspace's release artifacts.
    step(&format!("bench crate: native -> target/bench-native/release/{bin}"));
    util::run(
        util::cargo()
            .envs(crate::build::WASM_PROFILE)
            .env("CARGO_TARGET_DIR", root().join("target/bench-native"))
            .args(["build", "--release", "-p", "nearnative-bench", "--bin", bin]),
    )?;
    step(&format!("bench crate: wasm32-wasip1 simd128 -> target/wasi-simd/wasm32-wasip1/release/{bin}.opt.wasm"));
    util::run(
        util::cargo()
            .envs(crate::build::WASM_PROFILE)
            .env("RUSTFLAGS", "-C target-feature=+simd128")
            .env("CARGO_TARGET_DIR", root().join("target/wasi-simd"))
            .args([
                "build",
                "--release",
                "-p",
                "nearnative-bench",
                "--bin",
                bin,
                "--target",
                "wasm32-wasip1",
                "--features",
                "wasm32-simd",
            ]),
    )?;
    let built = root().join(format!("target/wasi-simd/wasm32-wasip1/release/{bin}.wasm"));
    let optimized = built.with_extension("opt.wasm");
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    if modified(&optimized).is_none() || modified(&optimized) < modified(&built) {
        util::run(Command::new(node_bin("wasm-opt")).arg("-O3").arg(&built).arg("-o").arg(&optimized))?;
    }
    Ok(optimized)
}

/// The rows of one host's runner, which must all name that host.
fn host_rows(host: &str, cmd: &mut Command) -> Result<Vec<Row>> {
    let rows = collect_rows(cmd)?;
    if let Some(bad) = rows.iter().find(|r| r.host != host) {
        bail!("the {host} runner printed a row for host '{}'", bad.host);
    }
    Ok(rows)
}

/// Runs a bench runner from the root; its stderr (progress) streams through, its stdout is rows.
fn collect_rows(cmd: &mut Command) -> Result<Vec<Row>> {
    cmd.current_dir(root()).stdin(Stdio::null()).stderr(Stdio::inherit());
    let shown = format!("{cmd:?}");
    let out = cmd.output().with_context(|| format!("cannot start {shown}"))?;
    if !out.status.success() {
        bail!("{shown} failed with {}", out.status);
    }
    let text = String::from_utf8(out.stdout).context("bench output is not UTF-8")?;
    text.lines().filter(|l| !l.trim().is_empty()).map(Row::parse).collect()
}

/// Every host must have measured nearnative on every kernel and input.
fn check_complete(rows: &[Row]) -> Result<()> {
    let mut missing = Vec::new();
    for host in ["native", "wasmtime", "node", "chromium"] {
        for kernel in HASH_KERNELS {
            for input in INPUTS {
                if throughput(rows, kernel, input, host, "nearnative").is_none() {
                    missing.push(format!("{host}/{kernel}/{input}"));
                }
            }
        }
    }
    if !missing.is_empty() {
        bail!("the bench runners left out {} rows: {}", missing.len(), missing.join(", "));
    }
    Ok(())
}

fn results_json(domain: &str, rows: &[Row]) -> String {
    let body: Vec<String> = rows.iter().map(|r| format!("  {}", r.to_json())).collect();
    format!("{{\"domain\": {}, \"rows\": [\n{}\n]}}\n", Value::from(domain), body.join(",\n"))
}

fn write_atomically(path: &Path, text: &str) -> Result<()> {
    fs::create_dir_all(path.parent().expect("has a parent"))?;
    let tmp = path.with_extension(format!("{}.tmp", path.extension().and_then(|e| e.to_str()).unwrap_or("")));
    fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
}

fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn throughput(rows: &[Row], kernel: &str, input: &str, host: &str, implementation: &str) -> Option<f64> {
    rows.iter()
        .find(|r| r.kernel == kernel && r.input == input && r.host == host && r.implementation == implementation)
        .map(|r| r.throughput)
}

fn is_nearnative(implementation: &str) -> bool {
    implementation.starts_with("nearnative")
}

fn is_peer(implementation: &str) -> bool {
    !is_nearnative(implementation) && !REFERENCES.contains(&implementation)
}

/// The best npm/crate peer of nearnative on one host: (name, throughput).
fn best_peer(rows: &[Row], kernel: &str, input: &str, host: &str) -> Option<(String, f64)> {
    rows.iter()
        .filter(|r| r.kernel == kernel && r.input == input && r.host == host && is_peer(&r.implementation))
        .max_by(|a, b| a.throughput.total_cmp(&b.throughput))
        .map(|r| (r.implementation.clone(), r.throughput))
}

struct RunInfo {
    quick: bool,
    elapsed: f64,
    timings: Vec<(&'static str, f64, usize)>,
    load_before: String,
    load_after: String,
}

fn first_line(text: Option<String>) -> String {
    text.and_then(|t| t.lines().next().map(|l| l.trim().to_owned())).unwrap_or_else(|| "unknown".into())
}

fn cpu_summary() -> String {
    let info = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_owned())
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
    let cores = info.lines().filter(|l| l.starts_with("processor")).count();
    let flags: Vec<&str> =
        info.lines().find(|l| l.starts_with("flags")).map_or(Vec::new(), |l| l.split_whitespace().collect());
    let notable: Vec<&str> =
        ["sha_ni", "avx2", "avx512f", "pclmulqdq", "sse4_2"].into_iter().filter(|f| flags.contains(f)).collect();
    let cores = if cores > 0 { cores } else { std::thread::available_parallelism().map_or(0, |n| n.get()) };
    format!(
        "{model}, {cores} logical cores ({} {}; flags: {})",
        std::env::consts::OS,
        std::env::consts::ARCH,
        notable.join(" ")
    )
}

/// `name version` for each npm package, as package-lock.json pins it.
fn npm_versions(names: &[&str]) -> Vec<String> {
    let lock: Value = fs::read_to_string(root().join("package-lock.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    names
        .iter()
        .map(|name| {
            let version =
                lock["packages"][format!("node_modules/{name}")]["version"].as_str().unwrap_or("not installed");
            format!("{name} {version}")
        })
        .collect()
}

/// The toolchain lines and the mode line every results page starts with.
fn write_toolchain_and_mode(md: &mut String, chromium: &str, npm: &str, run: &RunInfo, rows: usize, mode: &str) {
    let _ = writeln!(md, "- rustc: {}", first_line(util::output("rustc", &["--version"])));
    let _ = writeln!(md, "- node: {}", first_line(util::output("node", &["--version"])));
    let _ = writeln!(md, "- chromium: {}", first_line(util::output(chromium, &["--version"])));
    let _ = writeln!(md, "- wasmtime: {}", first_line(util::output("wasmtime", &["--version"])));
    let _ = writeln!(md, "{npm}");
    let per_host: Vec<String> = run.timings.iter().map(|(h, s, n)| format!("{h} {s:.0} s ({n} rows)")).collect();
    let _ = writeln!(md, "- Mode: {mode}; {rows} rows in {:.0} s: {}", run.elapsed, per_host.join(", "));
}

fn fmt_tp(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn fmt_ratio(x: f64) -> String {
    format!("{x:.2}×")
}

/// Throughput columns: every (host, impl) seen, hosts in HOSTS order, nearnative first.
fn columns(rows: &[Row]) -> Vec<(String, String)> {
    let mut cols: Vec<(String, String)> = Vec::new();
    for host in HOSTS {
        let mut impls: Vec<String> = Vec::new();
        for r in rows.iter().filter(|r| r.host == host) {
            if !impls.contains(&r.implementation) {
                impls.push(r.implementation.clone());
            }
        }
        let rank = |i: &str| match i {
            "nearnative" => 0,
            i if is_nearnative(i) => 1,
            i if is_peer(i) => 2,
            _ => 3,
        };
        impls.sort_by_key(|i| rank(i));
        cols.extend(impls.into_iter().map(|i| (host.to_owned(), i)));
    }
    cols
}

fn column_title(host: &str, implementation: &str) -> String {
    match (host, implementation) {
        ("native" | "wasmtime", "nearnative") => host.to_owned(),
        (host, implementation) => format!("{host}: {implementation}"),
    }
}

fn render(rows: &[Row], run: &RunInfo) -> String {
    let mut md = String::new();
    let date = first_line(util::output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]));
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let _ = writeln!(md, "# Benchmark results\n");
    let _ = writeln!(
        md,
        "Rendered by `cargo xtask bench` from `bench/results/*.json`; how to run and read it: \
         [README.md](README.md). One run on one machine: compare the ratios, not the absolute numbers.\n"
    );
    let _ = writeln!(md, "## hash\n");
    let _ = writeln!(md, "- Date: {date}");
    let _ = writeln!(md, "- Machine: {}", cpu_summary());
    let _ = writeln!(
        md,
        "- Load average (1/5/15 min) before: {}, after: {} (the machine is shared with other builds)",
        run.load_before, run.load_after
    );
    let npm = format!("- npm peers (package-lock.json): {}", npm_versions(&NPM_PEERS).join(", "));
    let mode = if run.quick {
        "`--quick` (5 samples of >= 4 ms; 64 MiB: 1 sample of one operation, no warm-up; in JS hosts only the nearnative impl gets a streaming row)"
    } else {
        "full (15 samples of >= 10 ms; 64 MiB: 5 samples of one operation after one warm-up)"
    };
    write_toolchain_and_mode(&mut md, &chromium, &npm, run, rows.len(), mode);
    let _ = writeln!(
        md,
        "\nThroughput in MB/s (10^6 bytes per second; higher is better), from the median time of one \
         operation. `64MiB-stream` feeds 64 MiB to a streaming hasher in 1 MiB chunks. Ratios are \
         nearnative's throughput over the other's: above 1× nearnative is faster. \"best peer\" is \
         the fastest npm library on that host (node:crypto and webcrypto are the platform's native \
         code, shown as references).\n"
    );

    let cols = columns(rows);
    for kernel in HASH_KERNELS {
        let present: Vec<&(String, String)> = cols
            .iter()
            .filter(|(h, i)| rows.iter().any(|r| r.kernel == kernel && &r.host == h && &r.implementation == i))
            .collect();
        let js_hosts: Vec<&str> = ["node", "chromium", "workerd"]
            .into_iter()
            .filter(|h| present.iter().any(|(ph, pi)| ph == h && pi == "nearnative"))
            .collect();
        let mut header: Vec<String> = vec!["input".into()];
        header.extend(present.iter().map(|(h, i)| column_title(h, i)));
        header.push("wasmtime / native".into());
        let mut refs_for: Vec<(&str, &str)> = Vec::new();
        for host in &js_hosts {
            header.push(format!("{host}: nearnative / best peer"));
            for reference in REFERENCES {
                if present.iter().any(|(h, i)| h == host && i == reference) {
                    header.push(format!("{host}: nearnative / {reference}"));
                    refs_for.push((host, reference));
                }
            }
        }
        let _ = writeln!(md, "### {kernel}\n");
        let _ = writeln!(md, "| {} |", header.join(" | "));
        let _ = writeln!(
            md,
            "|{}",
            header.iter().enumerate().map(|(n, _)| if n == 0 { "---|" } else { "---:|" }).collect::<String>()
        );
        for input in INPUTS {
            let mut cells = vec![input.to_owned()];
            for (h, i) in &present {
                cells.push(throughput(rows, kernel, input, h, i).map_or("–".into(), fmt_tp));
            }
            let wt = throughput(rows, kernel, input, "wasmtime", "nearnative");
            let nat = throughput(rows, kernel, input, "native", "nearnative");
            cells.push(match (wt, nat) {
                (Some(w), Some(n)) => fmt_ratio(w / n),
                _ => "–".into(),
            });
            for host in &js_hosts {
                let nn = throughput(rows, kernel, input, host, "nearnative");
                cells.push(match (nn, best_peer(rows, kernel, input, host)) {
                    (Some(nn), Some((peer, p))) => format!("{} {peer}", fmt_ratio(nn / p)),
                    _ => "–".into(),
                });
                for (rh, reference) in &refs_for {
                    if rh == host {
                        cells.push(match (nn, throughput(rows, kernel, input, host, reference)) {
                            (Some(nn), Some(r)) => fmt_ratio(nn / r),
                            _ => "–".into(),
                        });
                    }
                }
            }
            let _ = writeln!(md, "| {} |", cells.join(" | "));
        }
        let _ = writeln!(md);
    }
    md.push_str(&targets(rows));
    md
}

fn verdict(pass: bool) -> &'static str {
    if pass {
        "**pass**"
    } else {
        "**FAIL**"
    }
}

/// The "Targets (issue #3)" section: pass/fail from the numbers of this run.
fn targets(rows: &[Row]) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "## Targets (issue #3)\n");
    let _ = writeln!(md, "Judged from the numbers above, in this one run.\n");
    let _ = writeln!(md, "| target | measured | result |");
    let _ = writeln!(md, "|---|---|---|");
    for (kernel, name, goal) in [("sha256", "SHA-256", 1.15), ("blake3", "BLAKE3", 2.0)] {
        let nn = throughput(rows, kernel, "1MiB", "node", "nearnative");
        let hw = throughput(rows, kernel, "1MiB", "node", "hash-wasm");
        match (nn, hw) {
            (Some(nn), Some(hw)) => {
                let _ = writeln!(
                    md,
                    "| {name} at 1 MiB in Node ≥ {goal}× hash-wasm | {} vs {} MB/s = {} | {} |",
                    fmt_tp(nn),
                    fmt_tp(hw),
                    fmt_ratio(nn / hw),
                    verdict(nn / hw >= goal)
                );
            }
            _ => {
                let _ = writeln!(md, "| {name} at 1 MiB in Node ≥ {goal}× hash-wasm | not measured | – |");
            }
        }
    }
    for host in ["node", "chromium"] {
        let mut fails = Vec::new();
        let mut count = 0;
        for kernel in HASH_KERNELS {
            if let (Some(nn), Some(noble)) = (
                throughput(rows, kernel, "32B", host, "nearnative"),
                throughput(rows, kernel, "32B", host, "@noble/hashes"),
            ) {
                count += 1;
                if nn < noble {
                    fails.push(format!("{kernel} {}", fmt_ratio(nn / noble)));
                }
            }
        }
        let measured = if fails.is_empty() {
            format!("{count} of {count} algorithms at or above @noble/hashes (table below)")
        } else {
            format!("slower on {}: {}", fails.len(), fails.join(", "))
        };
        let _ = writeln!(
            md,
            "| at 32 B in {host}, nearnative no slower than @noble/hashes ({count} shared algorithms) | {measured} | {} |",
            verdict(count > 0 && fails.is_empty())
        );
    }
    let within = ["sha512", "sha3-256", "sha3-512", "blake2b-512", "blake2s-256", "xxh64", "xxh3-64"];
    let mut fails = Vec::new();
    for kernel in within {
        if let (Some(w), Some(n)) = (
            throughput(rows, kernel, "1MiB", "wasmtime", "nearnative"),
            throughput(rows, kernel, "1MiB", "native", "nearnative"),
        ) {
            if n / w > 1.3 {
                fails.push(format!("{kernel} {:.2}× slower", n / w));
            }
        } else {
            fails.push(format!("{kernel} not measured"));
        }
    }
    let measured = if fails.is_empty() { "all 7 within (table below)".to_owned() } else { fails.join(", ") };
    let _ = writeln!(
        md,
        "| at 1 MiB, wasmtime within 1.3× of native for {} | {measured} | {} |",
        within.join(", "),
        verdict(fails.is_empty())
    );

    let _ = writeln!(md, "\n### 32 B: nearnative vs @noble/hashes\n");
    let _ = writeln!(md, "| kernel | node: nearnative | node: @noble/hashes | ratio | chromium: nearnative | chromium: @noble/hashes | ratio |");
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|");
    for kernel in HASH_KERNELS {
        let mut cells = vec![kernel.to_owned()];
        let mut any = false;
        for host in ["node", "chromium"] {
            let nn = throughput(rows, kernel, "32B", host, "nearnative");
            let noble = throughput(rows, kernel, "32B", host, "@noble/hashes");
            any |= noble.is_some();
            cells.push(nn.map_or("–".into(), fmt_tp));
            cells.push(noble.map_or("–".into(), fmt_tp));
            cells.push(match (nn, noble) {
                (Some(a), Some(b)) => fmt_ratio(a / b),
                _ => "–".into(),
            });
        }
        if any {
            let _ = writeln!(md, "| {} |", cells.join(" | "));
        }
    }

    let _ = writeln!(md, "\n### wasmtime vs native (nearnative-hash through the same bench binary)\n");
    let _ = writeln!(
        md,
        "Slowdown = native throughput / wasmtime throughput; the target is ≤ 1.3× at 1 MiB. sha256 and \
         blake3 carry no target: natively they use SHA-NI and AVX-512, which wasm cannot reach.\n"
    );
    let _ = writeln!(md, "| kernel | native 1 MiB | wasmtime 1 MiB | slowdown 1 MiB | slowdown 64 MiB | target |");
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---|");
    for kernel in within.iter().chain(["sha256", "blake3"].iter()) {
        let n1 = throughput(rows, kernel, "1MiB", "native", "nearnative");
        let w1 = throughput(rows, kernel, "1MiB", "wasmtime", "nearnative");
        let n64 = throughput(rows, kernel, "64MiB", "native", "nearnative");
        let w64 = throughput(rows, kernel, "64MiB", "wasmtime", "nearnative");
        let slow = |n: Option<f64>, w: Option<f64>| match (n, w) {
            (Some(n), Some(w)) => Some(n / w),
            _ => None,
        };
        let s1 = slow(n1, w1);
        let target = if within.contains(kernel) {
            s1.map_or("–", |s| if s <= 1.3 { "pass" } else { "FAIL" }).to_owned()
        } else {
            "none (reported only)".to_owned()
        };
        let _ = writeln!(
            md,
            "| {kernel} | {} | {} | {} | {} | {target} |",
            n1.map_or("–".into(), fmt_tp),
            w1.map_or("–".into(), fmt_tp),
            s1.map_or("–".into(), |s| format!("{s:.2}×")),
            slow(n64, w64).map_or("–".into(), |s| format!("{s:.2}×")),
        );
    }
    md
}

// ---------------------------------------------------------------------------------------------
// The image domain.

/// The timed jobs, in report order, and the memory-target jobs (timed once).
const IMAGE_JOBS: [(&str, &str); 4] = [
    ("resize-lanczos3", "resize 4928×3279 → 852×567, Lanczos3"),
    ("blur-sigma10", "Gaussian blur σ=10 on 4000×3000 (12 MP)"),
    ("jpeg-to-webp", "decode JPEG 4928×3279 (16 MP) + resize to 1600 px wide + encode WebP"),
    ("grayscale-contrast", "grayscale + contrast ×1.3 on 4000×3000 (12 MP)"),
];
/// (job, JPEG size, target in MiB).
const IMAGE_MEMORY_JOBS: [(&str, &str, u64); 2] =
    [("jpeg-to-webp-24mp", "6000x4000", 64), ("jpeg-to-webp-100mp", "10000x10000", 128)];
const IMAGE_JPEGS: [&str; 3] = ["4928x3279", "6000x4000", "10000x10000"];
/// Native code shown beside the peers but not counted as one.
const IMAGE_REFERENCES: [&str; 2] = ["sharp", NATIVE_BESIDE];
/// Native nearnative timed again just before a JS host's runs, shown among that host's rows.
const NATIVE_BESIDE: &str = "native Rust (timed just before)";
const IMAGE_NPM: [&str; 10] = [
    "@silvia-odwyer/photon-node",
    "pica",
    "jimp",
    "@jsquash/resize",
    "@jsquash/jpeg",
    "@jsquash/webp",
    "wasm-vips",
    "sharp",
    "playwright-core",
    "binaryen",
];

/// A row of the image domain: DESIGN.md's fields, plus `memory_bytes` (peak Wasm memory; null
/// when the implementation's memory cannot be reached; absent for native code) and `failed`
/// (why an implementation could not do the job; then there is no time).
#[derive(Clone, Debug)]
struct ImageRow {
    value: Value,
}

impl ImageRow {
    fn parse(line: &str) -> Result<ImageRow> {
        let value: Value = serde_json::from_str(line).with_context(|| format!("not a JSON row: {line}"))?;
        for key in ["kernel", "input", "host", "impl"] {
            if !value[key].is_string() {
                bail!("row lacks string '{key}': {line}");
            }
        }
        if value["failed"].is_string() {
            return Ok(ImageRow { value });
        }
        let ms = value["median_ms"].as_f64().unwrap_or(0.0);
        let valid = ms > 0.0 && ms.is_finite() && value["runs"].is_u64() && value["unit"] == "MP/s";
        if !valid {
            bail!("row without a positive median_ms, runs and unit MP/s, and not failed: {line}");
        }
        Ok(ImageRow { value })
    }

    fn text(&self, key: &str) -> &str {
        self.value[key].as_str().unwrap_or("")
    }

    fn ms(&self) -> Option<f64> {
        self.value["median_ms"].as_f64()
    }

    fn failed(&self) -> Option<&str> {
        self.value["failed"].as_str()
    }

    /// `None`: native code (no field); `Some(None)`: Wasm whose memory is unreachable.
    fn memory(&self) -> Option<Option<u64>> {
        self.value.get("memory_bytes").map(Value::as_u64)
    }

    /// The row in DESIGN.md's field order, then the image fields.
    fn to_json(&self) -> String {
        let keys = [
            "kernel",
            "input",
            "host",
            "impl",
            "median_ms",
            "throughput",
            "unit",
            "runs",
            "memory_bytes",
            "memory_note",
            "failed",
        ];
        let fields: Vec<String> = keys
            .iter()
            .filter_map(|&key| {
                let v = self.value.get(key)?;
                let v = match v.as_f64() {
                    Some(x) if key == "median_ms" || key == "throughput" => Value::from(round_sig(x, 6)),
                    _ => v.clone(),
                };
                Some(format!("{}: {v}", Value::from(key)))
            })
            .collect();
        format!("{{{}}}", fields.join(", "))
    }
}

fn image_rows(host: &str, cmd: &mut Command) -> Result<Vec<ImageRow>> {
    cmd.current_dir(root()).stdin(Stdio::null()).stderr(Stdio::inherit());
    let shown = format!("{cmd:?}");
    let out = cmd.output().with_context(|| format!("cannot start {shown}"))?;
    if !out.status.success() {
        bail!("{shown} failed with {}", out.status);
    }
    let text = String::from_utf8(out.stdout).context("bench output is not UTF-8")?;
    let rows: Vec<ImageRow> =
        text.lines().filter(|l| !l.trim().is_empty()).map(ImageRow::parse).collect::<Result<_>>()?;
    if let Some(bad) = rows.iter().find(|r| r.text("host") != host) {
        bail!("the {host} runner printed a row for host '{}'", bad.text("host"));
    }
    Ok(rows)
}

fn image(quick: bool) -> Result<()> {
    let started = Instant::now();
    let load_before = load_average();
    // Run as users run the CLI, `wasmtime run` compiling it in the process (its compile time is
    // outside the timed runs). A `wasmtime compile` artifact of the same module ran the resize
    // 1.4× slower here (wasmtime 48), while wasmtime's own cache of it runs at full speed.
    let wasm = build_bench_bin("nearnative-bench-image")?;
    let native = root().join("target/bench-native/release/nearnative-bench-image");
    let inputs = root().join("target/bench-image");
    fs::create_dir_all(&inputs)?;
    // The JPEG inputs: the bench photo through our encoder at q90, made once (deterministic).
    for size in IMAGE_JPEGS {
        let path = inputs.join(format!("photo-{size}.jpg"));
        if !path.exists() {
            step(&format!("bench image: writing {}", path.display()));
            util::run(Command::new(&native).arg("--write-jpeg").arg(&path).arg(size))?;
        }
    }
    let quick_flag: &[&str] = if quick { &["--quick"] } else { &[] };
    let mode = if quick { " (quick)" } else { "" };
    let mut rows = Vec::new();
    let mut timings: Vec<(&'static str, f64, usize)> = vec![("native", 0.0, 0), ("wasmtime", 0.0, 0)];
    let native_job = |job: &str| {
        let mut cmd = Command::new(&native);
        cmd.arg("--inputs").arg(&inputs).args(quick_flag).args(["--job", job]);
        cmd
    };
    step(&format!("bench image on native and wasmtime, job by job{mode}"));
    let jobs: Vec<&str> =
        IMAGE_JOBS.iter().map(|(j, _)| *j).chain(IMAGE_MEMORY_JOBS.iter().map(|(j, _, _)| *j)).collect();
    for job in &jobs {
        for (slot, host) in ["native", "wasmtime"].into_iter().enumerate() {
            // One process per job: under wasmtime its memory after the job is the job's peak.
            let mut cmd = if host == "native" {
                native_job(job)
            } else {
                let mut cmd = Command::new("wasmtime");
                cmd.args(["run", "--dir"])
                    .arg(format!("{}::/inputs", inputs.display()))
                    .arg(&wasm)
                    .args(["--inputs", "/inputs"])
                    .args(quick_flag)
                    .args(["--job", job]);
                cmd
            };
            let t = Instant::now();
            let got = image_rows(host, &mut cmd)?;
            timings[slot].1 += t.elapsed().as_secs_f64();
            timings[slot].2 += got.len();
            rows.extend(got);
        }
    }
    let inputs_arg = inputs.display().to_string();
    for (host, script) in [("node", "bench/image/node.mjs"), ("chromium", "bench/image/chromium.mjs")] {
        // The machine's load drifts over the minutes a JS host takes, so its "× native" is
        // taken against native timed again just before it, not minutes earlier.
        step(&format!("bench image on native again, just before {host}{mode}"));
        let t = Instant::now();
        for (job, _) in IMAGE_JOBS {
            for mut row in image_rows("native", &mut native_job(job))? {
                row.value["host"] = Value::from(host);
                row.value["impl"] = Value::from(NATIVE_BESIDE);
                rows.push(row);
                timings[0].2 += 1;
            }
        }
        timings[0].1 += t.elapsed().as_secs_f64();
        step(&format!("bench image on {host}{mode}"));
        let mut cmd = Command::new("node");
        cmd.arg(script).args(quick_flag).args(["--inputs", &inputs_arg]);
        let t = Instant::now();
        let got = image_rows(host, &mut cmd)?;
        timings.push((host, t.elapsed().as_secs_f64(), got.len()));
        rows.extend(got);
    }
    step("bench image: encoded sizes and SSIM (bench/image/encoders.mjs)");
    let out = Command::new("node")
        .arg("bench/image/encoders.mjs")
        .current_dir(root())
        .stderr(Stdio::inherit())
        .output()
        .context("cannot start node bench/image/encoders.mjs")?;
    if !out.status.success() {
        bail!("bench/image/encoders.mjs failed with {}", out.status);
    }
    let encoders: Vec<Value> = String::from_utf8(out.stdout)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).with_context(|| format!("not JSON: {l}")))
        .collect::<Result<_>>()?;
    for host in ["native", "wasmtime", "node", "chromium"] {
        for (job, _) in IMAGE_JOBS {
            if !rows.iter().any(|r| r.text("host") == host && r.text("kernel") == job && r.text("impl") == "nearnative")
            {
                bail!("the {host} runner left out nearnative on {job}");
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let run = RunInfo { quick, elapsed, timings, load_before, load_after: load_average() };
    let body: Vec<String> = rows.iter().map(|r| format!("  {}", r.to_json())).collect();
    let enc: Vec<String> = encoders.iter().map(|e| format!("  {e}")).collect();
    let json = format!(
        "{{\"domain\": \"image\", \"rows\": [\n{}\n], \"encoders\": [\n{}\n]}}\n",
        body.join(",\n"),
        enc.join(",\n")
    );
    write_atomically(&root().join("bench/results/image.json"), &json)?;
    write_atomically(&root().join("bench/RESULTS-image.md"), &render_image(&rows, &encoders, &run))?;
    step(&format!(
        "bench image: {} rows in {elapsed:.0} s -> bench/results/image.json, bench/RESULTS-image.md",
        rows.len()
    ));
    Ok(())
}

fn find_row<'a>(rows: &'a [ImageRow], job: &str, host: &str, implementation: &str) -> Option<&'a ImageRow> {
    rows.iter().find(|r| r.text("kernel") == job && r.text("host") == host && r.text("impl") == implementation)
}

fn image_ms(rows: &[ImageRow], job: &str, host: &str, implementation: &str) -> Option<f64> {
    find_row(rows, job, host, implementation).and_then(ImageRow::ms)
}

/// The native time `host`'s "× native" is taken against: native timed just before that host
/// when the run did so, else the native host's own row.
fn native_ms(rows: &[ImageRow], job: &str, host: &str) -> Option<f64> {
    image_ms(rows, job, host, NATIVE_BESIDE).or_else(|| image_ms(rows, job, "native", "nearnative"))
}

fn is_image_peer(implementation: &str) -> bool {
    !is_nearnative(implementation) && !IMAGE_REFERENCES.contains(&implementation)
}

/// The fastest peer that did `job` on `host`: (name, ms).
fn best_image_peer(rows: &[ImageRow], job: &str, host: &str, filter: impl Fn(&str) -> bool) -> Option<(String, f64)> {
    rows.iter()
        .filter(|r| r.text("kernel") == job && r.text("host") == host && is_image_peer(r.text("impl")))
        .filter(|r| filter(r.text("impl")))
        .filter_map(|r| r.ms().map(|ms| (r.text("impl").to_owned(), ms)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

fn fmt_ms(ms: f64) -> String {
    if ms >= 100.0 {
        format!("{ms:.0}")
    } else if ms >= 10.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.2}")
    }
}

fn fmt_mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1048576.0)
}

fn fmt_memory(row: &ImageRow) -> String {
    match row.memory() {
        None if row.text("host") == "native" || IMAGE_REFERENCES.contains(&row.text("impl")) => "native".into(),
        None => "–".into(),
        Some(Some(b)) => fmt_mib(b),
        Some(None) => match row.value["memory_note"].as_str() {
            Some(note) => format!("n/a ({note})"),
            None => "n/a (not reachable)".into(),
        },
    }
}

fn render_image(rows: &[ImageRow], encoders: &[Value], run: &RunInfo) -> String {
    let mut md = String::new();
    let date = first_line(util::output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]));
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let _ = writeln!(md, "# Benchmark results: image\n");
    let _ = writeln!(
        md,
        "Rendered by `cargo xtask bench image` from `bench/results/image.json`; how to run and read it, and \
         what each peer runs: [image/README.md](image/README.md). One run on one machine: compare the ratios, \
         not the absolute numbers.\n"
    );
    let _ = writeln!(md, "- Date: {date}");
    let _ = writeln!(md, "- Machine: {}", cpu_summary());
    let _ = writeln!(
        md,
        "- Load average (1/5/15 min) before: {}, after: {} (the machine is shared with other builds; \
         on a loaded machine every absolute number is inflated)",
        run.load_before, run.load_after
    );
    let npm = format!("- npm (package-lock.json): {}", npm_versions(&IMAGE_NPM).join(", "));
    let mode = if run.quick {
        "`--quick` (native/wasmtime: 3 timed runs, no warm-up; JS hosts: 1 run after one warm-up, fewer peers)"
    } else {
        "full (native/wasmtime: 9 timed runs after a warm-up; JS hosts: 7 after a warm-up)"
    };
    write_toolchain_and_mode(&mut md, &chromium, &npm, run, rows.len(), mode);
    let _ = writeln!(
        md,
        "\nMedian wall time of one job in ms (lower is better), input conversion included, input \
         generation excluded. \"peak Wasm memory\" is the linear memory after the job in a fresh \
         instance (Wasm memory never shrinks, so it is the peak, input copy included); `native` \
         marks native code. \"× native\" is nearnative's time over native nearnative's (1.00× = as \
         fast as native); for Node and Chromium, over native timed again just before that host's \
         runs (the row `native Rust (timed just before)`), since the machine's load drifts over the \
         minutes of a run; wasmtime and native take turns job by job. \"speedup\" is the best peer's time over nearnative's on the same host (above \
         1× nearnative is faster); sharp (native libvips, multi-threaded) is a reference, not a peer. \
         In Chromium, `nearnative` runs on the page's thread and `nearnative (worker pool)` is the same \
         job through the package's default worker pool (transfers included). `nearnative (frame)` \
         starts with the pixels already in Wasm memory (`image.frame()`, filled untimed, as native's \
         input copy is untimed) and leaves the result there: the kernel as native is timed on, \
         without the boundary copies of the `nearnative` rows.\n"
    );
    for (job, title) in IMAGE_JOBS {
        let _ = writeln!(md, "## {job}: {title}\n");
        let _ = writeln!(
            md,
            "| host | implementation | median ms | MP/s | peak Wasm memory | × native | speedup vs best peer |"
        );
        let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---|");
        for host in ["native", "wasmtime", "node", "chromium"] {
            let native = native_ms(rows, job, host);
            let mut host_rows: Vec<&ImageRow> =
                rows.iter().filter(|r| r.text("kernel") == job && r.text("host") == host).collect();
            host_rows.sort_by_key(|r| {
                (r.text("impl") != NATIVE_BESIDE, !is_nearnative(r.text("impl")), r.failed().is_some())
            });
            for r in host_rows {
                let implementation = r.text("impl");
                let (ms, tp, mem) = match r.failed() {
                    Some(reason) => (format!("failed: {reason}"), "–".into(), "–".into()),
                    None => (
                        r.ms().map_or("–".into(), fmt_ms),
                        r.value["throughput"].as_f64().map_or("–".into(), fmt_tp),
                        fmt_memory(r),
                    ),
                };
                let vs_native = match (r.ms(), native) {
                    (Some(ms), Some(n)) if KERNEL_ROWS.contains(&implementation) && host != "native" => {
                        fmt_ratio(ms / n)
                    }
                    _ => String::new(),
                };
                let speedup = match (implementation == "nearnative", r.ms(), best_image_peer(rows, job, host, |_| true))
                {
                    (true, Some(ms), Some((peer, p))) => format!("{} ({peer})", fmt_ratio(p / ms)),
                    _ => String::new(),
                };
                let _ = writeln!(md, "| {host} | {implementation} | {ms} | {tp} | {mem} | {vs_native} | {speedup} |");
            }
        }
        let _ = writeln!(md);
    }

    let _ = writeln!(md, "## Peak Wasm memory on big JPEGs → 1600 px WebP (issue #5 targets)\n");
    let _ = writeln!(
        md,
        "Each job in a fresh instance (Node: a fresh process per implementation; wasmtime: one process). \
         The input file's bytes are inside the linear memory too.\n"
    );
    let _ = writeln!(md, "| job | host | implementation | peak Wasm memory | median ms | target | result |");
    let _ = writeln!(md, "|---|---|---|---:|---:|---|---|");
    for (job, size, target) in IMAGE_MEMORY_JOBS {
        for r in rows.iter().filter(|r| r.text("kernel") == job && r.text("host") != "native") {
            let wasm_peer = ["@silvia-odwyer/photon-node", "@jsquash", "wasm-vips"].contains(&r.text("impl"));
            if r.memory().is_none() && !(r.failed().is_some() && (wasm_peer || is_nearnative(r.text("impl")))) {
                continue; // native code (sharp), or a peer that has no such job
            }
            let implementation = r.text("impl");
            let (mem, ms) = match r.failed() {
                Some(reason) => (format!("failed: {reason}"), "–".into()),
                None => (fmt_memory(r), r.ms().map_or("–".into(), fmt_ms)),
            };
            let result = match (implementation, r.memory()) {
                ("nearnative", Some(Some(b))) => verdict(b < target * 1048576).to_owned(),
                ("nearnative", _) => "**FAIL** (not measured)".to_owned(),
                _ => String::new(),
            };
            let target_text = if implementation == "nearnative" { format!("< {target} MiB") } else { String::new() };
            let _ = writeln!(
                md,
                "| {size} JPEG | {} | {implementation} | {mem} | {ms} | {target_text} | {result} |",
                r.text("host")
            );
        }
    }

    let _ = writeln!(md, "\n## Encoders: bytes at equal quality\n");
    let _ = writeln!(
        md,
        "bench/image/encoders.mjs: the bench photo reduced to 1600×1065 (sharp, Lanczos3), encoded by each \
         encoder, decoded by sharp (libjpeg-turbo / libwebp), compared with the source by SSIM on BT.601 \
         luma over non-overlapping 8×8 windows with uniform weights (not the 11×11 Gaussian of the paper).\n"
    );
    let _ = writeln!(md, "| encoder | format | setting | bytes | bits/pixel | SSIM |");
    let _ = writeln!(md, "|---|---|---|---:|---:|---:|");
    for e in encoders {
        let s = |k: &str| e[k].as_str().unwrap_or("").to_owned();
        match e["failed"].as_str() {
            Some(reason) => {
                let _ =
                    writeln!(md, "| {} | {} | {} | failed: {reason} | | |", s("encoder"), s("format"), s("setting"));
            }
            None => {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} |",
                    s("encoder"),
                    s("format"),
                    s("setting"),
                    e["bytes"],
                    e["bits_per_pixel"],
                    e["ssim"]
                );
            }
        }
    }
    md.push_str(&image_targets(rows));
    md
}

/// The rows "× native" is given for: the sharp-shaped call, and the same kernel on pixels
/// already in Wasm memory.
const KERNEL_ROWS: [&str; 2] = ["nearnative", "nearnative (frame)"];

/// (what, ratio to reach, the peer's name and time when it did the job).
type Goal<'a> = (&'a str, f64, Option<(String, f64)>);

/// The "Targets (issue #5)" section, judged from this run.
fn image_targets(rows: &[ImageRow]) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "\n## Targets (issue #5)\n");
    let _ = writeln!(md, "Judged from the numbers above, in this one run.\n");
    let _ = writeln!(md, "| target | measured | result |");
    let _ = writeln!(md, "|---|---|---|");
    for (job, _) in IMAGE_JOBS {
        for (host, implementation) in [
            ("wasmtime", "nearnative"),
            ("node", "nearnative"),
            ("node", "nearnative (frame)"),
            ("chromium", "nearnative"),
            ("chromium", "nearnative (frame)"),
        ] {
            if implementation != "nearnative"
                && !rows.iter().any(|r| r.text("kernel") == job && r.text("impl") == implementation)
            {
                continue; // frames run the pixel jobs only
            }
            let how = if implementation == "nearnative" { String::new() } else { format!(" ({implementation})") };
            match (image_ms(rows, job, host, implementation), native_ms(rows, job, host)) {
                (Some(w), Some(n)) => {
                    let _ = writeln!(
                        md,
                        "| {job} on {host}{how} within 1.5× of native | {} vs {} ms = {} | {} |",
                        fmt_ms(w),
                        fmt_ms(n),
                        fmt_ratio(w / n),
                        verdict(w / n <= 1.5)
                    );
                }
                _ => {
                    let _ = writeln!(md, "| {job} on {host}{how} within 1.5× of native | not measured | – |");
                }
            }
        }
    }
    for job in ["resize-lanczos3", "blur-sigma10"] {
        let Some(ours) = image_ms(rows, job, "node", "nearnative") else {
            let _ = writeln!(md, "| {job} in Node vs peers | nearnative not measured | – |");
            continue;
        };
        let pure_js = |i: &str| matches!(i, "pica (js)" | "jimp");
        let goals: [Goal; 3] = [
            (
                "pica's Wasm path",
                5.0,
                image_ms(rows, job, "node", "pica (wasm)").map(|ms| ("pica (wasm)".to_owned(), ms)),
            ),
            ("the fastest pure-JS peer", 10.0, best_image_peer(rows, job, "node", pure_js)),
            (
                "photon",
                20.0,
                image_ms(rows, job, "node", "@silvia-odwyer/photon-node").map(|ms| ("photon".to_owned(), ms)),
            ),
        ];
        for (name, goal, peer) in goals {
            match peer {
                Some((peer, ms)) => {
                    // What native code reaches against the same peer run: the ceiling of any build.
                    let ceiling = native_ms(rows, job, "node")
                        .map(|n| format!(" (native Rust: {})", fmt_ratio(ms / n)))
                        .unwrap_or_default();
                    let _ = writeln!(
                        md,
                        "| {job} in Node ≥ {goal}× {name} | {peer} {} ms / nearnative {} ms = {}{ceiling} | {} |",
                        fmt_ms(ms),
                        fmt_ms(ours),
                        fmt_ratio(ms / ours),
                        verdict(ms / ours >= goal)
                    );
                }
                None => {
                    let _ = writeln!(
                        md,
                        "| {job} in Node ≥ {goal}× {name} | no row (the peer cannot do this job, or --quick left it out) | – |"
                    );
                }
            }
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kernel: &str, input: &str, host: &str, implementation: &str, throughput: f64) -> Row {
        Row {
            kernel: kernel.into(),
            input: input.into(),
            host: host.into(),
            implementation: implementation.into(),
            median_ms: 1.0,
            throughput,
            unit: "MB/s".into(),
            runs: 15,
        }
    }

    #[test]
    fn rows_round_trip_in_design_field_order() {
        let line = r#"{"kernel": "sha256", "input": "1MiB", "host": "node", "impl": "nearnative", "median_ms": 2.41, "throughput": 435.1, "unit": "MB/s", "runs": 15}"#;
        assert_eq!(Row::parse(line).unwrap().to_json(), line);
    }

    #[test]
    fn best_peer_ignores_nearnative_and_native_references() {
        let rows = vec![
            row("sha256", "1MiB", "node", "nearnative", 400.0),
            row("sha256", "1MiB", "node", "nearnative-scalar", 900.0),
            row("sha256", "1MiB", "node", "node:crypto", 1700.0),
            row("sha256", "1MiB", "node", "hash-wasm", 350.0),
            row("sha256", "1MiB", "node", "@noble/hashes", 150.0),
        ];
        assert_eq!(best_peer(&rows, "sha256", "1MiB", "node"), Some(("hash-wasm".into(), 350.0)));
    }

    #[test]
    fn image_rows_keep_failures_and_memory() {
        let ok = r#"{"kernel": "resize-lanczos3", "input": "4928x3279", "host": "node", "impl": "nearnative", "median_ms": 30.5, "throughput": 529.8, "unit": "MP/s", "runs": 7, "memory_bytes": 1048576}"#;
        let row = ImageRow::parse(ok).unwrap();
        assert_eq!(row.to_json(), ok);
        assert_eq!(row.memory(), Some(Some(1048576)));
        let failed = r#"{"kernel": "blur-sigma10", "input": "4000x3000", "host": "node", "impl": "pica (js)", "failed": "pica only resizes"}"#;
        assert_eq!(ImageRow::parse(failed).unwrap().failed(), Some("pica only resizes"));
        let unreachable = r#"{"kernel": "blur-sigma10", "input": "4000x3000", "host": "node", "impl": "pica (wasm)", "median_ms": 1.0, "throughput": 1.0, "unit": "MP/s", "runs": 1, "memory_bytes": null}"#;
        assert_eq!(ImageRow::parse(unreachable).unwrap().memory(), Some(None));
        assert!(ImageRow::parse(r#"{"kernel": "x", "input": "y", "host": "node", "impl": "z"}"#).is_err());
    }

    #[test]
    fn best_image_peer_skips_nearnative_sharp_and_failures() {
        let rows: Vec<ImageRow> = [
            r#"{"kernel": "j", "input": "i", "host": "node", "impl": "nearnative", "median_ms": 10, "throughput": 1, "unit": "MP/s", "runs": 1}"#,
            r#"{"kernel": "j", "input": "i", "host": "node", "impl": "sharp", "median_ms": 5, "throughput": 1, "unit": "MP/s", "runs": 1}"#,
            r#"{"kernel": "j", "input": "i", "host": "node", "impl": "jimp", "failed": "no"}"#,
            r#"{"kernel": "j", "input": "i", "host": "node", "impl": "pica (wasm)", "median_ms": 50, "throughput": 1, "unit": "MP/s", "runs": 1}"#,
            r#"{"kernel": "j", "input": "i", "host": "node", "impl": "pica (js)", "median_ms": 90, "throughput": 1, "unit": "MP/s", "runs": 1}"#,
            r#"{"kernel": "j", "input": "i", "host": "node", "impl": "native Rust (timed just before)", "median_ms": 3, "throughput": 1, "unit": "MP/s", "runs": 1}"#,
            r#"{"kernel": "j", "input": "i", "host": "native", "impl": "nearnative", "median_ms": 4, "throughput": 1, "unit": "MP/s", "runs": 1}"#,
        ]
        .iter()
        .map(|l| ImageRow::parse(l).unwrap())
        .collect();
        assert_eq!(best_image_peer(&rows, "j", "node", |_| true), Some(("pica (wasm)".into(), 50.0)));
        assert_eq!(best_image_peer(&rows, "j", "node", |i| i == "pica (js)"), Some(("pica (js)".into(), 90.0)));
        // "× native" of a JS host: native as timed just before it, else the native host's row.
        assert_eq!(native_ms(&rows, "j", "node"), Some(3.0));
        assert_eq!(native_ms(&rows, "j", "chromium"), Some(4.0));
    }

    #[test]
    fn unknown_domains_are_listed() {
        let err = run(&["crypt".into()]).unwrap_err().to_string();
        assert!(err.contains("unknown domain 'crypt'") && err.contains("hash"), "{err}");
    }
}
