//! Round trips and the step vocabulary through the public API.

mod support;

use nearnative_core::ErrorCode;
use nearnative_image::codec::{encode, EncodeOptions, Format};
use nearnative_image::geometry::Padding;
use nearnative_image::pipeline::{parse_steps, run, run_image, run_in_place, Job, RawLayout, Step, Target};
use nearnative_image::{Image, Limits};
use support::{crc32, one_row_png, png_chunk, psnr};

fn gradient(width: u32, height: u32, alpha: bool) -> Image {
    let mut pixels = Vec::with_capacity((width * height * 4) as usize);
    for y in 0..height {
        for x in 0..width {
            let a = if alpha { ((x + y) % 256) as u8 } else { 255 };
            pixels.extend_from_slice(&[(x * 255 / width.max(1)) as u8, (y * 255 / height.max(1)) as u8, 128, a]);
        }
    }
    Image { width, height, pixels, has_alpha: alpha }
}

/// An opaque `gradient` as a q92 JPEG.
fn gradient_jpeg(width: u32, height: u32) -> Vec<u8> {
    let options = EncodeOptions { quality: 92, ..EncodeOptions::new(Format::Jpeg) };
    encode(&gradient(width, height, false), &options).unwrap()
}

fn raw_job(query: &str) -> Job {
    let pairs: Vec<(&str, &str)> = query.split('&').map(|p| p.split_once('=').unwrap_or((p, ""))).collect();
    let (mut job, _) = parse_steps(pairs).unwrap();
    job.target = Target::RAW_RGBA8;
    job
}

#[test]
fn lossless_formats_round_trip_exactly() {
    for alpha in [false, true] {
        let image = gradient(37, 23, alpha);
        for format in [Format::Png, Format::Webp, Format::Qoi, Format::Bmp] {
            let bytes =
                encode(&image, &EncodeOptions { quality: EncodeOptions::LOSSLESS, ..EncodeOptions::new(format) })
                    .unwrap();
            let out = run(&raw_job("flip=v&flip=v"), &bytes, &[]).unwrap();
            assert_eq!((out.width, out.height), (37, 23), "{format:?}");
            assert_eq!(out.bytes, image.pixels, "{format:?} alpha={alpha}");
            assert_eq!(out.input.unwrap().format, format);
        }
    }
}

/// The widest lossless WebP the format allows (16384 = 14 bits of `width - 1`) reads back.
#[test]
fn lossless_webp_round_trips_at_the_formats_widest() {
    for (width, height) in [(16384, 2), (2, 16384)] {
        let image = gradient(width, height, true);
        let options = EncodeOptions { quality: EncodeOptions::LOSSLESS, ..EncodeOptions::new(Format::Webp) };
        let bytes = encode(&image, &options).unwrap();
        let out = run(&raw_job("flip=h&flip=h"), &bytes, &[]).unwrap();
        assert_eq!((out.width, out.height), (width, height));
        assert!(out.bytes == image.pixels, "{width}x{height} differs after the round trip");
    }
}

/// GIF keeps one transparent index: alpha below 128 becomes transparent, the rest opaque in its
/// own colour, as libvips (sharp) writes it.
#[test]
fn gif_thresholds_alpha_at_half() {
    let alphas = [0u8, 1, 64, 127, 128, 200, 255];
    let pixels = alphas.iter().flat_map(|&a| [200, 40, 10, a]).collect();
    let image = Image { width: alphas.len() as u32, height: 1, pixels, has_alpha: true };
    let bytes = encode(&image, &EncodeOptions::new(Format::Gif)).unwrap();
    let out = run(&raw_job("flip=h&flip=h"), &bytes, &[]).unwrap();
    for (pixel, &alpha) in out.bytes.chunks(4).zip(&alphas) {
        if alpha < 128 {
            assert_eq!(pixel[3], 0, "alpha {alpha}");
        } else {
            assert_eq!(pixel, [200, 40, 10, 255], "alpha {alpha}");
        }
    }
}

#[test]
fn jpeg_round_trip_is_close_and_shrinks_on_load() {
    let image = gradient(640, 480, false);
    let bytes = encode(&image, &EncodeOptions { quality: 95, ..EncodeOptions::new(Format::Jpeg) }).unwrap();
    let out = run(&raw_job("brightness=1"), &bytes, &[]).unwrap();
    let worst = out.bytes.iter().zip(&image.pixels).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
    assert!(worst <= 12, "worst channel error {worst}");
    let small = run(&raw_job("resize=80x"), &bytes, &[]).unwrap();
    assert_eq!((small.width, small.height), (80, 60));

    // An 8x shrink decodes at 1/4, not 1/8 (sharp's rule): the last factor of two is Lanczos,
    // so the result stays close to resizing the full decode.
    let mut grainy = gradient(640, 480, false);
    grainy.pixels.iter_mut().enumerate().for_each(|(i, v)| *v ^= ((i as u32).wrapping_mul(2_654_435_761) >> 27) as u8);
    let bytes = encode(&grainy, &EncodeOptions { quality: 95, ..EncodeOptions::new(Format::Jpeg) }).unwrap();
    let reduced = run(&raw_job("resize=80x"), &bytes, &[]).unwrap();
    let mut full_job = raw_job("resize=80x");
    full_job.shrink_on_load = false;
    let full = run(&full_job, &bytes, &[]).unwrap();
    let db = psnr(&reduced.bytes, &full.bytes);
    assert!(db > 49.0, "8x shrink-on-load is {db:.1} dB from the full decode");
}

#[test]
fn fit_modes_follow_sharp() {
    let bytes = encode(&gradient(400, 200, false), &EncodeOptions::new(Format::Png)).unwrap();
    for (query, size) in [
        ("resize=100x100&fit=cover", (100, 100)),
        ("resize=100x100&fit=contain", (100, 100)),
        ("resize=100x100&fit=fill", (100, 100)),
        ("resize=100x100&fit=inside", (100, 50)),
        ("resize=100x100&fit=outside", (200, 100)),
        ("resize=100x", (100, 50)),
        ("resize=x50", (100, 50)),
        ("rotate=90", (200, 400)),
        ("crop=10,20,30,40", (30, 40)),
        ("pad=1,2,3,4", (406, 204)),
    ] {
        let out = run(&raw_job(query), &bytes, &[]).unwrap();
        assert_eq!((out.width, out.height), size, "{query}");
    }
}

