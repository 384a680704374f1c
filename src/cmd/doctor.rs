//! `ssofresh doctor`: checks the setup and explains each problem in plain words, with the
//! exact fix (config lines, `chmod`, commands). Reads only; changes nothing.

use super::common::load_config;
use crate::aws::config::{AwsConfig, Profile};
use crate::aws::endpoint::{self, EndpointError, Region, Service};
use crate::aws::env::AwsEnv;
use crate::aws::token_cache::CachedToken;
use crate::cli::{resolve, DoctorArgs};
use crate::context::{Context, UserEnv};
use crate::engine::activity::Limits;
use crate::engine::horizon::{self, Basis};
use crate::engine::pending::Kept;
use crate::engine::session_status::{self, State};
use crate::engine::state::{self, SessionState};
use crate::engine::target::{self, Active, Target};
use crate::notify::{self, Backend};
use crate::shell::installed;
use crate::sys::guard::Unsafe;
use crate::text::duration::human;
use crate::text::quote::{self, Dialect};
use crate::text::shown::shown;
use crate::text::style::{self, Style, Tone};
use crate::text::timefmt;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Ok,
    /// Worth knowing, nothing to fix.
    Note,
    Problem,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub level: Level,
    pub title: String,
    /// Shown as written, indented: config lines and commands must stay exact.
    pub details: Vec<String>,
}

impl Finding {
    fn new(level: Level, title: impl Into<String>) -> Finding {
        Finding { level, title: title.into(), details: Vec::new() }
    }
    fn detail(mut self, line: impl Into<String>) -> Finding {
        self.details.push(line.into());
        self
    }
}

/// Everything doctor looks at, so tests and other callers can point it elsewhere.
pub struct Setup {
    pub config_path: PathBuf,
    pub config: Result<AwsConfig, String>,
    pub cache_dir: PathBuf,
    pub state_dir: PathBuf,
    pub activity_log: PathBuf,
    pub log_limits: Limits,
    pub home: PathBuf,
    /// The endpoint overrides in effect.
    pub aws: AwsEnv,
    /// Where the shells and systemd look for their files.
    pub user: UserEnv,
    /// What a tick started from this environment would notify with, or why it cannot start.
    pub notify: Result<notify::Settings, String>,
    /// The session lengths stated (`--session-duration`), for the session-end estimates.
    pub ends: horizon::Settings,
    /// Where the notification backends would look for the session bus and `sh`.
    pub notify_reach: notify::check::Reach,
}

pub fn run(ctx: &Context, args: &DoctorArgs) -> u8 {
    let paths = &ctx.paths;
    let setup = Setup {
        config_path: paths.config_file.clone(),
        config: load_config(ctx).map_err(|e| e.to_string()),
        cache_dir: paths.cache_dir.clone(),
        state_dir: paths.state_dir.clone(),
        activity_log: paths.log_file.clone(),
        log_limits: ctx.log_limits,
        home: paths.home.clone(),
        aws: ctx.aws().clone(),
        user: resolve::user_env(),
        notify: resolve::notify_from_env(),
        ends: resolve::horizon(&args.session_end),
        notify_reach: resolve::notify_reach(),
    };
    let findings = check(&setup, ctx.clock.now());
    let style = resolve::style(&args.color);
    crate::sys::stdio::out_bytes(render(&findings, style, &setup.home).as_bytes());
    if findings.iter().any(|f| f.level == Level::Problem) {
        1
    } else {
        0
    }
}

