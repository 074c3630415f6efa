//! Decoding to and encoding from [`Image`]. Decoders are the well-kept crates of the field
//! (png, gif, qoi, bmp and image-webp through `image`), except JPEG, which has its own decoder
//! ([`crate::jpeg`]: libjpeg-turbo's samples exactly); encoders are png, jpeg-encoder and image-webp. Every size is
//! checked against [`Limits`] from the header before a pixel buffer exists.

use std::io::Cursor;

use image::{ColorType, ImageDecoder, ImageError, ImageFormat};
use nearnative_core::{Error, Result};

use crate::geometry::{self, Orientation};
use crate::icc::ToSrgb;
use crate::palette::{self, Palette};
use crate::stream::RowSource;
use crate::{jpeg, Image, Limits};

/// The container formats this crate reads. All but GIF and QOI's rarely used variants are
/// also written; see [`encode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Png,
    Jpeg,
    Webp,
    Gif,
    Qoi,
    Bmp,
}

impl Format {
    pub const ALL: [Format; 6] = [Format::Png, Format::Jpeg, Format::Webp, Format::Gif, Format::Qoi, Format::Bmp];

    pub fn name(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Jpeg => "jpeg",
            Format::Webp => "webp",
            Format::Gif => "gif",
            Format::Qoi => "qoi",
            Format::Bmp => "bmp",
        }
    }

    pub fn mime_type(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
            Format::Webp => "image/webp",
            Format::Gif => "image/gif",
            Format::Qoi => "image/qoi",
            Format::Bmp => "image/bmp",
        }
    }

    /// Parses a format name or file extension (`jpg`, `JPEG`, `.webp`).
    pub fn from_name(name: &str) -> Result<Format> {
        let lower = name.trim_start_matches('.').to_ascii_lowercase();
        match lower.as_str() {
            "png" => Ok(Format::Png),
            "jpg" | "jpeg" | "jpe" | "jfif" => Ok(Format::Jpeg),
            "webp" => Ok(Format::Webp),
            "gif" => Ok(Format::Gif),
            "qoi" => Ok(Format::Qoi),
            "bmp" | "dib" => Ok(Format::Bmp),
            _ => Err(Error::unsupported(format!(
                "unknown image format '{name}'; use one of png, jpeg (jpg), webp, gif, qoi, bmp"
            ))),
        }
    }

    /// Recognises a format from its magic bytes.
    pub fn sniff(bytes: &[u8]) -> Option<Format> {
        match bytes {
            [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, ..] => Some(Format::Png),
            [0xff, 0xd8, 0xff, ..] => Some(Format::Jpeg),
            [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(Format::Webp),
            [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some(Format::Gif),
            [b'q', b'o', b'i', b'f', ..] => Some(Format::Qoi),
            [b'B', b'M', ..] => Some(Format::Bmp),
            _ => None,
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            Format::Png => ImageFormat::Png,
            Format::Jpeg => ImageFormat::Jpeg,
            Format::Webp => ImageFormat::WebP,
            Format::Gif => ImageFormat::Gif,
            Format::Qoi => ImageFormat::Qoi,
            Format::Bmp => ImageFormat::Bmp,
        }
    }
}

/// What the header says, before any pixel is decoded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Info {
    pub format: Format,
    /// Size after the EXIF orientation is applied (what a viewer shows).
    pub width: u32,
    pub height: u32,
    /// Channels as stored: 1 grey, 2 grey+alpha, 3 colour, 4 colour+alpha (palette images
    /// count as 3, or 4 with a transparency chunk).
    pub channels: u8,
    /// Bits per sample as stored (1, 2, 4, 8 or 16; palette PNGs and BMPs report their index
    /// depth).
    pub bit_depth: u8,
    pub has_alpha: bool,
    /// EXIF orientation, 1 (upright) to 8.
    pub orientation: u8,
    /// A palette (indexed-colour) PNG, GIF or BMP.
    pub palette: bool,
    /// Interlaced PNG or GIF, progressive JPEG.
    pub progressive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecodeOptions {
    pub limits: Limits,
    /// Apply the EXIF orientation, so the result is upright (sharp's `rotate()` without an angle).
    pub auto_orient: bool,
    /// When the first step will shrink the image to at least this size (upright coordinates),
    /// a JPEG may be decoded at 1/2, 1/4 or 1/8 scale directly through the reduced IDCT.
    pub shrink_to: Option<(u32, u32)>,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions { limits: Limits::DEFAULT, auto_orient: true, shrink_to: None }
    }
}

/// Encoder settings; see each format in [`encode`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EncodeOptions {
    pub format: Format,
    /// 1–100 (default 80) for JPEG and WebP; WebP at 100 ([`Self::LOSSLESS`]) is lossless.
    /// PNG, GIF, QOI and BMP are lossless and ignore it.
    pub quality: u8,
    /// Progressive JPEG.
    pub progressive: bool,
    /// PNG's zlib level, 0 (stored) to 9 (smallest), as sharp's `compressionLevel`; `None` is
    /// the png crate's balanced default (about zlib's 6, faster). Other formats ignore it.
    pub compression: Option<u8>,
    /// JPEG chroma resolution (default 4:2:0, as libjpeg and sharp at every quality).
    pub chroma: ChromaSubsampling,
    /// PNG only: write indexed colour, reduced to this palette (sharp's `png({ palette })`).
    pub palette: Option<Palette>,
}

impl EncodeOptions {
    pub const DEFAULT_QUALITY: u8 = 80;
    /// The quality that writes WebP losslessly (VP8L), where 1–99 write lossy VP8.
    pub const LOSSLESS: u8 = 100;
    pub fn new(format: Format) -> Self {
        EncodeOptions {
            format,
            quality: Self::DEFAULT_QUALITY,
            progressive: false,
            compression: None,
            chroma: ChromaSubsampling::default(),
            palette: None,
        }
    }

    /// The PNG zlib level asked for (`None`: the encoder's default), checked to be 0–9.
    fn png_level(&self) -> Result<Option<u8>> {
        match self.compression {
            Some(level) if level > 9 => {
                Err(Error::invalid_input(format!("PNG compression level must be 0 to 9, got {level}")))
            }
            level => Ok(level),
        }
    }
}

/// How much colour resolution a JPEG keeps: sharp's `chromaSubsampling`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ChromaSubsampling {
    /// Colour at half the resolution in both directions, each sample the mean of its 2×2 block.
    #[default]
    #[serde(rename = "4:2:0")]
    Half,
    /// Colour at full resolution: larger files, no colour fringes on sharp edges (text, UI).
    #[serde(rename = "4:4:4")]
    Full,
}

impl ChromaSubsampling {
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "4:2:0" | "420" => Ok(ChromaSubsampling::Half),
            "4:4:4" | "444" => Ok(ChromaSubsampling::Full),
            _ => Err(Error::unsupported(format!("chroma subsampling '{name}' is not supported; use 4:2:0 or 4:4:4"))),
        }
    }
}

/// Reads the header: format, upright size, channels, bit depth, orientation.
pub fn probe(bytes: &[u8]) -> Result<Info> {
    let format = sniff_or_err(bytes)?;
    let mut info = match format {
        Format::Png => probe_png(bytes)?,
        Format::Jpeg => probe_jpeg(bytes)?,
        _ => probe_generic(bytes, format)?,
    };
    if Orientation::from_exif(info.orientation).swaps_axes() {
        std::mem::swap(&mut info.width, &mut info.height);
    }
    Ok(info)
}

fn sniff_or_err(bytes: &[u8]) -> Result<Format> {
    if bytes.is_empty() {
        return Err(Error::invalid_input("the image input is empty"));
    }
    Format::sniff(bytes).ok_or_else(|| {
        Error::unsupported("the input is not a PNG, JPEG, WebP, GIF, QOI or BMP image (unrecognised signature)")
    })
}

fn probe_png(bytes: &[u8]) -> Result<Info> {
    let decoder = png_decoder(bytes, usize::MAX);
    let reader = match decoder.read_info() {
        Ok(reader) => reader,
        // The png crate refuses sizes whose row buffers would not fit the address space (on
        // wasm32 far sooner than natively). The header is still readable, and `info` must say
        // the same on every host; decoding is refused later by the pixel limit.
        Err(png::DecodingError::LimitsExceeded) => return probe_png_header(bytes),
        Err(other) => return Err(corrupt(Format::Png, other)),
    };
    let header = reader.info();
    // png 0.18.1 panics (slice index out of range, palette.rs) expanding a PLTE whose length
    // is not a multiple of 3 when a tRNS chunk is present; the PNG spec allows only 1 to 256
    // whole RGB entries, so refuse anything else here (found by fuzz/decode).
    if let Some(palette) = header.palette.as_deref() {
        if palette.is_empty() || palette.len() % 3 != 0 || palette.len() > 256 * 3 {
            return Err(corrupt(
                Format::Png,
                format!("the PLTE chunk is {} bytes; it must hold 1 to 256 RGB entries of 3 bytes", palette.len()),
            ));
        }
    }
    Ok(png_info(
        (header.width, header.height),
        header.bit_depth as u8,
        header.color_type,
        header.trns.is_some(),
        header.exif_metadata.as_deref(),
        header.interlaced,
    ))
}

