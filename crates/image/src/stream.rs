//! Band-streamed resize: a job whose first step shrinks the image reads the decoder's rows in
//! order and resizes them band by band, so no full-size RGBA8 image (nor fast_image_resize's
//! full-height intermediate, nor its premultiplied copy of the source) ever exists. Memory
//! follows the output size plus one band, and, for PNG, the decoder's single row. (`cover` by
//! a strategy resamples to the size that covers the box and cuts afterwards: memory follows
//! that size, checked against the pixel limit; a gravity's cut is resampled alone, through a
//! crop box.) A band holds at least the rows one output row's filter reaches: for a steep
//! shrink of a wide image (10000×10000 → 32 px) that is tens of MiB.
//!
//! Each band is an ordinary fast_image_resize call on the source rows that band's output rows
//! reach (their filter windows included), with a crop box placing the band where it lies in
//! the whole image. One band is exactly [`geometry::resize`]'s single call. With several, the
//! result may differ from it by a level or two on some samples: fast_image_resize chooses its
//! fixed-point precision per call from the largest weight it sees (the tests bound the
//! difference by PSNR). In-memory resizes stay one call, because every band recomputes the
//! horizontal coefficients (two `sin` per tap), which cost 35 % on the 4928×3279 → 852×567
//! benchmark when the in-memory path ran in bands too.

