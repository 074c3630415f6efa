//! `nearnative image`: `convert` (one file, or every image of a directory) and `info`. Glue
//! only: the step vocabulary, the codecs and the pipeline are `nearnative_image`'s; this module
//! reads files, keeps the steps in the order they were typed, and writes outputs atomically.

use std::fs;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, Subcommand};
use nearnative_core::Error;
use nearnative_image::pipeline::{self, Job, Takes, Target};
use nearnative_image::{codec, probe, Format, Info};

use crate::output::AtomicFile;
use crate::{exit, io_message, report};

/// Decode, transform and encode images (PNG, JPEG, WebP, GIF, QOI, BMP).
#[derive(Args)]
pub struct ImageArgs {
    #[command(subcommand)]
    command: ImageCommand,
}

#[derive(Subcommand)]
enum ImageCommand {
    Convert(ConvertArgs),
    Info(InfoArgs),
}

/// Decode an image, apply the steps in the order given, encode the result.
///
/// With a directory as IN, every image file in it (not in its subdirectories; recognised by
/// extension) is converted into OUTDIR/NAME.EXT.
#[derive(Args)]
#[command(after_help = convert_help(), override_usage = "nearnative image convert IN OUT [STEPS]...\n       \
    nearnative image convert DIR OUTDIR --ext EXT [STEPS]...")]
pub struct ConvertArgs {
    /// Input image, `-` for stdin, or a directory of images (batch mode).
    #[arg(value_name = "IN")]
    input: PathBuf,
    /// Output file (its extension chooses the format), `-` for stdout (needs --format), or the
    /// output directory in batch mode (created if missing).
    #[arg(value_name = "OUT")]
    output: PathBuf,
    /// Batch mode: the extension of every output file, and its format unless --format is given.
    #[arg(long, value_name = "EXT")]
    ext: Option<String>,
    /// Steps and output settings, applied in the order given (listed below).
    #[arg(value_name = "STEPS", trailing_var_arg = true, allow_hyphen_values = true)]
    steps: Vec<String>,
}

/// Print what an image's header says: format, size, channels, bit depth, orientation.
#[derive(Args)]
#[command(after_help = "Width and height are the upright size, after the EXIF orientation. Fields: format, \
    width, height, channels (as stored: 1 grey, 2 grey+alpha, 3 colour, 4 colour+alpha; a CMYK JPEG is 3, the RGB it decodes to), bit_depth, has_alpha, \
    orientation (EXIF, 1 = upright), palette, progressive (interlaced PNG/GIF, progressive JPEG).")]
pub struct InfoArgs {
    /// The image (`-` reads stdin).
    file: PathBuf,
    /// Print one JSON object instead of `key: value` lines.
    #[arg(long)]
    json: bool,
}

