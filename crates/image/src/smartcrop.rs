//! Where `cover` cuts when asked to keep the interesting part: sharp's `position` strategies,
//! which are libvips' smartcrop. Both take the image already scaled to cover the box and
//! return the cut's top-left corner.
//!
//! - [`entropy`] trims the edges: in eight or so steps per axis, the slice (left or right, top
//!   or bottom) whose colours carry less information goes.
//! - [`attention`] shrinks the image to a 32×32 grid, scores each cell for edges (a Laplacian
//!   of luminance), skin tones and redness, blurs the scores by the cut's size and centres the
//!   cut on the best cell.
//!
//! Colour is premultiplied by alpha first, so what hides in transparent pixels counts for
//! nothing.

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions};

use crate::cie::{self, Grey};
use crate::composite::Gravity;
use crate::geometry;
use crate::Image;

/// The top-left corner of the `width`×`height` cut of `image` that keeps the most entropy.
pub(crate) fn entropy(image: &Image, width: u32, height: u32) -> (u32, u32) {
    let (mut left, mut top) = (0, 0);
    let (mut w, mut h) = (image.width, image.height);
    // Aim for eight steps on the axis that loses the most.
    let slice = (image.width - width).div_ceil(8).max((image.height - height).div_ceil(8));
    while w > width || h > height {
        let slice_w = (w - width).min(slice);
        let slice_h = (h - height).min(slice);
        if slice_w > 0 {
            let keep_right = bits(image, left, top, slice_w, h) < bits(image, left + w - slice_w, top, slice_w, h);
            w -= slice_w;
            if keep_right {
                left += slice_w;
            }
        }
        if slice_h > 0 {
            let keep_bottom = bits(image, left, top, w, slice_h) < bits(image, left, top + h - slice_h, w, slice_h);
            h -= slice_h;
            if keep_bottom {
                top += slice_h;
            }
        }
    }
    (left, top)
}

/// The Shannon entropy of a region's samples, every band's histogram counted as one
/// distribution (as libvips' `hist_entropy` counts a multi-band histogram).
fn bits(image: &Image, left: u32, top: u32, width: u32, height: u32) -> f64 {
    let bands = if image.has_alpha { 4 } else { 3 };
    let mut counts = [[0u64; 256]; 4];
    let stride = image.width as usize * 4;
    for y in top as usize..(top + height) as usize {
        let row = &image.pixels[y * stride + left as usize * 4..y * stride + (left + width) as usize * 4];
        for &[r, g, b, a] in row.as_chunks::<4>().0 {
            let [r, g, b] = premultiplied([r, g, b], a);
            counts[0][usize::from(r)] += 1;
            counts[1][usize::from(g)] += 1;
            counts[2][usize::from(b)] += 1;
            counts[3][usize::from(a)] += 1;
        }
    }
    let total = (u64::from(width) * u64::from(height) * bands) as f64;
    -counts[..bands as usize]
        .iter()
        .flatten()
        .filter(|&&count| count > 0)
        .map(|&count| {
            let p = count as f64 / total;
            p * p.log2()
        })
        .sum::<f64>()
}

fn premultiplied([r, g, b]: [u8; 3], a: u8) -> [u8; 3] {
    if a == 255 {
        return [r, g, b];
    }
    let scale = |v: u8| (u32::from(v) * u32::from(a) / 255) as u8;
    [scale(r), scale(g), scale(b)]
}

/// The side of the grid attention is scored on: the cut is placed to within 1/32 of the image.
const GRID: u32 = 32;