use fast_image_resize::{self as fir, CropBox, FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use nearnative_core::{Error, Result};

use crate::geometry::{internal, Filter, Resize, ResizePlan};
use crate::{alloc_pixels, Image, Limits};

/// Rows of an image, top to bottom, as RGBA8 (straight alpha).
pub trait RowSource {
    fn width(&self) -> u32;
    fn height(&self) -> u32;
    /// False when every alpha byte is 255 (the stored colour type has no alpha).
    fn has_alpha(&self) -> bool;
    /// Writes the next `out.len() / (width * 4)` rows into `out`.
    fn read_rows(&mut self, out: &mut [u8]) -> Result<()>;
}

/// Bytes of source rows a band aims for: a few MiB keeps the band small beside any photo's
/// full size, and large enough that re-reading the filter window's overlap costs little.
const BAND_BYTES: usize = 4 << 20;

/// The most a band holds to keep re-reading low; past it, a band re-reads more instead.
const BAND_CAP_BYTES: usize = 64 << 20;

/// Whether `spec` can run on a stream: a convolution filter (nearest-neighbour picks are left
/// to the whole-image path, where they are exact by construction).
pub fn streams(spec: &Resize) -> bool {
    spec.filter != Filter::Nearest
}

/// Resamples the rows of `source` to `plan.image`, without `contain`'s padding or `cover`'s
/// cut. The plan comes from the caller because the source may be a reduced decode of the image
/// the plan was made for (JPEG shrink-on-load): sizes follow the original.
pub fn resample_rows(source: &mut dyn RowSource, spec: &Resize, plan: &ResizePlan, limits: &Limits) -> Result<Image> {
    resample_rows_in_bands(source, spec, plan, limits, (BAND_BYTES, BAND_CAP_BYTES))
}

fn resample_rows_in_bands(
    source: &mut dyn RowSource,
    spec: &Resize,
    plan: &ResizePlan,
    limits: &Limits,
    (band_bytes, band_cap): (usize, usize),
) -> Result<Image> {
    let (width, height) = (source.width(), source.height());
    limits.check(width, height)?;
    limits.check(plan.output.0, plan.output.1)?;
    limits.check(plan.image.0, plan.image.1)?;
    let has_alpha = source.has_alpha();
    if plan.image == (width, height) && plan.cut.is_none() {
        // Nothing to resample: the rows are the image.
        let mut pixels = alloc_pixels(width, height)?;
        source.read_rows(&mut pixels)?;
        return Ok(Image { width, height, pixels, has_alpha });
    }
    let (iw, ih) = plan.image;
    let crop = match plan.cut {
        Some(cut) => {
            let (left, top, width, height) = cut.source_box((width, height));
            CropBox { left, top, width, height }
        }
        None => CropBox { left: 0.0, top: 0.0, width: f64::from(width), height: f64::from(height) },
    };
    let ResizeAlg::Convolution(filter) = spec.filter.algorithm() else {
        return Err(internal("a banded resize needs a convolution filter"));
    };
    let scale = crop.height / f64::from(ih);
    // fast_image_resize widens the kernel by the scale when shrinking (adaptive kernel size).
    let reach = support(filter) * scale.max(1.0) + 2.0;
    let row_bytes = width as usize * 4;
    // The new rows of a band: at least 16 reaches, so re-reading the overlap (a reach each
    // side) costs under an eighth more. When a steep shrink makes the reach huge (10000 -> 32
    // rows: 938 source rows each side), a band with its overlap stays under BAND_CAP_BYTES, or
    // holds one output row's window when even that is larger: re-reading more instead. That
    // costs little there, as each re-read row is resampled to a narrow output.
    let aim = (band_bytes / row_bytes) as f64;
    let aim = aim.max(16.0 * reach.ceil());
    let cap = (band_cap / row_bytes) as f64;
    let band_rows = if aim + 2.0 * reach <= cap { aim / scale } else { (cap - 2.0 * reach) / scale };
    let band_rows = (band_rows.floor().max(1.0) as u32).min(ih);

    let mut pixels = alloc_pixels(iw, ih)?;
    let mut band: Vec<u8> = Vec::new();
    // The largest band, reserved once: growing it later would copy it while the old one lives.
    let most_rows = (f64::from(band_rows) * scale + 2.0 * reach + 2.0).ceil().min(f64::from(height)) as u32;
    grow(&mut band, most_rows as usize * row_bytes, width, most_rows)?;
    band.clear();
    let mut band_first = 0u32; // source row held at the start of `band`
    let mut band_end = 0u32; // one past the last source row read so far
    let mut resizer = Resizer::new();
    let out_stride = iw as usize * 4;
    let mut first_out = 0u32;
    while first_out < ih {
        let end_out = (first_out + band_rows).min(ih);
        // The first and last bands end where the crop box does, not an ulp past it.
        let top = if first_out == 0 { crop.top } else { crop.top + f64::from(first_out) * scale };
        let bottom = if end_out == ih { crop.top + crop.height } else { crop.top + f64::from(end_out) * scale };
        let first_row = ((top - reach).floor().max(0.0) as u32).min(height - 1);
        let end_row = ((bottom + reach).ceil().min(f64::from(height)) as u32).max(first_row + 1);
        // One band is exactly the whole-image call: the crop box as computed, untouched.
        let band_top = top - f64::from(first_row);
        let band_height = if first_out == 0 && end_out == ih {
            crop.height
        } else {
            (bottom - top).min(f64::from(end_row - first_row) - band_top)
        };

        // Keep the rows this band shares with the last one, then read the new ones.
        let keep_from = first_row.max(band_first).min(band_end);
        let kept = (band_end - keep_from) as usize * row_bytes;
        let skip = (keep_from - band_first) as usize * row_bytes;
        band.copy_within(skip..skip + kept, 0);
        band.truncate(kept);
        if first_row > band_end {
            // Rows no band reaches (a cover crop's top, or a large shrink): read and drop.
            skip_rows(source, &mut band, band_end, first_row, row_bytes, band_bytes)?;
            band_end = first_row;
        }
        let fresh = (end_row - band_end) as usize * row_bytes;
        grow(&mut band, kept + fresh, width, end_row - first_row)?;
        source.read_rows(&mut band[kept..])?;
        band_first = first_row;
        band_end = end_row;

        let src = fir::images::ImageRef::new(width, end_row - first_row, &band, PixelType::U8x4)
            .map_err(|e| internal(format!("band source: {e}")))?;
        let out_rows = &mut pixels[first_out as usize * out_stride..end_out as usize * out_stride];
        let mut dst = fir::images::Image::from_slice_u8(iw, end_out - first_out, out_rows, PixelType::U8x4)
            .map_err(|e| internal(format!("band destination: {e}")))?;
        let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(filter)).use_alpha(has_alpha).crop(
            crop.left,
            band_top,
            crop.width,
            band_height,
        );
        resizer.resize(&src, &mut dst, &options).map_err(|e| internal(format!("band resize: {e}")))?;
        first_out = end_out;
    }
    Ok(Image { width: iw, height: ih, pixels, has_alpha })
}

