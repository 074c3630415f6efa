use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use nearnative_hash::{sums, to_hex, Algorithm, Hasher};

use crate::{exit, io_message};

/// Print or check digests, in the format of sha256sum.
#[derive(Args)]
#[command(after_help = "Algorithms: sha1, sha224, sha256, sha384, sha512, sha3-256, sha3-512, \
    blake2b-512, blake2s-256, blake3, xxh64, xxh3-64, xxh3-128, crc32, crc32c.\n\
    Output lines are `HEX  NAME`, exactly as sha256sum prints them; `-` reads stdin.\n\
    Exit code 1 when a file cannot be read or, with --check, a digest does not match.")]
pub struct HashArgs {
    /// Digest algorithm.
    #[arg(short, long, default_value = "blake3", value_parser = parse_algorithm)]
    algorithm: Algorithm,
    /// Read digests from the FILEs (sums files as this command prints them, or BSD tag lines
    /// `SHA256 (NAME) = HEX`, checked with the algorithm they name) and verify them.
    #[arg(short = 'c', long)]
    check: bool,
    /// With --check: print nothing for files that verify.
    #[arg(long)]
    quiet: bool,
    /// Files to hash (or, with --check, sums files). With none, or `-`, read stdin.
    files: Vec<PathBuf>,
}

fn parse_algorithm(text: &str) -> Result<Algorithm, String> {
    text.parse().map_err(|e: nearnative_core::Error| e.message().to_owned())
}

/// Large enough for blake3 to use its wide SIMD paths, small enough to keep memory flat.
const READ_CHUNK: usize = 256 * 1024;

