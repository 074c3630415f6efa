//! Inverse DCTs: the full 8×8 one is libjpeg's "islow" algorithm (the default of libjpeg-turbo,
//! hence of Pillow, browsers' reference decodes and most tools), so full-size decodes give the
//! same samples; the reduced ones (4×4, 2×2, 1×1 outputs from the low-frequency corner) serve
//! shrink-on-load, where only quality matters.
//!
//! The arithmetic is that of libjpeg-turbo's SIMD islow (what Pillow and browsers run on x86
//! and Arm): coefficients dequantised in 16 bits, the sums `in0 ± in4`, `in7 + in3` and
//! `in5 + in1` formed in 16 bits, the first pass saturated to 16 bits, the output clamped to
//! 0..=255. Its plain-C version wraps out-of-range samples instead, which
//! mozjpeg's deringing overshoot reaches on real files. Nothing can overflow `i32` or panic.

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

/// A sample from an IDCT output: `x + 128` clamped to 0..=255.
fn clamp_sample(x: i32) -> u8 {
    (x.clamp(-128, 127) + 128) as u8
}

/// A dequantised coefficient as libjpeg-turbo's SIMD code forms it: the low 16 bits of the
/// product (`pmullw`), which only differs from the exact product on hostile files.
fn dequantize(coef: i16, quant: u16) -> i32 {
    i32::from((i32::from(coef) * i32::from(quant)) as i16)
}

/// A sum formed in 16-bit lanes (`paddw`): its low 16 bits, sign-extended.
fn wrap16(x: i32) -> i32 {
    i32::from(x as i16)
}

/// A first-pass result stored in 16 bits, saturating (`packssdw`).
fn saturate16(x: i32) -> i32 {
    x.clamp(i32::from(i16::MIN), i32::from(i16::MAX))
}

/// One 1-D islow pass (jidctint.c) over the eight columns of `input` side by side: for each
/// column `c`, positions `input[0][c]..input[7][c]` in, `output[0][c]..output[7][c]` out,
/// descaled by `shift` (none when 0). Each column is independent straight-line code over
/// stride-1 lanes, which the loop vectorizer turns into SIMD.
#[inline(always)]
fn islow_pass(input: &[[i32; 8]; 8], output: &mut [[i32; 8]; 8], shift: u32) {
    let round = if shift == 0 { 0 } else { 1i32 << (shift - 1) };
    let m = |a: i32, k: W| a.wrapping_mul(k.0);
    for c in 0..8 {
        // Even part.
        let (i0, i2, i4, i6) = (input[0][c], input[2][c], input[4][c], input[6][c]);
        let z1 = m(i2.wrapping_add(i6), FIX_0_541196100);
        let tmp2 = z1.wrapping_sub(m(i6, FIX_1_847759065));
        let tmp3 = z1.wrapping_add(m(i2, FIX_0_765366865));
        let tmp0 = wrap16(i0.wrapping_add(i4)) << CONST_BITS;
        let tmp1 = wrap16(i0.wrapping_sub(i4)) << CONST_BITS;
        let tmp10 = tmp0.wrapping_add(tmp3);
        let tmp13 = tmp0.wrapping_sub(tmp3);
        let tmp11 = tmp1.wrapping_add(tmp2);
        let tmp12 = tmp1.wrapping_sub(tmp2);

        // Odd part.
        let (t0, t1, t2, t3) = (input[7][c], input[5][c], input[3][c], input[1][c]);
        let z1 = t0.wrapping_add(t3);
        let z2 = t1.wrapping_add(t2);
        let z3 = wrap16(t0.wrapping_add(t2));
        let z4 = wrap16(t1.wrapping_add(t3));
        let z5 = m(z3.wrapping_add(z4), FIX_1_175875602);
        let t0 = m(t0, FIX_0_298631336);
        let t1 = m(t1, FIX_2_053119869);
        let t2 = m(t2, FIX_3_072711026);
        let t3 = m(t3, FIX_1_501321110);
        let z1 = m(z1, -FIX_0_899976223);
        let z2 = m(z2, -FIX_2_562915447);
        let z3 = m(z3, -FIX_1_961570560).wrapping_add(z5);
        let z4 = m(z4, -FIX_0_390180644).wrapping_add(z5);
        let t0 = t0.wrapping_add(z1).wrapping_add(z3);
        let t1 = t1.wrapping_add(z2).wrapping_add(z4);
        let t2 = t2.wrapping_add(z2).wrapping_add(z3);
        let t3 = t3.wrapping_add(z1).wrapping_add(z4);

        let d = |x: i32| x.wrapping_add(round) >> shift;
        output[0][c] = d(tmp10.wrapping_add(t3));
        output[7][c] = d(tmp10.wrapping_sub(t3));
        output[1][c] = d(tmp11.wrapping_add(t2));
        output[6][c] = d(tmp11.wrapping_sub(t2));
        output[2][c] = d(tmp12.wrapping_add(t1));
        output[5][c] = d(tmp12.wrapping_sub(t1));
        output[3][c] = d(tmp13.wrapping_add(t0));
        output[4][c] = d(tmp13.wrapping_sub(t0));
    }
}