fn png_info(
    (width, height): (u32, u32),
    bit_depth: u8,
    color_type: png::ColorType,
    has_trns: bool,
    exif: Option<&[u8]>,
    interlaced: bool,
) -> Info {
    let (channels, palette) = match color_type {
        png::ColorType::Grayscale => (1 + u8::from(has_trns), false),
        png::ColorType::GrayscaleAlpha => (2, false),
        png::ColorType::Rgb => (3 + u8::from(has_trns), false),
        png::ColorType::Rgba => (4, false),
        png::ColorType::Indexed => (3 + u8::from(has_trns), true),
    };
    let orientation = exif_orientation(exif);
    Info {
        format: Format::Png,
        width,
        height,
        channels,
        bit_depth,
        has_alpha: channels == 2 || channels == 4,
        orientation,
        palette,
        progressive: interlaced,
    }
}

/// The header facts read straight from the chunks before IDAT (IHDR, tRNS, eXIf), for sizes
/// the png crate will not set up a reader for.
fn probe_png_header(bytes: &[u8]) -> Result<Info> {
    let bad = || corrupt(Format::Png, "the IHDR chunk is missing or malformed");
    let size = declared_png_size(bytes).ok_or_else(bad)?;
    let ihdr = bytes.get(16..29).ok_or_else(bad)?;
    let color_type = png::ColorType::from_u8(ihdr[9]).ok_or_else(bad)?;
    let (mut has_trns, mut exif) = (false, None);
    for (kind, data) in png_chunks_before_idat(bytes) {
        match kind {
            b"tRNS" => has_trns = true,
            b"eXIf" => exif = Some(data),
            _ => {}
        }
    }
    Ok(png_info(size, ihdr[8], color_type, has_trns, exif, ihdr[12] == 1))
}

/// The (type, data) of a PNG's chunks up to its first IDAT, stopping at one cut short.
fn png_chunks_before_idat(bytes: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut at = 8usize;
    std::iter::from_fn(move || {
        let len = be_u32(bytes, at)? as usize;
        let kind = bytes.get(at + 4..at + 8)?;
        let data = bytes.get(at + 8..)?.get(..len)?;
        at = at.checked_add(12)?.checked_add(len)?;
        (kind != b"IDAT" && kind != b"IEND").then_some((kind, data))
    })
}

/// The (fourcc, data) of a WebP's RIFF chunks after its `WEBP` tag. A chunk cut short is the
/// last, with the data that is there: its header fields may still be whole.
fn webp_chunks(bytes: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut at = 12usize;
    std::iter::from_fn(move || {
        let size = le_u32(bytes, at + 4)? as usize;
        let kind = bytes.get(at..at + 4)?;
        let rest = bytes.get(at + 8..)?;
        let data = rest.get(..size).unwrap_or(rest);
        at = at.checked_add(8)?.checked_add(size)?.checked_add(size & 1)?;
        Some((kind, data))
    })
}

/// Largest ICC profile read. The matrix/TRC profiles we convert take a few KiB (a KiB-sized
/// tone curve per channel at most); the LUT profiles that run larger are read as sRGB anyway,
/// and a PNG's compressed profile must not inflate without bound.
pub(crate) const MAX_ICC_BYTES: usize = 256 << 10;

/// The ICC profile embedded in `bytes`: JPEG's APP2 segments, PNG's iCCP chunk (inflated up to
/// [`MAX_ICC_BYTES`]) or WebP's ICCP chunk. GIF, QOI and BMP carry none that we read.
fn embedded_icc(bytes: &[u8], format: Format) -> Option<Vec<u8>> {
    match format {
        Format::Jpeg => jpeg::read_header(bytes).ok()?.icc_profile(),
        Format::Png => {
            let (_, data) = png_chunks_before_idat(bytes).find(|(kind, _)| *kind == b"iCCP")?;
            // A profile name of 1–79 bytes, its NUL, the compression method (0: zlib).
            let name_end = data.iter().position(|&b| b == 0)?;
            let compressed = data.get(name_end + 1..)?.strip_prefix(&[0])?;
            miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(compressed, MAX_ICC_BYTES).ok()
        }
        // A cut ICCP chunk yields a profile shorter than its header says, which is no profile.
        Format::Webp => webp_chunks(bytes)
            .find(|(kind, _)| *kind == b"ICCP")
            .filter(|(_, data)| data.len() <= MAX_ICC_BYTES)
            .map(|(_, data)| data.to_vec()),
        Format::Gif | Format::Qoi | Format::Bmp => None,
    }
}

/// The conversion to sRGB that the image's embedded profile asks for, as sharp converts every
/// input to sRGB: none for an untagged or sRGB image, nor for a profile [`ToSrgb`] cannot apply
/// (LUT-based, CMYK), which is then read as sRGB. A profile of the other kind than the image
/// (an RGB profile left on a grey image, a grey one on colour) is ignored, as libvips ignores
/// it: applied, it would shift every grey or every colour.
fn to_srgb(bytes: &[u8], info: &Info) -> Option<ToSrgb> {
    let icc = embedded_icc(bytes, info.format)?;
    let kind_of_image: &[u8] = if info.channels <= 2 { b"GRAY" } else { b"RGB " };
    if icc.get(16..20)? != kind_of_image {
        return None;
    }
    ToSrgb::from_icc(&icc)
}

/// Width and height from the IHDR chunk, which must come first.
fn declared_png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.get(12..16)? != b"IHDR" {
        return None;
    }
    Some((be_u32(bytes, 16)?, be_u32(bytes, 20)?))
}

/// Header fields at byte offset `at`; `None` past the end of the file.
fn field<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at.checked_add(N)?)?.try_into().ok()
}

fn le_u16(bytes: &[u8], at: usize) -> Option<u16> {
    field(bytes, at).map(u16::from_le_bytes)
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    field(bytes, at).map(u32::from_le_bytes)
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    field(bytes, at).map(u32::from_be_bytes)
}

fn le_u24(bytes: &[u8], at: usize) -> Option<u32> {
    field::<3>(bytes, at).map(|[a, b, c]| u32::from_le_bytes([a, b, c, 0]))
}

/// `invalid_input` for a JPEG cut short (see [`jpeg_is_complete`]): every JPEG decode path
/// checks it first.
fn require_complete_jpeg(bytes: &[u8]) -> Result<()> {
    if jpeg_is_complete(bytes) {
        Ok(())
    } else {
        Err(Error::invalid_input("truncated JPEG file: the image data ends before the end-of-image marker"))
    }
}

/// True when the JPEG's scan data is followed by an end-of-image marker. A decoder that reads
/// zeros past the data (libjpeg's rule, and ours) turns a cut-off file into grey blocks; a
/// truncated upload must be an error instead. Marker segments before the first scan are
/// walked by their lengths, so an EXIF thumbnail's own markers are never mistaken for ours;
/// inside scan data a 0xFF byte is always stuffed, so 0xFF 0xD9 there is the real end.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let mut at = 2;
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xff {
            return false;
        }
        let marker = bytes[at + 1];
        if marker == 0xff {
            at += 1;
            continue;
        }
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        if marker == 0xda {
            let scan = at + 2 + length;
            return bytes.get(scan..).is_some_and(|rest| rest.windows(2).any(|w| w == [0xff, 0xd9]));
        }
        at += 2 + length;
    }
    false
}

/// Why a palette cannot be asked of `format` (only PNG and GIF are indexed).
pub fn palette_format_error(format: Format) -> Error {
    Error::invalid_input(format!("a palette applies to PNG and GIF output only, not {}", format.name()))
}

/// The EXIF orientation (1 when absent or unreadable) of a TIFF-headed EXIF block. libvips and
/// others write WebP's and PNG's EXIF chunk with JPEG's `Exif\0\0` prefix, so it is skipped.
fn exif_orientation(exif: Option<&[u8]>) -> u8 {
    let tiff = exif.map(|chunk| chunk.strip_prefix(b"Exif\0\0").unwrap_or(chunk));
    tiff.and_then(image::metadata::Orientation::from_exif_chunk).map_or(1, |o| o.to_exif())
}

fn probe_jpeg(bytes: &[u8]) -> Result<Info> {
    let header = jpeg::read_header(bytes)?;
    let orientation = exif_orientation(header.exif);
    Ok(Info {
        format: Format::Jpeg,
        width: header.width,
        height: header.height,
        // CMYK is reported as the colour image it decodes to.
        channels: header.components.min(3),
        bit_depth: if header.precision > 8 { 16 } else { 8 },
        has_alpha: false,
        orientation,
        palette: false,
        progressive: header.coding == jpeg::Coding::Progressive,
    })
}

fn probe_generic(bytes: &[u8], format: Format) -> Result<Info> {
    // Before the decoder: on wasm32 it refuses some sizes that it takes natively, and every
    // host must say the same about a file.
    if let Some(err) = header_size_error(bytes, format) {
        return Err(err);
    }
    let mut decoder = match image_decoder(bytes, format, &Limits { max_pixels: u64::MAX }) {
        Ok(decoder) => decoder,
        Err(err) => return Err(header_size_error(bytes, format).unwrap_or(err)),
    };
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(header_size_error(bytes, format).unwrap_or_else(|| {
            corrupt(format, format!("the header declares {width}x{height} pixels; an image needs at least one"))
        }));
    }
    let original = decoder.original_color_type();
    let color = decoder.color_type();
    let orientation = exif_orientation(decoder.exif_metadata().ok().flatten().as_deref());
    let gif_frame = if format == Format::Gif { Some(gif_first_frame(bytes)?) } else { None };
    let color = if gif_frame.is_some_and(|frame| frame.opaque) { ColorType::Rgb8 } else { color };
    // image's BMP decoder expands palettes, so its colour types cannot tell; the header can.
    let bmp_index_bits = if format == Format::Bmp {
        bmp_header(bytes)
            .and_then(|header| header.bits_per_pixel)
            .and_then(|bits| u8::try_from(bits).ok())
            .filter(|&bits| bits <= 8)
    } else {
        None
    };
    let bit_depth = match (bmp_index_bits, original) {
        (Some(bits), _) => bits,
        (_, image::ExtendedColorType::L1 | image::ExtendedColorType::La1) => 1,
        (_, image::ExtendedColorType::L2 | image::ExtendedColorType::La2) => 2,
        (_, image::ExtendedColorType::L4 | image::ExtendedColorType::La4) => 4,
        _ => (color.bytes_per_pixel() / color.channel_count()) * 8,
    };
    Ok(Info {
        format,
        width,
        height,
        channels: color.channel_count(),
        bit_depth,
        has_alpha: color.has_alpha(),
        orientation,
        palette: format == Format::Gif || bmp_index_bits.is_some(),
        progressive: gif_frame.is_some_and(|frame| frame.interlaced),
    })
}

