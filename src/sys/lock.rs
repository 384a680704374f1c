//! One lock file per token cache, so concurrent ssofresh processes refresh it once.

use fs4::FileExt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Held while it lives; the OS releases it when the process dies, so a crash never leaves a
/// stale lock behind.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

pub fn lock_path(state_dir: &Path, cache_key: &str) -> PathBuf {
    state_dir.join("locks").join(format!("{cache_key}.lock"))
}

/// Waits up to `timeout` for the lock; `Ok(None)` when another process kept it that long.
pub fn acquire(path: &Path, timeout: Duration) -> std::io::Result<Option<Lock>> {
    if let Some(dir) = path.parent() {
        crate::sys::fs::create_private_dir(dir)?;
        crate::sys::guard::check_dir(dir)?;
    }
    let file = open(path)?;
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(5);
    loop {
        match FileExt::try_lock(&file) {
            Ok(()) => return Ok(Some(Lock { _file: file })),
            Err(fs4::TryLockError::WouldBlock) => {}
            Err(fs4::TryLockError::Error(e)) => return Err(e),
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// Whether a lock error means the file system has no locks (some NFS, 9p and WSL mounts).
pub(crate) fn unsupported(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    if let Some(code) = e.raw_os_error() {
        return code == libc::ENOLCK || code == libc::EOPNOTSUPP || code == libc::ENOSYS;
    }
    e.kind() == std::io::ErrorKind::Unsupported
}

fn open(path: &Path) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // A symlink planted at the lock path is refused rather than followed.
        o.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    o.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_times_out_then_gets_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = lock_path(dir.path(), "k");
        let first = acquire(&p, Duration::ZERO).unwrap().expect("free lock");
        let t = Instant::now();
        assert!(acquire(&p, Duration::from_millis(100)).unwrap().is_none());
        assert!(t.elapsed() >= Duration::from_millis(100));
        drop(first);
        assert!(acquire(&p, Duration::ZERO).unwrap().is_some());
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlinked_lock_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = lock_path(dir.path(), "k");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(dir.path().join("victim"), &p).unwrap();
        assert!(acquire(&p, Duration::ZERO).is_err());
        assert!(!dir.path().join("victim").exists());
    }
}
