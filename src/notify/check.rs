//! Whether the configured backend can deliver here, judged without sending anything (`doctor`;
//! `notify --test` says the same when a sample fails): the desktop backend needs its helper
//! binary and, on Linux and the BSDs, a D-Bus session bus; the command backend needs `sh` (on
//! Windows `cmd`).

use super::{desktop, Backend, Settings};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// What the backends look for, from the environment (`cli::resolve::notify_reach`): where the
/// session bus is, and PATH.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reach {
    /// `DBUS_SESSION_BUS_ADDRESS`.
    pub dbus_address: Option<String>,
    /// `XDG_RUNTIME_DIR`, where the session bus is when the address is not set.
    pub runtime_dir: Option<PathBuf>,
    /// `PATH`, to find `sh` and the helper.
    pub path: Option<OsString>,
}

/// Why the backend cannot deliver, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unusable {
    pub why: String,
    pub fix: String,
}

/// What runs a notify command (`notify::command`): `sh -c`, or on Windows `cmd /c`.
#[cfg(not(windows))]
const SHELL: &str = "sh";
#[cfg(windows)]
const SHELL: &str = "cmd.exe";
#[cfg(not(windows))]
const SHELL_FIX: &str = "put /bin on PATH for ssofresh (or its timer)";
#[cfg(windows)]
const SHELL_FIX: &str = "put %SystemRoot%\\System32 on PATH for ssofresh (or its task)";

/// How the backend will deliver (`Ok`, in words), or why it cannot.
pub(crate) fn check(settings: &Settings, reach: &Reach) -> Result<String, Unusable> {
    match settings.backend {
        Backend::None => Ok("off".into()),
        Backend::Command => match find_on_path(SHELL, reach.path.as_deref()) {
            Some(sh) => Ok(format!("run through {}", sh.display())),
            None => Err(Unusable {
                why: format!("the notify command runs through {SHELL}, which is not on PATH"),
                fix: SHELL_FIX.into(),
            }),
        },
        Backend::Desktop => {
            let helper = desktop::helper_path();
            let found = if helper.is_absolute() {
                helper.is_file().then_some(helper)
            } else {
                find_on_path(&helper.to_string_lossy(), reach.path.as_deref())
            };
            let Some(helper) = found else {
                return Err(Unusable {
                    why: format!("the desktop notifier {} is missing (it belongs beside ssofresh)", desktop::HELPER),
                    fix:
                        "reinstall ssofresh (cargo install puts both binaries in place), or use SSOFRESH_NOTIFY_COMMAND"
                            .into(),
                });
            };
            if cfg!(any(target_os = "macos", windows)) {
                return Ok(format!("through {}", helper.display()));
            }
            session_bus(reach).map(|bus| format!("through {} and the session bus at {bus}", helper.display()))
        }
    }
}

/// The D-Bus session bus as zbus finds it: `DBUS_SESSION_BUS_ADDRESS`, else
/// `$XDG_RUNTIME_DIR/bus` (else `/run/user/<uid>/bus`). An address naming a socket file that
/// is not there counts as none.
fn session_bus(reach: &Reach) -> Result<String, Unusable> {
    let none = |why: String| Unusable {
        why,
        fix: "desktop notifications need a desktop session (not an SSH login or a headless machine): \
              use SSOFRESH_NOTIFY_COMMAND for your own command, or SSOFRESH_NOTIFY=none"
            .into(),
    };
    if let Some(address) = reach.dbus_address.as_deref().filter(|a| !a.trim().is_empty()) {
        let socket =
            address.split(';').find_map(|a| a.strip_prefix("unix:path=")).map(|p| p.split(',').next().unwrap_or(p));
        return match socket {
            Some(p) if !Path::new(p).exists() => {
                Err(none(format!("DBUS_SESSION_BUS_ADDRESS names {p}, which does not exist: no desktop session bus")))
            }
            _ => Ok(address.to_string()),
        };
    }
    let dir = reach.runtime_dir.clone().unwrap_or_else(|| PathBuf::from(format!("/run/user/{}", uid())));
    let bus = dir.join("bus");
    if bus.exists() {
        return Ok(bus.display().to_string());
    }
    Err(none(format!(
        "no desktop session bus: DBUS_SESSION_BUS_ADDRESS is not set and {} does not exist",
        bus.display()
    )))
}

fn uid() -> u32 {
    #[cfg(unix)]
    {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() }
    }
    #[cfg(not(unix))]
    {
        0
    }
}

/// The first `name` on PATH that is a file.
fn find_on_path(name: &str, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    let path = path?;
    std::env::split_paths(path).filter(|d| d.is_absolute()).map(|d| d.join(name)).find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Sound;
    use std::time::Duration;

    fn settings(backend: Backend) -> Settings {
        Settings {
            backend,
            command: Some("cat".into()),
            sound: Sound::Default,
            on_success: false,
            on_error: true,
            on_login: false,
            on_session_ending: true,
            interval: Duration::from_secs(3600),
            timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn the_command_backend_needs_its_shell() {
        // The test's own PATH has sh (on Windows cmd.exe); an empty one has nothing.
        let here = Reach { path: std::env::var_os("PATH"), ..Reach::default() };
        assert!(check(&settings(Backend::Command), &here).is_ok());
        let nowhere = Reach { path: Some("/nowhere".into()), ..Reach::default() };
        let e = check(&settings(Backend::Command), &nowhere).unwrap_err();
        assert!(e.why.contains(SHELL) && e.fix.contains("PATH"), "{e:?}");
        assert_eq!(check(&settings(Backend::None), &Reach::default()), Ok("off".into()));
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn the_session_bus_is_found_where_zbus_looks() {
        let dir = tempfile::tempdir().unwrap();
        let reach = Reach { runtime_dir: Some(dir.path().to_path_buf()), ..Reach::default() };
        let e = session_bus(&reach).unwrap_err();
        assert!(e.why.contains("no desktop session bus") && e.fix.contains("SSOFRESH_NOTIFY_COMMAND"), "{e:?}");
        let _bus = std::os::unix::net::UnixListener::bind(dir.path().join("bus")).unwrap();
        assert_eq!(session_bus(&reach), Ok(dir.path().join("bus").display().to_string()));
        let gone = Reach { dbus_address: Some("unix:path=/nonexistent/bus,guid=1".into()), ..Reach::default() };
        assert!(session_bus(&gone).unwrap_err().why.contains("/nonexistent/bus"));
        let abstract_socket = Reach { dbus_address: Some("unix:abstract=/tmp/dbus-x".into()), ..Reach::default() };
        assert!(session_bus(&abstract_socket).is_ok());
    }
}