/// A size the header declares that the decoders refuse (or misread) without saying why:
/// nothing to decode (`invalid_input`), or beyond what a decoder takes (`limit_exceeded`).
/// `None` when the header does not show such a size.
fn header_size_error(bytes: &[u8], format: Format) -> Option<Error> {
    let (width, height) = match format {
        Format::Bmp => {
            let header = bmp_header(bytes)?;
            (u64::from(header.width), u64::from(header.height))
        }
        Format::Qoi => (u64::from(be_u32(bytes, 4)?), u64::from(be_u32(bytes, 8)?)),
        // An extended file: 24 bits each of canvas width - 1 and height - 1.
        Format::Webp if bytes.get(12..16)? == b"VP8X" => {
            (u64::from(le_u24(bytes, 24)?) + 1, u64::from(le_u24(bytes, 27)?) + 1)
        }
        _ => return None,
    };
    let what = format!("{} of {width}x{height}", format.name().to_uppercase());
    if width == 0 || height == 0 {
        return Some(corrupt(
            format,
            format!("the header declares {width}x{height} pixels; an image needs at least one"),
        ));
    }
    match format {
        Format::Bmp if width > 65535 || height > 65535 => {
            Some(Error::limit_exceeded(format!("{what}: the BMP decoder takes at most 65535 pixels per side")))
        }
        // Our RGBA8 buffer for it could not exist on wasm32 (isize): refused on every host alike.
        Format::Bmp if width * height * 4 > u64::from(i32::MAX.unsigned_abs()) => Some(Error::limit_exceeded(format!(
            "{what}: its pixels would take over 2 GiB, more than a 32-bit (Wasm) host can address"
        ))),
        Format::Qoi if width * height > 400_000_000 => {
            Some(Error::limit_exceeded(format!("{what}: QOI allows at most 400 million pixels")))
        }
        Format::Webp if width * height > u64::from(u32::MAX) => {
            Some(Error::limit_exceeded(format!("{what}: the WebP decoder takes fewer than 2^32 pixels")))
        }
        _ => None,
    }
}

/// The facts of a BMP's info header that image's decoder does not pass on (or misreads).
struct BmpHeader {
    width: u32,
    /// Absolute: a negative height means top-down rows.
    height: u32,
    /// 1, 4 or 8 for palette images; `None` when the file ends before it.
    bits_per_pixel: Option<u16>,
}

/// The info header after the 14-byte file header, in both layouts: the 12-byte OS/2 core
/// header (16-bit sizes) and every later Windows one (32-bit signed sizes).
fn bmp_header(bytes: &[u8]) -> Option<BmpHeader> {
    if le_u32(bytes, 14)? == 12 {
        let (width, height) = (le_u16(bytes, 18)?, le_u16(bytes, 20)?);
        Some(BmpHeader { width: width.into(), height: height.into(), bits_per_pixel: le_u16(bytes, 24) })
    } else {
        Some(BmpHeader {
            width: (le_u32(bytes, 18)? as i32).unsigned_abs(),
            height: (le_u32(bytes, 22)? as i32).unsigned_abs(),
            bits_per_pixel: le_u16(bytes, 28),
        })
    }
}

/// A file far too short to hold the pixels its header declares, found before the decoder
/// allocates them: a 22-byte QOI or a 118-byte BMP declaring 10000×10000 would otherwise cost
/// 400 MB (which Wasm memory keeps) before failing.
fn too_short_for_its_size(bytes: &[u8], format: Format, width: u32, height: u32) -> Option<Error> {
    let pixels = u64::from(width) * u64::from(height);
    let len = bytes.len() as u64;
    let needed = match format {
        // Header, one byte per run of at most 62 pixels, end marker.
        Format::Qoi => 14 + pixels.div_ceil(62) + 8,
        Format::Bmp => {
            let core = le_u32(bytes, 14)? == 12;
            let compression = if core { 0 } else { le_u32(bytes, 30)? };
            // Stored uncompressed (BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS): whole rows, each
            // padded to 4 bytes but the last. RLE may hold fewer.
            if ![0, 3, 6].contains(&compression) {
                return None;
            }
            let bits = u64::from(le_u16(bytes, if core { 24 } else { 28 })?);
            let row_bits = u64::from(width) * bits;
            u64::from(le_u32(bytes, 10)?)
                + (row_bits.div_ceil(32) * 4) * u64::from(height).saturating_sub(1)
                + row_bits.div_ceil(8)
        }
        Format::Webp => return webp_frame_mismatch(bytes, width, height),
        _ => return None,
    };
    (len < needed).then(|| {
        corrupt(
            format,
            format!("the file is {len} bytes, but its {width}x{height} pixels need at least {needed}: it is truncated"),
        )
    })
}

/// A still extended WebP (VP8X) whose one frame is not its canvas's size: the decoder would
/// allocate the canvas (a 1.9 KB file with a tiny frame declaring 10000×10000 took 765 MB
/// under wasmtime) and only then refuse the mismatch. Animations, whose frames may be smaller,
/// are left to it.
fn webp_frame_mismatch(bytes: &[u8], width: u32, height: u32) -> Option<Error> {
    const ANIMATION_FLAG: u8 = 0x02;
    if bytes.get(12..16)? != b"VP8X" || bytes.get(20)? & ANIMATION_FLAG != 0 {
        return None;
    }
    let (kind, data) = webp_chunks(bytes).find(|(kind, _)| matches!(*kind, b"VP8 " | b"VP8L"))?;
    let frame = if kind == b"VP8 " {
        // The frame tag (3 bytes) and start code (3), then 14-bit width and height.
        (u32::from(le_u16(data, 6)? & 0x3fff), u32::from(le_u16(data, 8)? & 0x3fff))
    } else {
        // The signature byte, then width − 1 and height − 1 in 14 bits each.
        let bits = le_u32(data, 1)?;
        ((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1)
    };
    (frame != (width, height)).then(|| {
        corrupt(Format::Webp, format!("its canvas is {width}x{height} but its one image is {}x{}", frame.0, frame.1))
    })
}

fn image_decoder<'a>(bytes: &'a [u8], format: Format, limits: &Limits) -> Result<impl ImageDecoder + 'a> {
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format.image_format());
    let mut image_limits = image::Limits::default();
    // The decoders' own allocation ceiling: our pixel limit at 16 bits × 4 channels, plus slack
    // for their internal tables.
    image_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8).saturating_add(64 << 20));
    reader.limits(image_limits);
    reader.into_decoder().map_err(|e| decode_error(format, e))
}

/// Decodes to upright RGBA8 (unless `auto_orient` is off), refusing sizes over the limit
/// before allocating. Returns the header information alongside.
pub fn decode(bytes: &[u8], options: &DecodeOptions) -> Result<(Image, Info)> {
    let info = probe(bytes)?;
    options.limits.check(info.width, info.height)?;
    let orientation = Orientation::from_exif(info.orientation);
    if info.format == Format::Jpeg {
        require_complete_jpeg(bytes)?;
    }
    let mut image = match (info.format, options.shrink_to) {
        (Format::Jpeg, Some(target)) => decode_jpeg_reduced(bytes, &info, orientation, target, &options.limits)?,
        _ => decode_full(bytes, &info, &options.limits)?,
    };
    if let Some(transform) = to_srgb(bytes, &info) {
        transform.apply_rgba(&mut image.pixels);
    }
    if options.auto_orient {
        geometry::orient(&mut image, orientation)?;
    }
    Ok((image, info))
}

fn decode_full(bytes: &[u8], info: &Info, limits: &Limits) -> Result<Image> {
    into_rgba8(decode_packed(bytes, info, limits, true)?)
}

/// Widens stored samples to RGBA8 in place, growing the buffer first when the decoder did not
/// leave room for it.
fn into_rgba8(mut packed: Packed) -> Result<Image> {
    let pixel_count = packed.width as usize * packed.height as usize;
    let more = (pixel_count * 4).saturating_sub(packed.samples.len());
    packed.samples.try_reserve_exact(more).map_err(|_| too_big(packed.width, packed.height))?;
    packed.samples.resize(packed.samples.len() + more, 0);
    widen_to_rgba8(&mut packed.samples, packed.width as usize, packed.height as usize, packed.color)?;
    Ok(Image {
        width: packed.width,
        height: packed.height,
        pixels: packed.samples,
        has_alpha: packed.color.has_alpha(),
    })
}

/// Pixels as a decoder stores them: `color` samples, packed row after row (16-bit samples in
/// native endianness).
pub(crate) struct Packed {
    samples: Vec<u8>,
    width: u32,
    height: u32,
    color: ColorType,
}

