//! Refuses places another user of this machine could have planted a file in, or can change: a
//! token read from (or written into) such a place is not the user's own.
//!
//! The rule, OpenSSH's for `~/.ssh`: a directory that holds secrets belongs to us and is not
//! writable by others. Group-writable is allowed only for the user's private group (the
//! `umask 002` of Debian, Ubuntu and Fedora desktops, where botocore creates the cache 0775),
//! and a writable directory with the sticky bit is allowed (others cannot rename or delete our
//! files there). A file read must belong to us; a symlink in its place is followed only when
//! the link and the file it names both belong to us (`~/.aws` kept in a dotfiles repository),
//! anything else is refused. New files are created with O_EXCL, which never follows a link, and
//! nothing is ever chmod-ed.
//!
//! Cost: one `stat` per directory per process (remembered), one `fstat` of the open file. On
//! Windows files carry ACLs, not modes, and nothing is checked.

use crate::text::quote::{self, Dialect};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Why a path is refused. The message names the path, the problem and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsafe {
    /// Writable by group or others (without the sticky bit).
    OpenDir {
        path: PathBuf,
        mode: u32,
    },
    /// Belongs to another user.
    ForeignDir {
        path: PathBuf,
        owner: u32,
    },
    ForeignFile {
        path: PathBuf,
        owner: u32,
    },
    /// A symlink that is not the user's own, or names a file that is not.
    ForeignLink {
        path: PathBuf,
        owner: u32,
    },
    /// A FIFO, device or directory where a file belongs.
    NotFile {
        path: PathBuf,
    },
}

impl fmt::Display for Unsafe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unsafe::OpenDir { path, mode } => write!(
                f,
                "refusing to use {}: other users can write to it (mode {mode:04o}), so a token there may not be yours; fix: chmod 700 {}",
                path.display(),
                quote::path(Dialect::Posix, path)
            ),
            Unsafe::ForeignDir { path, owner } => write!(
                f,
                "refusing to use {}: it belongs to another user (uid {owner}); fix: sudo chown \"$(id -u):$(id -g)\" {p} && chmod 700 {p}",
                path.display(),
                p = quote::path(Dialect::Posix, path)
            ),
            Unsafe::ForeignFile { path, owner } => write!(
                f,
                "refusing to read {}: it belongs to another user (uid {owner}); fix: remove it (rm {}) and log in again",
                path.display(),
                quote::path(Dialect::Posix, path)
            ),
            Unsafe::ForeignLink { path, owner } => write!(
                f,
                "refusing to follow {}: a symlink that is not yours or names a file of another user (uid {owner}); fix: remove it (rm {}) and log in again",
                path.display(),
                quote::path(Dialect::Posix, path)
            ),
            Unsafe::NotFile { path } => write!(
                f,
                "cannot read {}: not a regular file (a directory, FIFO or device); move it out of the way",
                path.display()
            ),
        }
    }
}

impl std::error::Error for Unsafe {}

impl From<Unsafe> for io::Error {
    fn from(u: Unsafe) -> io::Error {
        io::Error::new(io::ErrorKind::PermissionDenied, u)
    }
}

/// The `Unsafe` inside an error from this module, if that is what it is.
pub fn as_unsafe(e: &io::Error) -> Option<&Unsafe> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<Unsafe>())
}

