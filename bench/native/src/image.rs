//! `nearnative-bench-image [--quick] [--host NAME] [--job NAME]... [--inputs DIR]`: times the
//! image jobs of `cargo xtask bench image` through `nearnative-image` and prints one JSON row per
//! job on stdout (DESIGN.md "Benchmark results format", plus `memory_bytes` on wasm: the linear
//! memory after the job, which never shrinks, so it is the process's peak); progress on stderr.
//! `nearnative-bench-image --write-jpeg PATH WxH` writes a photo-like JPEG (q90, our encoder) of
//! that size: the inputs of the JPEG jobs, made once by xtask and read by every host (a PATH
//! ending in `.rgba` gets the raw pixels instead).
//!
//! The same source runs natively (fat LTO, host `native`) and as wasm32-wasip1 under wasmtime.
//! The pixels come from `photo`, which bench/image/harness.mjs reimplements bit for bit, so every
//! host works on the same image. Every sample times one job on a fresh copy of the input (the
//! copy is not timed); the row reports the median.

use std::hint::black_box;
use std::time::Instant;

use nearnative_image::codec::{self, ChromaSubsampling, EncodeOptions, Format};
use nearnative_image::geometry::{Filter, Fit, Resize};
use nearnative_image::pipeline::{self, Job, Step, Target};
use nearnative_image::Image;

/// The job list of bench/image/harness.mjs.
const JOBS: [&str; 6] = [
    "resize-lanczos3",
    "blur-sigma10",
    "jpeg-to-webp",
    "grayscale-contrast",
    "jpeg-to-webp-24mp",
    "jpeg-to-webp-100mp",
];

struct Config {
    host: String,
    runs: usize,
    warmup: bool,
    jobs: Vec<String>,
    inputs: String,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--write-jpeg") {
        if let Err(message) = write_jpeg(&args[1..]) {
            eprintln!("nearnative-bench-image: {message}");
            std::process::exit(1);
        }
        return;
    }
    let config = match parse_args(&args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("nearnative-bench-image: {message}");
            eprintln!("usage: nearnative-bench-image [--quick] [--host NAME] [--job NAME]... [--inputs DIR]");
            eprintln!("       nearnative-bench-image --write-jpeg PATH WxH");
            std::process::exit(2);
        }
    };
    for job in &config.jobs {
        bench_job(&config, job);
    }
}

fn parse_args(args: &[String]) -> Result<Config, String> {
    let mut quick = false;
    let mut host = if cfg!(target_family = "wasm") { "wasmtime" } else { "native" }.to_owned();
    let mut jobs = Vec::new();
    let mut inputs = "target/bench-image".to_owned();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--host" => host = args.next().ok_or("--host needs a value")?.clone(),
            "--inputs" => inputs = args.next().ok_or("--inputs needs a value")?.clone(),
            "--job" => {
                let name = args.next().ok_or("--job needs a value")?;
                if !JOBS.contains(&name.as_str()) {
                    return Err(format!("unknown job '{name}'; jobs: {}", JOBS.join(", ")));
                }
                jobs.push(name.clone());
            }
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    if jobs.is_empty() {
        jobs = JOBS.iter().map(|j| (*j).to_owned()).collect();
    }
    Ok(Config { host, runs: if quick { 3 } else { 9 }, warmup: !quick, jobs, inputs })
}

fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text.split_once('x').ok_or_else(|| format!("size '{text}' is not WxH"))?;
    let n = |s: &str| s.parse::<u32>().map_err(|_| format!("size '{text}' is not WxH"));
    Ok((n(w)?, n(h)?))
}

