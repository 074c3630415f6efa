//! Per-pixel colour operations, histograms and statistics. Alpha is left untouched by every
//! operation here except [`threshold`], which thresholds it too, as sharp does.
//!
//! [`grayscale`], [`threshold`] and [`tint`] work as sharp's do, through linear light and
//! CIE L*a*b* computed the way libvips computes them ([`crate::cie`]), so they give sharp's
//! bytes. The other operations work on the sRGB-encoded values as stored, like CSS filters:
//! per-channel operations go through a 256-entry table built once per call; matrix operations
//! compute in f32 and round to nearest. Parameters are checked first and rejected with
//! `invalid_input` naming the allowed range.

use nearnative_core::{Error, Result};

use crate::cie::{self, Grey};
use crate::Image;

/// The luminance of the linear-light values, encoded back to sRGB, into R, G and B: sharp's
/// `greyscale()` (libvips' sRGB → B_W), byte for byte.
pub fn grayscale(image: &mut Image) {
    apply_channel_tables(image, true, &ChannelTables::IDENTITY);
}

/// Multiplies every colour channel by `factor` (1 = unchanged).
///
/// `out = round(in · factor)`, clamped; `factor` finite and ≥ 0.
pub fn brightness(image: &mut Image, factor: f32) -> Result<()> {
    apply_lut(image, &brightness_table(factor)?);
    Ok(())
}

pub(crate) fn brightness_table(factor: f32) -> Result<[u8; 256]> {
    check(factor, "brightness factor", 0.0, f32::MAX, "a finite number >= 0")?;
    let f = f64::from(factor);
    Ok(lut(|v| v * f))
}

/// Scales distance from mid-grey by `factor` (1 = unchanged, 0 = flat grey).
///
/// `out = round((in − 128) · factor + 128)`, clamped: sharp's `linear(factor, 128·(1 − factor))`.
/// `factor` finite and ≥ 0.
pub fn contrast(image: &mut Image, factor: f32) -> Result<()> {
    apply_lut(image, &contrast_table(factor)?);
    Ok(())
}

pub(crate) fn contrast_table(factor: f32) -> Result<[u8; 256]> {
    check(factor, "contrast factor", 0.0, f32::MAX, "a finite number >= 0")?;
    let f = f64::from(factor);
    Ok(lut(|v| (v - 128.0) * f + 128.0))
}

/// `out = a · in + b` per colour channel (red, green, blue), as sharp's `linear(a, b)`: alpha is
/// left as it is.
///
/// `out = round(a · in + b)`, clamped; every `a` and `b` finite (a negative `a` inverts).
pub fn linear(image: &mut Image, a: [f32; 3], b: [f32; 3]) -> Result<()> {
    apply_channel_tables(image, false, &linear_tables(a, b)?);
    Ok(())
}

pub(crate) fn linear_tables(a: [f32; 3], b: [f32; 3]) -> Result<ChannelTables> {
    for v in a.iter().chain(&b) {
        check(*v, "linear coefficient", f32::MIN, f32::MAX, "a finite number")?;
    }
    Ok(ChannelTables(std::array::from_fn(|c| {
        let (a, b) = (f64::from(a[c]), f64::from(b[c]));
        lut(|v| a * v + b)
    })))
}

/// `out = in^(1/gamma)` on normalised channels (gamma > 1 brightens midtones).
///
/// `out = round(255 · (in/255)^(1/gamma))`; `gamma` finite and > 0.
pub fn gamma(image: &mut Image, gamma: f32) -> Result<()> {
    apply_lut(image, &gamma_table(gamma)?);
    Ok(())
}

pub(crate) fn gamma_table(gamma: f32) -> Result<[u8; 256]> {
    if !(gamma.is_finite() && gamma > 0.0) {
        return Err(Error::invalid_input(format!("gamma must be a finite number above 0, got {gamma}")));
    }
    let inv = 1.0 / f64::from(gamma);
    Ok(lut(|v| 255.0 * (v / 255.0).powf(inv)))
}

