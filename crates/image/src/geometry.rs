//! Geometry: resize (fast_image_resize, with its wasm32 simd128 path), fit modes as sharp
//! defines them, crop, pad, flips, rotations by right angles and by any angle, and the EXIF
//! orientation.

use fast_image_resize::{self as fir, FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use nearnative_core::{Error, ErrorCode, Result};

use crate::composite::Gravity;
use crate::{alloc_pixels, filter, smartcrop, Image, Limits};

/// Resampling filters, from fastest to sharpest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Filter {
    Nearest,
    Bilinear,
    /// Catmull-Rom.
    Bicubic,
    Mitchell,
    #[default]
    Lanczos3,
}

impl Filter {
    pub fn from_name(name: &str) -> Result<Filter> {
        match name.to_ascii_lowercase().as_str() {
            "nearest" => Ok(Filter::Nearest),
            "bilinear" | "linear" | "triangle" => Ok(Filter::Bilinear),
            "bicubic" | "cubic" | "catmullrom" | "catmull-rom" => Ok(Filter::Bicubic),
            "mitchell" => Ok(Filter::Mitchell),
            "lanczos3" | "lanczos" => Ok(Filter::Lanczos3),
            _ => Err(Error::invalid_input(format!(
                "unknown resize filter '{name}'; use lanczos3, mitchell, bicubic, bilinear or nearest"
            ))),
        }
    }

    pub(crate) fn algorithm(self) -> ResizeAlg {
        match self {
            Filter::Nearest => ResizeAlg::Nearest,
            Filter::Bilinear => ResizeAlg::Convolution(FilterType::Bilinear),
            Filter::Bicubic => ResizeAlg::Convolution(FilterType::CatmullRom),
            Filter::Mitchell => ResizeAlg::Convolution(FilterType::Mitchell),
            Filter::Lanczos3 => ResizeAlg::Convolution(FilterType::Lanczos3),
        }
    }
}

/// How a resize treats a target box of a different aspect ratio (sharp's `fit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fit {
    /// Fill the box exactly, cropping the overflow at the position (default centre).
    #[default]
    Cover,
    /// Fit inside the box and pad the rest with the background colour.
    Contain,
    /// Stretch to the box, ignoring the aspect ratio.
    Fill,
    /// Fit inside the box; the result may be smaller in one dimension.
    Inside,
    /// Cover the box; the result may be larger in one dimension.
    Outside,
}

impl Fit {
    pub fn from_name(name: &str) -> Result<Fit> {
        match name.to_ascii_lowercase().as_str() {
            "cover" => Ok(Fit::Cover),
            "contain" => Ok(Fit::Contain),
            "fill" => Ok(Fit::Fill),
            "inside" => Ok(Fit::Inside),
            "outside" => Ok(Fit::Outside),
            _ => {
                Err(Error::invalid_input(format!("unknown fit '{name}'; use cover, contain, fill, inside or outside")))
            }
        }
    }
}

/// Which part of the image `cover` keeps, and where `contain` places it (sharp's `position`):
/// a side, a corner or the centre, or (for `cover`) a search for the interesting part.
///
/// In JSON jobs it is one name: a gravity (`"north"`, `"right top"`, ...), `"entropy"` or
/// `"attention"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Position {
    Gravity(Gravity),
    /// Cuts away, eight slices at a time, the edge whose colours carry less information
    /// (libvips' `entropy` smartcrop). `contain` centres.
    Entropy,
    /// Centres the cut on the most edges, skin tones and red (libvips'
    /// `attention` smartcrop). `contain` centres.
    Attention,
}

impl Default for Position {
    fn default() -> Position {
        Position::Gravity(Gravity::Centre)
    }
}

impl Position {
    pub const CENTRE: Position = Position::Gravity(Gravity::Centre);

    /// A gravity (`north`, `northeast`, ...), sharp's position names (`top`, `right top`, ...)
    /// or a strategy (`entropy`, `attention`).
    pub fn from_name(name: &str) -> Result<Position> {
        match name.trim().to_ascii_lowercase().as_str() {
            "entropy" => Ok(Position::Entropy),
            "attention" => Ok(Position::Attention),
            _ => Gravity::from_name(name).map(Position::Gravity).ok_or_else(|| {
                Error::invalid_input(format!(
                    "unknown position '{name}'; use centre, north, northeast, east, southeast, south, southwest, west, \
                     northwest (or top, right top, ...), entropy or attention"
                ))
            }),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Position::Gravity(gravity) => gravity.name(),
            Position::Entropy => "entropy",
            Position::Attention => "attention",
        }
    }