/// The `N`×`N` low-frequency corner of `coefs` (natural order), dequantised by `quant`, as
/// rows of coefficients: the input of every IDCT here.
#[inline(always)]
fn dequantized<const N: usize>(coefs: &[i16; 64], quant: &[u16; 64]) -> [[i32; N]; N] {
    std::array::from_fn(|v| std::array::from_fn(|u| dequantize(coefs[v * 8 + u], quant[v * 8 + u])))
}

/// A first pass's output, saturated to 16 bits and transposed so the second pass runs along
/// the rows the same way the first ran down the columns.
#[inline(always)]
fn saturated_transpose<const N: usize>(pass1: &[[i32; N]; N]) -> [[i32; N]; N] {
    std::array::from_fn(|c| std::array::from_fn(|r| saturate16(pass1[r][c])))
}

/// A second pass's output (transposed back) as clamped samples, `N` rows of `N` at
/// `out[0..]`, `out[stride..]`, ...
#[inline(always)]
fn store_samples<const N: usize>(pass2: &[[i32; N]; N], out: &mut [u8], stride: usize) {
    for r in 0..N {
        for (x, sample) in out[r * stride..r * stride + N].iter_mut().enumerate() {
            *sample = clamp_sample(pass2[x][r]);
        }
    }
}

/// The islow IDCT of `coefs` (natural order) dequantized by `quant`, written as 8 rows of 8
/// samples at `out[0..]`, `out[stride..]`, ... libjpeg skips the work for columns and rows
/// whose AC terms are zero; computing them gives the same values, so every lane is computed.
pub(super) fn islow_8x8(coefs: &[i16; 64], quant: &[u16; 64], out: &mut [u8], stride: usize) {
    let rows = dequantized::<8>(coefs, quant);
    // When coefficient rows 1–7 are all zero, libjpeg-turbo's pass 1 is a 16-bit shift of row 0.
    let columns = if rows[1..].iter().all(|row| row.iter().all(|&v| v == 0)) {
        std::array::from_fn(|c| [wrap16(rows[0][c] << PASS1_BITS); 8])
    } else {
        let mut pass1 = [[0i32; 8]; 8];
        islow_pass(&rows, &mut pass1, (CONST_BITS - PASS1_BITS) as u32);
        saturated_transpose(&pass1)
    };
    let mut pass2 = [[0i32; 8]; 8];
    islow_pass(&columns, &mut pass2, (CONST_BITS + PASS1_BITS + 3) as u32);
    store_samples(&pass2, out, stride);
}

/// The islow IDCT of a block whose only nonzero coefficient is the DC: one flat value (the
/// same as [`islow_8x8`] gives, through both passes' shortcuts).
pub(super) fn islow_dc_only(dc: i16, quant: u16, out: &mut [u8], stride: usize) {
    let pass1 = wrap16(dequantize(dc, quant) << PASS1_BITS);
    let value = clamp_sample(descale(Wrapping(pass1), PASS1_BITS + 3).0);
    for row in 0..8 {
        out[row * stride..row * stride + 8].fill(value);
    }
}

