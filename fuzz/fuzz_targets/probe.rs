//! Any bytes through `codec::probe`: header parsing must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(info) = nearnative_image::codec::probe(data) {
        assert!((1..=8).contains(&info.orientation), "orientation {}", info.orientation);
    }
});