/// Scales chroma by `factor` (0 = grey, 1 = unchanged).
///
/// The `saturate` matrix of W3C Filter Effects Level 1 (feColorMatrix type="saturate", also
/// CSS `saturate()`), on sRGB values; `factor` finite and ≥ 0 (above 1 oversaturates).
pub fn saturate(image: &mut Image, factor: f32) -> Result<()> {
    check(factor, "saturation factor", 0.0, f32::MAX, "a finite number >= 0")?;
    let s = factor;
    let m = [
        [0.213 + 0.787 * s, 0.715 - 0.715 * s, 0.072 - 0.072 * s],
        [0.213 - 0.213 * s, 0.715 + 0.285 * s, 0.072 - 0.072 * s],
        [0.213 - 0.213 * s, 0.715 - 0.715 * s, 0.072 + 0.928 * s],
    ];
    apply_matrix(image, &m);
    Ok(())
}

/// Rotates hue by `degrees`.
///
/// The `hueRotate` matrix of W3C Filter Effects Level 1 (feColorMatrix type="hueRotate", also
/// CSS `hue-rotate()`), on sRGB values; `degrees` any finite number.
pub fn hue_rotate(image: &mut Image, degrees: f32) -> Result<()> {
    check(degrees, "hue rotation", f32::MIN, f32::MAX, "a finite number of degrees")?;
    // Reduce first so huge angles keep their precision.
    let (sin, cos) = (f64::from(degrees) % 360.0).to_radians().sin_cos();
    let (s, c) = (sin as f32, cos as f32);
    let m = [
        [0.213 + c * 0.787 - s * 0.213, 0.715 - c * 0.715 - s * 0.715, 0.072 - c * 0.072 + s * 0.928],
        [0.213 - c * 0.213 + s * 0.143, 0.715 + c * 0.285 + s * 0.140, 0.072 - c * 0.072 - s * 0.283],
        [0.213 - c * 0.213 - s * 0.787, 0.715 - c * 0.715 + s * 0.715, 0.072 + c * 0.928 + s * 0.072],
    ];
    apply_matrix(image, &m);
    Ok(())
}

/// sharp's `modulate`: in CIE LCh(ab), lightness `L·brightness + lightness`, chroma
/// `C·saturation` and hue angle `h + hue` degrees, then back to sRGB (out-of-gamut colours
/// clipped per channel, as libvips does). Alpha is kept.
///
/// `brightness` and `saturation` finite and ≥ 0; `hue` and `lightness` finite. The hue turn is
/// applied as a rotation of (a*, b*), the same as adding to the LCh angle.
pub fn modulate(image: &mut Image, brightness: f32, saturation: f32, hue: f32, lightness: f32) -> Result<()> {
    check(brightness, "modulate brightness", 0.0, f32::MAX, "a finite number >= 0")?;
    check(saturation, "modulate saturation", 0.0, f32::MAX, "a finite number >= 0")?;
    check(hue, "modulate hue", f32::MIN, f32::MAX, "a finite number of degrees")?;
    check(lightness, "modulate lightness", f32::MIN, f32::MAX, "a finite number")?;
    let srgb = cie::Srgb8::new();
    let (sin, cos) = (f64::from(hue) % 360.0).to_radians().sin_cos();
    let (sin, cos) = ((sin * f64::from(saturation)) as f32, (cos * f64::from(saturation)) as f32);
    for px in image.pixels.as_chunks_mut::<4>().0 {
        let [l, a, b] = srgb.lab([px[0], px[1], px[2]]);
        let lab = [l * brightness + lightness, a * cos - b * sin, a * sin + b * cos];
        let [r, g, b] = cie::linear_from_lab(lab).map(|c| srgb.encode(c));
        *px = [r, g, b, px[3]];
    }
    Ok(())
}

