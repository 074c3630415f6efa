//! File encryption in the age format (age-encryption.org/v1) through the `age` crate: X25519
//! recipients and identities, scrypt passphrases, ASCII armor. Files interoperate with the
//! reference `age` tool. Both directions stream in 64 KiB chunks, so memory stays flat.
//!
//! Decryption writes plaintext as it is authenticated chunk by chunk; a failure in a later
//! chunk means earlier plaintext was already written. Hosts that write files must therefore
//! write to a temporary file and rename it only on success (the CLI does).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::iter;
use std::sync::{Arc, Mutex};

use age::armor::{ArmoredReadError, ArmoredReader, ArmoredWriter, Format};
use age::secrecy::SecretString;
use age::{DecryptError, EncryptError};
use nearnative_core::{Error, Result};

pub use age::secrecy::ExposeSecret;
pub use age::x25519::{Identity, Recipient};

/// The scrypt work factor (log2 N) used for new passphrase files. It matches what the
/// reference tool picks on a typical machine; fixed, so every host writes the same kind of
/// file instead of one calibrated to the host's clock.
pub const DEFAULT_SCRYPT_WORK_FACTOR: u8 = 18;

/// The largest scrypt work factor accepted when decrypting. scrypt needs 2^log_n KiB of
/// memory, so a wasm32 instance (4 GiB address space) cannot go as far as native code.
pub const MAX_SCRYPT_WORK_FACTOR: u8 = if cfg!(target_pointer_width = "32") { 21 } else { 22 };

/// A freshly generated X25519 key pair, in age's text encodings.
pub struct KeyPair {
    /// `AGE-SECRET-KEY-1...`
    pub identity: SecretString,
    /// `age1...`
    pub recipient: String,
}

pub fn generate() -> KeyPair {
    let identity = age::x25519::Identity::generate();
    KeyPair { recipient: identity.to_public().to_string(), identity: identity.to_string() }
}

/// The contents of an identity file as `age-keygen` writes it. `created` is an RFC 3339
/// timestamp supplied by the host (kernels have no clock).
pub fn identity_file(pair: &KeyPair, created: &str) -> String {
    format!("# created: {created}\n# public key: {}\n{}\n", pair.recipient, pair.identity.expose_secret())
}

pub fn parse_recipient(text: &str) -> Result<age::x25519::Recipient> {
    let text = text.trim();
    if text.starts_with("ssh-") {
        return Err(Error::unsupported(format!(
            "SSH recipients are not supported ('{}...'); use an age1... X25519 recipient",
            &text[..text.len().min(12)]
        )));
    }
    if text.starts_with("age1") && text.len() > 62 && !text.starts_with("age1pq") {
        return Err(Error::unsupported(format!("plugin recipients are not supported: {text}")));
    }
    text.parse::<age::x25519::Recipient>()
        .map_err(|e| Error::invalid_input(format!("'{text}' is not an age recipient ({e}); expected age1...")))
}

/// Parses a recipients file: one recipient per line, `#` comments and blank lines ignored.
pub fn parse_recipients_file(text: &str) -> Result<Vec<age::x25519::Recipient>> {
    let recipients = significant_lines(text)
        .map(|(number, line)| {
            parse_recipient(line).map_err(|e| Error::new(e.code(), format!("line {number}: {}", e.message())))
        })
        .collect::<Result<Vec<_>>>()?;
    if recipients.is_empty() {
        return Err(Error::invalid_input("the recipients file lists no recipients"));
    }
    Ok(recipients)
}

