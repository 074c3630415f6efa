//! A JPEG decoder (baseline, extended and progressive Huffman; 8-bit) that gives libjpeg-turbo's
//! samples: its islow IDCT, its fancy upsampling and its colour tables, so a full-size decode
//! equals Pillow's, browsers' reference and most tools' to the last bit (the conformance
//! vectors hold it to that, at tolerance 0).
//!
//! It is ours, and not jpeg-decoder or zune-jpeg, because neither comes within ±1 of
//! libjpeg-turbo: their IDCTs and upsamplers round differently (up to 3 off on subsampled
//! photos, 12 at zune-jpeg's right edge). Lossless JPEG (SOF3, medical and raw-camera files) is
//! described by `read_header` but not decoded: `unsupported`.
//!
//! Reduced decodes (1/2, 1/4, 1/8) take each block's low-frequency corner, and give chroma a
//! larger block where that removes upsampling, as libjpeg-turbo does for shrink-on-load.
//!
//! Known differences from libjpeg-turbo: a progressive file whose scans stop short of full
//! precision is not block-smoothed; a missing restart marker is an error, not resynchronised;
//! arithmetic coding and 12-bit samples are `unsupported`.

mod entropy;
mod idct;
mod output;

use nearnative_core::{Error, Result};

use crate::Limits;
use entropy::{BitReader, HuffmanTable, ScanState, ZIGZAG};
use output::{ColourModel, Plane};

fn bad(detail: &str) -> Error {
    Error::invalid_input(format!("corrupt JPEG file: {detail}"))
}

fn unsupported(detail: &str) -> Error {
    Error::unsupported(format!("JPEG: {detail}"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    Sequential,
    Progressive,
    Lossless,
}

/// What the markers before the first scan say.
#[derive(Debug, Clone)]
pub(crate) struct Header<'a> {
    pub width: u32,
    pub height: u32,
    pub components: u8,
    pub precision: u8,
    pub coding: Coding,
    /// The TIFF structure of the first `Exif` APP1 segment.
    pub exif: Option<&'a [u8]>,
    /// The `ICC_PROFILE` APP2 segments as (sequence number, part count, part), in file order:
    /// slices of the file, joined only by [`Header::icc_profile`] when a caller needs them.
    icc_parts: Vec<(u8, u8, &'a [u8])>,
}

impl Header<'_> {
    /// The ICC profile from the APP2 parts: numbered 1 to their count, each once, all agreeing
    /// on the count (as libjpeg's `jpeg_read_icc_profile` demands), and no larger than a profile
    /// we read; otherwise none.
    pub fn icc_profile(&self) -> Option<Vec<u8>> {
        let mut parts = self.icc_parts.clone();
        parts.sort_by_key(|&(sequence, ..)| sequence);
        let count = parts.first()?.1;
        let complete = parts.len() == usize::from(count)
            && parts.iter().enumerate().all(|(i, &(sequence, n, _))| usize::from(sequence) == i + 1 && n == count);
        let size: usize = parts.iter().map(|(.., part)| part.len()).sum();
        (complete && size <= crate::codec::MAX_ICC_BYTES)
            .then(|| parts.iter().flat_map(|&(.., part)| part.iter().copied()).collect())
    }
}

/// Samples as decoded: `channels` (1 for grey, else 3: RGB) per pixel, rows packed.
pub(crate) struct Decoded {
    pub samples: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub channels: u8,
}

/// Reads the markers up to the first scan.
pub(crate) fn read_header(bytes: &[u8]) -> Result<Header<'_>> {
    let mut markers = Markers::new(bytes)?;
    let frame = markers.read_to_first_scan()?;
    Ok(Header {
        width: frame.width,
        height: frame.height,
        components: frame.components.len() as u8,
        precision: frame.precision,
        coding: frame.coding,
        exif: markers.exif,
        icc_parts: markers.icc_parts,
    })
}