/// Reads and discards source rows `from..to`, through `scratch` in band-sized pieces.
fn skip_rows(
    source: &mut dyn RowSource,
    scratch: &mut Vec<u8>,
    from: u32,
    to: u32,
    row_bytes: usize,
    band_bytes: usize,
) -> Result<()> {
    let held = scratch.len();
    let piece_rows = (band_bytes / row_bytes).max(1) as u32;
    let mut row = from;
    while row < to {
        let rows = piece_rows.min(to - row);
        grow(scratch, held + rows as usize * row_bytes, source.width(), rows)?;
        source.read_rows(&mut scratch[held..])?;
        scratch.truncate(held);
        row += rows;
    }
    Ok(())
}

fn grow(band: &mut Vec<u8>, len: usize, width: u32, rows: u32) -> Result<()> {
    if len > band.len() {
        band.try_reserve_exact(len - band.len())
            .map_err(|_| Error::limit_exceeded(format!("not enough memory for a {width}x{rows} band of rows")))?;
    }
    band.resize(len, 0);
    Ok(())
}

/// The filter's support radius at scale 1, as fast_image_resize defines it.
fn support(filter: FilterType) -> f64 {
    match filter {
        FilterType::Box => 0.5,
        FilterType::Bilinear | FilterType::Hamming => 1.0,
        FilterType::CatmullRom | FilterType::Mitchell => 2.0,
        FilterType::Gaussian | FilterType::Lanczos3 => 3.0,
        // Not used by `Filter`; a generous reach is still correct, only slower.
        _ => 8.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::composite::Gravity;
    use crate::geometry::{self, Fit, Position};

    /// An image already in memory, handed out row by row.
    struct VecRows<'a> {
        image: &'a Image,
        next: usize,
    }

    impl RowSource for VecRows<'_> {
        fn width(&self) -> u32 {
            self.image.width
        }
        fn height(&self) -> u32 {
            self.image.height
        }
        fn has_alpha(&self) -> bool {
            self.image.has_alpha
        }
        fn read_rows(&mut self, out: &mut [u8]) -> Result<()> {
            out.copy_from_slice(&self.image.pixels[self.next..self.next + out.len()]);
            self.next += out.len();
            Ok(())
        }
    }

    fn picture(width: u32, height: u32, alpha: bool) -> Image {
        let mut pixels = Vec::new();
        for y in 0..height {
            for x in 0..width {
                let grain = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 7;
                let a = if alpha { ((x * 7 + y * 3) % 256) as u8 } else { 255 };
                pixels.extend_from_slice(&[(x * 255 / width) as u8, (y * 255 / height) as u8, grain as u8, a]);
            }
        }
        Image { width, height, pixels, has_alpha: alpha }
    }

    /// `bands`: the bytes a band aims for, and its cap.
    fn streamed(image: &Image, spec: &Resize, bands: (usize, usize)) -> Image {
        let limits = Limits::DEFAULT;
        let plan = spec.plan(image.width, image.height).unwrap();
        let mut out = resample_rows_in_bands(&mut VecRows { image, next: 0 }, spec, &plan, &limits, bands).unwrap();
        geometry::finish_plan(&mut out, &plan, spec, &limits).unwrap();
        out
    }

    fn psnr(a: &[u8], b: &[u8]) -> f64 {
        let squared: f64 = a.iter().zip(b).map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2)).sum();
        let mse = squared / a.len() as f64;
        if mse == 0.0 {
            f64::INFINITY
        } else {
            10.0 * (255.0f64 * 255.0 / mse).log10()
        }
    }

    /// One band is the whole-image call, bit for bit; many bands stay within rounding of it.
    #[test]
    fn bands_match_the_whole_image_resize() {
        let filters = [Filter::Bilinear, Filter::Bicubic, Filter::Mitchell, Filter::Lanczos3];
        let boxes = [(Some(61), Some(23)), (None, Some(290)), (Some(300), Some(45))];
        let fits = [Fit::Cover, Fit::Contain, Fit::Fill, Fit::Inside, Fit::Outside];
        let mut worst = f64::INFINITY;
        for alpha in [false, true] {
            let image = picture(203, 331, alpha);
            for filter in filters {
                for (width, height) in boxes {
                    for fit in fits {
                        let spec = Resize { fit, filter, ..Resize::new(width, height) };
                        let mut whole = image.clone();
                        geometry::resize(&mut whole, &spec, &Limits::DEFAULT).unwrap();
                        let one_band = streamed(&image, &spec, (usize::MAX, usize::MAX));
                        assert!(one_band.pixels == whole.pixels, "{spec:?}: one band differs from the whole call");
                        // Small bands, and bands capped below a filter's reach (one output
                        // row each, as a steep shrink of a wide image gets).
                        for bands in [(1, usize::MAX), (40_000, usize::MAX), (40_000, 1)] {
                            let banded = streamed(&image, &spec, bands);
                            assert_eq!(
                                (banded.width, banded.height, banded.has_alpha),
                                (whole.width, whole.height, whole.has_alpha)
                            );
                            worst = worst.min(psnr(&banded.pixels, &whole.pixels));
                        }
                    }
                }
            }
        }
        assert!(worst > 48.0, "banding moved a result to {worst:.1} dB from the single call");
    }

    /// A gravity's cut is resampled through a crop box, a strategy's after the last band, and
    /// `contain` pads there: one band is the whole call bit for bit, whatever the position.
    #[test]
    fn positions_cut_after_the_bands() {
        let positions = [
            Position::Gravity(Gravity::SouthEast),
            Position::Gravity(Gravity::West),
            Position::Entropy,
            Position::Attention,
        ];
        for alpha in [false, true] {
            let image = picture(203, 331, alpha);
            for position in positions {
                for fit in [Fit::Cover, Fit::Contain] {
                    let spec = Resize { fit, position, ..Resize::new(Some(61), Some(23)) };
                    let mut whole = image.clone();
                    geometry::resize(&mut whole, &spec, &Limits::DEFAULT).unwrap();
                    assert_eq!((whole.width, whole.height), (61, 23));
                    assert!(streamed(&image, &spec, (usize::MAX, usize::MAX)).pixels == whole.pixels, "{spec:?}");
                    let banded = streamed(&image, &spec, (1, usize::MAX));
                    assert!(psnr(&banded.pixels, &whole.pixels) > 40.0, "{spec:?}: banded differs");
                }
            }
        }
    }

    #[test]
    fn a_cover_crop_skips_the_rows_no_band_reaches() {
        let image = picture(40, 900, false);
        let spec = Resize { fit: Fit::Cover, filter: Filter::Lanczos3, ..Resize::new(Some(40), Some(40)) };
        let mut whole = image.clone();
        geometry::resize(&mut whole, &spec, &Limits::DEFAULT).unwrap();
        assert!(psnr(&streamed(&image, &spec, (160, usize::MAX)).pixels, &whole.pixels) > 48.0);
    }

    #[test]
    fn nothing_to_resample_reads_the_rows_through() {
        let image = picture(20, 10, true);
        let spec = Resize { fit: Fit::Contain, ..Resize::new(Some(20), Some(14)) };
        let mut whole = image.clone();
        geometry::resize(&mut whole, &spec, &Limits::DEFAULT).unwrap();
        assert!(streamed(&image, &spec, (1, usize::MAX)).pixels == whole.pixels);
    }
}
