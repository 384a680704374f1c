//! Opening a URL in the user's browser: `$BROWSER` if set, else `open` (macOS), `xdg-open`
//! (Linux and BSDs), `cmd /c start` (Windows).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What the environment says about a browser, as the resolver found it.
#[derive(Debug, Clone, Default)]
pub struct BrowserEnv {
    /// `$BROWSER`, when set: commands to try, separated like PATH.
    pub browser: Option<String>,
    /// `DISPLAY` or `WAYLAND_DISPLAY` is set (non-empty).
    pub graphical: bool,
    /// `SSH_CONNECTION` or `SSH_TTY` is set (non-empty).
    pub over_ssh: bool,
}

impl BrowserEnv {
    /// Whether a browser window can appear in front of the user: `$BROWSER` is set, or there is
    /// a desktop (a graphical session on Linux; not over SSH on macOS and Windows).
    pub fn can_open(&self) -> bool {
        if self.browser.as_deref().is_some_and(|b| !b.is_empty()) {
            return true;
        }
        if cfg!(any(target_os = "macos", windows)) {
            !self.over_ssh
        } else {
            self.graphical
        }
    }
}

/// Starts the browser on `url`. `Ok` names what was started; `Err` says why nothing was.
pub fn open(url: &str, env: &BrowserEnv) -> Result<String, String> {
    // A URL from an endpoint goes into a command line: refuse anything but a plain http(s) URL.
    let plain = (url.starts_with("https://") || url.starts_with("http://"))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '\'');
    if !plain {
        return Err("the URL is not a plain http(s) URL".into());
    }
    if let Some(list) = &env.browser {
        let sep = if cfg!(windows) { ';' } else { ':' };
        let mut last = String::from("BROWSER is empty");
        for entry in list.split(sep).map(str::trim).filter(|e| !e.is_empty()) {
            let mut words = entry.split_whitespace();
            let Some(program) = words.next() else { continue };
            let mut args: Vec<String> = words.map(str::to_string).collect();
            // The `%s` convention of BROWSER; without it the URL goes last.
            if args.iter().any(|a| a.contains("%s")) {
                args = args.iter().map(|a| a.replace("%s", url)).collect();
            } else {
                args.push(url.to_string());
            }
            let mut c = Command::new(program);
            c.args(&args);
            match start(c) {
                Ok(()) => return Ok(program.to_string()),
                Err(e) => last = format!("{program}: {e}"),
            }
        }
        if !list.trim().is_empty() {
            return Err(last);
        }
    }
    let c = system_opener(url);
    let name = format!("{:?}", c.get_program());
    start(c).map(|()| name.trim_matches('"').to_string()).map_err(|e| e.to_string())
}

#[cfg(target_os = "macos")]
fn system_opener(url: &str) -> Command {
    let mut c = Command::new("open");
    c.arg(url);
    c
}

#[cfg(windows)]
fn system_opener(url: &str) -> Command {
    use std::os::windows::process::CommandExt;
    let mut c = Command::new("cmd");
    // Quoted so that cmd does not read the query's `&` as a command separator; the empty
    // title keeps `start` from taking the URL for one.
    c.raw_arg(format!("/c start \"\" \"{url}\""));
    c
}

#[cfg(not(any(target_os = "macos", windows)))]
fn system_opener(url: &str) -> Command {
    let mut c = Command::new("xdg-open");
    c.arg(url);
    c
}

/// Spawns detached from our output (a browser that keeps running must not hold our stdout
/// open), and reports a launcher that fails at once (`xdg-open` with no browser configured).
fn start(mut c: Command) -> Result<(), String> {
    let mut child = c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            "not found".to_string()
        } else {
            e.to_string()
        }
    })?;
    let deadline = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < deadline {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("exited with {status}")),
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(e.to_string()),
        }
    }
    // Still running: a browser started in the foreground. It is on its way.
    Ok(())
}
