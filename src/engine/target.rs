//! What ssofresh works on: one token cache, reached through an sso-session (refreshable) or a
//! legacy profile (not), and how the user picks them.

use crate::aws::config::{AwsConfig, Profile};
use crate::aws::endpoint::Region;
use crate::aws::token_cache::{self, CachedToken};
use crate::error::{known_list, Error};
use crate::text::quote::{self, Dialect};
use crate::text::shown::shown;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Session,
    /// A profile with its own `sso_start_url`: a fixed-lifetime token without a refresh token.
    Legacy {
        profile: String,
    },
}

#[derive(Debug, Clone)]
pub struct Target {
    /// The sso-session name, or the profile name of a legacy profile.
    pub name: String,
    pub kind: Kind,
    pub start_url: Option<String>,
    pub region: Option<String>,
    pub cache_key: String,
    pub cache_path: PathBuf,
    /// Profiles that use this token, in file order.
    pub profiles: Vec<String>,
    /// The profile the user named to select this target, if any.
    pub via: Option<String>,
}

impl Target {
    /// `corp`, or `profile old` for legacy profiles: how messages name it (control characters
    /// escaped, `text::shown`).
    pub fn label(&self) -> String {
        match &self.kind {
            Kind::Session => shown(&self.name).into_owned(),
            Kind::Legacy { profile } => format!("profile {}", shown(profile)),
        }
    }

    /// The command that gets a new token: ssofresh's own login, which needs no AWS CLI.
    pub fn login_command(&self) -> String {
        match &self.kind {
            Kind::Session => session_login_command(&self.name),
            Kind::Legacy { profile } => profile_login_command(profile),
        }
    }

    pub fn is_legacy(&self) -> bool {
        matches!(self.kind, Kind::Legacy { .. })
    }

    /// The SSO region and where it was found: the config's `sso_region` (`config` is the file's
    /// path), else the `region` the token cache records, if `token` is given.
    pub fn sso_region<'a>(&'a self, config: &Path, token: Option<&'a CachedToken>) -> Option<Region<'a>> {
        if let Some(r) = &self.region {
            let section = match &self.kind {
                Kind::Session => format!("sso-session {}", self.name),
                Kind::Legacy { profile } => format!("profile {profile}"),
            };
            return Some(Region::new(r, format!("sso_region of [{section}] in {}", config.display())));
        }
        let r = token?.region.as_deref()?;
        Some(Region::new(
            r,
            format!("the region in {} (the token cache of {})", self.cache_path.display(), self.label()),
        ))
    }

    /// The profile whose endpoint settings apply, found in `cfg` (which must hold profiles):
    /// the one the user named, else the active profile (`AWS_PROFILE`) if it uses this token,
    /// else the first that does.
    pub fn context_in<'a>(&self, cfg: &'a AwsConfig, active: Option<&str>) -> Option<&'a Profile> {
        if let Some(p) = self.via.as_deref().and_then(|v| cfg.profile(v)) {
            return Some(p);
        }
        let users: Vec<&Profile> = match &self.kind {
            Kind::Session => cfg.profiles_of(&self.name),
            Kind::Legacy { .. } => cfg.legacy_profiles().filter(|p| p.sso_start_url == self.start_url).collect(),
        };
        users.iter().find(|p| Some(p.name.as_str()) == active).or(users.first()).copied()
    }

    fn session(cfg: &AwsConfig, name: &str, cache_dir: &Path, via: Option<&Profile>) -> Option<Target> {
        let s = cfg.session(name)?;
        let profiles = cfg.profiles_of(name);
        Some(Target {
            name: s.name.clone(),
            kind: Kind::Session,
            start_url: s.start_url.clone(),
            region: s.region.clone(),
            cache_key: token_cache::cache_key(&s.name),
            cache_path: token_cache::cache_path(cache_dir, &s.name),
            profiles: profiles.iter().map(|p| p.name.clone()).collect(),
            via: via.map(|p| p.name.clone()),
        })
    }

    fn legacy(cfg: &AwsConfig, p: &Profile, cache_dir: &Path) -> Option<Target> {
        let url = p.sso_start_url.as_deref()?;
        let sharing = cfg.legacy_profiles().filter(|q| q.sso_start_url.as_deref() == Some(url));
        Target::legacy_of(p, url, sharing.map(|q| q.name.clone()).collect(), cache_dir)
    }

    /// The legacy target of profile `p`, whose start URL `url` the `profiles` share.
    fn legacy_of(p: &Profile, url: &str, profiles: Vec<String>, cache_dir: &Path) -> Option<Target> {
        Some(Target {
            name: p.name.clone(),
            kind: Kind::Legacy { profile: p.name.clone() },
            start_url: Some(url.to_string()),
            region: p.sso_region.clone(),
            cache_key: token_cache::cache_key(url),
            cache_path: token_cache::cache_path(cache_dir, url),
            profiles,
            via: Some(p.name.clone()),
        })
    }
}

