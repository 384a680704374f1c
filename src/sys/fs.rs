//! Files that hold secrets: created private (0600 files, 0700 directories), replaced atomically,
//! never through a planted symlink; and ssofresh's own small JSON files, kept the same way.

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::io::{self, Seek, Write};
use std::path::{Path, PathBuf};

/// Replaces `path` atomically: a 0600 temp file in the same directory (created 0700 if
/// missing), written, fsynced, renamed over the target, then the directory fsynced. On any
/// failure the temp file is removed and the target is untouched. A directory another user owns
/// or can write to is refused first (`guard`). A symlink at `path` is replaced, never written
/// through ([`write_through_own_link_with_mode`] is for the files users link on purpose).
///
/// On Windows `rename` is `MoveFileExW(MOVEFILE_REPLACE_EXISTING)` (then, on access denied, a
/// POSIX-semantics rename by handle), which replaces the target in one step too, but not while
/// another process holds it open without `FILE_SHARE_DELETE`, as Python's `open()` (botocore,
/// the AWS CLI) does while reading it. Such reads take milliseconds, so a busy target is
/// retried for about 300 ms; after that the error is returned ([`is_busy`] says so) and the
/// caller tries again on its next run. (What must not be lost, a refreshed token, goes through
/// [`Staged::commit_or_rewrite`] instead.)
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut staged = Staged::create(path, 0)?;
    staged.fill(bytes)?;
    staged.commit()
}

/// [`write_through_own_link_with_mode`] (the private 0600), except that a target that stays
/// busy is rewritten in place ([`Staged::commit_or_rewrite`]) whatever it holds: for a new
/// login, which replaces whatever the cache holds and is lost if it cannot be saved.
pub fn write_through_own_link_or_rewrite(path: &Path, bytes: &[u8]) -> io::Result<Replaced> {
    let mut staged = Staged::through_own_link(path, 0)?;
    staged.fill(bytes)?;
    staged.commit_or_rewrite(|_| true).map_err(|e| match e {
        NotReplaced::Changed => io::Error::other("the file changed while it was being replaced"),
        NotReplaced::Failed { error, .. } => error,
    })
}

/// How a [`Staged`] replacement reached its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replaced {
    /// Renamed over it: a reader saw the old file or the new one.
    Renamed,
    /// The target stayed busy and its contents were rewritten in place.
    InPlace,
}

/// Why [`Staged::commit_or_rewrite`] did not replace the target.
#[derive(Debug)]
pub enum NotReplaced {
    /// The target no longer held what the caller meant to replace: nothing was written.
    Changed,
    /// Neither a rename nor an in-place rewrite went through. The staged file, still holding
    /// the new contents, is handed back for [`Staged::keep_as`]; [`rewritten_in_part`] tells
    /// whether the target was touched.
    Failed { staged: Staged, error: io::Error },
}

/// [`write_atomic`], except that a symlink at `path` that is the user's own and names a file of
/// the user's (`~/.aws` or one cache file kept in a dotfiles repository) is written through:
/// the file it names is replaced, atomically in its own directory, and the link stays. The new
/// file's permission bits are set to `mode` (Unix) before it takes the old one's place: a file
/// the user keeps readable (the AWS config, often 0644) stays so. `None` keeps the private 0600.
pub fn write_through_own_link_with_mode(path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
    let mut staged = Staged::through_own_link(path, 0)?;
    staged.fill(bytes)?;
    staged.set_mode(mode)?;
    staged.commit()
}

