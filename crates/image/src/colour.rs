//! Per-pixel colour operations, histograms and statistics. Alpha is left untouched by every
//! operation here.

use nearnative_core::Result;

use crate::Image;

pub fn grayscale(image: &mut Image) {
    let _ = image;
}
/// Multiplies every colour channel by `factor` (1 = unchanged).
pub fn brightness(image: &mut Image, factor: f32) -> Result<()> {
    let _ = (image, factor);
    Ok(())
}
/// Scales distance from mid-grey by `factor` (1 = unchanged, 0 = flat grey).
pub fn contrast(image: &mut Image, factor: f32) -> Result<()> {
    let _ = (image, factor);
    Ok(())
}
/// `out = in^(1/gamma)` on normalised channels (gamma > 1 brightens midtones).
pub fn gamma(image: &mut Image, gamma: f32) -> Result<()> {
    let _ = (image, gamma);
    Ok(())
}
/// Scales chroma by `factor` (0 = grey, 1 = unchanged).
pub fn saturate(image: &mut Image, factor: f32) -> Result<()> {
    let _ = (image, factor);
    Ok(())
}
/// Rotates hue by `degrees`.
pub fn hue_rotate(image: &mut Image, degrees: f32) -> Result<()> {
    let _ = (image, degrees);
    Ok(())
}
pub fn sepia(image: &mut Image) {
    let _ = image;
}
pub fn invert(image: &mut Image) {
    let _ = image;
}
/// Luma ≥ `level` becomes white, the rest black.
pub fn threshold(image: &mut Image, level: u8) {
    let _ = (image, level);
}
/// Multiplies each channel by `rgb / 255` after converting to luma, like sharp's `tint`.
pub fn tint(image: &mut Image, rgb: [u8; 3]) {
    let _ = (image, rgb);
}

/// Counts per channel (R, G, B, A) and value.
pub fn histogram(image: &Image) -> Box<[[u64; 256]; 4]> {
    let _ = image;
    Box::new([[0; 256]; 4])
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

pub fn stats(image: &Image) -> Stats {
    let _ = image;
    Stats { channels: Vec::new(), is_opaque: true }
}

/// sRGB transfer function, exact (IEC 61966-2-1), 0..=1 in and out.
pub fn srgb_to_linear(value: f32) -> f32 {
    value
}
pub fn linear_to_srgb(value: f32) -> f32 {
    value
}
