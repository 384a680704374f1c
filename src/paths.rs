//! Where files live. Only HOME matters for the AWS cache (no SDK reads a variable for it).

use std::path::PathBuf;

fn home() -> PathBuf {
    dirs::home_dir().unwrap_or_else(|| PathBuf::from("."))
}

pub fn expand_tilde(p: &str) -> PathBuf {
    match p.strip_prefix("~/") {
        Some(rest) => home().join(rest),
        None if p == "~" => home(),
        None => PathBuf::from(p),
    }
}

/// `AWS_CONFIG_FILE` (with `~` expanded, as botocore does) or `~/.aws/config`.
pub fn aws_config_file() -> PathBuf {
    match std::env::var("AWS_CONFIG_FILE") {
        Ok(p) if !p.is_empty() => expand_tilde(&p),
        _ => home().join(".aws").join("config"),
    }
}

/// `~/.aws/sso/cache`, unless ssofresh was told otherwise.
pub fn sso_cache_dir(overridden: Option<&std::path::Path>) -> PathBuf {
    match overridden {
        Some(p) => expand_tilde(&p.to_string_lossy()),
        None => home().join(".aws").join("sso").join("cache"),
    }
}

/// ssofresh's own state (locks, back-off, rejected-token memo): `SSOFRESH_STATE_DIR`, else the
/// platform's state directory (`$XDG_STATE_HOME/ssofresh`, `~/.local/state/ssofresh`), else
/// the local data directory (macOS, Windows have no state directory).
pub fn state_dir() -> PathBuf {
    if let Ok(p) = std::env::var("SSOFRESH_STATE_DIR") {
        if !p.is_empty() {
            return expand_tilde(&p);
        }
    }
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .unwrap_or_else(|| home().join(".local").join("state"))
        .join("ssofresh")
}