pub fn check(s: &Setup, now: DateTime<Utc>) -> Vec<Finding> {
    let mut out = Vec::new();
    match &s.config {
        Err(e) => {
            out.push(Finding::new(Level::Problem, e.clone()).detail("fix the file, then run ssofresh doctor again"))
        }
        Ok(cfg) if !cfg.found => out.push(
            Finding::new(Level::Problem, format!("no AWS config at {}", s.config_path.display()))
                .detail(format!("set up an sso-session: {}", target::session_setup_command(None)))
                .detail("(or point AWS_CONFIG_FILE at your config)"),
        ),
        Ok(cfg) => {
            out.push(Finding::new(
                Level::Ok,
                format!(
                    "config {}: {} sso-session{}, {} profile{}",
                    s.config_path.display(),
                    cfg.sessions.len(),
                    plural(cfg.sessions.len()),
                    cfg.profiles.len(),
                    plural(cfg.profiles.len())
                ),
            ));
            config_findings(cfg, &mut out);
            active_profile_finding(cfg, s, now, &mut out);
            let targets = target::all(cfg, &s.cache_dir);
            cache_findings(&targets, &mut out);
            clock_findings(&targets, &s.state_dir, now, &mut out);
            horizon_findings(&targets, &s.state_dir, &s.ends, now, &mut out);
            endpoint_findings(cfg, &targets, &s.aws, &mut out);
        }
    }
    permission_findings(s, &mut out);
    out.push(log_finding(&s.activity_log, s.log_limits));
    out.push(automation_finding(&s.home, &s.user));
    out.push(notification_finding(&s.notify, &s.notify_reach));
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn config_findings(cfg: &AwsConfig, out: &mut Vec<Finding>) {
    let path = cfg.path.display().to_string();
    let mut fine = true;
    for s in &cfg.sessions {
        let mut missing: Vec<&str> = Vec::new();
        if s.start_url.is_none() {
            missing.push("sso_start_url");
        }
        if s.region.is_none() {
            missing.push("sso_region");
        }
        if !missing.is_empty() {
            fine = false;
            out.push(
                Finding::new(
                    Level::Problem,
                    format!(
                        "sso-session '{}' has no {}: nobody can log in to it",
                        shown(&s.name),
                        missing.join(" or ")
                    ),
                )
                .detail(format!("add to [sso-session {}] in {path}:", header_name(&s.name)))
                .detail(format!("    {} = …", missing.join(" = …\n    "))),
            );
        }
        if s.registration_scopes.is_none() {
            fine = false;
            out.push(
                Finding::new(
                    Level::Problem,
                    format!(
                        "sso-session '{}' has no sso_registration_scopes: logins get no refresh token, so the token cannot be refreshed",
                        shown(&s.name)
                    ),
                )
                .detail(format!("add to [sso-session {}] in {path}:", header_name(&s.name)))
                .detail("    sso_registration_scopes = sso:account:access")
                .detail(format!("then log in again: {}", target::session_login_command(&s.name))),
            );
        }
    }
    for p in &cfg.profiles {
        if let Some(name) = &p.sso_session {
            if cfg.session(name).is_none() {
                fine = false;
                let known: Vec<std::borrow::Cow<'_, str>> = cfg.sessions.iter().map(|s| shown(&s.name)).collect();
                let mut f = Finding::new(
                    Level::Problem,
                    format!(
                        "profile '{}' uses sso-session '{}', which {path} does not define",
                        shown(&p.name),
                        shown(name)
                    ),
                )
                .detail(format!("add it: {}", target::session_setup_command(Some(name))))
                .detail("or point the profile at a session that exists");
                if !known.is_empty() {
                    f = f.detail(format!("sessions defined: {}", known.join(", ")));
                }
                out.push(f);
            }
        }
    }
    // One migration per start URL: the profiles that share it share one cache and one session.
    // Grouped in one pass, in file order: big configs have thousands of profiles.
    let mut groups: Vec<(&str, Vec<&Profile>)> = Vec::new();
    let mut group_of: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for p in cfg.legacy_profiles() {
        let Some(url) = p.sso_start_url.as_deref() else { continue };
        let i = *group_of.entry(url).or_insert_with(|| {
            groups.push((url, Vec::new()));
            groups.len() - 1
        });
        groups[i].1.push(p);
    }
    for (url, group) in &groups {
        fine = false;
        out.push(legacy_migration(cfg, group, url));
    }
    if fine && !cfg.sessions.is_empty() {
        out.push(Finding::new(
            Level::Ok,
            "every sso-session has a start URL, region and registration scopes; every profile's session exists",
        ));
    }
}

/// `AWS_PROFILE`, as `login`, `status` and `tick` take it: does it name a profile, and does its
/// session have a token that works?
fn active_profile_finding(cfg: &AwsConfig, s: &Setup, now: DateTime<Utc>, out: &mut Vec<Finding>) {
    let name = s.aws.profile.as_deref().map(str::trim).unwrap_or_default();
    let t = match target::active(cfg, Some(name), &s.cache_dir) {
        Ok(Active::Unset) => return,
        Ok(Active::NotSso(p)) => {
            out.push(Finding::new(
                Level::Note,
                format!("AWS_PROFILE={p} has no SSO settings: ssofresh has no token to keep fresh for it"),
            ));
            return;
        }
        Err(e) => {
            out.push(
                Finding::new(Level::Problem, e.to_string()).detail("fix AWS_PROFILE, or add the profile to the config"),
            );
            return;
        }
        Ok(Active::Selects(t)) => t,
    };
    // The default threshold: whether the token counts as expiring changes nothing here.
    let st = session_status::inspect(&t, &s.state_dir, now, chrono::Duration::minutes(20), &s.ends);
    let what = format!("AWS_PROFILE={name} uses {}", t.label());
    let left = st.expires_in(now).filter(|d| *d > chrono::Duration::zero()).map(|d| format!(", {} left", human(d)));
    match st.state {
        State::NotLoggedIn | State::ReloginRequired | State::Unreadable => {
            let why = st.message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default();
            out.push(
                Finding::new(Level::Problem, format!("{what}: {}{why}", st.state.words()))
                    .detail(format!("run: {}", t.login_command())),
            )
        }
        State::Legacy => out.push(Finding::new(
            Level::Note,
            format!("{what}: a legacy profile{}; it cannot be refreshed", left.unwrap_or_default()),
        )),
        _ => out.push(Finding::new(Level::Ok, format!("{what}: {}{}", st.state.words(), left.unwrap_or_default()))),
    }
}

/// The exact lines that turn legacy profiles into users of one new sso-session.
fn legacy_migration(cfg: &AwsConfig, group: &[&Profile], url: &str) -> Finding {
    let name = session_name_for(cfg, url, &group[0].name);
    // Without one the AWS CLI cannot log in either; say what belongs there.
    let region = group.iter().find_map(|p| p.sso_region.clone()).unwrap_or_else(|| "<your SSO region>".into());
    let names: Vec<String> = group.iter().map(|p| format!("'{}'", shown(&p.name))).collect();
    let which = if group.len() == 1 {
        format!("profile {} is a legacy SSO profile", names[0])
    } else {
        format!("profiles {} are legacy SSO profiles", names.join(", "))
    };
    let mut f = Finding::new(
        Level::Problem,
        format!("{which} (sso_start_url in the profile): its token lasts one session and cannot be refreshed"),
    )
    .detail(format!("migrate: add to {}", cfg.path.display()))
    .detail(format!("    [sso-session {}]", header_name(&name)))
    .detail(format!("    sso_start_url = {}", shown(url)))
    .detail(format!("    sso_region = {region}"))
    .detail("    sso_registration_scopes = sso:account:access");
    for p in group {
        f = f
            .detail(format!("in [{}] remove sso_start_url and sso_region, and add", section_name(&p.name)))
            .detail(format!("    sso_session = {}", shown(&name)));
    }
    f.detail(format!("then log in: {}", target::session_login_command(&name)))
        .detail(format!("(or: ssofresh configure sso-session {name} --start-url {url} --region {region} --write)"))
}

fn section_name(profile: &str) -> String {
    if profile == "default" {
        "default".into()
    } else {
        format!("profile {}", header_name(profile))
    }
}

/// A name as a section header must spell it: in double quotes when it holds what botocore's
/// split would break at (whitespace, quotes, a backslash); shown with control characters
/// escaped.
fn header_name(name: &str) -> String {
    let plain = !name.is_empty() && !name.contains([' ', '\t', '\r', '\n', '\'', '"', '\\']);
    let spelled =
        if plain { name.to_string() } else { format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\"")) };
    shown(&spelled).into_owned()
}