fn write_jpeg(args: &[String]) -> Result<(), String> {
    let [path, size] = args else { return Err("--write-jpeg needs PATH WxH".into()) };
    let (w, h) = parse_size(size)?;
    let image = photo(w, h);
    if path.ends_with(".rgba") {
        // The raw pixels, to check that bench/image/harness.mjs generates the same image.
        return std::fs::write(path, &image.pixels).map_err(|e| format!("{path}: {e}"));
    }
    // 4:4:4, as the encoder wrote at q90 before 4:2:0 became the default at every quality: the
    // bench input's pixels stay what earlier runs measured.
    let options = EncodeOptions { quality: 90, chroma: ChromaSubsampling::Full, ..EncodeOptions::new(Format::Jpeg) };
    let bytes = codec::encode(&image, &options).map_err(|e| e.to_string())?;
    let tmp = format!("{path}.tmp");
    std::fs::write(&tmp, &bytes).and_then(|()| std::fs::rename(&tmp, path)).map_err(|e| format!("{path}: {e}"))
}

/// 32-bit integer hash (the "lowbias" finaliser); bench/image/harness.mjs has the same.
fn hash32(mut n: u32) -> u32 {
    n = (n ^ (n >> 16)).wrapping_mul(0x045d_9f3b);
    n = (n ^ (n >> 16)).wrapping_mul(0x045d_9f3b);
    n ^ (n >> 16)
}

/// A deterministic photo-like RGBA image: smooth gradients, a grid of soft-edged bands
/// (structure for the filters) and ±8 of per-pixel noise (the grain a resize must average).
pub fn photo(w: u32, h: u32) -> Image {
    let mut pixels = Vec::with_capacity(w as usize * h as usize * 4);
    for y in 0..h {
        for x in 0..w {
            let n = hash32(y.wrapping_mul(w).wrapping_add(x));
            let noise = |shift: u32| ((n >> shift) & 15) as i32 - 8;
            let band = if ((x / 64) + (y / 48)) % 5 == 0 { 40 } else { 0 };
            let r = (u64::from(x) * 255 / u64::from(w)) as i32 + noise(0) + band;
            let g = (u64::from(y) * 255 / u64::from(h)) as i32 + noise(8) + band / 2;
            let b = (u64::from(x + y) * 255 / u64::from(w + h)) as i32 + noise(16) - band / 2 + 40;
            pixels.extend_from_slice(&[r.clamp(0, 255) as u8, g.clamp(0, 255) as u8, b.clamp(0, 255) as u8, 255]);
        }
    }
    Image { width: w, height: h, pixels, has_alpha: false }
}

enum Input {
    Pixels(Image),
    Jpeg(Vec<u8>),
}

/// The input, the job and the expected output size of a bench job.
fn setup(config: &Config, name: &str) -> Result<(String, Input, Job, (u32, u32)), String> {
    let raw = |steps| Job { steps, target: Target::RAW_RGBA8, ..Job::default() };
    let webp = Job {
        steps: vec![Step::Resize(Resize::new(Some(1600), None))],
        target: Target::encoded(Some(Format::Webp)),
        ..Job::default()
    };
    let jpeg = |file: &str| -> Result<Input, String> {
        let path = format!("{}/{file}", config.inputs);
        std::fs::read(&path).map(Input::Jpeg).map_err(|e| format!("{path}: {e} (xtask writes it with --write-jpeg)"))
    };
    Ok(match name {
        "resize-lanczos3" => {
            let resize = Resize { fit: Fit::Fill, filter: Filter::Lanczos3, ..Resize::new(Some(852), Some(567)) };
            ("4928x3279".into(), Input::Pixels(photo(4928, 3279)), raw(vec![Step::Resize(resize)]), (852, 567))
        }
        "blur-sigma10" => {
            ("4000x3000".into(), Input::Pixels(photo(4000, 3000)), raw(vec![Step::Blur { sigma: 10.0 }]), (4000, 3000))
        }
        "grayscale-contrast" => (
            "4000x3000".into(),
            Input::Pixels(photo(4000, 3000)),
            raw(vec![Step::Grayscale, Step::Contrast { factor: 1.3 }]),
            (4000, 3000),
        ),
        "jpeg-to-webp" => ("4928x3279-jpeg".into(), jpeg("photo-4928x3279.jpg")?, webp, (1600, 1065)),
        "jpeg-to-webp-24mp" => ("6000x4000-jpeg".into(), jpeg("photo-6000x4000.jpg")?, webp, (1600, 1067)),
        "jpeg-to-webp-100mp" => ("10000x10000-jpeg".into(), jpeg("photo-10000x10000.jpg")?, webp, (1600, 1600)),
        other => return Err(format!("unknown job '{other}'")),
    })
}

