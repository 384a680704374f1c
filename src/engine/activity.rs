//! The activity log: one JSON line per refresh attempt, detected login or notification, in the
//! platform's state (or logs) directory, rotated by size. Tokens never reach it.
//!
//! Concurrency: many short-lived processes append at once (prompt hooks in several shells, a
//! timer). Every append takes an exclusive `flock` on a lock file beside the log, checks the
//! size, rotates if the line would not fit, and writes the line with one `write` on an
//! `O_APPEND` descriptor. Because the size check, the rotation and the write happen under one
//! lock, two processes can never both rotate the same full file (nothing is shifted twice, so
//! nothing is pushed out early or duplicated), and no process can hold a descriptor to a file
//! that is being deleted (nothing is written into an unlinked file and lost). The lock is held
//! for microseconds; if it cannot be had within a short wait (a stopped process holds it), the
//! line is appended without rotating rather than dropped.

use crate::sys::lock::{self, Pauses, Wait};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    pub time: String,
    /// `refresh`, `login_detected`, `notification`, …
    pub event: String,
    pub session: String,
    /// For `refresh`: `ok`, `transient`, `relogin`, `broken`, `superseded`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    pub pid: u32,
}

impl Entry {
    pub fn new(event: &str, session: &str, time: chrono::DateTime<chrono::Utc>) -> Entry {
        Entry {
            time: crate::text::timefmt::format(time),
            event: event.into(),
            session: session.into(),
            pid: std::process::id(),
            ..Default::default()
        }
    }
}

impl Entry {
    /// What happened, in words, without the time and session (the caller shows those);
    /// `detailed` adds the message, attempts and duration.
    pub(crate) fn summary(&self, now: chrono::DateTime<chrono::Utc>, detailed: bool) -> String {
        let until = |e: &Option<String>| {
            e.as_deref()
                .and_then(crate::text::timefmt::parse)
                .map(|t| format!(", valid until {}", crate::text::style::clock(t, now)))
                .unwrap_or_default()
        };
        let class = self.error_class.as_deref().map(|c| format!(" ({c})")).unwrap_or_default();
        let message = match &self.message {
            Some(m) if detailed => format!(": {}", crate::sys::secret::one_line(m, MAX_MESSAGE)),
            _ => String::new(),
        };
        let tries = match self.attempts {
            Some(a) if a > 1 && !detailed => format!(" after {a} attempts"),
            _ => String::new(),
        };
        let mut s = match (self.event.as_str(), self.outcome.as_deref()) {
            ("refresh", Some("ok")) => format!("refreshed{tries}{}", until(&self.expires_at)),
            ("refresh", Some("relogin")) => format!("refresh rejected{class}, re-login required{message}"),
            ("refresh", Some("transient")) => format!("refresh failed{class}{tries}{message}"),
            ("refresh", Some("superseded")) => "refresh superseded by a new login".to_string(),
            ("refresh", _) => format!("refresh failed{message}"),
            ("login_detected", _) => format!("new login detected{}", until(&self.expires_at)),
            (event, outcome) => {
                let outcome = outcome.map(|o| format!(" {o}")).unwrap_or_default();
                format!("{}{outcome}{class}{message}", crate::sys::secret::one_line(event, 40))
            }
        };
        if self.event == "refresh" && detailed {
            let parts: Vec<String> = [
                self.attempts.filter(|a| *a > 1).map(|a| format!("{a} attempts")),
                self.duration_ms.map(|d| format!("{d} ms")),
            ]
            .into_iter()
            .flatten()
            .collect();
            if !parts.is_empty() {
                s += &format!(" ({})", parts.join(", "));
            }
        }
        s
    }
}

/// Longest `message` kept: a line stays one small write, whatever an endpoint sent.
const MAX_MESSAGE: usize = 500;

/// How big the log may grow and how many files are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Rotate before a line would take the current file past this many bytes; 0 never rotates.
    pub max_size: u64,
    /// Files kept in all, the current one included (`activity.log`, `.1` … `.{n-1}`); at least 1.
    pub max_files: u32,
}

/// The log this process appends to, with its limits (both resolved from the command line).
#[derive(Debug, Clone)]
pub(crate) struct ActivityLog {
    pub path: PathBuf,
    pub limits: Limits,
}

impl ActivityLog {
    /// Appends one line. Best effort: the log never fails a refresh.
    pub(crate) fn append(&self, entry: &Entry) {
        if let Err(e) = append_with(&self.path, entry, self.limits) {
            log::debug!("cannot append to {}: {e}", self.path.display());
        }
    }
}

/// `activity.log.N`: the N-th older file (N ≥ 1).
pub(crate) fn rotated_path(path: &Path, n: u32) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{n}"));
    path.with_file_name(name)
}

