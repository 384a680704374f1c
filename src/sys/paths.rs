//! Where files live, resolved once per invocation from what the user set and the platform's
//! directories. `~` means HOME in every path the user sets, as in botocore's `expanduser`. Only
//! HOME matters for the AWS caches: no SDK reads a variable for them.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// Every place ssofresh reads or writes.
#[derive(Debug, Clone)]
pub struct Paths {
    pub home: PathBuf,
    /// The AWS config file (`~/.aws/config`).
    pub config_file: PathBuf,
    /// The SSO token cache (`~/.aws/sso/cache`).
    pub cache_dir: PathBuf,
    /// ssofresh's own state: locks, back-off, rejected-token memo, hints.
    pub state_dir: PathBuf,
    /// The activity log.
    pub log_file: PathBuf,
    pub given: Given,
}

/// Which paths the user set (by flag or variable) rather than leaving them to the defaults:
/// `init` passes on only those.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Given {
    pub config_file: bool,
    pub cache_dir: bool,
    pub state_dir: bool,
    pub log_file: bool,
}

/// The paths the user set, as typed (before `~` is expanded).
#[derive(Debug, Clone, Copy, Default)]
pub struct Requested<'a> {
    pub config_file: Option<&'a Path>,
    pub cache_dir: Option<&'a Path>,
    pub state_dir: Option<&'a Path>,
    pub log_file: Option<&'a Path>,
}

impl Paths {
    /// Fills what the user did not set with the defaults under `home`; `platform_state_dir` (the
    /// platform's state directory, else its local data directory, given `home`) is asked only
    /// when needed.
    pub fn resolve(req: Requested, home: PathBuf, platform_state_dir: impl FnOnce(&Path) -> Option<PathBuf>) -> Paths {
        let expand = |p: &Path| expand_tilde(p, &home);
        let config_file = req.config_file.map(expand).unwrap_or_else(|| home.join(".aws").join("config"));
        let cache_dir = req.cache_dir.map(expand).unwrap_or_else(|| home.join(".aws").join("sso").join("cache"));
        let state_dir = match req.state_dir {
            Some(p) => expand(p),
            None => platform_state_dir(&home).unwrap_or_else(|| home.join(".local").join("state")).join("ssofresh"),
        };
        // A state directory the user chose keeps the log too; macOS keeps logs apart by default.
        let log_file = match (req.log_file, req.state_dir) {
            (Some(p), _) => expand(p),
            (None, None) if cfg!(target_os = "macos") => home.join("Library/Logs/ssofresh/activity.log"),
            (None, _) => state_dir.join("activity.log"),
        };
        let given = Given {
            config_file: req.config_file.is_some(),
            cache_dir: req.cache_dir.is_some(),
            state_dir: req.state_dir.is_some(),
            log_file: req.log_file.is_some(),
        };
        Paths { home, config_file, cache_dir, state_dir, log_file, given }
    }

    /// The AWS CLI v2's role-credential cache (`~/.aws/cli/cache`), for the commands that use it.
    pub fn role_cache_dir(&self) -> PathBuf {
        self.home.join(".aws").join("cli").join("cache")
    }
}

/// The XDG state directory: `$XDG_STATE_HOME` if it is an absolute path (the XDG spec has
/// relative ones ignored), else `~/.local/state`.
pub fn xdg_state_home(var: Option<OsString>, home: &Path) -> PathBuf {
    match var.map(PathBuf::from) {
        Some(p) if p.is_absolute() => p,
        _ => home.join(".local").join("state"),
    }
}

/// `~` and `~/…` (also `~\…` on Windows, as Python's `expanduser` takes it) under `home`.
pub fn expand_tilde(p: &Path, home: &Path) -> PathBuf {
    let mut parts = p.components();
    match parts.next() {
        Some(Component::Normal(first)) if first == "~" => match parts.as_path() {
            rest if rest.as_os_str().is_empty() => home.to_path_buf(),
            rest => home.join(rest),
        },
        _ => p.to_path_buf(),
    }
}

/// `p` without the `\\?\` prefix Windows' `canonicalize` puts before a drive (`\\?\C:\…`) or
/// share (`\\?\UNC\server\share\…`): the form people type, and the one other programs (cmd,
/// PowerShell, Task Scheduler) take. Elsewhere, and for other verbatim paths, `p` itself.
pub fn plain(p: PathBuf) -> PathBuf {
    if cfg!(windows) {
        if let Some(s) = p.to_str().and_then(strip_verbatim) {
            return PathBuf::from(s);
        }
    }
    p
}