/// One line per name of [`pipeline::VOCABULARY`]: the value it takes and what it does. A unit test keeps
/// the two lists equal.
const STEP_HELP: &[(&str, &str, &str)] = &[
    ("resize", "WxH|Wx|xH", "resize; given one side, the other keeps the aspect ratio"),
    ("fit", "MODE", "how the preceding --resize WxH fits: cover (default), contain, fill, inside, outside"),
    (
        "position",
        "NAME",
        "what cover keeps and where contain places the image: centre (default), north, northeast, east, southeast, \
         south, southwest, west, northwest, or for cover entropy or attention (sharp's strategies)",
    ),
    ("filter", "NAME", "its filter: lanczos3 (default), mitchell, bicubic, bilinear, nearest"),
    ("without-enlargement", "", "never scale the preceding --resize up (sharp's withoutEnlargement)"),
    ("without-reduction", "", "never scale it down"),
    (
        "background",
        "RRGGBB[AA]",
        "fill colour of the preceding --resize (contain), --rotate or --pad; the border colour of --trim",
    ),
    ("crop", "X,Y,W,H", "keep the WxH rectangle whose top-left corner is at X,Y"),
    ("rotate", "DEG", "rotate clockwise by DEG degrees (any angle; right angles are exact)"),
    ("flip", "h|v", "mirror left to right (h) or top to bottom (v)"),
    ("pad", "T,R,B,L", "add borders (top, right, bottom, left) in the background colour"),
    ("trim", "", "cut away a border of the top-left pixel's colour (or --background's), as sharp"),
    ("blur", "SIGMA", "Gaussian blur of standard deviation SIGMA"),
    ("box-blur", "RADIUS", "mean of the (2*RADIUS+1)^2 neighbourhood"),
    ("sharpen", "SIGMA[,AMOUNT]", "unsharp mask (AMOUNT defaults to 1)"),
    ("convolve", "W1,..,W9", "3x3 kernel (or 25 weights: 5x5), row by row, divided by the weights' sum"),
    ("sobel", "", "Sobel edge magnitude, as a grey image"),
    ("median", "[SIZE]", "median of each SIZExSIZE neighbourhood (default 3, sharp's median)"),
    ("grayscale", "", "shades of grey: the luminance of linear light, as sharp"),
    ("brightness", "F", "multiply every colour channel by F (1 = unchanged)"),
    ("contrast", "F", "scale the distance from mid-grey by F (1 = unchanged, 0 = flat grey)"),
    ("linear", "A,B", "out = A*in + B on each colour channel (6 numbers: AR,AG,AB,BR,BG,BB per channel)"),
    ("gamma", "G", "out = in^(1/G) (G > 1 brightens the midtones)"),
    ("saturate", "F", "scale saturation by F (0 = grey, 1 = unchanged)"),
    ("hue", "DEG", "rotate the hue by DEG degrees"),
    ("modulate", "B[,S[,H[,L]]]", "sharp's modulate in CIE LCh: lightness*B+L, chroma*S, hue+H degrees"),
    ("normalise", "", "stretch lightness (CIE L*) so its 1st..99th percentiles cover 0..100, as sharp"),
    ("sepia", "", "sepia tone"),
    ("recomb", "M", "multiply R,G,B by a 3x3 matrix of nine numbers, row by row (sharp's recomb)"),
    ("extract-channel", "C", "one channel as grey: 0-3 or red, green, blue, alpha"),
    ("unflatten", "", "make white pixels transparent"),
    ("invert", "", "invert the colour channels (alpha is kept)"),
    ("threshold", "LEVEL", "grey >= LEVEL (0-255) becomes white, the rest black; alpha too, as sharp"),
    ("tint", "RRGGBB", "colour each grey level with this colour's hue (CIE Lab, as sharp)"),
    ("flatten", "", "put transparent pixels over white (for JPEG output)"),
    ("remove-alpha", "", "drop the alpha channel, keeping the colours as stored"),
    ("ensure-alpha", "A", "add an alpha channel of A (0 transparent to 1 opaque) where there is none"),
    ("quality", "Q", "JPEG and WebP quality, 1 to 100 (default 80); WebP at 100 is lossless"),
    ("format", "NAME", "png, jpeg (jpg), webp, gif, qoi or bmp (default: from OUT's extension)"),
    ("progressive", "", "write a progressive JPEG"),
    ("lossless", "", "lossless WebP (the same as --quality 100)"),
    ("compression", "0-9", "PNG zlib level: 0 stores, 9 is smallest and slowest (default: balanced, about 6)"),
    ("chroma-subsampling", "4:2:0|4:4:4", "JPEG colour resolution (default 4:2:0; 4:4:4 keeps coloured edges crisp)"),
    ("palette", "N", "indexed-colour PNG, or GIF, of at most N colours, 2 to 256 (GIF: 256 unless given); an image with fewer keeps them exactly"),
    ("dither", "F", "palette error diffusion, 0 (none) to 1 (full, the default); implies --palette 256"),
    ("no-auto-orient", "", "keep the stored pixel order (default: turn upright by EXIF orientation)"),
    ("max-pixels", "N", "refuse images over N pixels, input or intermediate (default 100000000)"),
];