/// Decodes an image `probe` read as `info` through `image`'s decoder for its format (ours for
/// JPEG, the png crate's for PNG). With `room_for_rgba8` the buffer is sized (zero-filled) so
/// `widen_to_rgba8` can work in place without growing it; without it, it holds the samples only.
fn decode_packed(bytes: &[u8], info: &Info, limits: &Limits, room_for_rgba8: bool) -> Result<Packed> {
    let format = info.format;
    match format {
        Format::Jpeg => return decode_jpeg_packed(bytes, 1, limits, room_for_rgba8),
        Format::Png => return decode_png_packed(bytes, limits, room_for_rgba8),
        Format::Qoi => return decode_qoi_packed(bytes, limits, room_for_rgba8),
        _ => {}
    }
    let decoder = image_decoder(bytes, format, limits)?;
    let (width, height) = decoder.dimensions();
    limits.check(width, height)?;
    if let Some(err) = too_short_for_its_size(bytes, format, width, height) {
        return Err(err);
    }
    let color = decoder.color_type();
    let stored_len = usize::try_from(decoder.total_bytes()).map_err(|_| too_big(width, height))?;
    let mut buffer = packed_buffer(stored_len, width, height, room_for_rgba8)?;
    decoder.read_image(&mut buffer[..stored_len]).map_err(|e| decode_error(format, e))?;
    // The probe found the first frame opaque (see `probe_generic`).
    if format == Format::Gif && color == ColorType::Rgba8 && !info.has_alpha {
        // image's GIF decoder always writes RGBA; an opaque frame is RGB, as its header says.
        return Ok(rgb_from_rgba(buffer, width, height, room_for_rgba8));
    }
    Ok(Packed { samples: buffer, width, height, color })
}

/// QOI, always decoded with alpha: the header's channel count is informative only (the spec),
/// and a 3-channel file may still use the RGBA op, whose alpha feeds the index hash. The qoi
/// crate honours that op only under a 4-channel header, so a 3-channel file is decoded from a
/// copy whose header says 4 (the compressed bytes, far smaller than the pixels), then read as
/// RGB, as Pillow reads it.
fn decode_qoi_packed(bytes: &[u8], limits: &Limits, room_for_rgba8: bool) -> Result<Packed> {
    const CHANNELS_AT: usize = 12;
    let header = qoi::decode_header(bytes).map_err(|e| corrupt(Format::Qoi, e))?;
    let (width, height) = (header.width, header.height);
    limits.check(width, height)?;
    if let Some(err) = too_short_for_its_size(bytes, Format::Qoi, width, height) {
        return Err(err);
    }
    let patched;
    let bytes = if header.channels == qoi::Channels::Rgb {
        let mut copy = Vec::new();
        copy.try_reserve_exact(bytes.len()).map_err(|_| too_big(width, height))?;
        copy.extend_from_slice(bytes);
        copy[CHANNELS_AT] = 4;
        patched = copy;
        &patched[..]
    } else {
        bytes
    };
    let mut decoder = qoi::Decoder::new(bytes).map_err(|e| corrupt(Format::Qoi, e))?;
    let rgba_len = decoder.required_buf_len();
    let mut buffer = packed_buffer(rgba_len, width, height, room_for_rgba8)?;
    decoder.decode_to_buf(&mut buffer[..rgba_len]).map_err(|e| corrupt(Format::Qoi, e))?;
    Ok(match header.channels {
        qoi::Channels::Rgba => Packed { samples: buffer, width, height, color: ColorType::Rgba8 },
        qoi::Channels::Rgb => rgb_from_rgba(buffer, width, height, room_for_rgba8),
    })
}

/// RGBA8 samples at the start of `buffer` packed as RGB8, dropping alpha, in place.
fn rgb_from_rgba(mut buffer: Vec<u8>, width: u32, height: u32, room_for_rgba8: bool) -> Packed {
    let pixel_count = width as usize * height as usize;
    for i in 0..pixel_count {
        buffer.copy_within(i * 4..i * 4 + 3, i * 3);
    }
    if !room_for_rgba8 {
        buffer.truncate(pixel_count * 3);
    }
    Packed { samples: buffer, width, height, color: ColorType::Rgb8 }
}

/// A zero-filled buffer for `stored_len` bytes of decoded samples; with `room_for_rgba8`, at
/// least the image's RGBA8 size, so `widen_to_rgba8` can work in place without growing it.
fn packed_buffer(stored_len: usize, width: u32, height: u32, room_for_rgba8: bool) -> Result<Vec<u8>> {
    let rgba8_len = width as usize * height as usize * 4;
    let len = if room_for_rgba8 { stored_len.max(rgba8_len) } else { stored_len };
    let mut buffer = Vec::new();
    buffer.try_reserve_exact(len).map_err(|_| too_big(width, height))?;
    buffer.resize(len, 0);
    Ok(buffer)
}

/// PNG's big-endian 16-bit samples to native endianness, as `Packed` holds them.
fn swap16_to_native(samples: &mut [u8]) {
    for pair in samples.as_chunks_mut::<2>().0 {
        *pair = u16::from_be_bytes(*pair).to_ne_bytes();
    }
}

/// What the first frame's descriptor says beyond image's decoder.
#[derive(Clone, Copy)]
struct GifFrameFacts {
    /// It covers the whole canvas and has no transparent colour index: GIF has no alpha
    /// channel, only that index (and the canvas outside the frame).
    opaque: bool,
    /// Its rows are stored in four interlaced passes (`Info::progressive`).
    interlaced: bool,
}

fn gif_first_frame(bytes: &[u8]) -> Result<GifFrameFacts> {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    let mut decoder = options.read_info(bytes).map_err(|e| corrupt(Format::Gif, e))?;
    let (width, height) = (decoder.width(), decoder.height());
    let frame = decoder.next_frame_info().map_err(|e| corrupt(Format::Gif, e))?;
    let frame = frame.ok_or_else(|| corrupt(Format::Gif, "the GIF has no image"))?;
    Ok(GifFrameFacts {
        opaque: frame.transparent.is_none()
            && (frame.left, frame.top, frame.width, frame.height) == (0, 0, width, height),
        interlaced: frame.interlaced,
    })
}

/// Converts `height` rows of `width` pixels of `color`, stored at the start of `buffer`, to
/// RGBA8 in place (the buffer holds max(stored, RGBA8) bytes), then trims it to RGBA8's length.
/// No second image-sized buffer: a 24 MP photo costs its RGBA8 size and one row more.
fn widen_to_rgba8(buffer: &mut Vec<u8>, width: usize, height: usize, color: ColorType) -> Result<()> {
    let converter = RowConverter::new(color)?;
    if converter.layout != StoredLayout::Rgba8 {
        let (stored_stride, rgba_stride) = (width * converter.stored_bpp, width * 4);
        let mut stored_row = vec![0u8; stored_stride];
        let mut widen = |row: usize| {
            stored_row.copy_from_slice(&buffer[row * stored_stride..][..stored_stride]);
            converter.row(&stored_row, &mut buffer[row * rgba_stride..][..rgba_stride]);
        };
        // Widening walks up from the last row and narrowing down from the first, so no row is
        // overwritten before it is read.
        if converter.stored_bpp < 4 {
            (0..height).rev().for_each(&mut widen);
        } else {
            (0..height).for_each(&mut widen);
        }
    }
    buffer.truncate(width * height * 4);
    Ok(())
}

/// Turns rows of stored pixels into RGBA8 rows: 16-bit samples are rounded to 8 bits, grey is
/// copied to R, G and B, and a missing alpha is opaque.
#[derive(Clone, Copy)]
struct RowConverter {
    layout: StoredLayout,
    stored_bpp: usize,
}

/// The sample layouts a decoder may hand over (`ColorType` also names float ones, which none do).
#[derive(Clone, Copy, PartialEq)]
enum StoredLayout {
    L8,
    La8,
    Rgb8,
    Rgba8,
    L16,
    La16,
    Rgb16,
    Rgba16,
}

impl RowConverter {
    fn new(color: ColorType) -> Result<RowConverter> {
        let layout = match color {
            ColorType::L8 => StoredLayout::L8,
            ColorType::La8 => StoredLayout::La8,
            ColorType::Rgb8 => StoredLayout::Rgb8,
            ColorType::Rgba8 => StoredLayout::Rgba8,
            ColorType::L16 => StoredLayout::L16,
            ColorType::La16 => StoredLayout::La16,
            ColorType::Rgb16 => StoredLayout::Rgb16,
            ColorType::Rgba16 => StoredLayout::Rgba16,
            other => return Err(Error::unsupported(format!("images with {other:?} samples are not supported"))),
        };
        Ok(RowConverter { layout, stored_bpp: color.bytes_per_pixel() as usize })
    }

    fn row(&self, stored: &[u8], out: &mut [u8]) {
        use StoredLayout::*;
        let out = out.as_chunks_mut::<4>().0.iter_mut();
        // One loop per layout, so each is a straight loop the compiler can vectorise.
        match self.layout {
            Rgba8 => out.into_slice().as_flattened_mut().copy_from_slice(stored),
            Rgb8 => stored.as_chunks::<3>().0.iter().zip(out).for_each(|(s, d)| *d = [s[0], s[1], s[2], 255]),
            L8 => stored.iter().zip(out).for_each(|(&l, d)| *d = [l, l, l, 255]),
            La8 => stored.as_chunks::<2>().0.iter().zip(out).for_each(|(s, d)| *d = [s[0], s[0], s[0], s[1]]),
            L16 => stored.as_chunks::<2>().0.iter().zip(out).for_each(|(s, d)| {
                let l = narrow16(s, 0);
                *d = [l, l, l, 255];
            }),
            La16 => stored.as_chunks::<4>().0.iter().zip(out).for_each(|(s, d)| {
                let l = narrow16(s, 0);
                *d = [l, l, l, narrow16(s, 1)];
            }),
            Rgb16 => stored.as_chunks::<6>().0.iter().zip(out).for_each(|(s, d)| {
                *d = [narrow16(s, 0), narrow16(s, 1), narrow16(s, 2), 255];
            }),
            Rgba16 => stored.as_chunks::<8>().0.iter().zip(out).for_each(|(s, d)| {
                *d = [narrow16(s, 0), narrow16(s, 1), narrow16(s, 2), narrow16(s, 3)];
            }),
        }
    }
}

