//! A whole job from arbitrary bytes: the first byte is the length of a query string in the
//! shared vocabulary (`resize=64x48&fit=cover&format=png`), the rest is the input image. The
//! pixel limit is held at 1 megapixel, whatever the query asks, to keep runs fast.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nearnative_image::pipeline::{parse_steps, run};

fuzz_target!(|data: &[u8]| {
    let Some((&len, rest)) = data.split_first() else { return };
    let len = usize::from(len).min(rest.len());
    let (query, image) = rest.split_at(len);
    let Ok(query) = std::str::from_utf8(query) else { return };
    let pairs = query.split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').unwrap_or((p, "")));
    let Ok((mut job, _)) = parse_steps(pairs) else { return };
    job.limits.max_pixels = job.limits.max_pixels.min(1_000_000);
    if let Ok(output) = run(&job, image, &[]) {
        assert!(!output.bytes.is_empty());
        assert!(output.width as u64 * output.height as u64 <= 1_000_000);
    }
});