/// Parses an identity file as `age-keygen` writes it (several keys allowed).
pub fn parse_identities(text: &str) -> Result<Vec<age::x25519::Identity>> {
    if text.starts_with("age-encryption.org/") || text.starts_with("-----BEGIN AGE ENCRYPTED FILE-----") {
        return Err(Error::unsupported("passphrase-protected identity files are not supported"));
    }
    let identities = significant_lines(text)
        .map(|(number, line)| {
            line.parse::<age::x25519::Identity>().map_err(|_| {
                let shown = if line.starts_with("AGE-SECRET-KEY-") { "AGE-SECRET-KEY-..." } else { line };
                Error::invalid_input(format!(
                    "line {number} of the identity file is not an age identity ('{shown}'); \
                     expected AGE-SECRET-KEY-1... as written by age-keygen"
                ))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if identities.is_empty() {
        return Err(Error::invalid_input("the identity file contains no identities"));
    }
    Ok(identities)
}

fn significant_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
}

/// How a file is protected.
pub enum Recipients<'a> {
    Keys(&'a [age::x25519::Recipient]),
    Passphrase { passphrase: &'a str, work_factor: u8 },
}

/// How a file is opened.
pub enum Secret<'a> {
    Identities(&'a [age::x25519::Identity]),
    Passphrase(&'a str),
}

/// Encrypts everything `input` yields into `output`; returns the writer once the final
/// chunk is written.
pub fn encrypt<R: Read, W: Write>(to: Recipients<'_>, armor: bool, mut input: R, output: W) -> Result<W> {
    let mut writer = EncryptWriter::new(to, armor, output)?;
    io::copy(&mut input, &mut writer.inner)
        .map_err(|e| Error::io(format!("streaming the plaintext through the encryptor: {e}")))?;
    writer.finish()
}

/// Push-style encryption for hosts that receive the plaintext in pieces (an HTTP body):
/// `write` each piece, then `finish`. Ciphertext reaches `output` as each 64 KiB chunk fills.
pub struct EncryptWriter<W: Write> {
    inner: age::stream::StreamWriter<ArmoredWriter<FirstError<W>>>,
}

impl<W: Write> EncryptWriter<W> {
    pub fn new(to: Recipients<'_>, armor: bool, output: W) -> Result<Self> {
        let encryptor = match to {
            Recipients::Keys(keys) => {
                if keys.is_empty() {
                    return Err(Error::invalid_input("no recipients given; pass at least one age1... recipient"));
                }
                age::Encryptor::with_recipients(keys.iter().map(|r| r as &dyn age::Recipient))
            }
            Recipients::Passphrase { passphrase, work_factor } => {
                check_passphrase(passphrase)?;
                if !(1..=MAX_SCRYPT_WORK_FACTOR).contains(&work_factor) {
                    return Err(Error::invalid_input(format!(
                        "the scrypt work factor must be between 1 and {MAX_SCRYPT_WORK_FACTOR}, got {work_factor}"
                    )));
                }
                let mut recipient = age::scrypt::Recipient::new(SecretString::from(passphrase.to_owned()));
                recipient.set_work_factor(work_factor);
                age::Encryptor::with_recipients(iter::once(&recipient as &dyn age::Recipient))
            }
        }
        .map_err(encrypt_error)?;
        let format = if armor { Format::AsciiArmor } else { Format::Binary };
        let output = FirstError::new(output);
        let first_error = Arc::clone(&output.first);
        let armored = ArmoredWriter::wrap_output(output, format)?;
        let inner = encryptor.wrap_output(armored).map_err(|e| {
            let cause = first_error.lock().ok().and_then(|mut first| first.take()).unwrap_or_else(|| e.to_string());
            Error::io(format!("writing the age header: {cause}"))
        })?;
        Ok(EncryptWriter { inner })
    }

    pub fn write(&mut self, plaintext: &[u8]) -> Result<()> {
        self.inner.write_all(plaintext).map_err(|e| Error::io(format!("writing the ciphertext: {e}")))
    }

    /// Writes the final chunk (and the armor footer) and hands back the output.
    pub fn finish(self) -> Result<W> {
        Ok(self.inner.finish()?.finish()?.inner)
    }
}

/// The output, keeping the text of its first write error: age reports a failed header write
/// with only the Debug form of it ("failed to write header: IoError(Os { code: 28, .. })").
struct FirstError<W> {
    inner: W,
    first: Arc<Mutex<Option<String>>>,
}

impl<W> FirstError<W> {
    fn new(inner: W) -> Self {
        FirstError { inner, first: Arc::new(Mutex::new(None)) }
    }

    fn keep<T>(&self, result: io::Result<T>) -> io::Result<T> {
        // `write_all` retries an interrupted write, so that one is not the error to show.
        if let (Err(e), Ok(mut first)) = (&result, self.first.lock()) {
            if e.kind() != io::ErrorKind::Interrupted {
                first.get_or_insert_with(|| e.to_string());
            }
        }
        result
    }
}

impl<W: Write> Write for FirstError<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = self.inner.write(buf);
        self.keep(result)
    }

    fn flush(&mut self) -> io::Result<()> {
        let result = self.inner.flush();
        self.keep(result)
    }
}

/// Decrypts an age file (binary or armored, detected) from `input` into `output`.
pub fn decrypt<R: Read, W: Write>(with: Secret<'_>, input: R, mut output: W) -> Result<W> {
    let (input, looks_like_v1) = skip_leading_whitespace(input)?;
    let decryptor =
        age::Decryptor::new_buffered(ArmoredReader::new(input)).map_err(|e| header_error(e, looks_like_v1))?;
    let mut reader = match with {
        Secret::Identities(identities) => {
            if decryptor.is_scrypt() {
                return Err(Error::invalid_input(
                    "this file is encrypted with a passphrase, not to a recipient; decrypt it with a passphrase",
                ));
            }
            decryptor.decrypt(identities.iter().map(|i| i as &dyn age::Identity))
        }
        Secret::Passphrase(passphrase) => {
            if !decryptor.is_scrypt() {
                return Err(Error::invalid_input(
                    "this file is encrypted to recipients, not with a passphrase; decrypt it with an identity",
                ));
            }
            let mut identity = age::scrypt::Identity::new(SecretString::from(passphrase.to_owned()));
            identity.set_max_work_factor(MAX_SCRYPT_WORK_FACTOR);
            decryptor.decrypt(iter::once(&identity as &dyn age::Identity))
        }
    }
    .map_err(|e| header_error(e, looks_like_v1))?;
    copy_plaintext(&mut reader, &mut output)?;
    output.flush()?;
    Ok(output)
}

/// True when `input` starts like an age file encrypted with a passphrase. Lets a host decide
/// whether to ask for a passphrase before it asks for one.
pub fn is_passphrase_file(header: &[u8]) -> Result<bool> {
    let (input, looks_like_v1) = skip_leading_whitespace(header)?;
    let decryptor =
        age::Decryptor::new_buffered(ArmoredReader::new(input)).map_err(|e| header_error(e, looks_like_v1))?;
    Ok(decryptor.is_scrypt())
}

const BINARY_MAGIC: &[u8] = b"age-encryption.org/v1\n";
const ARMOR_BEGIN: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";

/// The age spec lets armored files carry whitespace before the armor, but the age crate looks
/// for the armor only at byte 0; skipping it here makes both forms work. Also reports whether
/// the file announces itself as age v1, so a broken header is not mistaken for a newer version.
fn skip_leading_whitespace<R: Read>(input: R) -> Result<(BufReader<R>, bool)> {
    let mut reader = BufReader::with_capacity(64 * 1024, input);
    loop {
        let buffer = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(format!("reading the age file: {e}"))),
        };
        if buffer.is_empty() {
            return Ok((reader, false));
        }
        let skip = buffer.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if skip == 0 {
            let v1 = buffer.starts_with(BINARY_MAGIC) || buffer.starts_with(ARMOR_BEGIN);
            return Ok((reader, v1));
        }
        reader.consume(skip);
    }
}

fn copy_plaintext<R: Read, W: Write>(reader: &mut R, output: &mut W) -> Result<()> {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(payload_error(e)),
        };
        output.write_all(&buffer[..n]).map_err(|e| Error::io(format!("writing the plaintext: {e}")))?;
    }
}