/// Decodes at 1/`denominator` of the stored size (1, 2, 4 or 8), checking that output size
/// against `limits` before allocating. With `room_for_rgba8` the sample buffer is reserved at
/// 4 bytes per pixel, so widening it later does not move it.
pub(crate) fn decode(bytes: &[u8], denominator: u32, limits: &Limits, room_for_rgba8: bool) -> Result<Decoded> {
    let mut markers = Markers::new(bytes)?;
    let mut frame = markers.read_to_first_scan()?;
    match (frame.coding, frame.precision) {
        (Coding::Lossless, _) => {
            return Err(unsupported("lossless JPEG (SOF3) is not supported; convert it with a tool that reads it"));
        }
        (_, 8) => {}
        (_, bits) => return Err(unsupported(&format!("{bits}-bit samples (only 8-bit JPEG is supported)"))),
    }
    let model = colour_model(&frame, &markers)?;
    let base = match denominator {
        1 => 8,
        2 => 4,
        4 => 2,
        8 => 1,
        _ => return Err(Error::invalid_input(format!("no JPEG scale of 1/{denominator}"))),
    };
    let out_w = frame.width.div_ceil(denominator);
    let out_h = frame.height.div_ceil(denominator);
    limits.check(out_w, out_h)?;
    frame.check_room_for_blocks(bytes.len() - markers.position.min(bytes.len()))?;
    frame.allocate(base, limits)?;
    entropy::fill_standard_tables(&mut markers.dc, &mut markers.ac);

    let progressive = frame.coding == Coding::Progressive;
    let mut scans = 0;
    loop {
        match markers.next_segment()? {
            Segment::Scan(header) => {
                scans += 1;
                if scans > MAX_SCANS {
                    return Err(Error::limit_exceeded(format!(
                        "the JPEG has more than {MAX_SCANS} scans (encoders write at most a few dozen; \
                         each one walks the whole image, so this is refused as a decoding bomb)"
                    )));
                }
                let scan = read_scan(header, &frame)?;
                markers.position = frame.decode_scan(bytes, markers.position, &scan, &markers)?;
            }
            Segment::End => break,
            Segment::Frame(_) => return Err(bad("it has a second frame header")),
            Segment::Other => {}
        }
    }
    if progressive {
        frame.transform_coefficients();
    } else if let Some(c) = frame.components.iter().find(|c| c.quant.is_none()) {
        return Err(bad(&format!("component {} has no scan", c.id)));
    }

    let channels = if model == ColourModel::Grey { 1 } else { 3 };
    let (w, h) = (out_w as usize, out_h as usize);
    let mut samples = Vec::new();
    let capacity = w * h * if room_for_rgba8 { 4 } else { channels };
    samples.try_reserve_exact(capacity).map_err(|_| too_big(out_w, out_h))?;
    let planes: Vec<Plane> = frame.components.into_iter().map(|c| c.plane).collect();
    output::convert(&planes, model, w, h, &mut samples);
    Ok(Decoded { samples, width: out_w, height: out_h, channels: channels as u8 })
}

/// Real encoders write one scan per component (sequential) or about 10 (progressive; mozjpeg's
/// searched scripts a few dozen). A small hostile file can hold thousands of scan headers, and
/// every scan walks all the image's blocks.
const MAX_SCANS: usize = 1000;

fn too_big(width: u32, height: u32) -> Error {
    Error::limit_exceeded(format!("not enough memory to decode a {width}x{height} JPEG"))
}

/// libjpeg's reading of the colour space (jdapimin.c): JFIF means YCbCr, an Adobe marker's
/// transform flag decides, else the component ids do.
fn colour_model(frame: &Frame, markers: &Markers) -> Result<ColourModel> {
    let ids: Vec<u8> = frame.components.iter().map(|c| c.id).collect();
    Ok(match ids.len() {
        1 => ColourModel::Grey,
        3 if markers.jfif => ColourModel::YCbCr,
        3 => match markers.adobe_transform {
            Some(0) => ColourModel::Rgb,
            Some(_) => ColourModel::YCbCr,
            None if ids == [b'R', b'G', b'B'] => ColourModel::Rgb,
            None => ColourModel::YCbCr,
        },
        4 => match markers.adobe_transform {
            Some(0) | None => ColourModel::Cmyk,
            Some(_) => ColourModel::Ycck,
        },
        n => return Err(unsupported(&format!("{n} colour components"))),
    })
}

struct Component {
    id: u8,
    h: usize,
    v: usize,
    quant_slot: usize,
    /// The quantisation table, copied when the component's first scan starts (as libjpeg
    /// does: a later DQT for the same slot applies to later components only).
    quant: Option<Box<[u16; 64]>>,
    /// Blocks including those that pad the last MCU row and column.
    blocks_w: usize,
    blocks_h: usize,
    /// Blocks holding image samples: what a single-component scan covers.
    real_blocks_w: usize,
    real_blocks_h: usize,
    /// Output samples per block side: 8 at full size, less for a reduced decode.
    block_size: usize,
    plane: Plane,
    /// Progressive only: every block's coefficients, until the last scan.
    coefficients: Vec<i16>,
}