fn strip_verbatim(s: &str) -> Option<String> {
    if let Some(share) = s.strip_prefix(r"\\?\UNC\") {
        return Some(format!(r"\\{share}"));
    }
    let rest = s.strip_prefix(r"\\?\")?;
    let b = rest.as_bytes();
    let drive = b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\';
    drive.then(|| rest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilde_means_home_only_before_a_separator() {
        let home = Path::new("/home/u");
        let x = |p: &str| expand_tilde(Path::new(p), home);
        assert_eq!(x("~"), home);
        assert_eq!(x("~/a/b"), home.join("a/b"));
        assert_eq!(x("~user/x"), PathBuf::from("~user/x"));
        assert_eq!(x("/abs/~/x"), PathBuf::from("/abs/~/x"));
        assert_eq!(x("rel/x"), PathBuf::from("rel/x"));
        #[cfg(windows)]
        assert_eq!(x(r"~\a"), home.join("a"));
    }

    #[test]
    fn verbatim_prefixes_come_off_drives_and_shares_only() {
        assert_eq!(strip_verbatim(r"\\?\C:\Users\me\ssofresh.exe").as_deref(), Some(r"C:\Users\me\ssofresh.exe"));
        assert_eq!(strip_verbatim(r"\\?\UNC\srv\share\x.exe").as_deref(), Some(r"\\srv\share\x.exe"));
        assert_eq!(strip_verbatim(r"\\?\Volume{1234}\x.exe"), None, "no drive to name it by");
        assert_eq!(strip_verbatim(r"C:\x.exe"), None);
        assert_eq!(strip_verbatim("/usr/bin/x"), None);
        if cfg!(windows) {
            assert_eq!(plain(PathBuf::from(r"\\?\D:\a")), PathBuf::from(r"D:\a"));
        } else {
            assert_eq!(plain(PathBuf::from(r"\\?\D:\a")), PathBuf::from(r"\\?\D:\a"), "a plain name on Unix");
        }
    }

    #[test]
    fn defaults_and_expansion() {
        let home = PathBuf::from("/home/u");
        let p = Paths::resolve(Requested::default(), home.clone(), |_| Some(home.join(".local/state")));
        assert_eq!(p.config_file, home.join(".aws/config"));
        assert_eq!(p.cache_dir, home.join(".aws/sso/cache"));
        assert_eq!(p.state_dir, home.join(".local/state/ssofresh"));
        assert_eq!(p.role_cache_dir(), home.join(".aws/cli/cache"));
        assert_eq!(p.given, Given::default());
        if !cfg!(target_os = "macos") {
            assert_eq!(p.log_file, home.join(".local/state/ssofresh/activity.log"));
        }
        // Every path the user sets gets `~` expanded, the state directory included; the log
        // follows a chosen state directory.
        let req = Requested {
            config_file: Some(Path::new("~/cfg")),
            cache_dir: Some(Path::new("~/cache")),
            state_dir: Some(Path::new("~/state")),
            log_file: None,
        };
        let p = Paths::resolve(req, home.clone(), |_| panic!("not needed"));
        assert_eq!((p.config_file, p.cache_dir), (home.join("cfg"), home.join("cache")));
        assert_eq!((p.state_dir, p.log_file), (home.join("state"), home.join("state/activity.log")));
        assert!(p.given.config_file && p.given.cache_dir && p.given.state_dir && !p.given.log_file);
        let req = Requested { log_file: Some(Path::new("~/a.log")), ..Requested::default() };
        assert_eq!(Paths::resolve(req, home.clone(), |_| None).log_file, home.join("a.log"));
        assert_eq!(
            Paths::resolve(Requested::default(), home.clone(), |_| None).state_dir,
            home.join(".local/state/ssofresh")
        );
    }

    #[test]
    fn xdg_state_home_only_when_absolute() {
        let home = Path::new("/home/u");
        let x = |v: Option<&str>| xdg_state_home(v.map(OsString::from), home);
        assert_eq!(x(None), home.join(".local/state"));
        // An absolute path in the platform's terms (`/var/state` has no drive on Windows).
        let absolute = if cfg!(windows) { r"C:\state" } else { "/var/state" };
        assert_eq!(x(Some(absolute)), PathBuf::from(absolute));
        assert_eq!(x(Some("rel/state")), home.join(".local/state"));
        assert_eq!(x(Some("")), home.join(".local/state"));
    }

    /// The platform's default, handed the HOME that was found, is what the state directory
    /// defaults to.
    #[test]
    fn the_platform_default_gets_home() {
        let home = PathBuf::from("/home/u");
        let p = Paths::resolve(Requested::default(), home.clone(), |h| Some(h.join("st")));
        assert_eq!(p.state_dir, home.join("st/ssofresh"));
    }
}