fn check_passphrase(passphrase: &str) -> Result<()> {
    if passphrase.is_empty() {
        return Err(Error::invalid_input("the passphrase is empty"));
    }
    Ok(())
}

fn armor_error(err: &io::Error) -> Option<Error> {
    let armor = err.get_ref()?.downcast_ref::<ArmoredReadError>()?;
    Some(Error::invalid_input(format!("the ASCII armor is malformed: {armor}")))
}

fn payload_error(err: io::Error) -> Error {
    if let Some(armor) = armor_error(&err) {
        return armor;
    }
    match err.kind() {
        io::ErrorKind::InvalidData => Error::auth_failed(format!(
            "the encrypted payload failed authentication ({err}): the file was altered or truncated"
        )),
        io::ErrorKind::UnexpectedEof => {
            Error::invalid_input("the age file is truncated: the payload ends before its final chunk")
        }
        _ => Error::io(format!("reading the age file: {err}")),
    }
}

/// The age crate reads a v1 header it cannot parse as "unknown format"; when the file does
/// start with the v1 magic line, it is a malformed header, not a newer version.
fn header_error(err: DecryptError, looks_like_v1: bool) -> Error {
    match err {
        DecryptError::UnknownFormat if looks_like_v1 => {
            Error::invalid_input("the age header is malformed (age-encryption.org/v1)")
        }
        DecryptError::Io(e) if !looks_like_v1 && e.kind() == io::ErrorKind::UnexpectedEof => Error::invalid_input(
            "this is not an age file: it starts neither with age-encryption.org/v1 nor with an armor header",
        ),
        other => decrypt_error(other),
    }
}

fn decrypt_error(err: DecryptError) -> Error {
    if let DecryptError::Io(io_err) = &err {
        if let Some(armor) = armor_error(io_err) {
            return armor;
        }
    }
    match err {
        DecryptError::NoMatchingKeys => {
            Error::auth_failed("no identity matches any recipient of this file: it was encrypted to someone else")
        }
        DecryptError::DecryptionFailed | DecryptError::KeyDecryptionFailed => {
            Error::auth_failed("decryption failed: wrong passphrase or identity")
        }
        DecryptError::InvalidMac => Error::auth_failed("the header MAC does not match: the age file was altered"),
        DecryptError::ExcessiveWork { required, target } => Error::limit_exceeded(format!(
            "the file asks for scrypt work factor {required}, over the accepted maximum \
             {MAX_SCRYPT_WORK_FACTOR} (this machine's target is {target})"
        )),
        DecryptError::InvalidHeader => Error::invalid_input("the age header is malformed"),
        DecryptError::UnknownFormat => Error::unsupported("this is an age file of an unknown version"),
        DecryptError::Io(e) => match e.kind() {
            io::ErrorKind::UnexpectedEof => Error::invalid_input("the input ends inside the age header: truncated"),
            io::ErrorKind::InvalidData => {
                Error::invalid_input(format!("this is not an age file (age-encryption.org/v1): {e}"))
            }
            _ => Error::io(format!("reading the age file: {e}")),
        },
        other => Error::invalid_input(other.to_string()),
    }
}