/// sharp's `position`: `cover` cuts the box from the image scaled to cover it at sharp's
/// `CalculateCrop` offsets (an odd spare pixel before a centred cut); `contain` pads at its
/// `CalculateEmbedPosition` (an odd spare pixel after).
#[test]
fn positions_cut_and_pad_where_sharp_does() {
    let bytes = encode(&gradient(400, 200, false), &EncodeOptions::new(Format::Png)).unwrap();
    let outside = run(&raw_job("resize=101x101&fit=outside"), &bytes, &[]).unwrap();
    assert_eq!((outside.width, outside.height), (202, 101));
    let cut = |left: usize| -> Vec<u8> {
        outside.bytes.chunks_exact(202 * 4).flat_map(|row| row[left * 4..(left + 101) * 4].to_vec()).collect()
    };
    for (position, left) in
        [("north", 51), ("top", 51), ("east", 101), ("right top", 101), ("west", 0), ("left bottom", 0)]
    {
        let out = run(&raw_job(&format!("resize=101x101&position={position}")), &bytes, &[]).unwrap();
        assert!(out.bytes == cut(left), "position={position} is not the cover-sized image cut at {left}");
    }
    for (position, (left, top)) in [("south", (0, 11)), ("northeast", (0, 0)), ("centre", (0, 5)), ("entropy", (0, 5))]
    {
        let out =
            run(&raw_job(&format!("resize=100x61&fit=contain&background=ff0000&position={position}")), &bytes, &[])
                .unwrap();
        let red_rows =
            |from: usize, to: usize| out.bytes[from * 400..to * 400].chunks_exact(4).all(|px| px == [255, 0, 0, 255]);
        assert!(
            red_rows(0, top) && red_rows(top + 50, 61) && !red_rows(top, top + 1),
            "position={position}: {left},{top}"
        );
    }
    // A tall, narrow source: a gravity's cut is resampled alone, so it costs the box (here
    // 400 x 400 of a 400 x 160 000 cover), streamed or not; a strategy must score the whole
    // cover-sized image (4000 x 1.6 million): over the pixel limit, a clear error before any
    // allocation.
    let tall = encode(&gradient(10, 4000, false), &EncodeOptions::new(Format::Png)).unwrap();
    for first in ["", "flip=h&"] {
        for position in ["west", "centre", "south"] {
            let out = run(&raw_job(&format!("{first}resize=400x400&position={position}")), &tall, &[]).unwrap();
            assert_eq!((out.width, out.height), (400, 400), "{first}{position}");
        }
        let err = run(&raw_job(&format!("{first}resize=4000x4000&position=entropy")), &tall, &[]).unwrap_err();
        assert_eq!(err.code(), ErrorCode::LimitExceeded, "{first}: {err}");
    }
    let err = parse_steps([("resize", "10x10"), ("position", "middle")]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.message().contains("unknown position 'middle'"), "{err}");
}

/// sharp's `withoutEnlargement`/`withoutReduction` (its `ResolveShrink`: each axis's scale
/// clamped, then `cover` cuts and `contain` pads) on a 100x80 source, natively and streamed
/// (PNG input) alike; a kept `cover` is a centred cut, odd leftovers putting the extra pixel
/// before, as sharp's `CalculateCrop`.
#[test]
fn without_enlargement_and_reduction_follow_sharp() {
    let source = gradient(100, 80, false);
    let bytes = encode(&source, &EncodeOptions::new(Format::Png)).unwrap();
    let cut = |left: u32, top: u32, width: u32, height: u32| {
        let mut image = source.clone();
        nearnative_image::geometry::crop(&mut image, left, top, width, height).unwrap();
        image.pixels
    };
    let enlarge = "without-enlargement";
    let reduce = "without-reduction";
    for (query, size, pixels) in [
        (format!("resize=200x150&{enlarge}"), (100, 80), Some(source.pixels.clone())),
        (format!("resize=120x50&{enlarge}"), (100, 50), Some(cut(0, 15, 100, 50))),
        (format!("resize=121x51&{enlarge}"), (100, 51), Some(cut(0, 15, 100, 51))),
        (format!("resize=50x40&{enlarge}"), (50, 40), None),
        (format!("resize=200x150&fit=contain&{enlarge}"), (200, 150), None),
        (format!("resize=200x40&fit=contain&{enlarge}"), (200, 40), None),
        (format!("resize=200x150&fit=inside&{enlarge}"), (100, 80), Some(source.pixels.clone())),
        (format!("resize=200x40&fit=inside&{enlarge}"), (50, 40), None),
        (format!("resize=200x40&fit=outside&{enlarge}"), (100, 80), Some(source.pixels.clone())),
        (format!("resize=200x40&fit=fill&{enlarge}"), (100, 40), None),
        (format!("resize=200x&{enlarge}"), (100, 80), Some(source.pixels.clone())),
        // One side given: the other comes from the kept source, and the given one still cuts or pads.
        (format!("resize=50x&{reduce}"), (50, 80), Some(cut(25, 0, 50, 80))),
        (format!("resize=x40&{reduce}"), (100, 40), Some(cut(0, 20, 100, 40))),
        (format!("resize=200x&fit=contain&{enlarge}"), (200, 80), None),
        (format!("resize=200x&fit=inside&{enlarge}"), (100, 80), Some(source.pixels.clone())),
        (format!("resize=x40&{enlarge}"), (50, 40), None),
        (format!("resize=50x40&{reduce}"), (50, 40), Some(cut(25, 20, 50, 40))),
        (format!("resize=50x50&fit=contain&{reduce}"), (100, 80), Some(source.pixels.clone())),
        (format!("resize=200x150&{reduce}"), (200, 150), None),
        (format!("resize=50x40&{reduce}&{enlarge}"), (50, 40), Some(cut(25, 20, 50, 40))),
    ] {
        let from_png = run(&raw_job(&query), &bytes, &[]).unwrap();
        assert_eq!((from_png.width, from_png.height), size, "{query}");
        let from_pixels = run_image(&raw_job(&query), source.clone(), true, &[]).unwrap();
        assert_eq!(from_pixels.bytes, from_png.bytes, "{query}: streamed and whole-image paths agree");
        if let Some(pixels) = pixels {
            assert_eq!(from_png.bytes, pixels, "{query}: the source, not resampled");
        }
    }
    // Contain pads the kept source in the middle of the box.
    let out = run(&raw_job(&format!("resize=200x150&fit=contain&background=ff0000&{enlarge}")), &bytes, &[]).unwrap();
    let at = |x: usize, y: usize| &out.bytes[(y * 200 + x) * 4..][..4];
    assert_eq!(at(49, 34), [255, 0, 0, 255]);
    assert_eq!(at(50, 35), &source.pixels[..4]);
}