/// The arguments that name these sessions and profiles to another ssofresh, as the command lines
/// ssofresh writes do (the hook's tick, `init`'s hooks and scheduler entries): `--session=NAME`,
/// so that a name starting with `-` is not taken for a flag, and `--exact-names` when a name
/// has a comma, which would otherwise make it a list.
pub fn selection_args(sessions: &[String], profiles: &[String]) -> Vec<String> {
    let mut out: Vec<String> = sessions.iter().map(|s| format!("--session={s}")).collect();
    out.extend(profiles.iter().map(|p| format!("--profile={p}")));
    if sessions.iter().chain(profiles).any(|n| n.contains(',')) {
        out.push("--exact-names".into());
    }
    out
}

/// How every message tells the user to log in to an sso-session: a command to paste into a
/// shell, so the name is one shell word (`'x y'`, `'$(id)'`), after `--` when it starts with `-`.
pub fn session_login_command(session: &str) -> String {
    command_naming("ssofresh login", None, session)
}

/// How every message tells the user to log in through a (legacy) profile.
pub fn profile_login_command(profile: &str) -> String {
    command_naming("ssofresh login", Some("--profile"), profile)
}

/// `COMMAND NAME` (or `COMMAND FLAG NAME`) with the name as one POSIX shell word that no
/// option parser takes for a flag; control characters in it are shown escaped (`text::shown`).
pub fn command_naming(command: &str, flag: Option<&str>, name: &str) -> String {
    let word = quote::word(Dialect::Posix, name);
    let word = shown(&word);
    match (flag, name.starts_with('-')) {
        (None, false) => format!("{command} {word}"),
        (None, true) => format!("{command} -- {word}"),
        (Some(f), false) => format!("{command} {f} {word}"),
        (Some(f), true) => format!("{command} {f}={word}"),
    }
}

/// How every message tells the user to add an sso-session: ssofresh's own command, which needs
/// no AWS CLI.
pub fn session_setup_command(session: Option<&str>) -> String {
    let options = "--start-url URL --region REGION --write";
    match session {
        // After `--` nothing is an option, so the options go first.
        Some(name) if name.starts_with('-') => {
            command_naming(&format!("ssofresh configure sso-session {options}"), None, name)
        }
        Some(name) => format!("{} {options}", command_naming("ssofresh configure sso-session", None, name)),
        None => format!("ssofresh configure sso-session NAME {options}"),
    }
}