/// A replacement for a file, made ready before its contents are known: the temp file exists
/// and `reserve` bytes were written to it and synced. A full disk, a read-only file system or a
/// missing permission shows here, before anything is spent on the new contents (a token
/// refresh that rotates the refresh token cannot be taken back). The reserved blocks are then
/// overwritten in place, which needs no new space on the usual file systems (ext4, xfs, tmpfs,
/// APFS); copy-on-write ones (btrfs, zfs) may still need some.
///
/// Dropped without [`Staged::commit`], the temp file is removed and the target is untouched.
/// Killed before that, it stays behind as `.NAME.PID.NANOS.tmp` holding blanks (or, for the
/// milliseconds between `fill` and `commit`, the new contents) until
/// [`remove_stale_temps`] finds its writer gone.
#[derive(Debug)]
pub struct Staged {
    file: Option<std::fs::File>,
    tmp: PathBuf,
    /// The file the rename replaces.
    target: PathBuf,
    reserved: usize,
}

impl Staged {
    /// To replace `path` itself (a symlink there included).
    pub fn create(path: &Path, reserve: usize) -> io::Result<Staged> {
        Staged::new(path.to_path_buf(), reserve)
    }

    /// To replace the file the user's own symlink at `path` names (see
    /// [`write_through_own_link_with_mode`]), else `path` itself.
    pub fn through_own_link(path: &Path, reserve: usize) -> io::Result<Staged> {
        Staged::new(crate::sys::guard::own_link_target(path).unwrap_or_else(|| path.to_path_buf()), reserve)
    }

    fn new(target: PathBuf, reserve: usize) -> io::Result<Staged> {
        let dir = crate::sys::guard::parent(&target);
        create_private_dir(dir)?;
        crate::sys::guard::check_dir(dir)?;
        let tmp = dir.join(temp_name(&target));
        let file = open_new_private(&tmp)?;
        let mut staged = Staged { file: Some(file), tmp, target, reserved: reserve };
        if reserve > 0 {
            // Spaces: JSON whitespace, and nothing secret if the process dies holding it.
            let f = staged.file.as_mut().ok_or_else(|| io::Error::other("no temp file"))?;
            f.write_all(&vec![b' '; reserve])?;
            f.sync_all()?;
        }
        Ok(staged)
    }

    /// Writes the contents over the reserved space, trims what is left, and syncs.
    pub fn fill(&mut self, bytes: &[u8]) -> io::Result<()> {
        let f = self.file.as_mut().ok_or_else(|| io::Error::other("no temp file"))?;
        if self.reserved > 0 {
            f.rewind()?;
        }
        f.write_all(bytes)?;
        if self.reserved > bytes.len() {
            f.set_len(bytes.len() as u64)?;
        }
        f.sync_all()
    }

