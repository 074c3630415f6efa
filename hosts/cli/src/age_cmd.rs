//! `keygen`, `encrypt` and `decrypt`: the flags and meanings of the reference `age` and
//! `age-keygen` tools, over `nearnative_hash::agefile`.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use clap::Args;
use nearnative_core::Error;
use nearnative_hash::agefile::{self, Recipients, Secret};

use crate::exit;
use crate::output::{open_input, AtomicFile, Output};

/// Environment variable read for -p before prompting on the terminal. Under WASI there is no
/// terminal to prompt on, so it is the only way there.
const PASSPHRASE_ENV: &str = "NEARNATIVE_PASSPHRASE";

/// Generate an X25519 identity, like age-keygen.
#[derive(Args)]
pub struct KeygenArgs {
    /// Write the identity to OUTPUT (created with owner-only permissions; under WASI, which has
    /// none, a warning says so) instead of stdout.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Convert identity files (or stdin) to their recipients instead, like age-keygen -y.
    #[arg(short = 'y')]
    to_recipients: bool,
    /// With -y: identity files to read (stdin when none).
    #[arg(requires = "to_recipients")]
    inputs: Vec<PathBuf>,
}

/// Encrypt to recipients or with a passphrase, in the age format (interoperates with age).
#[derive(Args)]
#[command(after_help = "With -p the passphrase is read from $NEARNATIVE_PASSPHRASE if set, else \
    from the terminal. A failed run leaves OUTPUT untouched.")]
pub struct EncryptArgs {
    /// Encrypt to RECIPIENT (age1...); may be repeated.
    #[arg(short, long = "recipient", value_name = "RECIPIENT")]
    recipients: Vec<String>,
    /// Encrypt to the recipients listed in PATH (one per line, # comments); may be repeated.
    #[arg(short = 'R', long = "recipients-file", value_name = "PATH")]
    recipients_files: Vec<PathBuf>,
    /// Encrypt to the recipients of the identities in PATH; may be repeated.
    #[arg(short, long = "identity", value_name = "PATH")]
    identities: Vec<PathBuf>,
    /// Encrypt with a passphrase (scrypt).
    #[arg(short, long, conflicts_with_all = ["recipients", "recipients_files", "identities"])]
    passphrase: bool,
    /// scrypt work factor (log2 N) for -p [default: 18; at most 22 natively, 21 in Wasm, where
    /// scrypt at 22 would need 4 GiB].
    #[arg(long)]
    work_factor: Option<u8>,
    /// Write PEM-style ASCII armor.
    #[arg(short, long)]
    armor: bool,
    /// Write the result to OUTPUT (atomically) instead of stdout.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Plaintext to read; stdin when absent or `-`.
    input: Option<PathBuf>,
}

/// Decrypt an age file (binary or armored).
#[derive(Args)]
#[command(after_help = "Without -i the file must be passphrase-encrypted; the passphrase is read \
    from $NEARNATIVE_PASSPHRASE if set, else from the terminal. On a wrong identity, a tampered \
    or truncated file, it exits 1 with auth_failed or invalid_input and OUTPUT is not created.")]
pub struct DecryptArgs {
    /// Identity file (as written by keygen / age-keygen); may be repeated.
    #[arg(short, long = "identity", value_name = "PATH")]
    identities: Vec<PathBuf>,
    /// Write the plaintext to OUTPUT (atomically) instead of stdout.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// age file to read; stdin when absent or `-`.
    input: Option<PathBuf>,
}

fn read_text(path: &PathBuf, what: &str) -> Result<String> {
    let read =
        if path.as_os_str() == "-" { io::read_to_string(io::stdin().lock()) } else { std::fs::read_to_string(path) };
    read.map_err(|e| Error::io(format!("cannot read {what} {}: {}", path.display(), crate::io_message(&e))).into())
}

fn load_identities(paths: &[PathBuf]) -> Result<Vec<agefile::Identity>> {
    let mut identities = Vec::new();
    for path in paths {
        let text = read_text(path, "identity file")?;
        let parsed = agefile::parse_identities(&text)
            .map_err(|e| Error::new(e.code(), format!("{}: {}", path.display(), e.message())))?;
        identities.extend(parsed);
    }
    Ok(identities)
}

fn passphrase(confirm: bool) -> Result<String> {
    if let Ok(value) = std::env::var(PASSPHRASE_ENV) {
        return Ok(value);
    }
    prompt_passphrase(confirm)
}

