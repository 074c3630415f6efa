//! Inverse DCTs: the full 8×8 one is libjpeg's "islow" algorithm (the default of libjpeg-turbo,
//! hence of Pillow, browsers' reference decodes and most tools), so full-size decodes give the
//! same samples; the reduced ones (4×4, 2×2, 1×1 outputs from the low-frequency corner) serve
//! shrink-on-load, where only quality matters.
//!
//! Arithmetic wraps as libjpeg's C does: valid files never come near `i32`'s range, and
//! hostile coefficients must give garbage pixels, not a panic.

use std::num::Wrapping;

type W = Wrapping<i32>;

const CONST_BITS: usize = 13;
const PASS1_BITS: usize = 2;

// Cosine constants scaled by 2^13, as libjpeg rounds them.
const FIX_0_298631336: W = Wrapping(2446);
const FIX_0_390180644: W = Wrapping(3196);
const FIX_0_541196100: W = Wrapping(4433);
const FIX_0_765366865: W = Wrapping(6270);
const FIX_0_899976223: W = Wrapping(7373);
const FIX_1_175875602: W = Wrapping(9633);
const FIX_1_501321110: W = Wrapping(12299);
const FIX_1_847759065: W = Wrapping(15137);
const FIX_1_961570560: W = Wrapping(16069);
const FIX_2_053119869: W = Wrapping(16819);
const FIX_2_562915447: W = Wrapping(20995);
const FIX_3_072711026: W = Wrapping(25172);

/// `x / 2^n` rounded half up, on an arithmetic shift.
fn descale(x: W, n: usize) -> W {
    (x + Wrapping(1 << (n - 1))) >> n
}

/// libjpeg's post-IDCT range limit: `x + 128` clamped to 0..=255 for |x| < 512, wrapping
/// beyond (as its masked table lookup does) so corrupt blocks match too.
fn range_limit(x: W) -> u8 {
    RANGE_LIMIT[(x.0 & 1023) as usize]
}

/// Eight lanes of one IDCT input or output position: the eight columns of pass 1 (or rows
/// of pass 2) are transformed side by side, which the compiler turns into SIMD.
type Lanes = [i32; 8];

#[inline(always)]
fn zip(a: Lanes, b: Lanes, f: impl Fn(i32, i32) -> i32) -> Lanes {
    let mut out = [0; 8];
    for i in 0..8 {
        out[i] = f(a[i], b[i]);
    }
    out
}

#[inline(always)]
fn add(a: Lanes, b: Lanes) -> Lanes {
    zip(a, b, i32::wrapping_add)
}

#[inline(always)]
fn sub(a: Lanes, b: Lanes) -> Lanes {
    zip(a, b, i32::wrapping_sub)
}

#[inline(always)]
fn mul(a: Lanes, c: W) -> Lanes {
    zip(a, [c.0; 8], i32::wrapping_mul)
}

#[inline(always)]
fn shl(a: Lanes, n: usize) -> Lanes {
    zip(a, [0; 8], |x, _| x.wrapping_shl(n as u32))
}

/// One 1-D islow pass (jidctint.c) over eight lanes; `i[k]` holds input position `k`.
#[inline(always)]
fn islow_1d(i: [Lanes; 8]) -> [Lanes; 8] {
    // Even part.
    let z1 = mul(add(i[2], i[6]), FIX_0_541196100);
    let tmp2 = sub(z1, mul(i[6], FIX_1_847759065));
    let tmp3 = add(z1, mul(i[2], FIX_0_765366865));
    let tmp0 = shl(add(i[0], i[4]), CONST_BITS);
    let tmp1 = shl(sub(i[0], i[4]), CONST_BITS);
    let tmp10 = add(tmp0, tmp3);
    let tmp13 = sub(tmp0, tmp3);
    let tmp11 = add(tmp1, tmp2);
    let tmp12 = sub(tmp1, tmp2);

    // Odd part.
    let (t0, t1, t2, t3) = (i[7], i[5], i[3], i[1]);
    let z1 = add(t0, t3);
    let z2 = add(t1, t2);
    let z3 = add(t0, t2);
    let z4 = add(t1, t3);
    let z5 = mul(add(z3, z4), FIX_1_175875602);
    let t0 = mul(t0, FIX_0_298631336);
    let t1 = mul(t1, FIX_2_053119869);
    let t2 = mul(t2, FIX_3_072711026);
    let t3 = mul(t3, FIX_1_501321110);
    let z1 = mul(z1, -FIX_0_899976223);
    let z2 = mul(z2, -FIX_2_562915447);
    let z3 = add(mul(z3, -FIX_1_961570560), z5);
    let z4 = add(mul(z4, -FIX_0_390180644), z5);
    let t0 = add(t0, add(z1, z3));
    let t1 = add(t1, add(z2, z4));
    let t2 = add(t2, add(z2, z3));
    let t3 = add(t3, add(z1, z4));

    [
        add(tmp10, t3),
        add(tmp11, t2),
        add(tmp12, t1),
        add(tmp13, t0),
        sub(tmp13, t0),
        sub(tmp12, t1),
        sub(tmp11, t2),
        sub(tmp10, t3),
    ]
}