/// Rows of an image decoded whole into its stored colour type (JPEG, WebP, GIF, QOI, BMP and
/// interlaced PNG): the stream saves the RGBA8 copy of the full image, not the decode.
struct PackedRows {
    packed: Packed,
    converter: RowConverter,
    next_row: usize,
}

impl RowSource for PackedRows {
    fn width(&self) -> u32 {
        self.packed.width
    }

    fn height(&self) -> u32 {
        self.packed.height
    }

    fn has_alpha(&self) -> bool {
        self.packed.color.has_alpha()
    }

    fn read_rows(&mut self, out: &mut [u8]) -> Result<()> {
        let stored_stride = self.packed.width as usize * self.converter.stored_bpp;
        for dst in out.chunks_exact_mut(self.packed.width as usize * 4) {
            let start = self.next_row * stored_stride;
            let stored = self
                .packed
                .samples
                .get(start..start + stored_stride)
                .ok_or_else(|| geometry::internal("read past the last decoded row"))?;
            self.converter.row(stored, dst);
            self.next_row += 1;
        }
        Ok(())
    }
}

/// Rows of a non-interlaced PNG, decoded one at a time: memory follows a row, not the image.
/// The same reader as the whole-image decode (`png_reader`), so the rows equal those of
/// `decode`.
struct PngRows<'a> {
    reader: png::Reader<Cursor<&'a [u8]>>,
    width: u32,
    color: ColorType,
    converter: RowConverter,
    /// One row, 16-bit samples swapped to native endianness.
    scratch: Vec<u8>,
    rows_left: u32,
}

impl<'a> PngRows<'a> {
    /// `None` for interlaced files, whose rows arrive in seven passes.
    fn open(bytes: &'a [u8], limits: &Limits) -> Result<Option<PngRows<'a>>> {
        let (reader, color) = png_reader(bytes, limits)?;
        if reader.info().interlaced {
            return Ok(None);
        }
        let (width, height) = (reader.info().width, reader.info().height);
        let converter = RowConverter::new(color)?;
        Ok(Some(PngRows { reader, width, color, converter, scratch: Vec::new(), rows_left: height }))
    }
}

/// The png crate's errors with our codes: its limits (row buffers that would not fit the address
/// space, on wasm32 far sooner than natively) are a limit, the rest damage.
fn png_error(err: png::DecodingError) -> Error {
    match err {
        png::DecodingError::LimitsExceeded => {
            Error::limit_exceeded("the PNG is too large to decode here (its buffers would not fit in memory)")
        }
        other => corrupt(Format::Png, other),
    }
}

/// Bytes of IDAT data present in `bytes`, by walking the chunk headers up to IEND.
fn png_idat_bytes(bytes: &[u8]) -> u64 {
    let (mut at, mut total) = (8usize, 0u64);
    while let (Some(len), Some(kind)) = (be_u32(bytes, at), bytes.get(at + 4..at + 8)) {
        let body = at + 8;
        if kind == b"IDAT" {
            total += u64::from(len).min(bytes.len().saturating_sub(body) as u64);
        } else if kind == b"IEND" {
            break;
        }
        at = body.saturating_add(len as usize).saturating_add(4);
    }
    total
}

/// The png crate's decoder, told to skip what we never use: the ICC profile, which it would
/// inflate up front without bound (a 1.5 MB iCCP chunk to gigabytes, whatever the pixel limit),
/// and the text chunks (kept compressed by png 0.18, skipped in case a later version does not).
fn png_decoder(bytes: &[u8], budget: usize) -> png::Decoder<Cursor<&[u8]>> {
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(bytes), png::Limits { bytes: budget });
    decoder.set_ignore_iccp_chunk(true);
    decoder.set_ignore_text_chunk(true);
    decoder
}

/// A PNG reader past the header, expanding palettes, low bit depths and tRNS to 8- or 16-bit
/// samples, with both checksums verified: the png crate skips zlib's Adler-32 by default, which
/// would decode a damaged stream to wrong pixels where libpng and Pillow refuse it.
fn png_reader<'a>(bytes: &'a [u8], limits: &Limits) -> Result<(png::Reader<Cursor<&'a [u8]>>, ColorType)> {
    let budget = usize::try_from(limits.max_pixels.saturating_mul(8).saturating_add(64 << 20)).unwrap_or(usize::MAX);
    let mut decoder = png_decoder(bytes, budget);
    decoder.ignore_checksums(false);
    decoder.set_transformations(png::Transformations::EXPAND);
    let reader = decoder.read_info().map_err(png_error)?;
    let info = reader.info();
    limits.check(info.width, info.height)?;
    // Deflate packs at most about 1032 bytes into one, so image data far smaller than the
    // pixels cannot be whole: refused before the pixels are allocated (a 1 KB file declaring
    // 10000x10000 would otherwise cost 400 MB, which Wasm memory keeps).
    let bits = u64::from(info.color_type.samples() as u8) * u64::from(info.bit_depth as u8);
    let least = (u64::from(info.width) * bits).div_ceil(8) * u64::from(info.height) / 1100;
    let data = png_idat_bytes(bytes);
    if data < least {
        return Err(corrupt(
            Format::Png,
            format!(
                "its {}x{} pixels need at least {least} bytes of image data, and the file holds {data}: \
                 it is truncated or its size is wrong",
                info.width, info.height
            ),
        ));
    }
    let color = match reader.output_color_type() {
        (png::ColorType::Grayscale, png::BitDepth::Eight) => ColorType::L8,
        (png::ColorType::Grayscale, png::BitDepth::Sixteen) => ColorType::L16,
        (png::ColorType::GrayscaleAlpha, png::BitDepth::Eight) => ColorType::La8,
        (png::ColorType::GrayscaleAlpha, png::BitDepth::Sixteen) => ColorType::La16,
        (png::ColorType::Rgb, png::BitDepth::Eight) => ColorType::Rgb8,
        (png::ColorType::Rgb, png::BitDepth::Sixteen) => ColorType::Rgb16,
        (png::ColorType::Rgba, png::BitDepth::Eight) => ColorType::Rgba8,
        (png::ColorType::Rgba, png::BitDepth::Sixteen) => ColorType::Rgba16,
        (colour, depth) => {
            return Err(Error::unsupported(format!("PNG {colour:?} at {depth:?} bits is not supported")))
        }
    };
    Ok((reader, color))
}

/// A whole PNG (interlaced ones arrive in seven passes, so they cannot stream) in its stored
/// colour type, 16-bit samples in native endianness as `decode_packed` promises.
fn decode_png_packed(bytes: &[u8], limits: &Limits, room_for_rgba8: bool) -> Result<Packed> {
    let (mut reader, color) = png_reader(bytes, limits)?;
    let (width, height) = (reader.info().width, reader.info().height);
    let stored_len = reader.output_buffer_size().ok_or_else(|| too_big(width, height))?;
    let mut buffer = packed_buffer(stored_len, width, height, room_for_rgba8)?;
    reader.next_frame(&mut buffer[..stored_len]).map_err(png_error)?;
    if color.bytes_per_pixel() > color.channel_count() {
        swap16_to_native(&mut buffer[..stored_len]);
    }
    Ok(Packed { samples: buffer, width, height, color })
}

impl RowSource for PngRows<'_> {
    fn width(&self) -> u32 {
        self.width
    }

    fn height(&self) -> u32 {
        self.reader.info().height
    }

    fn has_alpha(&self) -> bool {
        self.color.has_alpha()
    }

    fn read_rows(&mut self, out: &mut [u8]) -> Result<()> {
        let sixteen_bit = self.color.bytes_per_pixel() > self.color.channel_count();
        for dst in out.chunks_exact_mut(self.width as usize * 4) {
            let row = self
                .reader
                .next_row()
                .map_err(png_error)?
                .ok_or_else(|| Error::invalid_input("truncated PNG file: the image data ends early"))?;
            if sixteen_bit {
                self.scratch.clear();
                self.scratch.extend_from_slice(row.data());
                swap16_to_native(&mut self.scratch);
                self.converter.row(&self.scratch, dst);
            } else {
                self.converter.row(row.data(), dst);
            }
            self.rows_left -= 1;
            if self.rows_left == 0 {
                // Past the last row the reader consumes the rest of the image data and checks
                // its CRC, as a whole-image decode does.
                if self.reader.next_row().map_err(png_error)?.is_some() {
                    return Err(Error::invalid_input("the PNG holds more rows than its header declares"));
                }
            }
        }
        Ok(())
    }
}

/// 16-bit sample `index` (native endian, as `image` writes it) to 8 bits, rounding `v / 257`.
fn narrow16(sample: &[u8], index: usize) -> u8 {
    let v = u16::from_ne_bytes([sample[index * 2], sample[index * 2 + 1]]);
    ((u32::from(v) + 128) / 257) as u8
}