fn convert_help() -> String {
    let rows: Vec<(String, &str)> = STEP_HELP
        .iter()
        .map(|(name, value, what)| {
            let flag = match *value {
                "" => format!("--{name}"),
                value => format!("--{name} {value}"),
            };
            (flag, *what)
        })
        .collect();
    let width = rows.iter().map(|(flag, _)| flag.len()).max().unwrap_or(0);
    let mut text = String::from(
        "Steps (applied in the order given; --fit, --filter, --background and --without-* modify the step before them):\n",
    );
    for (flag, what) in rows {
        text.push_str(&format!("  {flag:width$}  {what}\n"));
    }
    text.push_str(
        "\nExamples:\n  \
         nearnative image convert photo.jpg thumb.webp --resize 800x600 --fit cover --sharpen 0.5\n  \
         nearnative image convert in.png out.jpg --crop 10,10,200,100 --resize 400x --quality 85\n  \
         nearnative image convert - - --format png --grayscale < in.webp > out.png\n  \
         nearnative image convert photos/ thumbs/ --ext webp --resize 320x\n\
         \nExit codes: 0 success; 1 a file could not be read, decoded, processed or written (in batch mode: \
         at least one file failed; the others are still converted); 2 invalid command line, including \
         an unknown step or a bad step value (printed as `nearnative: error[CODE]: message` too). \
         A failed conversion leaves no output file.",
    );
    text
}

pub fn run(args: ImageArgs) -> Result<u8> {
    match args.command {
        ImageCommand::Convert(args) => convert(args),
        ImageCommand::Info(args) => info(args),
    }
}

/// A command-line mistake: reported like any error, but exit code 2.
fn usage(err: Error) -> Result<u8> {
    report(&anyhow::Error::new(err));
    Ok(exit::USAGE)
}

/// `(name, value)` pairs for [`pipeline::parse_steps`], in the order typed.
type Pairs = Vec<(String, String)>;

/// The steps as typed (`--name value`, `--name=value`, `--name`), in order, as
/// [`pipeline::parse_steps`] pairs; `--ext` found among them is taken out.
fn split_steps(raw: &[String]) -> std::result::Result<(Pairs, Option<String>), Error> {
    let mut pairs = Vec::new();
    let mut ext = None;
    let mut args = raw.iter();
    while let Some(arg) = args.next() {
        let Some(flag) = arg.strip_prefix("--").filter(|f| !f.is_empty()) else {
            return Err(Error::invalid_input(format!(
                "unexpected argument '{arg}': steps are written --NAME VALUE or --NAME; \
                 `nearnative image convert --help` lists them"
            )));
        };
        let (name, inline) = match flag.split_once('=') {
            Some((name, value)) => (name, Some(value.to_owned())),
            None => (flag, None),
        };
        let takes = if name == "ext" { Some(Takes::Value) } else { pipeline::takes_value(name) };
        let value = match (takes, inline) {
            (None, _) => {
                return Err(Error::invalid_input(format!(
                    "unknown step --{name}; `nearnative image convert --help` lists the steps"
                )))
            }
            (Some(Takes::Nothing), Some(_)) => return Err(Error::invalid_input(format!("--{name} takes no value"))),
            (Some(Takes::Nothing), None) => String::new(),
            // Every step starts with `--`, so a following word is this one's value (`--median 5`).
            (Some(Takes::OptionalValue), None) => match args.as_slice().first() {
                Some(next) if !next.starts_with("--") => args.next().cloned().unwrap_or_default(),
                _ => String::new(),
            },
            (Some(Takes::Value | Takes::OptionalValue), Some(value)) => value,
            // The next argument is the value even when it starts with '-' (`--rotate -90`).
            (Some(Takes::Value), None) => {
                args.next().cloned().ok_or_else(|| Error::invalid_input(format!("--{name} needs a value")))?
            }
        };
        if name == "ext" {
            ext = Some(value);
        } else {
            pairs.push((name.to_owned(), value));
        }
    }
    Ok((pairs, ext))
}

