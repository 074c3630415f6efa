//! Filters, colour operations and compositing against independent references: direct
//! convolution, brute-force window sums and medians, hand-computed values and the published
//! formulas.

// The references index channels explicitly, like the formulas they transcribe.
#![allow(clippy::needless_range_loop)]

use nearnative_core::ErrorCode;
use nearnative_image::colour;
use nearnative_image::composite::{composite, Blend};
use nearnative_image::filter::{self, Kernel};
use nearnative_image::Image;

// ---------------------------------------------------------------------------------------------
// Helpers

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 32) as u32
    }
    fn byte(&mut self) -> u8 {
        (self.next() >> 24) as u8
    }
}

fn image(width: u32, height: u32, pixels: Vec<u8>, has_alpha: bool) -> Image {
    assert_eq!(pixels.len(), width as usize * height as usize * 4);
    Image { width, height, pixels, has_alpha }
}

/// Gradients plus noise plus hard-edged blocks: smooth areas, edges and texture. With
/// `alpha`, alpha is noisy too (including 0 and 255).
fn test_image(width: u32, height: u32, alpha: bool, seed: u64) -> Image {
    let mut rng = Rng(seed);
    let mut pixels = Vec::new();
    for y in 0..height {
        for x in 0..width {
            let noise = (rng.next() % 121) as i32 - 60;
            let block = if (x / 13 + y / 11) % 2 == 0 { 200 } else { 30 };
            pixels.push(((x * 255 / width) as i32 + noise).clamp(0, 255) as u8);
            pixels.push(((y * 255 / height) as i32 + noise / 2).clamp(0, 255) as u8);
            pixels.push(block);
            pixels.push(if alpha {
                match rng.next() % 8 {
                    0 => 0,
                    1 => 255,
                    _ => rng.byte(),
                }
            } else {
                255
            });
        }
    }
    image(width, height, pixels, alpha)
}

fn random_image(width: u32, height: u32, alpha: bool, seed: u64) -> Image {
    let mut rng = Rng(seed);
    let pixels = (0..width as usize * height as usize * 4)
        .map(|i| if !alpha && i % 4 == 3 { 255 } else { rng.byte() })
        .collect();
    image(width, height, pixels, alpha)
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    let se: f64 = a.iter().zip(b).map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2)).sum();
    if se == 0.0 {
        return f64::INFINITY;
    }
    10.0 * (255.0f64 * 255.0 / (se / a.len() as f64)).log10()
}

fn max_diff(a: &[u8], b: &[u8]) -> u8 {
    a.iter().zip(b).map(|(&x, &y)| x.abs_diff(y)).max().unwrap_or(0)
}

fn clamp_index(i: isize, n: usize) -> usize {
    i.clamp(0, n as isize - 1) as usize
}

/// Premultiplied RGBA in f64 (colour · alpha / 255), or RGBA as is when opaque.
fn premultiplied(img: &Image) -> Vec<f64> {
    img.pixels
        .chunks_exact(4)
        .flat_map(|p| {
            let a = f64::from(p[3]);
            [f64::from(p[0]) * a / 255.0, f64::from(p[1]) * a / 255.0, f64::from(p[2]) * a / 255.0, a]
        })
        .collect()
}

/// Straight RGBA8 from premultiplied f64 RGBA, rounded half up (alpha 0 gives transparent black).
fn unpremultiply(v: &[f64]) -> Vec<u8> {
    let round = |x: f64| (x + 0.5).floor().clamp(0.0, 255.0) as u8;
    v.chunks_exact(4)
        .flat_map(|p| {
            let a = round(p[3]);
            if a == 0 {
                [0; 4]
            } else {
                [round(p[0] * 255.0 / p[3]), round(p[1] * 255.0 / p[3]), round(p[2] * 255.0 / p[3]), a]
            }
        })
        .collect()
}

/// Direct separable convolution with the sampled Gaussian (truncated at 8 sigma, normalised),
/// edges clamped, in f64 on premultiplied values.
fn reference_gaussian(img: &Image, sigma: f64) -> Vec<u8> {
    let (w, h) = (img.width as usize, img.height as usize);
    let r = (8.0 * sigma).ceil() as isize;
    let mut k: Vec<f64> = (-r..=r).map(|i| (-((i * i) as f64) / (2.0 * sigma * sigma)).exp()).collect();
    let total: f64 = k.iter().sum();
    k.iter_mut().for_each(|v| *v /= total);
    let src = premultiplied(img);
    let mut tmp = vec![0.0; w * h * 4];
    for y in 0..h {
        for x in 0..w {
            for c in 0..4 {
                tmp[(y * w + x) * 4 + c] = k
                    .iter()
                    .enumerate()
                    .map(|(j, kv)| kv * src[(y * w + clamp_index(x as isize + j as isize - r, w)) * 4 + c])
                    .sum();
            }
        }
    }
    let mut out = vec![0.0; w * h * 4];
    for y in 0..h {
        for x in 0..w {
            for c in 0..4 {
                out[(y * w + x) * 4 + c] = k
                    .iter()
                    .enumerate()
                    .map(|(j, kv)| kv * tmp[(clamp_index(y as isize + j as isize - r, h) * w + x) * 4 + c])
                    .sum();
            }
        }
    }
    unpremultiply(&out)
}

fn assert_invalid(result: nearnative_core::Result<()>, words: &[&str]) {
    let err = result.expect_err("expected invalid_input");
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
    for word in words {
        assert!(err.message().contains(word), "message '{}' should mention '{word}'", err.message());
    }
}