/// `c(u)/2 · cos((2x+1)uπ/2N)` for N = 4 and 2, scaled by 2^12 (`BASIS_4[x][u]`): sampling
/// the 8-point basis at the centre of each group of 8/N pixels, which keeps the block's mean
/// and its low frequencies. Written out, not computed, so no host's `cos` can change a bit.
const REDUCED_BITS: usize = 12;
const BASIS_4: [[i32; 4]; 4] =
    [[1448, 1892, 1448, 784], [1448, 784, -1448, -1892], [1448, -784, -1448, 1892], [1448, -1892, 1448, -784]];
const BASIS_2: [[i32; 2]; 2] = [[1448, 1448], [1448, -1448]];

/// One 1-D pass of the 4-point reduced IDCT over four lanes, as a butterfly: the product with
/// `BASIS_4`, whose rows are `[a, b, a, c]`, `[a, c, -a, -b]`, `[a, -c, -a, b]`, `[a, -b, a, -c]`.
#[inline(always)]
fn reduced_pass_4(input: &[[i32; 4]; 4], output: &mut [[i32; 4]; 4], shift: u32) {
    let (a, b, c) = (BASIS_4[0][0], BASIS_4[0][1], BASIS_4[0][3]);
    let round = 1i32 << (shift - 1);
    for lane in 0..4 {
        let (f0, f1, f2, f3) = (input[0][lane], input[1][lane], input[2][lane], input[3][lane]);
        let e0 = a.wrapping_mul(f0.wrapping_add(f2));
        let e1 = a.wrapping_mul(f0.wrapping_sub(f2));
        let o0 = b.wrapping_mul(f1).wrapping_add(c.wrapping_mul(f3));
        let o1 = c.wrapping_mul(f1).wrapping_sub(b.wrapping_mul(f3));
        let d = |x: i32| x.wrapping_add(round) >> shift;
        output[0][lane] = d(e0.wrapping_add(o0));
        output[1][lane] = d(e1.wrapping_add(o1));
        output[2][lane] = d(e1.wrapping_sub(o1));
        output[3][lane] = d(e0.wrapping_sub(o0));
    }
}

/// One 1-D pass of the 2-point reduced IDCT over two lanes: the product with `BASIS_2`, whose
/// rows are `[a, a]` and `[a, -a]`.
#[inline(always)]
fn reduced_pass_2(input: &[[i32; 2]; 2], output: &mut [[i32; 2]; 2], shift: u32) {
    let a = BASIS_2[0][0];
    let round = 1i32 << (shift - 1);
    for lane in 0..2 {
        let (f0, f1) = (input[0][lane], input[1][lane]);
        output[0][lane] = a.wrapping_mul(f0.wrapping_add(f1)).wrapping_add(round) >> shift;
        output[1][lane] = a.wrapping_mul(f0.wrapping_sub(f1)).wrapping_add(round) >> shift;
    }
}

/// The reduced IDCT to `N`×`N` samples (`N` = 4: 1/2 scale, 2: 1/4 scale) of `coefs`'
/// low-frequency corner, two separable passes like [`islow_8x8`], keeping 2 fraction bits
/// between them as islow does.
#[inline(always)]
fn reduced<const N: usize>(
    coefs: &[i16; 64],
    quant: &[u16; 64],
    out: &mut [u8],
    stride: usize,
    pass: impl Fn(&[[i32; N]; N], &mut [[i32; N]; N], u32),
) {
    let rows = dequantized::<N>(coefs, quant);
    let mut pass1 = [[0i32; N]; N];
    pass(&rows, &mut pass1, (REDUCED_BITS - PASS1_BITS) as u32);
    let columns = saturated_transpose(&pass1);
    let mut pass2 = [[0i32; N]; N];
    pass(&columns, &mut pass2, (REDUCED_BITS + PASS1_BITS) as u32);
    store_samples(&pass2, out, stride);
}

/// The 4×4 reduced IDCT (1/2 scale).
pub(super) fn reduced_4x4(coefs: &[i16; 64], quant: &[u16; 64], out: &mut [u8], stride: usize) {
    reduced::<4>(coefs, quant, out, stride, reduced_pass_4);
}

/// The 2×2 reduced IDCT (1/4 scale).
pub(super) fn reduced_2x2(coefs: &[i16; 64], quant: &[u16; 64], out: &mut [u8], stride: usize) {
    reduced::<2>(coefs, quant, out, stride, reduced_pass_2);
}