struct Frame {
    width: u32,
    height: u32,
    precision: u8,
    coding: Coding,
    components: Vec<Component>,
    max_h: usize,
    max_v: usize,
    mcus_w: usize,
    mcus_h: usize,
}

struct Scan {
    /// (component index, DC table, AC table) in scan order.
    components: Vec<(usize, usize, usize)>,
    start: usize,
    end: usize,
    high: u8,
    low: u8,
}

impl Frame {
    /// Sizes every component's plane (and coefficient store) for an output block of `base`
    /// samples, after libjpeg's rule that a subsampled component gets a block as much larger
    /// as its subsampling allows, up to 8.
    /// Every block costs at least one bit of scan data (its DC difference is a Huffman code,
    /// one bit at the shortest, in a sequential scan and in a progressive DC scan alike), so
    /// `data_bytes` of scans cannot hold more than 8 blocks per byte. Refuses a tiny file that
    /// declares a huge frame (1.6 KB for 10000×10000) before the planes are allocated.
    fn check_room_for_blocks(&self, data_bytes: usize) -> Result<()> {
        let (max_h, max_v) = (self.max_h as u64, self.max_v as u64);
        let (width, height) = (u64::from(self.width), u64::from(self.height));
        let blocks: u64 = self
            .components
            .iter()
            .map(|c| {
                (width * c.h as u64).div_ceil(max_h).div_ceil(8) * (height * c.v as u64).div_ceil(max_v).div_ceil(8)
            })
            .sum();
        let least = blocks.div_ceil(8);
        if (data_bytes as u64) < least {
            return Err(bad(&format!(
                "{}x{} needs at least {least} bytes of image data, and only {data_bytes} follow the header: \
                 the file is truncated or its size is wrong",
                self.width, self.height
            )));
        }
        Ok(())
    }

    fn allocate(&mut self, base: usize, limits: &Limits) -> Result<()> {
        let (max_h, max_v, width, height) = (self.max_h, self.max_v, self.width as usize, self.height as usize);
        // The coefficient store of a progressive decode is 2 bytes per sample at full size;
        // refuse what the pixel limit would not allow at 4 bytes per pixel.
        let budget = limits.max_pixels.saturating_mul(4);
        let mut coefficient_bytes = 0u64;
        for c in &mut self.components {
            let mut size = base;
            while size < 8
                && (max_h * base).is_multiple_of(c.h * size * 2)
                && (max_v * base).is_multiple_of(c.v * size * 2)
            {
                size *= 2;
            }
            let (in_h, in_v) = (c.h * size / base, c.v * size / base);
            if max_h % in_h != 0 || max_v % in_v != 0 {
                return Err(unsupported("sampling factors that are not a whole fraction of the largest"));
            }
            c.block_size = size;
            c.blocks_w = self.mcus_w * c.h;
            c.blocks_h = self.mcus_h * c.v;
            c.real_blocks_w = (width * c.h).div_ceil(max_h).div_ceil(8);
            c.real_blocks_h = (height * c.v).div_ceil(max_v).div_ceil(8);
            let stride = c.blocks_w * size;
            let rows = c.blocks_h * size;
            let mut samples = Vec::new();
            samples.try_reserve_exact(stride * rows).map_err(|_| too_big(self.width, self.height))?;
            samples.resize(stride * rows, 0);
            c.plane = Plane {
                samples,
                stride,
                width: (width * c.h * size).div_ceil(max_h * 8),
                height: (height * c.v * size).div_ceil(max_v * 8),
                expand: (max_h / in_h, max_v / in_v),
                fancy: base > 1,
            };
            if self.coding == Coding::Progressive {
                let count = c.blocks_w * c.blocks_h * 64;
                coefficient_bytes += count as u64 * 2;
                if coefficient_bytes > budget {
                    return Err(Error::limit_exceeded(format!(
                        "a progressive {}x{} JPEG needs more coefficient memory than the pixel limit allows",
                        self.width, self.height
                    )));
                }
                c.coefficients.try_reserve_exact(count).map_err(|_| too_big(self.width, self.height))?;
                c.coefficients.resize(count, 0);
            }
        }
        Ok(())
    }

