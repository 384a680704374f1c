//! Lock files: one beside each token cache and role-credential cache, so that every ssofresh
//! sharing that cache (whatever its state directory) refreshes it once, and the others
//! ssofresh keeps (a login in progress, the notification memo, the activity log's writers).
//! Every lock is taken the same way: an exclusive `flock` on a 0600 file that is never a
//! followed symlink, tried again after growing pauses until a deadline.

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

/// A lock in ssofresh's state directory, for what only that directory holds.
pub fn lock_path(state_dir: &Path, cache_key: &str) -> PathBuf {
    state_dir.join("locks").join(format!("{cache_key}.lock"))
}

/// The lock that guards a cache file, beside it: `<dir>/.<key>.ssofresh.lock` for
/// `<dir>/<key>.json`. Every process that shares the cache shares it, whatever its state
/// directory. Hidden, not `*.json`, and always empty: `aws sso logout` reads every file there
/// as JSON and skips what does not parse; the SDKs only open `<key>.json` files by name.
pub fn beside(cache_file: &Path) -> PathBuf {
    let stem = cache_file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    crate::sys::guard::parent(cache_file).join(format!(".{stem}.ssofresh.lock"))
}

/// How long to sleep between tries: doubling from `first` up to `most`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pauses {
    pub first: Duration,
    pub most: Duration,
}

impl Pauses {
    /// For locks held while a request runs: a few wake-ups a second are enough.
    pub const REQUEST: Pauses = Pauses { first: Duration::from_millis(5), most: Duration::from_millis(50) };
}

/// What waiting for a lock came to.
#[derive(Debug)]
pub enum Wait {
    Held(Lock),
    /// Another process kept it for the whole wait.
    Busy,
    /// The lock file could not be opened or locked; [`unsupported`] tells a file system
    /// without locks from other errors.
    Failed(std::io::Error),
}

/// Waits up to `timeout` for the lock; `Ok(None)` when another process kept it that long.
/// Its directory is created private, and refused when another user could have planted the
/// file (`guard`).
pub fn acquire(path: &Path, timeout: Duration) -> std::io::Result<Option<Lock>> {
    if let Some(dir) = path.parent() {
        crate::sys::fs::create_private_dir(dir)?;
        crate::sys::guard::check_dir(dir)?;
    }
    match wait(path, timeout, Pauses::REQUEST) {
        Wait::Held(lock) => Ok(Some(lock)),
        Wait::Busy => Ok(None),
        Wait::Failed(e) => Err(e),
    }
}

/// Opens (creating) the lock file at `path` and tries to lock it until `timeout` has passed,
/// sleeping `pauses` between tries. The directory must exist.
pub fn wait(path: &Path, timeout: Duration, pauses: Pauses) -> Wait {
    let file = match open(path) {
        Ok(f) => f,
        Err(e) => return Wait::Failed(e),
    };
    let deadline = Instant::now() + timeout;
    let mut pause = pauses.first;
    loop {
        match FileExt::try_lock(&file) {
            Ok(()) => return Wait::Held(Lock { _file: file }),
            Err(fs4::TryLockError::WouldBlock) => {}
            Err(fs4::TryLockError::Error(e)) => return Wait::Failed(e),
        }
        let now = Instant::now();
        if now >= deadline {
            return Wait::Busy;
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(pauses.most);
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
    match crate::sys::fs::private_options().read(true).write(true).create(true).truncate(false).open(path) {
        // A lock file already there locks as well read-only (a file system remounted
        // read-only, a directory we may not write to): callers then find out what they
        // cannot write when they try, with the real cause.
        Err(e) if matches!(e.kind(), std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem) => {
            crate::sys::fs::private_options().read(true).open(path).map_err(|_| e)
        }
        r => r,
    }
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
        // Not ZERO: a child another test forks inherits the descriptor until it execs.
        assert!(acquire(&p, Duration::from_secs(2)).unwrap().is_some());
    }

    #[test]
    fn the_cache_lock_sits_beside_the_cache_and_is_no_json_file() {
        let p = beside(Path::new("/h/.aws/sso/cache/d033e22ae348aeb5660fc2140aec35850c4da997.json"));
        assert_eq!(p, Path::new("/h/.aws/sso/cache/.d033e22ae348aeb5660fc2140aec35850c4da997.ssofresh.lock"));
    }

    #[test]
    fn wait_reports_busy_after_the_timeout_then_holds() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.lock");
        let quick = Pauses { first: Duration::from_micros(50), most: Duration::from_millis(1) };
        let Wait::Held(first) = wait(&p, Duration::ZERO, quick) else { panic!("free lock") };
        let t = Instant::now();
        assert!(matches!(wait(&p, Duration::from_millis(30), quick), Wait::Busy));
        assert!(t.elapsed() >= Duration::from_millis(30));
        drop(first);
        // Not ZERO: a child another test forks inherits the descriptor until it execs.
        assert!(matches!(wait(&p, Duration::from_secs(2), quick), Wait::Held(_)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn wait_fails_without_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("missing/w.lock");
        assert!(matches!(wait(&p, Duration::ZERO, Pauses::REQUEST), Wait::Failed(_)));
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
