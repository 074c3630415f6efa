//! The checksum-file format of GNU coreutils (`sha256sum`, `b2sum`, ...): `HEX  NAME` lines,
//! with a leading backslash when the name needs escaping. Pure text in, text out, so every
//! host prints and verifies sums files the same way. Lines in the BSD tag format that
//! `sha256sum --tag`, `shasum --tag` and BSD `sha256` write (`SHA256 (NAME) = HEX`) are read too.

use nearnative_core::{Error, Result};

use crate::Algorithm;

/// A file name as coreutils shows it: names holding a backslash, newline or carriage return are
/// escaped, and the caller must start the line with `\\` (the returned flag says so). Names are
/// bytes because file names need not be UTF-8; they are written out unchanged otherwise.
pub fn escape_name(name: &[u8]) -> (bool, Vec<u8>) {
    if !name.iter().any(|b| matches!(b, b'\\' | b'\n' | b'\r')) {
        return (false, name.to_vec());
    }
    let mut out = Vec::with_capacity(name.len() + 4);
    for &b in name {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            other => out.push(other),
        }
    }
    (true, out)
}

/// One line as `sha256sum` prints it: `HEX  NAME`, with a leading `\\` when the name is escaped.
pub fn format_line(hex: &str, name: &[u8]) -> Vec<u8> {
    let (escaped, name) = escape_name(name);
    let mut line = Vec::with_capacity(hex.len() + name.len() + 3);
    if escaped {
        line.push(b'\\');
    }
    line.extend_from_slice(hex.as_bytes());
    line.extend_from_slice(b"  ");
    line.extend_from_slice(&name);
    line
}

/// A parsed line of a sums file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SumsEntry {
    pub expected: Vec<u8>,
    /// The file name's bytes (names need not be UTF-8, and sums files carry them raw).
    pub name: Vec<u8>,
    /// 1-based line number, for messages.
    pub line: usize,
    /// The algorithm a BSD tag line names (`SHA256 (NAME) = HEX`); `None` for `HEX  NAME`
    /// lines, which use the caller's.
    pub algorithm: Option<Algorithm>,
}

/// Parses one line (without its `\n`). `Ok(None)` for blank and comment lines; `Err` for a
/// line that is neither `HEX  NAME` (`expected_len` bytes of digest) nor a BSD tag line of an
/// algorithm we have, with that algorithm's length (coreutils counts and reports those as
/// "improperly formatted"). Bytes, not text: a name that is not UTF-8 is as valid here as on
/// disk.
pub fn parse_line(line: &[u8], line_number: usize, expected_len: usize) -> Result<Option<SumsEntry>> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    // Blank lines, and comments as coreutils reads them (`#` first on the line).
    if line.iter().all(u8::is_ascii_whitespace) || line.first() == Some(&b'#') {
        return Ok(None);
    }
    let (escaped, body) = match line.strip_prefix(b"\\") {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let improper = || Error::invalid_input(format!("line {line_number}: improperly formatted checksum line"));
    let (hex, name, algorithm) = match split_tag_line(body) {
        Some((algorithm, name, hex)) => (hex, name, Some(algorithm)),
        None => {
            let space = body.iter().position(|&b| b == b' ').ok_or_else(improper)?;
            let (hex, rest) = (&body[..space], &body[space + 1..]);
            // Text mode is `HEX  NAME`, binary mode `HEX *NAME`.
            let name = rest.strip_prefix(b" ").or_else(|| rest.strip_prefix(b"*")).ok_or_else(improper)?;
            (hex, name, None)
        }
    };
    let digest_len = algorithm.map_or(expected_len, Algorithm::output_len);
    if hex.len() != digest_len * 2 || name.is_empty() {
        return Err(improper());
    }
    let expected = hex::decode(hex).map_err(|_| improper())?;
    let name = if escaped { unescape(name).ok_or_else(improper)? } else { name.to_vec() };
    Ok(Some(SumsEntry { expected, name, line: line_number, algorithm }))
}