/// The smallest JPEG scale (1/8, 1/4, 1/2) whose output still covers `target` in both axes,
/// decoded through the reduced IDCT; a scale of 1 is the full-size decode.
fn decode_jpeg_reduced(
    bytes: &[u8],
    info: &Info,
    orientation: Orientation,
    target: (u32, u32),
    limits: &Limits,
) -> Result<Image> {
    match decode_jpeg_reduced_packed(bytes, info, orientation, target, limits)? {
        Some(packed) => into_rgba8(packed),
        None => decode_full(bytes, info, limits),
    }
}

/// The reduced-IDCT decode of `decode_jpeg_reduced`, as stored samples; `None` when no
/// reduction fits `target`.
fn decode_jpeg_reduced_packed(
    bytes: &[u8],
    info: &Info,
    orientation: Orientation,
    target: (u32, u32),
    limits: &Limits,
) -> Result<Option<Packed>> {
    // Stored (pre-orientation) coordinates.
    let (stored_w, stored_h) =
        if orientation.swaps_axes() { (info.height, info.width) } else { (info.width, info.height) };
    let (want_w, want_h) = if orientation.swaps_axes() { (target.1, target.0) } else { target };
    let denominator =
        [8u32, 4, 2].into_iter().find(|&d| stored_w.div_ceil(d) >= want_w && stored_h.div_ceil(d) >= want_h);
    // As sharp does: when the whole shrink is about the decode factor itself, the reduced
    // IDCT alone would make the output (visibly blockier than a Lanczos pass), so decode at
    // twice the size and leave that factor of two to the resize.
    let shrink = (f64::from(stored_w) / f64::from(want_w.max(1))).min(f64::from(stored_h) / f64::from(want_h.max(1)));
    let denominator = denominator.map(|d| if shrink.floor() as u32 == d { d / 2 } else { d });
    let Some(denominator) = denominator.filter(|&d| d > 1) else {
        return Ok(None);
    };
    decode_jpeg_packed(bytes, denominator, limits, false).map(Some)
}

/// A JPEG at 1/`denominator` of its size, as stored samples (see [`jpeg`]).
fn decode_jpeg_packed(bytes: &[u8], denominator: u32, limits: &Limits, room_for_rgba8: bool) -> Result<Packed> {
    let decoded = jpeg::decode(bytes, denominator, limits, room_for_rgba8)?;
    Ok(Packed {
        samples: decoded.samples,
        width: decoded.width,
        height: decoded.height,
        color: if decoded.channels == 1 { ColorType::L8 } else { ColorType::Rgb8 },
    })
}

/// The stored rows of `bytes` (already probed as `info`), for a caller that consumes them in
/// order (`stream::resample_rows`): a non-interlaced PNG is decoded row by row; a JPEG is decoded
/// at the reduced scale `options.shrink_to` allows; every other image is decoded whole but
/// kept in its stored colour type. The rows are in stored `orientation` (`shrink_to` is
/// upright, as in [`decode`]); turning the result upright is the caller's.
pub(crate) fn decode_rows<'a>(
    bytes: &'a [u8],
    info: &Info,
    orientation: Orientation,
    options: &DecodeOptions,
) -> Result<Box<dyn RowSource + 'a>> {
    options.limits.check(info.width, info.height)?;
    let rows = stored_rows(bytes, info, orientation, options)?;
    Ok(match to_srgb(bytes, info) {
        Some(transform) => Box::new(SrgbRows { rows, transform }),
        None => rows,
    })
}

/// [`decode_rows`] before the colour conversion.
fn stored_rows<'a>(
    bytes: &'a [u8],
    info: &Info,
    orientation: Orientation,
    options: &DecodeOptions,
) -> Result<Box<dyn RowSource + 'a>> {
    let limits = &options.limits;
    let packed = match info.format {
        Format::Png => {
            if let Some(rows) = PngRows::open(bytes, limits)? {
                return Ok(Box::new(rows));
            }
            decode_packed(bytes, info, limits, false)?
        }
        Format::Jpeg => {
            require_complete_jpeg(bytes)?;
            let reduced = match options.shrink_to {
                Some(target) => decode_jpeg_reduced_packed(bytes, info, orientation, target, limits)?,
                None => None,
            };
            match reduced {
                Some(packed) => packed,
                None => decode_packed(bytes, info, limits, false)?,
            }
        }
        _ => decode_packed(bytes, info, limits, false)?,
    };
    let converter = RowConverter::new(packed.color)?;
    Ok(Box::new(PackedRows { packed, converter, next_row: 0 }))
}

/// Rows converted to sRGB from the image's embedded profile as they are read.
struct SrgbRows<'a> {
    rows: Box<dyn RowSource + 'a>,
    transform: ToSrgb,
}

impl RowSource for SrgbRows<'_> {
    fn width(&self) -> u32 {
        self.rows.width()
    }
    fn height(&self) -> u32 {
        self.rows.height()
    }
    fn has_alpha(&self) -> bool {
        self.rows.has_alpha()
    }
    fn read_rows(&mut self, out: &mut [u8]) -> Result<()> {
        self.rows.read_rows(out)?;
        self.transform.apply_rgba(out);
        Ok(())
    }
}

/// Encodes `image`. JPEG has no alpha: the image is flattened onto black, as libvips (and so
/// sharp) saves it (write `flatten` first for another background); PNG, WebP, QOI and BMP keep
/// alpha, GIF as one transparent index (alpha under 128).
/// Images without alpha are written as RGB.
/// WebP below quality 100 is lossy (VP8, its alpha plane lossless); at 100 it is lossless.
/// PNG and JPEG store a grey image (R = G = B everywhere) as grey, as libvips, Pillow and
/// ImageMagick do (sharp stores RGB unless asked for `b-w`): the same pixels, fewer bytes.
pub fn encode(image: &Image, options: &EncodeOptions) -> Result<Vec<u8>> {
    encode_with_channels(image, options).map(|(bytes, _)| bytes)
}

/// [`encode`], with the number of channels the file stores (1 grey, 2 grey + alpha, 3 colour,
/// 4 colour + alpha).
pub fn encode_with_channels(image: &Image, options: &EncodeOptions) -> Result<(Vec<u8>, u8)> {
    let (w, h) = (image.width, image.height);
    let mut out = Vec::new();
    let mut channels = if image.has_alpha { 4 } else { 3 };
    match (options.format, &options.palette) {
        (Format::Png, Some(palette)) => {
            return encode_indexed_png(image, palette, options.png_level()?).map(|bytes| (bytes, channels))
        }
        (Format::Gif, palette) => {
            return encode_gif(image, &palette.unwrap_or_default()).map(|bytes| (bytes, channels))
        }
        (format, Some(_)) => return Err(palette_format_error(format)),
        _ => {}
    }
    match options.format {
        Format::Jpeg => {
            if !(1..=100).contains(&options.quality) {
                return Err(Error::invalid_input(format!("JPEG quality must be 1 to 100, got {}", options.quality)));
            }
            if w > u32::from(u16::MAX) || h > u32::from(u16::MAX) {
                return Err(Error::limit_exceeded(format!("JPEG cannot store {w}x{h}; its limit is 65535 per side")));
            }
            let mut encoder = jpeg_encoder::Encoder::new(&mut out, options.quality);
            encoder.set_progressive(options.progressive);
            // What libjpeg does under sharp's defaults (optimiseCoding, 4:2:0 by box average):
            // Huffman tables fitted to the image cost nothing in quality and save 5–10 % of
            // the bytes, and averaged chroma keeps thin coloured lines that the crate's default
            // (the top-left sample of each block) drops or aliases.
            encoder.set_optimized_huffman_tables(true);
            encoder.set_sampling_factor(match options.chroma {
                ChromaSubsampling::Half => jpeg_encoder::SamplingFactor::R_4_2_0,
                ChromaSubsampling::Full => jpeg_encoder::SamplingFactor::R_4_4_4,
            });
            encoder.set_chroma_subsampling_method(jpeg_encoder::ChromaSubsamplingMethod::Average);
            // Colour the alpha hid must not show: what is not opaque fades to black.
            let flattened;
            let image = if image.has_alpha {
                flattened = flattened_on_black(image)?;
                &flattened
            } else {
                image
            };
            // A grey image is written as one component: no chroma to code, so a smaller file
            // that decodes to the same greys.
            let result = match grey_samples(image, false) {
                Some(grey) => {
                    channels = 1;
                    encoder.encode(&grey, w as u16, h as u16, jpeg_encoder::ColorType::Luma)
                }
                None => {
                    channels = 3;
                    encoder.encode(&image.pixels, w as u16, h as u16, jpeg_encoder::ColorType::Rgba)
                }
            };
            result.map_err(|e| Error::invalid_input(format!("JPEG encoding failed: {e}")))?;
        }
        Format::Webp => {
            if w > 16384 || h > 16384 {
                return Err(Error::limit_exceeded(format!("WebP cannot store {w}x{h}; its limit is 16384 per side")));
            }
            if !(1..=100).contains(&options.quality) {
                return Err(Error::invalid_input(format!("WebP quality must be 1 to 100, got {}", options.quality)));
            }
            if options.quality < EncodeOptions::LOSSLESS {
                return crate::webp::encode_lossy(image, options.quality).map(|bytes| (bytes, channels));
            }
            let (data, _) = narrowed(image);
            let color = if image.has_alpha { image_webp::ColorType::Rgba8 } else { image_webp::ColorType::Rgb8 };
            image_webp::WebPEncoder::new(&mut out)
                .encode(&data, w, h, color)
                .map_err(|e| Error::invalid_input(format!("WebP encoding failed: {e}")))?;
        }
        format => {
            // PNG stores grey (and grey + alpha) as such: a third (a half) of the samples to
            // compress, losslessly.
            let grey = if format == Format::Png { grey_samples(image, image.has_alpha) } else { None };
            let (data, color) = match grey {
                Some(grey) => {
                    channels -= 2;
                    let color =
                        if image.has_alpha { image::ExtendedColorType::La8 } else { image::ExtendedColorType::L8 };
                    (std::borrow::Cow::Owned(grey), color)
                }
                None => narrowed(image),
            };
            let cursor = Cursor::new(&mut out);
            let result = match format {
                Format::Png => {
                    use image::codecs::png::CompressionType;
                    let compression = match options.png_level()? {
                        None => CompressionType::Default,
                        Some(level) => CompressionType::Level(level),
                    };
                    let encoder = image::codecs::png::PngEncoder::new_with_quality(
                        cursor,
                        compression,
                        image::codecs::png::FilterType::Adaptive,
                    );
                    image::ImageEncoder::write_image(encoder, &data, w, h, color)
                }
                Format::Qoi => {
                    image::ImageEncoder::write_image(image::codecs::qoi::QoiEncoder::new(cursor), &data, w, h, color)
                }
                Format::Bmp => {
                    let mut cursor = cursor;
                    image::ImageEncoder::write_image(
                        image::codecs::bmp::BmpEncoder::new(&mut cursor),
                        &data,
                        w,
                        h,
                        color,
                    )
                }
                Format::Jpeg | Format::Webp | Format::Gif => unreachable!("handled above"),
            };
            result.map_err(|e| match e {
                ImageError::Limits(l) => Error::limit_exceeded(format!("{} encoding: {l}", format.name())),
                other => Error::invalid_input(format!("{} encoding failed: {other}", format.name())),
            })?;
        }
    }
    Ok((out, channels))
}