    /// The gravity this position places by; the strategies place `contain`'s image centred.
    fn gravity(self) -> Gravity {
        match self {
            Position::Gravity(gravity) => gravity,
            Position::Entropy | Position::Attention => Gravity::Centre,
        }
    }

    /// Cuts the `size` box out of `image`, which holds it, where this position places it;
    /// returns what a strategy found, when one chose the cut.
    fn cut_box(self, image: &mut Image, (width, height): (u32, u32)) -> Result<Option<StrategyCut>> {
        let chosen = |(left, top), focus| ((left, top), Some(StrategyCut { left, top, focus }));
        let ((left, top), strategy) = match self {
            // libvips reports no focus for entropy: sharp's attentionX/Y are 0 there.
            Position::Entropy => chosen(smartcrop::entropy(image, width, height), (0, 0)),
            Position::Attention => {
                let (corner, focus) = smartcrop::attention(image, width, height);
                chosen(corner, focus)
            }
            Position::Gravity(gravity) => {
                let (left, top) = gravity.position((image.width, image.height), (width, height));
                ((left as u32, top as u32), None)
            }
        };
        crop(image, left, top, width, height)?;
        Ok(strategy)
    }
}

/// Where a `cover` resize cut the resized image when a strategy chose the cut (sharp's
/// `info.cropOffsetLeft/Top`, negated, and `attentionX/Y`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StrategyCut {
    pub left: u32,
    pub top: u32,
    /// The centre of attention in the resized image; (0, 0) for `entropy`.
    pub focus: (u32, u32),
}

impl TryFrom<String> for Position {
    type Error = Error;
    fn try_from(name: String) -> Result<Position> {
        Position::from_name(&name)
    }
}

impl From<Position> for String {
    fn from(position: Position) -> String {
        position.name().to_owned()
    }
}

/// A resize request: either side may be omitted to keep the aspect ratio.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Resize {
    pub width: Option<u32>,
    pub height: Option<u32>,
    #[serde(default)]
    pub fit: Fit,
    #[serde(default)]
    pub filter: Filter,
    /// Padding colour for `contain` (RGBA). Default opaque black, as sharp.
    #[serde(default = "opaque_black")]
    pub background: [u8; 4],
    /// Which part `cover` keeps and where `contain` places the image. Default centre.
    #[serde(default)]
    pub position: Position,
    /// Never scale up (sharp's `withoutEnlargement`): where the fit would enlarge the image, it
    /// keeps its size (`fill` decides per axis); `cover` then cuts what exceeds the box and
    /// `contain` pads to it.
    #[serde(default)]
    pub without_enlargement: bool,
    /// Never scale down (sharp's `withoutReduction`); it wins over `without_enlargement`.
    #[serde(default)]
    pub without_reduction: bool,
}

pub(crate) fn opaque_black() -> [u8; 4] {
    [0, 0, 0, 255]
}

impl Resize {
    pub fn new(width: Option<u32>, height: Option<u32>) -> Resize {
        Resize {
            width,
            height,
            fit: Fit::Cover,
            filter: Filter::Lanczos3,
            background: opaque_black(),
            position: Position::CENTRE,
            without_enlargement: false,
            without_reduction: false,
        }
    }

    /// The plan when the scale is refused and the source keeps its size: as sharp does, the
    /// box (a missing side taken from the source) still cuts it (`cover`, at its position) or pads it
    /// (`contain`); the other fits give the source as it is.
    fn kept(&self, (box_w, box_h): (u32, u32), src_w: u32, src_h: u32) -> ResizePlan {
        match self.fit {
            Fit::Cover => {
                let output = (box_w.min(src_w), box_h.min(src_h));
                ResizePlan { output, image: output, cut: None, crop_only: true }
            }
            Fit::Contain => ResizePlan {
                output: (box_w.max(src_w), box_h.max(src_h)),
                image: (src_w, src_h),
                cut: None,
                crop_only: false,
            },
            _ => ResizePlan { output: (src_w, src_h), image: (src_w, src_h), cut: None, crop_only: false },
        }
    }