/// The top-left corner of the `width`×`height` cut of `image` centred on the most attention,
/// and that centre (before the cut is kept inside the image).
pub(crate) fn attention(image: &Image, width: u32, height: u32) -> ((u32, u32), (u32, u32)) {
    let (cols, rows) = (GRID.min(image.width), GRID.min(image.height));
    let Some(small) = shrunk(image, cols, rows) else {
        let (left, top) = Gravity::Centre.position((image.width, image.height), (width, height));
        return ((left as u32, top as u32), (image.width / 2, image.height / 2));
    };
    let (cols, rows) = (cols as usize, rows as usize);
    let srgb = Grey::shared().srgb();
    let mut luminance = Vec::with_capacity(cols * rows);
    let mut score = Vec::with_capacity(cols * rows);
    for &[r, g, b, a] in small.as_chunks::<4>().0 {
        let xyz = cie::xyz_from_linear(premultiplied([r, g, b], a).map(|c| srgb.linear(c)));
        luminance.push(xyz[1]);
        // Dark cells score nothing for colour. Elsewhere skin scores up to 100 by how close the
        // colour's direction in XYZ lies to skin's, and redness (a*) adds as it is.
        score.push(if xyz[1] > 5.0 {
            let magnitude = xyz.iter().map(|v| v * v).sum::<f32>().sqrt();
            let off_skin = xyz.iter().zip(SKIN).map(|(v, s)| (v / magnitude - s).powi(2)).sum::<f32>().sqrt();
            (100.0 - 100.0 * off_skin) + cie::lab_from_xyz(xyz)[1]
        } else {
            0.0
        });
    }
    // Edges: five times the magnitude of a 4-neighbour Laplacian of luminance, edges replicated.
    let y_at = |x: usize, y: usize| luminance[y * cols + x];
    for y in 0..rows {
        for x in 0..cols {
            let around = y_at(x, y.saturating_sub(1))
                + y_at(x, (y + 1).min(rows - 1))
                + y_at(x.saturating_sub(1), y)
                + y_at((x + 1).min(cols - 1), y);
            score[y * cols + x] += (5.0 * (4.0 * y_at(x, y) - around)).abs();
        }
    }
    // The blur spreads each cell's score over a tenth of the cut's diagonal, in cells.
    let (scale_x, scale_y) = (cols as f64 / f64::from(image.width), rows as f64 / f64::from(image.height));
    let sigma = ((f64::from(width) * scale_x).hypot(f64::from(height) * scale_y) / 10.0).max(1.0);
    let score: Vec<f64> = score.into_iter().map(f64::from).collect();
    let blurred = blur_grid(&score, cols, rows, sigma);
    let best = blurred.iter().enumerate().fold(0, |best, (i, &v)| if v > blurred[best] { i } else { best });
    // Back to image pixels (truncated), then the cut centred there and kept inside the image.
    let centre = |cell: usize, scale: f64| (cell as f64 / scale) as u32;
    let place = |centre: u32, cut: u32, whole: u32| {
        (i64::from(centre) - i64::from(cut / 2)).clamp(0, i64::from(whole - cut)) as u32
    };
    let focus = (centre(best % cols, scale_x), centre(best / cols, scale_y));
    ((place(focus.0, width, image.width), place(focus.1, height, image.height)), focus)
}

/// The direction of skin tones in XYZ, negated (smartcrop.js's skin colour, as libvips uses it).
const SKIN: [f32; 3] = [0.78, 0.57, 0.44];

/// `image` reduced to `cols`×`rows` as libvips' `resize` reduces: first a box average over
/// whole blocks while that leaves at least twice the size to go (the rows and columns the
/// blocks do not fill are dropped), then Lanczos3 for the rest. `None` if the resizer refuses.
fn shrunk(image: &Image, cols: u32, rows: u32) -> Option<Vec<u8>> {
    let block = |from: u32, to: u32| ((f64::from(from) / f64::from(to) / 2.0).floor() as u32).max(1);
    let (bx, by) = (block(image.width, cols), block(image.height, rows));
    let boxed;
    let source = if bx > 1 || by > 1 {
        boxed = box_average(image, bx, by);
        &boxed
    } else {
        image
    };
    let options =
        ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3)).use_alpha(image.has_alpha);
    geometry::resampled(source, (cols, rows), &options).ok()
}