fn convert(args: ConvertArgs) -> Result<u8> {
    let (pairs, trailing_ext) = match split_steps(&args.steps) {
        Ok(parsed) => parsed,
        Err(e) => return usage(e),
    };
    let (mut job, settings) = match pipeline::parse_steps(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))) {
        Ok(parsed) => parsed,
        Err(e) => return usage(e),
    };
    let ext = trailing_ext.or(args.ext);
    let batch = args.input != Path::new("-") && args.input.is_dir();
    if batch {
        let Some(ext) = ext else {
            return usage(Error::invalid_input(format!(
                "{} is a directory: give the output files' extension with --ext (for example --ext webp)",
                args.input.display()
            )));
        };
        let format = match settings.format.map_or_else(|| Format::from_name(&ext), Ok) {
            Ok(format) => format,
            Err(e) => return usage(e),
        };
        if let Err(e) = set_format(&mut job, format) {
            return usage(e);
        }
        return convert_dir(&job, &args.input, &args.output, ext.trim_start_matches('.'));
    }
    if ext.is_some() {
        return usage(Error::invalid_input(
            "--ext is for a directory of inputs; for one file the output's extension or --format chooses the format",
        ));
    }
    let format = match settings.format {
        Some(format) => format,
        None if args.output == Path::new("-") => {
            return usage(Error::invalid_input("writing to stdout needs --format (png, jpeg, webp, gif, qoi, bmp)"))
        }
        None => match format_of(&args.output) {
            Ok(format) => format,
            Err(e) => return usage(e),
        },
    };
    if let Err(e) = set_format(&mut job, format) {
        return usage(e);
    }
    let input = read_input(&args.input)?;
    let output = pipeline::run(&job, &input, &[])?;
    drop(input);
    write_output(&args.output, &output.bytes)?;
    Ok(exit::OK)
}

/// Sets the output format, refusing settings no file of that format can take (a usage error,
/// known before any input is read).
fn set_format(job: &mut Job, chosen: Format) -> std::result::Result<(), Error> {
    if let Target::Encoded { format, palette, .. } = &mut job.target {
        if palette.is_some() && !matches!(chosen, Format::Png | Format::Gif) {
            return Err(codec::palette_format_error(chosen));
        }
        *format = Some(chosen);
    }
    Ok(())
}

fn format_of(path: &Path) -> std::result::Result<Format, Error> {
    let ext = path.extension().map(|e| e.to_string_lossy()).unwrap_or_default();
    if ext.is_empty() {
        return Err(Error::invalid_input(format!(
            "{} has no extension to choose the output format by; add one or give --format",
            path.display()
        )));
    }
    Format::from_name(&ext)
}

fn read_input(path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(format!("reading stdin: {}", io_message(&e))))?;
        return Ok(bytes);
    }
    let cannot = |e: io::Error| Error::io(format!("cannot read {}: {}", path.display(), io_message(&e)));
    let mut file = fs::File::open(path).map_err(cannot)?;
    // Reading a directory fails with EISDIR natively but EBADF under WASI: check first.
    if file.metadata().map_err(cannot)?.is_dir() {
        return Err(Error::io(format!("cannot read {}: Is a directory", path.display())).into());
    }
    file.read_to_end(&mut bytes).map_err(cannot)?;
    Ok(bytes)
}

fn write_output(path: &Path, bytes: &[u8]) -> Result<()> {
    if path == Path::new("-") {
        let mut stdout = io::stdout().lock();
        stdout.write_all(bytes)?;
        stdout.flush()?;
        return Ok(());
    }
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes).map_err(|e| Error::io(format!("writing {}: {}", path.display(), io_message(&e))))?;
    file.commit()
}

