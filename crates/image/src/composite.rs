//! Alpha compositing of one image onto another with sharp's blend modes, computed as libvips
//! (and so sharp) computes them: values normalised to 0..=1, colour premultiplied by alpha,
//! `A` the overlay pixel and `B` the base pixel under it.
//!
//! The Porter-Duff operators (`clear` to `saturate`) are `colour = Fa·A + Fb·B` with an alpha
//! of their own ([`Blend::porter_duff`]). The PDF separable modes (`multiply` onwards) are
//!
//! ```text
//! colour = (1 − αB)·A + (1 − αA)·B + αA·αB·f(A, B)
//! α      = αA + αB·(1 − αA)
//! ```
//!
//! where libvips applies `f` to the premultiplied values. The W3C formula applies it to the
//! straight ones; the two agree wherever both pixels are opaque, and sharp users get sharp's
//! pixels. The result is un-premultiplied and rounded (libvips truncates, so sharp's bytes can
//! be one lower).

use crate::{alloc_pixels, Image};
use nearnative_core::{Error, Result};

/// sharp's `blend` modes, by sharp's names (`dest-over`, `colour-dodge`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Blend {
    Clear,
    Source,
    Over,
    In,
    Out,
    Atop,
    Dest,
    DestOver,
    DestIn,
    DestOut,
    DestAtop,
    Xor,
    Add,
    Saturate,
    Multiply,
    Screen,
    Overlay,
    Darken,
    Lighten,
    #[serde(alias = "color-dodge")]
    ColourDodge,
    #[serde(alias = "color-burn")]
    ColourBurn,
    HardLight,
    SoftLight,
    Difference,
    Exclusion,
}

impl Blend {
    /// Every mode, in sharp's order.
    pub const ALL: [Blend; 25] = [
        Blend::Clear,
        Blend::Source,
        Blend::Over,
        Blend::In,
        Blend::Out,
        Blend::Atop,
        Blend::Dest,
        Blend::DestOver,
        Blend::DestIn,
        Blend::DestOut,
        Blend::DestAtop,
        Blend::Xor,
        Blend::Add,
        Blend::Saturate,
        Blend::Multiply,
        Blend::Screen,
        Blend::Overlay,
        Blend::Darken,
        Blend::Lighten,
        Blend::ColourDodge,
        Blend::ColourBurn,
        Blend::HardLight,
        Blend::SoftLight,
        Blend::Difference,
        Blend::Exclusion,
    ];

    /// Whether a transparent overlay pixel clears the base pixel under it (to transparent
    /// black) instead of leaving it. These modes clear the base outside the overlay too, as
    /// libvips composites them over the whole base.
    pub fn clears_under_transparent(self) -> bool {
        matches!(self, Blend::Clear | Blend::Source | Blend::In | Blend::Out | Blend::DestIn | Blend::DestAtop)
    }

    /// `(Fa, Fb, α)` of a Porter-Duff operator for overlay alpha `a` and base alpha `b`, as
    /// libvips writes them (its `atop` and `dest-atop` differ from Cairo's); `None` for the
    /// PDF modes.
    #[inline(always)]
    fn porter_duff(self, a: f32, b: f32) -> Option<(f32, f32, f32)> {
        Some(match self {
            Blend::Clear => (0.0, 0.0, 0.0),
            Blend::Source => (1.0, 0.0, a),
            Blend::Over => (1.0, 1.0 - a, a + b * (1.0 - a)),
            Blend::In => (b, 0.0, a * b),
            Blend::Out => (1.0 - b, 0.0, a * (1.0 - b)),
            Blend::Atop => (1.0, 1.0 - a, b),
            Blend::Dest => (0.0, 1.0, b),
            Blend::DestOver => (1.0 - b, 1.0, b + a * (1.0 - b)),
            Blend::DestIn => (0.0, a, a * b),
            Blend::DestOut => (0.0, 1.0 - a, (1.0 - a) * b),
            Blend::DestAtop => (1.0 - b, 1.0, a),
            Blend::Xor => (1.0 - b, 1.0 - a, a + b - 2.0 * a * b),
            Blend::Add => (1.0, 1.0, (a + b).min(1.0)),
            Blend::Saturate => (a.min(1.0 - b), 1.0, (a + b).min(1.0)),
            _ => return None,
        })
    }