/// Every sso-session, then every legacy SSO profile (one per start URL, as they share a cache).
/// Linear in the size of the config: one pass groups the legacy profiles by start URL, and a
/// set of cache keys keeps the first of each.
pub fn all(cfg: &AwsConfig, cache_dir: &Path) -> Vec<Target> {
    let mut out: Vec<Target> =
        cfg.sessions.iter().filter_map(|s| Target::session(cfg, &s.name, cache_dir, None)).collect();
    let mut by_url: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for p in cfg.legacy_profiles() {
        if let Some(url) = p.sso_start_url.as_deref() {
            by_url.entry(url).or_default().push(p.name.clone());
        }
    }
    if by_url.is_empty() {
        return out;
    }
    let mut seen: BTreeSet<String> = out.iter().map(|t| t.cache_key.clone()).collect();
    for p in cfg.legacy_profiles() {
        let Some(url) = p.sso_start_url.as_deref() else { continue };
        let Some(profiles) = by_url.remove(url) else { continue };
        if let Some(t) = Target::legacy_of(p, url, profiles, cache_dir) {
            if seen.insert(t.cache_key.clone()) {
                out.push(t);
            }
        }
    }
    out
}

/// The targets named by `--session`/`--profile`, in the order given, without duplicates.
/// With neither, `default` decides: every session (tick: those with a cached token).
pub fn select(
    cfg: &AwsConfig,
    sessions: &[String],
    profiles: &[String],
    cache_dir: &Path,
) -> Result<Vec<Target>, Error> {
    let mut out: Vec<Target> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut push = |t: Target| {
        if seen.insert(t.cache_key.clone()) {
            out.push(t);
        }
    };
    for name in sessions.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let t = Target::session(cfg, name, cache_dir, None).ok_or_else(|| Error::UnknownSession {
            name: shown(name).into_owned(),
            path: cfg.path.clone(),
            known: known_list(cfg.sessions.iter().map(|s| s.name.as_str())),
        })?;
        push(t);
    }
    for name in profiles.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let p = cfg.profile(name).ok_or_else(|| Error::UnknownProfile {
            name: shown(name).into_owned(),
            path: cfg.path.clone(),
            known: known_list(cfg.profiles.iter().map(|p| p.name.as_str())),
        })?;
        let t = match (&p.sso_session, p.is_legacy_sso()) {
            (Some(s), _) => Target::session(cfg, s, cache_dir, Some(p)).ok_or_else(|| Error::MissingSession {
                profile: shown(&p.name).into_owned(),
                session: shown(s).into_owned(),
                path: cfg.path.clone(),
            })?,
            (None, true) => {
                Target::legacy(cfg, p, cache_dir).ok_or_else(|| Error::NotSso(shown(&p.name).into_owned()))?
            }
            (None, false) => return Err(Error::NotSso(shown(&p.name).into_owned())),
        };
        push(t);
    }
    Ok(out)
}

/// What `AWS_PROFILE` selects for a command given no `--session`/`--profile`.
#[derive(Debug, Clone)]
pub enum Active {
    /// Not set (or empty): the command's own default applies.
    Unset,
    /// The token of this SSO profile (its sso-session, or the legacy profile itself).
    Selects(Target),
    /// A profile without SSO settings (static keys, a role to assume): nothing of ssofresh's
    /// to select, so the command's own default applies.
    NotSso(String),
}

/// `AWS_PROFILE`, as a selection: the profile's token, as `--profile` would select it. An
/// unknown profile, or one whose sso-session is missing, is an error that names the variable.
pub fn active(cfg: &AwsConfig, profile: Option<&str>, cache_dir: &Path) -> Result<Active, Error> {
    let Some(name) = profile.map(str::trim).filter(|p| !p.is_empty()) else { return Ok(Active::Unset) };
    match select(cfg, &[], &[name.to_string()], cache_dir) {
        Ok(mut t) if !t.is_empty() => Ok(Active::Selects(t.remove(0))),
        Ok(_) | Err(Error::NotSso(_)) => Ok(Active::NotSso(name.to_string())),
        Err(e) => Err(Error::Usage(format!("AWS_PROFILE={name}: {e}"))),
    }
}

