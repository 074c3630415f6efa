//! sRGB ↔ linear light, CIE XYZ and L*a*b*, computed the way libvips (and so sharp) computes
//! them for 8-bit images, so `greyscale`, `threshold` and `tint` give sharp's bytes.
//!
//! What makes libvips' numbers its own: it decodes sRGB through a 256-entry f32 table, and it
//! encodes linear light back to 8 bits by linear interpolation between the 256 values of a table
//! of *already rounded* encodings, then rounds half to even. That coarse encoding differs from an
//! exact `round(255 · oetf(y))` by one level in about a fifth of greys, which is why a textbook
//! conversion does not reproduce sharp's greyscale. Everything here is f32 in the order libvips
//! evaluates it; the two tables are built in f64 and rounded once, so every host (native, Wasm)
//! builds the same bits. The XYZ matrices are the sRGB primaries' to 4 (forward) and 6 (inverse)
//! decimals with the D65 white point; L*a*b* uses the CIE formulas (exact cube roots, where
//! libvips interpolates a 100,000-entry table: a difference far below one output level).

/// D65 white in XYZ, scaled so Y is 100.
const WHITE: [f32; 3] = [95.047, 100.0, 108.8827];

/// Rec. 709 luminance weights of linear R, G and B.
const LUMINANCE: [f32; 3] = [0.2126, 0.7152, 0.0722];

/// The sRGB transfer tables for 8-bit values.
pub(crate) struct Srgb8 {
    /// Byte → linear light in 0..=1.
    decode: [f32; 256],
    /// `encode[i]` = the byte of linear light `i / 255`, rounded; `encode[256]` repeats
    /// `encode[255]` so interpolation may read one past the last point.
    encode: [i32; 257],
}

impl Srgb8 {
    pub(crate) fn new() -> Srgb8 {
        let decode = std::array::from_fn(|i| {
            let v = i as f32 / 255.0;
            if f64::from(v) <= 0.04045 {
                v / 12.92
            } else {
                // (v + 0.055) / 1.055 in f32, as libvips, then a correctly rounded power.
                let base = (v + 0.055) / (1.0f32 + 0.055);
                f64::from(base).powf(2.4) as f32
            }
        });
        let mut encode = [0i32; 257];
        for (i, e) in encode.iter_mut().take(256).enumerate() {
            let y = i as f32 / 255.0;
            let v = if f64::from(y) <= 0.0031308 {
                12.92 * y
            } else {
                (1.0f32 + 0.055) * (f64::from(y).powf(f64::from(1.0f32 / 2.4)) as f32) - 0.055
            };
            *e = rint(255.0 * v) as i32;
        }
        encode[256] = encode[255];
        Srgb8 { decode, encode }
    }

    pub(crate) fn linear(&self, v: u8) -> f32 {
        self.decode[usize::from(v)]
    }

    /// CIE L*a*b* of an sRGB pixel.
    pub(crate) fn lab(&self, rgb: [u8; 3]) -> [f32; 3] {
        lab_from_linear(rgb.map(|c| self.linear(c)))
    }

    /// Linear light (clipped to 0..=1) to a byte; NaN gives 0.
    #[inline(always)]
    pub(crate) fn encode(&self, linear: f32) -> u8 {
        // `clamp` would keep NaN; these comparisons turn it into 0.
        let at = linear * 255.0;
        let at = if at > 0.0 { at } else { 0.0 };
        let at = if at < 255.0 { at } else { 255.0 };
        let i = (at as usize).min(255); // truncation, at ≥ 0
        let (lo, hi) = (self.encode[i], self.encode[i + 1]);
        let v = lo as f32 + (hi - lo) as f32 * (at - i as f32);
        rint(v) as u8
    }
}

