use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;

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
    /// Read digests from the FILEs (sums files as this command prints them) and verify them.
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

fn hash_path(algorithm: Algorithm, name: &str, buffer: &mut [u8]) -> io::Result<Vec<u8>> {
    if name == "-" {
        hash_reader(algorithm, io::stdin().lock(), buffer)
    } else {
        hash_reader(algorithm, File::open(name)?, buffer)
    }
}

pub fn run(args: HashArgs) -> Result<u8> {
    let names: Vec<String> = if args.files.is_empty() {
        vec!["-".to_owned()]
    } else {
        args.files.iter().map(|p| p.to_string_lossy().into_owned()).collect()
    };
    if args.check {
        return check(args.algorithm, &names, args.quiet);
    }
    let mut buffer = vec![0u8; READ_CHUNK];
    let mut stdout = io::stdout().lock();
    let mut status = exit::OK;
    for name in &names {
        match hash_path(args.algorithm, name, &mut buffer) {
            Ok(digest) => writeln!(stdout, "{}", sums::format_line(&to_hex(&digest), name))?,
            Err(e) => {
                stdout.flush()?;
                eprintln!("nearnative: {name}: {}", io_message(&e));
                status = exit::FAILURE;
            }
        }
    }
    stdout.flush()?;
    Ok(status)
}

fn check(algorithm: Algorithm, sums_files: &[String], quiet: bool) -> Result<u8> {
    let mut buffer = vec![0u8; READ_CHUNK];
    let mut stdout = io::stdout().lock();
    let (mut mismatched, mut unreadable, mut improper, mut verified) = (0usize, 0usize, 0usize, 0usize);
    let mut status = exit::OK;
    for sums_name in sums_files {
        let text = if sums_name == "-" {
            let mut text = String::new();
            io::stdin().lock().read_to_string(&mut text).map(|_| text)
        } else {
            std::fs::read_to_string(sums_name)
        };
        let text = match text {
            Ok(t) => t,
            Err(e) => {
                eprintln!("nearnative: {sums_name}: {}", io_message(&e));
                status = exit::FAILURE;
                continue;
            }
        };
        for (index, line) in text.lines().enumerate() {
            let entry = match sums::parse_line(line, index + 1, algorithm.output_len()) {
                Ok(Some(entry)) => entry,
                Ok(None) => continue,
                Err(_) => {
                    improper += 1;
                    continue;
                }
            };
            verified += 1;
            match hash_path(algorithm, &entry.name, &mut buffer) {
                Ok(digest) if digest == entry.expected => {
                    if !quiet {
                        writeln!(stdout, "{}: OK", entry.name)?;
                    }
                }
                Ok(_) => {
                    mismatched += 1;
                    writeln!(stdout, "{}: FAILED", entry.name)?;
                }
                Err(e) => {
                    unreadable += 1;
                    stdout.flush()?;
                    eprintln!("nearnative: {}: {}", entry.name, io_message(&e));
                    writeln!(stdout, "{}: FAILED open or read", entry.name)?;
                }
            }
        }
    }
    stdout.flush()?;
    let plural = |n: usize, one: &'static str, many: &'static str| if n == 1 { one } else { many };
    if improper > 0 {
        eprintln!("nearnative: WARNING: {improper} {} improperly formatted", plural(improper, "line is", "lines are"));
    }
    if unreadable > 0 {
        eprintln!("nearnative: WARNING: {unreadable} listed {} could not be read", plural(unreadable, "file", "files"));
    }
    if mismatched > 0 {
        eprintln!(
            "nearnative: WARNING: {mismatched} computed {} did NOT match",
            plural(mismatched, "checksum", "checksums")
        );
    }
    if verified == 0 {
        eprintln!("nearnative: no properly formatted {algorithm} checksum lines found");
        status = exit::FAILURE;
    }
    if mismatched + unreadable > 0 {
        status = exit::FAILURE;
    }
    Ok(status)
}