/// The lock every writer takes; hidden, so a glob for `activity.log*` finds only log files.
pub(crate) fn lock_path(path: &Path) -> PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(".lock");
    path.with_file_name(name)
}

/// The log files that exist, newest first: the current file, then `.1`, `.2` … up to the first
/// gap.
pub(crate) fn files(path: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if path.exists() {
        out.push(path.to_path_buf());
    }
    for n in 1..10_000 {
        let p = rotated_path(path, n);
        if !p.exists() {
            break;
        }
        out.push(p);
    }
    out
}

/// How long a writer waits for the lock before appending without it.
const LOCK_WAIT: Duration = Duration::from_secs(2);

pub fn append_with(path: &Path, entry: &Entry, limits: Limits) -> io::Result<()> {
    append_waiting(path, entry, limits, LOCK_WAIT)
}

/// `append_with`, waiting up to `wait` for the writers' lock before appending without it.
pub fn append_waiting(path: &Path, entry: &Entry, limits: Limits, wait: Duration) -> io::Result<()> {
    let mut entry = entry.clone();
    if let Some(m) = &entry.message {
        entry.message = Some(crate::sys::secret::one_line(m, MAX_MESSAGE));
    }
    let mut line = serde_json::to_vec(&entry).map_err(io::Error::other)?;
    line.push(b'\n');
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::sys::fs::create_private_dir(dir)?;
    }
    let lock = lock::wait(&lock_path(path), wait, WRITER_PAUSES);
    let may_rotate = match &lock {
        Wait::Held(_) => true,
        // Another writer is stuck holding it: rotating now could race that writer.
        Wait::Busy => {
            log::debug!("{}: lock busy; appending without rotation", path.display());
            false
        }
        // No locks on this file system: rotate unguarded rather than grow without bound.
        Wait::Failed(_) => true,
    };
    let mut file = open_append(path)?;
    if may_rotate && limits.max_size > 0 {
        let size = file.metadata()?.len();
        if size > 0 && size + line.len() as u64 > limits.max_size {
            drop(file);
            rotate(path, limits.max_files.max(1))?;
            file = open_append(path)?;
        }
    }
    // One write of the whole line: O_APPEND makes it land after every other process's line.
    file.write_all(&line)
}

/// A symlink planted at the log's path is refused rather than written through.
fn open_append(path: &Path) -> io::Result<File> {
    crate::sys::fs::private_options().append(true).create(true).open(path)
}

/// Shifts `.k` to `.k+1`, the current file to `.1`, and drops what falls off the end (and any
/// older files left by a larger `max_files` before). Called with the lock held.
fn rotate(path: &Path, max_files: u32) -> io::Result<()> {
    // Backups kept: `.1` ..= `.{backups}`; the existing ones are `.1` ..= `.{last}`.
    let backups = max_files.max(1) - 1;
    let mut last = 0;
    while last < 100_000 && rotated_path(path, last + 1).exists() {
        last += 1;
    }
    // What would be shifted past the last slot falls off (and anything a larger setting left).
    for k in (backups.max(1)..=last).rev() {
        remove_if_exists(&rotated_path(path, k))?;
    }
    if backups == 0 {
        return remove_if_exists(path);
    }
    for n in (1..=last.min(backups - 1)).rev() {
        rename_if_exists(&rotated_path(path, n), &rotated_path(path, n + 1))?;
    }
    rename_if_exists(path, &rotated_path(path, 1))
}