/// The 1×1 IDCT: the block's mean.
pub(super) fn dc_only(coefs: &[i16; 64], quant: &[u16; 64]) -> u8 {
    clamp_sample(descale(Wrapping(dequantize(coefs[0], quant[0])), 3).0)
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

    /// The butterflies are the plain products with the bases, term for term.
    #[test]
    fn the_reduced_butterflies_equal_the_basis_products() {
        fn by_matrix<const N: usize>(coefs: &[i16; 64], quant: &[u16; 64], basis: &[[i32; N]; N]) -> Vec<u8> {
            let f = |v: usize, u: usize| dequantize(coefs[v * 8 + u], quant[v * 8 + u]);
            let pass1: Vec<Vec<i32>> = (0..N)
                .map(|y| (0..N).map(|u| (0..N).map(|v| basis[y][v] * f(v, u)).sum::<i32>()).collect())
                .map(|row: Vec<i32>| row.into_iter().map(|x| saturate16((x + (1 << 9)) >> 10)).collect())
                .collect();
            let mut out = vec![0u8; N * N];
            for y in 0..N {
                for x in 0..N {
                    let sum: i32 = (0..N).map(|u| basis[x][u] * pass1[y][u]).sum();
                    out[y * N + x] = clamp_sample((sum + (1 << 13)) >> 14);
                }
            }
            out
        }
        let quant: [u16; 64] = std::array::from_fn(|i| 1 + (i as u16 % 7));
        for seed in 0..100 {
            let coefs = pseudo_random_block(seed);
            let mut four = [0u8; 16];
            reduced_4x4(&coefs, &quant, &mut four, 4);
            assert_eq!(four.to_vec(), by_matrix(&coefs, &quant, &BASIS_4), "seed {seed}");
            let mut two = [0u8; 4];
            reduced_2x2(&coefs, &quant, &mut two, 2);
            assert_eq!(two.to_vec(), by_matrix(&coefs, &quant, &BASIS_2), "seed {seed}");
        }
    }

    #[test]
    fn reduced_idcts_keep_the_block_mean() {
        let quant = [1u16; 64];
        let mut coefs = [0i16; 64];
        coefs[0] = 400; // mean 50 above mid-grey
        let mut four = [0u8; 16];
        reduced_4x4(&coefs, &quant, &mut four, 4);
        let mut two = [0u8; 4];
        reduced_2x2(&coefs, &quant, &mut two, 2);
        assert!(four.iter().chain(&two).all(|&v| v == 178), "{four:?} {two:?}");
        assert_eq!(dc_only(&coefs, &quant), 178);
        let mut flat = [0u8; 64];
        islow_dc_only(coefs[0], quant[0], &mut flat, 8);
        let mut full = [0u8; 64];
        islow_8x8(&coefs, &quant, &mut full, 8);
        assert_eq!(flat, full);
    }

    /// Far out of range, samples saturate as libjpeg-turbo's SIMD IDCT makes them (its C
    /// version would wrap a DC of -5000 round to white).
    #[test]
    fn out_of_range_samples_saturate() {
        let quant = [1u16; 64];
        for (dc, want) in [(-5000i16, 0u8), (5000, 255), (-1100, 0), (1100, 255)] {
            let mut coefs = [0i16; 64];
            coefs[0] = dc;
            coefs[1] = 1; // not the DC-only shortcut
            let mut out = [0u8; 64];
            islow_8x8(&coefs, &quant, &mut out, 8);
            assert!(out.iter().all(|&v| v == want), "DC {dc}: {out:?}");
            let mut flat = [0u8; 64];
            islow_dc_only(dc, 1, &mut flat, 8);
            assert!(flat.iter().all(|&v| v == want), "DC-only {dc}");
        }
    }

    #[test]
    fn hostile_coefficients_wrap_instead_of_panicking() {
        let coefs = [i16::MIN; 64];
        let quant = [u16::MAX; 64];
        let mut out = [0u8; 64];
        islow_8x8(&coefs, &quant, &mut out, 8);
        reduced_4x4(&coefs, &quant, &mut out, 4);
        reduced_2x2(&coefs, &quant, &mut out, 2);
    }
}