/// `image` over black, opaque, truncated as libvips' `flatten` truncates for a JPEG save.
fn flattened_on_black(image: &Image) -> Result<Image> {
    let mut pixels = crate::alloc_pixels(image.width, image.height)?;
    pixels.copy_from_slice(&image.pixels);
    let mut flat = Image { pixels, ..*image };
    crate::colour::flatten(&mut flat, [0; 3], crate::colour::Blend255::Truncate);
    Ok(flat)
}

/// The grey samples (with alpha when `alpha`) of an image whose every pixel has R = G = B, or
/// None as soon as one pixel has colour.
fn grey_samples(image: &Image, alpha: bool) -> Option<Vec<u8>> {
    if !is_grey(image) {
        return None;
    }
    let pixels = image.pixels.as_chunks::<4>().0;
    Some(if alpha {
        pixels.iter().flat_map(|&[v, _, _, a]| [v, a]).collect()
    } else {
        pixels.iter().map(|p| p[0]).collect()
    })
}

/// True when every pixel has R = G = B. It stops at the first block with a coloured pixel,
/// usually in the first row: colour images pay almost nothing for the check.
///
/// ORs `R^G` and `G^B` over whole blocks (as `any_translucent` ANDs alpha) so the compiler
/// vectorises it: on 12 MP of grey, 9 ms in Node and 5 under wasmtime, where a per-pixel
/// early exit took 22 and 8.
pub(crate) fn is_grey(image: &Image) -> bool {
    const BLOCK: usize = 4 * 1024;
    image.pixels.chunks(BLOCK).all(|block| {
        let differences = block.chunks_exact(4).fold(0, |acc, p| {
            let p = u32::from_le_bytes([p[0], p[1], p[2], p[3]]);
            acc | (p ^ p >> 8)
        });
        differences & 0xffff == 0
    })
}

/// A GIF of `image` reduced to `palette` (see [`crate::palette`]).
///
/// GIF has one transparent index, not alpha. Half opaque or more is opaque, as libvips (sharp)
/// and most editors decide; the rest is transparent.
fn encode_gif(image: &Image, palette: &Palette) -> Result<Vec<u8>> {
    let side = |v: u32| u16::try_from(v).ok();
    let (Some(width), Some(height)) = (side(image.width), side(image.height)) else {
        return Err(Error::limit_exceeded(format!(
            "GIF cannot store {}x{}; its limit is 65535 per side",
            image.width, image.height
        )));
    };
    let cut;
    let source = if image.has_alpha {
        let mut pixels = Vec::new();
        pixels.try_reserve_exact(image.pixels.len()).map_err(|_| too_big(image.width, image.height))?;
        let mut has_alpha = false;
        pixels.extend(image.pixels.as_chunks::<4>().0.iter().flat_map(|&[r, g, b, a]| {
            if a >= 128 {
                [r, g, b, 255]
            } else {
                has_alpha = true;
                [0; 4]
            }
        }));
        cut = Image { width: image.width, height: image.height, pixels, has_alpha };
        &cut
    } else {
        image
    };
    let indexed = palette::quantise(source, palette)?;
    let colours: Vec<u8> = indexed.entries.iter().flat_map(|e| [e[0], e[1], e[2]]).collect();
    let failed = |e: gif::EncodingError| Error::invalid_input(format!("GIF encoding failed: {e}"));
    let mut encoder = gif::Encoder::new(Vec::new(), width, height, &colours).map_err(failed)?;
    let frame = gif::Frame {
        width,
        height,
        // `compacted` puts the one transparent entry, if any, first.
        transparent: indexed.entries.first().filter(|e| e[3] == 0).map(|_| 0),
        buffer: std::borrow::Cow::Borrowed(&indexed.indices),
        ..gif::Frame::default()
    };
    encoder.write_frame(&frame).map_err(failed)?;
    encoder.into_inner().map_err(failed)
}

/// An indexed-colour PNG of `image` reduced to `palette` (see [`crate::palette`]), at a zlib
/// `level` already checked by [`EncodeOptions::png_level`].
fn encode_indexed_png(image: &Image, palette: &Palette, level: Option<u8>) -> Result<Vec<u8>> {
    let indexed = palette::quantise(image, palette)?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, image.width, image.height);
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(match indexed.bit_depth() {
        1 => png::BitDepth::One,
        2 => png::BitDepth::Two,
        4 => png::BitDepth::Four,
        _ => png::BitDepth::Eight,
    });
    encoder.set_palette(indexed.entries.iter().flat_map(|e| [e[0], e[1], e[2]]).collect::<Vec<u8>>());
    let transparency = indexed.transparency();
    if !transparency.is_empty() {
        encoder.set_trns(transparency);
    }
    match level {
        None => encoder.set_compression(png::Compression::Balanced),
        Some(0) => encoder.set_compression(png::Compression::NoCompression),
        Some(level) => encoder.set_deflate_compression(png::DeflateCompression::Level(level)),
    }
    // Indices are labels, not intensities: differences between neighbours predict nothing.
    encoder.set_filter(png::Filter::NoFilter);
    let failed = |e: png::EncodingError| Error::invalid_input(format!("PNG encoding failed: {e}"));
    let mut writer = encoder.write_header().map_err(failed)?;
    writer.write_image_data(&indexed.packed_rows(image.width as usize)).map_err(failed)?;
    writer.finish().map_err(failed)?;
    Ok(out)
}

/// RGB8 (a copy) when the image is opaque, otherwise the RGBA8 pixels themselves.
fn narrowed(image: &Image) -> (std::borrow::Cow<'_, [u8]>, image::ExtendedColorType) {
    if image.has_alpha {
        (std::borrow::Cow::Borrowed(&image.pixels), image::ExtendedColorType::Rgba8)
    } else {
        let rgb: Vec<u8> = image.pixels.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
        (std::borrow::Cow::Owned(rgb), image::ExtendedColorType::Rgb8)
    }
}

fn decode_error(format: Format, err: ImageError) -> Error {
    match err {
        ImageError::Limits(l) => Error::limit_exceeded(format!("{}: {l}", format.name())),
        ImageError::Unsupported(u) => Error::unsupported(format!("{}: {u}", format.name())),
        other => corrupt(format, other),
    }
}

fn corrupt(format: Format, err: impl std::fmt::Display) -> Error {
    let name = match format {
        Format::Webp => "WebP".to_owned(),
        other => other.name().to_uppercase(),
    };
    Error::invalid_input(format!("corrupt or truncated {name} file: {}", readable(&err.to_string())))
}

