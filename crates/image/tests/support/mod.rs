//! Helpers shared by the integration tests (each test file includes this as `mod support`).

// Each test binary includes the module and uses part of it.
#![allow(dead_code)]

/// PSNR in dB over the colour channels of two RGBA8 buffers; alpha is not compared.
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let (mut sum, mut count) = (0f64, 0f64);
    for (p, q) in a.chunks_exact(4).zip(b.chunks_exact(4)) {
        for c in 0..3 {
            let d = f64::from(p[c]) - f64::from(q[c]);
            sum += d * d;
            count += 1.0;
        }
    }
    if sum == 0.0 {
        return f64::INFINITY;
    }
    10.0 * (255.0f64 * 255.0 / (sum / count)).log10()
}

/// PNG's CRC-32 (ISO 3309), bit by bit: slow, and independent of the decoder under test.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// One PNG chunk written by hand: length, type, data and its CRC.
pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len()).expect("a chunk under 4 GiB").to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&out[4..]).to_be_bytes());
    out
}

/// A one-row 8-bit PNG of `colour_type` (0 grey, 2 RGB) holding `row`, with `extra` chunks
/// (whole, as `png_chunk` makes them) before its IDAT.
pub fn one_row_png(colour_type: u8, row: &[u8], extra: &[u8]) -> Vec<u8> {
    let channels = if colour_type == 0 { 1 } else { 3 };
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(png_chunk(b"IHDR", &[0, 0, 0, (row.len() / channels) as u8, 0, 0, 0, 1, 8, colour_type, 0, 0, 0]));
    png.extend_from_slice(extra);
    let data = miniz_oxide::deflate::compress_to_vec_zlib(&[&[0u8][..], row].concat(), 6);
    png.extend(png_chunk(b"IDAT", &data));
    png.extend(png_chunk(b"IEND", &[]));
    png
}
