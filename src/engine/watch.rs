//! What the prompt hook and the prompt segment watch: the selected tokens, read from the
//! config's `[sso-session]` sections (and named profiles) only, as the no-op tick does.

use crate::aws::config::AwsConfig;
use crate::aws::token_cache::CachedToken;
use crate::engine::target::{self, Target};
use crate::error::Error;
use crate::text::shown::shown;
use std::path::Path;

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
/// be refreshed, so they are watched only when named), with the session of `active` (the
/// prompt's `AWS_PROFILE`) first and watched as if named. An `active` profile that does not
/// select a token is passed over: the prompt is no place for that error. Sessions never
/// logged in are dropped later, when their cache turns out to be missing: that saves a `stat`
/// per prompt.
pub fn select(
    config_file: &Path,
    sessions: &[String],
    profiles: &[String],
    active: Option<&str>,
    cache_dir: &Path,
) -> Result<Vec<Watched>, Error> {
    if sessions.iter().chain(profiles).all(|s| s.trim().is_empty()) {
        let active = active.map(str::trim).filter(|p| !p.is_empty());
        let cfg = AwsConfig::load_sessions(config_file, &active.iter().map(|p| p.to_string()).collect::<Vec<_>>())?;
        let mut out: Vec<Watched> = Vec::new();
        if let Ok(target::Active::Selects(t)) = target::active(&cfg, active, cache_dir) {
            out.push(Watched { tick_args: tick_args(&t), target: t, explicit: true });
        }
        // `all` has each token once; only the active one can come twice.
        let first = out.first().map(|w| w.target.cache_key.clone());
        for t in target::all(&cfg, cache_dir).into_iter().filter(|t| !t.is_legacy()) {
            if first.as_ref() != Some(&t.cache_key) {
                out.push(Watched {
                    tick_args: target::selection_args(std::slice::from_ref(&t.name), &[]),
                    target: t,
                    explicit: false,
                });
            }
        }
        return Ok(out);
    }
    let cfg = AwsConfig::load_sessions(config_file, profiles)?;
    let targets = match target::select(&cfg, sessions, profiles, cache_dir) {
        Ok(t) => t,
        // The message lists the known names, so it needs the whole file.
        Err(_) => target::select(&AwsConfig::load(config_file)?, sessions, profiles, cache_dir)?,
    };
    Ok(targets.into_iter().map(|t| Watched { tick_args: tick_args(&t), target: t, explicit: true }).collect())
}

/// The selection that gives `tick` this target, through the same profile (for its endpoints).
fn tick_args(t: &Target) -> Vec<String> {
    match &t.via {
        Some(profile) => target::selection_args(&[], std::slice::from_ref(profile)),
        None => target::selection_args(std::slice::from_ref(&t.name), &[]),
    }
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
        target::Kind::Session => format!("SSO session {}", shown(&target.name)),
        target::Kind::Legacy { profile } => format!("SSO profile {}", shown(profile)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn selections_and_the_tick_arguments_that_repeat_them() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::write(
            &config,
            "[profile dev]\nsso_session = corp\n[profile old]\nsso_start_url = https://old/start\nsso_region = us-east-1\n\
             [sso-session corp]\nsso_start_url = https://corp/start\nsso_region = us-east-1\n\
             [sso-session other]\nsso_start_url = https://other/start\nsso_region = us-east-1\n",
        )
        .unwrap();
        let got = |sessions: &[&str], profiles: &[&str]| -> Vec<(String, bool, String)> {
            select(&config, &strings(sessions), &strings(profiles), None, dir.path())
                .unwrap()
                .into_iter()
                .map(|w| (w.target.label(), w.explicit, w.tick_args.join(" ")))
                .collect()
        };
        let row = |l: &str, e: bool, a: &str| (l.to_string(), e, a.to_string());
        assert_eq!(got(&[], &[]), [row("corp", false, "--session=corp"), row("other", false, "--session=other")]);
        assert_eq!(
            got(&["corp"], &["old"]),
            [row("corp", true, "--session=corp"), row("profile old", true, "--profile=old")]
        );
        assert_eq!(got(&[], &["dev"]), [row("corp", true, "--profile=dev")]);
        // AWS_PROFILE's session comes first, watched as if named; names given win over it.
        let active = |p: &str| -> Vec<(String, bool, String)> {
            select(&config, &[], &[], Some(p), dir.path())
                .unwrap()
                .into_iter()
                .map(|w| (w.target.label(), w.explicit, w.tick_args.join(" ")))
                .collect()
        };
        assert_eq!(active("dev"), [row("corp", true, "--profile=dev"), row("other", false, "--session=other")]);
        assert_eq!(
            active("old"),
            [
                row("profile old", true, "--profile=old"),
                row("corp", false, "--session=corp"),
                row("other", false, "--session=other")
            ]
        );
        assert_eq!(active("nope"), [row("corp", false, "--session=corp"), row("other", false, "--session=other")]);
        let named = select(&config, &strings(&["other"]), &[], Some("dev"), dir.path()).unwrap();
        assert_eq!(named.len(), 1);
        let e = select(&config, &strings(&["nope"]), &[], None, dir.path()).unwrap_err().to_string();
        assert!(e.contains("'nope'") && e.contains("corp, other"), "{e}");
        let e = select(&config, &[], &strings(&["nope"]), None, dir.path()).unwrap_err().to_string();
        assert!(e.contains("unknown profile 'nope'") && e.contains("dev"), "{e}");
    }
}