    /// True when a scale of `ratio` (output over source) is refused, so the source size stays:
    /// libvips' `size` option, which sharp applies to each axis's scale.
    fn keeps_size(&self, ratio: f64) -> bool {
        if self.without_reduction {
            ratio < 1.0
        } else {
            self.without_enlargement && ratio > 1.0
        }
    }

    /// The size of the result for a `src_w`×`src_h` input, and the size the image is scaled to
    /// (smaller for `contain`, which pads it; larger for `cover` by a strategy, which cuts it;
    /// a gravity's `cover` resamples its cut alone, see [`Cut`]).
    pub fn plan(&self, src_w: u32, src_h: u32) -> Result<ResizePlan> {
        let (sw, sh) = (f64::from(src_w), f64::from(src_h));
        let scaled = |v: f64| (v.round() as u64).clamp(1, u64::from(u32::MAX)) as u32;
        let plain = |w, h| ResizePlan { output: (w, h), image: (w, h), cut: None, crop_only: false };
        let (box_w, box_h) = match (self.width, self.height) {
            (None, None) => return Err(Error::invalid_input("resize needs a width, a height or both")),
            (Some(0), _) | (_, Some(0)) => {
                return Err(Error::invalid_input("resize width and height must be at least 1"))
            }
            (Some(w), Some(h)) => (w, h),
            (Some(w), None) if self.keeps_size(f64::from(w) / sw) => return Ok(self.kept((w, src_h), src_w, src_h)),
            (None, Some(h)) if self.keeps_size(f64::from(h) / sh) => return Ok(self.kept((src_w, h), src_w, src_h)),
            (Some(w), None) => (w, scaled(f64::from(w) * sh / sw)),
            (None, Some(h)) => (scaled(f64::from(h) * sw / sh), h),
        };
        if self.width.is_none() || self.height.is_none() {
            return Ok(plain(box_w, box_h));
        }
        let (bw, bh) = (f64::from(box_w), f64::from(box_h));
        let (fit_ratio, cover_ratio) = ((bw / sw).min(bh / sh), (bw / sw).max(bh / sh));
        let (fit_w, fit_h) = (scaled(sw * fit_ratio), scaled(sh * fit_ratio));
        let (cover_w, cover_h) = (scaled(sw * cover_ratio), scaled(sh * cover_ratio));
        Ok(match self.fit {
            Fit::Fill => {
                let w = if self.keeps_size(bw / sw) { src_w } else { box_w };
                let h = if self.keeps_size(bh / sh) { src_h } else { box_h };
                plain(w, h)
            }
            Fit::Cover if self.keeps_size(cover_ratio) => self.kept((box_w, box_h), src_w, src_h),
            // As sharp: the box is cut from the image scaled to cover it (whole pixels) at the
            // position, so even a centred cut starts on a pixel where sharp's does. For a
            // gravity the cut is resampled alone (a crop box over the source), so a tall strip
            // costs the box, not its cover; a strategy must see the covering image to choose.
            Fit::Cover => {
                let cover = (cover_w.max(box_w), cover_h.max(box_h));
                match self.position {
                    _ if cover == (box_w, box_h) => plain(box_w, box_h),
                    Position::Gravity(gravity) => {
                        let (left, top) = gravity.place_in_spare((
                            i64::from(cover.0) - i64::from(box_w),
                            i64::from(cover.1) - i64::from(box_h),
                        ));
                        let cut = Cut { cover, left: left as u32, top: top as u32, size: (box_w, box_h) };
                        ResizePlan { output: (box_w, box_h), image: (box_w, box_h), cut: Some(cut), crop_only: false }
                    }
                    Position::Entropy | Position::Attention => {
                        ResizePlan { output: (box_w, box_h), image: cover, cut: None, crop_only: false }
                    }
                }
            }
            Fit::Contain if self.keeps_size(fit_ratio) => self.kept((box_w, box_h), src_w, src_h),
            Fit::Contain => ResizePlan { output: (box_w, box_h), image: (fit_w, fit_h), cut: None, crop_only: false },
            Fit::Inside if self.keeps_size(fit_ratio) => self.kept((box_w, box_h), src_w, src_h),
            Fit::Inside => plain(fit_w, fit_h),
            Fit::Outside if self.keeps_size(cover_ratio) => self.kept((box_w, box_h), src_w, src_h),
            Fit::Outside => plain(cover_w, cover_h),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResizePlan {
    pub output: (u32, u32),
    pub image: (u32, u32),
    /// `image` is this cut of the source scaled to cover it, resampled alone.
    pub cut: Option<Cut>,
    /// `output` is a cut of the source at the position, not scaled (`cover` that keeps the
    /// source size).
    pub crop_only: bool,
}

/// A `size` box at (`left`, `top`) of the source scaled to `cover` pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    pub cover: (u32, u32),
    pub left: u32,
    pub top: u32,
    pub size: (u32, u32),
}

impl Cut {
    /// The box in a `source`-sized image's coordinates, for fast_image_resize's crop: it maps
    /// output pixels exactly where resampling to `cover` and cutting would put them, and
    /// takes its filter taps from beyond the box as that would.
    pub fn source_box(&self, (source_w, source_h): (u32, u32)) -> (f64, f64, f64, f64) {
        let sx = f64::from(source_w) / f64::from(self.cover.0);
        let sy = f64::from(source_h) / f64::from(self.cover.1);
        (f64::from(self.left) * sx, f64::from(self.top) * sy, f64::from(self.size.0) * sx, f64::from(self.size.1) * sy)
    }
}

impl ResizePlan {
    /// The same plan for the image as stored, which `orientation` turns upright: sizes on
    /// their side for orientations 5–8, and the cut where it lies before the turn.
    pub fn stored(self, orientation: Orientation) -> ResizePlan {
        let side = |(w, h): (u32, u32)| if orientation.swaps_axes() { (h, w) } else { (w, h) };
        ResizePlan {
            output: side(self.output),
            image: side(self.image),
            cut: self.cut.map(|cut| orientation.stored_cut(cut)),
            crop_only: self.crop_only,
        }
    }
}

/// Resizes `image` as `spec` asks. Alpha is handled premultiplied (fast_image_resize's
/// multiply/divide), so transparent pixels never darken their neighbours' edges.
///
/// Returns where a strategy cut (`entropy`, `attention`), when one did.
pub fn resize(image: &mut Image, spec: &Resize, limits: &Limits) -> Result<Option<StrategyCut>> {
    let plan = spec.plan(image.width, image.height)?;
    limits.check(plan.output.0, plan.output.1)?;
    // A strategy's `cover` holds the whole cover-sized image before the cut: a very tall or
    // wide source can make that far larger than the box.
    limits.check(plan.image.0, plan.image.1)?;
    if plan.crop_only {
        return spec.position.cut_box(image, plan.output);
    }
    let (iw, ih) = plan.image;
    if (iw, ih) != (image.width, image.height) || plan.cut.is_some() {
        let mut options = ResizeOptions::new().resize_alg(spec.filter.algorithm()).use_alpha(image.has_alpha);
        if let Some(cut) = plan.cut {
            let (left, top, width, height) = cut.source_box((image.width, image.height));
            options = options.crop(left, top, width, height);
        }
        image.pixels = resampled(image, (iw, ih), &options)?;
        image.width = iw;
        image.height = ih;
    }
    finish_plan(image, &plan, spec, limits)
}

/// `image`'s pixels resampled to `width`×`height` as `options` ask; `image` is left as it was.
pub(crate) fn resampled(image: &Image, (width, height): (u32, u32), options: &ResizeOptions) -> Result<Vec<u8>> {
    let src = fir::images::ImageRef::new(image.width, image.height, &image.pixels, PixelType::U8x4)
        .map_err(|e| internal(format!("resize source: {e}")))?;
    let mut pixels = alloc_pixels(width, height)?;
    let mut dst = fir::images::Image::from_slice_u8(width, height, &mut pixels, PixelType::U8x4)
        .map_err(|e| internal(format!("resize destination: {e}")))?;
    Resizer::new().resize(&src, &mut dst, options).map_err(|e| internal(format!("resize: {e}")))?;
    Ok(pixels)
}

/// Brings the resampled `image` (the plan's `image` size) to the plan's output: cuts the box
/// out of it where a strategy chooses (`cover`) or pads it with the background, the image
/// placed at the position (`contain`). Returns where a strategy cut, when one did.
pub(crate) fn finish_plan(
    image: &mut Image,
    plan: &ResizePlan,
    spec: &Resize,
    limits: &Limits,
) -> Result<Option<StrategyCut>> {
    if plan.output == plan.image {
        return Ok(None);
    }
    let ((ow, oh), (iw, ih)) = (plan.output, plan.image);
    if ow <= iw && oh <= ih {
        return spec.position.cut_box(image, plan.output);
    }
    // sharp embeds with an odd spare pixel after the image (its `CalculateEmbedPosition`),
    // where a cut puts it before.
    let (left, top) = spec.position.gravity().embed((ow - iw, oh - ih));
    let background = spec.background;
    pad(image, Padding { top, left, right: ow - iw - left, bottom: oh - ih - top, background }, limits)?;
    Ok(None)
}

/// Extracts the `width`×`height` region at (`left`, `top`), which must lie inside the image.
pub fn crop(image: &mut Image, left: u32, top: u32, width: u32, height: u32) -> Result<()> {
    let fits = left.checked_add(width).is_some_and(|r| r <= image.width)
        && top.checked_add(height).is_some_and(|b| b <= image.height);
    if width == 0 || height == 0 || !fits {
        return Err(Error::invalid_input(format!(
            "crop {left},{top},{width},{height} does not lie inside the {}x{} image",
            image.width, image.height
        )));
    }
    let mut pixels = alloc_pixels(width, height)?;
    let src_stride = image.width as usize * 4;
    let row_len = width as usize * 4;
    for (y, row) in pixels.chunks_exact_mut(row_len).enumerate() {
        let start = (top as usize + y) * src_stride + left as usize * 4;
        row.copy_from_slice(&image.pixels[start..start + row_len]);
    }
    image.pixels = pixels;
    image.width = width;
    image.height = height;
    Ok(())
}

/// Borders to add around an image (sharp's `extend`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Padding {
    pub top: u32,
    pub right: u32,
    pub bottom: u32,
    pub left: u32,
    #[serde(default = "opaque_black")]
    pub background: [u8; 4],
}

pub fn pad(image: &mut Image, padding: Padding, limits: &Limits) -> Result<()> {
    let too_big = || Error::limit_exceeded("padding makes the image wider or taller than 4294967295 pixels");
    let width = image.width.checked_add(padding.left).and_then(|w| w.checked_add(padding.right)).ok_or_else(too_big)?;
    let height =
        image.height.checked_add(padding.top).and_then(|h| h.checked_add(padding.bottom)).ok_or_else(too_big)?;
    if (width, height) == (image.width, image.height) {
        return Ok(());
    }
    let mut out = Image::filled(width, height, padding.background, limits)?;
    let src_stride = image.width as usize * 4;
    let dst_stride = width as usize * 4;
    for (y, row) in image.pixels.chunks_exact(src_stride).enumerate() {
        let start = (padding.top as usize + y) * dst_stride + padding.left as usize * 4;
        out.pixels[start..start + src_stride].copy_from_slice(row);
    }
    out.has_alpha |= image.has_alpha;
    *image = out;
    Ok(())
}

/// Mirrors left to right (sharp's `flop`).
pub fn flip_horizontal(image: &mut Image) {
    let stride = image.width as usize * 4;
    for row in image.pixels.chunks_exact_mut(stride) {
        row.as_chunks_mut::<4>().0.reverse();
    }
}

/// Mirrors top to bottom (sharp's `flip`).
pub fn flip_vertical(image: &mut Image) {
    let stride = image.width as usize * 4;
    let rows = image.height as usize;
    for y in 0..rows / 2 {
        let (top, bottom) = image.pixels.split_at_mut((rows - 1 - y) * stride);
        top[y * stride..(y + 1) * stride].swap_with_slice(&mut bottom[..stride]);
    }
}

/// Rotates by a multiple of 90 degrees clockwise (negative angles turn anticlockwise).
pub fn rotate_right_angle(image: &mut Image, quarter_turns: i32) -> Result<()> {
    match quarter_turns.rem_euclid(4) {
        0 => Ok(()),
        2 => {
            image.pixels.as_chunks_mut::<4>().0.reverse();
            Ok(())
        }
        turns => {
            let (w, h) = (image.width as usize, image.height as usize);
            let mut out = alloc_pixels(image.height, image.width)?;
            // Destination is h wide and w tall. Walk the source in tiles so both sides stay in cache.
            const TILE: usize = 32;
            for ty in (0..h).step_by(TILE) {
                for tx in (0..w).step_by(TILE) {
                    for y in ty..(ty + TILE).min(h) {
                        for x in tx..(tx + TILE).min(w) {
                            let (dx, dy) = if turns == 1 { (h - 1 - y, x) } else { (y, w - 1 - x) };
                            let s = (y * w + x) * 4;
                            let d = (dy * h + dx) * 4;
                            out[d..d + 4].copy_from_slice(&image.pixels[s..s + 4]);
                        }
                    }
                }
            }
            image.pixels = out;
            std::mem::swap(&mut image.width, &mut image.height);
            Ok(())
        }
    }
}

/// Rotates clockwise by any angle in degrees. Right angles are exact; other angles enlarge
/// the canvas to the rotated bounding box, sample bilinearly (premultiplied) and fill the
/// corners with `background`.
pub fn rotate(image: &mut Image, degrees: f32, background: [u8; 4], limits: &Limits) -> Result<()> {
    if !degrees.is_finite() {
        return Err(Error::invalid_input(format!("rotation angle must be a finite number of degrees, got {degrees}")));
    }
    let normalised = degrees.rem_euclid(360.0);
    if normalised % 90.0 == 0.0 {
        return rotate_right_angle(image, (normalised / 90.0) as i32);
    }
    let theta = f64::from(normalised).to_radians();
    let (sin, cos) = theta.sin_cos();
    let (sw, sh) = (f64::from(image.width), f64::from(image.height));
    let dw = (sw * cos.abs() + sh * sin.abs()).round().max(1.0);
    let dh = (sw * sin.abs() + sh * cos.abs()).round().max(1.0);
    if dw > f64::from(u32::MAX) || dh > f64::from(u32::MAX) {
        return Err(Error::limit_exceeded("the rotated image would be too large"));
    }
    let (dw, dh) = (dw as u32, dh as u32);
    limits.check(dw, dh)?;
    let mut out = alloc_pixels(dw, dh)?;
    let (scx, scy) = (sw / 2.0, sh / 2.0);
    let (dcx, dcy) = (f64::from(dw) / 2.0, f64::from(dh) / 2.0);
    let bg = premultiply(background);
    let src = &image.pixels;
    let (iw, ih) = (image.width as i64, image.height as i64);
    let fetch = |x: i64, y: i64| -> [f32; 4] {
        if x < 0 || y < 0 || x >= iw || y >= ih {
            bg
        } else {
            let i = ((y * iw + x) * 4) as usize;
            premultiply([src[i], src[i + 1], src[i + 2], src[i + 3]])
        }
    };
    for (y, row) in out.chunks_exact_mut(dw as usize * 4).enumerate() {
        let ry = y as f64 + 0.5 - dcy;
        for (x, px) in row.chunks_exact_mut(4).enumerate() {
            let rx = x as f64 + 0.5 - dcx;
            // Inverse rotation maps the destination pixel centre back into the source.
            let sx = rx * cos + ry * sin + scx - 0.5;
            let sy = -rx * sin + ry * cos + scy - 0.5;
            let (x0, y0) = (sx.floor(), sy.floor());
            let (fx, fy) = ((sx - x0) as f32, (sy - y0) as f32);
            let (x0, y0) = (x0 as i64, y0 as i64);
            let (a, b, c, d) = (fetch(x0, y0), fetch(x0 + 1, y0), fetch(x0, y0 + 1), fetch(x0 + 1, y0 + 1));
            let mut v = [0f32; 4];
            for ch in 0..4 {
                let top = a[ch] + (b[ch] - a[ch]) * fx;
                let bottom = c[ch] + (d[ch] - c[ch]) * fx;
                v[ch] = top + (bottom - top) * fy;
            }
            px.copy_from_slice(&unpremultiply(v));
        }
    }
    image.pixels = out;
    image.width = dw;
    image.height = dh;
    image.has_alpha |= background[3] != 255;
    Ok(())
}

fn premultiply(p: [u8; 4]) -> [f32; 4] {
    let a = f32::from(p[3]) / 255.0;
    [f32::from(p[0]) * a, f32::from(p[1]) * a, f32::from(p[2]) * a, f32::from(p[3])]
}

fn unpremultiply(v: [f32; 4]) -> [u8; 4] {
    let alpha = v[3];
    if alpha <= 0.0 {
        return [0, 0, 0, 0];
    }
    let scale = 255.0 / alpha;
    let channel = |c: f32| (c * scale).round().clamp(0.0, 255.0) as u8;
    [channel(v[0]), channel(v[1]), channel(v[2]), alpha.round().clamp(0.0, 255.0) as u8]
}

/// The EXIF orientation tag's eight cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Orientation(u8);

impl Orientation {
    pub const UPRIGHT: Orientation = Orientation(1);

    /// Tag values outside 1..=8 are treated as upright, as browsers do.
    pub fn from_exif(tag: u8) -> Orientation {
        if (1..=8).contains(&tag) {
            Orientation(tag)
        } else {
            Orientation::UPRIGHT
        }
    }

    /// Orientations 5–8 store the image on its side.
    pub fn swaps_axes(self) -> bool {
        self.0 >= 5
    }

    /// Where an upright `cut` lies in the stored image, which [`orient`] turns upright.
    pub fn stored_cut(self, cut: Cut) -> Cut {
        let Cut { cover: (cw, ch), left: l, top: t, size: (w, h) } = cut;
        // The far-side offsets: what a flip makes of the left and top.
        let (r, b) = (cw - l - w, ch - t - h);
        let ((left, top), sideways) = match self.0 {
            2 => ((r, t), false),
            3 => ((r, b), false),
            4 => ((l, b), false),
            5 => ((t, l), true),
            6 => ((t, r), true),
            7 => ((b, r), true),
            8 => ((b, l), true),
            _ => ((l, t), false),
        };
        let (cover, size) = if sideways { ((ch, cw), (h, w)) } else { ((cw, ch), (w, h)) };
        Cut { cover, left, top, size }
    }
}

/// Turns a stored image upright according to its EXIF orientation.
pub fn orient(image: &mut Image, orientation: Orientation) -> Result<()> {
    match orientation.0 {
        2 => flip_horizontal(image),
        3 => rotate_right_angle(image, 2)?,
        4 => flip_vertical(image),
        5 => {
            rotate_right_angle(image, 1)?;
            flip_horizontal(image);
        }
        6 => rotate_right_angle(image, 1)?,
        7 => {
            rotate_right_angle(image, 3)?;
            flip_horizontal(image);
        }
        8 => rotate_right_angle(image, 3)?,
        _ => {}
    }
    Ok(())
}

/// A bug, not bad input: an invariant of ours that a library refused.
pub(crate) fn internal(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::Internal, message)
}

/// What [`trim`] cuts away (sharp's `trim` options).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trim {
    /// The border colour (RGBA; the alpha is the border's alpha); None takes the top-left
    /// pixel's.
    #[serde(default)]
    pub background: Option<[u8; 4]>,
    /// How far (per channel, 0–255) a value may lie from the border colour and still be border.
    #[serde(default = "default_trim_threshold")]
    pub threshold: f32,
    /// Compare every pixel as it is, without the 3×3 median that keeps noise and JPEG ringing
    /// from counting as content.
    #[serde(default)]
    pub line_art: bool,
    /// Pixels of border to keep around what remains.
    #[serde(default)]
    pub margin: u32,
}

