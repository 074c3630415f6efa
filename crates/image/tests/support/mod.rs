//! Helpers shared by the integration tests (each test file includes this as `mod support`).

/// PSNR in dB over the colour channels of two RGBA8 buffers; alpha is not compared.
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let (mut sum, mut count) = (0f64, 0f64);
    for (p, q) in a.chunks_exact(4).zip(b.chunks_exact(4)) {
        for c in 0..3 {
            let d = f64::from(p[c]) - f64::from(q[c]);
            sum += d * d;
            count += 1.0;
        }
    }
    if sum == 0.0 {
        return f64::INFINITY;
    }
    10.0 * (255.0f64 * 255.0 / (sum / count)).log10()
}
