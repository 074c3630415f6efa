//! From decoded component planes to packed samples: chroma upsampling and colour conversion,
//! each with libjpeg-turbo's arithmetic (its "fancy" triangular upsampling and its YCbCr
//! tables), so a full-size decode matches it sample for sample.

/// One component's decoded samples: `stride × rows`, of which `width × height` are the image
/// (the rest is block padding).
pub(super) struct Plane {
    pub samples: Vec<u8>,
    pub stride: usize,
    pub width: usize,
    pub height: usize,
    /// How many output pixels each sample covers, across and down.
    pub expand: (usize, usize),
    /// libjpeg's triangular filter instead of repetition (off at 1/8 scale, as libjpeg has no
    /// context rows there, and for components 2 samples wide or less).
    pub fancy: bool,
}

/// The colour model of the components, decided from the markers as libjpeg decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ColourModel {
    Grey,
    YCbCr,
    Rgb,
    Cmyk,
    Ycck,
}

impl Plane {
    fn row(&self, y: usize) -> &[u8] {
        let y = y.min(self.height - 1);
        &self.samples[y * self.stride..y * self.stride + self.width]
    }

    /// Output row `y` of this component: its first `width` samples, upsampled into `buffer`
    /// (at least `2 × self.width` and `width` long) where upsampling is needed.
    fn upsample_row<'a>(&'a self, y: usize, width: usize, buffer: &'a mut [u8]) -> &'a [u8] {
        match self.expand {
            (1, 1) => &self.row(y)[..width],
            (2, 1) if self.fancy && self.width > 2 => {
                h2v1_fancy(self.row(y), buffer);
                &buffer[..width]
            }
            (1, 2) if self.fancy => {
                let (near, far, bias) = self.vertical_pair(y);
                for ((o, &n), &f) in buffer.iter_mut().zip(near).zip(far) {
                    *o = ((3 * u32::from(n) + u32::from(f) + bias) >> 2) as u8;
                }
                &buffer[..width]
            }
            (2, 2) if self.fancy && self.width > 2 => {
                let (near, far, _) = self.vertical_pair(y);
                h2v2_fancy(near, far, buffer);
                &buffer[..width]
            }
            (across, down) => {
                let source = self.row(y / down);
                for (x, o) in buffer[..width].iter_mut().enumerate() {
                    *o = source[(x / across).min(source.len() - 1)];
                }
                &buffer[..width]
            }
        }
    }

    /// For vertical 2× upsampling: the nearer input row of output row `y`, the further one
    /// (above for even rows, below for odd; the edge row repeats past the edges), and the
    /// rounding bias libjpeg alternates.
    fn vertical_pair(&self, y: usize) -> (&[u8], &[u8], u32) {
        let near = y / 2;
        if y.is_multiple_of(2) {
            (self.row(near), self.row(near.saturating_sub(1)), 1)
        } else {
            (self.row(near), self.row(near + 1), 2)
        }
    }
}

/// Horizontal 2× into `out[..2n]`: ¾ of the nearer sample and ¼ of the further, with
/// libjpeg's alternating rounding.
fn h2v1_fancy(input: &[u8], out: &mut [u8]) {
    let n = input.len();
    let s = |i: usize| u32::from(input[i]);
    out[0] = input[0];
    out[1] = ((s(0) * 3 + s(1) + 2) >> 2) as u8;
    for i in 1..n - 1 {
        let v = s(i) * 3;
        out[2 * i] = ((v + s(i - 1) + 1) >> 2) as u8;
        out[2 * i + 1] = ((v + s(i + 1) + 2) >> 2) as u8;
    }
    out[2 * n - 2] = ((s(n - 1) * 3 + s(n - 2) + 1) >> 2) as u8;
    out[2 * n - 1] = input[n - 1];
}

/// 2×2 into `out[..2n]`: the vertical ¾/¼ blend of `near` and `far`, then the horizontal one,
/// in sixteenths.
fn h2v2_fancy(near: &[u8], far: &[u8], out: &mut [u8]) {
    let n = near.len();
    let sum = |i: usize| 3 * u32::from(near[i]) + u32::from(far[i]);
    let (mut last, mut this) = (sum(0), sum(0));
    for i in 0..n {
        let next = if i + 1 < n { sum(i + 1) } else { this };
        out[2 * i] = (if i == 0 { (this * 4 + 8) >> 4 } else { (this * 3 + last + 8) >> 4 }) as u8;
        out[2 * i + 1] = (if i + 1 == n { (this * 4 + 7) >> 4 } else { (this * 3 + next + 7) >> 4 }) as u8;
        last = this;
        this = next;
    }
}

/// libjpeg's YCbCr → RGB tables (jdcolor.c): 16-bit fixed point, rounded once per channel.
struct YccTables {
    cr_r: [i32; 256],
    cb_b: [i32; 256],
    cr_g: [i32; 256],
    cb_g: [i32; 256],
}

