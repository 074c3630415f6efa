//! A job: decode, a list of steps, encode, run inside one call so a host crosses into the
//! kernel once. The same step vocabulary is spelled three ways: serde (the npm package's job
//! object), `name=value` pairs (CLI flags and HTTP query parameters, parsed by [`parse_steps`])
//! and WIT variants (the component).

use nearnative_core::{Error, Result};

use crate::codec::{self, ChromaSubsampling, DecodeOptions, EncodeOptions, Format, Info};
use crate::colour::{self, ChannelTables};
use crate::composite::{self, Blend, Gravity};
use crate::filter::{self, Kernel};
use crate::geometry::{self, opaque_black, Fit, Orientation, Padding, Resize, StrategyCut, Trim};
use crate::palette::Palette;
use crate::{stream, Image, Limits};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    Resize(Resize),
    Crop {
        left: u32,
        top: u32,
        width: u32,
        height: u32,
    },
    /// Clockwise, in degrees.
    Rotate {
        degrees: f32,
        #[serde(default = "opaque_black")]
        background: [u8; 4],
    },
    /// Top to bottom.
    Flip,
    /// Left to right.
    Flop,
    Pad(Padding),
    /// Cuts away a border of one colour, as sharp's `trim` (see [`geometry::trim`]).
    Trim(Trim),
    Blur {
        sigma: f32,
    },
    BoxBlur {
        radius: u32,
    },
    Sharpen {
        sigma: f32,
        #[serde(default = "default_sharpen_amount")]
        amount: f32,
    },
    Convolve(Kernel),
    Sobel,
    /// The `size`×`size` median (default 3), see [`filter::median`].
    Median {
        #[serde(default = "default_median_size")]
        size: u32,
    },
    Grayscale,
    Brightness {
        factor: f32,
    },
    Contrast {
        factor: f32,
    },
    /// `a · colour + b` per channel (red, green, blue); alpha unchanged.
    Linear {
        a: [f32; 3],
        b: [f32; 3],
    },
    Gamma {
        gamma: f32,
    },
    Saturate {
        factor: f32,
    },
    Hue {
        degrees: f32,
    },
    /// sharp's `modulate`: lightness, chroma and hue in CIE LCh (see [`colour::modulate`]).
    Modulate {
        #[serde(default = "one")]
        brightness: f32,
        #[serde(default = "one")]
        saturation: f32,
        #[serde(default)]
        hue: f32,
        #[serde(default)]
        lightness: f32,
    },
    /// sharp's `normalise`: stretches L* between two percentiles (see [`colour::normalise`]).
    Normalise {
        #[serde(default = "default_normalise_lower")]
        lower: u8,
        #[serde(default = "default_normalise_upper")]
        upper: u8,
    },
    Sepia,
    /// `matrix · [R, G, B]` per pixel (sharp's `recomb`, see [`colour::recomb`]).
    Recomb {
        matrix: [[f64; 3]; 3],
    },
    /// One channel (0 red, 1 green, 2 blue, 3 alpha) as opaque grey (sharp's `extractChannel`).
    ExtractChannel {
        channel: u8,
    },
    /// White pixels become transparent (sharp's `unflatten`).
    Unflatten,
    /// `255 − c` for R, G and B, and for alpha too when `alpha` (sharp's `negate()` default)
    /// and the image has alpha.
    Invert {
        #[serde(default)]
        alpha: bool,
    },
    Threshold {
        level: u8,
    },
    Tint {
        rgb: [u8; 3],
    },
    /// Drops alpha, keeping the stored colour (sharp's `removeAlpha`).
    RemoveAlpha,
    /// Adds an alpha channel of this value where there is none (sharp's `ensureAlpha`).
    EnsureAlpha {
        #[serde(default = "opaque")]
        alpha: u8,
    },
    /// Replaces transparency with a background colour (for JPEG output).
    Flatten {
        #[serde(default = "white")]
        background: [u8; 3],
    },
    /// Draws `overlays[index]` (an encoded image passed beside the job) at (`left`, `top`)
    /// when given (as in sharp, they win over `gravity`; a missing one is 0), else at the
    /// `gravity` side, corner or centre (the default) of the image.
    Composite {
        index: usize,
        #[serde(default)]
        left: Option<i64>,
        #[serde(default)]
        top: Option<i64>,
        #[serde(default)]
        gravity: Option<Gravity>,
        #[serde(default = "default_blend")]
        blend: Blend,
        /// Set when `overlays[index]` holds RGBA8 pixels of this size instead of an encoded
        /// image (sharp's `raw` and `create` overlays).
        #[serde(default)]
        raw: Option<RawOverlay>,
        /// Repeats the overlay over the whole image (sharp's `tile`): the gravity decides how
        /// many tiles, the offset (else the gravity) where the image is cut from them.
        #[serde(default)]
        tile: bool,
    },
}

/// The size of an overlay given as RGBA8 pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOverlay {
    pub width: u32,
    pub height: u32,
}

fn default_median_size() -> u32 {
    3
}
fn default_sharpen_amount() -> f32 {
    1.0
}
fn default_normalise_lower() -> u8 {
    1
}
fn default_normalise_upper() -> u8 {
    99
}
fn one() -> f32 {
    1.0
}
fn opaque() -> u8 {
    255
}
fn white() -> [u8; 3] {
    [255, 255, 255]
}
fn default_blend() -> Blend {
    Blend::Over
}

