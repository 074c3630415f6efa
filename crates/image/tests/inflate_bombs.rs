//! Chunks that inflate far beyond their size must not be inflated past what is used: the colour
//! profile only up to the largest one converted (256 KiB), the text never, so a decoder stays
//! within the pixels' memory whatever the chunk says. One test in this binary, so no other
//! test's allocations count in its peak.

mod peak;
mod support;

use nearnative_image::codec::{decode, probe, DecodeOptions};
use peak::peak_of;
use support::{one_row_png, png_chunk};

const MIB: usize = 1 << 20;

/// A 1×1 RGB PNG carrying a colour profile (iCCP; the png crate would inflate it whole) and a
/// compressed text (zTXt; kept compressed by png 0.18) chunk, each 64 MiB of zeros deflated to
/// about 64 KiB.
fn png_with_bombs() -> Vec<u8> {
    let zeros = miniz_oxide::deflate::compress_to_vec_zlib(&vec![0u8; 64 * MIB], 9);
    let iccp = png_chunk(b"iCCP", &[b"sRGB\0\0".as_slice(), &zeros].concat());
    let ztxt = png_chunk(b"zTXt", &[b"Comment\0\0".as_slice(), &zeros].concat());
    one_row_png(2, &[10, 20, 30], &[iccp, ztxt].concat())
}

#[test]
fn a_png_profile_or_text_bomb_is_not_inflated_past_what_is_used() {
    let png = png_with_bombs();
    let (info, peak) = peak_of(|| probe(&png));
    let info = info.unwrap();
    assert_eq!((info.width, info.height), (1, 1));
    assert!(peak < 4 * MIB, "probing held {peak} bytes");
    let (decoded, peak) = peak_of(|| decode(&png, &DecodeOptions::default()));
    let (image, _) = decoded.unwrap();
    assert_eq!(image.pixels, [10, 20, 30, 255]);
    assert!(peak < 4 * MIB, "decoding held {peak} bytes");
}
