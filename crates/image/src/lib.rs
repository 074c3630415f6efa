//! The image domain: decode (PNG, JPEG, WebP, GIF, QOI, BMP), geometry, filters, colour,
//! composite and encode, run as one [`Job`] over an RGBA8 buffer that stays in memory between
//! steps.
//!
//! Every step works on [`Image`]: 8-bit RGBA with straight (not premultiplied) alpha, rows
//! packed without padding. Formats with fewer channels are widened on decode and narrowed on
//! encode (`has_alpha` says whether the alpha channel may hold anything but 255). Sizes are
//! checked against [`Limits`] from the header, before any pixel buffer is allocated.

mod cie;
pub mod codec;
pub mod colour;
pub mod composite;
pub mod filter;
pub mod geometry;
pub mod icc;
mod jpeg;
pub mod palette;
pub mod pipeline;
mod smartcrop;
pub mod stream;
mod webp;

pub use codec::{decode, encode, probe, DecodeOptions, EncodeOptions, Format, Info};
pub use pipeline::{run, Job, Output, Step};

use nearnative_core::{Error, Result};

/// 8-bit RGBA pixels, straight alpha, `width * height * 4` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
    /// False when every alpha byte is known to be 255 (decoded from a format or colour type
    /// without alpha, and no step added transparency): encoders then write RGB.
    pub has_alpha: bool,
}

/// True when some alpha byte of RGBA8 `pixels` is below 255.
///
/// ANDs whole pixels per block so LLVM can vectorise it (v128.and on wasm32): a per-byte
/// `any` with its early exit scanned 16 MP in 20 ms on V8, this takes a fraction of that.
pub(crate) fn any_translucent(pixels: &[u8]) -> bool {
    const BLOCK: usize = 4 * 1024;
    pixels.chunks(BLOCK).any(|block| {
        let all = block.chunks_exact(4).fold(u32::MAX, |acc, p| acc & u32::from_le_bytes([p[0], p[1], p[2], p[3]]));
        all >> 24 != 0xFF
    })
}

impl Image {
    /// A `width`×`height` image filled with one colour, after checking the size against `limits`.
    pub fn filled(width: u32, height: u32, rgba: [u8; 4], limits: &Limits) -> Result<Image> {
        limits.check(width, height)?;
        let mut pixels = Vec::new();
        pixels.try_reserve_exact(width as usize * height as usize * 4).map_err(|_| out_of_memory(width, height))?;
        for _ in 0..width as usize * height as usize {
            pixels.extend_from_slice(&rgba);
        }
        Ok(Image { width, height, pixels, has_alpha: rgba[3] != 255 })
    }

    /// Wraps RGBA8 pixels supplied by a host (ImageData, `--raw` input).
    pub fn from_rgba(width: u32, height: u32, pixels: Vec<u8>, limits: &Limits) -> Result<Image> {
        limits.check(width, height)?;
        let expected = width as u64 * height as u64 * 4;
        if pixels.len() as u64 != expected {
            return Err(Error::invalid_input(format!(
                "raw RGBA input of {width}x{height} needs {expected} bytes, got {}",
                pixels.len()
            )));
        }
        let has_alpha = any_translucent(&pixels);
        Ok(Image { width, height, pixels, has_alpha })
    }

    pub fn pixel_count(&self) -> usize {
        self.width as usize * self.height as usize
    }
}

/// "24 megapixels", or "851 pixels" below one megapixel (where megapixels would round to 0 or 1).
fn pixel_amount(pixels: u64, round: fn(u64, u64) -> u64) -> String {
    if pixels >= 1_000_000 {
        format!("{} megapixels", round(pixels, 1_000_000))
    } else {
        format!("{pixels} pixels")
    }
}

/// Per-job ceilings, checked from the header before allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// Largest accepted width × height, for the input and for every intermediate image.
    pub max_pixels: u64,
}

impl Limits {
    /// 100 megapixels: a 12000×8000 photo fits, a decompression bomb declaring 65535×65535 does not.
    pub const DEFAULT: Limits = Limits { max_pixels: 100_000_000 };

    pub fn check(&self, width: u32, height: u32) -> Result<()> {
        if width == 0 || height == 0 {
            return Err(Error::invalid_input(format!("image size {width}x{height} has no pixels")));
        }
        let pixels = width as u64 * height as u64;
        if pixels > self.max_pixels {
            return Err(Error::limit_exceeded(format!(
                "image of {width}x{height} ({}) is over the limit of {}; \
                 raise the pixel limit if this input is trusted",
                pixel_amount(pixels, u64::div_ceil),
                pixel_amount(self.max_pixels, |n, m| n / m)
            )));
        }
        Ok(())
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// An RGBA8 buffer of `width * height` pixels, or `limit_exceeded` when the allocator says no
/// (a 128 MiB edge worker must get an error, not a trap).
pub(crate) fn alloc_pixels(width: u32, height: u32) -> Result<Vec<u8>> {
    // Checked: on wasm32 a size the pixel limit lets through could still overflow usize.
    let len = (width as usize).checked_mul(height as usize).and_then(|n| n.checked_mul(4));
    let len = len.ok_or_else(|| out_of_memory(width, height))?;
    let mut pixels = Vec::new();
    pixels.try_reserve_exact(len).map_err(|_| out_of_memory(width, height))?;
    pixels.resize(len, 0);
    Ok(pixels)
}

fn out_of_memory(width: u32, height: u32) -> Error {
    Error::limit_exceeded(format!("not enough memory for a {width}x{height} RGBA image"))
}

#[cfg(test)]
mod tests {
    use super::any_translucent;

    #[test]
    fn translucency_is_found_in_any_block_and_the_tail() {
        let pixels = 4 * 1024 + 3; // one whole block and a ragged tail
        let opaque: Vec<u8> = (0..pixels).flat_map(|i| [i as u8, (i >> 8) as u8, 7, 255]).collect();
        assert!(!any_translucent(&opaque));
        assert!(!any_translucent(&[]));
        for at in [0, 1023, 1024, 4095, pixels - 1] {
            let mut pixels = opaque.clone();
            pixels[at * 4 + 3] = 254;
            assert!(any_translucent(&pixels), "alpha 254 at pixel {at}");
            pixels[at * 4 + 3] = 0;
            assert!(any_translucent(&pixels), "alpha 0 at pixel {at}");
        }
    }
}