/// Batch mode: every image of `dir` (by extension, sorted by name) into `out_dir/NAME.ext`.
/// A file that fails is reported and skipped; the exit code says whether any did.
fn convert_dir(job: &Job, dir: &Path, out_dir: &Path, ext: &str) -> Result<u8> {
    let listing =
        fs::read_dir(dir).map_err(|e| Error::io(format!("cannot list {}: {}", dir.display(), io_message(&e))))?;
    let mut inputs = Vec::new();
    for entry in listing {
        let entry = entry.map_err(|e| Error::io(format!("cannot list {}: {}", dir.display(), io_message(&e))))?;
        let path = entry.path();
        let known = path.extension().is_some_and(|e| Format::from_name(&e.to_string_lossy()).is_ok());
        // Regular files only (links followed): a directory or a named pipe is no image, and
        // reading a pipe would wait for a writer forever.
        if known && fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            inputs.push(path);
        }
    }
    inputs.sort();
    fs::create_dir_all(out_dir)
        .map_err(|e| Error::io(format!("cannot create {}: {}", out_dir.display(), io_message(&e))))?;
    // Into its own directory, a batch must not write over any of its inputs: `a.jpg` would
    // replace `a.png` before `a.png` was read.
    let in_place = same_directory(dir, out_dir);
    let input_names: Vec<String> = inputs.iter().map(|i| folded_name(i)).collect();

    let progress = Progress::new(inputs.len());
    let mut written: Vec<(PathBuf, &Path)> = Vec::new();
    let mut failed = 0usize;
    for input in &inputs {
        // `a.b.png` becomes `a.b.EXT` (not `with_extension`, which would make it `a.EXT`).
        let mut name = input.file_stem().unwrap_or_default().to_os_string();
        name.push(".");
        name.push(ext);
        let target = out_dir.join(name);
        progress.set_message(&input.file_name().unwrap_or_default().to_string_lossy());
        let overwrites_an_input = in_place && input_names.contains(&folded_name(&target));
        let outcome = match written.iter().find(|(t, _)| folded_name(t) == folded_name(&target)) {
            Some((_, earlier)) => Err(anyhow::Error::new(Error::invalid_input(format!(
                "would overwrite {}, already written from {}",
                target.display(),
                earlier.display()
            )))),
            None if overwrites_an_input => Err(anyhow::Error::new(Error::invalid_input(format!(
                "would overwrite the input {}; write into another directory or choose another --ext",
                target.display()
            )))),
            None => convert_file(job, input, &target),
        };
        match outcome {
            Ok(()) => written.push((target, input)),
            Err(err) => {
                failed += 1;
                let err = match err.downcast::<Error>() {
                    Ok(e) => anyhow::Error::new(Error::new(e.code(), format!("{}: {}", input.display(), e.message()))),
                    Err(other) => other.context(input.display().to_string()),
                };
                progress.suspend(|| report(&err));
            }
        }
        progress.inc();
    }
    progress.finish();
    let mut stdout = io::stdout().lock();
    let plural = if inputs.len() == 1 { "image" } else { "images" };
    writeln!(
        stdout,
        "converted {} of {} {plural} from {} into {} ({failed} failed)",
        written.len(),
        inputs.len(),
        dir.display(),
        out_dir.display()
    )?;
    stdout.flush()?;
    Ok(if failed > 0 { exit::FAILURE } else { exit::OK })
}

/// A file name as a case-insensitive file system compares it (ASCII case folded): refusing a
/// name that only differs in case costs a rename, writing over an input loses it.
fn folded_name(path: &Path) -> String {
    path.file_name().unwrap_or_default().to_string_lossy().to_ascii_lowercase()
}

/// Whether two directory paths (`out` existing) name one directory. Paths cannot tell through
/// links or two preopened names for one folder, and WASI has no inode to compare, so a file
/// made in `out` is looked for in `dir`; the paths decide only when no file can be made.
fn same_directory(dir: &Path, out: &Path) -> bool {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let probe = format!(".nearnative-batch-{nanos:x}");
    match fs::OpenOptions::new().write(true).create_new(true).open(out.join(&probe)) {
        Ok(_) => {
            let same = dir.join(&probe).exists();
            let _ = fs::remove_file(out.join(&probe));
            same
        }
        Err(_) => lexically_normal(dir) == lexically_normal(out),
    }
}

