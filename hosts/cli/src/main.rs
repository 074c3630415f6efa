//! `nearnative`: the command-line host. Glue only: parse flags, open files, call the kernels
//! in `crates/`, print results and map errors to exit codes. The same source builds natively
//! and for wasm32-wasip1 and must print the same bytes on both.

mod age_cmd;
mod hash_cmd;
mod image_cmd;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes, documented in `nearnative --help`.
pub mod exit {
    /// Everything succeeded.
    pub const OK: u8 = 0;
    /// The operation failed: an unreadable file, a checksum mismatch, a failed decryption.
    pub const FAILURE: u8 = 1;
    /// The command line itself was wrong (clap's convention).
    pub const USAGE: u8 = 2;
}

#[derive(Parser)]
#[command(
    name = "nearnative",
    // Not argv[0]: under WASI runtimes that is "nearnative.wasm", and help must read the same.
    bin_name = "nearnative",
    version,
    about = "Fast hashing, age encryption and image processing: one Rust core for native, WASI and the web",
    after_help = "Exit codes: 0 success; 1 an operation failed (unreadable file, checksum mismatch, \
                  failed decryption, undecodable image); 2 invalid command line.\n\
                  Errors are printed as `nearnative: error[CODE]: message`, CODE being one of \
                  invalid_input, unsupported, limit_exceeded, auth_failed, io, internal."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Hash(hash_cmd::HashArgs),
    Keygen(age_cmd::KeygenArgs),
    Encrypt(age_cmd::EncryptArgs),
    Decrypt(age_cmd::DecryptArgs),
    Image(image_cmd::ImageArgs),
    #[cfg(not(target_family = "wasm"))]
    Serve(nearnative_serve::ServeArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { exit::USAGE } else { exit::OK });
        }
    };
    let outcome = match cli.command {
        Command::Hash(args) => hash_cmd::run(args),
        Command::Keygen(args) => age_cmd::keygen(args),
        Command::Encrypt(args) => age_cmd::encrypt(args),
        Command::Decrypt(args) => age_cmd::decrypt(args),
        Command::Image(args) => image_cmd::run(args),
        #[cfg(not(target_family = "wasm"))]
        Command::Serve(args) => nearnative_serve::run(args).map(|()| exit::OK),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        // A closed pipe (`nearnative hash big | head`) is the reader's choice, not an error.
        Err(err)
            if err.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::from(exit::FAILURE)
        }
        Err(err) => {
            report(&err);
            ExitCode::from(exit::FAILURE)
        }
    }
}

/// Prints an error with its stable code when it carries one.
pub fn report(err: &anyhow::Error) {
    let (code, message) = error_parts(err);
    eprintln!("nearnative: error[{code}]: {message}");
}

/// An error's stable code (`io` for one that carries none) and its message.
pub fn error_parts(err: &anyhow::Error) -> (nearnative_core::ErrorCode, String) {
    match err.downcast_ref::<nearnative_core::Error>() {
        Some(e) => (e.code(), e.message().to_owned()),
        None => (nearnative_core::ErrorCode::Io, format!("{err:#}")),
    }
}

/// `io::Error`'s message without Rust's "(os error N)" suffix, as coreutils prints it.
pub fn io_message(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}
