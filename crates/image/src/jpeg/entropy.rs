//! Huffman-coded scan data: the bit reader (byte stuffing, markers), the code tables and the
//! per-block decoders of sequential and progressive JPEG (ITU T.81 F.2 and G.1.2).

use super::{bad, Result};

/// Zig-zag position → natural (row-major) position, with 16 extra entries so a corrupt run
/// that overshoots position 63 lands on a harmless slot instead of out of bounds.
pub(super) const ZIGZAG: [usize; 80] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
    28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54,
    47, 55, 62, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
];

const LOOKUP_BITS: u32 = 9;

/// A Huffman table: a direct lookup of codes up to 9 bits, canonical limits for longer ones.
/// EXTEND: the `size`-bit value `bits` as a signed difference.
#[inline(always)]
fn extend(bits: u32, size: u32) -> i32 {
    let value = bits as i32;
    if value < 1 << (size - 1) {
        value - (1 << size) + 1
    } else {
        value
    }
}

#[derive(Clone)]
pub(super) struct HuffmanTable {
    /// `(length << 8) | symbol` for every 9-bit prefix whose code is at most 9 bits, else 0.
    lookup: Vec<u16>,
    /// The largest code of each length 1..=16 (index = length), -1 when there is none.
    max_code: [i32; 17],
    /// `symbols` index of the first code of each length, minus that code.
    offset: [i32; 17],
    symbols: Vec<u8>,
    /// For AC tables: every 9-bit prefix holding a whole (run, size) code *and* its value
    /// bits, as `value << 16 | run << 8 | bits used`; 0 where it does not fit.
    fast_ac: Box<[i32; 1 << LOOKUP_BITS]>,
}

impl HuffmanTable {
    /// Builds the table from a DHT segment's 16 code counts and its symbols.
    pub fn new(counts: &[u8; 16], symbols: &[u8]) -> Result<Self> {
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        if total != symbols.len() || total > 256 {
            return Err(bad("a Huffman table's code counts do not match its symbols"));
        }
        let mut lookup = vec![0u16; 1 << LOOKUP_BITS];
        let mut max_code = [-1i32; 17];
        let mut offset = [0i32; 17];
        let mut code = 0u32;
        let mut index = 0usize;
        for length in 1..=16u32 {
            let count = u32::from(counts[length as usize - 1]);
            offset[length as usize] = index as i32 - code as i32;
            for _ in 0..count {
                if code >= 1 << length {
                    return Err(bad("a Huffman table has more codes than its code lengths allow"));
                }
                if length <= LOOKUP_BITS {
                    let shift = LOOKUP_BITS - length;
                    let entry = ((length as u16) << 8) | u16::from(symbols[index]);
                    let first = (code << shift) as usize;
                    lookup[first..first + (1 << shift)].fill(entry);
                }
                code += 1;
                index += 1;
            }
            if count > 0 {
                max_code[length as usize] = code as i32 - 1;
            }
            code <<= 1;
        }
        let mut fast_ac = Box::new([0i32; 1 << LOOKUP_BITS]);
        for (prefix, (&entry, fast)) in lookup.iter().zip(fast_ac.iter_mut()).enumerate() {
            let (length, symbol) = (u32::from(entry >> 8), entry as u8);
            let (run, size) = (i32::from(symbol >> 4), u32::from(symbol & 15));
            if entry == 0 || size == 0 || length + size > LOOKUP_BITS {
                continue;
            }
            let bits = (prefix as u32 >> (LOOKUP_BITS - length - size)) & ((1 << size) - 1);
            *fast = (extend(bits, size) << 16) | (run << 8) | (length + size) as i32;
        }
        Ok(HuffmanTable { lookup, max_code, offset, symbols: symbols.to_vec(), fast_ac })
    }
}