/// `v` rounded to the nearest integer, ties to even (C's `rintf`), for 0 ≤ v < 2²²: adding
/// 1.5·2²³ leaves no fraction bits, so the FPU rounds as `rintf` does. `f32::round_ties_even`
/// is a libm call on baseline x86-64 (no SSE4.1), five times slower in this loop.
#[inline(always)]
fn rint(v: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0;
    (v + MAGIC) - MAGIC
}

/// Greyscale as libvips' sRGB → B_W: the luminance of the linear values, encoded back to sRGB.
pub(crate) struct Grey {
    srgb: Srgb8,
    /// `weighted[c][v]` = `LUMINANCE[c] · linear(v)`, the exact f32 product libvips forms.
    weighted: [[f32; 256]; 3],
    steps: EncodeSteps,
}

impl Grey {
    /// The tables, built once per process (about 36,000 encodes for the step table).
    pub(crate) fn shared() -> &'static Grey {
        static GREY: std::sync::OnceLock<Grey> = std::sync::OnceLock::new();
        GREY.get_or_init(Grey::new)
    }

    fn new() -> Grey {
        let srgb = Srgb8::new();
        let weighted = std::array::from_fn(|c| std::array::from_fn(|v| LUMINANCE[c] * srgb.decode[v]));
        let steps = EncodeSteps::new(&srgb);
        Grey { srgb, weighted, steps }
    }

    #[inline(always)]
    pub(crate) fn grey(&self, r: u8, g: u8, b: u8) -> u8 {
        self.steps.encode(self.luminance(r, g, b))
    }

    /// The linear luminance libvips sums, before encoding.
    #[inline(always)]
    fn luminance(&self, r: u8, g: u8, b: u8) -> f32 {
        let w = &self.weighted;
        w[0][usize::from(r)] + w[1][usize::from(g)] + w[2][usize::from(b)]
    }

    pub(crate) fn srgb(&self) -> &Srgb8 {
        &self.srgb
    }

    /// [`Grey::grey`] followed by `table`, with the table folded into the encoding's buckets.
    pub(crate) fn through(&self, table: &[u8; 256]) -> GreyThrough<'_> {
        let buckets = self
            .steps
            .buckets
            .iter()
            .map(|&entry| {
                let level = usize::from((entry >> 24) as u8);
                let step = entry & 0x00ff_ffff;
                let (below, above, step) = if step == 1 << BUCKET_SHIFT {
                    (table[level], table[level], 0)
                } else {
                    (table[level], table[level + 1], step)
                };
                u32::from(below) << 24 | u32::from(above) << 16 | step
            })
            .collect();
        GreyThrough { grey: self, buckets }
    }
}

/// [`Grey::grey`] then a table, in the cost of the grey alone: each bucket of [`EncodeSteps`]
/// holds the table's value at its level and at the level above instead of the level.
pub(crate) struct GreyThrough<'a> {
    grey: &'a Grey,
    /// `table[level] << 24 | table[level + 1] << 16 | step`; a bucket without a step holds
    /// `table[level]` twice.
    buckets: Vec<u32>,
}

// A step's offset in its bucket must fit below the two table values.
const _: () = assert!(BUCKET_SHIFT <= 16);

impl GreyThrough<'_> {
    #[inline(always)]
    pub(crate) fn map(&self, r: u8, g: u8, b: u8) -> u8 {
        let (bucket, low) = bucket_of(self.grey.luminance(r, g, b), self.buckets.len());
        let entry = self.buckets[bucket];
        // The value above the step sits 8 bits lower than the one below it.
        (entry >> (24 - 8 * u32::from(low >= entry & 0xffff))) as u8
    }
}

/// [`Srgb8::encode`] for `y ≥ 0`, as one table lookup and one comparison instead of an
/// interpolation and a rounding, with the same result for every f32.
///
/// The encoding is a non-decreasing step function of `y`, so it is fixed by the 255 f32 values
/// where it steps up. Non-negative f32s order as their bits, and the top [`BUCKET_SHIFT`] bits
/// cut them into buckets too narrow to hold two steps (checked as the table is built): each
/// bucket's entry holds the level at its start and where in the bucket the next step is.
struct EncodeSteps {
    /// `level << 24 | step`, where `step` is the low bits of the bucket's first f32 that
    /// encodes to `level + 1` (1 << BUCKET_SHIFT when there is none).
    buckets: Vec<u32>,
}

