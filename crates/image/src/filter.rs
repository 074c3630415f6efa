//! Neighbourhood filters. Colour channels are filtered premultiplied by alpha when the image
//! has alpha, so transparent pixels never bleed their (meaningless) colour into visible ones.

use nearnative_core::Result;

use crate::Image;

/// A user-supplied 3×3 or 5×5 kernel, row-major. Each output is
/// `sum(weights · pixels) / scale + offset`, clamped to 0..=255; `scale` defaults to the sum of
/// the weights (or 1 when that sum is 0), as sharp's `convolve` does.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Kernel {
    pub size: u32,
    pub weights: Vec<f32>,
    pub scale: Option<f32>,
    pub offset: f32,
}

/// Gaussian blur of standard deviation `sigma` (> 0), in constant time per pixel whatever sigma.
pub fn gaussian_blur(image: &mut Image, sigma: f32) -> Result<()> {
    let _ = (image, sigma);
    Ok(())
}

/// Mean of the (2·radius+1)² neighbourhood, edges clamped.
pub fn box_blur(image: &mut Image, radius: u32) -> Result<()> {
    let _ = (image, radius);
    Ok(())
}

/// Unsharp mask: `pixel + amount · (pixel − gaussian(pixel, sigma))`.
pub fn sharpen(image: &mut Image, sigma: f32, amount: f32) -> Result<()> {
    let _ = (image, sigma, amount);
    Ok(())
}

pub fn convolve(image: &mut Image, kernel: &Kernel) -> Result<()> {
    let _ = (image, kernel);
    Ok(())
}

/// Sobel gradient magnitude of the luma, written as an opaque grey image.
pub fn sobel(image: &mut Image) -> Result<()> {
    let _ = image;
    Ok(())
}

/// Per-channel median of the 3×3 neighbourhood.
pub fn median3(image: &mut Image) -> Result<()> {
    let _ = image;
    Ok(())
}
