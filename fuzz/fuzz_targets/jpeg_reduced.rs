//! Decoding with `shrink_to` (the reduced-IDCT JPEG path and its fallbacks): the first four
//! bytes are the target size, the rest the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nearnative_image::codec::{decode, DecodeOptions};
use nearnative_image::Limits;

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let width = u32::from(u16::from_le_bytes([data[0], data[1]])).max(1);
    let height = u32::from(u16::from_le_bytes([data[2], data[3]])).max(1);
    let options = DecodeOptions {
        limits: Limits { max_pixels: 4_000_000 },
        shrink_to: Some((width, height)),
        ..DecodeOptions::default()
    };
    if let Ok((image, _)) = decode(&data[4..], &options) {
        assert_eq!(image.pixels.len(), image.width as usize * image.height as usize * 4);
    }
});