/// sharp's `normalise`: stretches lightness L* so its `lower` percentile becomes 0 and its
/// `upper` percentile 100, keeping a* and b* (and alpha); an image whose range is a level or
/// less is left as it is.
///
/// The percentiles are found as libvips finds them: over a histogram of whole L* values (cast
/// by truncation), the first level whose cumulative count, scaled to the histogram's last
/// index and truncated, exceeds `percent / 100` of the histogram's length. `lower` 0 and
/// `upper` 100 take the minimum and maximum instead. `lower` < `upper` ≤ 100.
pub fn normalise(image: &mut Image, lower: u8, upper: u8) -> Result<()> {
    if lower >= upper || upper > 100 {
        return Err(Error::invalid_input(format!(
            "normalise needs 0 <= lower < upper <= 100 (percentiles), got lower {lower}, upper {upper}"
        )));
    }
    if image.pixels.is_empty() {
        return Ok(());
    }
    let srgb = cie::Srgb8::new();
    let lightness = |px: &[u8; 4]| srgb.lab([px[0], px[1], px[2]])[0];
    let mut histogram = [0u64; 256];
    let (mut darkest, mut lightest) = (f32::INFINITY, f32::NEG_INFINITY);
    for px in image.pixels.as_chunks::<4>().0 {
        let l = lightness(px);
        darkest = darkest.min(l);
        lightest = lightest.max(l);
        histogram[l.clamp(0.0, 255.0) as usize] += 1;
    }
    let len = histogram.iter().rposition(|&n| n > 0).map_or(1, |last| last + 1);
    let total = histogram[..len].iter().sum::<u64>() as f64;
    let percentile = |percent: u8| -> i32 {
        let scale = (len - 1) as f64 / total;
        let bar = f64::from(percent) / 100.0 * len as f64;
        let mut cumulative = 0u64;
        for (level, &n) in histogram[..len].iter().enumerate() {
            cumulative += n;
            if ((cumulative as f64 * scale) as f32).trunc() as f64 > bar {
                return level as i32;
            }
        }
        len as i32
    };
    let min = if lower == 0 { darkest as i32 } else { percentile(lower) };
    let max = if upper == 100 { lightest as i32 } else { percentile(upper) };
    if (max - min).abs() <= 1 {
        return Ok(());
    }
    let scale = 100.0 / f64::from(max - min);
    let (f, a) = (scale as f32, (-(f64::from(min) * scale)) as f32);
    for px in image.pixels.as_chunks_mut::<4>().0 {
        let [l, a_star, b_star] = srgb.lab([px[0], px[1], px[2]]);
        let [r, g, b] = cie::linear_from_lab([l * f + a, a_star, b_star]).map(|c| srgb.encode(c));
        *px = [r, g, b, px[3]];
    }
    Ok(())
}

/// The `sepia(1)` matrix of W3C Filter Effects Level 1, on sRGB values.
pub fn sepia(image: &mut Image) {
    let m = [[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]];
    apply_matrix(image, &m);
}

/// `matrix · [R, G, B]` for every pixel, as sharp's `recomb` computes it: summed in f64, stored
/// as f32, then truncated toward zero into 0..=255 (libvips' cast; 145.73 gives 145). Alpha is
/// kept and colour is not premultiplied.
pub fn recomb(image: &mut Image, matrix: &[[f64; 3]; 3]) -> Result<()> {
    if matrix.iter().flatten().any(|v| !v.is_finite()) {
        return Err(Error::invalid_input("recomb: every matrix entry must be a finite number"));
    }
    for px in image.pixels.as_chunks_mut::<4>().0 {
        let rgb = [px[0], px[1], px[2]].map(f64::from);
        let [r, g, b] = matrix.map(|row| {
            let sum = row[0] * rgb[0] + row[1] * rgb[1] + row[2] * rgb[2];
            // `as u8` saturates (NaN to 0) and truncates, which is libvips' cast.
            sum as f32 as u8
        });
        *px = [r, g, b, px[3]];
    }
    Ok(())
}