/// The directory that holds `path` (`.` for a bare name).
pub fn parent(path: &Path) -> &Path {
    path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Refuses a directory that another user owns or can write to; a missing one is fine (it is
/// created 0700 when needed). Remembered per process: one `stat` per directory.
pub fn check_dir(dir: &Path) -> Result<(), Unsafe> {
    imp::check_dir(dir)
}

/// A file's bytes, `None` when there is none; refused (as an `Unsafe` inside the error) when
/// its directory or the file is not the user's own.
pub fn read(path: &Path) -> io::Result<Option<Vec<u8>>> {
    check_dir(parent(path))?;
    imp::read(path)
}

/// The file a symlink at `path` names, when the link is the user's own and names a regular
/// file of the user's (the same trust `read` gives a link): a writer replaces that file, in its
/// own directory, and keeps the link. `None` for anything else, which a writer replaces as is.
pub fn own_link_target(path: &Path) -> Option<PathBuf> {
    imp::own_link_target(path)
}

/// Whether a file (as `symlink_metadata` or `metadata` found it) belongs to this user; always
/// on platforms without owners.
pub fn is_mine(m: &std::fs::Metadata) -> bool {
    imp::is_mine(m)
}

/// Open flags that refuse a symlink at the last component of a path, where the platform has one.
#[cfg(unix)]
pub const NOFOLLOW: i32 = libc::O_NOFOLLOW;

#[cfg(unix)]
mod imp {
    use super::Unsafe;
    use std::io::{self, Read};
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    /// Directories already found safe by this process.
    static SAFE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

    /// The effective user, asked once: every file read checks it, 60 times in a no-op tick
    /// with 30 sessions.
    fn me() -> u32 {
        static ME: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
        // SAFETY: geteuid has no preconditions and cannot fail.
        *ME.get_or_init(|| unsafe { libc::geteuid() })
    }

    pub fn check_dir(dir: &Path) -> Result<(), Unsafe> {
        if SAFE.lock().map(|s| s.iter().any(|d| d == dir)).unwrap_or(false) {
            return Ok(());
        }
        // Follows symlinks: a ~/.aws that is the user's link into a dotfiles repository is the
        // directory it names. Not remembered when missing: whoever creates it decides its mode.
        let Ok(m) = std::fs::metadata(dir) else { return Ok(()) };
        let uid = me();
        if m.uid() != uid {
            return Err(Unsafe::ForeignDir { path: dir.to_path_buf(), owner: m.uid() });
        }
        let mode = m.mode() & 0o7777;
        let sticky = mode & 0o1000 != 0;
        let others = mode & 0o002 != 0;
        let group = mode & 0o020 != 0 && !private_group(m.gid(), uid);
        if (others || group) && !sticky {
            return Err(Unsafe::OpenDir { path: dir.to_path_buf(), mode });
        }
        if let Ok(mut s) = SAFE.lock() {
            s.push(dir.to_path_buf());
        }
        Ok(())
    }

    pub fn is_mine(m: &std::fs::Metadata) -> bool {
        m.uid() == me()
    }

    pub fn own_link_target(path: &Path) -> Option<PathBuf> {
        let link = std::fs::symlink_metadata(path).ok()?;
        if !link.file_type().is_symlink() || link.uid() != me() {
            return None;
        }
        let real = std::fs::canonicalize(path).ok()?;
        let m = std::fs::symlink_metadata(&real).ok()?;
        (m.is_file() && m.uid() == me()).then_some(real)
    }

    pub fn read(path: &Path) -> io::Result<Option<Vec<u8>>> {
        let mut o = std::fs::OpenOptions::new();
        // O_NONBLOCK: a FIFO planted at the path must not hang a prompt.
        o.read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
        let mut link_owner = None;
        let mut file = match o.open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                // ELOOP on Linux and macOS, EMLINK on FreeBSD: ask the file system instead.
                let link = std::fs::symlink_metadata(path).ok().filter(|m| m.file_type().is_symlink());
                let Some(link) = link else { return Err(e) };
                if link.uid() != me() {
                    return Err(Unsafe::ForeignLink { path: path.to_path_buf(), owner: link.uid() }.into());
                }
                link_owner = Some(link.uid());
                let mut o = std::fs::OpenOptions::new();
                o.read(true).custom_flags(libc::O_NONBLOCK);
                match o.open(path) {
                    Ok(f) => f,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(e),
                }
            }
        };
        // Checked on the open file, so nothing can be swapped in between.
        let m = file.metadata()?;
        if m.uid() != me() {
            return Err(match link_owner {
                Some(_) => Unsafe::ForeignLink { path: path.to_path_buf(), owner: m.uid() },
                None => Unsafe::ForeignFile { path: path.to_path_buf(), owner: m.uid() },
            }
            .into());
        }
        if !m.is_file() {
            return Err(Unsafe::NotFile { path: path.to_path_buf() }.into());
        }
        let mut bytes = Vec::with_capacity(m.len() as usize + 1);
        ReadOnly(&mut file).read_to_end(&mut bytes)?;
        Ok(Some(bytes))
    }

    /// A file read through `read` alone: `File::read_to_end` would ask the file's size again
    /// (`fstat`, `lseek`), two more system calls per file when the buffer is sized already.
    pub(super) struct ReadOnly<'f>(pub(super) &'f mut std::fs::File);

    impl Read for ReadOnly<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.0.read(buf)
        }
    }

    /// Whether `gid` is the user's private group: the user's primary group, named as the user,
    /// with no other member. Asked only of a group-writable directory.
    fn private_group(gid: u32, uid: u32) -> bool {
        use std::ffi::CStr;
        let mut pw_buf = vec![0u8; 16 * 1024];
        let mut gr_buf = vec![0u8; 64 * 1024];
        // SAFETY: zeroed passwd/group structs are valid out-parameters; the buffers outlive
        // every pointer the calls store in them, and the results are read only on success.
        unsafe {
            let mut pw: libc::passwd = std::mem::zeroed();
            let mut pw_out: *mut libc::passwd = std::ptr::null_mut();
            if libc::getpwuid_r(uid, &mut pw, pw_buf.as_mut_ptr().cast(), pw_buf.len(), &mut pw_out) != 0
                || pw_out.is_null()
            {
                return false;
            }
            if pw.pw_gid != gid {
                return false;
            }
            let mut gr: libc::group = std::mem::zeroed();
            let mut gr_out: *mut libc::group = std::ptr::null_mut();
            if libc::getgrgid_r(gid, &mut gr, gr_buf.as_mut_ptr().cast(), gr_buf.len(), &mut gr_out) != 0
                || gr_out.is_null()
            {
                return false;
            }
            let user = CStr::from_ptr(pw.pw_name);
            if CStr::from_ptr(gr.gr_name) != user {
                return false;
            }
            let mut member = gr.gr_mem;
            while !member.is_null() && !(*member).is_null() {
                if CStr::from_ptr(*member) != user {
                    return false;
                }
                member = member.add(1);
            }
            true
        }
    }
}