/// The low bits of an f32 below its bucket index.
const BUCKET_SHIFT: u32 = 16;

impl EncodeSteps {
    fn new(srgb: &Srgb8) -> EncodeSteps {
        // One bucket past 1.0 covers every sum of weights that rounds just above it.
        let count = (1.0f32.to_bits() >> BUCKET_SHIFT) as usize + 2;
        let at = |bits: u32| srgb.encode(f32::from_bits(bits));
        let buckets = (0..count as u32)
            .map(|bucket| {
                let first = bucket << BUCKET_SHIFT;
                let last = first | ((1 << BUCKET_SHIFT) - 1);
                let level = at(first);
                let top = at(last);
                assert!(u32::from(top) <= u32::from(level) + 1, "two steps in one bucket"); // a build-time property of the tables
                let step = if top == level {
                    1 << BUCKET_SHIFT
                } else {
                    // The first f32 in the bucket above `level`: a binary search over its bits.
                    let (mut lo, mut hi) = (first, last);
                    while lo < hi {
                        let mid = lo + (hi - lo) / 2;
                        if at(mid) > level {
                            hi = mid;
                        } else {
                            lo = mid + 1;
                        }
                    }
                    lo - first
                };
                u32::from(level) << 24 | step
            })
            .collect();
        EncodeSteps { buckets }
    }

    #[inline(always)]
    fn encode(&self, y: f32) -> u8 {
        let (bucket, low) = bucket_of(y, self.buckets.len());
        let entry = self.buckets[bucket];
        ((entry >> 24) + u32::from(low >= entry & 0x00ff_ffff)) as u8
    }
}

/// The bucket of `y ≥ 0` among `count` (sums just past the last fall in the last) and where
/// in it `y` lies.
#[inline(always)]
fn bucket_of(y: f32, count: usize) -> (usize, u32) {
    let bits = y.to_bits();
    (((bits >> BUCKET_SHIFT) as usize).min(count - 1), bits & ((1 << BUCKET_SHIFT) - 1))
}

/// CIE L*a*b* (D65) of linear sRGB values in 0..=1.
pub(crate) fn lab_from_linear(rgb: [f32; 3]) -> [f32; 3] {
    lab_from_xyz(xyz_from_linear(rgb))
}

/// CIE XYZ of linear sRGB values in 0..=1, scaled as libvips scales it (white's Y is 100).
pub(crate) fn xyz_from_linear(rgb: [f32; 3]) -> [f32; 3] {
    let [r, g, b] = rgb.map(|c| c * WHITE[1]);
    [0.4124 * r + 0.3576 * g + 0.1805 * b, 0.2126 * r + 0.7152 * g + 0.0722 * b, 0.0193 * r + 0.1192 * g + 0.9505 * b]
}

