//! Output files are written atomically: into a temporary file beside the target, renamed over
//! it only once everything succeeded. A failed decryption therefore leaves no file behind,
//! not even a partial one.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};

pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    file: Option<File>,
}

impl AtomicFile {
    pub fn create(target: &Path) -> Result<Self> {
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .with_context(|| format!("{} is not a file name", target.display()))?
            .to_string_lossy()
            .into_owned();
        // No process ids on WASI; the clock plus create_new is unique enough and never clobbers.
        let seed = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        for attempt in 0..100u32 {
            let temp = dir.join(format!(".{name}.{:x}.partial", seed + u128::from(attempt)));
            match OpenOptions::new().write(true).create_new(true).open(&temp) {
                Ok(file) => return Ok(AtomicFile { target: target.to_path_buf(), temp, file: Some(file) }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(anyhow::Error::new(nearnative_core::Error::io(format!(
                        "cannot create {}: {}",
                        target.display(),
                        crate::io_message(&e)
                    ))))
                }
            }
        }
        anyhow::bail!("cannot create a temporary file beside {}", target.display())
    }

    /// Flushes, then renames over the target. Only now does the target appear.
    pub fn commit(mut self) -> Result<()> {
        let file = self.file.take().expect("commit is called once");
        file.sync_all().with_context(|| format!("writing {}", self.target.display()))?;
        drop(file);
        fs::rename(&self.temp, &self.target).with_context(|| format!("renaming into {}", self.target.display()))?;
        Ok(())
    }

    /// Restricts the file to its owner, for secret keys. False where the platform has no file
    /// permissions (WASI): the caller tells the user once the file exists.
    #[cfg(unix)]
    pub fn make_private(&self) -> Result<bool> {
        use std::os::unix::fs::PermissionsExt;
        let file = self.file.as_ref().expect("not committed");
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
        Ok(true)
    }

    #[cfg(not(unix))]
    pub fn make_private(&self) -> Result<bool> {
        Ok(false)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.as_mut().expect("not committed").write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().expect("not committed").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Where results go: a file written atomically, or stdout.
pub enum Output {
    File(AtomicFile),
    Stdout(io::StdoutLock<'static>),
}

impl Output {
    pub fn open(path: Option<&Path>) -> Result<Self> {
        match path {
            Some(p) if p != Path::new("-") => Ok(Output::File(AtomicFile::create(p)?)),
            _ => Ok(Output::Stdout(io::stdout().lock())),
        }
    }

    pub fn is_terminal(&self) -> bool {
        use std::io::IsTerminal;
        matches!(self, Output::Stdout(_)) && io::stdout().is_terminal()
    }

    pub fn finish(self) -> Result<()> {
        match self {
            Output::File(f) => f.commit(),
            Output::Stdout(mut s) => Ok(s.flush()?),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::File(f) => f.write(buf),
            Output::Stdout(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::File(f) => f.flush(),
            Output::Stdout(s) => s.flush(),
        }
    }
}

/// Input from a file or stdin (`-` or no path).
pub fn open_input(path: Option<&Path>) -> Result<Box<dyn io::Read>> {
    match path {
        Some(p) if p != Path::new("-") => {
            let file = File::open(p).map_err(|e| {
                nearnative_core::Error::io(format!("cannot open {}: {}", p.display(), crate::io_message(&e)))
            })?;
            Ok(Box::new(file))
        }
        _ => Ok(Box::new(io::stdin().lock())),
    }
}