impl YccTables {
    fn new() -> Self {
        const SCALE: i32 = 16;
        const HALF: i32 = 1 << (SCALE - 1);
        let fix = |x: f64| (x * f64::from(1 << SCALE) + 0.5) as i32;
        let mut t = YccTables { cr_r: [0; 256], cb_b: [0; 256], cr_g: [0; 256], cb_g: [0; 256] };
        for i in 0..256 {
            let x = i as i32 - 128;
            t.cr_r[i] = (fix(1.40200) * x + HALF) >> SCALE;
            t.cb_b[i] = (fix(1.77200) * x + HALF) >> SCALE;
            t.cr_g[i] = -fix(0.71414) * x;
            t.cb_g[i] = -fix(0.34414) * x + HALF;
        }
        t
    }

    #[inline(always)]
    fn rgb(&self, y: u8, cb: u8, cr: u8) -> [u8; 3] {
        let (y, cb, cr) = (i32::from(y), usize::from(cb), usize::from(cr));
        let clamp = |v: i32| v.clamp(0, 255) as u8;
        [clamp(y + self.cr_r[cr]), clamp(y + ((self.cb_g[cb] + self.cr_g[cr]) >> 16)), clamp(y + self.cb_b[cb])]
    }
}

/// Appends the packed output samples (1 channel for grey, else RGB) of `planes` at
/// `width × height` to `samples`.
/// CMYK is turned into RGB as Pillow does: its inks inverted first ("assume Adobe
/// conventions", for every 4-component JPEG), then `(255 - c)(255 - k) / 255`.
pub(super) fn convert(planes: &[Plane], model: ColourModel, width: usize, height: usize, samples: &mut Vec<u8>) {
    let channels = if model == ColourModel::Grey { 1 } else { 3 };
    let tables = YccTables::new();
    let mut scratch: Vec<Vec<u8>> = planes.iter().map(|p| vec![0u8; width.max(2 * p.width)]).collect();
    for y in 0..height {
        let mut rows: [&[u8]; 4] = [&[]; 4];
        for ((plane, buffer), row) in planes.iter().zip(scratch.iter_mut()).zip(rows.iter_mut()) {
            *row = plane.upsample_row(y, width, buffer);
        }
        // Grown a row at a time, so the zeros written before the samples are still in cache.
        let start = samples.len();
        samples.resize(start + width * channels, 0);
        let out = &mut samples[start..];
        match model {
            ColourModel::Grey => out.copy_from_slice(&rows[0][..width]),
            ColourModel::Rgb => {
                for (x, px) in out.chunks_exact_mut(3).enumerate() {
                    px.copy_from_slice(&[rows[0][x], rows[1][x], rows[2][x]]);
                }
            }
            ColourModel::YCbCr => {
                for (x, px) in out.chunks_exact_mut(3).enumerate() {
                    px.copy_from_slice(&tables.rgb(rows[0][x], rows[1][x], rows[2][x]));
                }
            }
            ColourModel::Cmyk | ColourModel::Ycck => {
                for (x, px) in out.chunks_exact_mut(3).enumerate() {
                    let stored = if model == ColourModel::Ycck {
                        // libjpeg's YCCK → CMYK: the YCbCr conversion, complemented.
                        tables.rgb(rows[0][x], rows[1][x], rows[2][x]).map(|v| 255 - v)
                    } else {
                        [rows[0][x], rows[1][x], rows[2][x]]
                    };
                    let light = u32::from(rows[3][x]);
                    for (o, s) in px.iter_mut().zip(stored) {
                        *o = (light - muldiv255(255 - u32::from(s), light)) as u8;
                    }
                }
            }
        }
    }
}

/// `a · b / 255` rounded, as Pillow computes it (`MULDIV255`).
fn muldiv255(a: u32, b: u32) -> u32 {
    let t = a * b + 128;
    ((t >> 8) + t) >> 8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fancy_upsampling_rounds_as_libjpeg() {
        let mut out = [0u8; 8];
        h2v1_fancy(&[0, 100, 200, 255], &mut out);
        assert_eq!(out, [0, 25, 75, 125, 175, 214, 241, 255]);
        let mut out = [0u8; 6];
        h2v2_fancy(&[10, 20, 30], &[50, 60, 70], &mut out);
        // Column sums 80, 120, 160: 80·4+8>>4, 80·3+120+7>>4, 120·3+80+8>>4, 120·3+160+7>>4, ...
        assert_eq!(out, [20, 22, 28, 32, 38, 40]);
    }

    #[test]
    fn ycc_tables_match_jfif() {
        let t = YccTables::new();
        assert_eq!(t.rgb(128, 128, 128), [128, 128, 128]);
        assert_eq!(t.rgb(76, 85, 255), [254, 0, 0]);
        assert_eq!(t.rgb(0, 0, 0), [0, 135, 0]);
    }
}