    /// Sets the temp file's permission bits (Unix; `None` and other platforms: no change).
    pub fn set_mode(&mut self, mode: Option<u32>) -> io::Result<()> {
        #[cfg(unix)]
        if let Some(mode) = mode {
            use std::os::unix::fs::PermissionsExt;
            let f = self.file.as_ref().ok_or_else(|| io::Error::other("no temp file"))?;
            f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
        #[cfg(not(unix))]
        let _ = mode;
        Ok(())
    }

    /// Renames the temp file over the target, then makes the rename durable.
    pub fn commit(mut self) -> io::Result<()> {
        drop(self.file.take());
        retry_busy(|| std::fs::rename(&self.tmp, &self.target), &RENAME_PAUSES)?;
        // Renamed: nothing for Drop to remove.
        self.tmp = PathBuf::new();
        sync_dir(crate::sys::guard::parent(&self.target));
        Ok(())
    }

    /// [`Staged::commit`]; but when the target stays busy through the retries (Windows: a
    /// reader without `FILE_SHARE_DELETE`, such as Python's `open()`; Linux: a file
    /// bind-mounted into a container), its contents are rewritten in place, as botocore, the
    /// JS and the Rust SDKs write the token cache, provided `unchanged` accepts what the file
    /// holds then. Python's `open()` shares reading and writing, so Windows allows the write
    /// where it refuses the rename.
    ///
    /// The rewrite never leaves the file empty: blanks are appended first when the new
    /// contents are longer (a full disk shows there, and the blanks are cut off again), then
    /// the new contents, blank-padded to the file's length, are written over the old, and the
    /// padding is cut. Between any two steps the file is the old JSON or the new, followed by
    /// blanks, which every JSON reader accepts. The result is read back: a writer that takes
    /// no lock may have written at the same moment.
    pub fn commit_or_rewrite(mut self, mut unchanged: impl FnMut(&[u8]) -> bool) -> Result<Replaced, NotReplaced> {
        drop(self.file.take());
        match retry_busy(|| std::fs::rename(&self.tmp, &self.target), &RENAME_PAUSES) {
            Ok(()) => {
                self.tmp = PathBuf::new();
                sync_dir(crate::sys::guard::parent(&self.target));
                return Ok(Replaced::Renamed);
            }
            Err(error) if !is_busy(&error) => return Err(NotReplaced::Failed { staged: self, error }),
            Err(e) => log::info!("{} stayed busy ({e}); rewriting it in place", self.target.display()),
        }
        match self.rewrite_in_place(&mut unchanged) {
            // Drop removes the temp file.
            Ok(true) => Ok(Replaced::InPlace),
            Ok(false) => Err(NotReplaced::Changed),
            Err(error) => Err(NotReplaced::Failed { staged: self, error }),
        }
    }

    /// The in-place rewrite of [`Staged::commit_or_rewrite`], from the synced temp file. `Ok(false)`:
    /// `unchanged` refused what the target holds; nothing was written.
    fn rewrite_in_place(&self, unchanged: &mut dyn FnMut(&[u8]) -> bool) -> io::Result<bool> {
        use std::io::Read;
        let new = std::fs::read(&self.tmp)?;
        let mut f = in_place_options().open(&self.target)?;
        let m = f.metadata()?;
        if !m.is_file() {
            return Err(crate::sys::guard::Unsafe::NotFile { path: self.target.clone() }.into());
        }
        if !crate::sys::guard::is_mine(&m) {
            #[cfg(unix)]
            let owner = std::os::unix::fs::MetadataExt::uid(&m);
            #[cfg(not(unix))]
            let owner = 0;
            return Err(crate::sys::guard::Unsafe::ForeignFile { path: self.target.clone(), owner }.into());
        }
        let mut old = Vec::new();
        f.read_to_end(&mut old)?;
        if !unchanged(&old) {
            return Ok(false);
        }
        let len = old.len().max(new.len());
        if new.len() > old.len() {
            // The only step that needs space; undone when it fails, so the file stays as it was.
            let grown = f.write_all(&vec![b' '; new.len() - old.len()]).and_then(|()| f.sync_all());
            if let Err(e) = grown {
                let _ = f.set_len(old.len() as u64);
                let _ = f.sync_all();
                return Err(e);
            }
        }
        let mut padded = new.clone();
        padded.resize(len, b' ');
        let part = |e: io::Error| io::Error::new(e.kind(), RewrittenInPart(e));
        f.rewind().map_err(part)?;
        f.write_all(&padded).and_then(|()| f.sync_all()).map_err(part)?;
        if len > new.len() {
            f.set_len(new.len() as u64).and_then(|()| f.sync_all()).map_err(part)?;
        }
        let mut back = Vec::with_capacity(new.len());
        f.rewind().and_then(|_| f.read_to_end(&mut back)).map_err(part)?;
        if back != new {
            return Err(part(io::Error::other("another program wrote it at the same moment")));
        }
        Ok(true)
    }

    /// Keeps the staged file as `path` with `bytes` in it, instead of removing it: a result
    /// that could not reach its target (a refreshed token) waits there for the next run. The
    /// temp file's space is reused; `path` is replaced if it exists.
    pub fn keep_as(mut self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        drop(self.file.take());
        let mut f = private_options().write(true).open(&self.tmp)?;
        f.write_all(bytes)?;
        f.set_len(bytes.len() as u64)?;
        f.sync_all()?;
        drop(f);
        retry_busy(|| std::fs::rename(&self.tmp, path), &RENAME_PAUSES)?;
        self.tmp = PathBuf::new();
        sync_dir(crate::sys::guard::parent(path));
        Ok(())
    }
}

/// How the in-place rewrite opens the target: to read and write, never creating it, and
/// never through a symlink (a link there would have been replaced, not written through).
fn in_place_options() -> std::fs::OpenOptions {
    let mut o = std::fs::OpenOptions::new();
    o.read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(crate::sys::guard::NOFOLLOW);
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt;
        // The link itself, which `metadata` then refuses. The share mode stays std's (read,
        // write, delete): other programs' readers keep reading, as beside the SDKs' in-place
        // writes.
        o.custom_flags(windows_sys::Win32::Storage::FileSystem::FILE_FLAG_OPEN_REPARSE_POINT);
    }
    o
}