/// One channel (0 red, 1 green, 2 blue, 3 alpha) as an opaque grey image: sharp's
/// `extractChannel`.
pub fn extract_channel(image: &mut Image, channel: u8) -> Result<()> {
    if channel > 3 {
        return Err(Error::invalid_input(format!(
            "extract-channel: the channel is 0 (red), 1 (green), 2 (blue) or 3 (alpha), got {channel}"
        )));
    }
    let c = usize::from(channel);
    for px in image.pixels.as_chunks_mut::<4>().0 {
        let v = px[c];
        *px = [v, v, v, 255];
    }
    image.has_alpha = false;
    Ok(())
}

/// How [`flatten`] brings `colour · alpha + background · (255 − alpha)` back to 0..=255.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blend255 {
    /// To nearest: sharp's `flatten` step.
    Round,
    /// Down, as libvips flattens an image it saves without alpha (JPEG).
    Truncate,
}

/// The image over an opaque `background`; nothing to do when it has no alpha.
pub(crate) fn flatten(image: &mut Image, background: [u8; 3], division: Blend255) {
    if !image.has_alpha {
        return;
    }
    let bias = if division == Blend255::Round { 127 } else { 0 };
    for px in image.pixels.chunks_exact_mut(4) {
        let a = u32::from(px[3]);
        for c in 0..3 {
            px[c] = ((u32::from(px[c]) * a + u32::from(background[c]) * (255 - a) + bias) / 255) as u8;
        }
        px[3] = 255;
    }
    image.has_alpha = false;
}

/// White pixels become fully transparent, the rest keep their alpha: sharp's `unflatten`, the
/// inverse of flattening onto white. White is a grey ([`grayscale`]'s) of 255, as sharp tests
/// it, so near-whites such as (255, 255, 250) go too.
pub fn unflatten(image: &mut Image) {
    let grey = Grey::shared();
    let mut cleared = false;
    for px in image.pixels.as_chunks_mut::<4>().0 {
        if grey.grey(px[0], px[1], px[2]) == 255 && px[3] != 0 {
            px[3] = 0;
            cleared = true;
        }
    }
    image.has_alpha |= cleared;
}

/// Drops the alpha channel, keeping each pixel's colour as stored (sharp's `removeAlpha`; use
/// `flatten` to put transparency over a background instead). The image is opaque after it.
pub fn remove_alpha(image: &mut Image) {
    if image.has_alpha {
        for px in image.pixels.as_chunks_mut::<4>().0 {
            px[3] = 255;
        }
        image.has_alpha = false;
    }
}

/// Gives an image without alpha an alpha channel of `alpha` everywhere (sharp's `ensureAlpha`),
/// so encoders write RGBA; an image that has alpha keeps it.
pub fn ensure_alpha(image: &mut Image, alpha: u8) {
    if !image.has_alpha {
        for px in image.pixels.as_chunks_mut::<4>().0 {
            px[3] = alpha;
        }
        image.has_alpha = true;
    }
}

/// `255 − c` for R, G and B, and for alpha when `alpha` is set and the image has alpha (as
/// sharp's `negate()` does by default: an opaque RGBA image comes out fully transparent).
pub fn invert(image: &mut Image, alpha: bool) {
    if alpha && image.has_alpha {
        for px in image.pixels.as_chunks_mut::<4>().0 {
            *px = px.map(|v| 255 - v);
        }
    } else {
        apply_lut(image, &invert_table());
    }
}

pub(crate) fn invert_table() -> [u8; 256] {
    lut(|v| 255.0 - v)
}

