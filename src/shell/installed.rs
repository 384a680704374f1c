//! What runs ssofresh automatically on this machine: a prompt hook in a shell's startup file,
//! or a timer (a systemd user timer, a LaunchAgent, a crontab line). `doctor` reports it;
//! `login` offers the one line that sets one up when there is none.

use crate::text::style::home_path;
use std::path::{Path, PathBuf};

/// Where the shells and systemd look for their files.
#[derive(Debug, Clone, Copy)]
pub struct Places<'a> {
    pub home: &'a Path,
    /// `ZDOTDIR`: where zsh reads `.zshrc`.
    pub zdotdir: Option<&'a str>,
    /// `XDG_CONFIG_HOME`: systemd user units, fish's configuration.
    pub xdg_config_home: Option<&'a str>,
}

impl Places<'_> {
    fn zdotdir(&self) -> PathBuf {
        self.zdotdir.map(PathBuf::from).unwrap_or_else(|| self.home.to_path_buf())
    }

    /// Like fish and systemd: `$XDG_CONFIG_HOME` when it is absolute, else `~/.config`.
    fn config_home(&self) -> PathBuf {
        self.xdg_config_home.map(PathBuf::from).filter(|p| p.is_absolute()).unwrap_or_else(|| self.home.join(".config"))
    }
}

/// What was found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Installed {
    /// What runs ssofresh, in words with `~` paths: `prompt hook in ~/.zshrc`.
    pub found: Vec<String>,
    /// systemd timers of ssofresh's that are installed but not enabled.
    pub disabled_timers: Vec<String>,
}

