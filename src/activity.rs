//! The activity log: one JSON line per refresh attempt, detected login or notification, in the
//! platform's state (or logs) directory. Tokens never reach it.

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    pub time: String,
    /// `refresh`, `login_detected`, `notification`, …
    pub event: String,
    pub session: String,
    /// For `refresh`: `ok`, `transient`, `relogin`, `broken`.
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
    pub fn new(event: &str, session: &str) -> Entry {
        Entry {
            time: crate::timefmt::format(chrono::Utc::now()),
            event: event.into(),
            session: session.into(),
            pid: std::process::id(),
            ..Default::default()
        }
    }
}

/// `SSOFRESH_LOG_FILE`, else `~/Library/Logs/ssofresh/activity.log` on macOS, else
/// `activity.log` in the state directory.
pub fn default_path(state_dir: &Path) -> PathBuf {
    if let Ok(p) = std::env::var("SSOFRESH_LOG_FILE") {
        if !p.is_empty() {
            return PathBuf::from(p);
        }
    }
    #[cfg(target_os = "macos")]
    if std::env::var_os("SSOFRESH_STATE_DIR").is_none() {
        if let Some(home) = dirs::home_dir() {
            return home.join("Library/Logs/ssofresh/activity.log");
        }
    }
    state_dir.join("activity.log")
}

/// Appends one line with a single `write` on an `O_APPEND` file, so lines of concurrent
/// processes never interleave. Best effort: the log never fails a refresh.
pub fn append(path: &Path, entry: &Entry) {
    let mut line = match serde_json::to_vec(entry) {
        Ok(l) => l,
        Err(_) => return,
    };
    line.push(b'\n');
    let result = (|| {
        if let Some(dir) = path.parent() {
            crate::cache::create_private_dir(dir)?;
        }
        let mut o = std::fs::OpenOptions::new();
        o.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        o.open(path)?.write_all(&line)
    })();
    if let Err(e) = result {
        log::debug!("cannot append to {}: {e}", path.display());
    }
}