    /// The PDF mode's `f(A, B)` on one premultiplied channel (overlay `s`, base `d`).
    #[inline(always)]
    fn separable(self, s: f32, d: f32) -> f32 {
        match self {
            Blend::Multiply => s * d,
            Blend::Screen => s + d - s * d,
            Blend::Overlay if d <= 0.5 => 2.0 * s * d,
            Blend::HardLight if s <= 0.5 => 2.0 * s * d,
            Blend::Overlay | Blend::HardLight => 1.0 - 2.0 * (1.0 - s) * (1.0 - d),
            Blend::Darken => s.min(d),
            Blend::Lighten => s.max(d),
            Blend::ColourDodge if s < 1.0 => (d / (1.0 - s)).min(1.0),
            Blend::ColourDodge => 1.0,
            Blend::ColourBurn if s > 0.0 => 1.0 - ((1.0 - d) / s).min(1.0),
            Blend::ColourBurn => 0.0,
            Blend::SoftLight => {
                if s <= 0.5 {
                    d - (1.0 - 2.0 * s) * d * (1.0 - d)
                } else {
                    let g = if d <= 0.25 { ((16.0 * d - 12.0) * d + 4.0) * d } else { d.sqrt() };
                    d + (2.0 * s - 1.0) * (g - d)
                }
            }
            Blend::Difference => (d - s).abs(),
            Blend::Exclusion => s + d - 2.0 * s * d,
            _ => s,
        }
    }
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
        self.place_in_spare((i64::from(base.0) - i64::from(overlay.0), i64::from(base.1) - i64::from(overlay.1)))
    }

    /// [`Gravity::position`] given the spare pixels (base minus overlay, width and height),
    /// negative where the overlay overhangs.
    pub(crate) fn place_in_spare(self, (spare_x, spare_y): (i64, i64)) -> (i64, i64) {
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
/// outside `base` (the overlay is clipped), blending as `blend` says.
///
/// Any `left`/`top` is accepted (the arithmetic is done in i128, so nothing overflows); an
/// image whose buffer does not match its size leaves `base` unchanged. Outside the overlay
/// the base is left as it was, except by the modes that clear it there
/// ([`Blend::clears_under_transparent`]). `base.has_alpha` stays true if it was, and becomes
/// true only if some resulting alpha is below 255 (never the case for `over` on an opaque
/// base).
pub fn composite(base: &mut Image, overlay: &Image, left: i64, top: i64, blend: Blend) {
    let (bw, bh) = (i128::from(base.width), i128::from(base.height));
    let (ow, oh) = (i128::from(overlay.width), i128::from(overlay.height));
    if base.pixels.len() as u128 != (bw * bh * 4) as u128 || overlay.pixels.len() as u128 != (ow * oh * 4) as u128 {
        return;
    }
    let (left, top) = (i128::from(left), i128::from(top));
    let (x0, x1) = (left.max(0), (left + ow).min(bw));
    let (y0, y1) = (top.max(0), (top + oh).min(bh));
    // The part of the base the overlay covers, empty when it covers none; in the base now, so
    // it fits in usize.
    let (x0, y0) = (x0.min(bw), y0.min(bh));
    let (x1, y1) = (x1.max(x0), y1.max(y0));
    let (bw, ow) = (bw as usize, ow as usize);
    let (x0, x1, y0, y1) = (x0 as usize, x1 as usize, y0 as usize, y1 as usize);
    let mut translucent = false;
    if blend.clears_under_transparent() {
        translucent = clear_outside(base, (x0, x1), (y0, y1));
    }
    if x0 == x1 || y0 == y1 {
        base.has_alpha |= translucent;
        return;
    }
    let (ox0, oy0) = ((x0 as i128 - left) as usize, (y0 as i128 - top) as usize);
    let n = (x1 - x0) * 4;
    for y in y0..y1 {
        let b = (y * bw + x0) * 4;
        let o = ((oy0 + y - y0) * ow + ox0) * 4;
        let (Some(dst), Some(src)) = (base.pixels.get_mut(b..b + n), overlay.pixels.get(o..o + n)) else {
            break;
        };
        translucent |= match blend {
            Blend::Over if !overlay.has_alpha => {
                dst.copy_from_slice(src);
                false
            }
            // The common case gets a loop of its own, with the mode folded in.
            Blend::Over => blend_row(dst, src, |s, d| Blend::Over.mix(s, d), false),
            other => blend_row(dst, src, |s, d| other.mix(s, d), other.clears_under_transparent()),
        };
    }
    base.has_alpha |= translucent;
}

/// sharp's `tile`: `overlay` repeated over a `width`×`height` canvas. As sharp lays it out:
/// enough whole tiles to cover the canvas, an odd number along an axis `gravity` centres (so a
/// tile sits in the middle), and the canvas cut from them at `offset` (as far as the tiles
/// reach) or, without one, where `gravity` places it. An overlay larger than the canvas (sharp
/// refuses one) is one tile, cut the same way.
pub fn tiled(
    overlay: &Image,
    (width, height): (u32, u32),
    gravity: Gravity,
    offset: Option<(i64, i64)>,
) -> Result<Image> {
    let (ow, oh) = (overlay.width, overlay.height);
    if ow == 0 || oh == 0 || overlay.pixels.len() as u64 != u64::from(ow) * u64::from(oh) * 4 {
        return Err(Error::invalid_input(format!("a tiled overlay must have pixels, got {ow}x{oh}")));
    }
    if width == 0 || height == 0 {
        return Err(Error::invalid_input(format!("tiles need a canvas with pixels, got {width}x{height}")));
    }
    let count = |side: u32, tile: u32, centres: bool| {
        let n = side.div_ceil(tile).max(1);
        if centres {
            n | 1
        } else {
            n
        }
    };
    let across = count(width, ow, matches!(gravity, Gravity::Centre | Gravity::North | Gravity::South));
    let down = count(height, oh, matches!(gravity, Gravity::Centre | Gravity::East | Gravity::West));
    let (tiles_w, tiles_h) = (u64::from(across) * u64::from(ow), u64::from(down) * u64::from(oh));
    let (left, top) = match offset {
        Some((x, y)) if x < 0 || y < 0 => {
            return Err(Error::invalid_input(format!("a tiled overlay's left and top must be 0 or more, got {x},{y}")));
        }
        Some((x, y)) => ((x as u64).min(tiles_w - u64::from(width)), (y as u64).min(tiles_h - u64::from(height))),
        None => {
            // Under two tiles spare (at most 2^33), so i64 holds it and the place is in [0, spare].
            let spare = |tiles: u64, side: u32| (tiles - u64::from(side)) as i64;
            let (x, y) = gravity.place_in_spare((spare(tiles_w, width), spare(tiles_h, height)));
            (x as u64, y as u64)
        }
    };
    let mut pixels = alloc_pixels(width, height)?;
    let (row_len, tile_len) = (width as usize * 4, ow as usize * 4);
    let start = (left % u64::from(ow)) as usize * 4;
    for (y, row) in pixels.chunks_exact_mut(row_len).enumerate() {
        if y >= oh as usize {
            continue; // rows repeat every tile height: copied below
        }
        let source_y = ((y as u64 + top) % u64::from(oh)) as usize;
        let source = &overlay.pixels[source_y * tile_len..(source_y + 1) * tile_len];
        // The tile from where the cut starts, wrapped round once; then the row repeats every
        // tile width, so it doubles itself.
        let first = (tile_len - start).min(row_len);
        row[..first].copy_from_slice(&source[start..start + first]);
        let second = (tile_len - first).min(row_len - first);
        row[first..first + second].copy_from_slice(&source[..second]);
        let mut filled = tile_len.min(row_len);
        while filled < row_len {
            let n = filled.min(row_len - filled);
            row.copy_within(..n, filled);
            filled += n;
        }
    }
    let period = oh as usize * row_len;
    for at in (period..pixels.len()).step_by(row_len) {
        pixels.copy_within(at - period..at - period + row_len, at);
    }
    Ok(Image { width, height, has_alpha: overlay.has_alpha, pixels })
}

/// Sets every pixel of `image` outside columns `xs` and rows `ys` to transparent black;
/// returns whether there were any.
fn clear_outside(image: &mut Image, (x0, x1): (usize, usize), (y0, y1): (usize, usize)) -> bool {
    let stride = image.width as usize * 4;
    if stride == 0 {
        return false;
    }
    let mut cleared = false;
    for (y, row) in image.pixels.chunks_exact_mut(stride).enumerate() {
        if (y0..y1).contains(&y) && x0 < x1 {
            let (before, rest) = row.split_at_mut(x0 * 4);
            before.fill(0);
            rest[(x1 - x0) * 4..].fill(0);
            cleared |= x0 > 0 || x1 * 4 < stride;
        } else {
            row.fill(0);
            cleared = true;
        }
    }
    cleared
}

impl Blend {
    /// The premultiplied result (colour and alpha) of overlay pixel `s` on base pixel `d`,
    /// both premultiplied with alpha last, all in 0..=1.
    #[inline(always)]
    fn mix(self, s: [f32; 4], d: [f32; 4]) -> [f32; 4] {
        let (sa, da) = (s[3], d[3]);
        let (fs, fd, alpha, weight) = match self.porter_duff(sa, da) {
            Some((fs, fd, alpha)) => (fs, fd, alpha, 0.0),
            None => (1.0 - da, 1.0 - sa, sa + da * (1.0 - sa), sa * da),
        };
        let colour = |c: usize| fs * s[c] + fd * d[c] + weight * self.separable(s[c], d[c]);
        [colour(0), colour(1), colour(2), alpha]
    }
}

/// Blends one row of `src` onto `dst` with `mix` (see [`Blend::mix`]); returns whether any
/// resulting alpha is below 255. A transparent `src` pixel leaves `dst` as it is, or clears
/// it when `clears`.
#[inline(always)]
fn blend_row(dst: &mut [u8], src: &[u8], mix: impl Fn([f32; 4], [f32; 4]) -> [f32; 4], clears: bool) -> bool {
    const INV: f32 = 1.0 / 255.0;
    let premultiplied = |p: &[u8]| {
        let a = f32::from(p[3]) * INV;
        [f32::from(p[0]) * INV * a, f32::from(p[1]) * INV * a, f32::from(p[2]) * INV * a, a]
    };
    let mut min_alpha = 255u8;
    for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
        if s[3] == 0 {
            if clears {
                d.fill(0);
            }
            min_alpha = min_alpha.min(d[3]);
            continue;
        }
        let out = mix(premultiplied(s), premultiplied(d));
        let alpha = out[3];
        if alpha * 255.0 < 0.5 {
            d.fill(0);
            min_alpha = 0;
            continue;
        }
        let k = 255.0 / alpha;
        for (cd, co) in d[..3].iter_mut().zip(out) {
            *cd = round_u8(co * k);
        }
        d[3] = round_u8(alpha * 255.0);
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
