//! The image vectors of tests/vectors/image/cases.json (written by generate.py there; see
//! tests/vectors/README.md): exact decodes, decodes within a tolerance of a reference decoder,
//! resizes against Pillow by PSNR, corrupt files with their error codes, and pipeline jobs with
//! the output bytes of the reference host (this native build).
//!
//! `NEARNATIVE_MEASURE=1` prints the measured maximum differences and PSNRs;
//! `NEARNATIVE_BLESS=1` writes the jobs' output hashes into cases.json (do that only when a
//! kernel change is meant to change output bytes, and say so in the commit).

mod support;

use std::path::{Path, PathBuf};

use nearnative_image::codec::{decode, probe, DecodeOptions};
use nearnative_image::geometry::{self, Filter, Fit, Resize};
use nearnative_image::pipeline::{parse_steps, run, Job, Step, Target};
use nearnative_image::{Image, Limits};
use serde_json::Value;
use sha2::{Digest, Sha256};
use support::psnr;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/image")
}

fn manifest() -> Value {
    let text = std::fs::read_to_string(dir().join("cases.json")).expect("tests/vectors/image/cases.json");
    serde_json::from_str(&text).expect("cases.json is JSON")
}

fn cases(kind: &str) -> Vec<Value> {
    let all = manifest()["cases"].as_array().expect("cases").clone();
    let found: Vec<Value> = all.into_iter().filter(|c| c["kind"] == kind).collect();
    assert!(!found.is_empty(), "no '{kind}' cases in cases.json");
    found
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(dir().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn inflate(rel: &str) -> Vec<u8> {
    miniz_oxide::inflate::decompress_to_vec_zlib(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e:?}"))
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn s<'a>(case: &'a Value, key: &str) -> &'a str {
    case[key].as_str().unwrap_or_else(|| panic!("{}: '{key}' missing", case["id"]))
}

fn n(case: &Value, key: &str) -> u64 {
    case[key].as_u64().unwrap_or_else(|| panic!("{}: '{key}' missing", case["id"]))
}

fn measuring() -> bool {
    std::env::var_os("NEARNATIVE_MEASURE").is_some()
}

fn decoded(case: &Value) -> Result<Image, String> {
    decode(&read(s(case, "file")), &DecodeOptions::default())
        .map(|(image, _)| image)
        .map_err(|e| format!("{}: decode failed: {e}", case["id"]))
}

fn check_size(case: &Value, image: &Image) -> Result<(), String> {
    let want = (n(case, "width") as u32, n(case, "height") as u32);
    if (image.width, image.height) != want {
        return Err(format!("{}: size {}x{}, expected {}x{}", case["id"], image.width, image.height, want.0, want.1));
    }
    Ok(())
}

fn report(failures: Vec<String>, total: usize) {
    assert!(failures.is_empty(), "{} of {total} cases failed:\n  {}", failures.len(), failures.join("\n  "));
}

#[test]
fn decodes_exactly() {
    let cases = cases("decode_exact");
    let mut failures = Vec::new();
    for case in &cases {
        let result = decoded(case).and_then(|mut image| {
            check_size(case, &image)?;
            if case["rgb_only_where_opaque"] == true {
                for px in image.pixels.chunks_exact_mut(4).filter(|p| p[3] == 0) {
                    px.copy_from_slice(&[0, 0, 0, 0]);
                }
            }
            let got = hex_sha256(&image.pixels);
            if got != s(case, "rgba_sha256") {
                return Err(format!("{}: RGBA8 sha256 {got}, expected {}", case["id"], s(case, "rgba_sha256")));
            }
            Ok(())
        });
        failures.extend(result.err());
    }
    report(failures, cases.len());
}

/// The row-streaming decoders (PNG row by row, the others from their stored colour type)
/// give the same pixels as `decode`: a job whose first step is a resize to the same size
/// streams the rows through unchanged.
#[test]
fn streamed_rows_equal_the_whole_decode() {
    let mut cases = cases("decode_exact");
    cases.extend(self::cases("decode_close"));
    let mut failures = Vec::new();
    for case in &cases {
        let bytes = read(s(case, "file"));
        let Ok(image) = decoded(case) else { continue };
        let job = Job {
            steps: vec![Step::Resize(Resize { fit: Fit::Fill, ..Resize::new(Some(image.width), Some(image.height)) })],
            target: Target::RAW_RGBA8,
            ..Job::default()
        };
        match run(&job, &bytes, &[]) {
            Ok(output) if output.bytes == image.pixels => {}
            Ok(_) => failures.push(format!("{}: streamed rows differ from the whole decode", case["id"])),
            Err(e) => failures.push(format!("{}: {e}", case["id"])),
        }
    }
    report(failures, cases.len());
}

/// A CMYK JPEG shrunk on load through the stream stays opaque: RGB out, like the whole decode.
#[test]
fn a_streamed_cmyk_jpeg_has_no_alpha() {
    let bytes = read("jpeg/cmyk.jpg");
    for filter in ["lanczos3", "nearest"] {
        let (job, _) = parse_steps([("resize", "10x"), ("filter", filter), ("format", "png")]).unwrap();
        let output = run(&job, &bytes, &[]).unwrap();
        assert_eq!((output.width, output.channels), (10, 3), "{filter}: an opaque image is written as RGB");
    }
    // The reduced-IDCT path converts inks to light as the full decode does (it once read
    // already un-inverted inks as inverted, and came out nearly black).
    let (mut job, _) = parse_steps([("resize", "10x")]).unwrap();
    job.target = Target::RAW_RGBA8;
    let reduced = run(&job, &bytes, &[]).unwrap();
    job.shrink_on_load = false;
    let full = run(&job, &bytes, &[]).unwrap();
    let db = psnr(&reduced.bytes, &full.bytes);
    assert!(db > 30.0, "shrink-on-load of a CMYK JPEG is {db:.1} dB from the full decode");
}

/// Largest absolute difference over every channel of two RGBA8 buffers.
fn max_abs_diff(a: &[u8], b: &[u8]) -> u8 {
    a.iter().zip(b).map(|(x, y)| x.abs_diff(*y)).max().unwrap_or(0)
}

#[test]
fn decodes_within_tolerance_of_the_reference_decoder() {
    let cases = cases("decode_close");
    let mut failures = Vec::new();
    for case in &cases {
        let result = decoded(case).and_then(|image| {
            check_size(case, &image)?;
            let reference = inflate(s(case, "reference"));
            assert_eq!(reference.len(), image.pixels.len(), "{}: reference size", case["id"]);
            let diff = max_abs_diff(&image.pixels, &reference);
            let tolerance = n(case, "tolerance") as u8;
            if measuring() {
                let over_one = image.pixels.iter().zip(&reference).filter(|(a, b)| a.abs_diff(**b) > 1).count();
                let sum: u64 = image.pixels.iter().zip(&reference).map(|(a, b)| u64::from(a.abs_diff(*b))).sum();
                eprintln!(
                    "measure {}: max abs diff {diff} (tolerance {tolerance}), mean {:.3}, {:.3}% of samples off by more than 1",
                    case["id"],
                    sum as f64 / reference.len() as f64,
                    100.0 * over_one as f64 / reference.len() as f64
                );
            }
            if diff > tolerance {
                return Err(format!("{}: max abs diff {diff} over the tolerance {tolerance}", case["id"]));
            }
            Ok(())
        });
        failures.extend(result.err());
    }
    report(failures, cases.len());
}

#[test]
fn resizes_like_pillow() {
    let cases = cases("resize");
    let mut failures = Vec::new();
    for case in &cases {
        let result = decoded(case).and_then(|mut image| {
            let resize = Resize {
                fit: Fit::Fill,
                filter: Filter::from_name(s(case, "filter")).map_err(|e| e.to_string())?,
                ..Resize::new(Some(n(case, "width") as u32), Some(n(case, "height") as u32))
            };
            geometry::resize(&mut image, &resize, &Limits::DEFAULT).map_err(|e| format!("{}: {e}", case["id"]))?;
            check_size(case, &image)?;
            let reference = inflate(s(case, "reference"));
            assert_eq!(reference.len(), image.pixels.len(), "{}: reference size", case["id"]);
            let db = psnr(&image.pixels, &reference);
            let diff = max_abs_diff(&image.pixels, &reference);
            if measuring() {
                eprintln!("measure {}: PSNR {db:.2} dB, max abs diff {diff} (bar {})", case["id"], case["min_psnr"]);
            }
            if case["exact"] == true {
                if diff != 0 {
                    return Err(format!("{}: must equal Pillow's pixels exactly, max abs diff {diff}", case["id"]));
                }
            } else {
                let bar = case["min_psnr"].as_f64().expect("min_psnr");
                if db < bar {
                    return Err(format!("{}: PSNR {db:.2} dB below {bar} dB", case["id"]));
                }
            }
            Ok(())
        });
        failures.extend(result.err());
    }
    report(failures, cases.len());
}

#[test]
fn corrupt_input_gives_the_stable_error_code() {
    let cases = cases("decode_error");
    let mut failures = Vec::new();
    for case in &cases {
        let bytes = read(s(case, "file"));
        match decode(&bytes, &DecodeOptions::default()) {
            Ok((image, _)) => failures.push(format!("{}: decoded to {}x{}", case["id"], image.width, image.height)),
            Err(e) if e.code().as_str() != s(case, "code") => failures.push(format!(
                "{}: error {} ({e}), expected {}",
                case["id"],
                e.code().as_str(),
                s(case, "code")
            )),
            Err(_) => {}
        }
        // The whole pipeline too: the same code, whatever the steps.
        let (job, _) = parse_steps([("resize", "10x10"), ("format", "png")]).unwrap();
        if let Err(e) = run(&job, &bytes, &[]) {
            if e.code().as_str() != s(case, "code") {
                failures.push(format!(
                    "{}: pipeline error {}, expected {}",
                    case["id"],
                    e.code().as_str(),
                    s(case, "code")
                ));
            }
        } else {
            failures.push(format!("{}: the pipeline accepted it", case["id"]));
        }
    }
    report(failures, cases.len());
}

/// `name=value&flag&...` as the HTTP hosts and the CLI flags spell it.
pub fn query_pairs(query: &str) -> Vec<(&str, &str)> {
    query.split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').unwrap_or((p, ""))).collect()
}

#[test]
fn pipeline_jobs_give_the_reference_bytes() {
    let bless = std::env::var_os("NEARNATIVE_BLESS").is_some();
    let mut doc = manifest();
    let mut failures = Vec::new();
    let mut total = 0;
    for case in doc["cases"].as_array_mut().unwrap().iter_mut().filter(|c| c["kind"] == "job") {
        total += 1;
        let input = read(s(case, "file"));
        assert_eq!(hex_sha256(&input), s(case, "input_sha256"), "{}: input file changed; run generate.py", case["id"]);
        let (job, _) = parse_steps(query_pairs(s(case, "query"))).unwrap_or_else(|e| panic!("{}: {e}", case["id"]));
        let output = match run(&job, &input, &[]) {
            Ok(output) => output,
            Err(e) => {
                failures.push(format!("{}: {e}", case["id"]));
                continue;
            }
        };
        // The size is known independently of the reference bytes: check it from the output file.
        let (image, _) = decode(&output.bytes, &DecodeOptions::default()).expect("the output decodes");
        if let Err(e) = check_size(case, &image) {
            failures.push(e);
        }
        let got = hex_sha256(&output.bytes);
        if bless {
            case["output_sha256"] = Value::String(got);
        } else if case["output_sha256"].as_str() != Some(got.as_str()) {
            failures.push(format!(
                "{}: output sha256 {got}, expected {} (NEARNATIVE_BLESS=1 rewrites it when the change is meant)",
                case["id"], case["output_sha256"]
            ));
        }
    }
    if bless {
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
        serde::Serialize::serialize(&doc, &mut serializer).unwrap();
        out.push(b'\n');
        std::fs::write(dir().join("cases.json"), out).expect("writing cases.json");
    }
    report(failures, total);
}

/// The interlace bit of a GIF's first image descriptor, found by walking the blocks by hand.
fn gif_first_frame_interlaced(gif: &[u8]) -> bool {
    let flags = gif[10];
    let mut at = 13 + if flags & 0x80 != 0 { 3 << ((flags & 7) + 1) } else { 0 };
    while gif[at] == 0x21 {
        at += 2;
        while gif[at] != 0 {
            at += usize::from(gif[at]) + 1;
        }
        at += 1;
    }
    assert_eq!(gif[at], 0x2c, "an image descriptor");
    gif[at + 9] & 0x40 != 0
}

/// What `info` reads from headers beyond the decoders' colour types: GIF interlacing
/// (`progressive`) and BMP palettes with their index depth.
#[test]
fn info_reports_gif_interlacing_and_bmp_palettes() {
    for rel in ["other/palette.gif", "other/animated-transparent.gif"] {
        let bytes = read(rel);
        assert_eq!(probe(&bytes).unwrap().progressive, gif_first_frame_interlaced(&bytes), "{rel}");
    }
    assert!(gif_first_frame_interlaced(&read("other/palette.gif")), "the vectors hold an interlaced GIF");
    let pal8 = probe(&read("other/pal8.bmp")).unwrap();
    assert!(pal8.palette && pal8.bit_depth == 8, "{pal8:?}");
    let rgb24 = probe(&read("other/rgb24.bmp")).unwrap();
    assert!(!rgb24.palette && rgb24.bit_depth == 8, "{rgb24:?}");
}