/// A decoder's message without what only its authors can read: `image`'s "Format error decoding
/// Png: " prefix (the caller names the format), the png crate's `Debug` of a chunk type
/// (`ChunkType { type: IDAT, critical: true, .. }` becomes `IDAT`), and the I/O wording of a
/// reader that ran out of bytes.
fn readable(message: &str) -> String {
    let message = match message.strip_prefix("Format error decoding ") {
        Some(rest) => rest.split_once(": ").map_or(rest, |(_, detail)| detail),
        None => message,
    };
    // `std::io::ErrorKind::UnexpectedEof`'s text, as the BMP, QOI and WebP readers pass it on.
    if message.ends_with("failed to fill whole buffer") {
        return "the file ends before its image data does".to_owned();
    }
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("ChunkType { type: ") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "ChunkType { type: ".len()..];
        let Some(end) = after.find('}') else { break };
        out.push_str(after.split(',').next().unwrap_or("").trim());
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn too_big(width: u32, height: u32) -> Error {
    Error::limit_exceeded(format!("not enough memory to decode a {width}x{height} image"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that ran out of bytes says so, whichever decoder's reader it was.
    #[test]
    fn a_cut_file_is_reported_as_ending_early() {
        let image = Image { width: 40, height: 30, pixels: vec![90; 40 * 30 * 4], has_alpha: false };
        // Cut inside the header, where each crate's reader hits the end of its input.
        for (format, at) in [(Format::Bmp, 30), (Format::Qoi, 8), (Format::Webp, 20)] {
            let quality = if format == Format::Webp { EncodeOptions::LOSSLESS } else { 90 };
            let whole = encode(&image, &EncodeOptions { quality, ..EncodeOptions::new(format) }).unwrap();
            let cut = &whole[..at];
            let err = decode(cut, &DecodeOptions::default()).unwrap_err();
            assert_eq!(err.code().as_str(), "invalid_input", "{format:?}: {err}");
            assert!(!err.message().contains("fill whole buffer"), "{format:?}: {err}");
        }
        let err = corrupt(Format::Webp, "failed to fill whole buffer");
        assert_eq!(err.message(), "corrupt or truncated WebP file: the file ends before its image data does");
    }

    #[test]
    fn one_coloured_pixel_anywhere_makes_an_image_not_grey() {
        // Past the first block of the scan, and in either colour difference (R ≠ G, G ≠ B);
        // alpha never counts.
        let (width, height) = (1500, 3);
        let grey = |i: usize| [(i % 256) as u8, (i % 256) as u8, (i % 256) as u8, (i % 7) as u8];
        let mut image = Image { width, height, pixels: (0..1500 * 3).flat_map(grey).collect(), has_alpha: true };
        assert!(is_grey(&image));
        for (at, channel) in [(4499, 0), (4499, 2), (1024, 1), (0, 2)] {
            let mut coloured = image.clone();
            coloured.pixels[4 * at + channel] ^= 1;
            assert!(!is_grey(&coloured), "pixel {at}, channel {channel}");
        }
        image.pixels.truncate(4 * 1499 * 3);
        image.width = 1499;
        assert!(is_grey(&image));
    }

    /// What alpha hid stays hidden in a JPEG: the colour fades to black as libvips flattens it.
    #[test]
    fn jpeg_flattens_alpha_onto_black() {
        // 16×16 blocks of one colour at alphas 0, 64, 128, 255: flat blocks survive JPEG q100.
        let alphas = [0u8, 64, 128, 255];
        let (width, height) = (64, 16);
        let pixels = (0..height * width).flat_map(|i| [200, 100, 50, alphas[(i % width / 16) as usize]]).collect();
        let image = Image { width, height, pixels, has_alpha: true };
        let options =
            EncodeOptions { quality: 100, chroma: ChromaSubsampling::Full, ..EncodeOptions::new(Format::Jpeg) };
        let (back, _) = decode(&encode(&image, &options).unwrap(), &DecodeOptions::default()).unwrap();
        assert!(!back.has_alpha);
        for (block, &a) in alphas.iter().enumerate() {
            let px = &back.pixels[(8 * width as usize + block * 16 + 8) * 4..][..3];
            let want = [200, 100, 50].map(|c: u32| (c * u32::from(a) / 255) as i32);
            let near = px.iter().zip(want).all(|(&got, want)| (i32::from(got) - want).abs() <= 1);
            assert!(near, "alpha {a}: {px:?}, want {want:?}");
        }
    }

    /// The QOI spec makes the header's channel count informative: a 3-channel file may still
    /// use the RGBA op (and its alpha feeds the index hash). Read as Pillow reads it: RGB.
    #[test]
    fn qoi_with_rgba_ops_under_a_three_channel_header_decodes() {
        let colours: Vec<[u8; 3]> = (0..30u32).map(|i| [(i * 40 % 256) as u8, (i * 7) as u8, 200]).collect();
        let mut file = b"qoif".to_vec();
        file.extend(6u32.to_be_bytes());
        file.extend(5u32.to_be_bytes());
        file.extend([3, 0]);
        for (i, c) in colours.iter().enumerate() {
            file.extend([0xff, c[0], c[1], c[2], if i == 7 { 9 } else { 255 }]);
        }
        file.extend([0, 0, 0, 0, 0, 0, 0, 1]);
        let (image, info) = decode(&file, &DecodeOptions::default()).unwrap();
        assert_eq!((image.width, image.height, image.has_alpha, info.channels), (6, 5, false, 3));
        let want: Vec<u8> = colours.iter().flat_map(|c| [c[0], c[1], c[2], 255]).collect();
        assert_eq!(image.pixels, want);
    }

    /// image's BMP decoder takes 65535×65535 natively and refuses it on wasm32; every host must
    /// give the same answer, so the size is refused from the header before the decoder.
    #[test]
    fn a_bmp_too_big_for_wasm32_is_refused_alike_everywhere() {
        let bmp = |side: i32| {
            let mut file = b"BM".to_vec();
            file.extend(54u32.to_le_bytes().iter().chain(&[0; 4]).chain(&54u32.to_le_bytes()));
            file.extend(40u32.to_le_bytes().iter().chain(&side.to_le_bytes()).chain(&side.to_le_bytes()));
            file.extend(1u16.to_le_bytes().iter().chain(&24u16.to_le_bytes()).chain(&[0; 24]));
            file
        };
        let err = probe(&bmp(65535)).unwrap_err();
        assert_eq!(err.code(), nearnative_core::ErrorCode::LimitExceeded, "{err}");
        assert!(err.to_string().contains("2 GiB"), "{err}");
        assert_eq!(probe(&bmp(23170)).map(|info| (info.width, info.height)).ok(), Some((23170, 23170)));
    }

    /// A tiny file declaring a big image is refused from its length, before the decoder
    /// allocates the pixels.
    #[test]
    fn files_too_short_for_their_size_are_refused_before_allocating() {
        let mut qoi = b"qoif".to_vec();
        qoi.extend(10_000u32.to_be_bytes().iter().chain(&10_000u32.to_be_bytes()).chain(&[4, 0]));
        qoi.extend([0, 0, 0, 0, 0, 0, 0, 1]);
        let mut bmp = b"BM".to_vec();
        bmp.extend(118u32.to_le_bytes().iter().chain(&[0; 4]).chain(&54u32.to_le_bytes()));
        bmp.extend(40u32.to_le_bytes().iter().chain(&10_000i32.to_le_bytes()).chain(&10_000i32.to_le_bytes()));
        bmp.extend(1u16.to_le_bytes().iter().chain(&24u16.to_le_bytes()).chain(&[0; 24]));
        bmp.resize(118, 7);
        for (what, file) in [("QOI", qoi), ("BMP", bmp)] {
            let err = decode(&file, &DecodeOptions::default()).unwrap_err();
            assert_eq!(err.code(), nearnative_core::ErrorCode::InvalidInput, "{what}: {err}");
            assert!(err.to_string().contains("need at least"), "{what}: {err}");
        }
    }

    /// A still VP8X canvas far larger than its one frame is refused before the canvas is
    /// allocated; the same frame under a matching canvas decodes.
    #[test]
    fn a_webp_canvas_unlike_its_frame_is_refused_before_allocating() {
        let image = Image { width: 3, height: 2, pixels: [9, 8, 7, 255].repeat(6), has_alpha: false };
        let lossless = encode(&image, &EncodeOptions { quality: 100, ..EncodeOptions::new(Format::Webp) }).unwrap();
        let vp8l = &lossless[12..]; // the VP8L chunk after RIFF....WEBP
        assert_eq!(&vp8l[..4], b"VP8L");
        let extended = |(w, h): (u32, u32)| {
            let mut file = b"RIFF\0\0\0\0WEBPVP8X".to_vec();
            file.extend(10u32.to_le_bytes());
            file.extend([0, 0, 0, 0]);
            file.extend(&(w - 1).to_le_bytes()[..3]);
            file.extend(&(h - 1).to_le_bytes()[..3]);
            file.extend(vp8l);
            let riff = (file.len() - 8) as u32;
            file[4..8].copy_from_slice(&riff.to_le_bytes());
            file
        };
        let (decoded, _) = decode(&extended((3, 2)), &DecodeOptions::default()).unwrap();
        assert_eq!(decoded.pixels, image.pixels);
        let err = decode(&extended((10_000, 10_000)), &DecodeOptions::default()).unwrap_err();
        assert_eq!(err.code(), nearnative_core::ErrorCode::InvalidInput, "{err}");
        assert!(err.to_string().contains("its one image is 3x2"), "{err}");
        // Cut right after the frame's size fields: still refused from them.
        let cut = &extended((10_000, 10_000))[..12 + 18 + 8 + 5];
        let err = decode(cut, &DecodeOptions::default()).unwrap_err();
        assert!(err.to_string().contains("its one image is 3x2"), "{err}");
    }

    #[test]
    fn decoder_messages_are_readable() {
        let crc = "Format error decoding Png: CRC error: expected 0x93cf3e7e have 0x6ccf3e7e while decoding \
                   ChunkType { type: IDAT, critical: true, private: false, reserved: false, safecopy: false } chunk.";
        assert_eq!(readable(crc), "CRC error: expected 0x93cf3e7e have 0x6ccf3e7e while decoding IDAT chunk.");
        assert_eq!(readable("Invalid bit depth 3."), "Invalid bit depth 3.");
    }

    /// The chunk-reading fallback of `probe_png` (sizes the png crate will not set up a reader
    /// for) must describe every PNG vector as the png crate does.
    #[test]
    fn the_png_header_fallback_agrees_with_the_png_crate() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/image/png");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            let (Ok(crate_view), Ok(fallback)) = (probe_png(&bytes), probe_png_header(&bytes)) else { continue };
            assert_eq!(crate_view, fallback);
            checked += 1;
        }
        assert!(checked > 300, "only {checked} PNG vectors compared");
    }
}
