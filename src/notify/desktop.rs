//! The desktop backend: freedesktop notifications over the D-Bus session bus (zbus, pure Rust),
//! macOS Notification Center, Windows toasts — all through notify-rust.
//!
//! The notification is shown by a small helper binary, `ssofresh-notify-desktop`, installed
//! beside `ssofresh`; the tick runs it like a notify command, with the event on stdin and the
//! sound as its one argument. Why a second binary: notify-rust brings zbus and a D-Bus stack
//! (0.6 MB of code) that every no-op tick would map and page in for nothing, and a session bus
//! that hangs, or a panic in that stack (release builds abort on panic), can then only take
//! down the helper, which the tick kills after the timeout like any notifier.

use super::command::{self, Output};
use super::event::Event;
use std::path::PathBuf;
use std::time::Duration;

/// The sound of a desktop notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sound {
    /// The platform's notification sound.
    Default,
    Silent,
    /// A system sound (macOS: `Glass`, `Ping`, …) or a freedesktop sound-theme name.
    Named(String),
}

impl Sound {
    pub fn parse(s: &str) -> Sound {
        match s.trim() {
            "" | "default" => Sound::Default,
            "none" | "off" => Sound::Silent,
            name => Sound::Named(name.to_string()),
        }
    }

    /// As `SSOFRESH_NOTIFY_SOUND` spells it.
    pub(crate) fn as_setting(&self) -> &str {
        match self {
            Sound::Default => "default",
            Sound::Silent => "none",
            Sound::Named(name) => name,
        }
    }
}

/// The helper's name (a binary target of this package).
pub const HELPER: &str = "ssofresh-notify-desktop";

/// Where the helper is: beside the running binary (where `cargo install` puts both), else on
/// PATH (then only its name).
pub(crate) fn helper_path() -> PathBuf {
    let name = format!("{HELPER}{}", std::env::consts::EXE_SUFFIX);
    std::env::current_exe()
        .ok()
        .map(|exe| exe.with_file_name(&name))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from(name))
}

/// Shows the event through the helper. A machine without a notification service (no D-Bus
/// session, headless CI) gives an error, with the helper's reason, for the caller to log at
/// debug level.
pub(crate) fn show(event: &Event, sound: &Sound, timeout: Duration) -> Result<(), String> {
    let mut c = std::process::Command::new(helper_path());
    c.arg(sound.as_setting());
    command::run_process(c, "the desktop notifier", event, timeout, Output::Explain).map_err(|e| {
        if e.contains("cannot start") {
            format!("{e} ({HELPER} belongs beside ssofresh; reinstall, or use SSOFRESH_NOTIFY_COMMAND)")
        } else {
            e
        }
    })
}

/// Shows the event from this process (the helper's whole job).
pub fn show_here(event: &Event, sound: &Sound) -> Result<(), String> {
    notification(event, sound).show().map(drop).map_err(|e| format!("no desktop notification service: {e}"))
}

fn notification(event: &Event, sound: &Sound) -> notify_rust::Notification {
    let mut n = notify_rust::Notification::new();
    n.appname("ssofresh").summary(&event.title).body(&event.message);
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        use notify_rust::{Hint, Urgency};
        let problem = event.kind.is_problem();
        n.icon(if problem { "dialog-warning" } else { "dialog-information" });
        // Critical ones stay until dismissed: a session that needs a login should not scroll away.
        n.urgency(match event.kind {
            super::event::Kind::ReloginRequired => Urgency::Critical,
            _ => Urgency::Normal,
        });
        match sound {
            // The notification server's own choice.
            Sound::Default => {}
            Sound::Silent => {
                n.hint(Hint::SuppressSound(true));
            }
            Sound::Named(name) if name.starts_with('/') => {
                n.hint(Hint::SoundFile(name.clone()));
            }
            Sound::Named(name) => {
                n.sound_name(name);
            }
        }
    }
    #[cfg(target_os = "macos")]
    match sound {
        // mac-notification-sys maps this name to NSUserNotificationDefaultSoundName.
        Sound::Default => {
            n.sound_name("NSUserNotificationDefaultSoundName");
        }
        Sound::Silent => {}
        Sound::Named(name) => {
            n.sound_name(name);
        }
    }
    #[cfg(windows)]
    if let Sound::Named(name) = sound {
        n.sound_name(name);
    }
    n
}