fn bench_job(config: &Config, name: &str) {
    let (input_label, input, job, expected) = match setup(config, name) {
        Ok(s) => s,
        Err(message) => return failed_row(config, name, "–", &message),
    };
    let megapixels = match &input {
        Input::Pixels(image) => image.pixel_count() as f64 / 1e6,
        Input::Jpeg(bytes) => codec::probe(bytes).map_or(0.0, |i| f64::from(i.width) * f64::from(i.height) / 1e6),
    };
    let once = || -> Result<f64, String> {
        // Raw input enters the way a host hands it over (an owned RGBA buffer through
        // `Image::from_rgba`, whose opacity scan the Node and Chromium rows pay too); only the
        // copy that keeps `input` reusable is left out of the time.
        let copy = match &input {
            Input::Pixels(image) => Some(image.pixels.clone()),
            Input::Jpeg(_) => None,
        };
        let start = Instant::now();
        let output = match (&input, copy) {
            (Input::Pixels(image), Some(pixels)) => {
                Image::from_rgba(image.width, image.height, black_box(pixels), &job.limits)
                    .and_then(|image| pipeline::run_image(&job, image, true, &[]))
            }
            (Input::Jpeg(bytes), _) => pipeline::run(&job, black_box(bytes), &[]),
            _ => unreachable!("a copy exists for pixel input"),
        }
        .map_err(|e| format!("{}: {}", e.code().as_str(), e.message()))?;
        let seconds = start.elapsed().as_secs_f64();
        if (output.width, output.height) != expected {
            return Err(format!(
                "output is {}x{}, expected {}x{}",
                output.width, output.height, expected.0, expected.1
            ));
        }
        if let (Input::Pixels(image), Target::Raw { .. }) = (&input, job.target) {
            if output.bytes == image.pixels {
                return Err("the output equals the input: the kernel did nothing".into());
            }
        }
        black_box(output);
        Ok(seconds)
    };
    let runs = if name == "jpeg-to-webp-100mp" { 1 } else { config.runs };
    if config.warmup && runs > 1 {
        if let Err(message) = once() {
            return failed_row(config, name, &input_label, &message);
        }
    }
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        match once() {
            Ok(s) => samples.push(s),
            Err(message) => return failed_row(config, name, &input_label, &message),
        }
    }
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    let median = if n % 2 == 1 { samples[n / 2] } else { (samples[n / 2 - 1] + samples[n / 2]) / 2.0 };
    println!(
        "{{\"kernel\": \"{name}\", \"input\": \"{input_label}\", \"host\": \"{}\", \"impl\": \"nearnative\", \
         \"median_ms\": {:.4}, \"throughput\": {:.4}, \"unit\": \"MP/s\", \"runs\": {n}{}}}",
        config.host,
        median * 1e3,
        megapixels / median,
        memory_field(),
    );
    eprintln!("[{}] {name}: {:.1} ms", config.host, median * 1e3);
}

fn failed_row(config: &Config, name: &str, input: &str, message: &str) {
    let quoted = format!("{message:?}");
    println!(
        "{{\"kernel\": \"{name}\", \"input\": \"{input}\", \"host\": \"{}\", \"impl\": \"nearnative\", \
         \"failed\": {quoted}{}}}",
        config.host,
        memory_field(),
    );
    eprintln!("[{}] {name}: failed: {message}", config.host);
}

/// `, "memory_bytes": N` on wasm (the linear memory now, which is its peak so far), else "".
fn memory_field() -> String {
    #[cfg(target_arch = "wasm32")]
    {
        format!(", \"memory_bytes\": {}", core::arch::wasm32::memory_size::<0>() * 65536)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        String::new()
    }
}