/// Values a kernel would refuse fail while parsing (a CLI exits 2 before reading any image),
/// with the step's name in the message; size-dependent steps wait for the image.
#[test]
fn bad_step_values_fail_while_parsing() {
    for (name, value, says) in [
        ("blur", "0", "blur sigma"),
        ("blur", "-1", "blur sigma"),
        ("sharpen", "0", "sharpen sigma"),
        ("sharpen", "1,-5", "sharpen amount"),
        ("gamma", "0", "gamma"),
        ("contrast", "-1", "contrast"),
        ("saturate", "-1", "saturat"),
        ("box-blur", "100000", "box blur radius"),
        ("max-pixels", "0", "above 0"),
        // One number where one is asked for, and a number too large for a float is named so.
        ("quality", "-1", "expected a whole number, 0 or more"),
        ("threshold", "1e9", "expected a whole number, 0 or more"),
        ("crop", "1,2,3", "expected 4 whole numbers (0 or more)"),
        ("blur", "1e300", "out of range"),
    ] {
        let err = parse_steps([(name, value)]).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{name}={value}");
        assert!(err.message().starts_with(&format!("{name}={value}: ")), "{err}");
        assert!(err.message().contains(says), "{name}={value}: {err}");
    }
    for (name, value) in [("blur", "0.5"), ("crop", "500,500,10,10"), ("pad", "1,1,1,1"), ("resize", "9000x")] {
        assert!(parse_steps([(name, value)]).is_ok(), "{name}={value}");
    }
    let small = Limits { max_pixels: 10 }.check(37, 23).unwrap_err();
    assert!(small.message().contains("(851 pixels) is over the limit of 10 pixels"), "{small}");
}

#[test]
fn a_bmp_over_the_decoders_side_limit_is_a_limit() {
    let mut bmp = b"BM".to_vec();
    for field in [2630u32, 0, 54, 40, 100_000, 100_000] {
        bmp.extend_from_slice(&field.to_le_bytes());
    }
    bmp.extend_from_slice(&[1, 0, 24, 0]);
    bmp.resize(80, 0);
    let err = nearnative_image::codec::probe(&bmp).unwrap_err();
    assert_eq!(err.code(), ErrorCode::LimitExceeded, "{err}");
    assert!(err.message().contains("100000x100000"), "{err}");
    assert_eq!(run(&Job::default(), &bmp, &[]).unwrap_err().code(), ErrorCode::LimitExceeded);
}

#[test]
fn bad_input_has_codes() {
    let png = encode(&gradient(8, 8, false), &EncodeOptions::new(Format::Png)).unwrap();
    let cases: Vec<(Vec<u8>, ErrorCode)> = vec![
        (Vec::new(), ErrorCode::InvalidInput),
        (b"hello".to_vec(), ErrorCode::Unsupported),
        (png[..png.len() / 2].to_vec(), ErrorCode::InvalidInput),
    ];
    for (bytes, code) in cases {
        let err = run(&Job::default(), &bytes, &[]).unwrap_err();
        assert_eq!(err.code(), code, "{err}");
    }
    let jpeg = encode(&gradient(64, 64, false), &EncodeOptions::new(Format::Jpeg)).unwrap();
    let err = run(&Job::default(), &jpeg[..jpeg.len() / 2], &[]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "truncated JPEG: {err}");
    let job = Job { limits: Limits { max_pixels: 63 }, ..Job::default() };
    assert_eq!(run(&job, &png, &[]).unwrap_err().code(), ErrorCode::LimitExceeded);
    for query in ["resize=0x5", "crop=0,0,9,9", "blurr=3", "quality=0", "fit=cover", "format=tiff"] {
        let pairs: Vec<(&str, &str)> = query.split('&').map(|p| p.split_once('=').unwrap()).collect();
        let err = parse_steps(pairs).map(|(job, _)| run(&job, &png, &[])).and_then(|r| r).unwrap_err();
        assert!(matches!(err.code(), ErrorCode::InvalidInput | ErrorCode::Unsupported), "{query}: {err}");
    }
}

#[test]
fn huge_declared_png_is_refused_before_allocating() {
    // A valid IHDR claiming 65535x65535.
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];
    png.extend_from_slice(&65535u32.to_be_bytes());
    png.extend_from_slice(&65535u32.to_be_bytes());
    png.extend_from_slice(&[8, 6, 0, 0, 0]);
    let crc = crc32(&png[12..]);
    png.extend_from_slice(&crc.to_be_bytes());
    // An empty IDAT chunk, so the header parses and only the size is wrong.
    png.extend_from_slice(&[0, 0, 0, 0, b'I', b'D', b'A', b'T']);
    png.extend_from_slice(&crc32(b"IDAT").to_be_bytes());
    let err = run(&Job::default(), &png, &[]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::LimitExceeded, "{err}");
}

/// Image data far smaller than deflate could pack the declared pixels into is refused before
/// they are allocated; data at deflate's best ratio (all zeros) still decodes.
#[test]
fn png_data_too_small_for_its_size_is_refused_before_allocating() {
    let grey_png = |side: u32, data: &[u8]| {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let ihdr: Vec<u8> =
            side.to_be_bytes().iter().chain(&side.to_be_bytes()).chain(&[8, 0, 0, 0, 0]).copied().collect();
        png.extend(png_chunk(b"IHDR", &ihdr));
        png.extend(png_chunk(b"IDAT", data));
        png.extend(png_chunk(b"IEND", &[]));
        png
    };
    let zeros = |side: u32| miniz_oxide::deflate::compress_to_vec_zlib(&vec![0; (side * (side + 1)) as usize], 10);
    let err = run(&Job::default(), &grey_png(10_000, &zeros(100)), &[]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
    assert!(err.message().contains("need at least"), "{err}");
    let data = zeros(2000);
    assert!(data.len() < 2000 * 2001 / 1000, "deflate's best ratio: {} bytes", data.len());
    let out = run(&raw_job("resize=10x"), &grey_png(2000, &data), &[]).unwrap();
    assert_eq!((out.width, out.height), (10, 10));
}

/// `jpeg` with an EXIF APP1 segment holding only the orientation tag, right after SOI.
fn with_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&exif_tiff(orientation));
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// The TIFF block of an EXIF segment holding only the orientation tag.
fn exif_tiff(orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08\0\x01".to_vec(); // big-endian TIFF, IFD0 at 8, one entry
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]); // Orientation, SHORT, count 1
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // value padding, no next IFD
    tiff
}

