//! Any bytes through `codec::decode` with a 4-megapixel limit: an error is fine, a panic, an
//! abort or an allocation beyond the limit is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nearnative_image::codec::{decode, DecodeOptions};
use nearnative_image::Limits;

fuzz_target!(|data: &[u8]| {
    let options = DecodeOptions { limits: Limits { max_pixels: 4_000_000 }, ..DecodeOptions::default() };
    if let Ok((image, info)) = decode(data, &options) {
        assert_eq!(image.pixels.len(), image.width as usize * image.height as usize * 4);
        assert_eq!((image.width, image.height), (info.width, info.height), "decode size differs from the header");
    }
});