/// The mean of every whole `bx`×`by` block, rounded half up.
fn box_average(image: &Image, bx: u32, by: u32) -> Image {
    let (width, height) = (image.width / bx, image.height / by);
    let stride = image.width as usize * 4;
    let count = bx * by;
    let mut pixels = Vec::with_capacity(width as usize * height as usize * 4);
    for y in 0..height as usize {
        for x in 0..width as usize {
            let mut sum = [0u32; 4];
            for row in y * by as usize..(y + 1) * by as usize {
                let start = row * stride + x * bx as usize * 4;
                for px in image.pixels[start..start + bx as usize * 4].as_chunks::<4>().0 {
                    for c in 0..4 {
                        sum[c] += u32::from(px[c]);
                    }
                }
            }
            pixels.extend(sum.map(|s| ((s + count / 2) / count) as u8));
        }
    }
    Image { width, height, pixels, has_alpha: image.has_alpha }
}

/// A Gaussian blur of a small grid: a sampled kernel cut where it falls below a fifth of its
/// peak (libvips' `gaussblur` default), edges replicated.
fn blur_grid(grid: &[f64], cols: usize, rows: usize, sigma: f64) -> Vec<f64> {
    let sigma = sigma.max(1e-3);
    let reach =
        (0..).take_while(|&x: &i64| (-((x * x) as f64) / (2.0 * sigma * sigma)).exp() >= 0.2).last().unwrap_or(0);
    let weights: Vec<f64> = (-reach..=reach).map(|x| (-((x * x) as f64) / (2.0 * sigma * sigma)).exp()).collect();
    let total: f64 = weights.iter().sum();
    let pass = |src: &[f64], along: usize, across: usize, at: &dyn Fn(usize, usize) -> usize| {
        let mut out = vec![0f64; src.len()];
        for j in 0..across {
            for i in 0..along {
                out[at(i, j)] = weights
                    .iter()
                    .zip(-reach..)
                    .map(|(wt, d)| wt * src[at((i as i64 + d).clamp(0, along as i64 - 1) as usize, j)])
                    .sum::<f64>()
                    / total;
            }
        }
        out
    };
    let across_rows = pass(grid, cols, rows, &|x, y| y * cols + x);
    pass(&across_rows, rows, cols, &|y, x| y * cols + x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 4]) -> Image {
        let pixel = &pixel;
        let pixels = (0..height).flat_map(|y| (0..width).flat_map(move |x| pixel(x, y))).collect();
        Image { width, height, pixels, has_alpha: false }
    }

    /// Noise on the right, flat grey on the left: both strategies keep the noise.
    #[test]
    fn both_strategies_keep_the_busy_side() {
        let busy = image(200, 50, |x, y| {
            if x < 100 {
                [128, 128, 128, 255]
            } else {
                let v = ((x * 7919 + y * 104_729) % 251) as u8;
                [v, v.wrapping_mul(3), v.wrapping_mul(7), 255]
            }
        });
        let (left, top) = entropy(&busy, 50, 50);
        assert!(left >= 100 && top == 0, "entropy cut at {left},{top}");
        let ((left, top), _) = attention(&busy, 50, 50);
        assert!(left >= 100, "attention cut at {left}");
        assert_eq!(top, 0);
    }

    /// A skin-toned patch in a flat field draws attention; tall and tiny images work too.
    #[test]
    fn attention_finds_a_face_sized_patch_and_survives_small_images() {
        let patch =
            image(60, 300, |_, y| if (220..260).contains(&y) { [224, 172, 140, 255] } else { [40, 60, 90, 255] });
        let ((_, top), _) = attention(&patch, 60, 60);
        assert!((195..=225).contains(&top), "the cut at {top} loses the patch (rows 220 to 259)");
        let tiny = image(3, 2, |x, _| [x as u8 * 100, 0, 0, 255]);
        assert!(attention(&tiny, 1, 1).0 .0 < 3);
        assert!(entropy(&tiny, 1, 1).0 < 3);
    }
}