/// Every filter, colour op and a composite on one image: must not panic, must keep the size.
fn run_everything(img: &Image) {
    let k3 =
        Kernel { size: 3, weights: vec![0.0, -1.0, 0.0, -1.0, 5.0, -1.0, 0.0, -1.0, 0.0], scale: None, offset: 0.0 };
    let k5 = Kernel { size: 5, weights: vec![1.0; 25], scale: None, offset: 3.0 };
    type Op = Box<dyn Fn(&mut Image)>;
    let ops: Vec<(&str, Op)> = vec![
        ("blur 0.3", Box::new(|i| filter::gaussian_blur(i, 0.3).unwrap())),
        ("blur 2", Box::new(|i| filter::gaussian_blur(i, 2.0).unwrap())),
        ("blur 1000", Box::new(|i| filter::gaussian_blur(i, 1000.0).unwrap())),
        ("box 1", Box::new(|i| filter::box_blur(i, 1).unwrap())),
        ("box 100", Box::new(|i| filter::box_blur(i, 100).unwrap())),
        ("sharpen", Box::new(|i| filter::sharpen(i, 1.5, 2.0).unwrap())),
        ("convolve 3", Box::new(move |i| filter::convolve(i, &k3).unwrap())),
        ("convolve 5", Box::new(move |i| filter::convolve(i, &k5).unwrap())),
        ("sobel", Box::new(|i| filter::sobel(i).unwrap())),
        ("median", Box::new(|i| filter::median3(i).unwrap())),
        ("median 4", Box::new(|i| filter::median(i, 4).unwrap())),
        ("median 9", Box::new(|i| filter::median(i, 9).unwrap())),
        ("grayscale", Box::new(colour::grayscale)),
        ("brightness", Box::new(|i| colour::brightness(i, 1.7).unwrap())),
        ("contrast", Box::new(|i| colour::contrast(i, 0.3).unwrap())),
        ("gamma", Box::new(|i| colour::gamma(i, 2.2).unwrap())),
        ("saturate", Box::new(|i| colour::saturate(i, 3.0).unwrap())),
        ("hue", Box::new(|i| colour::hue_rotate(i, -400.0).unwrap())),
        ("sepia", Box::new(colour::sepia)),
        ("invert", Box::new(|i| colour::invert(i, false))),
        ("invert alpha", Box::new(|i| colour::invert(i, true))),
        ("recomb", Box::new(|i| colour::recomb(i, &[[0.5, 0.5, 0.0], [0.0, 2.0, 0.0], [-1.0, 0.0, 1.0]]).unwrap())),
        ("extract channel", Box::new(|i| colour::extract_channel(i, 3).unwrap())),
        ("unflatten", Box::new(colour::unflatten)),
        ("threshold", Box::new(|i| colour::threshold(i, 100))),
        ("tint", Box::new(|i| colour::tint(i, [255, 128, 0]))),
        ("stats", Box::new(|i| drop(colour::stats(i)))),
        ("composite", Box::new(|i| composite(i, &test_image(3, 2, true, 9), -1, 1, Blend::Screen))),
    ];
    for (name, op) in ops {
        let mut out = img.clone();
        op(&mut out);
        assert_eq!(out.pixels.len(), img.pixels.len(), "{name} changed the buffer size");
        assert_eq!((out.width, out.height), (img.width, img.height), "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// Gaussian blur

#[test]
fn gaussian_matches_direct_convolution() {
    // The requirement is 40 dB; the recursive filter reaches about 70 dB, so 50 dB catches
    // regressions with room for rounding.
    for alpha in [false, true] {
        let img = test_image(97, 61, alpha, 7);
        for sigma in [0.5f32, 1.0, 3.0, 10.0] {
            let want = reference_gaussian(&img, f64::from(sigma));
            let mut got = img.clone();
            filter::gaussian_blur(&mut got, sigma).unwrap();
            let p = psnr(&got.pixels, &want);
            println!("gaussian alpha={alpha} sigma={sigma}: PSNR {p:.1} dB, max diff {}", max_diff(&got.pixels, &want));
            assert!(p >= 50.0, "alpha={alpha} sigma={sigma}: PSNR {p:.1} dB");
            assert!(max_diff(&got.pixels, &want) <= 4, "alpha={alpha} sigma={sigma}");
            assert_eq!(got.has_alpha, alpha);
        }
    }
}

#[test]
fn gaussian_large_sigma_matches_direct_convolution() {
    for alpha in [false, true] {
        let img = test_image(23, 17, alpha, 3);
        for sigma in [40.0f32, 300.0, 1000.0] {
            let want = reference_gaussian(&img, f64::from(sigma));
            let mut got = img.clone();
            filter::gaussian_blur(&mut got, sigma).unwrap();
            let p = psnr(&got.pixels, &want);
            assert!(p >= 50.0, "alpha={alpha} sigma={sigma}: PSNR {p:.1} dB");
        }
    }
}

#[test]
fn gaussian_keeps_flat_images_flat() {
    for sigma in [0.3f32, 1.0, 7.5, 100.0, 1000.0] {
        for v in [0u8, 1, 77, 128, 254, 255] {
            let mut img = image(40, 30, [v, 255 - v, v / 2, 255].repeat(1200), false);
            let before = img.clone();
            filter::gaussian_blur(&mut img, sigma).unwrap();
            assert_eq!(img, before, "sigma {sigma} value {v}");
            let mut img = image(30, 40, [v, 255 - v, v / 2, 100].repeat(1200), true);
            let before = img.clone();
            filter::gaussian_blur(&mut img, sigma).unwrap();
            assert!(max_diff(&img.pixels, &before.pixels) <= 1, "alpha, sigma {sigma} value {v}");
        }
    }
}

#[test]
fn gaussian_does_not_bleed_transparent_colour() {
    // Opaque red next to transparent green: the blurred colour stays red wherever visible.
    let mut px = Vec::new();
    for _y in 0..8 {
        for x in 0..16 {
            px.extend_from_slice(if x < 8 { &[255, 0, 0, 255] } else { &[0, 255, 0, 0] });
        }
    }
    let mut img = image(16, 8, px, true);
    filter::gaussian_blur(&mut img, 2.0).unwrap();
    for p in img.pixels.chunks_exact(4) {
        if p[3] > 0 {
            assert_eq!(&p[..3], &[255, 0, 0], "{p:?}");
        }
    }
}

#[test]
fn gaussian_rejects_bad_sigma() {
    let img = test_image(5, 5, false, 1);
    for sigma in [0.0, -1.0, f32::NAN, f32::INFINITY, 1000.5] {
        assert_invalid(filter::gaussian_blur(&mut img.clone(), sigma), &["sigma"]);
        assert_invalid(filter::sharpen(&mut img.clone(), sigma, 1.0), &["sigma"]);
    }
    for amount in [-0.1, f32::NAN, f32::INFINITY] {
        assert_invalid(filter::sharpen(&mut img.clone(), 1.0, amount), &["amount"]);
    }
}

/// Timing of the 12-megapixel blur, for humans: `cargo test --release -p nearnative-image
/// --test filters -- --ignored --nocapture`.
#[test]
#[ignore]
fn time_gaussian_12mp() {
    for alpha in [false, true] {
        let img = random_image(4000, 3000, alpha, 5);
        for sigma in [1.0f32, 10.0, 100.0] {
            let mut best = f64::MAX;
            for _ in 0..3 {
                let mut i = img.clone();
                let t = std::time::Instant::now();
                filter::gaussian_blur(&mut i, sigma).unwrap();
                best = best.min(t.elapsed().as_secs_f64());
            }
            println!("gaussian 4000x3000 alpha={alpha} sigma={sigma}: {:.1} ms", best * 1e3);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Box blur

/// Exact integer window sums; colour is Σ(c·a)/Σa with alpha.
fn reference_box(img: &Image, r: usize) -> Vec<u8> {
    let (w, h) = (img.width as usize, img.height as usize);
    let n = ((2 * r + 1) * (2 * r + 1)) as u64;
    let mut out = img.pixels.clone();
    for y in 0..h {
        for x in 0..w {
            let mut sums = [0u64; 4];
            for dy in -(r as isize)..=r as isize {
                for dx in -(r as isize)..=r as isize {
                    let sx = clamp_index(x as isize + dx, w);
                    let sy = clamp_index(y as isize + dy, h);
                    let p = &img.pixels[(sy * w + sx) * 4..][..4];
                    let a = if img.has_alpha { u64::from(p[3]) } else { 1 };
                    for c in 0..3 {
                        sums[c] += u64::from(p[c]) * a;
                    }
                    sums[3] += a;
                }
            }
            let o = &mut out[(y * w + x) * 4..][..4];
            if img.has_alpha {
                o[3] = ((2 * sums[3] + n) / (2 * n)) as u8;
                for c in 0..3 {
                    o[c] = if sums[3] == 0 { 0 } else { ((2 * sums[c] + sums[3]) / (2 * sums[3])) as u8 };
                }
            } else {
                for c in 0..3 {
                    o[c] = ((2 * sums[c] + n) / (2 * n)) as u8;
                }
            }
        }
    }
    out
}

#[test]
fn box_blur_is_the_exact_mean() {
    for alpha in [false, true] {
        for (w, h) in [(23, 17), (1, 9), (9, 1), (2, 3)] {
            let img = random_image(w, h, alpha, u64::from(w * 31 + h));
            for r in [1usize, 2, 7, 30] {
                let mut got = img.clone();
                filter::box_blur(&mut got, r as u32).unwrap();
                assert_eq!(got.pixels, reference_box(&img, r), "alpha={alpha} {w}x{h} r={r}");
            }
        }
    }
}

#[test]
fn box_blur_rounds_exact_halves_up() {
    // Middle pixel, radius 1: colour Σ(c·a)/Σa = (10·100 + 11·100 + 0·0)/200 = 10.5 → 11;
    // alpha 3·200/9 = 66.7 → 67.
    let img = image(3, 1, vec![10, 10, 10, 100, 11, 11, 11, 100, 0, 0, 0, 0], true);
    let mut got = img.clone();
    filter::box_blur(&mut got, 1).unwrap();
    assert_eq!(&got.pixels[4..8], &[11, 11, 11, 67]);
    assert_eq!(got.pixels, reference_box(&img, 1));
}

#[test]
fn box_blur_radius_limits() {
    let img = random_image(6, 4, true, 2);
    let mut same = img.clone();
    filter::box_blur(&mut same, 0).unwrap();
    assert_eq!(same, img);
    filter::box_blur(&mut img.clone(), filter::MAX_BOX_RADIUS).unwrap();
    assert_invalid(filter::box_blur(&mut img.clone(), filter::MAX_BOX_RADIUS + 1), &["radius"]);
}

// ---------------------------------------------------------------------------------------------
// Sharpen

#[test]
fn sharpen_is_an_unsharp_mask() {
    let img = test_image(41, 29, false, 11);
    let (sigma, amount) = (1.5f32, 0.8f32);
    let blurred = reference_gaussian(&img, f64::from(sigma));
    let mut got = img.clone();
    filter::sharpen(&mut got, sigma, amount).unwrap();
    for (i, (&g, (&o, &b))) in got.pixels.iter().zip(img.pixels.iter().zip(&blurred)).enumerate() {
        if i % 4 == 3 {
            assert_eq!(g, 255);
            continue;
        }
        let (o, b) = (f64::from(o), f64::from(b));
        let want = (o + f64::from(amount) * (o - b)).clamp(0.0, 255.0);
        // `b` is itself rounded, so allow for amount · 0.5 plus the final rounding.
        assert!((f64::from(g) - want).abs() <= 1.5, "index {i}: got {g}, want {want}");
    }

    let mut same = img.clone();
    filter::sharpen(&mut same, 2.0, 0.0).unwrap();
    assert_eq!(same, img);

    // Alpha is unchanged.
    let img = test_image(20, 10, true, 4);
    let mut got = img.clone();
    filter::sharpen(&mut got, 1.0, 1.0).unwrap();
    for (g, o) in got.pixels.chunks_exact(4).zip(img.pixels.chunks_exact(4)) {
        assert_eq!(g[3], o[3]);
    }
}

// ---------------------------------------------------------------------------------------------
// Convolve

#[test]
fn convolve_identity_leaves_the_image_unchanged() {
    for alpha in [false, true] {
        let img = random_image(13, 7, alpha, 21);
        let mut k3 = vec![0.0; 9];
        k3[4] = 1.0;
        let mut k5 = vec![0.0; 25];
        k5[12] = 3.0; // normalised by the default scale (the sum, 3)
        for (size, weights) in [(3, k3), (5, k5)] {
            let mut got = img.clone();
            filter::convolve(&mut got, &Kernel { size, weights, scale: None, offset: 0.0 }).unwrap();
            assert_eq!(got, img, "alpha={alpha} size={size}");
        }
    }
}

#[test]
fn convolve_matches_direct_sum() {
    let img = random_image(11, 9, false, 5);
    let weights = vec![1.0, 2.0, 1.0, 0.0, 0.0, 0.0, -1.0, -2.0, -1.0];
    let kernel = Kernel { size: 3, weights: weights.clone(), scale: None, offset: 128.0 };
    let mut got = img.clone();
    filter::convolve(&mut got, &kernel).unwrap();
    let (w, h) = (11usize, 9usize);
    for y in 0..h {
        for x in 0..w {
            for c in 0..3 {
                let mut sum = 0.0f64;
                for ky in 0..3 {
                    for kx in 0..3 {
                        let sx = clamp_index(x as isize + kx as isize - 1, w);
                        let sy = clamp_index(y as isize + ky as isize - 1, h);
                        sum += f64::from(weights[ky * 3 + kx]) * f64::from(img.pixels[(sy * w + sx) * 4 + c]);
                    }
                }
                // Sum of weights is 0, so scale is 1.
                let want = (sum + 128.0).round().clamp(0.0, 255.0);
                assert_eq!(f64::from(got.pixels[(y * w + x) * 4 + c]), want, "({x},{y}) channel {c}");
            }
            assert_eq!(got.pixels[(y * w + x) * 4 + 3], 255);
        }
    }

    // An explicit scale and a 5×5 mean.
    let kernel = Kernel { size: 5, weights: vec![2.0; 25], scale: Some(50.0), offset: 0.0 };
    let mut got = img.clone();
    filter::convolve(&mut got, &kernel).unwrap();
    let want = reference_box(&img, 2);
    assert!(max_diff(&got.pixels, &want) <= 1);
}

#[test]
fn convolve_keeps_alpha_and_premultiplies() {
    // A 1×3 row: transparent, half, opaque. Mean kernel: premultiplied sums, divided by the
    // pixel's own alpha.
    let img = image(3, 1, vec![0, 0, 0, 0, 200, 100, 0, 128, 50, 50, 50, 255], true);
    let mut got = img.clone();
    let kernel =
        Kernel { size: 3, weights: vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0], scale: None, offset: 0.0 };
    filter::convolve(&mut got, &kernel).unwrap();
    let alphas: Vec<u8> = got.pixels.chunks_exact(4).map(|p| p[3]).collect();
    assert_eq!(alphas, vec![0, 128, 255]);
    // Transparent pixel: colour bytes untouched.
    assert_eq!(&got.pixels[..4], &img.pixels[..4]);
    // Middle: (0 + 200·128/255 + 50)/3 premultiplied, / (128/255).
    let want = ((200.0 * 128.0 / 255.0 + 50.0) / 3.0 * 255.0 / 128.0_f64).round() as u8;
    assert_eq!(got.pixels[4], want);
}

#[test]
fn convolve_rejects_bad_kernels() {
    let img = random_image(4, 4, false, 1);
    let k = |size, n, scale| Kernel { size, weights: vec![1.0; n], scale, offset: 0.0 };
    assert_invalid(filter::convolve(&mut img.clone(), &k(4, 16, None)), &["size"]);
    assert_invalid(filter::convolve(&mut img.clone(), &k(3, 8, None)), &["9"]);
    assert_invalid(filter::convolve(&mut img.clone(), &k(5, 9, None)), &["25"]);
    assert_invalid(filter::convolve(&mut img.clone(), &k(3, 9, Some(0.0))), &["scale"]);
    assert_invalid(filter::convolve(&mut img.clone(), &k(3, 9, Some(f32::NAN))), &["scale"]);
    let mut bad = k(3, 9, None);
    bad.weights[3] = f32::INFINITY;
    assert_invalid(filter::convolve(&mut img.clone(), &bad), &["weights"]);
    let mut bad = k(3, 9, None);
    bad.offset = f32::NAN;
    assert_invalid(filter::convolve(&mut img.clone(), &bad), &["offset"]);
}

// ---------------------------------------------------------------------------------------------
// Sobel

fn grey(width: u32, height: u32, values: &[u8]) -> Image {
    image(width, height, values.iter().flat_map(|&v| [v, v, v, 255]).collect(), false)
}

#[test]
fn sobel_hand_computed() {
    // v(x, y) = 10x + 3y. Interior: gx = 4·(v(x+1) − v(x−1)) = 80, gy = 4·6 = 24,
    // |g| = sqrt(6400 + 576) = 83.5 → 84. Corner (0,0) with clamped edges: gx = 4·10 = 40,
    // gy = 4·3 = 12, |g| = 41.8 → 42. Edge (1,0): gx = 80, gy = 12 → 80.9 → 81.
    // Edge (0,1): gx = 40, gy = 24 → 46.6 → 47.
    let values: Vec<u8> = (0..3).flat_map(|y| (0..3).map(move |x| (10 * x + 3 * y) as u8)).collect();
    let mut img = grey(3, 3, &values);
    filter::sobel(&mut img).unwrap();
    let out: Vec<u8> = img.pixels.chunks_exact(4).map(|p| p[0]).collect();
    assert_eq!(out, vec![42, 81, 42, 47, 84, 47, 42, 81, 42]);
    assert!(img.pixels.chunks_exact(4).all(|p| p[0] == p[1] && p[1] == p[2] && p[3] == 255));
    assert!(!img.has_alpha);

    // A hard vertical edge saturates: gx = 4·255.
    let mut img = grey(4, 2, &[0, 0, 255, 255, 0, 0, 255, 255]);
    filter::sobel(&mut img).unwrap();
    let out: Vec<u8> = img.pixels.chunks_exact(4).map(|p| p[0]).collect();
    assert_eq!(out, vec![0, 255, 255, 0, 0, 255, 255, 0]);

    // Flat: zero. With alpha: transparent counts as black, output opaque.
    let mut img = image(2, 1, vec![100, 100, 100, 255, 100, 100, 100, 0], true);
    filter::sobel(&mut img).unwrap();
    // gx = 4·(0 − 100) at both pixels (clamped edges): 400 → 255.
    assert_eq!(img.pixels, vec![255, 255, 255, 255, 255, 255, 255, 255]);
    assert!(!img.has_alpha);
}

// ---------------------------------------------------------------------------------------------
// Median

fn reference_median(img: &Image) -> Vec<u8> {
    let (w, h) = (img.width as usize, img.height as usize);
    let mut out = img.pixels.clone();
    for y in 0..h {
        for x in 0..w {
            let mut win: Vec<[u32; 4]> = Vec::new();
            for dy in -1..=1 {
                for dx in -1..=1 {
                    let p =
                        &img.pixels[(clamp_index(y as isize + dy, h) * w + clamp_index(x as isize + dx, w)) * 4..][..4];
                    let a = u32::from(p[3]);
                    win.push(if img.has_alpha {
                        [u32::from(p[0]) * a, u32::from(p[1]) * a, u32::from(p[2]) * a, a]
                    } else {
                        [p[0], p[1], p[2], p[3]].map(u32::from)
                    });
                }
            }
            let med = |c: usize| {
                let mut v: Vec<u32> = win.iter().map(|p| p[c]).collect();
                v.sort_unstable();
                v[4]
            };
            let o = &mut out[(y * w + x) * 4..][..4];
            let a = med(3);
            o[3] = a as u8;
            for c in 0..3 {
                o[c] = if img.has_alpha {
                    (med(c) + a / 2).checked_div(a).map_or(0, |q| q.min(255) as u8)
                } else {
                    med(c) as u8
                };
            }
        }
    }
    out
}

#[test]
fn median_matches_brute_force() {
    for alpha in [false, true] {
        for (w, h) in [(17, 13), (1, 5), (5, 1), (2, 2), (1, 1)] {
            let img = random_image(w, h, alpha, u64::from(w * 7 + h));
            let mut got = img.clone();
            filter::median3(&mut got).unwrap();
            assert_eq!(got.pixels, reference_median(&img), "alpha={alpha} {w}x{h}");
        }
    }
    // Salt noise disappears.
    let mut values = vec![50u8; 25];
    values[12] = 255;
    let mut img = grey(5, 5, &values);
    filter::median3(&mut img).unwrap();
    assert!(img.pixels.chunks_exact(4).all(|p| p[0] == 50));
}

/// The `size`×`size` median by sorting each window, with libvips' window placement (left and
/// up of centre for even sizes) and rank `size²/2`; alpha images on `round(c·a/255)`.
fn reference_median_of_size(img: &Image, size: usize) -> Vec<u8> {
    let (w, h) = (img.width as usize, img.height as usize);
    let mut source = img.pixels.clone();
    if img.has_alpha {
        for px in source.chunks_exact_mut(4) {
            let a = u32::from(px[3]);
            for c in &mut px[..3] {
                *c = ((u32::from(*c) * a + 127) / 255) as u8;
            }
        }
    }
    let mut out = vec![0u8; w * h * 4];
    let mut window = Vec::with_capacity(size * size);
    for y in 0..h {
        for x in 0..w {
            for c in 0..4 {
                window.clear();
                for j in 0..size {
                    for i in 0..size {
                        let sy = clamp_index(y as isize + j as isize - (size / 2) as isize, h);
                        let sx = clamp_index(x as isize + i as isize - (size / 2) as isize, w);
                        window.push(source[(sy * w + sx) * 4 + c]);
                    }
                }
                window.sort_unstable();
                out[(y * w + x) * 4 + c] = window[size * size / 2];
            }
            if img.has_alpha {
                let px = &mut out[(y * w + x) * 4..(y * w + x) * 4 + 4];
                let a = u32::from(px[3]);
                for c in &mut px[..3] {
                    *c = (u32::from(*c) * 255 + a / 2).checked_div(a).map_or(0, |q| q.min(255) as u8);
                }
            }
        }
    }
    out
}

#[test]
fn median_of_any_size_matches_sorting_the_window() {
    for alpha in [false, true] {
        for (w, h) in [(23, 19), (1, 6), (6, 1), (2, 3), (1, 1)] {
            for size in [2, 4, 5, 6, 7, 12] {
                let img = random_image(w, h, alpha, u64::from(w * 31 + h * 7 + size));
                let mut got = img.clone();
                filter::median(&mut got, size).unwrap();
                assert_eq!(
                    got.pixels,
                    reference_median_of_size(&img, size as usize),
                    "alpha={alpha} {w}x{h} size {size}"
                );
            }
        }
    }
    // Size 3 is the 3x3 filter, size 1 changes nothing.
    let img = random_image(9, 7, true, 5);
    let (mut three, mut classic, mut one) = (img.clone(), img.clone(), img.clone());
    filter::median(&mut three, 3).unwrap();
    filter::median3(&mut classic).unwrap();
    filter::median(&mut one, 1).unwrap();
    assert_eq!(three, classic);
    assert_eq!(one, img);
    assert_invalid(filter::median(&mut img.clone(), 0), &["median size 0"]);
    assert_invalid(filter::median(&mut img.clone(), 1001), &["median size 1001"]);
}

// ---------------------------------------------------------------------------------------------
// Robustness

#[test]
fn tiny_images_never_panic() {
    for (w, h) in [(1, 1), (1, 7), (7, 1), (2, 2), (1, 2), (3, 1)] {
        for alpha in [false, true] {
            run_everything(&random_image(w, h, alpha, u64::from(w + 10 * h)));
        }
    }
    // A single opaque pixel is a fixed point of every blur.
    let img = image(1, 1, vec![12, 34, 56, 255], false);
    for sigma in [0.1f32, 1.0, 50.0, 1000.0] {
        let mut got = img.clone();
        filter::gaussian_blur(&mut got, sigma).unwrap();
        assert_eq!(got, img);
    }
    let mut got = img.clone();
    filter::box_blur(&mut got, 1000).unwrap();
    assert_eq!(got, img);
}

#[test]
fn inconsistent_buffers_are_errors_not_panics() {
    let bad = Image { width: 10, height: 10, pixels: vec![0; 12], has_alpha: true };
    assert_invalid(filter::gaussian_blur(&mut bad.clone(), 1.0), &["10x10"]);
    assert_invalid(filter::box_blur(&mut bad.clone(), 1), &["10x10"]);
    assert_invalid(filter::sharpen(&mut bad.clone(), 1.0, 1.0), &["10x10"]);
    assert_invalid(filter::sobel(&mut bad.clone()), &["10x10"]);
    assert_invalid(filter::median3(&mut bad.clone()), &["10x10"]);
    assert_invalid(filter::median(&mut bad.clone(), 5), &["10x10"]);
    assert_invalid(filter::median(&mut bad.clone(), 1), &["10x10"]);
    let k = Kernel { size: 3, weights: vec![1.0; 9], scale: None, offset: 0.0 };
    assert_invalid(filter::convolve(&mut bad.clone(), &k), &["10x10"]);
    // Colour ops and composite just work on what is there.
    let mut b = bad.clone();
    colour::grayscale(&mut b);
    colour::sepia(&mut b);
    drop(colour::stats(&b));
    composite(&mut b, &bad, 0, 0, Blend::Over);
    let mut base = random_image(4, 4, false, 1);
    let before = base.clone();
    composite(&mut base, &bad, 0, 0, Blend::Over);
    assert_eq!(base, before);
    // Empty images.
    let empty = Image { width: 0, height: 0, pixels: Vec::new(), has_alpha: false };
    run_everything(&empty);
}

// ---------------------------------------------------------------------------------------------
// Colour

fn each_pixel(before: &Image, after: &Image, f: impl Fn([u8; 4]) -> [u8; 4]) {
    for (i, (b, a)) in before.pixels.chunks_exact(4).zip(after.pixels.chunks_exact(4)).enumerate() {
        let want = f([b[0], b[1], b[2], b[3]]);
        assert_eq!(a, &want, "pixel {i}: {b:?}");
    }
}

fn round_half_up(v: f64) -> u8 {
    (v + 0.5).floor().clamp(0.0, 255.0) as u8
}

#[test]
fn per_channel_ops_match_formulas() {
    let img = random_image(64, 16, true, 99);
    let channel_op = |op: &dyn Fn(&mut Image), f: &dyn Fn(f64) -> f64| {
        let mut got = img.clone();
        op(&mut got);
        each_pixel(&img, &got, |p| {
            [round_half_up(f(p[0].into())), round_half_up(f(p[1].into())), round_half_up(f(p[2].into())), p[3]]
        });
    };
    channel_op(&|i| colour::brightness(i, 1.3).unwrap(), &|v| v * f64::from(1.3f32));
    channel_op(&|i| colour::brightness(i, 0.0).unwrap(), &|_| 0.0);
    channel_op(&|i| colour::contrast(i, 1.5).unwrap(), &|v| (v - 128.0) * 1.5 + 128.0);
    channel_op(&|i| colour::contrast(i, 0.0).unwrap(), &|_| 128.0);
    channel_op(&|i| colour::contrast(i, 1.0).unwrap(), &|v| v);
    channel_op(&|i| colour::gamma(i, 2.2).unwrap(), &|v| 255.0 * (v / 255.0).powf(1.0 / f64::from(2.2f32)));
    channel_op(&|i| colour::gamma(i, 0.5).unwrap(), &|v| 255.0 * (v / 255.0).powf(2.0));
    channel_op(&|i| colour::invert(i, false), &|v| 255.0 - v);
    channel_op(&|i| colour::linear(i, [1.3; 3], [0.0; 3]).unwrap(), &|v| v * f64::from(1.3f32));
    channel_op(&|i| colour::linear(i, [-1.0; 3], [255.0; 3]).unwrap(), &|v| 255.0 - v);
    channel_op(&|i| colour::linear(i, [0.5; 3], [-20.25; 3]).unwrap(), &|v| 0.5 * v - 20.25);
    // Per channel: each of red, green and blue has its own line; alpha is kept.
    let mut got = img.clone();
    colour::linear(&mut got, [1.5, 0.25, -2.0], [-10.0, 40.0, 300.0]).unwrap();
    each_pixel(&img, &got, |p| {
        [
            round_half_up(1.5 * f64::from(p[0]) - 10.0),
            round_half_up(0.25 * f64::from(p[1]) + 40.0),
            round_half_up(-2.0 * f64::from(p[2]) + 300.0),
            p[3],
        ]
    });
    // brightness and contrast are the two lines sharp users write with linear().
    for a in [0.0f32, 0.7, 1.0, 1.3, 2.5] {
        let (mut line, mut brightness) = (img.clone(), img.clone());
        colour::linear(&mut line, [a; 3], [0.0; 3]).unwrap();
        colour::brightness(&mut brightness, a).unwrap();
        assert_eq!(line.pixels, brightness.pixels, "brightness {a}");
        let (mut line, mut contrast) = (img.clone(), img.clone());
        colour::linear(&mut line, [a; 3], [128.0 * (1.0 - a); 3]).unwrap();
        colour::contrast(&mut contrast, a).unwrap();
        assert_eq!(line.pixels, contrast.pixels, "contrast {a}");
    }
    // Known values.
    let mut g = grey(3, 1, &[0, 64, 255]);
    colour::gamma(&mut g, 2.0).unwrap();
    assert_eq!(g.pixels, vec![0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255]);
}

/// The textbook sRGB transfer functions in f64, independent of the crate's libvips-shaped
/// tables.
fn srgb_decode(v: u8) -> f64 {
    let v = f64::from(v) / 255.0;
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

fn srgb_encode(y: f64) -> f64 {
    let y = y.clamp(0.0, 1.0);
    255.0 * if y <= 0.0031308 { 12.92 * y } else { 1.055 * y.powf(1.0 / 2.4) - 0.055 }
}

/// Grey as sharp defines it: Rec. 709 luminance of the linear values, encoded back to sRGB.
fn luminance_grey(p: [u8; 4]) -> f64 {
    srgb_encode(0.2126 * srgb_decode(p[0]) + 0.7152 * srgb_decode(p[1]) + 0.0722 * srgb_decode(p[2]))
}

/// Compares with a tolerance of one level only where the exact value is within 0.01 of a
/// rounding boundary (f32 vs f64).
fn close(got: u8, exact: f64) -> bool {
    let exact = exact.clamp(0.0, 255.0);
    let near_tie = ((exact - exact.floor()) - 0.5).abs() < 0.01;
    f64::from(got) == exact.round() || (near_tie && (f64::from(got) - exact).abs() <= 0.51)
}

#[test]
fn grey_ops_follow_linear_light_luminance_as_sharp() {
    let img = random_image(64, 32, true, 5);
    let mut g = img.clone();
    colour::grayscale(&mut g);
    let mut t = img.clone();
    colour::threshold(&mut t, 100);
    for i in 0..img.pixels.len() / 4 {
        let p: [u8; 4] = img.pixels[i * 4..][..4].try_into().unwrap();
        let y = luminance_grey(p);
        let gp = &g.pixels[i * 4..][..4];
        // libvips encodes by interpolating a table of rounded values: within one level of exact.
        assert!((f64::from(gp[0]) - y).abs() <= 1.0, "{p:?} → {gp:?}, exact {y}");
        assert!(gp[0] == gp[1] && gp[1] == gp[2] && gp[3] == p[3], "{p:?} → {gp:?}");
        let tp = &t.pixels[i * 4..][..4];
        let cut = |v: u8| if v >= 100 { 255 } else { 0 };
        assert_eq!(tp, &[cut(gp[0]), cut(gp[0]), cut(gp[0]), cut(p[3])], "{p:?}: alpha is thresholded too, as sharp");
    }
    // sharp 0.35's greyscale() of pure red, green, blue and mid grey.
    let mut g = image(4, 1, vec![255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 128, 128, 128, 255], false);
    colour::grayscale(&mut g);
    assert_eq!(g.pixels.chunks_exact(4).map(|p| p[0]).collect::<Vec<_>>(), vec![127, 220, 76, 128]);
}

#[test]
fn tint_keeps_lightness_and_takes_the_tint_hue_as_sharp() {
    // sharp 0.35's tint([255, 128, 10]) of pure red, green, blue and mid grey.
    let mut t = image(4, 1, vec![255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 128, 128, 128, 255], false);
    colour::tint(&mut t, [255, 128, 10]);
    let want = [[210, 92, 0], [255, 206, 162], [139, 44, 0], [211, 93, 0]];
    for (px, want) in t.pixels.chunks_exact(4).zip(want) {
        assert_eq!(&px[..3], &want, "tint");
    }
    // Black and white stay neutral; alpha is kept.
    let mut bw = image(2, 1, vec![0, 0, 0, 10, 255, 255, 255, 200], true);
    colour::tint(&mut bw, [0, 0, 255]);
    assert_eq!(bw.pixels, vec![0, 0, 0, 10, 255, 255, 255, 200]);
}

fn check_matrix(op: impl Fn(&mut Image), m: [[f64; 3]; 3]) {
    let img = random_image(64, 32, true, 77);
    let mut got = img.clone();
    op(&mut got);
    for (b, a) in img.pixels.chunks_exact(4).zip(got.pixels.chunks_exact(4)) {
        for c in 0..3 {
            let exact = m[c][0] * f64::from(b[0]) + m[c][1] * f64::from(b[1]) + m[c][2] * f64::from(b[2]);
            assert!(close(a[c], exact), "{b:?} → {a:?}, channel {c}: exact {exact}");
        }
        assert_eq!(a[3], b[3]);
    }
}

#[test]
fn matrix_ops_match_w3c_filter_effects() {
    // Filter Effects Module Level 1, feColorMatrix.
    for s in [0.0f64, 0.5, 1.0, 2.5] {
        let m = [
            [0.213 + 0.787 * s, 0.715 - 0.715 * s, 0.072 - 0.072 * s],
            [0.213 - 0.213 * s, 0.715 + 0.285 * s, 0.072 - 0.072 * s],
            [0.213 - 0.213 * s, 0.715 - 0.715 * s, 0.072 + 0.928 * s],
        ];
        check_matrix(|i| colour::saturate(i, s as f32).unwrap(), m);
    }
    for deg in [0.0f64, 45.0, 90.0, 180.0, -120.0, 725.0] {
        let (sn, cs) = deg.to_radians().sin_cos();
        let m = [
            [0.213 + cs * 0.787 - sn * 0.213, 0.715 - cs * 0.715 - sn * 0.715, 0.072 - cs * 0.072 + sn * 0.928],
            [0.213 - cs * 0.213 + sn * 0.143, 0.715 + cs * 0.285 + sn * 0.140, 0.072 - cs * 0.072 - sn * 0.283],
            [0.213 - cs * 0.213 - sn * 0.787, 0.715 - cs * 0.715 + sn * 0.715, 0.072 + cs * 0.928 + sn * 0.072],
        ];
        check_matrix(|i| colour::hue_rotate(i, deg as f32).unwrap(), m);
    }
    check_matrix(colour::sepia, [[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]]);
    // saturate(1) and hue_rotate(0) are the identity.
    let img = random_image(16, 16, false, 3);
    let mut same = img.clone();
    colour::saturate(&mut same, 1.0).unwrap();
    colour::hue_rotate(&mut same, 0.0).unwrap();
    colour::hue_rotate(&mut same, 360.0).unwrap();
    assert_eq!(same, img);
}

#[test]
fn colour_ops_reject_bad_parameters() {
    let img = random_image(3, 3, false, 1);
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.5] {
        assert_invalid(colour::brightness(&mut img.clone(), bad), &["brightness", ">= 0"]);
        assert_invalid(colour::contrast(&mut img.clone(), bad), &["contrast", ">= 0"]);
        assert_invalid(colour::saturate(&mut img.clone(), bad), &["saturation", ">= 0"]);
        assert_invalid(colour::gamma(&mut img.clone(), bad), &["gamma", "above 0"]);
    }
    assert_invalid(colour::gamma(&mut img.clone(), 0.0), &["gamma"]);
    for bad in [f32::NAN, f32::INFINITY] {
        assert_invalid(colour::hue_rotate(&mut img.clone(), bad), &["hue"]);
        assert_invalid(colour::linear(&mut img.clone(), [1.0, bad, 1.0], [0.0; 3]), &["linear", "finite"]);
        assert_invalid(colour::linear(&mut img.clone(), [1.0; 3], [0.0, 0.0, bad]), &["linear", "finite"]);
    }
}

#[test]
fn histogram_and_stats() {
    let img = image(2, 2, vec![0, 10, 20, 255, 2, 10, 40, 255, 4, 10, 60, 128, 6, 10, 80, 255], true);
    let h = colour::histogram(&img);
    assert_eq!(h[0][0] + h[0][2] + h[0][4] + h[0][6], 4);
    assert_eq!(h[1][10], 4);
    assert_eq!((h[3][255], h[3][128]), (3, 1));
    assert!(h.iter().all(|c| c.iter().sum::<u64>() == 4));

    let s = colour::stats(&img);
    assert_eq!(s.channels.len(), 4);
    assert!(!s.is_opaque);
    let r = &s.channels[0];
    assert_eq!((r.min, r.max, r.sum), (0, 6, 12));
    assert_eq!(r.mean, 3.0);
    assert!((r.stdev - (20.0f64 / 3.0).sqrt()).abs() < 1e-12); // values 0,2,4,6: sample variance 20/3
    assert_eq!(s.channels[1].stdev, 0.0);
    let a = &s.channels[3];
    assert_eq!((a.min, a.max, a.sum), (128, 255, 893));

    let opaque = random_image(37, 11, false, 8);
    let s = colour::stats(&opaque);
    assert_eq!(s.channels.len(), 3);
    assert!(s.is_opaque);
    for (c, st) in s.channels.iter().enumerate() {
        let v: Vec<f64> = opaque.pixels.chunks_exact(4).map(|p| f64::from(p[c])).collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
        assert!((st.mean - mean).abs() < 1e-9 && (st.stdev - var.sqrt()).abs() < 1e-9);
        assert_eq!(st.min as f64, v.iter().cloned().fold(f64::MAX, f64::min));
        assert_eq!(st.max as f64, v.iter().cloned().fold(0.0, f64::max));
    }
}

#[test]
fn srgb_transfer_functions() {
    assert!((colour::srgb_to_linear(0.5) - 0.214_041_14).abs() < 1e-7);
    assert!((colour::linear_to_srgb(0.214_041_14) - 0.5).abs() < 1e-6);
    assert_eq!(colour::srgb_to_linear(0.0), 0.0);
    assert_eq!(colour::srgb_to_linear(1.0), 1.0);
    assert_eq!(colour::linear_to_srgb(0.0), 0.0);
    assert_eq!(colour::linear_to_srgb(1.0), 1.0);
    // Linear segment and the junction.
    assert!((colour::srgb_to_linear(0.02) - 0.02 / 12.92).abs() < 1e-9);
    assert!((colour::srgb_to_linear(0.04045) - 0.003_130_8).abs() < 1e-6);
    assert!((colour::linear_to_srgb(0.001) - 0.012_92).abs() < 1e-9);
    assert!((colour::srgb_to_linear(0.2) - 0.033_104_766).abs() < 1e-7);
    // Round trips.
    for i in 0..=1000 {
        let v = i as f32 / 1000.0;
        assert!((colour::linear_to_srgb(colour::srgb_to_linear(v)) - v).abs() < 1e-5, "{v}");
        assert!((colour::srgb_to_linear(colour::linear_to_srgb(v)) - v).abs() < 1e-5, "{v}");
    }
    // Monotonic.
    let mut last = -1.0;
    for i in 0..=255 {
        let l = colour::srgb_to_linear(i as f32 / 255.0);
        assert!(l > last);
        last = l;
    }
}

// ---------------------------------------------------------------------------------------------
// Composite

/// One pixel of `src` on `base` as libvips' `vips_composite_base_blend` writes it, mode by
/// mode, in f64 (the crate computes the same in f32, through Porter-Duff coefficients).
fn libvips(base: [u8; 4], src: [u8; 4], blend: Blend) -> [u8; 4] {
    let n = |v: u8| f64::from(v) / 255.0;
    let (aa, ab) = (n(src[3]), n(base[3]));
    let a: [f64; 3] = std::array::from_fn(|c| n(src[c]) * aa);
    let mut b: [f64; 3] = std::array::from_fn(|c| n(base[c]) * ab);
    let each = |f: &dyn Fn(f64, f64) -> f64, b: [f64; 3]| -> [f64; 3] { std::array::from_fn(|c| f(a[c], b[c])) };
    let ar = match blend {
        Blend::Clear => {
            b = [0.0; 3];
            0.0
        }
        Blend::Source => {
            b = a;
            aa
        }
        Blend::Over => {
            b = each(&|a, b| a + (1.0 - aa) * b, b);
            aa + ab * (1.0 - aa)
        }
        Blend::In => {
            b = each(&|a, _| a * ab, b);
            aa * ab
        }
        Blend::Out => {
            b = each(&|a, _| a * (1.0 - ab), b);
            aa * (1.0 - ab)
        }
        Blend::Atop => {
            b = each(&|a, b| a + (1.0 - aa) * b, b);
            ab
        }
        Blend::Dest => ab,
        Blend::DestOver => {
            b = each(&|a, b| b + (1.0 - ab) * a, b);
            ab + aa * (1.0 - ab)
        }
        Blend::DestIn => {
            b = each(&|_, b| b * aa, b);
            aa * ab
        }
        Blend::DestOut => {
            b = each(&|_, b| b * (1.0 - aa), b);
            (1.0 - aa) * ab
        }
        Blend::DestAtop => {
            b = each(&|a, b| (1.0 - ab) * a + b, b);
            aa
        }
        Blend::Xor => {
            b = each(&|a, b| (1.0 - ab) * a + (1.0 - aa) * b, b);
            aa + ab - 2.0 * aa * ab
        }
        Blend::Add => {
            b = each(&|a, b| a + b, b);
            (aa + ab).min(1.0)
        }
        Blend::Saturate => {
            b = each(&|a, b| aa.min(1.0 - ab) * a + b, b);
            (aa + ab).min(1.0)
        }
        pdf => {
            let f = each(
                &|a, b| match pdf {
                    Blend::Multiply => a * b,
                    Blend::Screen => a + b - a * b,
                    Blend::Overlay if b <= 0.5 => 2.0 * a * b,
                    Blend::Overlay => 1.0 - 2.0 * (1.0 - a) * (1.0 - b),
                    Blend::Darken => a.min(b),
                    Blend::Lighten => a.max(b),
                    Blend::ColourDodge if a < 1.0 => (b / (1.0 - a)).min(1.0),
                    Blend::ColourDodge => 1.0,
                    Blend::ColourBurn if a > 0.0 => 1.0 - ((1.0 - b) / a).min(1.0),
                    Blend::ColourBurn => 0.0,
                    Blend::HardLight if a <= 0.5 => 2.0 * a * b,
                    Blend::HardLight => 1.0 - 2.0 * (1.0 - a) * (1.0 - b),
                    Blend::SoftLight if a <= 0.5 => b - (1.0 - 2.0 * a) * b * (1.0 - b),
                    Blend::SoftLight => {
                        let g = if b <= 0.25 { ((16.0 * b - 12.0) * b + 4.0) * b } else { b.sqrt() };
                        b + (2.0 * a - 1.0) * (g - b)
                    }
                    Blend::Difference => (b - a).abs(),
                    Blend::Exclusion => a + b - 2.0 * a * b,
                    other => unreachable!("{other:?} is a Porter-Duff mode"),
                },
                b,
            );
            b = std::array::from_fn(|c| (1.0 - ab) * a[c] + (1.0 - aa) * b[c] + aa * ab * f[c]);
            aa + ab * (1.0 - aa)
        }
    };
    let byte = |v: f64| (v * 255.0).clamp(0.0, 255.0).round() as u8;
    if byte(ar) == 0 {
        return [0; 4];
    }
    [byte(b[0] / ar), byte(b[1] / ar), byte(b[2] / ar), byte(ar)]
}

#[test]
fn composite_gives_sharps_pixels_for_every_blend() {
    // sharp 0.35.5 (libvips 8.18.7): `sharp(base).composite([{ input: over, blend }]).raw()` of
    // one pixel, first base [200, 100, 50, 128] under [100, 200, 250, 200], then a bright opaque
    // base [230, 180, 90, 255] under [200, 220, 40, 230] (the other branch of overlay, hard and
    // soft light). libvips truncates where we round, so sharp's bytes may be one lower.
    let translucent = [
        (Blend::Clear, [0, 0, 0, 0]),
        (Blend::Source, [100, 200, 250, 200]),
        (Blend::Over, [112, 187, 225, 227]),
        (Blend::In, [100, 200, 250, 100]),
        (Blend::Out, [100, 200, 250, 99]),
        (Blend::Atop, [199, 255, 255, 128]),
        (Blend::Dest, [200, 100, 50, 128]),
        (Blend::DestOver, [156, 143, 137, 227]),
        (Blend::DestIn, [199, 99, 49, 100]),
        (Blend::DestOut, [200, 100, 50, 27]),
        (Blend::DestAtop, [177, 163, 156, 200]),
        (Blend::Xor, [121, 178, 206, 127]),
        (Blend::Add, [178, 207, 221, 255]),
        (Blend::Saturate, [139, 128, 122, 255]),
        (Blend::Multiply, [81, 113, 123, 227]),
        (Blend::Screen, [133, 177, 204, 227]),
        (Blend::Overlay, [95, 126, 132, 227]),
        (Blend::Darken, [102, 121, 126, 227]),
        (Blend::Lighten, [112, 168, 201, 227]),
        (Blend::ColourDodge, [131, 157, 163, 227]),
        (Blend::ColourBurn, [68, 99, 115, 227]),
        (Blend::HardLight, [95, 142, 181, 227]),
        (Blend::SoftLight, [101, 128, 138, 227]),
        (Blend::Difference, [77, 146, 190, 227]),
        (Blend::Exclusion, [119, 163, 196, 227]),
    ];
    let bright = [
        (Blend::Clear, [0, 0, 0, 0]),
        (Blend::Source, [200, 220, 40, 230]),
        (Blend::Over, [202, 216, 44, 255]),
        (Blend::In, [200, 220, 40, 230]),
        (Blend::Out, [0, 0, 0, 0]),
        (Blend::Atop, [202, 216, 44, 255]),
        (Blend::Dest, [230, 180, 90, 255]),
        (Blend::DestOver, [230, 180, 90, 255]),
        (Blend::DestIn, [230, 180, 90, 230]),
        (Blend::DestOut, [230, 180, 90, 24]),
        (Blend::DestAtop, [255, 199, 99, 230]),
        (Blend::Xor, [229, 179, 89, 25]),
        (Blend::Add, [255, 255, 126, 255]),
        (Blend::Saturate, [230, 180, 90, 255]),
        (Blend::Multiply, [169, 143, 20, 255]),
        (Blend::Screen, [245, 232, 111, 255]),
        (Blend::Overlay, [239, 217, 31, 255]),
        (Blend::Darken, [185, 180, 41, 255]),
        (Blend::Lighten, [230, 196, 90, 255]),
        (Blend::ColourDodge, [252, 247, 103, 255]),
        (Blend::ColourBurn, [220, 160, 8, 255]),
        (Blend::HardLight, [239, 217, 31, 255]),
        (Blend::SoftLight, [234, 197, 52, 255]),
        (Blend::Difference, [67, 34, 57, 255]),
        (Blend::Exclusion, [99, 106, 99, 255]),
    ];
    for ((base_px, src_px), table) in [
        (([200, 100, 50, 128], [100, 200, 250, 200]), translucent),
        (([230, 180, 90, 255], [200, 220, 40, 230]), bright),
    ] {
        assert_eq!(table.map(|(blend, _)| blend), Blend::ALL);
        for (blend, want) in table {
            let mut base = image(1, 1, base_px.to_vec(), true);
            composite(&mut base, &image(1, 1, src_px.to_vec(), true), 0, 0, blend);
            for got in [libvips(base_px, src_px, blend), base.pixels.try_into().unwrap()] {
                let close = (0..4).all(|c| got[c].abs_diff(want[c]) <= 1);
                assert!(close, "{blend:?} of {src_px:?} on {base_px:?}: {got:?}, sharp {want:?}");
            }
        }
    }
}

#[test]
fn composite_matches_libvips_for_every_blend() {
    for blend in Blend::ALL {
        for (base_alpha, src_alpha) in [(false, true), (true, true), (true, false), (false, false)] {
            let base = random_image(19, 13, base_alpha, 1);
            let mut overlay = random_image(7, 5, src_alpha, 2);
            if src_alpha {
                overlay.pixels[3] = 0; // a transparent overlay pixel, whatever the random bytes
            }
            let mut got = base.clone();
            composite(&mut got, &overlay, 3, 4, blend);
            for y in 0..13usize {
                for x in 0..19usize {
                    let i = (y * 19 + x) * 4;
                    let b: [u8; 4] = base.pixels[i..i + 4].try_into().unwrap();
                    let inside = (3..10).contains(&x) && (4..9).contains(&y);
                    let s: [u8; 4] = if inside {
                        let o = ((y - 4) * 7 + (x - 3)) * 4;
                        overlay.pixels[o..o + 4].try_into().unwrap()
                    } else {
                        [0; 4] // libvips blends the whole base, with transparency outside
                    };
                    let want = libvips(b, s, blend);
                    let g = &got.pixels[i..i + 4];
                    let close = if want[3] == 0 { g[3] == 0 } else { (0..4).all(|c| g[c].abs_diff(want[c]) <= 1) };
                    assert!(close, "{blend:?} ({x},{y}): {s:?} on {b:?} → {g:?}, want {want:?}");
                }
            }
            let translucent = got.pixels.chunks_exact(4).any(|p| p[3] < 255);
            assert_eq!(got.has_alpha, base_alpha || translucent, "{blend:?}");
        }
    }
}

#[test]
fn blends_that_clear_clear_the_whole_base_when_the_overlay_misses_it() {
    let base = random_image(6, 4, false, 5);
    let overlay = image(2, 2, [9, 8, 7, 255].repeat(4), false);
    let empty = image(0, 3, Vec::new(), false);
    for blend in Blend::ALL {
        let mut got = empty.clone();
        composite(&mut got, &overlay, 0, 0, blend);
        assert_eq!(got, empty, "{blend:?} on a 0x3 base");
        for (left, top) in [(100, -100), (6, 0), (-2, 0), (0, 4), (i64::MAX, i64::MIN), (i64::MIN, 0)] {
            let mut got = base.clone();
            composite(&mut got, &overlay, left, top, blend);
            if blend.clears_under_transparent() {
                assert!(got.pixels.iter().all(|&v| v == 0) && got.has_alpha, "{blend:?} at ({left},{top})");
            } else {
                assert_eq!(got, base, "{blend:?} at ({left},{top})");
            }
        }
    }
}

#[test]
fn remove_and_ensure_alpha() {
    let img = random_image(16, 8, true, 4);
    let mut dropped = img.clone();
    colour::remove_alpha(&mut dropped);
    assert!(!dropped.has_alpha);
    each_pixel(&img, &dropped, |p| [p[0], p[1], p[2], 255]);
    // Alpha where there was none, of the given value; an image with alpha keeps its own.
    let mut added = dropped.clone();
    colour::ensure_alpha(&mut added, 128);
    assert!(added.has_alpha);
    each_pixel(&img, &added, |p| [p[0], p[1], p[2], 128]);
    let mut kept = img.clone();
    colour::ensure_alpha(&mut kept, 7);
    assert_eq!(kept.pixels, img.pixels);
}

#[test]
fn gravity_places_like_sharp() {
    use nearnative_image::composite::Gravity;
    // A 3×2 overlay on a 10×7 base: 7 and 5 pixels to spare; centring puts the odd one before
    // the overlay (sharp's `(spare + 1) / 2`; tests/npm compares every gravity with sharp).
    let cases = [
        ("centre", (4, 3)),
        ("north", (4, 0)),
        ("northeast", (7, 0)),
        ("east", (7, 3)),
        ("southeast", (7, 5)),
        ("south", (4, 5)),
        ("southwest", (0, 5)),
        ("west", (0, 3)),
        ("northwest", (0, 0)),
    ];
    // By the names the job JSON (and so the npm package) spells them.
    let parse = |name: &str| serde_json::from_value::<Gravity>(serde_json::Value::from(name));
    for (name, want) in cases {
        let gravity = parse(name).unwrap();
        assert_eq!(gravity.position((10, 7), (3, 2)), want, "{name}");
    }
    assert_eq!(parse("center").unwrap(), Gravity::Centre);
    assert!(parse("attention").is_err());
    // An overlay larger than the base overhangs it, C's division rounding towards zero:
    // (4 − 7 + 1) / 2 = −1, (4 − 5 + 1) / 2 = 0.
    assert_eq!(Gravity::Centre.position((4, 4), (7, 5)), (-1, 0));
    assert_eq!(Gravity::SouthEast.position((4, 4), (7, 5)), (-3, -1));
}

#[test]
fn tiles_are_laid_out_as_sharp_lays_them() {
    use nearnative_image::composite::{tiled, Gravity};
    // An overlay whose pixels say where they are in it.
    let tile =
        |w: u32, h: u32| image(w, h, (0..w * h).flat_map(|i| [(i % w) as u8, (i / w) as u8, 0, 255]).collect(), false);
    // Every canvas pixel is the tile's pixel at (x + left, y + top), wrapped.
    let check = |(w, h): (u32, u32), (tw, th): (u32, u32), gravity, offset, (left, top): (u32, u32)| {
        let canvas = tiled(&tile(tw, th), (w, h), gravity, offset).unwrap();
        assert_eq!((canvas.width, canvas.height), (w, h));
        for (i, p) in canvas.pixels.chunks_exact(4).enumerate() {
            let (x, y) = (i as u32 % w, i as u32 / w);
            let want = [((x + left) % tw) as u8, ((y + top) % th) as u8, 0, 255];
            assert_eq!(p, want, "{tw}x{th} tiles on {w}x{h}, {gravity:?} {offset:?}, at ({x},{y})");
        }
    };
    // 4x3 tiles over 10x7: ceil(10 / 4) = 3 across and ceil(7 / 3) = 3 down (already odd),
    // 12x9 in all, 2 spare each way; sharp's CalculateCrop centres with (2 + 1) / 2.
    check((10, 7), (4, 3), Gravity::Centre, None, (1, 1));
    check((10, 7), (4, 3), Gravity::NorthWest, None, (0, 0));
    check((10, 7), (4, 3), Gravity::SouthEast, None, (2, 2));
    check((10, 7), (4, 3), Gravity::Centre, Some((1, 0)), (1, 0));
    check((10, 7), (4, 3), Gravity::Centre, Some((5, 9)), (2, 2)); // only as far as the tiles reach
                                                                   // An axis the gravity centres gets an odd number of tiles, so one sits in the middle:
                                                                   // over 8x4, 2x2 tiles would do, but centre makes them 3x3 (12x9, cut at 2 and 3); west
                                                                   // makes only the rows odd, north only the columns.
    check((8, 4), (4, 3), Gravity::Centre, None, (2, 3));
    check((8, 4), (4, 3), Gravity::West, None, (0, 3));
    check((8, 4), (4, 3), Gravity::North, None, (2, 0));
    // The gravity still counts the tiles when an offset cuts them: north-west needs 6x5 over
    // 24x15 with nothing spare, where centre's 7x5 leaves 4 columns for the offset.
    check((24, 15), (4, 3), Gravity::NorthWest, Some((3, 2)), (0, 0));
    check((24, 15), (4, 3), Gravity::Centre, Some((3, 2)), (3, 0));
    // Tiles far smaller than the canvas (rows built by doubling), and one larger than it.
    check((301, 203), (1, 1), Gravity::Centre, None, (0, 0));
    check((301, 203), (3, 2), Gravity::East, None, (2, 0));
    check((5, 4), (9, 7), Gravity::Centre, None, (2, 2));
    // Negative offsets have no tile to start from (sharp fails there too); no canvas, no tiles.
    for (size, offset) in [((10, 7), Some((-1, 0))), ((0, 7), None)] {
        let err = tiled(&tile(4, 3), size, Gravity::Centre, offset).unwrap_err();
        assert_eq!(err.code(), nearnative_core::ErrorCode::InvalidInput);
    }
}

#[test]
fn composite_clips_any_offset() {
    let base = random_image(10, 8, false, 3);
    let overlay = image(4, 3, [9, 8, 7, 255].repeat(12), false);
    for (left, top) in [
        (i64::MIN, 0),
        (i64::MAX, 0),
        (0, i64::MIN),
        (0, i64::MAX),
        (i64::MIN, i64::MIN),
        (i64::MAX, i64::MAX),
        (-4, 0),
        (10, 0),
        (0, 8),
        (0, -3),
    ] {
        let mut got = base.clone();
        composite(&mut got, &overlay, left, top, Blend::Over);
        assert_eq!(got, base, "({left},{top}) is outside");
    }
    for (left, top) in [(-3i64, -2i64), (8, 6), (-1, 5), (3, 2)] {
        let mut got = base.clone();
        composite(&mut got, &overlay, left, top, Blend::Over);
        for y in 0..8i64 {
            for x in 0..10i64 {
                let i = ((y * 10 + x) * 4) as usize;
                let inside = (left..left + 4).contains(&x) && (top..top + 3).contains(&y);
                let want: &[u8] = if inside { &[9, 8, 7, 255] } else { &base.pixels[i..i + 4] };
                assert_eq!(&got.pixels[i..i + 4], want, "({left},{top}) at ({x},{y})");
            }
        }
    }
    // Overlay bigger than base.
    let mut got = base.clone();
    composite(&mut got, &image(30, 30, [1, 2, 3, 255].repeat(900), false), -5, -5, Blend::Over);
    assert!(got.pixels.chunks_exact(4).all(|p| p == [1, 2, 3, 255]));
}

#[test]
fn composite_alpha_flag() {
    // Transparent overlay: base unchanged, flag unchanged.
    let base = random_image(5, 5, true, 4);
    let mut got = base.clone();
    composite(&mut got, &image(5, 5, [10, 20, 30, 0].repeat(25), true), 0, 0, Blend::Multiply);
    assert_eq!(got, base);

    // Opaque base under a translucent overlay stays opaque.
    let base = random_image(5, 5, false, 4);
    let mut got = base.clone();
    composite(&mut got, &image(5, 5, [10, 20, 30, 77].repeat(25), true), 0, 0, Blend::Screen);
    assert!(!got.has_alpha);

    // A base flagged as having alpha, but fully opaque, keeps its flag.
    let mut base = random_image(3, 3, false, 4);
    base.has_alpha = true;
    composite(&mut base, &image(1, 1, vec![1, 2, 3, 255], false), 1, 1, Blend::Over);
    assert!(base.has_alpha);
}

#[test]
fn modulate_works_in_lch_as_sharp() {
    // sharp 0.35's modulate of pure red, green, blue and mid grey.
    let src = vec![255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 128, 128, 128, 255];
    for ((b, s, h, l), want) in [
        ((1.0, 1.0, 90.0, 0.0), [[0, 151, 0], [0, 255, 255], [214, 0, 0], [128, 128, 128]]),
        ((1.2, 0.5, 0.0, 0.0), [[234, 124, 97], [210, 255, 186], [102, 70, 180], [156, 156, 156]]),
        ((1.0, 1.0, 0.0, 10.0), [[255, 61, 33], [79, 255, 59], [80, 42, 255], [154, 154, 154]]),
    ] {
        let mut m = image(4, 1, src.clone(), false);
        colour::modulate(&mut m, b, s, h, l).unwrap();
        for (px, want) in m.pixels.chunks_exact(4).zip(want) {
            for (got, want) in px[..3].iter().zip(want) {
                assert!(got.abs_diff(want) <= 1, "modulate({b}, {s}, {h}, {l}): {px:?} vs {want:?}");
            }
        }
    }
    // The identity keeps every colour within a level; alpha is kept; bad factors are refused.
    let img = random_image(32, 16, true, 9);
    let mut same = img.clone();
    colour::modulate(&mut same, 1.0, 1.0, 0.0, 0.0).unwrap();
    for (a, b) in img.pixels.chunks_exact(4).zip(same.pixels.chunks_exact(4)) {
        assert!(a.iter().zip(b).all(|(x, y)| x.abs_diff(*y) <= 1) && a[3] == b[3], "{a:?} -> {b:?}");
    }
    for (b, s, h, l) in [(-1.0, 1.0, 0.0, 0.0), (1.0, f32::NAN, 0.0, 0.0), (1.0, 1.0, f32::INFINITY, 0.0)] {
        let err = colour::modulate(&mut same, b, s, h, l).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
    }
}

#[test]
fn normalise_stretches_lightness_between_percentiles_as_sharp() {
    let src: Vec<u8> = (0..16u8).flat_map(|i| [90 + i * 4, 100 + i * 3, 120 - i, 255]).collect();
    // sharp 0.35's normalise() of this ramp, with its default and two other ranges.
    let cases: [((u8, u8), [u8; 48]); 3] = [
        (
            (1, 99),
            [
                0, 5, 26, 14, 23, 36, 29, 36, 46, 43, 51, 58, 59, 65, 69, 75, 80, 80, 92, 95, 92, 108, 111, 104, 126,
                128, 115, 143, 144, 128, 161, 161, 140, 180, 179, 154, 199, 196, 167, 218, 214, 180, 238, 233, 193,
                255, 251, 207,
            ],
        ),
        (
            (0, 100),
            [
                0, 5, 26, 15, 24, 37, 30, 38, 48, 46, 53, 60, 63, 69, 72, 79, 85, 85, 97, 101, 97, 115, 118, 110, 133,
                135, 124, 153, 154, 137, 172, 172, 151, 192, 190, 165, 212, 209, 179, 233, 229, 194, 253, 248, 208,
                255, 255, 223,
            ],
        ),
        (
            (10, 80),
            [
                0, 0, 10, 0, 11, 26, 23, 30, 39, 41, 48, 55, 60, 66, 70, 81, 85, 85, 102, 105, 102, 124, 127, 119, 146,
                148, 136, 170, 170, 154, 193, 193, 171, 218, 216, 190, 242, 239, 209, 255, 255, 228, 255, 255, 247,
                255, 255, 255,
            ],
        ),
    ];
    for ((lower, upper), want) in cases {
        let mut img = image(16, 1, src.clone(), false);
        colour::normalise(&mut img, lower, upper).unwrap();
        let got: Vec<u8> = img.pixels.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(g.abs_diff(w) <= 1, "normalise({lower}, {upper}) sample {i}: {g} vs sharp's {w}\n{got:?}");
        }
    }
    // A flat image has no range to stretch; percentiles out of order are refused.
    let mut flat = image(4, 4, [77, 88, 99, 200].repeat(16), true);
    colour::normalise(&mut flat, 1, 99).unwrap();
    assert_eq!(flat.pixels, [77, 88, 99, 200].repeat(16));
    for (lower, upper) in [(50, 50), (60, 40), (0, 101)] {
        let err = colour::normalise(&mut flat, lower, upper).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
    }
}

#[test]
fn trim_cuts_a_one_colour_border() {
    use nearnative_image::geometry::{trim, Trim};
    // 9x7 white with a 4x4 block at (3, 1) and a one-pixel speck at (0, 6) that the median
    // removes (line art keeps it).
    let framed = |alpha: bool| {
        let mut pixels = Vec::new();
        for y in 0..7u32 {
            for x in 0..9u32 {
                let block = (3..7).contains(&x) && (1..5).contains(&y);
                let speck = (x, y) == (0, 6);
                pixels.extend_from_slice(match (block || speck, alpha) {
                    (true, _) => &[200, 10, 10, 255],
                    (false, false) => &[255, 255, 255, 255],
                    (false, true) => &[0, 0, 0, 0],
                });
            }
        }
        image(9, 7, pixels, alpha)
    };
    let boxed = |mut img: Image, options: Trim| {
        trim(&mut img, &options).unwrap();
        (img.width, img.height, img.pixels[..4].to_vec())
    };
    // The median rounds the block's corners off, not its edges: the box is the block's, cut
    // from the unfiltered image.
    assert_eq!(boxed(framed(false), Trim::default()), (4, 4, vec![200, 10, 10, 255]));
    assert_eq!(boxed(framed(true), Trim::default()), (4, 4, vec![200, 10, 10, 255]), "transparent frame");
    let line_art = Trim { line_art: true, ..Trim::default() };
    assert_eq!(boxed(framed(false), line_art), (7, 6, vec![255, 255, 255, 255]), "the speck is content");
    let margin = Trim { margin: 1, ..Trim::default() };
    assert_eq!(boxed(framed(false), margin).0, 6);
    // All border, or a border of another colour than asked: nothing is cut.
    let black = Trim { background: Some([0, 0, 0, 255]), ..Trim::default() };
    assert_eq!(boxed(framed(false), black).0, 9);
    assert_eq!(boxed(image(4, 4, [7, 7, 7, 255].repeat(16), false), Trim::default()).0, 4);
    let err = trim(&mut image(2, 2, vec![0; 16], false), &Trim::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
}

#[test]
fn sharp_band_ops_give_sharps_bytes() {
    let pixels = vec![10, 200, 30, 255, 255, 255, 255, 128, 255, 255, 255, 255, 100, 50, 25, 0];
    let image = Image { width: 4, height: 1, pixels, has_alpha: true };
    // The bytes sharp 0.35.5 (libvips 8.17) gives for the same four pixels.
    let mut sepia = image.clone();
    colour::recomb(&mut sepia, &[[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]]).unwrap();
    assert_eq!(sepia.pixels, [163, 145, 113, 255, 255, 255, 238, 128, 255, 255, 238, 255, 82, 73, 57, 0]);
    let mut negative = image.clone();
    colour::recomb(&mut negative, &[[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]).unwrap();
    assert_eq!(negative.pixels[..4], [0, 200, 30, 255]);
    assert!(colour::recomb(&mut negative, &[[f64::NAN, 0.0, 0.0], [0.0; 3], [0.0; 3]]).is_err());
    let mut green = image.clone();
    colour::extract_channel(&mut green, 1).unwrap();
    assert_eq!(green.pixels, [200, 200, 200, 255, 255, 255, 255, 255, 255, 255, 255, 255, 50, 50, 50, 255]);
    assert!(!green.has_alpha);
    assert!(colour::extract_channel(&mut green, 4).is_err());
    let mut clear = image.clone();
    colour::unflatten(&mut clear);
    assert_eq!(clear.pixels, [10, 200, 30, 255, 255, 255, 255, 0, 255, 255, 255, 0, 100, 50, 25, 0]);
    let mut inverted = image.clone();
    colour::invert(&mut inverted, true);
    assert_eq!(inverted.pixels[..8], [245, 55, 225, 0, 0, 0, 0, 127]);
    let mut kept = image;
    colour::invert(&mut kept, false);
    assert_eq!(kept.pixels[..8], [245, 55, 225, 255, 0, 0, 0, 128]);
}