    /// Decodes one scan starting at `position` (just past its header); returns where its
    /// entropy-coded data ends.
    fn decode_scan(&mut self, bytes: &[u8], position: usize, scan: &Scan, markers: &Markers) -> Result<usize> {
        for &(index, _, _) in &scan.components {
            let component = &mut self.components[index];
            if component.quant.is_none() {
                let table = markers.quant[component.quant_slot]
                    .as_ref()
                    .ok_or_else(|| bad("a component uses a quantisation table the file never defines"))?;
                component.quant = Some(table.clone());
            }
        }
        let progressive = self.coding == Coding::Progressive;
        let dc_first = progressive && scan.start == 0 && scan.high == 0;
        let needs_dc = !progressive || dc_first;
        let needs_ac = !progressive || scan.start > 0;
        let table = |tables: &[Option<HuffmanTable>; 4], slot: usize, needed: bool| -> Result<Option<HuffmanTable>> {
            if !needed {
                return Ok(None);
            }
            tables[slot].clone().map(Some).ok_or_else(|| bad("a scan uses a Huffman table the file never defines"))
        };
        let mut tables = Vec::with_capacity(scan.components.len());
        for &(index, dc, ac) in &scan.components {
            tables.push((index, table(&markers.dc, dc, needs_dc)?, table(&markers.ac, ac, needs_ac)?));
        }
        let mut reader = BitReader::new(bytes, position);
        let mut state = ScanState { eob_run: 0 };
        let mut predictors = [0i32; 4];
        let restart_interval = usize::from(markers.restart_interval);
        let mut mcu_count = 0usize;
        let mut restart = |reader: &mut BitReader, state: &mut ScanState, predictors: &mut [i32; 4]| -> Result<()> {
            if restart_interval > 0 && mcu_count > 0 && mcu_count.is_multiple_of(restart_interval) {
                reader.restart()?;
                state.eob_run = 0;
                *predictors = [0; 4];
            }
            mcu_count += 1;
            Ok(())
        };

        if let [(index, dc, ac)] = &tables[..] {
            // One component: its blocks in raster order, each block an MCU.
            let index = *index;
            let (w, h) = (self.components[index].real_blocks_w, self.components[index].real_blocks_h);
            for by in 0..h {
                for bx in 0..w {
                    restart(&mut reader, &mut state, &mut predictors)?;
                    let component = &mut self.components[index];
                    decode_block(&mut reader, component, (bx, by), dc, ac, scan, &mut state, &mut predictors[0])?;
                }
            }
        } else {
            for my in 0..self.mcus_h {
                for mx in 0..self.mcus_w {
                    restart(&mut reader, &mut state, &mut predictors)?;
                    for (slot, (index, dc, ac)) in tables.iter().enumerate() {
                        let component = &mut self.components[*index];
                        for v in 0..component.v {
                            for u in 0..component.h {
                                let at = (mx * component.h + u, my * component.v + v);
                                decode_block(
                                    &mut reader,
                                    component,
                                    at,
                                    dc,
                                    ac,
                                    scan,
                                    &mut state,
                                    &mut predictors[slot],
                                )?;
                            }
                        }
                    }
                }
            }
        }
        Ok(reader.position)
    }

    /// After the last progressive scan: every block's IDCT into its plane.
    fn transform_coefficients(&mut self) {
        for c in &mut self.components {
            let Some(quant) = c.quant.as_deref() else {
                // Never scanned: all coefficients zero, mid-grey as libjpeg gives.
                c.plane.samples.fill(128);
                continue;
            };
            for by in 0..c.blocks_h {
                for bx in 0..c.blocks_w {
                    let at = (by * c.blocks_w + bx) * 64;
                    let block: &[i16; 64] = c.coefficients[at..at + 64].try_into().expect("64 coefficients");
                    transform(block, quant, &mut c.plane, c.block_size, (bx, by), false);
                }
            }
            c.coefficients = Vec::new();
        }
    }
}

