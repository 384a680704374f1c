//! Where files live. Only HOME matters for the AWS cache (no SDK reads a variable for it).

use std::path::PathBuf;

fn home() -> PathBuf {
    dirs::home_dir().unwrap_or_else(|| PathBuf::from("."))
}

/// `~` and `~/…` (also `~\\…` on Windows, as Python's `expanduser` takes it) under HOME.
pub fn expand_tilde(p: &str) -> PathBuf {
    match p.strip_prefix('~') {
        Some("") => home(),
        Some(rest) if rest.starts_with(std::path::is_separator) => home().join(&rest[1..]),
        _ => PathBuf::from(p),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilde_means_home_only_before_a_separator() {
        assert_eq!(expand_tilde("~"), home());
        assert_eq!(expand_tilde("~/a/b"), home().join("a/b"));
        assert_eq!(expand_tilde("~user/x"), PathBuf::from("~user/x"));
        assert_eq!(expand_tilde("/abs/~/x"), PathBuf::from("/abs/~/x"));
        #[cfg(windows)]
        assert_eq!(expand_tilde(r"~\a"), home().join("a"));
    }
}