/// `TAG (NAME) = HEX` split into the algorithm the tag names, the name and the hex; `None`
/// when the line does not have that shape or names no algorithm of ours. The name may itself
/// hold `) = `, so the last one ends it.
fn split_tag_line(body: &[u8]) -> Option<(Algorithm, &[u8], &[u8])> {
    let open = body.windows(2).position(|w| w == b" (")?;
    let tag = std::str::from_utf8(&body[..open]).ok()?;
    if tag.is_empty() || !tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return None;
    }
    let rest = &body[open + 2..];
    let close = rest.windows(4).rposition(|w| w == b") = ")?;
    Some((tag.parse().ok()?, &rest[..close], &rest[close + 4..]))
}

fn unescape(name: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(name.len());
    let mut bytes = name.iter();
    while let Some(&b) = bytes.next() {
        if b == b'\\' {
            match bytes.next()? {
                b'\\' => out.push(b'\\'),
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                _ => return None,
            }
        } else {
            out.push(b);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_coreutils_and_parses_back() {
        let hex = "ab".repeat(4);
        assert_eq!(format_line(&hex, b"a b.txt"), format!("{hex}  a b.txt").into_bytes());
        let line = String::from_utf8(format_line(&hex, b"new\nline\\x")).unwrap();
        assert_eq!(line, format!("\\{hex}  new\\nline\\\\x"));
        assert_eq!(format_line(&hex, b"\xff"), [hex.as_bytes(), b"  \xff"].concat());
        let entry = parse_line(line.as_bytes(), 1, 4).unwrap().unwrap();
        assert_eq!(entry.name, b"new\nline\\x");
        assert_eq!(entry.expected, vec![0xab; 4]);
    }

    #[test]
    fn binary_marker_blank_and_bad_lines() {
        let hex = "00".repeat(4);
        assert_eq!(parse_line(format!("{hex} *f").as_bytes(), 3, 4).unwrap().unwrap().name, b"f");
        assert_eq!(parse_line(b"   ", 1, 4).unwrap(), None);
        assert_eq!(parse_line(b"# caf\xe9, a comment", 1, 4).unwrap(), None);
        assert!(parse_line(b"zz  f", 1, 4).is_err());
        assert!(parse_line(format!("{hex}f").as_bytes(), 1, 4).is_err());
        assert!(parse_line(format!("{}  f", "00".repeat(5)).as_bytes(), 1, 4).is_err());
        // Names that are not UTF-8 parse as the bytes they are.
        let raw = [hex.as_bytes(), b"  bad\xffname\r"].concat();
        assert_eq!(parse_line(&raw, 1, 4).unwrap().unwrap().name, b"bad\xffname");
    }

    #[test]
    fn bsd_tag_lines_name_their_algorithm() {
        // As `sha256sum --tag` writes them (the digest of the empty input).
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let entry = parse_line(format!("SHA256 (a (b) = c.txt) = {empty}").as_bytes(), 2, 4).unwrap().unwrap();
        assert_eq!(entry.algorithm, Some(Algorithm::Sha256));
        assert_eq!(entry.name, b"a (b) = c.txt");
        assert_eq!(hex::encode(&entry.expected), empty);
        // Escaped names, and the tags of b2sum and xxhsum.
        let entry = parse_line(format!("\\SHA256 (new\\nline) = {empty}").as_bytes(), 1, 4).unwrap().unwrap();
        assert_eq!(entry.name, b"new\nline");
        let b2 = "00".repeat(64);
        assert_eq!(
            parse_line(format!("BLAKE2b (f) = {b2}").as_bytes(), 1, 4).unwrap().unwrap().algorithm,
            Some(Algorithm::Blake2b512)
        );
        assert_eq!(
            parse_line(b"XXH64 (f) = 0011223344556677", 1, 32).unwrap().unwrap().algorithm,
            Some(Algorithm::Xxh64)
        );
        // A digest of the wrong length for its tag, a tag we do not have, no name.
        assert!(parse_line(format!("SHA1 (f) = {empty}").as_bytes(), 1, 32).is_err());
        assert!(parse_line(b"MD5 (f) = d41d8cd98f00b204e9800998ecf8427e", 1, 16).is_err());
        assert!(parse_line(format!("SHA256 () = {empty}").as_bytes(), 1, 32).is_err());
    }
}
