//! The checksum-file format of GNU coreutils (`sha256sum`, `b2sum`, ...): `HEX  NAME` lines,
//! with a leading backslash when the name needs escaping. Pure text in, text out, so every
//! host prints and verifies sums files the same way.

use nearnative_core::{Error, Result};

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
    pub name: String,
    /// 1-based line number, for messages.
    pub line: usize,
}

/// Parses one line. `Ok(None)` for blank lines; `Err` for a line that is not `HEX  NAME`
/// (coreutils counts and reports those as "improperly formatted").
pub fn parse_line(line: &str, line_number: usize, expected_len: usize) -> Result<Option<SumsEntry>> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.trim().is_empty() {
        return Ok(None);
    }
    let (escaped, body) = match line.strip_prefix('\\') {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let improper = || Error::invalid_input(format!("line {line_number}: improperly formatted checksum line"));
    let (hex, rest) = body.split_once(' ').ok_or_else(improper)?;
    // Text mode is `HEX  NAME`, binary mode `HEX *NAME`.
    let name = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('*')).ok_or_else(improper)?;
    if hex.len() != expected_len * 2 || name.is_empty() {
        return Err(improper());
    }
    let expected = hex::decode(hex).map_err(|_| improper())?;
    let name = if escaped { unescape(name).ok_or_else(improper)? } else { name.to_owned() };
    Ok(Some(SumsEntry { expected, name, line: line_number }))
}

fn unescape(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len());
    let mut chars = name.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next()? {
                '\\' => out.push('\\'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                _ => return None,
            }
        } else {
            out.push(c);
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
        let entry = parse_line(&line, 1, 4).unwrap().unwrap();
        assert_eq!(entry.name, "new\nline\\x");
        assert_eq!(entry.expected, vec![0xab; 4]);
    }

    #[test]
    fn binary_marker_blank_and_bad_lines() {
        let hex = "00".repeat(4);
        assert_eq!(parse_line(&format!("{hex} *f"), 3, 4).unwrap().unwrap().name, "f");
        assert_eq!(parse_line("   ", 1, 4).unwrap(), None);
        assert!(parse_line("zz  f", 1, 4).is_err());
        assert!(parse_line(&format!("{hex}f"), 1, 4).is_err());
        assert!(parse_line(&format!("{}  f", "00".repeat(5)), 1, 4).is_err());
    }
}