fn hash_reader(algorithm: Algorithm, mut reader: impl Read, buffer: &mut [u8]) -> io::Result<Vec<u8>> {
    let mut hasher = Hasher::new(algorithm);
    loop {
        match reader.read(buffer) {
            Ok(0) => return Ok(hasher.finalize()),
            Ok(n) => {
                hasher.update(&buffer[..n]);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn hash_path(algorithm: Algorithm, name: &Path, buffer: &mut [u8]) -> io::Result<Vec<u8>> {
    if name == Path::new("-") {
        return hash_reader(algorithm, io::stdin().lock(), buffer);
    }
    let file = File::open(name)?;
    // Opening a directory succeeds on Linux and on WASI; reading it then fails with EISDIR
    // natively but EBADF under WASI. Checking first gives both the coreutils message.
    if file.metadata()?.is_dir() {
        return Err(io::Error::other("Is a directory"));
    }
    hash_reader(algorithm, file, buffer)
}

/// The bytes of a path as the user typed it (file names need not be UTF-8).
fn name_bytes(path: &Path) -> &[u8] {
    path.as_os_str().as_encoded_bytes()
}

/// The path a sums file names, from its raw bytes (the inverse of `name_bytes`).
fn path_of(name: &[u8]) -> PathBuf {
    #[cfg(unix)]
    use std::os::unix::ffi::OsStrExt;
    #[cfg(target_os = "wasi")]
    use std::os::wasi::ffi::OsStrExt;
    #[cfg(any(unix, target_os = "wasi"))]
    return PathBuf::from(std::ffi::OsStr::from_bytes(name));
    #[cfg(not(any(unix, target_os = "wasi")))]
    return PathBuf::from(String::from_utf8_lossy(name).into_owned());
}

pub fn run(args: HashArgs) -> Result<u8> {
    let names: Vec<PathBuf> = if args.files.is_empty() { vec![PathBuf::from("-")] } else { args.files };
    if args.check {
        return check(args.algorithm, &names, args.quiet);
    }
    let mut buffer = vec![0u8; READ_CHUNK];
    let mut stdout = io::stdout().lock();
    let mut status = exit::OK;
    for name in &names {
        match hash_path(args.algorithm, name, &mut buffer) {
            Ok(digest) => {
                stdout.write_all(&sums::format_line(&to_hex(&digest), name_bytes(name)))?;
                stdout.write_all(b"\n")?;
            }
            Err(e) => {
                stdout.flush()?;
                eprintln!("nearnative: {}: {}", name.display(), io_message(&e));
                status = exit::FAILURE;
            }
        }
    }
    stdout.flush()?;
    Ok(status)
}

/// Verifies sums files as `sha256sum -c` does: one result line per entry, then, per sums
/// file, warnings about what went wrong in it.
fn check(algorithm: Algorithm, sums_files: &[PathBuf], quiet: bool) -> Result<u8> {
    let mut buffer = vec![0u8; READ_CHUNK];
    let mut status = exit::OK;
    for sums_name in sums_files {
        // Bytes, not text: names in a sums file need not be UTF-8 (this command writes them raw).
        let text = if sums_name == Path::new("-") {
            let mut bytes = Vec::new();
            io::stdin().lock().read_to_end(&mut bytes).map(|_| bytes)
        } else {
            std::fs::read(sums_name)
        };
        let text = match text {
            Ok(t) => t,
            Err(e) => {
                eprintln!("nearnative: {}: {}", sums_name.display(), io_message(&e));
                status = exit::FAILURE;
                continue;
            }
        };
        let tally = check_one(algorithm, &text, quiet, &mut buffer)?;
        status = status.max(tally.report(&sums_name.display().to_string()));
    }
    Ok(status)
}

#[derive(Default)]
struct Tally {
    verified: usize,
    improper: usize,
    mismatched: usize,
    unreadable: usize,
}

impl Tally {
    /// Prints this sums file's warnings; returns its exit status.
    fn report(&self, sums_name: &str) -> u8 {
        let plural = |n: usize, one: &'static str, many: &'static str| if n == 1 { one } else { many };
        if self.verified == 0 {
            eprintln!("nearnative: {sums_name}: no properly formatted checksum lines found");
            return exit::FAILURE;
        }
        if self.improper > 0 {
            let lines = plural(self.improper, "line is", "lines are");
            eprintln!("nearnative: WARNING: {} {lines} improperly formatted", self.improper);
        }
        if self.unreadable > 0 {
            let files = plural(self.unreadable, "file", "files");
            eprintln!("nearnative: WARNING: {} listed {files} could not be read", self.unreadable);
        }
        if self.mismatched > 0 {
            let sums = plural(self.mismatched, "checksum", "checksums");
            eprintln!("nearnative: WARNING: {} computed {sums} did NOT match", self.mismatched);
        }
        if self.mismatched + self.unreadable > 0 {
            exit::FAILURE
        } else {
            exit::OK
        }
    }
}

fn check_one(algorithm: Algorithm, text: &[u8], quiet: bool, buffer: &mut [u8]) -> Result<Tally> {
    let mut stdout = io::stdout().lock();
    let mut tally = Tally::default();
    for (index, line) in text.split(|&b| b == b'\n').enumerate() {
        let entry = match sums::parse_line(line, index + 1, algorithm.output_len()) {
            Ok(Some(entry)) => entry,
            Ok(None) => continue,
            Err(_) => {
                tally.improper += 1;
                continue;
            }
        };
        tally.verified += 1;
        // coreutils escapes names in check results only when they hold a line break; a
        // backslash alone is printed as is (unlike in digest lines).
        let needs_escape = entry.name.iter().any(|b| matches!(b, b'\n' | b'\r'));
        let (escaped, shown) = if needs_escape { sums::escape_name(&entry.name) } else { (false, entry.name.clone()) };
        let result = |stdout: &mut io::StdoutLock, verdict: &str| -> io::Result<()> {
            if escaped {
                stdout.write_all(b"\\")?;
            }
            stdout.write_all(&shown)?;
            writeln!(stdout, ": {verdict}")
        };
        // A BSD tag line (`SHA256 (NAME) = HEX`) names its own algorithm, as `cksum -c` reads it.
        match hash_path(entry.algorithm.unwrap_or(algorithm), &path_of(&entry.name), buffer) {
            Ok(digest) if digest == entry.expected => {
                if !quiet {
                    result(&mut stdout, "OK")?;
                }
            }
            Ok(_) => {
                tally.mismatched += 1;
                result(&mut stdout, "FAILED")?;
            }
            Err(e) => {
                tally.unreadable += 1;
                stdout.flush()?;
                eprintln!("nearnative: {}: {}", String::from_utf8_lossy(&entry.name), io_message(&e));
                result(&mut stdout, "FAILED open or read")?;
            }
        }
    }
    stdout.flush()?;
    Ok(tally)
}