/// A simple (VP8L) WebP rewrapped as an extended one (VP8X) with an `EXIF` chunk after the
/// image, as the container spec orders them.
fn webp_with_exif(simple: &[u8], width: u32, height: u32, exif: &[u8]) -> Vec<u8> {
    let riff_chunk = |tag: &[u8], data: &[u8]| {
        let mut chunk = tag.to_vec();
        chunk.extend_from_slice(&(data.len() as u32).to_le_bytes());
        chunk.extend_from_slice(data);
        if data.len() % 2 == 1 {
            chunk.push(0);
        }
        chunk
    };
    let mut vp8x = vec![0x08, 0, 0, 0]; // flags: EXIF
    vp8x.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    vp8x.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    let mut body = b"WEBP".to_vec();
    body.extend(riff_chunk(b"VP8X", &vp8x));
    body.extend_from_slice(&simple[12..]); // the VP8L chunk as it is
    body.extend(riff_chunk(b"EXIF", exif));
    let mut file = b"RIFF".to_vec();
    file.extend_from_slice(&(body.len() as u32).to_le_bytes());
    file.extend(body);
    file
}

/// libvips (sharp) writes WebP's EXIF chunk with JPEG's `Exif\0\0` prefix; others write the
/// bare TIFF block. Both are read, and the picture is turned upright.
#[test]
fn webp_exif_orientation_is_applied_with_or_without_the_jpeg_prefix() {
    use nearnative_image::codec::{decode, probe, DecodeOptions};

    let (w, h) = (5u32, 3u32);
    let pixels: Vec<u8> = (0..w * h).flat_map(|i| [i as u8 * 10, 0, 255 - i as u8, 255]).collect();
    let image = Image { width: w, height: h, pixels, has_alpha: false };
    let simple =
        encode(&image, &EncodeOptions { quality: EncodeOptions::LOSSLESS, ..EncodeOptions::new(Format::Webp) })
            .unwrap();
    let mut prefixed = b"Exif\0\0".to_vec();
    prefixed.extend(exif_tiff(6));
    for exif in [prefixed, exif_tiff(6)] {
        let file = webp_with_exif(&simple, w, h, &exif);
        assert_eq!(probe(&file).unwrap().orientation, 6);
        let (upright, _) = decode(&file, &DecodeOptions::default()).unwrap();
        assert_eq!((upright.width, upright.height), (h, w));
        // Orientation 6 turns the stored picture a quarter clockwise: the stored bottom-left
        // pixel becomes the top-left one.
        assert_eq!(upright.pixels[..4], image.pixels[(((h - 1) * w) * 4) as usize..][..4]);
    }
}

/// A first resize streams the decoder's rows in stored orientation and turns the small result
/// upright; decoding upright first and resizing the whole image must give the same picture
/// (the passes run in the other order on a quarter turn, so equal to rounding).
#[test]
fn streamed_resize_of_an_oriented_jpeg_matches_orient_then_resize() {
    use nearnative_image::codec::{decode, DecodeOptions};
    use nearnative_image::geometry;
    use nearnative_image::pipeline::Step;

    let jpeg = gradient_jpeg(97, 61);
    for orientation in 1..=8u16 {
        let file = with_orientation(&jpeg, orientation);
        let (upright, info) = decode(&file, &DecodeOptions::default()).unwrap();
        assert_eq!(info.orientation, orientation as u8);
        for query in [
            "resize=50x30&fit=cover",
            // A gravity's cut is resampled alone, from where it lies in the stored rows.
            "resize=30x30&position=northeast",
            "resize=30x50&position=southwest",
            "resize=30x30&position=east",
            "resize=30x50&position=north",
            "resize=50x30&fit=contain&background=ff0000",
            "resize=40x",
            "resize=x25&filter=mitchell",
        ] {
            let mut job = raw_job(query);
            job.shrink_on_load = false; // compare the orientation handling, not the reduced IDCT
            let reduced = run(&raw_job(query), &file, &[]).unwrap();
            let streamed = run(&job, &file, &[]).unwrap();
            let Some(Step::Resize(spec)) = job.steps.first() else { unreachable!() };
            let mut whole = upright.clone();
            geometry::resize(&mut whole, spec, &Limits::default()).unwrap();
            assert_eq!(
                (streamed.width, streamed.height),
                (whole.width, whole.height),
                "{query} at orientation {orientation}"
            );
            let db = psnr(&streamed.bytes, &whole.pixels);
            assert!(db > 40.0, "{query} at orientation {orientation}: {db:.1} dB from orient-then-resize");
            // Shrink-on-load decodes at half size here; the output size must not change.
            assert_eq!((reduced.width, reduced.height), (whole.width, whole.height), "{query}: reduced decode");
            let db = psnr(&reduced.bytes, &whole.pixels);
            assert!(db > 30.0, "{query} at orientation {orientation}: {db:.1} dB with shrink-on-load");
        }
    }
}

/// Without auto-orientation a sideways-stored photo is resized as stored: the missing side
/// comes from the stored size, as when another step runs first.
#[test]
fn a_first_resize_without_auto_orient_plans_from_the_stored_size() {
    let jpeg = gradient_jpeg(37, 23);
    for orientation in 1..=8u16 {
        let file = with_orientation(&jpeg, orientation);
        for (query, size) in [("resize=10x", (10, 6)), ("resize=x10", (16, 10)), ("resize=20x20&fit=inside", (20, 12))]
        {
            let mut job = raw_job(query);
            job.auto_orient = false;
            let first = run(&job, &file, &[]).unwrap();
            let mut later = raw_job(&format!("brightness=1&{query}"));
            later.auto_orient = false;
            let after = run(&later, &file, &[]).unwrap();
            assert_eq!((first.width, first.height), size, "orientation {orientation}, {query}");
            assert_eq!((after.width, after.height), size, "orientation {orientation}, {query} after another step");
        }
    }
}