#[cfg(not(unix))]
mod imp {
    use super::Unsafe;
    use std::io;
    use std::path::Path;

    pub fn check_dir(_dir: &Path) -> Result<(), Unsafe> {
        Ok(())
    }

    pub fn is_mine(_m: &std::fs::Metadata) -> bool {
        true
    }

    /// Links on Windows need privileges to make; they are replaced, not followed.
    pub fn own_link_target(_path: &Path) -> Option<std::path::PathBuf> {
        None
    }

    pub fn read(path: &Path) -> io::Result<Option<Vec<u8>>> {
        match std::fs::read(path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn chmod(p: &Path, mode: u32) {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn private_dir_and_own_file_and_own_link_are_read() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real");
        std::fs::create_dir(&real).unwrap();
        chmod(&real, 0o700);
        std::fs::write(real.join("t.json"), b"x").unwrap();
        std::os::unix::fs::symlink(real.join("t.json"), real.join("link.json")).unwrap();
        assert_eq!(read(&real.join("t.json")).unwrap(), Some(b"x".to_vec()));
        assert_eq!(read(&real.join("link.json")).unwrap(), Some(b"x".to_vec()));
        assert_eq!(read(&real.join("none.json")).unwrap(), None);
        // A symlinked directory is the directory it names.
        symlink(&real, d.path().join("dots")).unwrap();
        assert_eq!(read(&d.path().join("dots/t.json")).unwrap(), Some(b"x".to_vec()));
    }

    #[test]
    fn a_file_that_grows_after_its_size_was_taken_is_read_whole() {
        use std::io::{Read, Write};
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t.json");
        std::fs::write(&p, b"{}").unwrap();
        let mut f = std::fs::File::open(&p).unwrap();
        let mut bytes = Vec::with_capacity(f.metadata().unwrap().len() as usize + 1);
        let more = vec![b'x'; 10_000];
        std::fs::OpenOptions::new().append(true).open(&p).unwrap().write_all(&more).unwrap();
        imp::ReadOnly(&mut f).read_to_end(&mut bytes).unwrap();
        assert_eq!(bytes.len(), 2 + more.len());
    }

    #[test]
    fn writable_dirs_are_refused_unless_sticky() {
        let d = tempfile::tempdir().unwrap();
        for (name, mode, ok) in [("w", 0o777, false), ("o", 0o703, false), ("s", 0o1777, true), ("r", 0o755, true)] {
            let p = d.path().join(name);
            std::fs::create_dir(&p).unwrap();
            chmod(&p, mode);
            let r = check_dir(&p);
            assert_eq!(r.is_ok(), ok, "{name} {mode:o}: {r:?}");
            if let Err(e) = r {
                let msg = e.to_string();
                assert!(msg.contains(&p.display().to_string()) && msg.contains("chmod 700"), "{msg}");
            }
        }
        assert!(check_dir(&d.path().join("missing")).is_ok());
    }

    #[test]
    fn fifo_is_refused_without_hanging() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t.json");
        let c = std::ffi::CString::new(p.to_string_lossy().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read(&p).unwrap_err();
        assert!(matches!(as_unsafe(&e), Some(Unsafe::NotFile { .. })), "{e}");
    }
}