/// Looks in the startup files of zsh, bash, fish and PowerShell, systemd's user units,
/// LaunchAgents, (when `crontab` is true, which runs `crontab -l`) the crontab, and on Windows
/// Task Scheduler.
pub fn find(places: Places<'_>, crontab: bool) -> Installed {
    let home = places.home;
    let mut out = Installed::default();
    let config_home = places.config_home();
    let mut rc_files = vec![
        places.zdotdir().join(".zshrc"),
        home.join(".bashrc"),
        home.join(".bash_profile"),
        config_home.join("fish").join("config.fish"),
    ];
    if let Ok(entries) = std::fs::read_dir(config_home.join("fish").join("conf.d")) {
        let mut more: Vec<PathBuf> =
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "fish")).collect();
        more.sort();
        rc_files.extend(more);
    }
    // PowerShell's profiles for the current user: 7 and 5.1 on Windows (Documents, or OneDrive's
    // when it holds them), 7 elsewhere.
    let ps_dirs = if cfg!(windows) {
        let docs = [home.join("Documents"), home.join("OneDrive").join("Documents")];
        docs.iter().flat_map(|d| [d.join("PowerShell"), d.join("WindowsPowerShell")]).collect()
    } else {
        vec![config_home.join("powershell")]
    };
    for dir in ps_dirs {
        rc_files.extend(["Microsoft.PowerShell_profile.ps1", "profile.ps1"].map(|f| dir.join(f)));
    }
    for rc in rc_files {
        let Ok(text) = std::fs::read_to_string(&rc) else { continue };
        if text.lines().any(|l| !l.trim_start().starts_with('#') && l.contains("ssofresh init")) {
            out.found.push(format!("prompt hook in {}", home_path(&rc, home)));
        }
    }
    let systemd = config_home.join("systemd").join("user");
    for name in names_in(&systemd, ".timer") {
        // `systemctl --user enable` links the timer into timers.target.wants.
        if systemd.join("timers.target.wants").join(&name).exists() {
            out.found.push(format!("systemd user timer {}", home_path(&systemd.join(&name), home)));
        } else {
            out.disabled_timers.push(name);
        }
    }
    for name in names_in(&home.join("Library/LaunchAgents"), ".plist") {
        out.found.push(format!("LaunchAgent {}", home_path(&home.join("Library/LaunchAgents").join(name), home)));
    }
    if crontab {
        if let Ok(o) = std::process::Command::new("crontab")
            .arg("-l")
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
        {
            let text = String::from_utf8_lossy(&o.stdout);
            if o.status.success() && text.lines().any(|l| !l.trim_start().starts_with('#') && l.contains("ssofresh")) {
                out.found.push("crontab entry".into());
            }
        }
    }
    // Listed by name when it exists (Wine's schtasks answers every query with nothing).
    #[cfg(windows)]
    if std::process::Command::new("schtasks")
        .args(["/Query", "/TN", crate::shell::schedule::SCHTASKS_NAME, "/FO", "LIST"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .is_ok_and(|o| {
            o.status.success() && String::from_utf8_lossy(&o.stdout).contains(crate::shell::schedule::SCHTASKS_NAME)
        })
    {
        out.found.push(format!("scheduled task \\{}", crate::shell::schedule::SCHTASKS_NAME));
    }
    out
}

/// The one command that sets up a prompt hook for the user's shell (`$SHELL`), or, for a shell
/// ssofresh has no hook for, a timer.
pub fn setup_line(places: Places<'_>, shell: Option<&str>) -> String {
    let name = shell.map(|s| s.rsplit('/').next().unwrap_or(s)).unwrap_or("");
    let rc = |p: PathBuf| sh_path(&p, places.home);
    match name {
        "zsh" => format!("echo 'eval \"$(ssofresh init zsh)\"' >> {}", rc(places.zdotdir().join(".zshrc"))),
        "bash" => format!("echo 'eval \"$(ssofresh init bash)\"' >> {}", rc(places.home.join(".bashrc"))),
        "fish" => {
            format!("echo 'ssofresh init fish | source' >> {}", rc(places.config_home().join("fish/config.fish")))
        }
        _ if cfg!(target_os = "macos") => "ssofresh init launchd --install".into(),
        _ if cfg!(target_os = "linux") => "ssofresh init systemd --install".into(),
        _ => "(crontab -l 2>/dev/null; ssofresh init cron) | crontab -".into(),
    }
}

/// Files in `dir` whose name mentions ssofresh and ends with `suffix`, sorted.
fn names_in(dir: &Path, suffix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains("ssofresh") && n.ends_with(suffix))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A path as one POSIX shell word, `~/` for the home directory left unquoted so it expands.
fn sh_path(p: &Path, home: &Path) -> String {
    use crate::text::quote::{word, Dialect};
    match p.strip_prefix(home) {
        Ok(rest) if !home.as_os_str().is_empty() => format!("~/{}", word(Dialect::Posix, &rest.to_string_lossy())),
        _ => word(Dialect::Posix, &p.to_string_lossy()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_hooks_and_timers() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path();
        let places = Places { home, zdotdir: None, xdg_config_home: None };
        assert_eq!(find(places, false), Installed::default());
        std::fs::write(home.join(".bashrc"), "# eval \"$(ssofresh init bash)\"\n").unwrap();
        assert!(find(places, false).found.is_empty(), "a commented-out hook runs nothing");
        std::fs::write(home.join(".bashrc"), "eval \"$(ssofresh init bash)\"\n").unwrap();
        assert_eq!(find(places, false).found, [format!("prompt hook in ~{}.bashrc", std::path::MAIN_SEPARATOR)]);
        let units = home.join(".config").join("systemd").join("user");
        std::fs::create_dir_all(&units).unwrap();
        std::fs::write(units.join("ssofresh.timer"), "").unwrap();
        assert_eq!(find(places, false).disabled_timers, ["ssofresh.timer"]);
    }

    #[cfg(unix)]
    #[test]
    fn the_setup_line_for_the_users_shell() {
        let dir = tempfile::tempdir().unwrap();
        let places = Places { home: dir.path(), zdotdir: None, xdg_config_home: None };
        assert_eq!(setup_line(places, Some("/bin/zsh")), "echo 'eval \"$(ssofresh init zsh)\"' >> ~/.zshrc");
        assert_eq!(setup_line(places, Some("/usr/bin/bash")), "echo 'eval \"$(ssofresh init bash)\"' >> ~/.bashrc");
        assert_eq!(
            setup_line(places, Some("/usr/local/bin/fish")),
            "echo 'ssofresh init fish | source' >> ~/.config/fish/config.fish"
        );
        let zdot = Places { zdotdir: Some("/etc/zsh dir"), ..places };
        assert_eq!(setup_line(zdot, Some("zsh")), "echo 'eval \"$(ssofresh init zsh)\"' >> '/etc/zsh dir/.zshrc'");
        assert!(setup_line(places, Some("/bin/tcsh")).starts_with("ssofresh init"), "a timer for other shells");
    }
}