/// WebP below quality 100 is lossy VP8: close to the source, far smaller than lossless, and the
/// alpha plane survives exactly.
#[test]
fn lossy_webp_is_close_small_and_keeps_alpha() {
    for alpha in [false, true] {
        let mut image = gradient(96, 64, alpha);
        for (i, px) in image.pixels.chunks_exact_mut(4).enumerate() {
            let grain = ((i as u32).wrapping_mul(2_654_435_761) >> 28) as u8; // 0..15, a photo's noise
            px[2] = px[2].wrapping_add(grain);
        }
        let lossless =
            encode(&image, &EncodeOptions { quality: EncodeOptions::LOSSLESS, ..EncodeOptions::new(Format::Webp) })
                .unwrap();
        let lossy = encode(&image, &EncodeOptions::new(Format::Webp)).unwrap();
        let chunk = if alpha { b"VP8X" } else { b"VP8 " };
        assert_eq!(&lossy[12..16], chunk, "alpha={alpha}");
        assert!(lossy.len() < lossless.len(), "lossy {} bytes, lossless {}", lossy.len(), lossless.len());
        let out = run(&raw_job("flip=v&flip=v"), &lossy, &[]).unwrap();
        let db = psnr(&out.bytes, &image.pixels);
        assert!(db > 30.0, "alpha={alpha}: {db:.1} dB");
        let alpha_exact = out.bytes.chunks_exact(4).zip(image.pixels.chunks_exact(4)).all(|(a, b)| a[3] == b[3]);
        assert!(alpha_exact, "the alpha plane is stored losslessly");
    }
    let bad = encode(&gradient(4, 4, false), &EncodeOptions { quality: 0, ..EncodeOptions::new(Format::Webp) });
    assert_eq!(bad.unwrap_err().code(), ErrorCode::InvalidInput);
}

/// The VP8 encoder converts two rows and columns at a time; an odd last row or column, and
/// the padding of partial macroblocks, must still come back as the source's colour.
#[test]
fn lossy_webp_keeps_odd_edges() {
    for (width, height) in [(1, 1), (17, 9), (33, 47), (18, 3)] {
        for alpha in [false, true] {
            let mut image = Image::filled(width, height, [200, 100, 50, 255], &Limits::DEFAULT).unwrap();
            if alpha {
                image.pixels.chunks_exact_mut(4).enumerate().for_each(|(i, p)| p[3] = (i * 37 % 256) as u8);
                image.has_alpha = true;
            }
            let webp = encode(&image, &EncodeOptions::new(Format::Webp)).unwrap();
            let out = run(&raw_job("flip=v&flip=v"), &webp, &[]).unwrap();
            assert_eq!((out.width, out.height), (width, height));
            for (i, (got, want)) in out.bytes.chunks_exact(4).zip(image.pixels.chunks_exact(4)).enumerate() {
                let off = (0..3).map(|c| got[c].abs_diff(want[c])).max().unwrap();
                let (x, y) = (i as u32 % width, i as u32 / width);
                assert!(off <= 4, "{width}x{height} alpha={alpha}: pixel ({x},{y}) is {got:?}, want {want:?}");
                assert_eq!(got[3], want[3], "{width}x{height}: alpha at ({x},{y})");
            }
        }
    }
}

#[test]
fn in_place_runs_equal_whole_runs_and_rescan_opacity() {
    let source = gradient(97, 61, true);
    let job = raw_job("resize=40x30&fit=contain&background=ff000080&sharpen=1&grayscale");
    let expected =
        run_image(&job, Image::from_rgba(97, 61, source.pixels.clone(), &Limits::DEFAULT).unwrap(), true, &[]).unwrap();
    // A host wrote translucent pixels through a view: the stale flag must not be trusted.
    let mut frame = Image { has_alpha: false, ..source };
    assert_eq!(run_in_place(&job, &mut frame, &[]).unwrap(), None);
    assert_eq!((frame.width, frame.height, &frame.pixels), (expected.width, expected.height, &expected.bytes));

    let mut encoded_job = job.clone();
    encoded_job.target = Target::encoded(None);
    let mut again = gradient(97, 61, true);
    let png = run_in_place(&encoded_job, &mut again, &[]).unwrap().expect("an encoded target returns bytes");
    assert_eq!(&png[1..4], b"PNG");
    assert_eq!(again.pixels, expected.bytes, "the frame keeps the steps' result");
}

