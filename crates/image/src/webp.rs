//! Lossy WebP: vaam-image-webp's VP8 encoder, with the container written here.
//!
//! The encoder converts to YUV two rows and two columns at a time and drops an odd last row
//! or column, and it fills partial macroblocks with black, which rings into the edge pixels.
//! So the frame is encoded from a copy padded to whole macroblocks by repeating the edge, its
//! header is set back to the real size (decoders crop to it), and the alpha plane is coded
//! here at the real size as the lossless bitstream the `ALPH` chunk holds.

use image_webp::{ColorType, EncoderParams, WebPEncoder};
use nearnative_core::{Error, Result};

use crate::geometry::internal;
use crate::Image;

const MACROBLOCK: usize = 16;

pub(crate) fn encode_lossy(image: &Image, quality: u8) -> Result<Vec<u8>> {
    let (width, height) = (image.width as usize, image.height as usize);
    let (padded_width, padded_height) = (width.next_multiple_of(MACROBLOCK), height.next_multiple_of(MACROBLOCK));
    let rgb = padded_rgb(image, padded_width, padded_height);
    let mut params = EncoderParams::default();
    params.use_lossy = true;
    params.lossy_quality = quality;
    let riff = encode_with(&rgb, padded_width, padded_height, ColorType::Rgb8, params)?;
    let mut frame = chunk(&riff, b"VP8 ")?.to_vec();
    set_frame_size(&mut frame, width, height)?;
    let alpha = if image.has_alpha { Some(alpha_plane(image)?) } else { None };
    Ok(container(width, height, &frame, alpha.as_deref()))
}

/// RGB8 of `image`, its last column and row repeated out to `padded_width`×`padded_height`.
fn padded_rgb(image: &Image, padded_width: usize, padded_height: usize) -> Vec<u8> {
    let width = image.width as usize;
    let mut rgb = Vec::with_capacity(padded_width * padded_height * 3);
    for row in image.pixels.chunks_exact(width * 4) {
        for pixel in row.chunks_exact(4) {
            rgb.extend_from_slice(&pixel[..3]);
        }
        let last = &row[row.len() - 4..row.len() - 1];
        for _ in width..padded_width {
            rgb.extend_from_slice(last);
        }
    }
    let row_bytes = padded_width * 3;
    let last_row = rgb.len() - row_bytes;
    for _ in image.height as usize..padded_height {
        rgb.extend_from_within(last_row..last_row + row_bytes);
    }
    rgb
}

/// The `ALPH` chunk: a header byte (no filtering, lossless compression) and the VP8L image
/// stream of the alpha values without its 5-byte header (the size is implied by the frame).
fn alpha_plane(image: &Image) -> Result<Vec<u8>> {
    let alpha: Vec<u8> = image.pixels.chunks_exact(4).map(|p| p[3]).collect();
    let riff =
        encode_with(&alpha, image.width as usize, image.height as usize, ColorType::L8, EncoderParams::default())?;
    let lossless = chunk(&riff, b"VP8L")?;
    if lossless.len() < 5 || lossless[0] != 0x2f {
        return Err(internal("the lossless alpha stream has no VP8L header"));
    }
    let mut plane = Vec::with_capacity(lossless.len() - 4);
    plane.push(1);
    plane.extend_from_slice(&lossless[5..]);
    Ok(plane)
}

fn encode_with(data: &[u8], width: usize, height: usize, color: ColorType, params: EncoderParams) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = WebPEncoder::new(&mut out);
    encoder.set_params(params);
    encoder
        .encode(data, width as u32, height as u32, color)
        .map_err(|e| Error::invalid_input(format!("WebP encoding failed: {e}")))?;
    Ok(out)
}

/// The payload of the first `name` chunk of a RIFF/WEBP file.
fn chunk<'a>(riff: &'a [u8], name: &[u8; 4]) -> Result<&'a [u8]> {
    let mut at = 12;
    while at + 8 <= riff.len() {
        let size = u32::from_le_bytes([riff[at + 4], riff[at + 5], riff[at + 6], riff[at + 7]]) as usize;
        let end = (at + 8).checked_add(size).filter(|&end| end <= riff.len());
        let Some(end) = end else { break };
        if &riff[at..at + 4] == name {
            return Ok(&riff[at + 8..end]);
        }
        at = end + (size & 1);
    }
    Err(internal(format!("the WebP encoder wrote no {} chunk", String::from_utf8_lossy(name).trim())))
}

/// Writes the key frame's 14-bit width and height (scale bits 0) into a VP8 frame header.
fn set_frame_size(frame: &mut [u8], width: usize, height: usize) -> Result<()> {
    if frame.len() < 10 || frame[3..6] != [0x9d, 0x01, 0x2a] {
        return Err(internal("the VP8 frame has no key-frame header"));
    }
    frame[6..8].copy_from_slice(&(width as u16).to_le_bytes());
    frame[8..10].copy_from_slice(&(height as u16).to_le_bytes());
    Ok(())
}

/// RIFF/WEBP around a VP8 frame: the simple form, or VP8X + ALPH + VP8 when there is alpha.
fn container(width: usize, height: usize, frame: &[u8], alpha: Option<&[u8]>) -> Vec<u8> {
    let mut body = b"WEBP".to_vec();
    if let Some(alpha) = alpha {
        let mut vp8x = vec![0x10, 0, 0, 0]; // flags: alpha
        vp8x.extend_from_slice(&(width as u32 - 1).to_le_bytes()[..3]);
        vp8x.extend_from_slice(&(height as u32 - 1).to_le_bytes()[..3]);
        push_chunk(&mut body, b"VP8X", &vp8x);
        push_chunk(&mut body, b"ALPH", alpha);
    }
    push_chunk(&mut body, b"VP8 ", frame);
    let mut riff = b"RIFF".to_vec();
    riff.extend_from_slice(&(body.len() as u32).to_le_bytes());
    riff.extend_from_slice(&body);
    riff
}

fn push_chunk(out: &mut Vec<u8>, name: &[u8; 4], payload: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    if payload.len() % 2 == 1 {
        out.push(0);
    }
}
