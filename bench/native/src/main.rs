//! `nearnative-bench [--quick] [--host NAME] [--kernel NAME]...`: times every digest of the
//! hash domain through `nearnative-hash` and prints one JSON row per (kernel, input) on stdout
//! (the row format of DESIGN.md "Benchmark results format"); progress goes to stderr.
//!
//! The same source runs natively (host `native`) and as wasm32-wasip1 under wasmtime (host
//! `wasmtime`). The methodology is the one of `bench/hash/harness.mjs`, so rows from every
//! host compare: deterministic inputs `(i * 31 + 7) mod 256`; per (kernel, input) a calibration
//! that doubles the batch until one batch lasts the sample time, a warm-up, then `runs`
//! samples, each a timed batch; the row reports the median time of ONE operation.

use std::hint::black_box;
use std::time::{Duration, Instant};

use nearnative_hash::{digest, Algorithm, Hasher};

const MIB: usize = 1 << 20;
const BIG: usize = 64 * MIB;
const CHUNK: usize = MIB;

/// Inputs, labelled as in the results file. `64MiB-stream` is 64 MiB fed to a `Hasher` in
/// 1 MiB `update` calls.
const INPUTS: [(&str, usize); 4] = [("32B", 32), ("1KiB", 1024), ("1MiB", MIB), ("64MiB", BIG)];
const STREAM: &str = "64MiB-stream";

struct Config {
    host: String,
    runs: usize,
    big_runs: usize,
    big_warmup: bool,
    sample: Duration,
    warmup: Duration,
    kernels: Vec<Algorithm>,
}

fn main() {
    let config = match parse_args() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("nearnative-bench: {message}");
            eprintln!("usage: nearnative-bench [--quick] [--host NAME] [--kernel NAME]...");
            std::process::exit(2);
        }
    };
    let input: Vec<u8> = (0..BIG).map(|i| (i.wrapping_mul(31).wrapping_add(7) % 256) as u8).collect();
    for &algorithm in &config.kernels {
        for (label, len) in INPUTS {
            let data = &input[..len];
            let big = len == BIG;
            let runs = if big { config.big_runs } else { config.runs };
            let median = measure(&config, runs, big, || {
                black_box(digest(algorithm, black_box(data)));
            });
            row(&config, algorithm, label, len, median, runs);
        }
        let median = measure(&config, config.big_runs, true, || {
            let mut hasher = Hasher::new(algorithm);
            for chunk in black_box(&input[..]).chunks(CHUNK) {
                hasher.update(chunk);
            }
            black_box(hasher.finalize());
        });
        row(&config, algorithm, STREAM, BIG, median, config.big_runs);
        eprintln!("[{}] {} done", config.host, algorithm.name());
    }
}

fn parse_args() -> Result<Config, String> {
    let mut quick = false;
    let mut host = if cfg!(target_family = "wasm") { "wasmtime" } else { "native" }.to_owned();
    let mut kernels = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--host" => host = args.next().ok_or("--host needs a value")?,
            "--kernel" => {
                let name = args.next().ok_or("--kernel needs a value")?;
                kernels.push(name.parse::<Algorithm>().map_err(|e| e.message().to_owned())?);
            }
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    if kernels.is_empty() {
        kernels = Algorithm::ALL.to_vec();
    }
    Ok(Config {
        host,
        runs: if quick { 5 } else { 15 },
        big_runs: if quick { 1 } else { 5 },
        big_warmup: !quick,
        sample: Duration::from_millis(if quick { 4 } else { 10 }),
        warmup: Duration::from_millis(if quick { 5 } else { 50 }),
        kernels,
    })
}

fn time_batch(iters: u64, op: &mut impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        op();
    }
    start.elapsed()
}

/// Median seconds of one operation. The batch size is found by doubling until one batch lasts
/// the sample time (which also warms up); small inputs then warm up for `warmup`, and 64 MiB
/// inputs (one operation per sample) get one warm-up operation unless `--quick`.
fn measure(config: &Config, runs: usize, big: bool, mut op: impl FnMut()) -> f64 {
    // One 64 MiB operation lasts about a sample or longer on every host, so it is timed alone.
    let mut iters: u64 = 1;
    if !big {
        loop {
            let elapsed = time_batch(iters, &mut op);
            if elapsed >= config.sample {
                break;
            }
            let wanted = config.sample.as_secs_f64() * 1.2 / elapsed.as_secs_f64().max(1e-9);
            iters = (iters as f64 * wanted.clamp(2.0, 100.0)).ceil() as u64;
        }
    }
    if big {
        if config.big_warmup {
            time_batch(iters, &mut op);
        }
    } else {
        let start = Instant::now();
        while start.elapsed() < config.warmup {
            time_batch(iters, &mut op);
        }
    }
    let mut samples: Vec<f64> = (0..runs).map(|_| time_batch(iters, &mut op).as_secs_f64() / iters as f64).collect();
    median(&mut samples)
}

fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2.0
    }
}

fn row(config: &Config, algorithm: Algorithm, input: &str, bytes: usize, seconds: f64, runs: usize) {
    let throughput = bytes as f64 / seconds / 1e6;
    println!(
        "{{\"kernel\": \"{}\", \"input\": \"{input}\", \"host\": \"{}\", \"impl\": \"nearnative\", \
         \"median_ms\": {}, \"throughput\": {:.3}, \"unit\": \"MB/s\", \"runs\": {runs}}}",
        algorithm.name(),
        config.host,
        seconds * 1e3,
        throughput,
    );
}
