//! Files that hold secrets: created private (0600 files, 0700 directories), replaced atomically,
//! never through a planted symlink; and ssofresh's own small JSON files, kept the same way.

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::io::{self, Write};
use std::path::Path;

/// Replaces `path` atomically: a 0600 temp file in the same directory (created 0700 if
/// missing), written, fsynced, renamed over the target, then the directory fsynced. On any
/// failure the temp file is removed and the target is untouched. A directory another user owns
/// or can write to is refused first (`guard`).
///
/// On Windows `rename` is `MoveFileExW(MOVEFILE_REPLACE_EXISTING)` (then, on access denied, a
/// POSIX-semantics rename by handle), which replaces the target in one step too, but not while
/// another process holds it open without `FILE_SHARE_DELETE`, as Python's `open()` (botocore,
/// the AWS CLI) does while reading it. Such reads take milliseconds, so a busy target is
/// retried for about 300 ms; after that the error is returned ([`is_busy`] says so) and the
/// caller tries again on its next run.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with_mode(path, bytes, None)
}

/// `write_atomic`, with the file's permission bits set to `mode` (Unix) before it takes the
/// target's place: a file the user keeps readable (the AWS config, 0644) stays so. `None`
/// leaves the private 0600.
pub fn write_atomic_with_mode(path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
    let dir = crate::sys::guard::parent(path);
    create_private_dir(dir)?;
    crate::sys::guard::check_dir(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let tmp = dir.join(format!(".{name}.{}.{nanos}.tmp", std::process::id()));
    let result = (|| {
        let mut f = open_new_private(&tmp)?;
        f.write_all(bytes)?;
        #[cfg(unix)]
        if let Some(mode) = mode {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
        #[cfg(not(unix))]
        let _ = mode;
        f.sync_all()?;
        drop(f);
        retry_busy(|| std::fs::rename(&tmp, path), &RENAME_PAUSES)?;
        sync_dir(dir);
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A small JSON file (ssofresh's session state and memos; a cached registration or role
/// credentials to look into), read tolerantly: missing, unreadable, refused by `guard`, or not
/// what `T` reads all give `T::default()`. Such files only ever save work or noise, so a bad
/// one is a fresh start.
pub fn load_json<T: DeserializeOwned + Default>(path: &Path) -> T {
    crate::sys::guard::read(path).ok().flatten().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
}

/// Saves `value` as pretty JSON with `write_atomic`: private, and never half written.
pub fn save_json<T: Serialize>(path: &Path, value: &T) -> io::Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
    write_atomic(path, &bytes)
}

/// Pauses between attempts to replace a busy file: about 300 ms in all.
const RENAME_PAUSES: [std::time::Duration; 5] = {
    use std::time::Duration;
    [
        Duration::from_millis(10),
        Duration::from_millis(20),
        Duration::from_millis(40),
        Duration::from_millis(80),
        Duration::from_millis(160),
    ]
};

/// Runs `op` again after each pause while it fails with a busy error; any other result ends it.
fn retry_busy(mut op: impl FnMut() -> io::Result<()>, pauses: &[std::time::Duration]) -> io::Result<()> {
    let mut pauses = pauses.iter();
    loop {
        match op() {
            Err(e) if is_busy(&e) => match pauses.next() {
                Some(pause) => std::thread::sleep(*pause),
                None => return Err(e),
            },
            result => return result,
        }
    }
}

/// Whether the file could not be replaced because another process has it open: a reason to
/// try again later, not a problem with the file. On Windows that is ERROR_ACCESS_DENIED (what
/// `MoveFileExW` reports for an open target; a real permission problem looks the same),
/// ERROR_SHARING_VIOLATION or ERROR_LOCK_VIOLATION.
pub fn is_busy(e: &io::Error) -> bool {
    #[cfg(windows)]
    if matches!(e.raw_os_error(), Some(5 | 32 | 33)) {
        return true;
    }
    e.kind() == io::ErrorKind::ResourceBusy
}

/// Creates a directory (and parents) with mode 0700 on Unix.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Opens a new file 0600, refusing to follow or reuse anything already at that path
/// (O_CREAT|O_EXCL fails on any existing name, a dangling symlink included).
pub fn open_new_private(path: &Path) -> io::Result<std::fs::File> {
    private_options().write(true).create_new(true).open(path)
}

/// Open options for a file of ssofresh's own: created 0600, and a symlink planted at the path
/// is refused rather than followed (on Unix). The caller adds how it opens the file.
pub fn private_options() -> std::fs::OpenOptions {
    let mut o = std::fs::OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600).custom_flags(crate::sys::guard::NOFOLLOW);
    }
    o
}

fn sync_dir(dir: &Path) {
    // Makes the rename durable; a directory cannot be opened for sync on Windows.
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_is_private_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/dir/t.json");
        write_atomic(&path, b"{}").unwrap();
        write_atomic(&path, b"{\"a\": 1}").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"a\": 1}");
        let names: Vec<_> =
            std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["t.json"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(std::fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        }
    }

    #[test]
    fn json_files_round_trip_and_bad_ones_read_as_default() {
        #[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        struct Memo {
            n: u32,
            #[serde(default)]
            note: Option<String>,
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/m.json");
        assert_eq!(load_json::<Memo>(&path), Memo::default(), "missing");
        let memo = Memo { n: 3, note: Some("x".into()) };
        save_json(&path, &memo).unwrap();
        assert_eq!(load_json::<Memo>(&path), memo);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        for bad in [&b"{garbage"[..], b"{\"n\": \"three\"}", b""] {
            std::fs::write(&path, bad).unwrap();
            assert_eq!(load_json::<Memo>(&path), Memo::default(), "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(load_json::<Option<Memo>>(&path), None, "Option<T> reads a bad file as None");
        std::fs::write(&path, b"{\"n\": 1}").unwrap();
        assert_eq!(load_json::<Option<Memo>>(&path), Some(Memo { n: 1, note: None }));
    }

    #[cfg(unix)]
    #[test]
    fn new_private_file_never_opens_a_planted_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        let tmp = dir.path().join(".t.json.1.2.tmp");
        // Dangling: O_CREAT alone would create the victim through it.
        std::os::unix::fs::symlink(&victim, &tmp).unwrap();
        assert!(open_new_private(&tmp).is_err());
        assert!(!victim.exists());
        std::fs::write(&victim, b"precious").unwrap();
        assert!(open_new_private(&tmp).is_err());
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    }

    #[cfg(unix)]
    #[test]
    fn write_into_a_directory_others_can_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let open = dir.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = write_atomic(&open.join("t.json"), b"{}").unwrap_err();
        assert!(crate::sys::guard::as_unsafe(&e).is_some(), "{e}");
        assert_eq!(std::fs::read_dir(&open).unwrap().count(), 0);
    }

    #[test]
    fn busy_replace_is_retried_then_given_up() {
        use std::time::Duration;
        let pauses = [Duration::from_millis(1); 3];
        let busy = || io::Error::from(io::ErrorKind::ResourceBusy);
        let mut calls = 0;
        let r = retry_busy(
            || {
                calls += 1;
                if calls < 3 {
                    Err(busy())
                } else {
                    Ok(())
                }
            },
            &pauses,
        );
        assert!(r.is_ok() && calls == 3, "succeeds once the reader let go");
        let mut calls = 0;
        let e = retry_busy(
            || {
                calls += 1;
                Err(busy())
            },
            &pauses,
        )
        .unwrap_err();
        assert!(is_busy(&e) && calls == 4, "one try, then one per pause, then the busy error");
        let mut calls = 0;
        let e = retry_busy(
            || {
                calls += 1;
                Err(io::Error::from(io::ErrorKind::PermissionDenied))
            },
            &pauses,
        )
        .unwrap_err();
        assert!(!is_busy(&e) && calls == 1, "other errors are not retried");
    }

    #[cfg(windows)]
    #[test]
    fn windows_sharing_errors_are_busy() {
        for code in [5, 32, 33] {
            assert!(is_busy(&io::Error::from_raw_os_error(code)));
        }
        assert!(!is_busy(&io::Error::from_raw_os_error(2)));
    }

    #[test]
    fn failed_write_leaves_target_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        // The target is a directory, so the rename fails after the temp file was written.
        let path = dir.path().join("t.json");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("keep"), b"x").unwrap();
        assert!(write_atomic(&path, b"{}").is_err());
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["t.json"]);
    }
}