/// Decodes the block at `at` of `component`: straight into its plane for a sequential scan,
/// into its coefficients for a progressive one.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn decode_block(
    reader: &mut BitReader,
    component: &mut Component,
    at: (usize, usize),
    dc: &Option<HuffmanTable>,
    ac: &Option<HuffmanTable>,
    scan: &Scan,
    state: &mut ScanState,
    predictor: &mut i32,
) -> Result<()> {
    let quant = component.quant.as_deref().expect("latched at the scan's start");
    if reader.insufficient {
        // Past the end of this interval's data: libjpeg leaves the block's coefficients at
        // zero (grey, in a sequential scan; unchanged, in a progressive one).
        if component.coefficients.is_empty() {
            transform(&[0; 64], quant, &mut component.plane, component.block_size, at, true);
        }
        return Ok(());
    }
    if component.coefficients.is_empty() {
        let (Some(dc), Some(ac)) = (dc, ac) else { unreachable!("sequential scans load both tables") };
        let mut block = [0i16; 64];
        let any_ac = entropy::decode_block_sequential(reader, dc, ac, predictor, &mut block)?;
        transform(&block, quant, &mut component.plane, component.block_size, at, !any_ac);
        return Ok(());
    }
    let index = (at.1 * component.blocks_w + at.0) * 64;
    let block: &mut [i16; 64] = (&mut component.coefficients[index..index + 64]).try_into().expect("64 coefficients");
    let band = (scan.start, scan.end, scan.low);
    match (scan.start, scan.high, dc, ac) {
        (0, 0, Some(dc), _) => entropy::decode_dc_first(reader, dc, predictor, scan.low, block),
        (0, _, _, _) => {
            entropy::decode_dc_refine(reader, scan.low, block);
            Ok(())
        }
        (_, 0, _, Some(ac)) => entropy::decode_ac_first(reader, ac, state, band, block),
        (_, _, _, Some(ac)) => entropy::decode_ac_refine(reader, ac, state, band, block),
        _ => unreachable!("progressive scans load the tables they use"),
    }
}

/// The IDCT of one block into `plane` at block position `at`, at `size` samples per side.
/// `only_dc` (the entropy decoder saw no AC term) takes the flat-block shortcut, which gives
/// the same samples.
fn transform(block: &[i16; 64], quant: &[u16; 64], plane: &mut Plane, size: usize, at: (usize, usize), only_dc: bool) {
    let stride = plane.stride;
    let offset = at.1 * size * stride + at.0 * size;
    let out = &mut plane.samples[offset..];
    match size {
        8 if only_dc => idct::islow_dc_only(block[0], quant[0], out, stride),
        8 => idct::islow_8x8(block, quant, out, stride),
        4 => idct::reduced_4x4(block, quant, out, stride),
        2 => idct::reduced_2x2(block, quant, out, stride),
        _ => out[0] = idct::dc_only(block, quant),
    }
}

enum Segment<'a> {
    /// A scan header's payload.
    Scan(&'a [u8]),
    Frame(Frame),
    End,
    Other,
}

/// Walks marker segments, keeping the tables and flags they define.
struct Markers<'a> {
    bytes: &'a [u8],
    position: usize,
    quant: [Option<Box<[u16; 64]>>; 4],
    dc: [Option<HuffmanTable>; 4],
    ac: [Option<HuffmanTable>; 4],
    restart_interval: u16,
    exif: Option<&'a [u8]>,
    /// `ICC_PROFILE` APP2 segments as (sequence number, part count, part).
    icc_parts: Vec<(u8, u8, &'a [u8])>,
    adobe_transform: Option<u8>,
    jfif: bool,
}

impl<'a> Markers<'a> {
    fn new(bytes: &'a [u8]) -> Result<Self> {
        if !bytes.starts_with(&[0xff, 0xd8]) {
            return Err(bad("it does not start with a JPEG start-of-image marker"));
        }
        Ok(Markers {
            bytes,
            position: 2,
            quant: Default::default(),
            dc: Default::default(),
            ac: Default::default(),
            restart_interval: 0,
            exif: None,
            icc_parts: Vec::new(),
            adobe_transform: None,
            jfif: false,
        })
    }

    /// Reads segments up to the first scan header (left unread), returning the frame.
    fn read_to_first_scan(&mut self) -> Result<Frame> {
        let mut frame = None;
        loop {
            let start = self.position;
            match self.next_segment()? {
                Segment::Scan(_) => {
                    self.position = start;
                    return frame.ok_or_else(|| bad("a scan comes before the frame header"));
                }
                Segment::Frame(_) if frame.is_some() => return Err(bad("it has a second frame header")),
                Segment::Frame(read) => frame = Some(read),
                Segment::End => return Err(bad("it ends before its first scan")),
                Segment::Other => {}
            }
        }
    }

    /// The next marker code, skipping fill bytes and (as libjpeg does, with a warning) any
    /// stray bytes before it.
    fn next_marker(&mut self) -> Result<u8> {
        loop {
            match self.bytes.get(self.position..self.position + 2) {
                Some([0xff, 0xff]) => self.position += 1,
                Some([0xff, 0x00]) => self.position += 2,
                Some([0xff, code]) => {
                    self.position += 2;
                    return Ok(*code);
                }
                Some(_) => self.position += 1,
                None => return Err(bad("it ends before its end-of-image marker")),
            }
        }
    }