#[test]
fn an_in_place_run_that_fails_leaves_a_whole_image() {
    let mut frame = gradient(20, 10, false);
    let err = run_in_place(&raw_job("grayscale&crop=15,0,10,10"), &mut frame, &[]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert_eq!((frame.width, frame.height, frame.pixels.len()), (20, 10, 20 * 10 * 4));
    assert!(frame.pixels.chunks_exact(4).all(|p| p[0] == p[1] && p[1] == p[2]), "the step before the failure ran");

    let limits = Job { limits: Limits { max_pixels: 100 }, ..raw_job("invert") };
    let err = run_in_place(&limits, &mut frame, &[]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::LimitExceeded);
    assert_eq!(frame.pixels.len(), 20 * 10 * 4);
}

/// GIF has no alpha channel: a first frame that covers the canvas without a transparent index
/// is RGB (reported and written so); a transparent index or a smaller frame makes alpha.
#[test]
fn gif_alpha_follows_the_transparent_index() {
    use nearnative_image::codec::probe;

    let gif = |transparent: Option<u8>, frame_width: u16| {
        let mut out = Vec::new();
        {
            let palette = [0u8, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255];
            let mut encoder = gif::Encoder::new(&mut out, 4, 3, &palette).unwrap();
            let mut frame = gif::Frame::default();
            (frame.width, frame.height, frame.transparent) = (frame_width, 3, transparent);
            let indices: Vec<u8> = (0..frame_width as usize * 3).map(|i| (i % 3) as u8).collect();
            frame.buffer = indices.into();
            encoder.write_frame(&frame).unwrap();
        }
        out
    };
    for (file, alpha) in [(gif(None, 4), false), (gif(Some(2), 4), true), (gif(None, 2), true)] {
        let info = probe(&file).unwrap();
        assert_eq!((info.channels, info.has_alpha), (if alpha { 4 } else { 3 }, alpha), "{info:?}");
        let png = run(&Job { target: Target::encoded(Some(Format::Png)), ..Job::default() }, &file, &[]).unwrap();
        assert_eq!(png.channels, if alpha { 4 } else { 3 });
        assert_eq!(png.bytes[25], if alpha { 6 } else { 2 }, "PNG colour type");
        let streamed = run(&raw_job("resize=2x"), &file, &[]).unwrap();
        assert_eq!(streamed.width, 2);
        let raw = run(&raw_job("flip=v&flip=v"), &file, &[]).unwrap();
        assert_eq!(raw.bytes[..4], [0, 0, 0, 255], "the first pixel is palette entry 0");
    }
}

/// The markers of a JPEG's header and scans, in order (entropy-coded data skipped).
fn jpeg_markers(bytes: &[u8]) -> Vec<u8> {
    let mut markers = Vec::new();
    let mut i = 2;
    while i + 4 <= bytes.len() {
        assert_eq!(bytes[i], 0xff, "marker expected at {i}");
        let marker = bytes[i + 1];
        markers.push(marker);
        if marker == 0xd9 {
            break;
        }
        let length = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        i += 2 + length;
        if marker == 0xda {
            // Entropy-coded data runs to the next marker that is not a stuffed 0xff00 or RSTn.
            while i + 1 < bytes.len()
                && !(bytes[i] == 0xff && bytes[i + 1] != 0 && !(0xd0..=0xd7).contains(&bytes[i + 1]))
            {
                i += 1;
            }
        }
    }
    markers
}

#[test]
fn jpeg_output_is_one_interleaved_scan_with_fitted_huffman_tables() {
    let mut photo = gradient(333, 250, false);
    photo.pixels.iter_mut().enumerate().for_each(|(i, v)| *v ^= ((i as u32).wrapping_mul(2_654_435_761) >> 28) as u8);
    for (quality, progressive) in [(80, false), (95, false), (20, false), (80, true)] {
        let ours = encode(&photo, &EncodeOptions { quality, progressive, ..EncodeOptions::new(Format::Jpeg) }).unwrap();
        let markers = jpeg_markers(&ours);
        if !progressive {
            // One scan holding all three components, as libjpeg writes: a decoder can stream it.
            assert_eq!(markers.iter().filter(|&&m| m == 0xda).count(), 1, "q{quality}: {markers:x?}");
        }
        // The crate's fixed tables, same everything else: the Huffman code is lossless, so the
        // pixels must not move, and fitted tables must not cost bytes.
        let mut fixed = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut fixed, quality);
        encoder.set_progressive(progressive);
        encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
        encoder.set_chroma_subsampling_method(jpeg_encoder::ChromaSubsamplingMethod::Average);
        encoder.encode(&photo.pixels, 333, 250, jpeg_encoder::ColorType::Rgba).unwrap();
        let decoded = |bytes: &[u8]| run(&raw_job("brightness=1"), bytes, &[]).unwrap().bytes;
        assert_eq!(decoded(&ours), decoded(&fixed), "q{quality} progressive {progressive}");
        if !progressive {
            assert!(ours.len() < fixed.len(), "q{quality}: {} bytes fitted, {} fixed", ours.len(), fixed.len());
        }
    }
}

#[test]
fn ensure_alpha_turns_a_fraction_into_a_byte_as_sharp_does() {
    use nearnative_image::pipeline::Step;
    // sharp (and the npm package, in JS doubles) round alpha · 255 down: 0.5 is 127, 0.999 is
    // 254 (254.745), and 0.6 is exactly 153.
    for (value, want) in [("0", 0), ("0.5", 127), ("0.6", 153), ("0.999", 254), ("1", 255)] {
        let (job, _) = parse_steps([("ensure-alpha", value)]).unwrap();
        assert_eq!(job.steps, vec![Step::EnsureAlpha { alpha: want }], "{value}");
    }
    for bad in ["1.5", "-0.1", "x"] {
        let err = parse_steps([("ensure-alpha", bad)]).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{bad}");
    }
}

#[test]
fn grey_images_are_written_as_grey_png_and_jpeg() {
    use nearnative_image::codec::{decode, encode_with_channels, DecodeOptions};
    let grey = |alpha: bool| {
        let mut image = gradient(48, 32, alpha);
        for px in image.pixels.chunks_exact_mut(4) {
            px[1] = px[0];
            px[2] = px[0];
        }
        image
    };
    // PNG colour type (IHDR byte 25): 0 grey, 4 grey + alpha, 2 RGB; the pixels are unchanged.
    for (image, colour_type, channels) in [(grey(false), 0, 1), (grey(true), 4, 2), (gradient(48, 32, false), 2, 3)] {
        let (png, stored) = encode_with_channels(&image, &EncodeOptions::new(Format::Png)).unwrap();
        assert_eq!((png[25], stored), (colour_type, channels));
        let (back, _) = decode(&png, &DecodeOptions::default()).unwrap();
        assert_eq!(back.pixels, image.pixels);
        assert_eq!(back.has_alpha, image.has_alpha);
    }
    // JPEG: one component in SOF (the byte after the 16-bit height and width), fewer bytes than
    // the same pixels with one value changed to colour, and grey when decoded.
    let options = EncodeOptions { quality: 90, ..EncodeOptions::new(Format::Jpeg) };
    let (jpeg, stored) = encode_with_channels(&grey(false), &options).unwrap();
    let sof = jpeg.windows(2).position(|m| m == [0xff, 0xc0]).unwrap();
    assert_eq!((jpeg[sof + 9], stored), (1, 1));
    let mut tinted = grey(false);
    tinted.pixels[0] ^= 1;
    let (colour, stored) = encode_with_channels(&tinted, &options).unwrap();
    assert_eq!((colour[colour.windows(2).position(|m| m == [0xff, 0xc0]).unwrap() + 9], stored), (3, 3));
    assert!(jpeg.len() < colour.len(), "grey {} bytes, colour {}", jpeg.len(), colour.len());
    let (back, _) = decode(&jpeg, &DecodeOptions::default()).unwrap();
    assert!(back.pixels.chunks_exact(4).all(|p| p[0] == p[1] && p[1] == p[2] && p[3] == 255));
}