/// `corp` for `https://corp.awsapps.com/start`, else the profile's name; never one in use.
fn session_name_for(cfg: &AwsConfig, url: &str, fallback: &str) -> String {
    let host_label = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .and_then(|h| h.split('.').next().map(str::to_string))
        .filter(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    let base = host_label.unwrap_or_else(|| fallback.to_string());
    let mut name = base.clone();
    let mut n = 2;
    while cfg.session(&name).is_some() {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

fn cache_findings(targets: &[Target], out: &mut Vec<Finding>) {
    for t in targets {
        match crate::engine::pending::describe(&t.cache_path) {
            // AWS tools see the old token, whose refresh token may already be spent.
            Some(k @ Kept::Waiting { .. }) => out.push(
                Finding::new(Level::Problem, format!("{}: {}", t.label(), k.words()))
                    .detail("until then AWS tools see the old token; once the cache file can be written again (the program holding it open has let go of it), run:")
                    .detail("    ssofresh tick"),
            ),
            Some(k) => out.push(Finding::new(Level::Note, format!("{}: {}", t.label(), k.words()))),
            None => {}
        }
        if let Err(e) = CachedToken::read(&t.cache_path) {
            // An unsafe directory is reported once, by permission_findings, with its own fix.
            if let crate::aws::token_cache::CacheError::Unsafe(Unsafe::OpenDir { .. } | Unsafe::ForeignDir { .. }) = e {
                continue;
            }
            let finding = Finding::new(Level::Problem, format!("{}: unusable token cache: {e}", t.label()));
            // Maybe another program's write in progress: removing it could lose that login.
            out.push(if e.is_partial() {
                finding
                    .detail("another program may be writing it: run ssofresh doctor again in a moment; if it stays so, log in again:")
                    .detail(format!("    {}", t.login_command()))
            } else {
                finding
                    .detail("delete it and log in again:")
                    .detail(format!("    rm {} && {}", quote::path(Dialect::Posix, &t.cache_path), t.login_command()))
            });
        }
    }
}

/// The clock against the SSO endpoint's, as the last refresh of each session measured it (the
/// answer's `Date`); without such a measurement, files that carry a time in the future.
fn clock_findings(targets: &[Target], state_dir: &Path, now: DateTime<Utc>, out: &mut Vec<Finding>) {
    let margin = crate::sys::clock::SKEW_MARGIN;
    let fix = "tokens and role credentials are judged by this clock; enable time sync (timedatectl set-ntp true, or your OS's setting)";
    let (mut measured, mut skewed) = (0, 0);
    let mut future: Vec<(String, chrono::Duration)> = Vec::new();
    let mut checked = 0;
    for t in targets {
        let saved = SessionState::load(&state::state_path(state_dir, &t.cache_key));
        if let Some(skew) = &saved.clock_skew {
            measured += 1;
            let ahead = chrono::Duration::seconds(skew.ahead_secs);
            let at = timefmt::parse(&skew.at);
            if ahead.abs() > margin {
                skewed += 1;
                let direction = crate::engine::refresh::describe_skew(ahead);
                match at {
                    // Set back since: probably fixed; what was written then may be off.
                    Some(at) if now < at - margin => out.push(Finding::new(
                        Level::Note,
                        format!(
                            "{}: at its last refresh ({}) this machine's clock was {direction} the SSO endpoint's; it has been set back since",
                            t.label(),
                            skew.at
                        ),
                    )),
                    _ => out.push(
                        Finding::new(
                            Level::Problem,
                            format!(
                                "this machine's clock is {direction} the SSO endpoint's (measured at the last refresh of {}, {})",
                                t.label(),
                                skew.at
                            ),
                        )
                        .detail(fix),
                    ),
                }
            }
            continue;
        }
        if let Ok(m) = std::fs::metadata(&t.cache_path).and_then(|m| m.modified()) {
            checked += 1;
            let written = DateTime::<Utc>::from(m);
            if written - now > margin {
                future.push((format!("{} was written", t.cache_path.display()), written - now));
            }
        }
        let times = [
            ("last refresh", saved.last_refresh.as_ref().map(|r| r.at.clone())),
            ("last login", saved.login_at.clone()),
        ];
        for (what, at) in times {
            if let Some(at) = at.as_deref().and_then(timefmt::parse) {
                checked += 1;
                if at - now > margin {
                    future.push((format!("{}: the {what} was recorded", t.label()), at - now));
                }
            }
        }
    }
    if let Some((what, by)) = future.iter().max_by_key(|(_, d)| *d) {
        // The clock that wrote it was ahead of this one: it is behind now, or was ahead then.
        out.push(
            Finding::new(
                Level::Problem,
                format!(
                    "{what} {} in the future: this machine's clock is {} behind the one that wrote it (wrong now, or it was ahead then and has been set back)",
                    human(*by),
                    human(*by)
                ),
            )
            .detail(fix),
        );
    } else if skewed == 0 && measured > 0 {
        out.push(Finding::new(Level::Ok, "clock: agrees with the SSO endpoint's at the last refresh"));
    } else if skewed == 0 && checked > 0 {
        out.push(Finding::new(Level::Ok, "clock: no sign of skew in the token cache and state times"));
    }
}

/// Where each logged-in session's estimated end comes from, and how to make it exact: no AWS
/// API says when a session ends, so only a duration the user states is.
fn horizon_findings(
    targets: &[Target],
    state_dir: &Path,
    ends: &horizon::Settings,
    now: DateTime<Utc>,
    out: &mut Vec<Finding>,
) {
    use crate::text::duration::{show, Form};
    let mut inexact: Vec<String> = Vec::new();
    for t in targets {
        let s = session_status::inspect(t, state_dir, now, chrono::Duration::minutes(20), ends);
        let Some(h) = &s.horizon else { continue };
        let when = format!("~{}", crate::text::style::clock(h.ends_at, now));
        let l = &h.length;
        let f = match l.basis {
            // Legacy profiles and tokens without a refresh token have findings of their own.
            Basis::Token => continue,
            Basis::Configured => Finding::new(
                Level::Ok,
                format!(
                    "{}: the session ends {when}: {} after the login, as stated",
                    t.label(),
                    show(l.duration, Form::Setting)
                ),
            ),
            Basis::Learned => {
                let range = match l.range {
                    Some((lo, hi)) if hi - lo > chrono::Duration::minutes(1) => {
                        format!(", which lasted between {} and {}", human(lo), human(hi))
                    }
                    _ => String::new(),
                };
                Finding::new(
                    Level::Note,
                    format!(
                        "{}: the session ends {when} by an estimate learned from {} past session{}{range}",
                        t.label(),
                        l.sessions,
                        plural(l.sessions)
                    ),
                )
            }
            Basis::Assumed => Finding::new(
                Level::Note,
                format!(
                    "{}: the session ends {when} if it lasts AWS's default of {}; ssofresh has not seen one end yet",
                    t.label(),
                    show(l.duration, Form::Setting)
                ),
            ),
        };
        let login = match h.login_basis {
            horizon::LoginBasis::SsofreshLogin => "ssofresh login recorded the login time".to_string(),
            horizon::LoginBasis::CacheFileTime => {
                "the login time is the token cache's file time (ssofresh login records it exactly)".to_string()
            }
            horizon::LoginBasis::FirstSeen => {
                "the login time is when ssofresh first saw it (ssofresh login records it exactly)".to_string()
            }
        };
        if l.basis != Basis::Configured {
            // An example from what is known, rounded to the hour.
            inexact.push(format!("{}={}h", t.name, ((l.duration.num_minutes() + 30) / 60).max(1)));
        }
        out.push(f.detail(login));
    }
    if !inexact.is_empty() {
        let value = quote::word(Dialect::Posix, &inexact.join(","));
        out.push(
            Finding::new(
                Level::Note,
                "no AWS API tells when a session ends: state the session duration your administrator set (IAM Identity Center settings) to make the estimates exact, e.g. in your shell's startup file:",
            )
            .detail(format!("    export SSOFRESH_SESSION_DURATION={value}"))
            .detail("(8h alone for every session; the timers read it when installed with it set)"),
        );
    }
}

fn endpoint_findings(cfg: &AwsConfig, targets: &[Target], aws: &AwsEnv, out: &mut Vec<Finding>) {
    let (mut overrides, mut problems) = (0, 0);
    for t in targets.iter().filter(|t| !t.is_legacy()) {
        let region = t.sso_region(&cfg.path, None).unwrap_or_else(|| Region::new("us-east-1", "the default region"));
        for service in [Service::SsoOidc, Service::Sso] {
            let what = match service {
                Service::SsoOidc => "SSO-OIDC",
                Service::Sso => "SSO portal",
            };
            match endpoint::resolve(service, &region, t.context_in(cfg, aws.profile.as_deref()), cfg, |k| aws.var(k)) {
                Ok((url, source)) if source != "default" => {
                    overrides += 1;
                    out.push(Finding::new(
                        Level::Note,
                        format!("{}: {what} endpoint {url} (from {source})", t.label()),
                    ));
                }
                Ok(_) => {}
                Err(e @ EndpointError::BadRegion { .. }) => {
                    problems += 1;
                    out.push(
                        Finding::new(Level::Problem, format!("{}: {e}", t.label()))
                            .detail("the endpoints' host names are built from it (oidc.REGION.amazonaws.com): set it to the region of your IAM Identity Center, such as us-east-1"),
                    );
                    // One finding per session: the portal's endpoint has the same problem.
                    break;
                }
                Err(e) => {
                    problems += 1;
                    out.push(
                        Finding::new(Level::Problem, format!("{}: {e}", t.label()))
                            .detail("fix or unset the override (AWS_ENDPOINT_URL*, [services], endpoint_url)"),
                    )
                }
            }
        }
    }
    if overrides == 0 && problems == 0 && targets.iter().any(|t| !t.is_legacy()) {
        out.push(Finding::new(Level::Ok, "endpoints: the AWS defaults (no override in effect)"));
    }
}

#[cfg(unix)]
fn permission_findings(s: &Setup, out: &mut Vec<Finding>) {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    let mut open_dirs: Vec<PathBuf> = Vec::new();
    let mut open_files: Vec<PathBuf> = Vec::new();
    let mut foreign: Vec<PathBuf> = Vec::new();
    let mut look = |p: &Path, is_dir: bool| {
        let Ok(m) = std::fs::symlink_metadata(p) else { return };
        if m.permissions().mode() & 0o077 != 0 {
            if is_dir {
                open_dirs.push(p.to_path_buf());
            } else {
                open_files.push(p.to_path_buf());
            }
        }
        if m.uid() != uid {
            foreign.push(p.to_path_buf());
        }
    };
    look(&s.cache_dir, true);
    if let Ok(entries) = std::fs::read_dir(&s.cache_dir) {
        let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
        files.sort();
        for f in files {
            look(&f, false);
        }
    }
    look(&s.state_dir, true);
    for f in crate::engine::activity::files(&s.activity_log) {
        look(&f, false);
    }
    // What tick, credential-process, login and logout refuse outright (exit 2), in their words.
    for dir in [&s.cache_dir, &s.state_dir] {
        if let Err(u) = crate::sys::guard::check_dir(dir) {
            out.push(Finding::new(Level::Problem, u.to_string()));
        }
    }
    if !open_dirs.is_empty() || !open_files.is_empty() {
        let n = open_dirs.len() + open_files.len();
        let mut f = Finding::new(
            Level::Problem,
            format!("{n} token cache or state path{} can be read by other users of this machine", plural(n)),
        );
        for p in open_dirs.iter().chain(&open_files).take(8) {
            let mode = std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
            f = f.detail(format!("    {:04o}  {}", mode, style::home_path(p, &s.home)));
        }
        if n > 8 {
            f = f.detail(format!("… and {} more", n - 8));
        }
        f = f.detail("fix:");
        if !open_dirs.is_empty() {
            f = f.detail(format!(
                "    chmod 700 {}",
                open_dirs.iter().map(|p| quote::path(Dialect::Posix, p)).collect::<Vec<_>>().join(" ")
            ));
        }
        if !open_files.is_empty() {
            f = f.detail(format!(
                "    chmod 600 {}",
                open_files.iter().map(|p| quote::path(Dialect::Posix, p)).collect::<Vec<_>>().join(" ")
            ));
        }
        out.push(f);
    } else if s.cache_dir.exists() {
        out.push(Finding::new(Level::Ok, format!("permissions: {} and its files are private", s.cache_dir.display())));
    }
    if !foreign.is_empty() {
        let mut f = Finding::new(
            Level::Problem,
            "files belong to another user (a login run with sudo?): ssofresh cannot refresh them",
        );
        for p in foreign.iter().take(8) {
            f = f.detail(format!("    {}", style::home_path(p, &s.home)));
        }
        out.push(f.detail(format!(
                "fix: sudo chown -R \"$(id -u):$(id -g)\" {}",
                [&s.cache_dir, &s.state_dir]
                    .iter()
                    .filter(|p| p.exists())
                    .map(|p| quote::path(Dialect::Posix, p))
                    .collect::<Vec<_>>()
                    .join(" ")
            )));
    }
}

#[cfg(not(unix))]
fn permission_findings(_s: &Setup, _out: &mut Vec<Finding>) {}

/// A prompt hook (`ssofresh init` in a shell's startup file) or a timer (systemd, launchd,
/// cron) keeps tokens fresh; without one, nothing does.
fn automation_finding(home: &Path, user: &UserEnv) -> Finding {
    let places =
        installed::Places { home, zdotdir: user.zdotdir.as_deref(), xdg_config_home: user.xdg_config_home.as_deref() };
    let installed::Installed { found, disabled_timers: disabled } = installed::find(places, true);
    if found.is_empty() && !disabled.is_empty() {
        let mut f =
            Finding::new(Level::Problem, "the systemd timer is installed but not enabled, so nothing runs ssofresh");
        for name in disabled {
            f = f.detail(format!("    systemctl --user enable --now {name}"));
        }
        f
    } else if found.is_empty() {
        Finding::new(Level::Problem, "nothing runs ssofresh automatically, so tokens are refreshed only by hand")
            .detail("add a prompt hook to your shell's startup file, e.g. in ~/.zshrc:")
            .detail("    eval \"$(ssofresh init zsh)\"")
            .detail(
                "or run ssofresh tick from a timer (systemd, launchd, cron or Task Scheduler: ssofresh init --help)",
            )
    } else {
        Finding::new(Level::Ok, format!("automatic refresh: {}", found.join("; ")))
    }
}

fn log_finding(path: &Path, limits: Limits) -> Finding {
    let files = crate::engine::activity::files(path);
    let bytes: u64 = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
    let what = if files.is_empty() {
        "no activity yet".to_string()
    } else {
        format!("{} file{}, {}", files.len(), plural(files.len()), size(bytes))
    };
    let rotation = if limits.max_size == 0 {
        "never rotated".to_string()
    } else {
        format!("rotated at {}, {} files kept", size(limits.max_size), limits.max_files)
    };
    Finding::new(Level::Note, format!("activity log {} ({what}; {rotation})", path.display()))
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}

/// The notifications a tick started from this environment sends: where to, about what, how
/// often, and whether the backend can deliver here (the helper and a session bus for the
/// desktop, `sh` for a command; checked without sending: `ssofresh notify --test` sends one).
fn notification_finding(settings: &Result<notify::Settings, String>, reach: &notify::check::Reach) -> Finding {
    let s = match settings {
        Ok(s) => s,
        Err(e) => {
            return Finding::new(
                Level::Problem,
                format!("notifications: every tick refuses to start with these settings: {e}"),
            )
            .detail(
                "each --notify… flag is read from its SSOFRESH_NOTIFY… variable; ssofresh notify --help lists them",
            )
        }
    };
    if s.backend == Backend::None {
        return Finding::new(Level::Note, "notifications: off (SSOFRESH_NOTIFY=none)");
    }
    let about: Vec<&str> = [(s.on_error, "problems"), (s.on_success, "refreshes"), (s.on_login, "new logins")]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, what)| *what)
        .collect();
    if about.is_empty() {
        return Finding::new(
            Level::Note,
            format!("notifications: {}, but every event is turned off (SSOFRESH_NOTIFY_ON_*)", s.describe_backend()),
        );
    }
    let how = match notify::check::check(s, reach) {
        Ok(how) => how,
        Err(e) => {
            return Finding::new(
                Level::Problem,
                format!("notifications: {}, but {}, so none would arrive", s.describe_backend(), e.why),
            )
            .detail(format!("fix: {}", e.fix))
        }
    };
    Finding::new(
        Level::Note,
        format!(
            "notifications: {} ({how}) about {}, the same one at most every {}; send a sample with: ssofresh notify --test",
            s.describe_backend(),
            match about.split_last() {
                Some((last, [])) => last.to_string(),
                Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
                None => String::new(),
            },
            crate::text::duration::show(s.interval, crate::text::duration::Form::Setting)
        ),
    )
}

pub fn render(findings: &[Finding], style: Style, home: &Path) -> String {
    let mut out = String::new();
    let problems = findings.iter().filter(|f| f.level == Level::Problem).count();
    for f in findings {
        let (tone, word) = match f.level {
            Level::Ok => (Tone::Good, "ok"),
            Level::Note => (Tone::Dim, "note"),
            Level::Problem => (Tone::Bad, "problem"),
        };
        let (head, indent) = if style.rich {
            (format!("{} ", style.paint(tone, style.symbol(tone))), 2)
        } else {
            (format!("{word:<8} "), 9)
        };
        for (i, line) in style::wrap(&style::home_relative(&f.title, home), style::WIDTH - indent).iter().enumerate() {
            let lead = if i == 0 { head.clone() } else { " ".repeat(indent) };
            let text = if i == 0 && f.level == Level::Problem { style.paint(Tone::Bold, line) } else { line.clone() };
            out.push_str(&format!("{lead}{text}\n"));
        }
        for d in &f.details {
            for l in d.lines() {
                // Indented lines are config lines and commands: exact, never wrapped.
                let lines = if l.starts_with("    ") {
                    vec![l.to_string()]
                } else {
                    style::wrap(&style::home_relative(l, home), style::WIDTH - indent)
                };
                for l in lines {
                    out.push_str(&format!("{}{l}\n", " ".repeat(indent)));
                }
            }
        }
    }
    out.push('\n');
    out.push_str(&match problems {
        0 => "No problems found.\n".to_string(),
        1 => "1 problem found.\n".to_string(),
        n => format!("{n} problems found.\n"),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Sound;
    use std::time::Duration;

    fn settings(backend: Backend, on_error: bool) -> notify::Settings {
        notify::Settings {
            backend,
            command: None,
            sound: Sound::Default,
            on_success: true,
            on_error,
            on_login: false,
            on_session_ending: false,
            interval: Duration::from_secs(5400),
            timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn notifications_are_described_as_a_tick_would_send_them() {
        // The test's own PATH, where sh (or on Windows cmd) is.
        let reach = notify::check::Reach { path: std::env::var_os("PATH"), ..Default::default() };
        let notification_finding = |s: &Result<notify::Settings, String>| notification_finding(s, &reach);
        let f = notification_finding(&Ok(settings(Backend::Command, true)));
        assert_eq!(f.level, Level::Note);
        assert!(f.title.contains("command") && f.title.contains("about problems and refreshes"), "{}", f.title);
        assert!(f.title.contains("every 1h30m") && f.title.contains("notify --test"), "{}", f.title);
        let f = notification_finding(&Ok(settings(Backend::None, true)));
        assert!(f.title.contains("off"), "{}", f.title);
        let f = notification_finding(&Ok(notify::Settings { on_success: false, ..settings(Backend::Desktop, false) }));
        assert!(f.title.contains("every event is turned off"), "{}", f.title);
        let nowhere = notify::check::Reach { path: Some("/nowhere".into()), ..Default::default() };
        let f = super::notification_finding(&Ok(settings(Backend::Command, true)), &nowhere);
        assert_eq!(f.level, Level::Problem);
        assert!(f.title.contains(", which is not on PATH"), "{}", f.title);
        let f = notification_finding(&Err("invalid value 'soon' for '--notify-interval <DURATION>'".into()));
        assert_eq!(f.level, Level::Problem);
        assert!(f.title.contains("refuses to start") && f.title.contains("'soon'"), "{}", f.title);
    }
}
