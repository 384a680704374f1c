//! Notifications: tell the user when a token needs attention — once, on the desktop or through
//! their own command — without ever failing, slowing or changing the output of a refresh.
//!
//! The commands that run the engine (`tick`, `credential-process`, `env`) hand each report it
//! returns to [`Notifier::report`]. It maps the outcome to events (pure, no I/O, so the no-op
//! path pays nothing), drops those the toggles turn off, claims the rest in a per-session memo
//! under a lock (so the same event reaches the user once per interval however many processes
//! see it), delivers them and logs each one in the activity log.

pub(crate) mod check;
mod command;
pub mod desktop;
mod event;
mod memo;

pub use desktop::Sound;
pub use event::{Event, Kind};

use crate::engine::activity::{ActivityLog, Entry};
use crate::engine::refresh::{Outcome, Report};
use crate::engine::target::Target;
use chrono::{DateTime, Utc};
use std::path::Path;
use std::time::{Duration, Instant};

/// Where notifications go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    /// macOS Notification Center; freedesktop notifications over D-Bus elsewhere.
    Desktop,
    /// The command in SSOFRESH_NOTIFY_COMMAND, with the event as JSON on stdin.
    Command,
    /// No notifications.
    None,
}

impl Backend {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Backend::Desktop => "desktop",
            Backend::Command => "command",
            Backend::None => "none",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub backend: Backend,
    /// Run through `sh -c` by the command backend.
    pub command: Option<String>,
    pub sound: Sound,
    pub on_success: bool,
    /// Covers `refresh_failed`, `expiring_soon` and `relogin_required`.
    pub on_error: bool,
    pub on_login: bool,
    /// `session_ending`, once per login.
    pub on_session_ending: bool,
    /// The same event for the same session at most this often.
    pub interval: Duration,
    /// The longest one notification may take; a command still running then is killed.
    pub timeout: Duration,
}

impl Settings {
    /// No notifications at all (tests build on it).
    #[cfg(test)]
    pub fn off() -> Settings {
        Settings {
            backend: Backend::None,
            command: None,
            sound: Sound::Default,
            on_success: false,
            on_error: false,
            on_login: false,
            on_session_ending: false,
            interval: Duration::from_secs(3600),
            timeout: Duration::from_secs(5),
        }
    }

    fn wants(&self, kind: Kind) -> bool {
        match kind {
            Kind::Refreshed => self.on_success,
            Kind::RefreshFailed | Kind::ExpiringSoon | Kind::ReloginRequired => self.on_error,
            Kind::LoginDetected => self.on_login,
            Kind::SessionEnding => self.on_session_ending,
            Kind::Test => true,
        }
    }

    /// What `notify` prints: the backend and, for the command, what it runs.
    pub(crate) fn describe_backend(&self) -> String {
        match self.backend {
            Backend::Desktop if cfg!(target_os = "macos") => "desktop (macOS Notification Center)".into(),
            Backend::Desktop if cfg!(windows) => "desktop (Windows toast notifications)".into(),
            Backend::Desktop => "desktop (freedesktop notifications over the D-Bus session bus)".into(),
            // Not the command itself: it may hold a webhook token.
            Backend::Command => "command (SSOFRESH_NOTIFY_COMMAND, run through sh -c)".into(),
            Backend::None => "none (notifications are off)".into(),
        }
    }
}

/// Tells the user about the engine's reports: the settings, and where the memo and the log are.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Notifier<'a> {
    pub settings: &'a Settings,
    /// The refresh threshold: a token that could not be refreshed and has less than this left is
    /// `expiring_soon`.
    pub threshold: Duration,
    /// `session_ending` this long before the session's estimated end.
    pub warn_before: Duration,
    pub state_dir: &'a Path,
    pub log: &'a ActivityLog,
}

impl Notifier<'_> {
    /// Notifies about one run of the engine. Inlined, with the check that the report may be
    /// worth a notification, so that the no-op path (a fresh token, nothing new) does not even
    /// call into this module.
    #[inline]
    pub(crate) fn report(&self, target: &Target, report: &Report, now: DateTime<Utc>) {
        if may_notify(report, self.settings, self.warn_before, now) {
            self.notify(target, report, now);
        }
    }

    #[cold]
    fn notify(&self, target: &Target, report: &Report, now: DateTime<Utc>) {
        let n = self.settings;
        let mut events = event::for_report(target, report, self.threshold, now);
        events.extend(event::session_ending(target, report, self.warn_before, now));
        events.retain(|e| n.wants(e.kind));
        if events.is_empty() {
            return;
        }
        let session_login = report.horizon.as_ref().map(|h| h.login_id());
        let claim = memo::Claim {
            login: report.login.as_deref(),
            new_login: report.login_detected,
            session_login: session_login.as_deref(),
            interval: n.interval,
            now,
        };
        let events = memo::claim(self.state_dir, &target.cache_key, events, &claim);
        for e in &events {
            let result = deliver(e, n, false);
            log_delivery(self.log, e, n.backend, &result, now);
        }
    }
}