/// Grey ([`grayscale`]'s) ≥ `level` becomes white, the rest black; alpha is thresholded at the
/// same level, as sharp's `threshold()` does (it compares every band).
pub fn threshold(image: &mut Image, level: u8) {
    let cut = |v: u8| if v >= level { 255 } else { 0 };
    let grey = Grey::shared().through(&std::array::from_fn(|v| cut(v as u8)));
    for px in image.pixels.as_chunks_mut::<4>().0 {
        let v = grey.map(px[0], px[1], px[2]);
        *px = [v, v, v, cut(px[3])];
    }
}

/// Colours the image with `rgb` by grey level, as sharp's `tint`: each grey ([`grayscale`]'s)
/// keeps its lightness L* and takes the a*, b* of `rgb`, weighted by `1 − 4 (L*/100 − ½)²` so
/// black and white stay neutral. Alpha is kept.
pub fn tint(image: &mut Image, rgb: [u8; 3]) {
    let grey = Grey::shared();
    let srgb = grey.srgb();
    let [_, ta, tb] = srgb.lab(rgb);
    let table: [[u8; 3]; 256] = std::array::from_fn(|v| {
        let [l, ..] = srgb.lab([v as u8; 3]);
        let t = l / 100.0 - 0.5;
        let weight = 1.0 - 4.0 * t * t;
        cie::linear_from_lab([l, weight * ta, weight * tb]).map(|c| srgb.encode(c))
    });
    for px in image.pixels.as_chunks_mut::<4>().0 {
        let [r, g, b] = table[usize::from(grey.grey(px[0], px[1], px[2]))];
        *px = [r, g, b, px[3]];
    }
}

/// Counts per channel (R, G, B, A) and value.
pub fn histogram(image: &Image) -> Box<[[u64; 256]; 4]> {
    let mut out = Box::new([[0u64; 256]; 4]);
    // u32 counters are cheaper; flush them every 2²⁸ pixels, long before they could overflow.
    let mut counts = [[0u32; 256]; 4];
    for chunk in image.pixels.chunks(4 << 28) {
        for px in chunk.chunks_exact(4) {
            counts[0][usize::from(px[0])] += 1;
            counts[1][usize::from(px[1])] += 1;
            counts[2][usize::from(px[2])] += 1;
            counts[3][usize::from(px[3])] += 1;
        }
        for (o, c) in out.iter_mut().zip(counts.iter_mut()) {
            for (o, c) in o.iter_mut().zip(c.iter_mut()) {
                *o += u64::from(*c);
                *c = 0;
            }
        }
    }
    out
}

/// Per-channel statistics, as sharp's `stats()` reports them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChannelStats {
    pub min: u8,
    pub max: u8,
    pub sum: u64,
    pub mean: f64,
    pub stdev: f64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Stats {
    /// R, G, B, then A when the image has alpha.
    pub channels: Vec<ChannelStats>,
    pub is_opaque: bool,
}

/// Min, max, sum, mean and sample (n − 1) standard deviation, as sharp reports it, per channel (R, G, B, and A when
/// `has_alpha`), computed exactly from the histogram; `is_opaque` says whether every alpha
/// byte is 255. An image without pixels reports zeros.
pub fn stats(image: &Image) -> Stats {
    let hist = histogram(image);
    let count = if image.has_alpha { 4 } else { 3 };
    let is_opaque = hist[3][255] == hist[0].iter().sum::<u64>();
    Stats { channels: hist[..count].iter().map(channel_stats).collect(), is_opaque }
}

/// [`stats`] of interleaved samples in `bands` bands, as sharp's `raw()` lays them out: grey,
/// grey + alpha, RGB or RGBA. Alpha is the last of 2 or 4 bands.
pub fn band_stats(samples: &[u8], bands: usize) -> Stats {
    let bands = bands.clamp(1, 4);
    let mut hist = vec![[0u64; 256]; bands];
    for px in samples.chunks_exact(bands) {
        for (h, &v) in hist.iter_mut().zip(px) {
            h[usize::from(v)] += 1;
        }
    }
    let pixels = (samples.len() / bands) as u64;
    let is_opaque = bands % 2 == 1 || hist[bands - 1][255] == pixels;
    Stats { channels: hist.iter().map(channel_stats).collect(), is_opaque }
}