/// What to produce at the end of a job.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Target {
    /// Encoded bytes; `format: None` keeps the input's format (PNG for raw input).
    Encoded {
        format: Option<Format>,
        #[serde(default = "default_quality")]
        quality: u8,
        #[serde(default)]
        progressive: bool,
        /// PNG's zlib level 0–9 (see [`EncodeOptions::compression`]).
        #[serde(default)]
        compression: Option<u8>,
        #[serde(default)]
        chroma: ChromaSubsampling,
        /// PNG only: indexed colour, reduced to this palette.
        #[serde(default)]
        palette: Option<Palette>,
    },
    /// Pixels, straight alpha, laid out as `layout` says.
    Raw {
        #[serde(default)]
        layout: RawLayout,
    },
}

/// How [`Target::Raw`] lays out its pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RawLayout {
    /// R, G, B, A for every pixel, whatever the image: what canvases (ImageData) and frames hold.
    #[default]
    Rgba8,
    /// The bands sharp's `raw()` gives. After a greyscale step (or `extract_channel`), one: the
    /// grey, without alpha (sharp keeps the first band only). Otherwise R, G, B, plus A when
    /// the image has an alpha band: its source had one (a GIF: a transparent index), or a step
    /// gave it one (`ensure_alpha`, `composite`, `unflatten`, a translucent background for
    /// `pad`, `contain` or a rotation), and no later step took it away (`remove_alpha`,
    /// `flatten`). Nothing is lost: a grey step followed by colour gives R, G, B, and a
    /// translucent pixel keeps A.
    Bands,
}

fn default_quality() -> u8 {
    EncodeOptions::DEFAULT_QUALITY
}

impl Default for Target {
    fn default() -> Self {
        Target::encoded(None)
    }
}

impl Target {
    /// RGBA8 pixels ([`RawLayout::Rgba8`]).
    pub const RAW_RGBA8: Target = Target::Raw { layout: RawLayout::Rgba8 };

    /// `format` (`None` keeps the input's) with every other setting at its default.
    pub fn encoded(format: Option<Format>) -> Self {
        let defaults = EncodeOptions::new(Format::Png);
        Target::Encoded {
            format,
            quality: defaults.quality,
            progressive: defaults.progressive,
            compression: defaults.compression,
            chroma: defaults.chroma,
            palette: defaults.palette,
        }
    }

