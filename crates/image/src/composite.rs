//! Alpha compositing of one image over another (W3C Compositing and Blending Level 1).
//!
//! Source-over with a separable blend mode `B`, on straight-alpha input and output, values
//! normalised to 0..=1 (§ 9.1.4 "Source Over" with § 5.3 "Blending"):
//!
//! ```text
//! co = cs·αs·(1 − αb) + cb·αb·(1 − αs) + αs·αb·B(cb, cs)   (premultiplied result)
//! αo = αs + αb·(1 − αs)
//! Co = co / αo                                              (un-premultiplied, rounded)
//! ```
//!
//! with `B = cs` (normal), `cb·cs` (multiply) or `cb + cs − cb·cs` (screen). Where the overlay
//! is fully transparent the base pixel is left exactly as it was.

use crate::Image;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Blend {
    Over,
    Multiply,
    Screen,
}

/// Where an overlay goes when no offset is given: sharp's `gravity`, a side or corner of the
/// base, or its centre. An overlay larger than the base overhangs it (and is clipped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gravity {
    #[default]
    #[serde(alias = "center")]
    Centre,
    North,
    NorthEast,
    East,
    SouthEast,
    South,
    SouthWest,
    West,
    NorthWest,
}

impl Gravity {
    /// A gravity's name (`north`, `northeast`, ...) or sharp's position name for it (`top`,
    /// `right top`, ...), in any case.
    pub fn from_name(name: &str) -> Option<Gravity> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "centre" | "center" => Gravity::Centre,
            "north" | "top" => Gravity::North,
            "northeast" | "right top" | "top right" => Gravity::NorthEast,
            "east" | "right" => Gravity::East,
            "southeast" | "right bottom" | "bottom right" => Gravity::SouthEast,
            "south" | "bottom" => Gravity::South,
            "southwest" | "left bottom" | "bottom left" => Gravity::SouthWest,
            "west" | "left" => Gravity::West,
            "northwest" | "left top" | "top left" => Gravity::NorthWest,
            _ => return None,
        })
    }

    /// The name JSON jobs use for it.
    pub fn name(self) -> &'static str {
        match self {
            Gravity::Centre => "centre",
            Gravity::North => "north",
            Gravity::NorthEast => "northeast",
            Gravity::East => "east",
            Gravity::SouthEast => "southeast",
            Gravity::South => "south",
            Gravity::SouthWest => "southwest",
            Gravity::West => "west",
            Gravity::NorthWest => "northwest",
        }
    }

    /// The top-left corner of a `overlay`-sized image placed on `base` (both width, height).
    /// Centring puts an odd spare pixel before the overlay, `(spare + 1) / 2` with C's division
    /// towards zero, exactly as sharp's `CalculateCrop` does.
    pub fn position(self, base: (u32, u32), overlay: (u32, u32)) -> (i64, i64) {
        let spare_x = i64::from(base.0) - i64::from(overlay.0);
        let spare_y = i64::from(base.1) - i64::from(overlay.1);
        self.place((spare_x, spare_y), ((spare_x + 1) / 2, (spare_y + 1) / 2))
    }

    /// Where an image goes on a larger canvas with `spare` pixels to fill (width, height), as
    /// sharp's `CalculateEmbedPosition` places it: centring puts an odd spare pixel after.
    pub(crate) fn embed(self, (spare_x, spare_y): (u32, u32)) -> (u32, u32) {
        let (x, y) = self.place((spare_x.into(), spare_y.into()), ((spare_x / 2).into(), (spare_y / 2).into()));
        (x as u32, y as u32)
    }

    fn place(self, (spare_x, spare_y): (i64, i64), (mid_x, mid_y): (i64, i64)) -> (i64, i64) {
        match self {
            Gravity::Centre => (mid_x, mid_y),
            Gravity::North => (mid_x, 0),
            Gravity::NorthEast => (spare_x, 0),
            Gravity::East => (spare_x, mid_y),
            Gravity::SouthEast => (spare_x, spare_y),
            Gravity::South => (mid_x, spare_y),
            Gravity::SouthWest => (0, spare_y),
            Gravity::West => (0, mid_y),
            Gravity::NorthWest => (0, 0),
        }
    }
}