#[inline]
fn may_notify(report: &Report, settings: &Settings, warn_before: Duration, now: DateTime<Utc>) -> bool {
    settings.backend != Backend::None
        && (report.login_detected
            || !matches!(report.outcome, Outcome::Fresh { .. } | Outcome::NotLoggedIn)
            || (settings.on_session_ending && report.horizon.as_ref().is_some_and(|h| ending(h, warn_before, now))))
}

/// Inside the warning window: cheap enough for every no-op tick.
#[inline]
fn ending(h: &crate::engine::horizon::Horizon, warn_before: Duration, now: DateTime<Utc>) -> bool {
    h.ending(now, chrono::Duration::from_std(warn_before).unwrap_or(chrono::Duration::MAX))
}

/// How a delivery went, for the activity log and `notify --test`.
pub(crate) struct Delivery {
    pub duration: Duration,
    pub error: Option<String>,
}

/// Sends one event through the configured backend. Never panics, never waits longer than the
/// timeout; an unavailable backend is an error for the caller to log, not to print.
/// `interactive` (`notify --test`) lets a command's output through, for debugging it.
pub(crate) fn deliver(event: &Event, settings: &Settings, interactive: bool) -> Delivery {
    let started = Instant::now();
    let result = match settings.backend {
        Backend::None => Ok(()),
        Backend::Desktop => desktop::show(event, &settings.sound, settings.timeout),
        Backend::Command => match &settings.command {
            Some(c) => command::run(c, event, settings.timeout, interactive),
            None => Err("no notify command is set (SSOFRESH_NOTIFY_COMMAND)".into()),
        },
    };
    let error = result.err();
    match &error {
        Some(err) => log::debug!(
            "{}: {} notification not delivered through {}: {err}",
            event.session,
            event.kind.as_str(),
            settings.backend.as_str()
        ),
        None => log::debug!(
            "{}: {} notification sent through {}",
            event.session,
            event.kind.as_str(),
            settings.backend.as_str()
        ),
    }
    Delivery { duration: started.elapsed(), error }
}

/// One activity-log line per notification: which event, which backend, whether it arrived.
pub(crate) fn log_delivery(log: &ActivityLog, event: &Event, backend: Backend, d: &Delivery, now: DateTime<Utc>) {
    let mut entry = Entry::new("notification", &event.session, now);
    entry.outcome = Some(if d.error.is_none() { "ok" } else { "failed" }.into());
    entry.message = Some(match &d.error {
        None => format!("{} via {}", event.kind.as_str(), backend.as_str()),
        Some(err) => format!("{} via {}: {err}", event.kind.as_str(), backend.as_str()),
    });
    entry.expires_at = event.expires_at.clone();
    entry.duration_ms = Some(d.duration.as_millis() as u64);
    log.append(&entry);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sounds() {
        assert_eq!(Sound::parse("default"), Sound::Default);
        assert_eq!(Sound::parse(""), Sound::Default);
        assert_eq!(Sound::parse("none"), Sound::Silent);
        assert_eq!(Sound::parse(" Glass "), Sound::Named("Glass".into()));
        for s in ["default", "none", "Glass"] {
            assert_eq!(Sound::parse(s).as_setting(), s);
        }
    }

    #[test]
    fn toggles_cover_their_events() {
        let mut s = Settings::off();
        assert!(!Kind::ALL.iter().any(|k| *k != Kind::Test && s.wants(*k)));
        s.on_error = true;
        let on: Vec<_> = Kind::ALL.iter().filter(|k| **k != Kind::Test && s.wants(**k)).collect();
        assert_eq!(on, [&Kind::RefreshFailed, &Kind::ExpiringSoon, &Kind::ReloginRequired]);
        s = Settings { on_success: true, ..Settings::off() };
        assert!(s.wants(Kind::Refreshed) && !s.wants(Kind::LoginDetected));
        s = Settings { on_login: true, ..Settings::off() };
        assert!(s.wants(Kind::LoginDetected) && !s.wants(Kind::Refreshed));
        s = Settings { on_session_ending: true, ..Settings::off() };
        assert!(s.wants(Kind::SessionEnding) && !s.wants(Kind::ReloginRequired));
    }
}