/// The error of an in-place rewrite that failed after it had started writing: the file may
/// hold neither the old contents nor the new.
#[derive(Debug)]
struct RewrittenInPart(io::Error);

impl std::fmt::Display for RewrittenInPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rewriting it in place failed part-way ({}), so it may be damaged", self.0)
    }
}

impl std::error::Error for RewrittenInPart {}

/// Whether `e` is from an in-place rewrite that had started writing ([`Staged::commit_or_rewrite`]):
/// the file is then not known to be as it was.
pub fn rewritten_in_part(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<RewrittenInPart>())
}

impl Drop for Staged {
    fn drop(&mut self) {
        drop(self.file.take());
        if !self.tmp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// `.NAME.PID.NANOS.tmp`: hidden, never `*.json` (what other tools look at), and naming its
/// writer so that [`remove_stale_temps`] can tell a live writer's file from an orphan.
fn temp_name(target: &Path) -> String {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!(".{name}.{}.{nanos}.tmp", std::process::id())
}

/// A temp file older than this is an orphan whoever wrote it: a write takes milliseconds, a
/// staged token refresh at most a few minutes.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes from `dir` the temp files [`Staged`] left behind when its process was killed: only
/// names of its own pattern for a JSON file (`.NAME.json.PID.NANOS.tmp`), only regular files
/// of this user, and only when that process is gone or the file is over an hour old. Other
/// programs' files (botocore's `tmpXXXXXXXX.tmp`, anything else) are never touched. Returns
/// what it removed.
pub fn remove_stale_temps(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_writer) else { continue };
        let path = entry.path();
        // Not followed: a link there is nobody's temp file.
        let Ok(m) = std::fs::symlink_metadata(&path) else { continue };
        if !m.is_file() || !crate::sys::guard::is_mine(&m) {
            continue;
        }
        let old = m.modified().ok().and_then(|t| t.elapsed().ok()).is_some_and(|age| age > STALE_AFTER);
        if (old || !process_alive(pid)) && std::fs::remove_file(&path).is_ok() {
            log::info!("removed {}, left by a writer that is gone", path.display());
            removed.push(path);
        }
    }
    removed
}

/// [`remove_stale_temps`] in `dir` and each directory directly in it (ssofresh's state
/// directory: `sessions/`, `notify/`, `hints/`).
pub fn remove_stale_temps_under(dir: &Path) -> Vec<PathBuf> {
    let mut removed = remove_stale_temps(dir);
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                removed.extend(remove_stale_temps(&e.path()));
            }
        }
    }
    removed
}

/// The writer's pid when `name` is one of [`temp_name`]'s for a JSON file.
fn temp_writer(name: &str) -> Option<u32> {
    let rest = name.strip_suffix(".tmp")?;
    let (rest, nanos) = rest.rsplit_once('.')?;
    let (target, pid) = rest.rsplit_once('.')?;
    let digits = |s: &str, most: usize| !s.is_empty() && s.len() <= most && s.bytes().all(|b| b.is_ascii_digit());
    let json = target.strip_prefix('.')?.strip_suffix(".json")?;
    (digits(nanos, 9) && digits(pid, 10) && !json.is_empty()).then(|| pid.parse().ok()).flatten()
}

