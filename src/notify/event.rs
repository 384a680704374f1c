//! What a notification says: the event, the session, and the next step, in one line.

use crate::engine::refresh::{Outcome, Report};
use crate::engine::target::Target;
use crate::sys::secret::one_line;
use crate::text::duration::human;
use crate::text::timefmt;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A token was refreshed.
    Refreshed,
    /// A refresh failed (after its retries) and the token has expired.
    RefreshFailed,
    /// A token that could not be refreshed has less than the threshold left.
    ExpiringSoon,
    /// Only a new login helps: refresh token rejected, registration expired, session ended.
    ReloginRequired,
    /// A new login appeared in the token cache.
    LoginDetected,
    /// The Identity Center session nears its estimated end: once per login.
    SessionEnding,
    /// `ssofresh notify --test`.
    Test,
}

impl Kind {
    #[cfg(test)]
    pub const ALL: [Kind; 7] = [
        Kind::Refreshed,
        Kind::RefreshFailed,
        Kind::ExpiringSoon,
        Kind::ReloginRequired,
        Kind::LoginDetected,
        Kind::SessionEnding,
        Kind::Test,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Refreshed => "refreshed",
            Kind::RefreshFailed => "refresh_failed",
            Kind::ExpiringSoon => "expiring_soon",
            Kind::ReloginRequired => "relogin_required",
            Kind::LoginDetected => "login_detected",
            Kind::SessionEnding => "session_ending",
            Kind::Test => "test",
        }
    }

    /// Needs the user: worth a louder desktop notification.
    pub fn is_problem(self) -> bool {
        matches!(self, Kind::RefreshFailed | Kind::ExpiringSoon | Kind::ReloginRequired | Kind::SessionEnding)
    }
}

/// One notification, as the command backend gets it on stdin (one JSON object).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Event {
    #[serde(rename = "event")]
    pub kind: Kind,
    /// The sso-session name (the profile name for a legacy profile).
    pub session: String,
    pub title: String,
    /// One line: what happened and what to do next.
    pub message: String,
    pub time: String,
    /// When the access token in the cache expires, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// `session_ending`: the session's estimated end, and where the estimate comes from
    /// (`configured`, `learned`, `assumed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_ends_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_ends_basis: Option<String>,
    /// A short, stable error class (`invalid_grant`, `connect`, `timeout`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The command that gets a new token, when one may be needed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_command: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub test: bool,
}

/// Longest message a notification carries: endpoint error texts can be long.
const MAX_MESSAGE: usize = 400;

impl Event {
    fn new(kind: Kind, target: &Target, now: DateTime<Utc>, title: String, message: String) -> Event {
        Event {
            kind,
            session: target.name.clone(),
            title: one_line(&format!("AWS SSO {}: {title}", target.label()), 120),
            message: one_line(&message, MAX_MESSAGE),
            time: timefmt::format(now),
            expires_at: None,
            session_ends_at: None,
            session_ends_basis: None,
            error: None,
            login_command: None,
            test: false,
        }
    }

    /// The sample `notify --test` sends: `kind` is `Test`, or an event to imitate.
    pub(crate) fn sample(kind: Kind, session: &str, backend: &str, now: DateTime<Utc>) -> Event {
        let login = crate::engine::target::session_login_command(session);
        let expires = now + chrono::Duration::minutes(12);
        let (title, message, error, login_command) = match kind {
            Kind::Test => (
                "test notification".to_string(),
                format!("Notifications reach you through the {backend} backend; nothing to do."),
                None,
                None,
            ),
            Kind::Refreshed => (
                "token refreshed".into(),
                format!("Valid until {} (1h left); nothing to do.", hm(now + chrono::Duration::hours(1))),
                None,
                None,
            ),
            Kind::RefreshFailed => (
                "refresh failed".into(),
                format!("The token has expired and could not be refreshed (sample); run: {login}"),
                Some("sample".into()),
                Some(login),
            ),
            Kind::ExpiringSoon => (
                "token expires in 12m".into(),
                format!("Refresh failed (sample); ssofresh will try again — or run: {login}"),
                Some("sample".into()),
                Some(login),
            ),
            Kind::ReloginRequired => (
                "log in again".into(),
                format!("The Identity Center session has ended (sample); run: {login}"),
                Some("sample".into()),
                Some(login),
            ),
            Kind::LoginDetected => (
                "new login".into(),
                format!("Valid until {}; ssofresh keeps it fresh until the session ends. Nothing to do.", hm(expires)),
                None,
                None,
            ),
            Kind::SessionEnding => (
                "session ends in 25m".into(),
                format!(
                    "The Identity Center session ends ~{} (estimate: sample); log in now to start a new one: {login}",
                    hm(now + chrono::Duration::minutes(25))
                ),
                None,
                Some(login),
            ),
        };
        Event {
            kind,
            session: session.to_string(),
            title: one_line(&format!("AWS SSO {}: {title}", crate::text::shown::shown(session)), 120),
            message: one_line(&message, MAX_MESSAGE),
            time: timefmt::format(now),
            expires_at: (kind != Kind::Test).then(|| timefmt::format(expires)),
            session_ends_at: (kind == Kind::SessionEnding)
                .then(|| timefmt::format(now + chrono::Duration::minutes(25))),
            session_ends_basis: (kind == Kind::SessionEnding).then(|| "assumed".to_string()),
            error,
            login_command,
            test: true,
        }
    }