/// The one session a command acts on: SESSION, else --profile, else the active profile
/// (`AWS_PROFILE`), else the only sso-session, else the default profile's. Several candidates →
/// the user names one; `command` names the command in the messages that say how.
pub fn choose(
    cfg: &AwsConfig,
    session: Option<&str>,
    profile: Option<&str>,
    active_profile: Option<&str>,
    dir: &Path,
    command: &str,
) -> Result<Target, Error> {
    let one = |sessions: &[String], profiles: &[String]| -> Result<Target, Error> {
        select(cfg, sessions, profiles, dir)?.into_iter().next().ok_or_else(|| Error::Usage("no session named".into()))
    };
    if let Some(s) = session.map(str::trim).filter(|s| !s.is_empty()) {
        return one(&[s.to_string()], &[]).map_err(|e| match (e, cfg.profile(s)) {
            // `ssofresh login dev` where dev is a profile: say how to name it.
            (Error::UnknownSession { .. }, Some(_)) => Error::Usage(format!(
                "'{s}' is a profile, not an sso-session: run {}",
                command_naming(&format!("ssofresh {command}"), Some("--profile"), s)
            )),
            (e, _) => e,
        });
    }
    if let Some(p) = profile.map(str::trim).filter(|p| !p.is_empty()) {
        return one(&[], &[p.to_string()]);
    }
    if let Some(p) = active_profile.map(str::trim).filter(|p| !p.is_empty()) {
        return one(&[], &[p.to_string()]).map_err(|e| Error::Usage(format!("AWS_PROFILE={p}: {e}")));
    }
    if cfg.sessions.len() == 1 {
        return one(&[cfg.sessions[0].name.clone()], &[]);
    }
    if cfg.profile("default").is_some_and(|p| p.sso_session.is_some() || p.is_legacy_sso()) {
        return one(&[], &["default".to_string()]);
    }
    let mut all = all(cfg, dir);
    if all.len() == 1 {
        return Ok(all.remove(0));
    }
    if all.is_empty() {
        return Err(Error::Usage(format!(
            "{} has no sso-session; add one with: {}, then run ssofresh {command} NAME",
            cfg.path.display(),
            session_setup_command(None)
        )));
    }
    let mut msg = format!("several SSO sessions are configured in {}; name one:\n", cfg.path.display());
    for t in &all {
        let how = match &t.kind {
            Kind::Session => command_naming(&format!("ssofresh {command}"), None, &t.name),
            Kind::Legacy { profile } => command_naming(&format!("ssofresh {command}"), Some("--profile"), profile),
        };
        let profiles = if t.profiles.is_empty() {
            "no profiles".to_string()
        } else {
            format!("profiles: {}", t.profiles.iter().map(|p| shown(p)).collect::<Vec<_>>().join(", "))
        };
        msg += &format!("  {how:<40} ({profiles})\n");
    }
    Err(Error::Usage(msg.trim_end().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> AwsConfig {
        AwsConfig::parse(
            "[profile a]\nsso_session = corp\n[profile b]\nsso_session = corp\n\
             [profile old]\nsso_start_url = https://old/start\nsso_region = us-east-1\n\
             [profile old2]\nsso_start_url = https://old/start\nsso_region = us-east-1\n\
             [profile static]\nregion = us-east-1\n[profile ghost]\nsso_session = nowhere\n\
             [sso-session corp]\nsso_start_url = https://corp/start\nsso_region = eu-west-1\n[sso-session other]\nsso_region = us-east-1\n",
        )
        .unwrap()
    }

    #[test]
    fn all_lists_sessions_then_legacy_once() {
        let t = all(&cfg(), Path::new("/c"));
        let names: Vec<_> = t.iter().map(Target::label).collect();
        assert_eq!(names, ["corp", "other", "profile old"]);
        assert_eq!(t[0].profiles, ["a", "b"]);
        assert_eq!(t[2].profiles, ["old", "old2"]);
        assert_eq!(t[0].cache_path, Path::new("/c").join(format!("{}.json", token_cache::cache_key("corp"))));
        assert_eq!(t[2].cache_key, token_cache::cache_key("https://old/start"));
    }

    #[test]
    fn select_dedupes_and_uses_the_profile_as_context() {
        let s = select(&cfg(), &["corp".into()], &["b".into(), "old".into()], Path::new("/c")).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].context_in(&cfg(), None).unwrap().name, "a");
        let s = select(&cfg(), &[], &["b".into()], Path::new("/c")).unwrap();
        assert_eq!(s[0].context_in(&cfg(), None).unwrap().name, "b");
        assert_eq!(s[0].login_command(), "ssofresh login corp");
        let s = select(&cfg(), &[], &["old2".into()], Path::new("/c")).unwrap();
        assert_eq!(s[0].login_command(), "ssofresh login --profile old2");
    }

    #[test]
    fn aws_profile_selects_like_profile_and_says_so_when_it_cannot() {
        let c = cfg();
        let dir = Path::new("/c");
        assert!(matches!(active(&c, None, dir), Ok(Active::Unset)));
        assert!(matches!(active(&c, Some(" "), dir), Ok(Active::Unset)));
        match active(&c, Some("b"), dir) {
            Ok(Active::Selects(t)) => assert_eq!((t.label(), t.via.as_deref()), ("corp".to_string(), Some("b"))),
            other => panic!("{other:?}"),
        }
        match active(&c, Some("old2"), dir) {
            Ok(Active::Selects(t)) => assert_eq!(t.label(), "profile old2"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(active(&c, Some("static"), dir), Ok(Active::NotSso(p)) if p == "static"));
        let e = active(&c, Some("nope"), dir).unwrap_err().to_string();
        assert!(e.starts_with("AWS_PROFILE=nope: unknown profile 'nope'"), "{e}");
        let e = active(&c, Some("ghost"), dir).unwrap_err().to_string();
        assert!(e.contains("AWS_PROFILE=ghost") && e.contains("'nowhere'"), "{e}");
    }

    #[test]
    fn commands_name_targets_as_one_shell_word_that_is_no_flag() {
        assert_eq!(session_login_command("corp"), "ssofresh login corp");
        assert_eq!(session_login_command("a,b"), "ssofresh login a,b");
        assert_eq!(session_login_command("x y"), "ssofresh login 'x y'");
        assert_eq!(session_login_command("$(id)"), "ssofresh login '$(id)'");
        assert_eq!(session_login_command("-x"), "ssofresh login -- -x");
        assert_eq!(
            session_setup_command(Some("x y")),
            "ssofresh configure sso-session 'x y' --start-url URL --region REGION --write"
        );
        assert_eq!(
            session_setup_command(Some("-x")),
            "ssofresh configure sso-session --start-url URL --region REGION --write -- -x"
        );
        assert_eq!(profile_login_command("old"), "ssofresh login --profile old");
        assert_eq!(profile_login_command("-p"), "ssofresh login --profile=-p");
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(selection_args(&strings(&["-x"]), &[]), ["--session=-x"]);
        assert_eq!(
            selection_args(&strings(&["a,b", "c"]), &strings(&["p"])),
            ["--session=a,b", "--session=c", "--profile=p", "--exact-names"]
        );
    }

    #[test]
    fn select_errors_name_what_is_wrong() {
        let c = cfg();
        let e = select(&c, &["nope".into()], &[], Path::new("/c")).unwrap_err().to_string();
        assert!(e.contains("'nope'") && e.contains("corp, other"), "{e}");
        let e = select(&c, &[], &["nope".into()], Path::new("/c")).unwrap_err().to_string();
        assert!(e.contains("unknown profile 'nope'"), "{e}");
        let e = select(&c, &[], &["static".into()], Path::new("/c")).unwrap_err().to_string();
        assert!(e.contains("no SSO settings"), "{e}");
        let e = select(&c, &[], &["ghost".into()], Path::new("/c")).unwrap_err().to_string();
        assert!(e.contains("'nowhere'"), "{e}");
    }
}