    /// The encoder settings, with `fallback` where no format was chosen; `None` for raw pixels.
    pub fn encode_options(&self, fallback: Format) -> Option<EncodeOptions> {
        match *self {
            Target::Raw { .. } => None,
            Target::Encoded { format, quality, progressive, compression, chroma, palette } => Some(EncodeOptions {
                format: format.unwrap_or(fallback),
                quality,
                progressive,
                compression,
                chroma,
                palette,
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Job {
    #[serde(default)]
    pub steps: Vec<Step>,
    #[serde(default)]
    pub target: Target,
    /// Turn the image upright from its EXIF orientation first (default on, unlike sharp,
    /// because every browser shows photos that way).
    #[serde(default = "yes")]
    pub auto_orient: bool,
    /// Decode a JPEG at a reduced scale when the first step shrinks it (default on).
    #[serde(default = "yes")]
    pub shrink_on_load: bool,
    #[serde(default)]
    pub limits: Limits,
}

fn yes() -> bool {
    true
}

impl Default for Job {
    fn default() -> Self {
        Job {
            steps: Vec::new(),
            target: Target::default(),
            auto_orient: true,
            shrink_on_load: true,
            limits: Limits::DEFAULT,
        }
    }
}

/// A finished job.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// Encoded file, or pixels for [`Target::Raw`] in its layout.
    pub bytes: Vec<u8>,
    /// `None` for raw pixels.
    pub format: Option<Format>,
    pub width: u32,
    pub height: u32,
    /// Channels written: 3 or 4 for encoded output (JPEG always 3); 1 to 4 for raw pixels
    /// (see [`RawLayout`]).
    pub channels: u8,
    /// Whether the image has alpha after the steps, as sharp's `info.hasAlpha`: for encoded
    /// output, whether the file stores it; for raw bands, whether the image has an alpha band,
    /// even where `raw()` returns only the grey (as sharp does).
    pub has_alpha: bool,
    /// The input's header, when the input was an encoded file.
    pub input: Option<Info>,
    /// Where the steps cut the image.
    pub cuts: Cuts,
}

/// Where a job's steps cut the image, for hosts that report it as sharp's `info` does
/// (`trimOffsetLeft`, `cropOffsetLeft`, `attentionX`, ...).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cuts {
    /// The kept box's top-left corner in the image the last `trim` worked on.
    pub trim: Option<(u32, u32)>,
    /// The last cut a `cover` resize made by a strategy, in the resized image.
    pub strategy: Option<StrategyCut>,
}

/// Decodes `input`, runs the steps, encodes. `overlays` are the encoded images that
/// `Composite` steps refer to by index.
///
/// A first `Resize` step streams: the decoder's rows are resized band by
/// band (`stream::resample_rows`), so the full-size image is never held as RGBA8.
pub fn run(job: &Job, input: &[u8], overlays: &[&[u8]]) -> Result<Output> {
    let info = codec::probe(input)?;
    job.limits.check(info.width, info.height)?;
    let orientation = if job.auto_orient { Orientation::from_exif(info.orientation) } else { Orientation::UPRIGHT };
    if let Some(Step::Resize(resize)) =
        job.steps.first().filter(|step| matches!(step, Step::Resize(r) if stream::streams(r)))
    {
        // Sizes follow the image as it is, whatever scale a JPEG is decoded at: upright, or
        // as stored when auto-orientation is off (`info` gives the upright size).
        let sideways_as_stored = !job.auto_orient && Orientation::from_exif(info.orientation).swaps_axes();
        let plan = if sideways_as_stored {
            resize.plan(info.height, info.width)?
        } else {
            resize.plan(info.width, info.height)?
        };
        if plan.crop_only {
            // A cut of the source at full size (cover without enlargement): nothing to resample.
            let options = DecodeOptions { limits: job.limits, auto_orient: job.auto_orient, shrink_to: None };
            let (image, info) = codec::decode(input, &options)?;
            let alpha_band = info.has_alpha;
            return finish(job, &job.steps, image, Some(info), alpha_band, overlays, Cuts::default());
        }
        let shrink_to = (job.shrink_on_load && job.auto_orient)
            .then(|| resize.minimum_source(info.width, info.height))
            .transpose()?;
        let options = DecodeOptions { limits: job.limits, auto_orient: job.auto_orient, shrink_to };
        let mut rows = codec::decode_rows(input, &info, orientation, &options)?;
        // Resample the stored rows (a gravity's cut mapped to where it lies in them; a sideways
        // image to the transposed size) and turn the small result upright; a strategy's cut or
        // `contain`'s padding then applies there, as on an upright input.
        let stored_plan = plan.stored(orientation);
        let mut image = stream::resample_rows(rows.as_mut(), resize, &stored_plan, &job.limits)?;
        drop(rows);
        geometry::orient(&mut image, orientation)?;
        let strategy = geometry::finish_plan(&mut image, &plan, resize, &job.limits)?;
        let cuts = Cuts { trim: None, strategy };
        let planned_from = if sideways_as_stored { (info.height, info.width) } else { (info.width, info.height) };
        let alpha_band = job.steps[0].alpha_band_after(info.has_alpha, planned_from);
        return finish(job, &job.steps[1..], image, Some(info), alpha_band, overlays, cuts);
    }
    // Nearest-neighbour resizes and every other first step take the whole image.
    let options = DecodeOptions { limits: job.limits, auto_orient: job.auto_orient, shrink_to: None };
    let (image, info) = codec::decode(input, &options)?;
    let alpha_band = info.has_alpha;
    finish(job, &job.steps, image, Some(info), alpha_band, overlays, Cuts::default())
}

/// Runs the steps on pixels the host already has (ImageData, raw input widened to RGBA8).
/// `alpha_band` says whether those pixels came with an alpha band (sharp's raw input with 2 or
/// 4 channels, ImageData), whatever its values: it decides what `negate` does to alpha and the
/// [`RawLayout::Bands`] output.
pub fn run_image(job: &Job, image: Image, alpha_band: bool, overlays: &[&[u8]]) -> Result<Output> {
    finish(job, &job.steps, image, None, alpha_band, overlays, Cuts::default())
}

/// Runs `job`'s steps in place on pixels a host keeps between jobs (a frame resident in Wasm
/// memory, written and read through views), so nothing crosses the boundary but what the
/// caller copies. The caller may have rewritten any pixel since the last job, so opacity is
/// scanned again first. Returns the encoded bytes for an `Encoded` target (`format: None`
/// means PNG); the image keeps the steps' result either way.
///
/// On error the image stays whole (its size matches its pixels), with the steps before the
/// failing one applied.
pub fn run_in_place(job: &Job, image: &mut Image, overlays: &[&[u8]]) -> Result<Option<Vec<u8>>> {
    job.limits.check(image.width, image.height)?;
    image.has_alpha = crate::any_translucent(&image.pixels);
    // A frame holds canvas pixels: R, G, B and an alpha band, as a 4-channel raw input.
    apply_steps(image, &job.steps, true, &job.limits, overlays, &mut Cuts::default())?;
    job.target.encode_options(Format::Png).map(|options| codec::encode(image, &options)).transpose()
}

/// `steps` applied in order, given whether the image has an alpha band in sharp's sense before
/// them (see [`RawLayout::Bands`]); returns whether it has one after them. The band decides
/// what `negate` does to alpha and whether `extract_channel` has an alpha channel to take.
/// Where steps cut is noted in `cuts`.
fn apply_steps(
    image: &mut Image,
    steps: &[Step],
    mut alpha_band: bool,
    limits: &Limits,
    overlays: &[&[u8]],
    cuts: &mut Cuts,
) -> Result<bool> {
    let mut rest = steps;
    while let Some(step) = rest.first() {
        // These steps leave alpha and the size as they are, so `alpha_band` holds.
        if let Some(run) = ColourRun::at_start_of(rest)? {
            colour::apply_channel_tables(image, run.grey_first, &run.tables);
            rest = &rest[run.len..];
            continue;
        }
        rest = &rest[1..];
        match step {
            // sharp negates every band: an opaque alpha band comes out clear.
            Step::Invert { alpha: true } if alpha_band => image.has_alpha = true,
            Step::ExtractChannel { channel: 3 } if !alpha_band => {
                return Err(Error::invalid_input(
                    "extract-channel: the image has no alpha channel to extract (its channels are 0-2)",
                ))
            }
            _ => {}
        }
        let size_before = (image.width, image.height);
        apply_noting_cuts(image, step, limits, overlays, cuts)?;
        alpha_band = step.alpha_band_after(alpha_band, size_before);
    }
    Ok(alpha_band)
}

/// Steps that map each pixel on its own through per-channel tables (after a grayscale, which
/// sets R = G = B), applied together in one pass over the pixels instead of one pass each.
struct ColourRun {
    grey_first: bool,
    tables: ChannelTables,
    len: usize,
}

impl ColourRun {
    /// The run `steps` starts with, when it has at least two steps. A step's bad parameter is
    /// reported before any of the run is applied.
    fn at_start_of(steps: &[Step]) -> Result<Option<ColourRun>> {
        let grey_first = matches!(steps.first(), Some(Step::Grayscale));
        let mut run = ColourRun { grey_first, tables: ChannelTables::IDENTITY, len: usize::from(grey_first) };
        for step in &steps[run.len..] {
            let Some(tables) = step.channel_tables()? else { break };
            run.tables = run.tables.then(&tables);
            run.len += 1;
        }
        Ok((run.len >= 2).then_some(run))
    }
}

impl Step {
    /// The per-channel tables of a step that maps each colour value on its own, if it is one.
    fn channel_tables(&self) -> Result<Option<ChannelTables>> {
        Ok(Some(match *self {
            Step::Brightness { factor } => ChannelTables::uniform(colour::brightness_table(factor)?),
            Step::Contrast { factor } => ChannelTables::uniform(colour::contrast_table(factor)?),
            Step::Gamma { gamma } => ChannelTables::uniform(colour::gamma_table(gamma)?),
            Step::Linear { a, b } => colour::linear_tables(a, b)?,
            // Inverting alpha as well is not per colour channel; `apply_steps` handles it.
            Step::Invert { alpha: false } => ChannelTables::uniform(colour::invert_table()),
            _ => return Ok(None),
        }))
    }
}

fn finish(
    job: &Job,
    steps: &[Step],
    mut image: Image,
    info: Option<Info>,
    alpha_band: bool,
    overlays: &[&[u8]],
    mut cuts: Cuts,
) -> Result<Output> {
    let alpha_band = apply_steps(&mut image, steps, alpha_band, &job.limits, overlays, &mut cuts)?;
    let (width, height) = (image.width, image.height);
    let fallback = info.as_ref().map_or(Format::Png, |i| i.format);
    match job.target.encode_options(fallback) {
        Some(options) => {
            let (bytes, channels) = codec::encode_with_channels(&image, &options)?;
            let has_alpha = channels % 2 == 0;
            Ok(Output { bytes, format: Some(options.format), width, height, channels, has_alpha, input: info, cuts })
        }
        None if job.target == Target::RAW_RGBA8 => {
            let has_alpha = image.has_alpha;
            Ok(Output { bytes: image.pixels, format: None, width, height, channels: 4, has_alpha, input: info, cuts })
        }
        None => {
            let greyed = job.steps.iter().any(|step| matches!(step, Step::Grayscale | Step::ExtractChannel { .. }));
            let has_alpha = alpha_band || image.has_alpha;
            let (bytes, channels) = sharp_bands(image, greyed, has_alpha);
            Ok(Output { bytes, format: None, width, height, channels, has_alpha, input: info, cuts })
        }
    }
}

impl Step {
    /// Whether, in sharp, the image has an alpha band after this step, given whether it had one
    /// before and its size before (see [`RawLayout::Bands`]). A translucent background adds one
    /// only where it is used: padding that adds no pixel, or `contain` that fits exactly, adds none.
    fn alpha_band_after(&self, before: bool, (width, height): (u32, u32)) -> bool {
        let translucent = |background: &[u8; 4]| background[3] != 255;
        match self {
            Step::RemoveAlpha | Step::Flatten { .. } | Step::Sobel | Step::ExtractChannel { .. } => false,
            Step::EnsureAlpha { .. } | Step::Composite { .. } | Step::Unflatten => true,
            Step::Pad(p) => before || (translucent(&p.background) && [p.top, p.right, p.bottom, p.left] != [0; 4]),
            Step::Resize(resize) => {
                let pads = || resize.plan(width, height).is_ok_and(|plan| plan.image != plan.output);
                before || (resize.fit == Fit::Contain && translucent(&resize.background) && pads())
            }
            Step::Rotate { degrees, background } => before || (degrees % 90.0 != 0.0 && translucent(background)),
            _ => before,
        }
    }
}

/// The RGBA8 pixels of `image` as sharp's `raw()` lays them out (see [`RawLayout::Bands`]),
/// rewritten in place, and how many channels that is.
fn sharp_bands(image: Image, greyscaled: bool, has_alpha: bool) -> (Vec<u8>, u8) {
    let grey = greyscaled && codec::is_grey(&image);
    let mut pixels = image.pixels;
    if grey {
        pack(&mut pixels, |[v, ..]| [v]);
        (pixels, 1)
    } else if has_alpha {
        (pixels, 4)
    } else {
        pack(&mut pixels, |[r, g, b, _]| [r, g, b]);
        (pixels, 3)
    }
}

/// Rewrites RGBA8 `pixels` in place as `N` samples per pixel, chosen by `pick`.
fn pack<const N: usize>(pixels: &mut Vec<u8>, pick: impl Fn([u8; 4]) -> [u8; N]) {
    // Blocks of pixels through local arrays: reads and writes of one slice defeat the
    // vectoriser, copies of fixed size do not. Writes never pass the block being read (N ≤ 4),
    // so nothing unread is overwritten.
    const BLOCK: usize = 16;
    let count = pixels.len() / 4;
    let whole = count / BLOCK * BLOCK;
    for start in (0..whole).step_by(BLOCK) {
        let mut block = [[0; 4]; BLOCK];
        block.as_flattened_mut().copy_from_slice(&pixels[4 * start..4 * (start + BLOCK)]);
        let samples = block.map(&pick);
        pixels[N * start..N * (start + BLOCK)].copy_from_slice(samples.as_flattened());
    }
    for i in whole..count {
        let at = 4 * i;
        let samples = pick([pixels[at], pixels[at + 1], pixels[at + 2], pixels[at + 3]]);
        pixels[N * i..N * i + N].copy_from_slice(&samples);
    }
    pixels.truncate(N * count);
}

/// Applies one step in place.
pub fn apply(image: &mut Image, step: &Step, limits: &Limits, overlays: &[&[u8]]) -> Result<()> {
    apply_noting_cuts(image, step, limits, overlays, &mut Cuts::default())
}

fn apply_noting_cuts(
    image: &mut Image,
    step: &Step,
    limits: &Limits,
    overlays: &[&[u8]],
    cuts: &mut Cuts,
) -> Result<()> {
    match step {
        Step::Resize(resize) => {
            if let Some(strategy) = geometry::resize(image, resize, limits)? {
                cuts.strategy = Some(strategy);
            }
        }
        Step::Crop { left, top, width, height } => geometry::crop(image, *left, *top, *width, *height)?,
        Step::Rotate { degrees, background } => geometry::rotate(image, *degrees, *background, limits)?,
        Step::Flip => geometry::flip_vertical(image),
        Step::Flop => geometry::flip_horizontal(image),
        Step::Pad(padding) => geometry::pad(image, *padding, limits)?,
        Step::Trim(trim) => cuts.trim = Some(geometry::trim(image, trim)?),
        Step::Blur { sigma } => filter::gaussian_blur(image, *sigma)?,
        Step::BoxBlur { radius } => filter::box_blur(image, *radius)?,
        Step::Sharpen { sigma, amount } => filter::sharpen(image, *sigma, *amount)?,
        Step::Convolve(kernel) => filter::convolve(image, kernel)?,
        Step::Sobel => filter::sobel(image)?,
        Step::Median { size } => filter::median(image, *size)?,
        Step::Grayscale => colour::grayscale(image),
        Step::Brightness { factor } => colour::brightness(image, *factor)?,
        Step::Contrast { factor } => colour::contrast(image, *factor)?,
        Step::Linear { a, b } => colour::linear(image, *a, *b)?,
        Step::Gamma { gamma } => colour::gamma(image, *gamma)?,
        Step::Saturate { factor } => colour::saturate(image, *factor)?,
        Step::Hue { degrees } => colour::hue_rotate(image, *degrees)?,
        Step::Modulate { brightness, saturation, hue, lightness } => {
            colour::modulate(image, *brightness, *saturation, *hue, *lightness)?
        }
        Step::Normalise { lower, upper } => colour::normalise(image, *lower, *upper)?,
        Step::Sepia => colour::sepia(image),
        Step::Recomb { matrix } => colour::recomb(image, matrix)?,
        Step::ExtractChannel { channel } => colour::extract_channel(image, *channel)?,
        Step::Unflatten => colour::unflatten(image),
        Step::Invert { alpha } => colour::invert(image, *alpha),
        Step::Threshold { level } => colour::threshold(image, *level),
        Step::Tint { rgb } => colour::tint(image, *rgb),
        Step::Flatten { background } => colour::flatten(image, *background, colour::Blend255::Round),
        Step::RemoveAlpha => colour::remove_alpha(image),
        Step::EnsureAlpha { alpha } => colour::ensure_alpha(image, *alpha),
        Step::Composite { index, left, top, gravity, blend, raw, tile } => {
            let bytes = overlays.get(*index).ok_or_else(|| {
                Error::invalid_input(format!(
                    "composite refers to overlay {index}, but {} overlay image(s) were given",
                    overlays.len()
                ))
            })?;
            let overlay = match raw {
                Some(RawOverlay { width, height }) => Image::from_rgba(*width, *height, bytes.to_vec(), limits)?,
                None => codec::decode(bytes, &DecodeOptions { limits: *limits, ..DecodeOptions::default() })?.0,
            };
            let size = (image.width, image.height);
            let offset = match (left, top) {
                (None, None) => None,
                (left, top) => Some((left.unwrap_or(0), top.unwrap_or(0))),
            };
            let gravity = gravity.unwrap_or_default();
            let (overlay, (left, top)) = if *tile {
                (composite::tiled(&overlay, size, gravity, offset)?, (0, 0))
            } else {
                let corner = offset.unwrap_or_else(|| gravity.position(size, (overlay.width, overlay.height)));
                (overlay, corner)
            };
            composite::composite(image, &overlay, left, top, *blend);
        }
    }
    Ok(())
}

impl Resize {
    /// The smallest decoded size this resize can start from without losing detail: what a
    /// JPEG may be shrunk to on load.
    pub fn minimum_source(&self, src_w: u32, src_h: u32) -> Result<(u32, u32)> {
        let plan = self.plan(src_w, src_h)?;
        Ok(match plan.cut {
            _ if plan.crop_only => (src_w, src_h),
            Some(cut) => cut.cover,
            None => plan.image,
        })
    }
}

/// Output settings gathered from `format=`, `quality=`, `lossless` (quality 100: lossless
/// WebP), `progressive`, `compression=`, `palette=` and `dither=` (PNG) and
/// `chroma-subsampling=` (JPEG) pairs.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct OutputSettings {
    pub format: Option<Format>,
    pub quality: Option<u8>,
    pub progressive: bool,
    pub compression: Option<u8>,
    pub chroma: ChromaSubsampling,
    pub palette: Option<Palette>,
}

/// Whether a step name takes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    /// A flag: `--trim`, `?trim`.
    Nothing,
    /// `--resize 800x` or `--resize=800x`, `?resize=800x`.
    Value,
    /// A flag that may carry a value: `--median`, `--median 5` or `--median=5`; `?median` or
    /// `?median=5`.
    OptionalValue,
}

/// The names [`parse_steps`] understands and whether each takes a value: the CLI flags
/// (`--resize 800x`) and the HTTP query (`?resize=800x`) are this one list.
pub const VOCABULARY: &[(&str, Takes)] = &[
    ("resize", Takes::Value),
    ("fit", Takes::Value),
    ("position", Takes::Value),
    ("filter", Takes::Value),
    ("without-enlargement", Takes::Nothing),
    ("without-reduction", Takes::Nothing),
    ("background", Takes::Value),
    ("crop", Takes::Value),
    ("rotate", Takes::Value),
    ("flip", Takes::Value),
    ("pad", Takes::Value),
    ("trim", Takes::Nothing),
    ("blur", Takes::Value),
    ("box-blur", Takes::Value),
    ("sharpen", Takes::Value),
    ("convolve", Takes::Value),
    ("sobel", Takes::Nothing),
    ("median", Takes::OptionalValue),
    ("grayscale", Takes::Nothing),
    ("brightness", Takes::Value),
    ("contrast", Takes::Value),
    ("linear", Takes::Value),
    ("gamma", Takes::Value),
    ("saturate", Takes::Value),
    ("hue", Takes::Value),
    ("modulate", Takes::Value),
    ("normalise", Takes::Nothing),
    ("sepia", Takes::Nothing),
    ("recomb", Takes::Value),
    ("extract-channel", Takes::Value),
    ("unflatten", Takes::Nothing),
    ("invert", Takes::Nothing),
    ("threshold", Takes::Value),
    ("tint", Takes::Value),
    ("flatten", Takes::Nothing),
    ("remove-alpha", Takes::Nothing),
    ("ensure-alpha", Takes::Value),
    ("quality", Takes::Value),
    ("format", Takes::Value),
    ("progressive", Takes::Nothing),
    ("lossless", Takes::Nothing),
    ("compression", Takes::Value),
    ("chroma-subsampling", Takes::Value),
    ("palette", Takes::Value),
    ("dither", Takes::Value),
    ("no-auto-orient", Takes::Nothing),
    ("max-pixels", Takes::Value),
];

/// Comma-separated finite numbers, each parsed in its own width (an f32 straight from the
/// text, not rounded twice through f64).
fn finite_numbers<T: std::str::FromStr + Into<f64> + Copy>(value: &str) -> Option<Vec<T>> {
    value.split(',').map(|p| p.trim().parse::<T>().ok().filter(|n| (*n).into().is_finite())).collect()
}

pub fn takes_value(name: &str) -> Option<Takes> {
    VOCABULARY.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// Builds a job from `name=value` pairs in order (CLI flags without dashes, HTTP query
/// parameters). `fit`, `position`, `filter`, `background`, `without-enlargement` and `without-reduction`
/// modify the step before them.
pub fn parse_steps<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<(Job, OutputSettings)> {
    let mut job = Job::default();
    let mut settings = OutputSettings::default();
    for (name, value) in pairs {
        let bad = |what: &str| Error::invalid_input(format!("{name}={value}: {what}"));
        let number = |v: &str| -> Result<f32> {
            match v.trim().parse::<f32>() {
                Ok(n) if n.is_finite() => Ok(n),
                Ok(_) => Err(bad("the number is out of range")),
                Err(_) => Err(bad("expected a number")),
            }
        };
        let numbers = |v: &str| finite_numbers(v).ok_or_else(|| bad("expected numbers separated by commas"));
        let integers = |v: &str, n: usize| -> Result<Vec<u32>> {
            let parts = v
                .split(',')
                .map(|p| p.trim().parse::<u32>())
                .collect::<std::result::Result<Vec<_>, _>>()
                .ok()
                .filter(|parts: &Vec<u32>| parts.len() == n);
            let Some(parts) = parts else {
                return Err(bad(&match n {
                    1 => "expected a whole number, 0 or more".to_string(),
                    n => format!("expected {n} whole numbers (0 or more) separated by commas"),
                }));
            };
            Ok(parts)
        };
        let step = match name {
            "resize" => Step::Resize(parse_size(value).map_err(|m| bad(&m))?),
            "fit" | "position" | "filter" | "background" | "without-enlargement" | "without-reduction" => {
                modify_last(&mut job.steps, name, value)?;
                continue;
            }
            "crop" => {
                let v = integers(value, 4)?;
                if v[2] == 0 || v[3] == 0 {
                    return Err(bad("the width and height (the last two numbers) must be at least 1"));
                }
                Step::Crop { left: v[0], top: v[1], width: v[2], height: v[3] }
            }
            "rotate" => Step::Rotate { degrees: number(value)?, background: opaque_black() },
            "flip" => match value {
                "h" | "horizontal" => Step::Flop,
                "v" | "vertical" => Step::Flip,
                _ => return Err(bad("use h (left to right) or v (top to bottom)")),
            },
            "pad" => {
                let v = integers(value, 4)?;
                Step::Pad(Padding { top: v[0], right: v[1], bottom: v[2], left: v[3], background: opaque_black() })
            }
            "trim" => Step::Trim(Trim::default()),
            "blur" => Step::Blur { sigma: number(value)? },
            "box-blur" => Step::BoxBlur { radius: integers(value, 1)?[0] },
            "sharpen" => {
                let mut parts = value.splitn(2, ',');
                let sigma = number(parts.next().unwrap_or(""))?;
                let amount = parts.next().map(number).transpose()?.unwrap_or(1.0);
                Step::Sharpen { sigma, amount }
            }
            "convolve" => {
                let weights: Vec<f32> = numbers(value)?;
                let size = match weights.len() {
                    9 => 3,
                    25 => 5,
                    _ => return Err(bad("a kernel is 9 (3x3) or 25 (5x5) comma-separated numbers")),
                };
                Step::Convolve(Kernel { size, weights, scale: None, offset: 0.0 })
            }
            "sobel" => Step::Sobel,
            // A flag for the classic 3×3; `median=5` (HTTP; CLI `--median 5` or `--median=5`) for
            // other sizes.
            "median" if value.is_empty() => Step::Median { size: 3 },
            "median" => Step::Median { size: integers(value, 1)?[0] },
            "grayscale" | "greyscale" => Step::Grayscale,
            "brightness" => Step::Brightness { factor: number(value)? },
            "contrast" => Step::Contrast { factor: number(value)? },
            "linear" => {
                let v: Vec<f32> = numbers(value)?;
                match v[..] {
                    [a, b] => Step::Linear { a: [a; 3], b: [b; 3] },
                    [ar, ag, ab, br, bg, bb] => Step::Linear { a: [ar, ag, ab], b: [br, bg, bb] },
                    _ => return Err(bad("expected A,B or, per channel, AR,AG,AB,BR,BG,BB")),
                }
            }
            "gamma" => Step::Gamma { gamma: number(value)? },
            "saturate" => Step::Saturate { factor: number(value)? },
            "hue" => Step::Hue { degrees: number(value)? },
            "modulate" => {
                let v: Vec<f32> = numbers(value)?;
                if v.is_empty() || v.len() > 4 {
                    return Err(bad("expected BRIGHTNESS[,SATURATION[,HUE[,LIGHTNESS]]]"));
                }
                let at = |i: usize, default: f32| v.get(i).copied().unwrap_or(default);
                Step::Modulate {
                    brightness: at(0, 1.0),
                    saturation: at(1, 1.0),
                    hue: at(2, 0.0),
                    lightness: at(3, 0.0),
                }
            }
            "normalise" | "normalize" => {
                Step::Normalise { lower: default_normalise_lower(), upper: default_normalise_upper() }
            }
            "sepia" => Step::Sepia,
            "recomb" => {
                let v: Vec<f64> = finite_numbers(value).ok_or_else(|| bad("expected numbers separated by commas"))?;
                match v[..] {
                    [a, b, c, d, e, f, g, h, i] => Step::Recomb { matrix: [[a, b, c], [d, e, f], [g, h, i]] },
                    _ => return Err(bad("expected the 3x3 matrix's nine numbers, row by row")),
                }
            }
            "extract-channel" => Step::ExtractChannel {
                channel: match value.trim() {
                    "0" | "red" => 0,
                    "1" | "green" => 1,
                    "2" | "blue" => 2,
                    "3" | "alpha" => 3,
                    _ => return Err(bad("expected 0-3 or red, green, blue, alpha")),
                },
            },
            "unflatten" => Step::Unflatten,
            "invert" => Step::Invert { alpha: false },
            "threshold" => {
                let level = integers(value, 1)?[0];
                Step::Threshold { level: u8::try_from(level).map_err(|_| bad("threshold is 0 to 255"))? }
            }
            "tint" => {
                let c = parse_colour(value).map_err(|m| bad(&m))?;
                Step::Tint { rgb: [c[0], c[1], c[2]] }
            }
            "flatten" => {
                let background = if value.is_empty() { [255; 4] } else { parse_colour(value).map_err(|m| bad(&m))? };
                Step::Flatten { background: [background[0], background[1], background[2]] }
            }
            "remove-alpha" => Step::RemoveAlpha,
            "ensure-alpha" => {
                // In f64 and rounded down, as sharp (and the npm package) turn 0..1 into a byte.
                let alpha: f64 = value.trim().parse().map_err(|_| bad("expected a number"))?;
                if !(0.0..=1.0).contains(&alpha) {
                    return Err(bad("alpha is 0 (transparent) to 1 (opaque)"));
                }
                Step::EnsureAlpha { alpha: (alpha * 255.0).floor() as u8 }
            }
            "quality" => {
                let q = integers(value, 1)?[0];
                if !(1..=100).contains(&q) {
                    return Err(bad("quality is 1 to 100"));
                }
                settings.quality = Some(q as u8);
                continue;
            }
            "format" => {
                settings.format = Some(Format::from_name(value)?);
                continue;
            }
            "progressive" => {
                settings.progressive = true;
                continue;
            }
            "lossless" => {
                settings.quality = Some(EncodeOptions::LOSSLESS);
                continue;
            }
            "compression" => {
                let level = integers(value, 1)?[0];
                if level > 9 {
                    return Err(bad("PNG compression is 0 (none) to 9 (smallest)"));
                }
                settings.compression = Some(level as u8);
                continue;
            }
            "chroma-subsampling" => {
                settings.chroma = ChromaSubsampling::from_name(value).map_err(|e| bad(e.message()))?;
                continue;
            }
            "palette" => {
                let colours = integers(value, 1)?[0];
                let palette =
                    Palette { colours: u16::try_from(colours).unwrap_or(0), ..settings.palette.unwrap_or_default() };
                palette.check().map_err(|e| bad(e.message()))?;
                settings.palette = Some(palette);
                continue;
            }
            "dither" => {
                // As in sharp, dithering implies a palette (of 256 unless `palette=` says).
                let palette = Palette { dither: number(value)?, ..settings.palette.unwrap_or_default() };
                palette.check().map_err(|e| bad(e.message()))?;
                settings.palette = Some(palette);
                continue;
            }
            "no-auto-orient" => {
                job.auto_orient = false;
                continue;
            }
            "max-pixels" => {
                let v: u64 = value
                    .trim()
                    .parse()
                    .ok()
                    .filter(|&v| v > 0)
                    .ok_or_else(|| bad("expected a whole number of pixels above 0"))?;
                job.limits.max_pixels = v;
                continue;
            }
            _ => {
                return Err(Error::invalid_input(format!(
                    "unknown image step '{name}'; known steps: {}",
                    VOCABULARY.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                )))
            }
        };
        check_parameters(&step).map_err(|e| bad(e.message()))?;
        job.steps.push(step);
    }
    job.target = Target::Encoded {
        format: settings.format,
        quality: settings.quality.unwrap_or(EncodeOptions::DEFAULT_QUALITY),
        progressive: settings.progressive,
        compression: settings.compression,
        chroma: settings.chroma,
        palette: settings.palette,
    };
    Ok((job, settings))
}

/// Refuses a step whose parameters its kernel would refuse (`blur=0`, `gamma=-1`), so a command
/// line fails as a bad command line before any image is read. The kernels own those checks;
/// running the step on a 2×2 probe asks them. Steps whose validity depends on the image
/// (resize, crop, pad, trim, composite) are checked when they run.
fn check_parameters(step: &Step) -> Result<()> {
    if matches!(step, Step::Resize(_) | Step::Crop { .. } | Step::Pad(_) | Step::Trim(_) | Step::Composite { .. }) {
        return Ok(());
    }
    let mut probe = Image::filled(2, 2, [128, 128, 128, 255], &Limits::DEFAULT)?;
    apply(&mut probe, step, &Limits::DEFAULT, &[])
}

/// `800x600`, `800x` or `x600`.
fn parse_size(value: &str) -> std::result::Result<Resize, String> {
    let (w, h) = value.split_once(['x', 'X']).ok_or("expected WIDTHxHEIGHT, WIDTHx or xHEIGHT")?;
    let side = |s: &str| -> std::result::Result<Option<u32>, String> {
        if s.is_empty() {
            return Ok(None);
        }
        match s.parse::<u32>() {
            Ok(0) | Err(_) => Err(format!("'{s}' is not a size of at least 1 pixel")),
            Ok(n) => Ok(Some(n)),
        }
    };
    let (width, height) = (side(w)?, side(h)?);
    if width.is_none() && height.is_none() {
        return Err("give a width, a height or both".into());
    }
    Ok(Resize::new(width, height))
}

fn modify_last(steps: &mut [Step], name: &str, value: &str) -> Result<()> {
    let bad = |what: String| Error::invalid_input(format!("{name}={value}: {what}"));
    match (name, steps.last_mut()) {
        ("fit", Some(Step::Resize(resize))) => resize.fit = Fit::from_name(value)?,
        ("position", Some(Step::Resize(resize))) => resize.position = geometry::Position::from_name(value)?,
        ("filter", Some(Step::Resize(resize))) => resize.filter = geometry::Filter::from_name(value)?,
        ("without-enlargement", Some(Step::Resize(resize))) => resize.without_enlargement = true,
        ("without-reduction", Some(Step::Resize(resize))) => resize.without_reduction = true,
        ("background", Some(Step::Resize(Resize { background, .. })))
        | ("background", Some(Step::Rotate { background, .. }))
        | ("background", Some(Step::Pad(Padding { background, .. }))) => {
            *background = parse_colour(value).map_err(bad)?;
        }
        ("background", Some(Step::Trim(trim))) => trim.background = Some(parse_colour(value).map_err(bad)?),
        ("background", _) => return Err(bad("must follow a resize, rotate, pad or trim step".into())),
        _ => return Err(bad("must follow a resize step".into())),
    }
    Ok(())
}

/// `RRGGBB` or `RRGGBBAA` hex, with or without `#`.
fn parse_colour(value: &str) -> std::result::Result<[u8; 4], String> {
    let hex = value.trim_start_matches('#');
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| format!("'{value}' is not a hex colour"));
    match hex.len() {
        6 if hex.is_ascii() => Ok([byte(0)?, byte(2)?, byte(4)?, 255]),
        8 if hex.is_ascii() => Ok([byte(0)?, byte(2)?, byte(4)?, byte(6)?]),
        _ => Err(format!("'{value}' is not a colour; use RRGGBB or RRGGBBAA hex")),
    }
}