fn lexically_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.components().next_back(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn convert_file(job: &Job, input: &Path, target: &Path) -> Result<()> {
    let bytes = read_input(input)?;
    let output = pipeline::run(job, &bytes, &[])?;
    drop(bytes);
    write_output(target, &output.bytes)
}

/// The batch progress bar: drawn on stderr, only when stderr is a terminal.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(total: usize) -> Progress {
        if !io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::with_draw_target(Some(total as u64), indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}") {
            bar.set_style(style);
        }
        Progress(Some(bar))
    }
    fn set_message(&self, message: &str) {
        if let Some(bar) = &self.0 {
            bar.set_message(message.to_owned());
        }
    }
    fn inc(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }
    fn suspend(&self, f: impl FnOnce()) {
        match &self.0 {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }
    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

fn info(args: InfoArgs) -> Result<u8> {
    let probed = read_input(&args.file).and_then(|bytes| Ok(probe(&bytes)?));
    let mut stdout = io::stdout().lock();
    let info = match probed {
        Ok(info) => info,
        Err(err) if args.json => {
            // A script reading `--json` gets the failure as JSON too, shaped as the HTTP API's
            // error body; the `error[CODE]` line on stderr stays for people.
            let (code, message) = crate::error_parts(&err);
            let body = serde_json::json!({ "error": { "code": code.to_string(), "message": message } });
            serde_json::to_writer(&mut stdout, &body)?;
            stdout.write_all(b"\n")?;
            stdout.flush()?;
            return Err(err);
        }
        Err(err) => return Err(err),
    };
    if args.json {
        serde_json::to_writer(&mut stdout, &info)?;
        stdout.write_all(b"\n")?;
    } else {
        stdout.write_all(info_text(&info).as_bytes())?;
    }
    stdout.flush()?;
    Ok(exit::OK)
}

/// `key: value` lines, values aligned; the keys are the JSON field names.
fn info_text(info: &Info) -> String {
    let rows = [
        ("format", info.format.name().to_owned()),
        ("width", info.width.to_string()),
        ("height", info.height.to_string()),
        ("channels", info.channels.to_string()),
        ("bit_depth", info.bit_depth.to_string()),
        ("has_alpha", info.has_alpha.to_string()),
        ("orientation", info.orientation.to_string()),
        ("palette", info.palette.to_string()),
        ("progressive", info.progressive.to_string()),
    ];
    let width = rows.iter().map(|(k, _)| k.len() + 1).max().unwrap_or(0);
    rows.iter().map(|(key, value)| format!("{:width$} {value}\n", format!("{key}:"))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_of_the_vocabulary_is_documented() {
        let takes = |value: &str| match value {
            "" => Takes::Nothing,
            optional if optional.starts_with('[') => Takes::OptionalValue,
            _ => Takes::Value,
        };
        let documented: Vec<(&str, Takes)> = STEP_HELP.iter().map(|(n, v, _)| (*n, takes(v))).collect();
        assert_eq!(documented, pipeline::VOCABULARY.to_vec());
    }

    #[test]
    fn steps_keep_their_order_and_values() {
        let raw: Vec<String> =
            ["--crop", "1,2,3,4", "--rotate", "-90", "--grayscale", "--resize=10x", "--ext", "webp", "--fit", "fill"]
                .into_iter()
                .chain(["--median", "--median", "5", "--median=4", "--median"])
                .map(String::from)
                .collect();
        let (pairs, ext) = split_steps(&raw).unwrap();
        let names: Vec<_> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
        assert_eq!(
            names,
            [
                "crop=1,2,3,4",
                "rotate=-90",
                "grayscale=",
                "resize=10x",
                "fit=fill",
                "median=",
                "median=5",
                "median=4",
                "median="
            ]
        );
        assert_eq!(ext.as_deref(), Some("webp"));
    }

    #[test]
    fn bad_step_syntax_is_invalid_input() {
        for raw in [&["--nope"][..], &["--blur"], &["--invert=1"], &["resize"], &["--"]] {
            let raw: Vec<String> = raw.iter().map(|s| s.to_string()).collect();
            let err = split_steps(&raw).unwrap_err();
            assert_eq!(err.code(), nearnative_core::ErrorCode::InvalidInput, "{raw:?}");
        }
    }
}