/// The tables of T.81 K.3 (Tables K.3–K.6): `(class, slot, code counts, symbols)`. Motion-JPEG
/// frames (webcams, IP cameras) leave them out and rely on them, and libjpeg-turbo supplies them.
const STANDARD_TABLES: [(u8, usize, [u8; 16], &[u8]); 4] = [
    (0, 0, [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
    (0, 1, [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
    (
        1,
        0,
        [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
        &[
            0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71,
            0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72,
            0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37,
            0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
            0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83,
            0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3,
            0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
            0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
            0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
        ],
    ),
    (
        1,
        1,
        [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
        &[
            0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22,
            0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1,
            0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x35, 0x36,
            0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58,
            0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a,
            0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a,
            0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba,
            0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
            0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
        ],
    ),
];

/// Fills the DC and AC slots 0 and 1 the file left empty with the standard tables.
pub(super) fn fill_standard_tables(dc: &mut [Option<HuffmanTable>; 4], ac: &mut [Option<HuffmanTable>; 4]) {
    for (class, slot, counts, symbols) in STANDARD_TABLES {
        let tables = if class == 0 { &mut *dc } else { &mut *ac };
        if tables[slot].is_none() {
            tables[slot] = Some(HuffmanTable::new(&counts, symbols).expect("the standard tables are well formed"));
        }
    }
}

/// Reads entropy-coded bits, MSB first, undoing 0xFF00 stuffing. At a marker (or the end of
/// the data) it stops consuming bytes and feeds zeros, as libjpeg does, leaving `position` at
/// the marker.
pub(super) struct BitReader<'a> {
    data: &'a [u8],
    pub position: usize,
    buffer: u64,
    count: u32,
    /// How many of the `count` buffered bits came from the data (the rest are zero fill).
    real: u32,
    at_marker: bool,
    /// Set once a code needed bits past the data: libjpeg then leaves the remaining MCUs of
    /// the restart interval at zero (uniform grey) rather than decode the fill.
    pub insufficient: bool,
}

impl<'a> BitReader<'a> {
    pub fn new(data: &'a [u8], position: usize) -> Self {
        BitReader { data, position, buffer: 0, count: 0, real: 0, at_marker: false, insufficient: false }
    }

    fn refill(&mut self) {
        // Fast path: when the next 8 bytes hold no 0xFF (no stuffing, no marker), as many whole
        // bytes as fit go in at once.
        if !self.at_marker {
            if let Some(chunk) = self.data.get(self.position..self.position + 8) {
                let word = u64::from_be_bytes(chunk.try_into().expect("8 bytes"));
                let inverted = !word;
                let has_ff = inverted.wrapping_sub(0x0101_0101_0101_0101) & !inverted & 0x8080_8080_8080_8080 != 0;
                if !has_ff {
                    let n = (64 - self.count) / 8;
                    self.buffer |= (word >> (64 - 8 * n)) << (64 - self.count - 8 * n);
                    self.position += n as usize;
                    self.count += 8 * n;
                    self.real += 8 * n;
                    return;
                }
            }
        }
        while self.count <= 56 {
            let was_at_marker = self.at_marker;
            let byte = if self.at_marker {
                0
            } else {
                match self.data.get(self.position..self.position + 2) {
                    Some([0xff, 0x00]) => {
                        self.position += 2;
                        0xff
                    }
                    Some([0xff, _]) => {
                        self.at_marker = true;
                        0
                    }
                    _ => match self.data.get(self.position) {
                        Some(&b) if b != 0xff => {
                            self.position += 1;
                            b
                        }
                        _ => {
                            self.at_marker = true;
                            0
                        }
                    },
                }
            };
            self.buffer |= u64::from(byte) << (56 - self.count);
            self.count += 8;
            if !was_at_marker && !self.at_marker {
                self.real += 8;
            }
        }
    }

    #[inline(always)]
    fn peek(&mut self, bits: u32) -> u32 {
        if self.count < bits {
            self.refill();
        }
        (self.buffer >> (64 - bits)) as u32
    }

    #[inline(always)]
    fn consume(&mut self, bits: u32) {
        self.buffer <<= bits;
        self.count -= bits;
        if bits > self.real {
            self.insufficient = true;
        }
        self.real = self.real.saturating_sub(bits);
    }

    fn consume_one(&mut self) {
        self.peek(1);
        self.consume(1);
    }

    #[inline(always)]
    pub fn bits(&mut self, bits: u32) -> u32 {
        if bits == 0 {
            return 0;
        }
        let value = self.peek(bits);
        self.consume(bits);
        value
    }

    #[inline(always)]
    pub fn bit(&mut self) -> bool {
        self.bits(1) == 1
    }

    /// `bits` bits as a signed coefficient difference (T.81 F.2.2.1, EXTEND).
    #[inline(always)]
    pub fn receive_extend(&mut self, bits: u32) -> i32 {
        if bits == 0 {
            return 0;
        }
        let value = self.bits(bits);
        extend(value, bits)
    }

    /// An AC coefficient through the table's combined lookup: `(run, value)` when the code and
    /// its value bits fit in the next 9 bits, which covers most coefficients of a photo.
    #[inline(always)]
    pub fn fast_ac(&mut self, table: &HuffmanTable) -> Option<(usize, i16)> {
        let entry = table.fast_ac[self.peek(LOOKUP_BITS) as usize & ((1 << LOOKUP_BITS) - 1)];
        if entry == 0 {
            return None;
        }
        self.consume((entry & 0xff) as u32);
        Some((((entry >> 8) & 0xff) as usize, (entry >> 16) as i16))
    }

    #[inline(always)]
    pub fn decode(&mut self, table: &HuffmanTable) -> Result<u8> {
        let prefix = self.peek(16);
        let entry = table.lookup[(prefix >> (16 - LOOKUP_BITS)) as usize & ((1 << LOOKUP_BITS) - 1)];
        if entry != 0 {
            self.consume(u32::from(entry >> 8));
            return Ok(entry as u8);
        }
        let mut length = LOOKUP_BITS + 1;
        loop {
            if length > 16 {
                // A code the table does not have: libjpeg warns, consumes 17 bits and fakes a
                // zero symbol (an EOB, or a DC difference of 0). Doing the same keeps files with
                // a damaged tail (mozjpeg writes some at quality 100) as viewable as in Pillow
                // and browsers.
                self.consume(16);
                self.consume_one();
                return Ok(0);
            }
            let code = (prefix >> (16 - length)) as i32;
            if code <= table.max_code[length as usize] {
                self.consume(length);
                let index = table.offset[length as usize] + code;
                return table
                    .symbols
                    .get(index as usize)
                    .copied()
                    .ok_or_else(|| bad("a Huffman code points past its table"));
            }
            length += 1;
        }
    }

    /// Drops the bits left in the current byte and steps over the restart marker that must
    /// follow (T.81 E.2.4); when it is missing the data is corrupt, and decoding goes on from
    /// the next restart marker found, as libjpeg resynchronises.
    pub fn restart(&mut self) -> Result<()> {
        self.buffer = 0;
        self.count = 0;
        self.real = 0;
        self.at_marker = false;
        self.insufficient = false;
        loop {
            match self.data.get(self.position..self.position + 2) {
                Some([0xff, 0xd0..=0xd7]) => {
                    self.position += 2;
                    return Ok(());
                }
                Some([0xff, 0x00] | [0xff, 0xff]) => self.position += 1,
                Some([a, _]) if *a != 0xff => self.position += 1,
                _ => {
                    return Err(bad("a restart marker is missing from the scan data"));
                }
            }
        }
    }
}

/// What a progressive AC scan carries from block to block: the end-of-band run.
pub(super) struct ScanState {
    pub eob_run: u32,
}

/// A sequential (baseline or extended) block: DC difference and all 63 AC coefficients.
/// Returns whether any AC coefficient is nonzero.
#[inline(always)]
pub(super) fn decode_block_sequential(
    reader: &mut BitReader,
    dc_table: &HuffmanTable,
    ac_table: &HuffmanTable,
    dc_predictor: &mut i32,
    block: &mut [i16; 64],
) -> Result<bool> {
    let size = reader.decode(dc_table)?;
    if size > 16 {
        return Err(bad("a DC coefficient is longer than 16 bits"));
    }
    *dc_predictor = dc_predictor.wrapping_add(reader.receive_extend(u32::from(size)));
    block[0] = *dc_predictor as i16;
    let mut any_ac = false;
    let mut k = 1;
    while k < 64 {
        if let Some((run, value)) = reader.fast_ac(ac_table) {
            k += run;
            block[ZIGZAG[k.min(63)]] = value;
            any_ac = true;
            k += 1;
            continue;
        }
        let symbol = reader.decode(ac_table)?;
        let (run, size) = (usize::from(symbol >> 4), u32::from(symbol & 15));
        if size == 0 {
            if run != 15 {
                break;
            }
            k += 16;
            continue;
        }
        k += run;
        block[ZIGZAG[k.min(63)]] = reader.receive_extend(size) as i16;
        any_ac = true;
        k += 1;
    }
    Ok(any_ac)
}

/// The first scan of a progressive DC band: the difference, shifted by the point transform.
pub(super) fn decode_dc_first(
    reader: &mut BitReader,
    dc_table: &HuffmanTable,
    dc_predictor: &mut i32,
    shift: u8,
    block: &mut [i16; 64],
) -> Result<()> {
    let size = reader.decode(dc_table)?;
    if size > 16 {
        return Err(bad("a DC coefficient is longer than 16 bits"));
    }
    *dc_predictor = dc_predictor.wrapping_add(reader.receive_extend(u32::from(size)));
    block[0] = (*dc_predictor << shift) as i16;
    Ok(())
}

/// A refinement scan of the DC band: one more bit of precision.
pub(super) fn decode_dc_refine(reader: &mut BitReader, shift: u8, block: &mut [i16; 64]) {
    if reader.bit() {
        block[0] |= (1i32 << shift) as i16;
    }
}

/// The first scan of a progressive AC band `start..=end`, with end-of-band runs.
pub(super) fn decode_ac_first(
    reader: &mut BitReader,
    ac_table: &HuffmanTable,
    state: &mut ScanState,
    (start, end, shift): (usize, usize, u8),
    block: &mut [i16; 64],
) -> Result<()> {
    if state.eob_run > 0 {
        state.eob_run -= 1;
        return Ok(());
    }
    let mut k = start;
    while k <= end {
        let symbol = reader.decode(ac_table)?;
        let (run, size) = (u32::from(symbol >> 4), u32::from(symbol & 15));
        if size == 0 {
            if run < 15 {
                state.eob_run = (1 << run) - 1 + reader.bits(run);
                break;
            }
            k += 16;
            continue;
        }
        k += run as usize;
        block[ZIGZAG[k.min(79)]] = (reader.receive_extend(size) << shift) as i16;
        k += 1;
    }
    Ok(())
}

/// A refinement scan of a progressive AC band (T.81 G.1.2.3): a correction bit for every
/// coefficient already nonzero, and new coefficients of ±1 at this bit position.
pub(super) fn decode_ac_refine(
    reader: &mut BitReader,
    ac_table: &HuffmanTable,
    state: &mut ScanState,
    (start, end, shift): (usize, usize, u8),
    block: &mut [i16; 64],
) -> Result<()> {
    let plus = (1i32 << shift) as i16;
    let minus = (-1i32 << shift) as i16;
    let mut k = start;
    if state.eob_run == 0 {
        while k <= end {
            let symbol = reader.decode(ac_table)?;
            let (mut run, size) = (i32::from(symbol >> 4), symbol & 15);
            let mut value = 0i16;
            if size != 0 {
                // Only 1 is valid; libjpeg warns about any other size and reads it as 1.
                value = if reader.bit() { plus } else { minus };
            } else if run != 15 {
                state.eob_run = (1 << run) + reader.bits(run as u32);
                break;
            }
            while k <= end {
                let coef = &mut block[ZIGZAG[k]];
                if *coef != 0 {
                    refine(reader, coef, plus, minus);
                } else {
                    run -= 1;
                    if run < 0 {
                        break;
                    }
                }
                k += 1;
            }
            if value != 0 && k <= end {
                block[ZIGZAG[k]] = value;
            }
            k += 1;
        }
    }
    if state.eob_run > 0 {
        while k <= end {
            let coef = &mut block[ZIGZAG[k]];
            if *coef != 0 {
                refine(reader, coef, plus, minus);
            }
            k += 1;
        }
        state.eob_run -= 1;
    }
    Ok(())
}

#[inline(always)]
fn refine(reader: &mut BitReader, coef: &mut i16, plus: i16, minus: i16) {
    if reader.bit() && *coef & plus == 0 {
        *coef = coef.wrapping_add(if *coef >= 0 { plus } else { minus });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stuffed_bytes_are_data_and_markers_end_it() {
        let data = [0b1010_0000, 0xff, 0x00, 0x0f, 0xff, 0xd9];
        let mut reader = BitReader::new(&data, 0);
        assert_eq!(reader.bits(4), 0b1010);
        assert_eq!(reader.bits(4), 0);
        assert_eq!(reader.bits(8), 0xff);
        assert_eq!(reader.bits(8), 0x0f);
        assert_eq!(reader.bits(16), 0, "zeros past the marker");
        assert_eq!(reader.position, 4, "left at the marker");
    }

    #[test]
    fn codes_of_every_length_decode() {
        // Lengths 1, 2, 10 and 16: 0, 10, 110000000 0, 1100000001 000000.
        let mut counts = [0u8; 16];
        counts[0] = 1;
        counts[1] = 1;
        counts[9] = 1;
        counts[15] = 1;
        let table = HuffmanTable::new(&counts, &[7, 8, 9, 10]).unwrap();
        // Codes: 0 | 10 | 1100000000 | 1100000001000000
        let bits = "0101100000000110000000100000011111";
        let mut bytes: Vec<u8> = bits
            .as_bytes()
            .chunks(8)
            .map(|c| u8::from_str_radix(&format!("{:0<8}", std::str::from_utf8(c).unwrap()), 2).unwrap())
            .collect();
        bytes.extend([0xff, 0xd9]);
        let mut reader = BitReader::new(&bytes, 0);
        let got: Vec<u8> = (0..4).map(|_| reader.decode(&table).unwrap()).collect();
        assert_eq!(got, [7, 8, 9, 10]);
        // 11111 then zeros is no code of this table: as libjpeg does, 17 bits go and the
        // symbol is 0; the reader stays at the marker.
        assert_eq!(reader.decode(&table).unwrap(), 0);
        assert_eq!(reader.position, bytes.len() - 2);
    }

    #[test]
    fn over_full_tables_are_refused() {
        let mut counts = [0u8; 16];
        counts[0] = 3;
        assert!(HuffmanTable::new(&counts, &[1, 2, 3]).is_err());
    }
}