    /// The payload of the segment whose marker was just read.
    fn payload(&mut self) -> Result<&'a [u8]> {
        let bytes = self.bytes;
        let length = bytes
            .get(self.position..self.position + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            .ok_or_else(|| bad("a marker segment is cut short"))?;
        if length < 2 {
            return Err(bad("a marker segment has a length under 2"));
        }
        let payload =
            bytes.get(self.position + 2..self.position + length).ok_or_else(|| bad("a marker segment is cut short"))?;
        self.position += length;
        Ok(payload)
    }

    fn next_segment(&mut self) -> Result<Segment<'a>> {
        let code = self.next_marker()?;
        match code {
            0xd8 => Err(bad("it has a second start-of-image marker")),
            0xd9 => Ok(Segment::End),
            0xd0..=0xd7 | 0x01 => Ok(Segment::Other),
            0xc4 => self.read_huffman_tables().map(|_| Segment::Other),
            0xdb => self.read_quant_tables().map(|_| Segment::Other),
            0xdd => {
                let payload = self.payload()?;
                let interval = payload.get(..2).ok_or_else(|| bad("its restart interval segment is too short"))?;
                self.restart_interval = u16::from_be_bytes([interval[0], interval[1]]);
                Ok(Segment::Other)
            }
            0xc0..=0xc3 | 0xc5..=0xc7 | 0xc9..=0xcb | 0xcd..=0xcf => {
                let payload = self.payload()?;
                read_frame(code, payload).map(Segment::Frame)
            }
            0xda => self.payload().map(Segment::Scan),
            0xe0 => {
                let payload = self.payload()?;
                self.jfif |= payload.starts_with(b"JFIF\0");
                Ok(Segment::Other)
            }
            0xe1 => {
                let payload = self.payload()?;
                if self.exif.is_none() {
                    self.exif = payload.strip_prefix(b"Exif\0\0");
                }
                Ok(Segment::Other)
            }
            0xe2 => {
                let payload = self.payload()?;
                // A profile is split over at most 255 segments of about 64 KiB: the parts are
                // kept as slices of the file (see `Header::icc_profile`).
                if let Some([sequence, count, part @ ..]) = payload.strip_prefix(b"ICC_PROFILE\0") {
                    self.icc_parts.push((*sequence, *count, part));
                }
                Ok(Segment::Other)
            }
            0xee => {
                let payload = self.payload()?;
                if payload.len() >= 12 && payload.starts_with(b"Adobe") {
                    self.adobe_transform = Some(payload[11]);
                }
                Ok(Segment::Other)
            }
            _ => self.payload().map(|_| Segment::Other),
        }
    }

    fn read_huffman_tables(&mut self) -> Result<()> {
        let mut payload = self.payload()?;
        while let [class_slot, rest @ ..] = payload {
            let (class, slot) = (class_slot >> 4, usize::from(class_slot & 15));
            if class > 1 || slot > 3 {
                return Err(bad("a Huffman table has an invalid class or slot"));
            }
            let counts: &[u8; 16] =
                rest.get(..16).and_then(|c| c.try_into().ok()).ok_or_else(|| bad("a Huffman table is cut short"))?;
            let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
            let symbols = rest.get(16..16 + total).ok_or_else(|| bad("a Huffman table is cut short"))?;
            let table = HuffmanTable::new(counts, symbols)?;
            if class == 0 {
                self.dc[slot] = Some(table);
            } else {
                self.ac[slot] = Some(table);
            }
            payload = &rest[16 + total..];
        }
        Ok(())
    }

    fn read_quant_tables(&mut self) -> Result<()> {
        let mut payload = self.payload()?;
        while let [precision_slot, rest @ ..] = payload {
            let (wide, slot) = (precision_slot >> 4, usize::from(precision_slot & 15));
            if wide > 1 || slot > 3 {
                return Err(bad("a quantisation table has an invalid precision or slot"));
            }
            let length = if wide == 1 { 128 } else { 64 };
            let values = rest.get(..length).ok_or_else(|| bad("a quantisation table is cut short"))?;
            let mut table = Box::new([0u16; 64]);
            for k in 0..64 {
                let value = if wide == 1 {
                    u16::from_be_bytes([values[2 * k], values[2 * k + 1]])
                } else {
                    u16::from(values[k])
                };
                table[ZIGZAG[k]] = value;
            }
            self.quant[slot] = Some(table);
            payload = &rest[length..];
        }
        Ok(())
    }
}