#[cfg(not(target_os = "wasi"))]
fn prompt_passphrase(confirm: bool) -> Result<String> {
    let first = rpassword::prompt_password("Enter passphrase: ").map_err(|e| {
        Error::invalid_input(format!("cannot read a passphrase from the terminal ({e}); set {PASSPHRASE_ENV}"))
    })?;
    if confirm {
        let second = rpassword::prompt_password("Confirm passphrase: ")?;
        if first != second {
            return Err(Error::invalid_input("the passphrases do not match").into());
        }
    }
    Ok(first)
}

#[cfg(target_os = "wasi")]
fn prompt_passphrase(_confirm: bool) -> Result<String> {
    Err(Error::invalid_input(format!("WASI has no terminal to prompt on; pass the passphrase in {PASSPHRASE_ENV}"))
        .into())
}

pub fn keygen(args: KeygenArgs) -> Result<u8> {
    if args.to_recipients {
        let inputs = if args.inputs.is_empty() { vec![PathBuf::from("-")] } else { args.inputs };
        let mut out = Output::open(args.output.as_deref())?;
        for identity in load_identities(&inputs)? {
            writeln!(out, "{}", identity.to_public())?;
        }
        out.finish()?;
        return Ok(exit::OK);
    }
    let pair = agefile::generate();
    let text = agefile::identity_file(&pair, &rfc3339_now());
    match &args.output {
        Some(path) => {
            // A secret key is never replaced by accident (age-keygen refuses too).
            if path.exists() {
                return Err(Error::invalid_input(format!(
                    "refusing to overwrite existing file {}; remove it first or choose another name",
                    path.display()
                ))
                .into());
            }
            let mut file = AtomicFile::create(path)?;
            let private = file.make_private()?;
            file.write_all(text.as_bytes())?;
            file.commit()?;
            if !private {
                let path = path.display();
                eprintln!(
                    "nearnative: warning: this build cannot restrict {path} to its owner (WASI has no file \
                     permissions); run `chmod 600 {path}`"
                );
            }
            eprintln!("Public key: {}", pair.recipient);
        }
        None => {
            let mut stdout = io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
            use std::io::IsTerminal;
            if !io::stdout().is_terminal() {
                eprintln!("Public key: {}", pair.recipient);
            }
        }
    }
    Ok(exit::OK)
}

pub fn encrypt(args: EncryptArgs) -> Result<u8> {
    // clap's `requires` does not fire against a boolean flag, so the rule is checked here.
    if args.work_factor.is_some() && !args.passphrase {
        clap::Error::raw(clap::error::ErrorKind::MissingRequiredArgument, "--work-factor applies only with -p\n")
            .exit();
    }
    let mut keys = Vec::new();
    for text in &args.recipients {
        keys.push(agefile::parse_recipient(text)?);
    }
    for path in &args.recipients_files {
        let text = read_text(path, "recipients file")?;
        let parsed = agefile::parse_recipients_file(&text)
            .map_err(|e| Error::new(e.code(), format!("{}: {}", path.display(), e.message())))?;
        keys.extend(parsed);
    }
    for identity in load_identities(&args.identities)? {
        keys.push(identity.to_public());
    }
    let phrase;
    let to = if args.passphrase {
        phrase = passphrase(true)?;
        let work_factor = args.work_factor.unwrap_or(agefile::DEFAULT_SCRYPT_WORK_FACTOR);
        Recipients::Passphrase { passphrase: &phrase, work_factor }
    } else {
        if keys.is_empty() {
            return Err(Error::invalid_input("missing recipients: pass -r RECIPIENT, -R FILE, -i FILE or -p").into());
        }
        Recipients::Keys(&keys)
    };
    let input = open_input(args.input.as_deref())?;
    let output = Output::open(args.output.as_deref())?;
    if output.is_terminal() && !args.armor {
        return Err(Error::invalid_input(
            "refusing to write binary ciphertext to a terminal; use -a for armor or -o FILE",
        )
        .into());
    }
    let output = agefile::encrypt(to, args.armor, input, output)?;
    output.finish()?;
    Ok(exit::OK)
}

pub fn decrypt(args: DecryptArgs) -> Result<u8> {
    let identities = load_identities(&args.identities)?;
    let phrase;
    let secret = if identities.is_empty() {
        phrase = passphrase(false).context("the file needs a passphrase or -i IDENTITY")?;
        Secret::Passphrase(&phrase)
    } else {
        Secret::Identities(&identities)
    };
    let input = open_input(args.input.as_deref())?;
    let output = Output::open(args.output.as_deref())?;
    // On error `output` is dropped here, which deletes the temporary file.
    let output = agefile::decrypt(secret, input, output)?;
    output.finish()?;
    Ok(exit::OK)
}

/// `YYYY-MM-DDTHH:MM:SSZ` for the keygen comment; kernels have no clock, so the host supplies it.
fn rfc3339_now() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}