/// sharp's `stats()` of a job's output in `raw()`'s `bands`: as [`band_stats`], except that an
/// image that came in grey (`grey_input`) and is still grey counts one band, plus alpha, as
/// sharp measures the image it holds where `raw()` converts it to RGB.
pub fn sharp_stats(samples: &[u8], bands: usize, grey_input: bool) -> Stats {
    let mut stats = band_stats(samples, bands);
    let still_grey = || samples.chunks_exact(bands).all(|p| p[0] == p[1] && p[1] == p[2]);
    if grey_input && bands >= 3 && still_grey() {
        let alpha = (bands == 4).then(|| stats.channels[3].clone());
        stats.channels.truncate(1);
        stats.channels.extend(alpha);
    }
    stats
}

fn channel_stats(h: &[u64; 256]) -> ChannelStats {
    let n: u64 = h.iter().sum();
    let min = h.iter().position(|&c| c > 0).unwrap_or(0) as u8;
    let max = h.iter().rposition(|&c| c > 0).unwrap_or(0) as u8;
    let (mut sum, mut sum_sq) = (0u128, 0u128);
    for (v, &c) in h.iter().enumerate() {
        sum += v as u128 * u128::from(c);
        sum_sq += (v * v) as u128 * u128::from(c);
    }
    let (mean, stdev) = if n == 0 {
        (0.0, 0.0)
    } else {
        let n = u128::from(n);
        let mean = sum as f64 / n as f64;
        // n(n−1)·variance = n·Σv² − (Σv)², exact in integers (f64 if that could overflow).
        let stdev = if n < 2 {
            0.0
        } else {
            match (n.checked_mul(sum_sq), sum.checked_mul(sum)) {
                (Some(a), Some(b)) => (a.saturating_sub(b) as f64 / (n as f64 * (n - 1) as f64)).sqrt(),
                _ => ((sum_sq as f64 - n as f64 * mean * mean) / (n - 1) as f64).max(0.0).sqrt(),
            }
        };
        (mean, stdev)
    };
    ChannelStats { min, max, sum: sum as u64, mean, stdev }
}

/// sRGB transfer function, exact (IEC 61966-2-1), 0..=1 in and out.
///
/// `v / 12.92` up to 0.04045, `((v + 0.055) / 1.055)^2.4` above. Input is clamped to 0..=1;
/// computed in f64.
pub fn srgb_to_linear(value: f32) -> f32 {
    let v = f64::from(value.clamp(0.0, 1.0));
    (if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }) as f32
}

/// Inverse of [`srgb_to_linear`]: `12.92 v` up to 0.0031308, `1.055 v^(1/2.4) − 0.055` above.
/// Input is clamped to 0..=1; computed in f64.
pub fn linear_to_srgb(value: f32) -> f32 {
    let v = f64::from(value.clamp(0.0, 1.0));
    (if v <= 0.0031308 { v * 12.92 } else { 1.055 * v.powf(1.0 / 2.4) - 0.055 }) as f32
}

// ---------------------------------------------------------------------------------------------

fn check(value: f32, what: &str, lo: f32, hi: f32, range: &str) -> Result<()> {
    if value.is_finite() && value >= lo && value <= hi {
        Ok(())
    } else {
        Err(Error::invalid_input(format!("{what} must be {range}, got {value}")))
    }
}

