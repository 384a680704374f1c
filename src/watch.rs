//! What the prompt hook and the prompt segment look at: the health of each watched token,
//! from local files only (config, token cache, ssofresh's state). Never the network.

use crate::cache::CachedToken;
use crate::cli::Selection;
use crate::config::AwsConfig;
use crate::error::Error;
use crate::refresh::{self, Outcome};
use crate::state::{self, SessionState};
use crate::target::{self, Target};
use chrono::{DateTime, Utc};
use std::path::Path;
use std::time::Duration;

/// A token the hook or prompt watches, and how the user picked it.
#[derive(Debug, Clone)]
pub struct Watched {
    pub target: Target,
    /// Named by `--session`/`--profile`: a missing login is worth a word then.
    pub explicit: bool,
    /// The selection that gives `tick` the same target (and the same profile for endpoints).
    pub tick_args: Vec<String>,
}

/// The named sessions and profiles; without names, every sso-session (legacy profiles cannot
/// be refreshed, so they are watched only when named). Sessions never logged in are dropped
/// later, when their cache turns out to be missing: that saves a `stat` per prompt.
pub fn select(cfg: &AwsConfig, selection: &Selection, cache_dir: &Path) -> Result<Vec<Watched>, Error> {
    let mut out: Vec<Watched> = Vec::new();
    if selection.is_empty() {
        for t in target::all(cfg, cache_dir).into_iter().filter(|t| !t.is_legacy()) {
            let tick_args = vec!["--session".into(), t.name.clone()];
            out.push(Watched { target: t, explicit: false, tick_args });
        }
        return Ok(out);
    }
    let names = |v: &[String]| v.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect::<Vec<_>>();
    let picks = names(&selection.sessions)
        .into_iter()
        .map(|s| ("--session", s))
        .chain(names(&selection.profiles).into_iter().map(|p| ("--profile", p)));
    for (flag, name) in picks {
        let (sessions, profiles) = if flag == "--session" { (vec![name.clone()], vec![]) } else { (vec![], vec![name.clone()]) };
        for t in target::select(cfg, &sessions, &profiles, cache_dir)? {
            if !out.iter().any(|w| w.target.cache_key == t.cache_key) {
                out.push(Watched { target: t, explicit: true, tick_args: vec![flag.into(), name.clone()] });
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
pub enum Health {
    /// No cache file: never logged in, or logged out.
    NotLoggedIn,
    /// Valid beyond the threshold.
    Fresh { expires: DateTime<Utc> },
    /// Inside the threshold (or expired) and refreshable: `tick` would send a request now.
    Due { expires: DateTime<Utc> },
    /// Due, but a recent transient failure asks automatic callers to wait.
    BackingOff { expires: DateTime<Utc>, until: DateTime<Utc> },
    /// Inside the threshold (or expired) and only a new login helps.
    Relogin { expires: DateTime<Utc>, class: String },
    /// The cache file cannot be used.
    Broken { reason: String },
}

impl Health {
    /// Only the user can fix it.
    pub fn needs_user(&self) -> bool {
        matches!(self, Health::NotLoggedIn | Health::Relogin { .. } | Health::Broken { .. })
    }
}

#[derive(Debug, Clone)]
pub struct Assessment {
    pub health: Health,
    pub token: Option<CachedToken>,
}

/// Looks at one token: the cache file always; the state file only when the token is inside
/// the threshold, so the common case reads one small file.
pub fn assess(target: &Target, state_dir: &Path, threshold: Duration, now: DateTime<Utc>) -> Assessment {
    let token = match CachedToken::read(&target.cache_path) {
        Ok(Some(t)) => t,
        Ok(None) => return Assessment { health: Health::NotLoggedIn, token: None },
        Err(e) => return Assessment { health: Health::Broken { reason: e.to_string() }, token: None },
    };
    let expires = token.expires();
    let threshold = chrono::Duration::from_std(threshold).unwrap_or(chrono::Duration::MAX);
    if expires - now > threshold {
        return Assessment { health: Health::Fresh { expires }, token: Some(token) };
    }
    let st = SessionState::load(&state::state_path(state_dir, &target.cache_key));
    let health = match refresh::local_obstacle(target, &token, &st, now) {
        Some(Outcome::Relogin { class, .. }) => Health::Relogin { expires, class },
        Some(other) => Health::Broken { reason: other.problem(target, now).unwrap_or_default() },
        None => match st.backoff_until().filter(|u| *u > now) {
            Some(until) => Health::BackingOff { expires, until },
            None => Health::Due { expires },
        },
    };
    Assessment { health, token: Some(token) }
}

/// Identifies the login a token came from (its refresh token, else its access token), so a
/// hint about an old login does not silence the hint about a new one.
pub fn login_id(token: Option<&CachedToken>) -> String {
    match token {
        Some(t) => t.refresh_token.as_ref().unwrap_or(&t.access_token).fingerprint(),
        None => "-".into(),
    }
}

/// How messages name a target: `SSO session corp`, `SSO profile old`.
pub fn describe(target: &Target) -> String {
    match &target.kind {
        target::Kind::Session => format!("SSO session {}", target.name),
        target::Kind::Legacy { profile } => format!("SSO profile {profile}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn cfg() -> AwsConfig {
        AwsConfig::parse(
            "[profile dev]\nsso_session = corp\n[profile old]\nsso_start_url = https://old/start\nsso_region = us-east-1\n\
             [sso-session corp]\nsso_start_url = https://corp/start\nsso_region = us-east-1\n\
             [sso-session other]\nsso_start_url = https://other/start\nsso_region = us-east-1\n",
        )
        .unwrap()
    }

    fn sel(sessions: &[&str], profiles: &[&str]) -> Selection {
        Selection {
            sessions: sessions.iter().map(|s| s.to_string()).collect(),
            profiles: profiles.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn default_selection_is_every_session_and_no_legacy_profile() {
        let w = select(&cfg(), &sel(&[], &[]), Path::new("/c")).unwrap();
        let names: Vec<_> = w.iter().map(|w| (w.target.label(), w.explicit)).collect();
        assert_eq!(names, [("corp".to_string(), false), ("other".to_string(), false)]);
        assert_eq!(w[0].tick_args, ["--session", "corp"]);
    }

    #[test]
    fn named_targets_keep_how_they_were_named() {
        let w = select(&cfg(), &sel(&["corp"], &["dev", "old"]), Path::new("/c")).unwrap();
        let got: Vec<_> = w.iter().map(|w| (w.target.label(), w.tick_args.join(" "))).collect();
        assert_eq!(
            got,
            [("corp".to_string(), "--session corp".to_string()), ("profile old".to_string(), "--profile old".to_string())]
        );
        let w = select(&cfg(), &sel(&[], &["dev"]), Path::new("/c")).unwrap();
        assert_eq!(w[0].tick_args, ["--profile", "dev"]);
        assert!(select(&cfg(), &sel(&["nope"], &[]), Path::new("/c")).is_err());
    }

    fn write(dir: &Path, t: &Target, expires_in: i64, refresh: bool) {
        let mut v = serde_json::json!({
            "accessToken": "a-token-value",
            "expiresAt": crate::timefmt::format(Utc::now() + chrono::Duration::seconds(expires_in)),
            "clientId": "c", "clientSecret": "s",
            "registrationExpiresAt": crate::timefmt::format(Utc::now() + chrono::Duration::days(30)),
        });
        if refresh {
            v["refreshToken"] = "r-token-value".into();
        }
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(&t.cache_path, v.to_string()).unwrap();
    }

    #[test]
    fn health_from_cache_and_state() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let state_dir = dir.path().join("state");
        let t = select(&cfg(), &sel(&["corp"], &[]), &cache).unwrap().remove(0).target;
        let now = Utc::now();
        let th = Duration::from_secs(20 * 60);
        assert_eq!(assess(&t, &state_dir, th, now).health, Health::NotLoggedIn);
        write(&cache, &t, 3600, true);
        assert!(matches!(assess(&t, &state_dir, th, now).health, Health::Fresh { .. }));
        assert!(!state_dir.exists(), "a fresh token reads no state");
        write(&cache, &t, 60, true);
        assert!(matches!(assess(&t, &state_dir, th, now).health, Health::Due { .. }));
        write(&cache, &t, -60, true);
        assert!(matches!(assess(&t, &state_dir, th, now).health, Health::Due { .. }), "expired but refreshable");

        let path = state::state_path(&state_dir, &t.cache_key);
        let mut st = SessionState::default();
        st.record_transient(now, "connect".into());
        st.save(&path).unwrap();
        assert!(matches!(assess(&t, &state_dir, th, now).health, Health::BackingOff { .. }));
        st.record_rejected(now, Secret::new("r-token-value").fingerprint(), "invalid_grant".into());
        st.save(&path).unwrap();
        let h = assess(&t, &state_dir, th, now).health;
        assert!(matches!(&h, Health::Relogin { class, .. } if class == "rejected"), "{h:?}");
        assert!(h.needs_user());

        write(&cache, &t, 60, false);
        assert!(matches!(assess(&t, &state_dir, th, now).health, Health::Relogin { .. }));
        std::fs::write(&t.cache_path, "{").unwrap();
        assert!(matches!(assess(&t, &state_dir, th, now).health, Health::Broken { .. }));
    }
}