/// CIE L*a*b* of CIE XYZ (D65, white's Y 100).
pub(crate) fn lab_from_xyz(xyz: [f32; 3]) -> [f32; 3] {
    let [fx, fy, fz] = std::array::from_fn(|c| {
        let t = f64::from(xyz[c] / WHITE[c]);
        (if t < 0.008856 { 7.787 * t + 16.0 / 116.0 } else { t.cbrt() }) as f32
    });
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// Linear sRGB values (not clipped) of CIE L*a*b* (D65).
pub(crate) fn linear_from_lab(lab: [f32; 3]) -> [f32; 3] {
    let [l, a, b] = lab.map(f64::from);
    let [x0, y0, z0] = WHITE.map(f64::from);
    let (y, fy) = if l < 8.0 {
        let y = l * y0 / 903.3;
        (y, 7.787 * (y / y0) + 16.0 / 116.0)
    } else {
        let fy = (l + 16.0) / 116.0;
        (y0 * fy * fy * fy, fy)
    };
    let inverse = |t: f64, white: f64| if t < 0.2069 { white * (t - 0.13793) / 7.787 } else { white * t * t * t };
    let x = inverse(a / 500.0 + fy, x0);
    let z = inverse(fy - b / 200.0, z0);
    let [x, y, z] = [x, y, z].map(|v| v as f32 / WHITE[1]);
    [
        3.240625 * x - 1.537208 * y - 0.498629 * z,
        -0.968931 * x + 1.875756 * y + 0.041518 * z,
        0.055710 * x - 0.204021 * y + 1.056996 * z,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rint_rounds_half_to_even_as_c() {
        for k in 0..256 * 64 {
            let v = k as f32 / 64.0;
            assert_eq!(rint(v), v.round_ties_even(), "{v}");
        }
    }

    #[test]
    fn srgb_tables_round_trip_every_byte() {
        let srgb = Srgb8::new();
        for v in 0..=255u8 {
            assert_eq!(srgb.encode(srgb.linear(v)), v);
        }
        assert_eq!(srgb.encode(-1.0), 0);
        assert_eq!(srgb.encode(2.0), 255);
        assert_eq!(srgb.encode(f32::NAN), 0);
    }

    #[test]
    fn grey_of_a_grey_is_itself_and_white_is_lab_100() {
        let grey = Grey::new();
        for v in 0..=255u8 {
            assert_eq!(grey.grey(v, v, v), v);
        }
        let white = lab_from_linear([1.0; 3]);
        assert!((white[0] - 100.0).abs() < 0.01 && white[1].abs() < 0.05 && white[2].abs() < 0.05, "{white:?}");
    }

    #[test]
    fn grey_through_a_table_is_the_table_of_the_grey() {
        let grey = Grey::new();
        let table: [u8; 256] = std::array::from_fn(|v| (v as u8).wrapping_mul(37) ^ 0x5a);
        let through = grey.through(&table);
        let mut rng = 0x2545_f491_u32;
        for _ in 0..200_000 {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            let [r, g, b, _] = rng.to_le_bytes();
            assert_eq!(through.map(r, g, b), table[usize::from(grey.grey(r, g, b))], "{r} {g} {b}");
        }
        for v in 0..=255u8 {
            assert_eq!(through.map(v, v, v), table[usize::from(v)]);
        }
    }

    #[test]
    fn encode_steps_agree_with_the_interpolation_on_every_f32_up_to_past_one() {
        let srgb = Srgb8::new();
        let steps = EncodeSteps::new(&srgb);
        // Every f32 from 0 to one bucket past 1.0; a prime stride in debug builds.
        let end = ((1.0f32.to_bits() >> BUCKET_SHIFT) + 2) << BUCKET_SHIFT;
        let stride = if cfg!(debug_assertions) { 101 } else { 1 };
        for bits in (0..end).step_by(stride) {
            let y = f32::from_bits(bits);
            assert_eq!(steps.encode(y), srgb.encode(y), "{y:e}");
        }
        for y in [2.0, 1e30, f32::INFINITY] {
            assert_eq!(steps.encode(y), 255);
        }
    }

    #[test]
    fn lab_round_trips_through_linear() {
        let srgb = Srgb8::new();
        for rgb in [[0u8, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255], [12, 200, 99], [250, 250, 3], [1, 2, 3]] {
            let lab = srgb.lab(rgb);
            let back = linear_from_lab(lab).map(|c| srgb.encode(c));
            for (b, v) in back.iter().zip(rgb) {
                assert!(b.abs_diff(v) <= 1, "{rgb:?} -> {lab:?} -> {back:?}");
            }
        }
    }
}
