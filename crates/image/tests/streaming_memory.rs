//! Peak heap of a resize job, counted by a global allocator: a first resize must hold rows,
//! not the full-size image. One test in this binary, so no other test's allocations count.

mod peak;

use nearnative_image::codec::{encode, EncodeOptions, Format};
use nearnative_image::pipeline::{parse_steps, run, Target};
use nearnative_image::Image;
use peak::peak_of;

fn photo(width: u32, height: u32) -> Image {
    let mut pixels = Vec::with_capacity((width * height * 4) as usize);
    for y in 0..height {
        for x in 0..width {
            let grain = ((x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 9) as u8 & 15;
            pixels.extend_from_slice(&[(x * 255 / width) as u8 ^ grain, (y * 255 / height) as u8, grain * 9, 255]);
        }
    }
    Image { width, height, pixels, has_alpha: false }
}

const MIB: usize = 1 << 20;

#[test]
fn a_first_resize_holds_rows_not_the_image() {
    let (width, height) = (3000, 2000);
    let full_rgba = (width * height * 4) as usize; // 22.9 MiB
    let image = photo(width, height);
    let png = encode(&image, &EncodeOptions::new(Format::Png)).unwrap();
    let jpeg = encode(&image, &EncodeOptions { quality: 90, ..EncodeOptions::new(Format::Jpeg) }).unwrap();
    drop(image);
    let job = |query: &str| {
        let pairs: Vec<(&str, &str)> = query.split('&').map(|p| p.split_once('=').unwrap_or((p, ""))).collect();
        let (mut job, _) = parse_steps(pairs).unwrap();
        job.target = Target::RAW_RGBA8;
        job
    };
    let check = |name: &str, file: &[u8], query: &str| {
        let (output, peak) = peak_of(|| run(&job(query), file, &[]).unwrap());
        let wanted: u32 = query["resize=".len()..].split('x').next().unwrap().parse().unwrap();
        assert_eq!(output.width, wanted, "{name}");
        peak
    };
    let mib = |bytes: usize| bytes as f64 / MIB as f64;
    // Row by row: one band (16 filter reaches of rows at this 10:1 shrink, 6 MiB), the
    // decoder's rows and the output.
    let png_rows = check("PNG -> 300 px", &png, "resize=300x");
    // Reduced IDCT at 1/8: the input's size no longer matters.
    let jpeg_small = check("JPEG -> 300 px", &jpeg, "resize=300x");
    // Full-size decode kept in the stored RGB (17.2 MiB), never widened to RGBA, beside the
    // 2000x1333 output (10.2 MiB) and one band: the whole-image path held the RGBA (22.9
    // MiB), a 2000x2000 intermediate (15.3 MiB) and the output.
    let jpeg_large = check("JPEG -> 2000 px", &jpeg, "resize=2000x");
    // A nearest-neighbour resize decodes the whole image: the counter must see it.
    let png_whole = check("PNG -> 300 px nearest", &png, "resize=300x&filter=nearest");
    let report = format!(
        "peaks: PNG rows {:.1} MiB, JPEG 1/8 {:.1} MiB, JPEG full {:.1} MiB, PNG whole {:.1} MiB; full RGBA {:.1} MiB",
        mib(png_rows),
        mib(jpeg_small),
        mib(jpeg_large),
        mib(png_whole),
        mib(full_rgba)
    );
    assert!(png_whole > full_rgba, "{report}");
    assert!(png_rows < 10 * MIB, "{report}");
    assert!(jpeg_small < 4 * MIB, "{report}");
    let (stored_rgb, output_rgba) = (full_rgba * 3 / 4, 2000 * 1333 * 4);
    assert!(jpeg_large < stored_rgb + output_rgba + 10 * MIB, "{report}");
    eprintln!("{report}");
}