fn remove_if_exists(p: &Path) -> io::Result<()> {
    match std::fs::remove_file(p) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn rename_if_exists(from: &Path, to: &Path) -> io::Result<()> {
    match std::fs::rename(from, to) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Short pauses for the writers' lock: it is held for microseconds, and long sleeps starve a
/// waiter.
const WRITER_PAUSES: Pauses = Pauses { first: Duration::from_micros(50), most: Duration::from_millis(1) };

/// The last `want` lines (oldest first) across the current and rotated files that `keep`
/// accepts, reading backwards and at most `budget` bytes in all (status must stay fast on a
/// big log). `first_len` caps how much of the current file is read (for `--follow`, which
/// continues from there).
pub(crate) fn tail(
    path: &Path,
    want: usize,
    budget: u64,
    first_len: Option<u64>,
    mut keep: impl FnMut(&[u8]) -> bool,
) -> Vec<Vec<u8>> {
    let mut newest_first: Vec<Vec<u8>> = Vec::new();
    let mut budget = budget;
    for (i, file) in files(path).iter().enumerate() {
        if newest_first.len() >= want || budget == 0 {
            break;
        }
        let cap = if i == 0 { first_len } else { None };
        match tail_file(file, want - newest_first.len(), &mut budget, cap, &mut keep) {
            Ok(mut lines) => newest_first.append(&mut lines),
            Err(e) => log::debug!("cannot read {}: {e}", file.display()),
        }
    }
    newest_first.reverse();
    newest_first
}

const CHUNK: u64 = 64 * 1024;

/// Lines of one file, newest first.
fn tail_file(
    path: &Path,
    want: usize,
    budget: &mut u64,
    cap: Option<u64>,
    keep: &mut impl FnMut(&[u8]) -> bool,
) -> io::Result<Vec<Vec<u8>>> {
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    let mut pos = cap.map_or(len, |c| c.min(len));
    let mut out = Vec::new();
    // Bytes from `pos` to the end of what has been read, not yet split into lines.
    let mut rest: Vec<u8> = Vec::new();
    let mut first_chunk = true;
    while pos > 0 && out.len() < want && *budget > 0 {
        let size = CHUNK.min(pos).min(*budget);
        let start = pos - size;
        let mut buf = vec![0u8; size as usize];
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(&mut buf)?;
        *budget -= size;
        buf.extend_from_slice(&rest);
        if first_chunk && buf.last() == Some(&b'\n') {
            buf.pop();
        }
        first_chunk = false;
        pos = start;
        // Everything after the first newline is whole lines; before it, a line that may begin
        // in the previous chunk (unless this chunk starts the file).
        let mut end = buf.len();
        while let Some(nl) = buf[..end].iter().rposition(|&b| b == b'\n') {
            let line = &buf[nl + 1..end];
            if !line.is_empty() && keep(line) {
                out.push(line.to_vec());
                if out.len() >= want {
                    return Ok(out);
                }
            }
            end = nl;
        }
        buf.truncate(end);
        rest = buf;
    }
    if pos == 0 && !rest.is_empty() && out.len() < want && keep(&rest) {
        out.push(rest);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn entry(i: usize) -> Entry {
        let mut e = Entry::new("refresh", "corp", chrono::Utc::now());
        e.message = Some(format!("line {i}"));
        e
    }

    fn all_lines(path: &Path) -> Vec<String> {
        let mut v = Vec::new();
        for f in files(path).iter().rev() {
            v.extend(std::fs::read_to_string(f).unwrap().lines().map(String::from));
        }
        v
    }

    #[test]
    fn rotates_by_size_and_keeps_max_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/activity.log");
        let limits = Limits { max_size: 400, max_files: 3 };
        for i in 0..100 {
            append_with(&path, &entry(i), limits).unwrap();
        }
        let names = files(&path);
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(!rotated_path(&path, 3).exists());
        for f in &names {
            let len = std::fs::metadata(f).unwrap().len();
            assert!(len <= 400, "{} is {len} bytes", f.display());
        }
        let lines = all_lines(&path);
        let last: Entry = serde_json::from_str(lines.last().unwrap()).unwrap();
        assert_eq!(last.message.as_deref(), Some("line 99"));
        // Contiguous: the newest lines survive, in order.
        let numbers: Vec<usize> = lines
            .iter()
            .map(|l| serde_json::from_str::<Entry>(l).unwrap().message.unwrap()[5..].parse().unwrap())
            .collect();
        assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1), "{numbers:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in &names {
                assert_eq!(std::fs::metadata(f).unwrap().permissions().mode() & 0o777, 0o600);
            }
            assert_eq!(std::fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        }
    }

    #[test]
    fn one_file_means_start_over_and_zero_never_rotates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        for i in 0..50 {
            append_with(&path, &entry(i), Limits { max_size: 300, max_files: 1 }).unwrap();
        }
        assert_eq!(files(&path).len(), 1);
        assert!(std::fs::metadata(&path).unwrap().len() <= 300);
        let path = dir.path().join("b.log");
        for i in 0..50 {
            append_with(&path, &entry(i), Limits { max_size: 0, max_files: 2 }).unwrap();
        }
        assert_eq!(files(&path).len(), 1);
        assert_eq!(all_lines(&path).len(), 50);
    }

    #[test]
    fn fewer_files_than_before_drops_the_extra_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        for i in 0..100 {
            append_with(&path, &entry(i), Limits { max_size: 300, max_files: 6 }).unwrap();
        }
        assert_eq!(files(&path).len(), 6);
        for i in 0..10 {
            append_with(&path, &entry(i), Limits { max_size: 300, max_files: 2 }).unwrap();
        }
        assert_eq!(files(&path).len(), 2);
        assert!(!rotated_path(&path, 2).exists() && !rotated_path(&path, 5).exists());
    }

    #[test]
    fn a_line_bigger_than_the_limit_is_still_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let mut e = entry(0);
        e.message = Some("x".repeat(2000));
        append_with(&path, &e, Limits { max_size: 100, max_files: 2 }).unwrap();
        append_with(&path, &e, Limits { max_size: 100, max_files: 2 }).unwrap();
        let lines = all_lines(&path);
        assert_eq!(lines.len(), 2);
        let back: Entry = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(back.message.unwrap().chars().count(), MAX_MESSAGE + 1, "capped, with an ellipsis");
    }

    #[test]
    fn tail_reads_backwards_across_files_and_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        for i in 0..3000 {
            append_with(&path, &entry(i), Limits { max_size: 100_000, max_files: 5 }).unwrap();
        }
        assert!(files(&path).len() >= 2);
        let msg = |l: &Vec<u8>| serde_json::from_slice::<Entry>(l).unwrap().message.unwrap();
        let last = tail(&path, 1200, u64::MAX, None, |_| true);
        assert_eq!(last.len(), 1200);
        assert_eq!(msg(&last[0]), "line 1800");
        assert_eq!(msg(&last[1199]), "line 2999");
        let even = tail(&path, 5, u64::MAX, None, |l| {
            serde_json::from_slice::<Entry>(l).unwrap().message.unwrap().ends_with('0')
        });
        let got: Vec<String> = even.iter().map(msg).collect();
        assert_eq!(got, ["line 2950", "line 2960", "line 2970", "line 2980", "line 2990"]);
        // The budget bounds the bytes read.
        assert!(tail(&path, 1000, 1000, None, |_| true).len() < 20);
        assert!(tail(&dir.path().join("none.log"), 10, u64::MAX, None, |_| true).is_empty());
    }

    /// Threads open the log independently, so their `flock`s contend like processes do.
    #[test]
    fn concurrent_writers_lose_and_duplicate_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let limits = Limits { max_size: 2000, max_files: 10_000 };
        let (threads, per_thread) = (16, 150);
        std::thread::scope(|s| {
            for t in 0..threads {
                let path = &path;
                s.spawn(move || {
                    for i in 0..per_thread {
                        let mut e = Entry::new("refresh", &format!("s{t}"), chrono::Utc::now());
                        e.message = Some(format!("{t}/{i}"));
                        // Every append under the lock, however slow the machine (Wine takes
                        // ~30 ms an append here): giving up the wait (appending without
                        // rotating) is a_stuck_lock_holder_delays_but_never_drops_a_line's case.
                        append_waiting(path, &e, limits, Duration::from_secs(600)).unwrap();
                    }
                });
            }
        });
        let names = files(&path);
        let mut seen = std::collections::HashSet::new();
        for (k, f) in names.iter().enumerate() {
            let text = std::fs::read_to_string(f).unwrap();
            assert!(text.len() as u64 <= limits.max_size, "{} has {} bytes", f.display(), text.len());
            // A file was rotated only because the next line (the first of the newer file) did
            // not fit: so no file was rotated early, and none twice.
            if k > 0 {
                let newer = std::fs::read_to_string(&names[k - 1]).unwrap();
                let next = newer.lines().next().unwrap().len() + 1;
                assert!(text.len() + next > limits.max_size as usize, "{} rotated early", f.display());
            }
            for line in text.lines() {
                let e: Entry = serde_json::from_str(line).expect("every line is whole JSON");
                assert!(seen.insert(e.message.unwrap()), "duplicated line");
            }
        }
        assert_eq!(seen.len(), threads * per_thread, "lines lost");
    }

    #[test]
    fn a_stuck_lock_holder_delays_but_never_drops_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let limits = Limits { max_size: 300, max_files: 3 };
        for i in 0..3 {
            append_with(&path, &entry(i), limits).unwrap();
        }
        let held = match lock::wait(&lock_path(&path), Duration::ZERO, WRITER_PAUSES) {
            Wait::Held(l) => l,
            _ => panic!("lock not taken"),
        };
        let started = Instant::now();
        append_waiting(&path, &entry(3), limits, Duration::from_millis(200)).unwrap();
        assert!(started.elapsed() >= Duration::from_millis(200));
        assert_eq!(files(&path).len(), 1, "no rotation without the lock");
        assert_eq!(all_lines(&path).len(), 4);
        drop(held);
        append_with(&path, &entry(4), limits).unwrap();
        assert_eq!(files(&path).len(), 2, "rotates again once the lock is free");
    }

    #[test]
    fn tail_of_a_file_without_final_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, b"one\ntwo\n\nthree").unwrap();
        let got = tail(&path, 10, u64::MAX, None, |_| true);
        assert_eq!(got, [b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]);
        assert_eq!(tail(&path, 10, u64::MAX, Some(8), |_| true), [b"one".to_vec(), b"two".to_vec()]);
    }
}