/// libjpeg's post-IDCT range limit as a table over the masked value (see [`range_limit`]).
static RANGE_LIMIT: [u8; 1024] = {
    let mut table = [0u8; 1024];
    let mut i = 0;
    while i < 1024 {
        table[i] = match i {
            0..=127 => (i + 128) as u8,
            128..=511 => 255,
            512..=895 => 0,
            _ => (i - 896) as u8,
        };
        i += 1;
    }
    table
};

/// The islow IDCT of `coefs` (natural order) dequantized by `quant`, written as 8 rows of 8
/// samples at `out[0..]`, `out[stride..]`, ... libjpeg skips the work for columns and rows
/// whose AC terms are zero; computing them gives the same values, so every lane is computed.
pub(super) fn islow_8x8(coefs: &[i16; 64], quant: &[u16; 64], out: &mut [u8], stride: usize) {
    let mut rows = [[0i32; 8]; 8];
    for r in 0..8 {
        for c in 0..8 {
            rows[r][c] = i32::from(coefs[r * 8 + c]) * i32::from(quant[r * 8 + c]);
        }
    }
    // Pass 1: columns side by side; result[r][c] is row r of column c.
    let pass1 = islow_1d(rows);
    let round1 = 1 << (CONST_BITS - PASS1_BITS - 1);
    // Transposed, so pass 2 transforms the rows side by side.
    let mut columns = [[0i32; 8]; 8];
    for c in 0..8 {
        for r in 0..8 {
            columns[c][r] = pass1[r][c].wrapping_add(round1) >> (CONST_BITS - PASS1_BITS);
        }
    }
    let pass2 = islow_1d(columns);
    let shift = CONST_BITS + PASS1_BITS + 3;
    let round2 = 1 << (shift - 1);
    for r in 0..8 {
        let line = &mut out[r * stride..r * stride + 8];
        for (x, sample) in line.iter_mut().enumerate() {
            *sample = RANGE_LIMIT[((pass2[x][r].wrapping_add(round2) >> shift) & 1023) as usize];
        }
    }
}

/// The islow IDCT of a block whose only nonzero coefficient is the DC: one flat value (the
/// same as [`islow_8x8`] gives, through both passes' shortcuts).
pub(super) fn islow_dc_only(dc: i16, quant: u16, out: &mut [u8], stride: usize, size: usize) {
    let value = range_limit(descale(Wrapping(i32::from(dc) * i32::from(quant)) << PASS1_BITS, PASS1_BITS + 3));
    for row in 0..size {
        out[row * stride..row * stride + size].fill(value);
    }
}

/// `c(u)/2 · cos((2x+1)uπ/2N)` for N = 4 and 2, scaled by 2^12 (`BASIS_4[x][u]`): sampling
/// the 8-point basis at the centre of each group of 8/N pixels, which keeps the block's mean
/// and its low frequencies. Written out, not computed, so no host's `cos` can change a bit.
const REDUCED_BITS: usize = 12;
pub(super) const BASIS_4: [[i32; 4]; 4] =
    [[1448, 1892, 1448, 784], [1448, 784, -1448, -1892], [1448, -784, -1448, 1892], [1448, -1892, 1448, -784]];
pub(super) const BASIS_2: [[i32; 2]; 2] = [[1448, 1448], [1448, -1448]];

/// The `N`×`N` (4 or 2) reduced IDCT of `coefs`' low-frequency corner: two separable passes
/// over `N` lanes, like [`islow_8x8`].
pub(super) fn reduced<const N: usize>(
    coefs: &[i16; 64],
    quant: &[u16; 64],
    basis: &[[i32; N]; N],
    out: &mut [u8],
    stride: usize,
) {
    let rows: [[i32; N]; N] =
        std::array::from_fn(|v| std::array::from_fn(|u| i32::from(coefs[v * 8 + u]) * i32::from(quant[v * 8 + u])));
    // Pass 1 down the columns: pass1[y][u] = Σ_v basis[y][v] · rows[v][u].
    let mut pass1 = [[0i32; N]; N];
    for y in 0..N {
        for v in 0..N {
            let k = basis[y][v];
            for u in 0..N {
                pass1[y][u] = pass1[y][u].wrapping_add(rows[v][u].wrapping_mul(k));
            }
        }
    }
    // Down to 2 fraction bits between the passes, as islow keeps PASS1_BITS; transposed.
    let round1 = 1 << (REDUCED_BITS - PASS1_BITS - 1);
    let columns: [[i32; N]; N] = std::array::from_fn(|u| {
        std::array::from_fn(|y| pass1[y][u].wrapping_add(round1) >> (REDUCED_BITS - PASS1_BITS))
    });
    // Pass 2 along the rows: pass2[x][y] = Σ_u basis[x][u] · columns[u][y].
    let mut pass2 = [[0i32; N]; N];
    for x in 0..N {
        for u in 0..N {
            let k = basis[x][u];
            for y in 0..N {
                pass2[x][y] = pass2[x][y].wrapping_add(columns[u][y].wrapping_mul(k));
            }
        }
    }
    let shift = REDUCED_BITS + PASS1_BITS;
    let round2 = 1 << (shift - 1);
    for y in 0..N {
        for x in 0..N {
            out[y * stride + x] = RANGE_LIMIT[((pass2[x][y].wrapping_add(round2) >> shift) & 1023) as usize];
        }
    }
}