fn read_frame(code: u8, payload: &[u8]) -> Result<Frame> {
    let coding = match code {
        0xc0 | 0xc1 => Coding::Sequential,
        0xc2 => Coding::Progressive,
        0xc3 => Coding::Lossless,
        0xc9..=0xcb | 0xcd..=0xcf => return Err(unsupported("arithmetic-coded JPEG")),
        _ => return Err(unsupported("hierarchical JPEG")),
    };
    let [precision, h1, h0, w1, w0, count, rest @ ..] = payload else {
        return Err(bad("its frame header is cut short"));
    };
    let (width, height) = (u32::from(u16::from_be_bytes([*w1, *w0])), u32::from(u16::from_be_bytes([*h1, *h0])));
    if width == 0 {
        return Err(bad("its frame header declares a width of 0"));
    }
    if height == 0 {
        return Err(unsupported("a height given after the first scan (DNL marker)"));
    }
    let count = usize::from(*count);
    if count == 0 {
        return Err(bad("its frame header declares no components"));
    }
    if count > 4 {
        return Err(unsupported(&format!("{count} colour components")));
    }
    let specs = rest.get(..count * 3).ok_or_else(|| bad("its frame header is cut short"))?;
    let mut components = Vec::with_capacity(count);
    for spec in specs.chunks_exact(3) {
        let (h, v, quant_slot) = (usize::from(spec[1] >> 4), usize::from(spec[1] & 15), usize::from(spec[2]));
        if !(1..=4).contains(&h) || !(1..=4).contains(&v) {
            return Err(bad("a component has sampling factors outside 1–4"));
        }
        if quant_slot > 3 {
            return Err(bad("a component names a quantisation table outside 0–3"));
        }
        if components.iter().any(|c: &Component| c.id == spec[0]) {
            return Err(bad("two components share an id"));
        }
        components.push(Component {
            id: spec[0],
            h,
            v,
            quant_slot,
            quant: None,
            blocks_w: 0,
            blocks_h: 0,
            real_blocks_w: 0,
            real_blocks_h: 0,
            block_size: 8,
            plane: Plane { samples: Vec::new(), stride: 0, width: 0, height: 0, expand: (1, 1), fancy: false },
            coefficients: Vec::new(),
        });
    }
    let max_h = components.iter().map(|c| c.h).max().unwrap_or(1);
    let max_v = components.iter().map(|c| c.v).max().unwrap_or(1);
    Ok(Frame {
        width,
        height,
        precision: *precision,
        coding,
        mcus_w: (width as usize).div_ceil(8 * max_h),
        mcus_h: (height as usize).div_ceil(8 * max_v),
        max_h,
        max_v,
        components,
    })
}