/// Whether a process with this pid exists (of any user). Where that cannot be asked, every
/// writer counts as alive and only age removes its file.
fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
        if pid <= 0 {
            return false;
        }
        // SAFETY: signal 0 only asks whether the process exists; nothing is sent.
        if unsafe { libc::kill(pid, 0) } == 0 {
            return true;
        }
        // EPERM: it exists, as another user's process.
        io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// Why a file could not be written, as a short stable class and the words a user acts on.
pub fn write_cause(e: &io::Error) -> (&'static str, String) {
    if is_busy(e) {
        return ("cache_busy", "it is open in another program".into());
    }
    #[cfg(unix)]
    match e.raw_os_error() {
        Some(libc::ENOSPC) => return ("disk_full", "the disk is full; free some space".into()),
        Some(libc::EDQUOT) => return ("disk_full", "the disk quota is used up; free some space".into()),
        Some(libc::EROFS) => return ("read_only", "the file system is read-only".into()),
        Some(libc::EACCES | libc::EPERM) => {
            return ("no_permission", "permission denied; check the directory's owner and mode".into())
        }
        _ => {}
    }
    #[cfg(windows)]
    match e.raw_os_error() {
        // ERROR_HANDLE_DISK_FULL, ERROR_DISK_FULL
        Some(39 | 112) => return ("disk_full", "the disk is full; free some space".into()),
        // ERROR_WRITE_PROTECT
        Some(19) => return ("read_only", "the disk is write-protected".into()),
        _ => {}
    }
    if e.kind() == io::ErrorKind::PermissionDenied {
        return ("no_permission", "permission denied; check the directory's owner and mode".into());
    }
    ("cache_write", e.to_string())
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
    // Only Unix adds flags; elsewhere the options stay as created.
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut o = std::fs::OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600).custom_flags(crate::sys::guard::NOFOLLOW);
    }
    o
}

/// Which file `file` is, as its file system knows it: device and inode on Unix, volume serial
/// number and file index on Windows. A log renamed away and its replacement differ.
pub fn file_id(file: &std::fs::File) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = file.metadata().ok()?;
        Some((m.dev(), m.ino()))
    }
    #[cfg(windows)]
    {
        use std::os::windows::io::AsRawHandle;
        use windows_sys::Win32::Storage::FileSystem::{GetFileInformationByHandle, BY_HANDLE_FILE_INFORMATION};
        // SAFETY: a zeroed plain-data struct is a valid out-parameter.
        let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
        // SAFETY: the handle is open for as long as `file` lives; info is writable.
        let ok = unsafe { GetFileInformationByHandle(file.as_raw_handle(), &mut info) } != 0;
        ok.then(|| {
            (u64::from(info.dwVolumeSerialNumber), u64::from(info.nFileIndexHigh) << 32 | u64::from(info.nFileIndexLow))
        })
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = file;
        None
    }
}