fn default_trim_threshold() -> f32 {
    10.0
}

impl Default for Trim {
    fn default() -> Trim {
        Trim { background: None, threshold: default_trim_threshold(), line_art: false, margin: 0 }
    }
}

/// Cuts away a border of one colour, as sharp's `trim` (libvips' `find_trim`): the box keeps
/// every pixel whose colour (over the border colour, when it has alpha), after a 3×3 median
/// unless `line_art`, differs from the border's by more than `threshold` in some channel; with
/// alpha, it also keeps every pixel whose alpha so differs from the border's. An image that is
/// all border is left as it is.
///
/// Returns the kept box's top-left corner in the image before (sharp's
/// `info.trimOffsetLeft/Top`, negated); (0, 0) when nothing was cut.
pub fn trim(image: &mut Image, options: &Trim) -> Result<(u32, u32)> {
    let (w, h) = (image.width as usize, image.height as usize);
    if w < 3 && h < 3 {
        return Err(Error::invalid_input(format!("trim needs an image of at least 3x3 pixels, got {w}x{h}")));
    }
    if !(options.threshold.is_finite() && options.threshold >= 0.0) {
        return Err(Error::invalid_input(format!("trim threshold must be a number >= 0, got {}", options.threshold)));
    }
    let border = match options.background {
        Some(colour) => colour,
        None => image.pixels.first_chunk::<4>().copied().unwrap_or([0; 4]),
    };
    let threshold = f64::from(options.threshold);
    let differs = |v: u8, b: u8| (f64::from(v) - f64::from(b)).abs() > threshold;

    // Colour, over the border colour where there is alpha (as libvips flattens first).
    let mut probe = Image {
        width: image.width,
        height: image.height,
        pixels: alloc_pixels(image.width, image.height)?,
        has_alpha: false,
    };
    for (p, s) in probe.pixels.as_chunks_mut::<4>().0.iter_mut().zip(image.pixels.as_chunks::<4>().0) {
        let a = u32::from(s[3]);
        let over = |c: u8, b: u8| ((u32::from(c) * a + u32::from(b) * (255 - a) + 127) / 255) as u8;
        *p = if image.has_alpha {
            [over(s[0], border[0]), over(s[1], border[1]), over(s[2], border[2]), 255]
        } else {
            *s
        };
    }
    let colour_box = content_box(&mut probe, options.line_art, |p| {
        differs(p[0], border[0]) || differs(p[1], border[1]) || differs(p[2], border[2])
    })?;
    let found = if image.has_alpha {
        for (p, s) in probe.pixels.as_chunks_mut::<4>().0.iter_mut().zip(image.pixels.as_chunks::<4>().0) {
            *p = [s[3], s[3], s[3], 255];
        }
        let alpha_box = content_box(&mut probe, options.line_art, |p| differs(p[0], border[3]))?;
        match (colour_box, alpha_box) {
            (Some(c), Some(a)) => Some(c.union(a)),
            (c, a) => a.or(c),
        }
    } else {
        colour_box
    };
    drop(probe);
    let Some(found) = found else { return Ok((0, 0)) };
    let m = options.margin;
    let left = found.left.saturating_sub(m);
    let top = found.top.saturating_sub(m);
    let width = (found.width.saturating_add(2 * m.min(u32::MAX / 2))).min(image.width - left);
    let height = (found.height.saturating_add(2 * m.min(u32::MAX / 2))).min(image.height - top);
    crop(image, left, top, width, height)?;
    Ok((left, top))
}