#[test]
fn raw_bands_follow_sharp_and_lose_nothing() {
    let bands = |steps: Vec<Step>| Job { steps, target: Target::Raw { layout: RawLayout::Bands }, ..Job::default() };
    let opaque = gradient(9, 5, false);
    let rgb: Vec<u8> = opaque.pixels.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    // (steps, the source has an alpha band, channels out)
    let cases = [
        (vec![], false, 3),
        (vec![], true, 4),
        (vec![Step::Grayscale], true, 1),
        (vec![Step::RemoveAlpha], true, 3),
        (vec![Step::EnsureAlpha { alpha: 255 }], false, 4),
        (vec![Step::EnsureAlpha { alpha: 255 }, Step::Flatten { background: [1, 2, 3] }], false, 3),
        (vec![Step::Rotate { degrees: 90.0, background: [0; 4] }], false, 3),
        (vec![Step::Rotate { degrees: 30.0, background: [0; 4] }], false, 4),
        (vec![Step::Rotate { degrees: 30.0, background: [9, 9, 9, 255] }], false, 3),
        // A translucent background adds alpha only where it adds pixels.
        (vec![Step::Pad(Padding { top: 0, right: 0, bottom: 0, left: 0, background: [0; 4] })], false, 3),
        (vec![Step::Pad(Padding { top: 1, right: 0, bottom: 0, left: 0, background: [0; 4] })], false, 4),
        // A colour step after greyscale: sharp would keep the first band; we keep the colour.
        (vec![Step::Grayscale, Step::Tint { rgb: [200, 30, 30] }], false, 3),
    ];
    for (steps, alpha_band, channels) in cases {
        let out = run_image(&bands(steps.clone()), opaque.clone(), alpha_band, &[]).unwrap();
        assert_eq!(out.channels, channels, "{steps:?}, alpha band {alpha_band}");
        assert_eq!(out.bytes.len(), (out.width * out.height) as usize * usize::from(channels), "{steps:?}");
    }
    assert_eq!(run_image(&bands(vec![]), opaque.clone(), false, &[]).unwrap().bytes, rgb);
    let grey = run_image(&bands(vec![Step::Grayscale]), opaque.clone(), false, &[]).unwrap();
    let as_rgba = run_image(&raw_job("grayscale"), opaque.clone(), false, &[]).unwrap();
    assert_eq!(grey.bytes, as_rgba.bytes.chunks_exact(4).map(|p| p[0]).collect::<Vec<u8>>());
    // Translucent pixels keep their alpha whatever the bands say.
    let translucent = gradient(9, 5, true);
    assert_eq!(run_image(&bands(vec![]), translucent.clone(), false, &[]).unwrap().bytes, translucent.pixels);
    // Decoded files: an RGBA PNG has an alpha band even when every pixel is opaque.
    let rgba_png = encode(&Image { has_alpha: true, ..opaque.clone() }, &EncodeOptions::new(Format::Png)).unwrap();
    assert_eq!(run(&bands(vec![]), &rgba_png, &[]).unwrap().channels, 4);
    let rgb_png = encode(&opaque, &EncodeOptions::new(Format::Png)).unwrap();
    assert_eq!(run(&bands(vec![]), &rgb_png, &[]).unwrap().bytes, rgb);
    // negate() takes alpha too where there is an alpha band, opaque or not, as sharp.
    let negate = |alpha_band| {
        let job = Job { steps: vec![Step::Invert { alpha: true }], target: Target::RAW_RGBA8, ..Job::default() };
        run_image(&job, opaque.clone(), alpha_band, &[]).unwrap().bytes[3]
    };
    assert_eq!((negate(true), negate(false)), (0, 255));
    // No alpha band, no alpha channel to extract.
    let extract = bands(vec![Step::ExtractChannel { channel: 3 }]);
    assert_eq!(run_image(&extract, opaque.clone(), false, &[]).unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(run_image(&extract, opaque, true, &[]).unwrap().bytes, vec![255; 45]);
}

/// Runs of per-channel steps (after an optional grayscale) are applied in one pass: they must
/// give the bytes of the same steps applied one job at a time.
#[test]
fn a_run_of_colour_steps_equals_its_steps_one_by_one() {
    let mut seed = 0x2545_f491_u32;
    let noise: Vec<u8> = (0..41 * 23 * 4)
        .map(|_| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 24) as u8
        })
        .collect();
    let source = Image::from_rgba(41, 23, noise, &Limits::DEFAULT).unwrap();
    let job = |steps: &[Step]| Job { steps: steps.to_vec(), target: Target::RAW_RGBA8, ..Job::default() };
    let (contrast, brightness, gamma) =
        (|factor| Step::Contrast { factor }, |factor| Step::Brightness { factor }, |gamma| Step::Gamma { gamma });
    let linear = || Step::Linear { a: [1.1, 0.9, -1.3], b: [-5.0, 7.0, 255.0] };
    let invert = |alpha| Step::Invert { alpha };
    for steps in [
        vec![Step::Grayscale, contrast(1.5)],
        vec![Step::Grayscale, contrast(1.5), brightness(0.8), gamma(2.2)],
        vec![contrast(0.7), linear(), invert(false), gamma(0.6)],
        vec![brightness(1.4), Step::Grayscale, contrast(2.0), Step::Sobel, invert(false), linear()],
        vec![linear(), invert(true), gamma(1.8), invert(false)],
        vec![Step::Grayscale, Step::Grayscale, brightness(3.0)],
    ] {
        let whole = run_image(&job(&steps), source.clone(), true, &[]).unwrap();
        let mut image = source.clone();
        for step in &steps {
            let out = run_image(&job(std::slice::from_ref(step)), image, true, &[]).unwrap();
            image = Image::from_rgba(out.width, out.height, out.bytes, &Limits::DEFAULT).unwrap();
        }
        assert_eq!(whole.bytes, image.pixels, "{steps:?}");
    }
    let err = run_image(&job(&[Step::Grayscale, contrast(1.0), gamma(0.0)]), source, true, &[]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
}