/// [`file_id`] of the file at `path` now; `None` when there is none.
pub fn path_id(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        // No need to open it.
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        Some((m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    file_id(&std::fs::File::open(path).ok()?)
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

    #[test]
    fn a_file_renamed_away_and_its_replacement_have_different_ids() {
        let dir = tempfile::tempdir().unwrap();
        let (log, old) = (dir.path().join("a.log"), dir.path().join("a.log.1"));
        std::fs::write(&log, b"1").unwrap();
        let first = std::fs::File::open(&log).unwrap();
        let id = file_id(&first).expect("an id");
        assert_eq!(path_id(&log), Some(id));
        std::fs::rename(&log, &old).unwrap();
        std::fs::write(&log, b"2").unwrap();
        assert_eq!(file_id(&first), Some(id), "the open file is still itself");
        assert_eq!(path_id(&old), Some(id));
        assert!(path_id(&log).is_some_and(|new| new != id), "the replacement is another file");
        assert_eq!(path_id(&dir.path().join("none")), None);
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
    fn staged_reserves_first_then_holds_exactly_the_contents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        std::fs::write(&path, b"old").unwrap();
        let mut staged = Staged::create(&path, 100).unwrap();
        let tmp = staged.tmp.clone();
        assert_eq!(std::fs::read(&tmp).unwrap(), vec![b' '; 100], "the space is taken before the contents are known");
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        staged.fill(b"{\"a\": 1}").unwrap();
        staged.commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"a\": 1}");
        assert!(!tmp.exists());
        // Dropped uncommitted: the temp file goes, the target stays.
        let staged = Staged::create(&path, 10).unwrap();
        let tmp = staged.tmp.clone();
        assert!(tmp.exists());
        drop(staged);
        assert!(!tmp.exists());
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"a\": 1}");
    }

    #[test]
    fn an_in_place_rewrite_needs_the_old_contents_and_leaves_exactly_the_new() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        let old = br#"{"accessToken": "a-rather-long-old-token"}"#;
        for new in [&br#"{"accessToken": "b"}"#[..], br#"{"accessToken": "a-much-much-longer-new-token-than-before"}"#]
        {
            std::fs::write(&path, old).unwrap();
            let mut staged = Staged::create(&path, 200).unwrap();
            staged.fill(new).unwrap();
            drop(staged.file.take());
            let mut seen = Vec::new();
            let refused = staged
                .rewrite_in_place(&mut |b| {
                    seen = b.to_vec();
                    false
                })
                .unwrap();
            assert!(!refused, "the caller refused");
            assert_eq!(seen, old, "it was shown what the file held");
            assert_eq!(std::fs::read(&path).unwrap(), old, "refused: nothing written");
            assert!(staged.rewrite_in_place(&mut |b| b == old).unwrap());
            assert_eq!(std::fs::read(&path).unwrap(), new, "no padding, no old bytes left");
            drop(staged);
            let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
            assert_eq!(names, ["t.json"], "the temp file goes");
        }
    }

    #[test]
    fn a_staged_file_kept_elsewhere_holds_the_given_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        std::fs::write(&path, b"old").unwrap();
        let mut staged = Staged::create(&path, 100).unwrap();
        staged.fill(b"a new token that is long").unwrap();
        let kept = dir.path().join(".t.kept");
        std::fs::write(&kept, b"an older kept one, to be replaced").unwrap();
        staged.keep_as(&kept, b"short").unwrap();
        assert_eq!(std::fs::read(&kept).unwrap(), b"short");
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        let mut names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names, [".t.kept", "t.json"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&kept).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    /// How Windows treats the readers of the other clients: Python's `open()` shares reading and
    /// writing (no rename, but an in-place write), .NET's `File.ReadAllText` reading only
    /// (neither: the new contents are handed back).
    #[cfg(windows)]
    #[test]
    fn windows_rewrites_a_file_python_holds_and_hands_back_one_dotnet_holds() {
        use std::os::windows::fs::OpenOptionsExt;
        const READ: u32 = 0x1;
        const WRITE: u32 = 0x2;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        std::fs::write(&path, b"old").unwrap();
        let python = std::fs::OpenOptions::new().read(true).share_mode(READ | WRITE).open(&path).unwrap();
        let mut staged = Staged::create(&path, 0).unwrap();
        staged.fill(b"new").unwrap();
        assert_eq!(staged.commit_or_rewrite(|b| b == b"old").unwrap(), Replaced::InPlace);
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        drop(python);
        let dotnet = std::fs::OpenOptions::new().read(true).share_mode(READ).open(&path).unwrap();
        let mut staged = Staged::create(&path, 0).unwrap();
        staged.fill(b"newer").unwrap();
        let Err(NotReplaced::Failed { staged, error }) = staged.commit_or_rewrite(|_| true) else {
            panic!("replaced a file held without write sharing")
        };
        assert!(is_busy(&error) && !rewritten_in_part(&error), "{error}");
        assert_eq!(std::fs::read(&path).unwrap(), b"new", "untouched");
        staged.keep_as(&dir.path().join("kept"), b"newer").unwrap();
        drop(dotnet);
        assert_eq!(std::fs::read(dir.path().join("kept")).unwrap(), b"newer");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "the temp file became the kept one");
    }

    #[cfg(unix)]
    #[test]
    fn only_the_users_own_links_are_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let dots = dir.path().join("dots");
        std::fs::create_dir(&dots).unwrap();
        let real = dots.join("real.json");
        std::fs::write(&real, b"old").unwrap();
        let link = dir.path().join("t.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_through_own_link_or_rewrite(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
        let names: Vec<_> = std::fs::read_dir(&dots).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["real.json"]);
        // A dangling link names no file of ours: it is replaced, nothing is created through it.
        let gone = dots.join("gone.json");
        let dangling = dir.path().join("d.json");
        std::os::unix::fs::symlink(&gone, &dangling).unwrap();
        write_through_own_link_or_rewrite(&dangling, b"x").unwrap();
        assert!(std::fs::symlink_metadata(&dangling).unwrap().is_file() && !gone.exists());
        // write_atomic never follows.
        write_atomic(&link, b"replaced").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().is_file());
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
    }

    #[test]
    fn temp_names_are_recognised_only_in_their_own_pattern() {
        assert_eq!(temp_writer(&temp_name(Path::new("/c/abc.json"))), Some(std::process::id()));
        assert_eq!(temp_writer(".abc.json.42.123456789.tmp"), Some(42));
        for other in [
            "tmpab12cd34.tmp",             // botocore's mkstemp
            "abc.json.42.1.tmp",           // not hidden
            ".notes.txt.42.1.tmp",         // not a JSON file's
            ".json.42.1.tmp",              // no name
            ".abc.json.x42.1.tmp",         // not a pid
            ".abc.json.42.1234567890.tmp", // not nanoseconds
            ".abc.json.42.1.tmp~",
            ".abc.json",
        ] {
            assert_eq!(temp_writer(other), None, "{other}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn stale_temps_of_dead_writers_go_and_everything_else_stays() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        child.wait().unwrap();
        let dead = child.id();
        let at = |name: String| {
            let p = dir.path().join(name);
            std::fs::write(&p, b"{}").unwrap();
            p
        };
        let orphan = at(format!(".k.json.{dead}.5.tmp"));
        let live = at(format!(".k.json.{}.5.tmp", std::process::id()));
        let theirs = at("tmpab12cd34.tmp".into());
        let token = at("k.json".into());
        let sub = dir.path().join("sessions");
        std::fs::create_dir(&sub).unwrap();
        let nested = sub.join(format!(".k.json.{dead}.6.tmp"));
        std::fs::write(&nested, b"{}").unwrap();
        std::os::unix::fs::symlink(&token, dir.path().join(format!(".l.json.{dead}.7.tmp"))).unwrap();
        let mut removed = remove_stale_temps_under(dir.path());
        removed.sort();
        let mut expected = vec![orphan, nested];
        expected.sort();
        assert_eq!(removed, expected);
        for p in [&live, &theirs, &token] {
            assert!(p.exists(), "{}", p.display());
        }
        assert!(dir.path().join(format!(".l.json.{dead}.7.tmp")).is_symlink(), "a link is nobody's temp file");
    }

    #[cfg(unix)]
    #[test]
    fn write_causes_name_what_the_user_can_fix() {
        let class = |errno| write_cause(&io::Error::from_raw_os_error(errno)).0;
        assert_eq!(class(libc::ENOSPC), "disk_full");
        assert_eq!(class(libc::EDQUOT), "disk_full");
        assert_eq!(class(libc::EROFS), "read_only");
        assert_eq!(class(libc::EACCES), "no_permission");
        assert_eq!(class(libc::EIO), "cache_write");
        assert!(write_cause(&io::Error::from_raw_os_error(libc::ENOSPC)).1.contains("disk is full"));
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