fn read_scan(payload: &[u8], frame: &Frame) -> Result<Scan> {
    let [count, rest @ ..] = payload else { return Err(bad("a scan header is cut short")) };
    let count = usize::from(*count);
    let specs = rest.get(..count * 2).ok_or_else(|| bad("a scan header is cut short"))?;
    let [start, end, approximation] =
        rest.get(count * 2..count * 2 + 3).ok_or_else(|| bad("a scan header is cut short"))?
    else {
        unreachable!("three bytes")
    };
    if count == 0 || count > 4 {
        return Err(bad("a scan has no components or more than 4"));
    }
    let mut components = Vec::with_capacity(count);
    for spec in specs.chunks_exact(2) {
        let index = frame
            .components
            .iter()
            .position(|c| c.id == spec[0])
            .ok_or_else(|| bad("a scan names a component the frame does not have"))?;
        if components.iter().any(|&(i, _, _)| i == index) {
            return Err(bad("a scan names a component twice"));
        }
        let (dc, ac) = (usize::from(spec[1] >> 4), usize::from(spec[1] & 15));
        if dc > 3 || ac > 3 {
            return Err(bad("a scan names a Huffman table outside 0–3"));
        }
        components.push((index, dc, ac));
    }
    let blocks_per_mcu: usize = components.iter().map(|&(i, _, _)| frame.components[i].h * frame.components[i].v).sum();
    if count > 1 && blocks_per_mcu > 10 {
        return Err(bad("a scan's MCU holds more than 10 blocks"));
    }
    let (start, end) = (usize::from(*start), usize::from(*end));
    let (high, low) = (approximation >> 4, approximation & 15);
    if frame.coding == Coding::Progressive {
        let valid_band = if start == 0 { end == 0 } else { start <= end && end <= 63 && count == 1 };
        if !valid_band || low > 13 || high > 13 {
            return Err(bad("a progressive scan has an invalid spectral band or bit position"));
        }
        Ok(Scan { components, start, end, high, low })
    } else {
        // Sequential scans cover the whole band, whatever the header says (libjpeg warns).
        Ok(Scan { components, start: 0, end: 63, high: 0, low: 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/../../tests/vectors/image/jpeg/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    /// The file with every segment of marker `code` before the first scan removed.
    fn without_segments(bytes: &[u8], code: u8) -> Vec<u8> {
        let mut out = bytes[..2].to_vec();
        let mut at = 2;
        while bytes[at + 1] != 0xda {
            let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
            if bytes[at + 1] != code {
                out.extend_from_slice(&bytes[at..at + 2 + length]);
            }
            at += 2 + length;
        }
        out.extend_from_slice(&bytes[at..]);
        out
    }

    /// Motion-JPEG frames carry no Huffman tables: the standard ones (which libjpeg writes by
    /// default, so Pillow's file uses them) must give the same samples.
    #[test]
    fn frames_without_huffman_tables_use_the_standard_ones() {
        let with_tables = vector("baseline-420.jpg");
        let stripped = without_segments(&with_tables, 0xc4);
        assert!(stripped.len() < with_tables.len() - 400, "the four tables are gone");
        let limits = Limits::DEFAULT;
        let want = decode(&with_tables, 1, &limits, false).unwrap().samples;
        assert_eq!(decode(&stripped, 1, &limits, false).unwrap().samples, want);
    }

    /// A small file whose frame header declares a huge size cannot hold its blocks (one bit
    /// each at least): refused before the coefficient planes are allocated.
    #[test]
    fn a_frame_larger_than_its_data_can_hold_is_refused() {
        for (name, sof) in [("baseline-420.jpg", 0xc0), ("progressive-420.jpg", 0xc2)] {
            let mut bytes = vector(name);
            assert!(decode(&bytes, 1, &Limits::DEFAULT, false).is_ok(), "{name}");
            let at = bytes.windows(2).position(|w| w == [0xff, sof]).unwrap();
            bytes[at + 5..at + 9].copy_from_slice(&[0x27, 0x10, 0x27, 0x10]); // 10000x10000
            let err = decode(&bytes, 1, &Limits::DEFAULT, false).err().expect("refused");
            assert_eq!(err.code(), nearnative_core::ErrorCode::InvalidInput, "{name}: {}", err.message());
            assert!(err.message().contains("needs at least"), "{name}: {}", err.message());
        }
    }

    #[test]
    fn a_file_of_endless_scans_is_refused() {
        let bytes = vector("baseline-444.jpg");
        let sos = bytes.windows(2).position(|w| w == [0xff, 0xda]).unwrap();
        let scan = &bytes[sos..bytes.len() - 2];
        let mut bomb = bytes[..sos].to_vec();
        for _ in 0..=MAX_SCANS {
            bomb.extend_from_slice(scan);
        }
        bomb.extend_from_slice(&[0xff, 0xd9]);
        let err = decode(&bomb, 1, &Limits::DEFAULT, false).err().expect("refused");
        assert_eq!(err.code(), nearnative_core::ErrorCode::LimitExceeded, "{}", err.message());
        // The same file with its one scan decodes.
        assert!(decode(&bytes, 1, &Limits::DEFAULT, false).is_ok());
    }

    #[test]
    fn unsupported_and_oversized_frames_are_refused_before_decoding() {
        let bytes = vector("baseline-444.jpg");
        let sof = bytes.windows(2).position(|w| w == [0xff, 0xc0]).unwrap();
        let patched = |offset: usize, value: u8| {
            let mut b = bytes.clone();
            b[sof + offset] = value;
            b
        };
        let code = |b: &[u8]| decode(b, 1, &Limits { max_pixels: 1 << 20 }, false).err().map(|e| e.code());
        use nearnative_core::ErrorCode;
        assert_eq!(code(&patched(4, 12)), Some(ErrorCode::Unsupported), "12-bit samples");
        assert_eq!(code(&patched(1, 0xc9)), Some(ErrorCode::Unsupported), "arithmetic coding");
        assert_eq!(code(&patched(5, 0xff)), Some(ErrorCode::LimitExceeded), "65344 rows over a 1 MP limit");
        assert_eq!(code(&patched(9, 2)), Some(ErrorCode::Unsupported), "two components");
        let mut zero_width = bytes.clone();
        zero_width[sof + 7..sof + 9].fill(0);
        assert_eq!(code(&zero_width), Some(ErrorCode::InvalidInput), "width 0");
    }
}