/// Where a trim and a strategy cut land is reported on every path: pixels in memory, an
/// encoded file whose first step streams, and a cut without resampling.
#[test]
fn outputs_say_where_trims_and_strategies_cut() {
    // A flat frame around a busy 12x6 patch at (7, 3).
    let mut framed = Image::filled(30, 20, [200, 200, 200, 255], &Limits::DEFAULT).unwrap();
    for y in 3..9 {
        for x in 7..19 {
            let at = 4 * (y * 30 + x) as usize;
            framed.pixels[at..at + 3].copy_from_slice(&[(x * 20) as u8, (y * 30) as u8, 0]);
        }
    }
    let trimmed = run_image(&raw_job("trim"), framed.clone(), false, &[]).unwrap();
    assert_eq!((trimmed.width, trimmed.height, trimmed.cuts.trim), (12, 6, Some((7, 3))));
    assert_eq!(trimmed.cuts.strategy, None);
    let flat = Image::filled(8, 8, [9, 9, 9, 255], &Limits::DEFAULT).unwrap();
    assert_eq!(run_image(&raw_job("trim"), flat, false, &[]).unwrap().cuts.trim, Some((0, 0)), "nothing to cut");

    // Busy on the right: both strategies cut there; a gravity reports nothing.
    let busy = Image {
        pixels: gradient(60, 20, false)
            .pixels
            .chunks_exact(4)
            .enumerate()
            .flat_map(|(i, p)| {
                if i % 60 >= 40 {
                    [(i * 7919 % 251) as u8, (i * 31 % 256) as u8, p[2], 255]
                } else {
                    [90, 90, 90, 255]
                }
            })
            .collect(),
        ..gradient(60, 20, false)
    };
    let png = encode(&busy, &EncodeOptions::new(Format::Png)).unwrap();
    // 20x20 cuts the source as it is (cover at scale 1); 10x10 resamples first (streamed
    // from the file).
    for query in [
        "resize=20x20&position=entropy",
        "resize=20x20&position=attention",
        "resize=10x10&position=entropy",
        "resize=10x10&position=attention",
    ] {
        let in_memory = run_image(&raw_job(query), busy.clone(), false, &[]).unwrap().cuts.strategy.expect(query);
        let box_side = if query.contains("20x20") { 20 } else { 10 };
        let resized_width = 3 * box_side;
        assert!(in_memory.left >= resized_width / 2 - box_side / 2 && in_memory.top == 0, "{query}: {in_memory:?}");
        assert_eq!(run(&raw_job(query), &png, &[]).unwrap().cuts.strategy, Some(in_memory), "{query} from a file");
        if query.ends_with("entropy") {
            assert_eq!(in_memory.focus, (0, 0), "{query}");
        } else {
            let (x, y) = in_memory.focus;
            assert!(x >= resized_width * 2 / 3 - 1 && x < resized_width && y < box_side, "{query}: {in_memory:?}");
        }
    }
    assert_eq!(run(&raw_job("resize=10x10&position=north"), &png, &[]).unwrap().cuts.strategy, None);
    assert_eq!(run(&raw_job("resize=10x10&fit=contain&position=entropy"), &png, &[]).unwrap().cuts.strategy, None);
}

/// sharp's `raw` and `create` overlays reach the job as RGBA8 pixels with their size.
#[test]
fn raw_overlays_are_pixels_of_the_size_given() {
    let png = encode(&gradient(4, 3, false), &EncodeOptions::new(Format::Png)).unwrap();
    let step = |width: u32| {
        let json = format!(r#"{{"op":"composite","index":0,"left":1,"top":1,"raw":{{"width":{width},"height":1}}}}"#);
        serde_json::from_str::<Step>(&json).unwrap()
    };
    let mut job = raw_job("flip=v&flip=v");
    job.steps = vec![step(2)];
    let overlay = [9, 8, 7, 255, 1, 2, 3, 255];
    let out = run(&job, &png, &[&overlay]).unwrap();
    let mut want = gradient(4, 3, false).pixels;
    want[(4 + 1) * 4..(4 + 3) * 4].copy_from_slice(&overlay);
    assert_eq!(out.bytes, want);
    // Bytes that do not fit the size, and a size over the job's pixel limit, are refused.
    job.steps = vec![step(3)];
    assert_eq!(run(&job, &png, &[&overlay]).unwrap_err().code(), ErrorCode::InvalidInput);
    job.steps = vec![step(13)];
    job.limits = Limits { max_pixels: 12 }; // the 4x3 base fits, the 13x1 overlay does not
    let err = run(&job, &png, &[&[7; 13 * 4]]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::LimitExceeded);
}

/// An iCCP chunk holding the Adobe RGB (1998) profile (tone curve γ 2.2) of the conformance
/// WebP vector: unlike P3's sRGB curve, it moves greys when applied as RGB.
fn adobe_iccp_chunk() -> Vec<u8> {
    let webp =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/image/other/icc-adobe-webp.webp"))
            .unwrap();
    let at = webp.windows(4).position(|w| w == b"ICCP").unwrap();
    let len = u32::from_le_bytes(webp[at + 4..at + 8].try_into().unwrap()) as usize;
    let profile = &webp[at + 8..at + 8 + len];
    let data = [b"Adobe RGB\0\0".as_slice(), &miniz_oxide::deflate::compress_to_vec_zlib(profile, 6)].concat();
    png_chunk(b"iCCP", &data)
}

/// An RGB profile converts an RGB image; left on a grey image (as some tools leave it), it is
/// ignored, as libvips ignores it, rather than shifting every grey.
#[test]
fn an_icc_profile_applies_only_to_images_of_its_kind() {
    use nearnative_image::codec::{decode, DecodeOptions};

    let iccp = adobe_iccp_chunk();
    let decoded = |png: &[u8]| decode(png, &DecodeOptions::default()).unwrap().0.pixels;
    let greys = [0u8, 64, 128, 255];
    let grey = decoded(&one_row_png(0, &greys, &iccp));
    assert_eq!(grey.chunks(4).map(|p| p[0]).collect::<Vec<_>>(), greys, "a grey image with an RGB profile");
    let red = [255u8, 0, 0, 200, 30, 30, 0, 255, 0, 0, 0, 255];
    let untagged = decoded(&one_row_png(2, &red, &[]));
    let tagged = decoded(&one_row_png(2, &red, &iccp));
    assert_ne!(untagged, tagged, "Adobe RGB's colours are not sRGB's");
    // Adobe RGB's red lies outside sRGB: clipped to full red, with no green or blue.
    assert_eq!(tagged[..3], [255, 0, 0]);
}