/// Draws `overlay` onto `base` with its top-left corner at (`left`, `top`), which may lie
/// outside `base` (the overlay is clipped).
///
/// Any `left`/`top` is accepted (the arithmetic is done in i128, so nothing overflows); an
/// overlay entirely outside `base`, or an image whose buffer does not match its size, leaves
/// `base` unchanged. `base.has_alpha` stays true if it was, and becomes true only if some
/// resulting alpha is below 255 (never the case over an opaque base).
pub fn composite(base: &mut Image, overlay: &Image, left: i64, top: i64, blend: Blend) {
    let (bw, bh) = (i128::from(base.width), i128::from(base.height));
    let (ow, oh) = (i128::from(overlay.width), i128::from(overlay.height));
    if base.pixels.len() as u128 != (bw * bh * 4) as u128 || overlay.pixels.len() as u128 != (ow * oh * 4) as u128 {
        return;
    }
    let (left, top) = (i128::from(left), i128::from(top));
    let (x0, x1) = (left.max(0), (left + ow).min(bw));
    let (y0, y1) = (top.max(0), (top + oh).min(bh));
    if x0 >= x1 || y0 >= y1 {
        return;
    }
    // All within the images now, so they fit in usize.
    let (bw, ow) = (bw as usize, ow as usize);
    let (x0, x1, y0, y1) = (x0 as usize, x1 as usize, y0 as usize, y1 as usize);
    let (ox0, oy0) = ((x0 as i128 - left) as usize, (y0 as i128 - top) as usize);
    let n = (x1 - x0) * 4;

    let mut translucent = false;
    for y in y0..y1 {
        let b = (y * bw + x0) * 4;
        let o = ((oy0 + y - y0) * ow + ox0) * 4;
        let (Some(dst), Some(src)) = (base.pixels.get_mut(b..b + n), overlay.pixels.get(o..o + n)) else {
            return;
        };
        if blend == Blend::Over && !overlay.has_alpha {
            dst.copy_from_slice(src);
            continue;
        }
        translucent |= match blend {
            Blend::Over => blend_row(dst, src, |_, cs| cs),
            Blend::Multiply => blend_row(dst, src, |cb, cs| cb * cs),
            Blend::Screen => blend_row(dst, src, |cb, cs| cb + cs - cb * cs),
        };
    }
    if translucent {
        base.has_alpha = true;
    }
}

/// Composites one row of `src` over `dst` with blend function `f(cb, cs)`; returns whether
/// any resulting alpha is below 255.
#[inline(always)]
fn blend_row(dst: &mut [u8], src: &[u8], f: impl Fn(f32, f32) -> f32) -> bool {
    const INV: f32 = 1.0 / 255.0;
    let mut min_alpha = 255u8;
    for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
        if s[3] == 0 {
            min_alpha = min_alpha.min(d[3]);
            continue;
        }
        let a_s = f32::from(s[3]) * INV;
        let a_b = f32::from(d[3]) * INV;
        let both = a_s * a_b;
        let only_s = a_s - both; // αs·(1 − αb)
        let only_b = a_b - both; // αb·(1 − αs)
        let a_o = a_s + only_b;
        // αo ≥ αs > 0 here.
        let k = 255.0 / a_o;
        for (cd, &cs) in d[..3].iter_mut().zip(&s[..3]) {
            let (cs, cb) = (f32::from(cs) * INV, f32::from(*cd) * INV);
            let co = cs * only_s + cb * only_b + both * f(cb, cs);
            *cd = round_u8(co * k);
        }
        d[3] = round_u8(a_o * 255.0);
        min_alpha = min_alpha.min(d[3]);
    }
    min_alpha < 255
}

/// Rounded to nearest and clamped to 0..=255, branch-free (see `filter::round_clamp`).
#[inline(always)]
fn round_u8(v: f32) -> u8 {
    const MAGIC: f32 = 12_582_912.0;
    let v = if v > 0.0 { v } else { 0.0 };
    let v = if v < 255.0 { v } else { 255.0 };
    ((v + MAGIC).to_bits() as i32 - MAGIC.to_bits() as i32) as u8
}