/// A rectangle of an image: left, top, width, height (never empty).
#[derive(Clone, Copy)]
struct Rect {
    left: u32,
    top: u32,
    width: u32,
    height: u32,
}

impl Rect {
    fn union(self, other: Rect) -> Rect {
        let left = self.left.min(other.left);
        let top = self.top.min(other.top);
        let right = (self.left + self.width).max(other.left + other.width);
        let bottom = (self.top + self.height).max(other.top + other.height);
        Rect { left, top, width: right - left, height: bottom - top }
    }
}

/// The smallest rectangle holding every pixel of `probe` (median-filtered first unless
/// `line_art`) for which `content` is true; None when there is none.
fn content_box(probe: &mut Image, line_art: bool, content: impl Fn(&[u8; 4]) -> bool) -> Result<Option<Rect>> {
    if !line_art {
        filter::median3(probe)?;
    }
    let w = probe.width as usize;
    let (mut left, mut right, mut top, mut bottom) = (usize::MAX, 0, usize::MAX, 0);
    for (y, row) in probe.pixels.chunks_exact(w * 4).enumerate() {
        let row = row.as_chunks::<4>().0;
        let Some(first) = row.iter().position(&content) else { continue };
        let last = row.iter().rposition(&content).unwrap_or(first);
        left = left.min(first);
        right = right.max(last + 1);
        top = top.min(y);
        bottom = y + 1;
    }
    Ok((left < right).then(|| Rect {
        left: left as u32,
        top: top as u32,
        width: (right - left) as u32,
        height: (bottom - top) as u32,
    }))
}