fn encrypt_error(err: EncryptError) -> Error {
    match err {
        EncryptError::MixedRecipientAndPassphrase => {
            Error::invalid_input("a passphrase cannot be combined with other recipients")
        }
        EncryptError::MissingRecipients => Error::invalid_input("no recipients given"),
        EncryptError::Io(e) => Error::io(e.to_string()),
        other => Error::invalid_input(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nearnative_core::ErrorCode;

    fn round_trip(armor: bool, plaintext: &[u8]) {
        let pair = generate();
        let recipient = parse_recipient(&pair.recipient).unwrap();
        let identity = parse_identities(pair.identity.expose_secret()).unwrap();
        let sealed = encrypt(Recipients::Keys(&[recipient]), armor, plaintext, Vec::new()).unwrap();
        if armor {
            assert!(sealed.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"));
        }
        let opened = decrypt(Secret::Identities(&identity), &sealed[..], Vec::new()).unwrap();
        assert_eq!(opened, plaintext);
    }

    #[test]
    fn round_trips_binary_and_armored_across_chunk_sizes() {
        for len in [0, 1, 65535, 65536, 65537, 200_000] {
            let data: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
            round_trip(false, &data);
            round_trip(true, &data);
        }
    }

    #[test]
    fn wrong_identity_and_tampering_are_auth_failures() {
        let alice = generate();
        let bob = generate();
        let to_alice = [parse_recipient(&alice.recipient).unwrap()];
        let sealed = encrypt(Recipients::Keys(&to_alice), false, &b"secret"[..], Vec::new()).unwrap();
        let bob_ids = parse_identities(bob.identity.expose_secret()).unwrap();
        let err = decrypt(Secret::Identities(&bob_ids), &sealed[..], Vec::new()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::AuthFailed);

        let alice_ids = parse_identities(alice.identity.expose_secret()).unwrap();
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 0x01;
        let err = decrypt(Secret::Identities(&alice_ids), &tampered[..], Vec::new()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::AuthFailed);

        let truncated = &sealed[..sealed.len() - 10];
        assert!(decrypt(Secret::Identities(&alice_ids), truncated, Vec::new()).is_err());
        let err = decrypt(Secret::Identities(&alice_ids), &b"hello"[..], Vec::new()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput);
    }

    #[test]
    fn passphrase_round_trip_with_a_small_work_factor() {
        let to = Recipients::Passphrase { passphrase: "correct horse", work_factor: 10 };
        let sealed = encrypt(to, true, &b"hi"[..], Vec::new()).unwrap();
        assert!(is_passphrase_file(&sealed).unwrap());
        assert_eq!(decrypt(Secret::Passphrase("correct horse"), &sealed[..], Vec::new()).unwrap(), b"hi");
        let err = decrypt(Secret::Passphrase("wrong"), &sealed[..], Vec::new()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::AuthFailed);
    }

    #[test]
    fn bad_recipients_and_identities_explain_themselves() {
        assert_eq!(parse_recipient("age1nope").unwrap_err().code(), ErrorCode::InvalidInput);
        assert_eq!(parse_recipient("ssh-ed25519 AAAA").unwrap_err().code(), ErrorCode::Unsupported);
        let err = parse_identities("# comment\nAGE-SECRET-KEY-1BAD\n").err().unwrap();
        assert!(err.message().contains("line 2"), "{}", err.message());
        assert!(!err.message().contains("1BAD"), "secrets must not be echoed");
    }

    /// A writer that refuses everything, as a full disk does.
    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::StorageFull, "No space left on device"))
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failed_header_write_shows_the_writer_error_not_debug_text() {
        let pair = generate();
        let recipient = parse_recipient(&pair.recipient).unwrap();
        for armor in [false, true] {
            let err =
                encrypt(Recipients::Keys(std::slice::from_ref(&recipient)), armor, &b"x"[..], Full).err().unwrap();
            assert_eq!(err.code(), ErrorCode::Io);
            assert!(err.message().contains("No space left on device"), "{}", err.message());
            assert!(!err.message().contains("IoError"), "{}", err.message());
        }
    }
}