    /// The JSON object on one line, newline-terminated (so `cat >> events.jsonl` works).
    pub(crate) fn to_json_line(&self) -> String {
        let mut s = serde_json::to_string(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// Local wall-clock time with its zone, as the user reads their clock: `14:05 CET`.
fn hm(t: DateTime<Utc>) -> String {
    crate::text::timefmt::local_hm(t)
}

/// `Refresh failed: …` from `refresh failed: …`, cut short so the next step after it survives.
fn sentence(s: &str) -> String {
    let s = one_line(s, 240);
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The `session_ending` event for a session inside its warning window (`warn_before`), unless
/// a login is needed already (`relogin_required` says so).
pub(crate) fn session_ending(
    target: &Target,
    report: &Report,
    warn_before: Duration,
    now: DateTime<Utc>,
) -> Option<Event> {
    let h = report.horizon.as_ref()?;
    let warn = chrono::Duration::from_std(warn_before).unwrap_or(chrono::Duration::MAX);
    if !h.ending(now, warn) || matches!(report.outcome, Outcome::Relogin { .. } | Outcome::NotLoggedIn) {
        return None;
    }
    let login = target.login_command();
    let basis = h.basis_words();
    let (title, when) = if h.ends_at > now {
        (
            format!("session ends in {}", human(h.ends_at - now)),
            format!("The Identity Center session ends ~{} (estimate, {basis})", hm(h.ends_at)),
        )
    } else {
        (
            "session may end any moment".to_string(),
            format!(
                "The Identity Center session was estimated to end at {} ({basis}) and may end any moment",
                hm(h.ends_at)
            ),
        )
    };
    let mut e =
        Event::new(Kind::SessionEnding, target, now, title, format!("{when}; log in now to start a new one: {login}"));
    e.session_ends_at = Some(timefmt::format(h.ends_at));
    e.session_ends_basis = Some(h.length.basis.as_str().to_string());
    e.login_command = Some(login);
    Some(e)
}

/// The events one run of the engine gives rise to, before toggles and the memo. No I/O.
pub(crate) fn for_report(target: &Target, report: &Report, threshold: Duration, now: DateTime<Utc>) -> Vec<Event> {
    let mut out = Vec::new();
    let login = target.login_command();
    let threshold = chrono::Duration::from_std(threshold).unwrap_or(chrono::Duration::MAX);
    if report.login_detected {
        let expires = match &report.outcome {
            Outcome::Fresh { expires } | Outcome::Refreshed { expires, .. } => Some(*expires),
            Outcome::Transient { expires, .. } => *expires,
            _ => None,
        };
        let valid = match expires {
            Some(e) if e > now => format!("Valid until {}; ", hm(e)),
            _ => String::new(),
        };
        let mut e = Event::new(
            Kind::LoginDetected,
            target,
            now,
            "new login".into(),
            format!("{valid}ssofresh keeps it fresh until the session ends. Nothing to do."),
        );
        e.expires_at = expires.map(timefmt::format);
        out.push(e);
    }
    match &report.outcome {
        Outcome::Fresh { .. } | Outcome::NotLoggedIn => {}
        Outcome::Refreshed { expires, .. } => {
            let mut e = Event::new(
                Kind::Refreshed,
                target,
                now,
                "token refreshed".into(),
                format!("Valid until {} ({} left); nothing to do.", hm(*expires), human(*expires - now)),
            );
            e.expires_at = Some(timefmt::format(*expires));
            out.push(e);
        }
        // Another process holds the lock and reports the outcome itself.
        Outcome::Transient { class, .. } if class == "busy" => {}
        Outcome::Transient { class, reason, expires } => {
            let mut e = match expires {
                Some(x) if *x > now && *x - now <= threshold => Event::new(
                    Kind::ExpiringSoon,
                    target,
                    now,
                    format!("token expires in {}", human(*x - now)),
                    format!("{}; ssofresh will try again — or run: {login}", sentence(reason)),
                ),
                Some(x) if *x <= now => Event::new(
                    Kind::RefreshFailed,
                    target,
                    now,
                    "refresh failed".into(),
                    format!(
                        "The token has expired and could not be refreshed ({}); run: {login}",
                        one_line(reason, 240)
                    ),
                ),
                _ => Event::new(
                    Kind::RefreshFailed,
                    target,
                    now,
                    "refresh failed".into(),
                    format!("{}; ssofresh will try again — or run: {login}", sentence(reason)),
                ),
            };
            e.expires_at = expires.map(timefmt::format);
            e.error = Some(class.clone());
            e.login_command = Some(login);
            out.push(e);
        }
        Outcome::Relogin { class, reason } => {
            let mut e = Event::new(
                Kind::ReloginRequired,
                target,
                now,
                "log in again".into(),
                format!("{}; run: {login}", sentence(reason)),
            );
            e.error = Some(class.clone());
            e.login_command = Some(login);
            out.push(e);
        }
        // The reason says what to fix; tools cannot use this token until then.
        Outcome::Broken { reason } => {
            let mut e = Event::new(Kind::RefreshFailed, target, now, "cannot refresh".into(), sentence(reason));
            e.error = Some("broken".into());
            out.push(e);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::config::AwsConfig;

    fn target() -> Target {
        let cfg = AwsConfig::parse("[profile dev]\nsso_session = corp\n[sso-session corp]\nsso_region = us-east-1\n")
            .unwrap();
        crate::engine::target::all(&cfg, std::path::Path::new("/c")).remove(0)
    }

    fn kinds(outcome: Outcome, login_detected: bool) -> Vec<Kind> {
        let now = Utc::now();
        for_report(
            &target(),
            &Report { outcome, login_detected, login: None, clock_skew: None, horizon: None },
            Duration::from_secs(1200),
            now,
        )
        .iter()
        .map(|e| e.kind)
        .collect()
    }

    fn transient(class: &str, expires_in: Option<i64>) -> Outcome {
        Outcome::Transient {
            class: class.into(),
            reason: "refresh failed after 4 attempts: cannot connect".into(),
            expires: expires_in.map(|s| Utc::now() + chrono::Duration::seconds(s)),
        }
    }

    #[test]
    fn maps_outcomes_to_events() {
        let in_an_hour = Utc::now() + chrono::Duration::hours(1);
        assert_eq!(kinds(Outcome::Fresh { expires: in_an_hour }, false), []);
        assert_eq!(kinds(Outcome::NotLoggedIn, false), []);
        assert_eq!(kinds(Outcome::Fresh { expires: in_an_hour }, true), [Kind::LoginDetected]);
        assert_eq!(kinds(Outcome::Refreshed { expires: in_an_hour, attempts: 1 }, false), [Kind::Refreshed]);
        assert_eq!(kinds(transient("connect", Some(600)), false), [Kind::ExpiringSoon]);
        assert_eq!(kinds(transient("backoff", Some(600)), false), [Kind::ExpiringSoon]);
        assert_eq!(kinds(transient("connect", Some(-60)), false), [Kind::RefreshFailed]);
        assert_eq!(kinds(transient("connect", None), false), [Kind::RefreshFailed]);
        assert_eq!(kinds(transient("busy", Some(600)), false), [], "the lock holder reports");
        assert_eq!(
            kinds(Outcome::Relogin { class: "invalid_grant".into(), reason: "x".into() }, true),
            [Kind::LoginDetected, Kind::ReloginRequired]
        );
        assert_eq!(kinds(Outcome::Broken { reason: "unusable token cache".into() }, false), [Kind::RefreshFailed]);
    }

    #[test]
    fn events_name_the_session_and_the_next_step() {
        let now = Utc::now();
        let report = Report {
            outcome: transient("connect", Some(300)),
            login_detected: false,
            login: None,
            clock_skew: None,
            horizon: None,
        };
        let e = &for_report(&target(), &report, Duration::from_secs(1200), now)[0];
        assert_eq!(e.session, "corp");
        assert!(e.title.contains("corp") && e.title.contains("expires in"), "{}", e.title);
        assert!(
            e.message.starts_with("Refresh failed after 4 attempts") && e.message.ends_with("run: ssofresh login corp"),
            "{}",
            e.message
        );
        let v: serde_json::Value = serde_json::from_str(&e.to_json_line()).unwrap();
        assert_eq!(v["event"], "expiring_soon");
        assert_eq!(v["error"], "connect");
        assert!(v.get("test").is_none());
        assert!(e.to_json_line().ends_with("}\n"));
    }

    #[test]
    fn messages_stay_on_one_bounded_line() {
        let long = format!("bad\nthing {}", "x".repeat(2000));
        let report = Report {
            outcome: Outcome::Relogin { class: "c".into(), reason: long },
            login_detected: false,
            login: None,
            clock_skew: None,
            horizon: None,
        };
        let e = &for_report(&target(), &report, Duration::from_secs(1200), Utc::now())[0];
        assert!(!e.message.contains('\n') && e.message.chars().count() <= MAX_MESSAGE + 1, "{}", e.message.len());
        assert!(e.message.ends_with("run: ssofresh login corp"), "the next step survives: {}", e.message);
    }
}
