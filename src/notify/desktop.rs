//! The desktop backend: freedesktop notifications over the D-Bus session bus (zbus, pure Rust),
//! macOS Notification Center, Windows toasts — all through notify-rust.

use super::event::Event;
use super::Sound;
use std::sync::mpsc;
use std::time::Duration;

/// Shows the event. A machine without a notification service (no D-Bus session, headless CI)
/// gives an error for the caller to log at debug level. A bus that accepts the connection and
/// never answers cannot hold up the tick: the call runs on its own thread, and after `timeout`
/// ssofresh goes on without it (the thread ends with the process).
pub fn show(event: &Event, sound: &Sound, timeout: Duration) -> Result<(), String> {
    let n = notification(event, sound);
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("notify".into())
        .spawn(move || {
            let _ = tx.send(n.show().map(drop).map_err(|e| e.to_string()));
        })
        .map_err(|e| format!("cannot start the notification thread: {e}"))?;
    match rx.recv_timeout(timeout) {
        Ok(result) => result.map_err(|e| format!("no desktop notification service: {e}")),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            Err(format!("the desktop notification service did not answer within {}", super::show_duration(timeout)))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err("the desktop notification failed".into()),
    }
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
            super::Kind::ReloginRequired => Urgency::Critical,
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
