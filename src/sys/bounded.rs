//! Reading a file the user points ssofresh at (the AWS config), which may be anything: only a
//! regular file of bounded size is read. A FIFO would block every prompt until a writer comes
//! (`open` itself blocks), `/dev/zero` would be read until memory runs out, and a directory or a
//! huge file is a mistake better named than parsed.

use std::io::{self, Read};
use std::path::Path;

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    /// Not a regular file: what it is instead (`a FIFO`, `a directory`, …).
    NotRegular(&'static str),
    /// Bigger than the cap (its size in bytes).
    TooBig(u64),
    Io(io::Error),
}

/// The file's bytes, `None` when it does not exist. Symlinks are followed (a config kept in a
/// dotfiles repository); `/dev/null` reads as empty, as botocore reads it.
pub fn read(path: &Path, max: u64) -> Result<Option<Vec<u8>>, ReadError> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        // Opening a FIFO for reading blocks until a writer opens it; O_NONBLOCK does not, and
        // has no effect on the regular file read below.
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK);
    }
    let file = match o.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        // Windows will not open a directory as a file: say what it is rather than "access
        // denied".
        Err(e) => {
            return Err(match std::fs::metadata(path) {
                Ok(m) if !m.is_file() => ReadError::NotRegular(kind(&m)),
                _ => ReadError::Io(e),
            })
        }
    };
    // Checked on the open file: what is read is what was checked.
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return match kind(&meta) {
            "the null device" => Ok(Some(Vec::new())),
            k => Err(ReadError::NotRegular(k)),
        };
    }
    if meta.len() > max {
        return Err(ReadError::TooBig(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // One byte more than allowed tells a file that grew since the check.
    file.take(max + 1).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooBig(bytes.len() as u64));
    }
    Ok(Some(bytes))
}

/// What a file that is not a regular file is, in words.
fn kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() {
            let null = std::fs::metadata("/dev/null").ok().filter(|n| n.file_type().is_char_device());
            return match null {
                Some(n) if n.rdev() == meta.rdev() => "the null device",
                _ => "a character device",
            };
        }
        if t.is_block_device() {
            return "a block device";
        }
    }
    "not a regular file"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_regular_files_up_to_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        assert!(matches!(read(&p, 10), Ok(None)));
        std::fs::write(&p, b"0123456789").unwrap();
        assert_eq!(read(&p, 10).unwrap().unwrap(), b"0123456789");
        assert!(matches!(read(&p, 9), Err(ReadError::TooBig(10))));
        assert!(matches!(read(dir.path(), 10), Err(ReadError::NotRegular("a directory"))));
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_fifos_are_refused_without_blocking() {
        assert_eq!(read(Path::new("/dev/null"), 10).unwrap().unwrap(), b"");
        assert!(matches!(read(Path::new("/dev/zero"), 10), Err(ReadError::NotRegular("a character device"))));
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(read(&fifo, 10), Err(ReadError::NotRegular("a FIFO (named pipe)"))));
    }
}