/// The 1×1 IDCT: the block's mean.
pub(super) fn dc_only(coefs: &[i16; 64], quant: &[u16; 64]) -> u8 {
    range_limit(descale(Wrapping(i32::from(coefs[0]) * i32::from(quant[0])), 3))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The float IDCT of the JPEG standard (A.3.3), rounded: islow agrees with it to within 1.
    fn reference(coefs: &[i16; 64], quant: &[u16; 64]) -> [i32; 64] {
        std::array::from_fn(|i| {
            let (y, x) = (i / 8, i % 8);
            let mut sum = 0.0;
            for v in 0..8 {
                for u in 0..8 {
                    let cu = if u == 0 { std::f64::consts::FRAC_1_SQRT_2 } else { 1.0 };
                    let cv = if v == 0 { std::f64::consts::FRAC_1_SQRT_2 } else { 1.0 };
                    let f = f64::from(coefs[v * 8 + u]) * f64::from(quant[v * 8 + u]);
                    sum += cu
                        * cv
                        * f
                        * (((2 * x + 1) * u) as f64 * std::f64::consts::PI / 16.0).cos()
                        * (((2 * y + 1) * v) as f64 * std::f64::consts::PI / 16.0).cos();
                }
            }
            ((sum / 4.0).round() as i32 + 128).clamp(0, 255)
        })
    }

    fn pseudo_random_block(seed: u32) -> [i16; 64] {
        let mut state = seed;
        std::array::from_fn(|i| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let spread = 64 / (1 + i as i32);
            ((state >> 16) as i32 % (2 * spread + 1) - spread) as i16
        })
    }

    #[test]
    fn islow_is_within_one_of_the_float_idct() {
        let quant = [4u16; 64];
        for seed in 0..200 {
            let coefs = pseudo_random_block(seed);
            let mut out = [0u8; 64];
            islow_8x8(&coefs, &quant, &mut out, 8);
            let want = reference(&coefs, &quant);
            for (got, want) in out.iter().zip(want) {
                assert!((i32::from(*got) - want).abs() <= 1, "seed {seed}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn the_reduced_bases_are_the_sampled_cosines() {
        fn check<const N: usize>(basis: &[[i32; N]; N]) {
            for (x, row) in basis.iter().enumerate() {
                for (u, &value) in row.iter().enumerate() {
                    let c = if u == 0 { std::f64::consts::FRAC_1_SQRT_2 } else { 1.0 };
                    let angle = ((2 * x + 1) * u) as f64 * std::f64::consts::PI / (2 * N) as f64;
                    assert_eq!(value, (c / 2.0 * angle.cos() * f64::from(1 << REDUCED_BITS)).round() as i32);
                }
            }
        }
        check(&BASIS_4);
        check(&BASIS_2);
    }

    #[test]
    fn reduced_idcts_keep_the_block_mean() {
        let quant = [1u16; 64];
        let mut coefs = [0i16; 64];
        coefs[0] = 400; // mean 50 above mid-grey
        let mut four = [0u8; 16];
        reduced::<4>(&coefs, &quant, &BASIS_4, &mut four, 4);
        let mut two = [0u8; 4];
        reduced::<2>(&coefs, &quant, &BASIS_2, &mut two, 2);
        assert!(four.iter().chain(&two).all(|&v| v == 178), "{four:?} {two:?}");
        assert_eq!(dc_only(&coefs, &quant), 178);
        let mut flat = [0u8; 64];
        islow_dc_only(coefs[0], quant[0], &mut flat, 8, 8);
        let mut full = [0u8; 64];
        islow_8x8(&coefs, &quant, &mut full, 8);
        assert_eq!(flat, full);
    }

    #[test]
    fn hostile_coefficients_wrap_instead_of_panicking() {
        let coefs = [i16::MIN; 64];
        let quant = [u16::MAX; 64];
        let mut out = [0u8; 64];
        islow_8x8(&coefs, &quant, &mut out, 8);
        reduced::<4>(&coefs, &quant, &BASIS_4, &mut out, 4);
    }
}