/// `v` rounded to nearest and clamped to 0..=255 (NaN gives 0). Branch-free, so loops using it
/// vectorise: adding 1.5·2²³ leaves the rounded integer in the low mantissa bits.
#[inline(always)]
fn round_u8(v: f32) -> u8 {
    const MAGIC: f32 = 12_582_912.0;
    let v = if v > 0.0 { v } else { 0.0 };
    let v = if v < 255.0 { v } else { 255.0 };
    ((v + MAGIC).to_bits() as i32 - MAGIC.to_bits() as i32) as u8
}

/// A table of `f(v)` for every byte value, rounded half up and clamped.
fn lut(f: impl Fn(f64) -> f64) -> [u8; 256] {
    std::array::from_fn(|v| {
        let y = f(v as f64);
        if y.is_nan() {
            0
        } else {
            (y + 0.5).floor().clamp(0.0, 255.0) as u8
        }
    })
}

fn apply_lut(image: &mut Image, table: &[u8; 256]) {
    apply_channel_tables(image, false, &ChannelTables::uniform(*table));
}

/// What a run of per-channel steps (brightness, contrast, gamma, linear, invert) does to each
/// stored red, green and blue value, as one table per channel: composed tables give the same
/// bytes as the steps one after another, in one pass over the pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChannelTables([[u8; 256]; 3]);

impl ChannelTables {
    pub(crate) const IDENTITY: ChannelTables = {
        let mut table = [0; 256];
        let mut v = 0;
        while v < 256 {
            table[v] = v as u8;
            v += 1;
        }
        ChannelTables([table; 3])
    };

    pub(crate) fn uniform(table: [u8; 256]) -> ChannelTables {
        ChannelTables([table; 3])
    }

    /// These tables followed by `next`'s.
    pub(crate) fn then(&self, next: &ChannelTables) -> ChannelTables {
        ChannelTables(std::array::from_fn(|c| self.0[c].map(|v| next.0[c][usize::from(v)])))
    }
}

/// Maps every pixel's red, green and blue through `tables`, after [`grayscale`] when
/// `grey_first`, in one pass; alpha is kept.
// Not inlined: inside a caller as large as the pipeline, Cranelift spilled the loop's pointers
// and reloaded them from the stack on every pixel.
#[inline(never)]
pub(crate) fn apply_channel_tables(image: &mut Image, grey_first: bool, tables: &ChannelTables) {
    let [r, g, b] = &tables.0;
    // One four-byte store per pixel (alpha rewritten as it was), as in `apply_matrix`.
    if grey_first && r == g && g == b {
        // The usual case (grayscale, then contrast and the like): the table folds into the grey.
        let grey = Grey::shared().through(r);
        for px in image.pixels.as_chunks_mut::<4>().0 {
            let v = u32::from(grey.map(px[0], px[1], px[2]));
            *px = ((v * 0x01_0101) | (u32::from(px[3]) << 24)).to_le_bytes();
        }
    } else if grey_first {
        let grey = Grey::shared();
        for px in image.pixels.as_chunks_mut::<4>().0 {
            let y = usize::from(grey.grey(px[0], px[1], px[2]));
            *px = [r[y], g[y], b[y], px[3]];
        }
    } else {
        for px in image.pixels.as_chunks_mut::<4>().0 {
            *px = [r[usize::from(px[0])], g[usize::from(px[1])], b[usize::from(px[2])], px[3]];
        }
    }
}

/// `rgb' = m · rgb` per pixel, rounded and clamped.
fn apply_matrix(image: &mut Image, m: &[[f32; 3]; 3]) {
    // One four-byte store per pixel (alpha rewritten as it was) vectorises better than three.
    for px in image.pixels.as_chunks_mut::<4>().0 {
        let (r, g, b) = (f32::from(px[0]), f32::from(px[1]), f32::from(px[2]));
        *px = [
            round_u8(m[0][0] * r + m[0][1] * g + m[0][2] * b),
            round_u8(m[1][0] * r + m[1][1] * g + m[1][2] * b),
            round_u8(m[2][0] * r + m[2][1] * g + m[2][2] * b),
            px[3],
        ];
    }
}
