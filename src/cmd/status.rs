//! `ssofresh status`: what each session's token is worth now, for people (`status`), scripts
//! (`--json`) and conditions (`--check`). Reads files only: never refreshes, never connects.

use super::common::{combine, fail, load_config};
use crate::cli::{resolve, StatusArgs};
use crate::context::Context;
use crate::engine::activity::{self, Entry};
use crate::engine::horizon::Horizon;
use crate::engine::pending::{self, Kept};
use crate::engine::session_status::{self, SessionStatus, State};
use crate::engine::target::{self, Active, Kind, Target};
use crate::error::{EXIT_OK, EXIT_RELOGIN, EXIT_USAGE};
use crate::sys::stdio::errln;
use crate::text::duration::human;
use crate::text::style::{self, clock, relative, Style, Tone};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// Bumped only on incompatible changes (a field removed, renamed or re-typed); new fields may
/// appear within a version.
pub const SCHEMA_VERSION: u32 = 1;

/// How much of the activity log `status` reads, from the end: enough for recent lines of every
/// session, small enough to stay fast on a log of any size.
const ACTIVITY_BUDGET: u64 = 256 * 1024;

pub fn run(ctx: &Context, args: &StatusArgs) -> u8 {
    let cfg = match load_config(ctx) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let paths = &ctx.paths;
    let dir = &paths.cache_dir;
    // --all, else --session/--profile, else AWS_PROFILE's session, else every session.
    let mut note = None;
    let (targets, explicit): (Vec<Target>, bool) = if args.all {
        (target::all(&cfg, dir), false)
    } else if !args.selection.is_empty() {
        match target::select(&cfg, &args.selection.sessions(), &args.selection.profiles(), dir) {
            Ok(t) => (t, true),
            Err(e) => return fail(&e),
        }
    } else {
        match target::active(&cfg, ctx.aws().profile.as_deref(), dir) {
            Ok(Active::Selects(t)) => {
                note = Some(format!(
                    "(AWS_PROFILE={} selects {}; ssofresh status --all shows every session)",
                    ctx.aws().profile.as_deref().unwrap_or_default().trim(),
                    t.label()
                ));
                (vec![t], true)
            }
            Ok(Active::NotSso(p)) => {
                note = Some(format!("(AWS_PROFILE={p} has no SSO settings; every session is shown)"));
                (target::all(&cfg, dir), false)
            }
            Ok(Active::Unset) => (target::all(&cfg, dir), false),
            Err(e) => return fail(&e),
        }
    };
    let now = ctx.clock.now();
    let threshold = chrono::Duration::from_std(args.threshold.value).unwrap_or(chrono::Duration::MAX);
    let ends = resolve::horizon(&args.session_end);
    let statuses: Vec<SessionStatus> =
        targets.iter().map(|t| session_status::inspect(t, &paths.state_dir, now, threshold, &ends)).collect();
    // Refreshed tokens that could not be written to the cache (one `stat` each).
    let kept: Vec<Option<Kept>> = targets.iter().map(|t| pending::describe(&t.cache_path)).collect();

    let mut out = Vec::new();
    if args.json {
        let report = Report {
            schema_version: SCHEMA_VERSION,
            generated_at: crate::text::timefmt::format(now),
            threshold_seconds: args.threshold.value.as_secs(),
            config_file: cfg.path.display().to_string(),
            sessions: statuses.iter().zip(&kept).map(|(s, k)| SessionJson::of(s, k.as_ref(), now)).collect(),
        };
        // Serializing plain strings and numbers into memory cannot fail.
        let _ = serde_json::to_writer_pretty(&mut out, &report);
        out.push(b'\n');
    } else if !args.check {
        let style = resolve::style(&args.color);
        if statuses.is_empty() {
            let what = if cfg.found { "has no sso-session or SSO profile" } else { "does not exist" };
            let setup = target::session_setup_command(None);
            let _ = writeln!(out, "{} {what}; set one up with: {setup}", cfg.path.display());
        } else {
            let recent = recent_activity(&paths.log_file, &statuses, args.activity);
            out.extend(render(&statuses, &kept, &recent, style, now, &paths.home, ends.warn_before()).into_bytes());
        }
        if let Some(n) = &note {
            let _ = writeln!(out, "\n{}", style.paint(Tone::Dim, n));
        }
    }
    // A closed pipe (`status | head`) ends the command here, quietly (`stdio`).
    crate::sys::stdio::out_bytes(&out);
    if args.check {
        check(&statuses, explicit)
    } else {
        EXIT_OK
    }
}

/// The `--check` verdict, with a line on stderr for each session that needs something.
fn check(statuses: &[SessionStatus], explicit: bool) -> u8 {
    if statuses.is_empty() {
        errln!("ssofresh: no sso-session is configured; set one up with: {}", target::session_setup_command(None));
        return EXIT_USAGE;
    }
    // Without a selection, sessions never logged in are someone's old config, not a problem,
    // unless nothing at all is logged in.
    let none_logged_in = statuses.iter().all(|s| s.state == State::NotLoggedIn);
    let mut code = EXIT_OK;
    for s in statuses {
        let label = s.target.label();
        let login = s.target.login_command();
        let why = s.message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default();
        match s.state {
            State::ReloginRequired => {
                errln!("ssofresh: {label}: re-login required{why} — run: {login}");
                code = combine(code, EXIT_RELOGIN);
            }
            State::NotLoggedIn if explicit || none_logged_in => {
                errln!("ssofresh: {label}: not logged in — run: {login}");
                code = combine(code, EXIT_RELOGIN);
            }
            State::Unreadable => {
                errln!("ssofresh: {label}: {}", s.message.as_deref().unwrap_or("unreadable token cache"));
                code = combine(code, EXIT_USAGE);
            }
            _ => {}
        }
    }
    code
}

#[derive(Serialize)]
struct Report<'a> {
    schema_version: u32,
    generated_at: String,
    threshold_seconds: u64,
    config_file: String,
    sessions: Vec<SessionJson<'a>>,
}

/// One session in `status --json`. Every key is always present (null when unknown), so a
/// script can index without checking.
#[derive(Serialize)]
struct SessionJson<'a> {
    name: &'a str,
    /// `sso-session` or `legacy-profile`.
    kind: &'static str,
    start_url: Option<&'a str>,
    region: Option<&'a str>,
    profiles: &'a [String],
    state: &'static str,
    needs_login: bool,
    reason: Option<&'a str>,
    message: Option<&'a str>,
    login_command: String,
    /// The Identity Center session's estimated end, while it is logged in.
    session_ends_at: Option<String>,
    session_ends_in_seconds: Option<i64>,
    /// `configured`, `learned`, `assumed` or `token`.
    session_ends_basis: Option<&'static str>,
    /// The session length the estimate uses.
    session_duration_seconds: Option<i64>,
    /// `learned`: how many past sessions it agrees with.
    session_learned_from: Option<usize>,
    /// The current login, and how its time is known.
    login_at: Option<String>,
    login_at_basis: Option<&'static str>,
    expires_at: Option<&'a str>,
    expires_in_seconds: Option<i64>,
    refreshable: bool,
    has_refresh_token: bool,
    registration_expires_at: Option<&'a str>,
    last_refresh: Option<LastRefreshJson<'a>>,
    last_login_at: Option<String>,
    backoff_until: Option<&'a str>,
    /// Transient failures in a row behind the back-off.
    failures: u32,
    cache_file: String,
    /// A refreshed token that could not be written to the cache, kept beside it.
    kept_token: Option<KeptJson>,
}

#[derive(Serialize)]
struct KeptJson {
    /// `waiting` (the next tick puts it in place), `superseded` (the cache moved on; it is
    /// removed unused) or `unreadable`.
    state: &'static str,
    file: String,
}

#[derive(Serialize)]
struct LastRefreshJson<'a> {
    time: &'a str,
    outcome: &'a str,
    error: Option<&'a str>,
    message: Option<&'a str>,
}

impl<'a> SessionJson<'a> {
    fn of(s: &'a SessionStatus, kept: Option<&Kept>, now: DateTime<Utc>) -> SessionJson<'a> {
        let t = &s.target;
        let token = s.token.as_ref();
        SessionJson {
            name: &t.name,
            kind: match t.kind {
                Kind::Session => "sso-session",
                Kind::Legacy { .. } => "legacy-profile",
            },
            start_url: t.start_url.as_deref(),
            region: t.region.as_deref(),
            profiles: &t.profiles,
            state: s.state.as_str(),
            needs_login: s.state.needs_login(),
            reason: s.reason.as_deref(),
            message: s.message.as_deref(),
            login_command: t.login_command(),
            session_ends_at: s.horizon.as_ref().map(|h| crate::text::timefmt::format(h.ends_at)),
            session_ends_in_seconds: s.horizon.as_ref().map(|h| (h.ends_at - now).num_seconds()),
            session_ends_basis: s.horizon.as_ref().map(|h| h.length.basis.as_str()),
            session_duration_seconds: s.horizon.as_ref().map(|h| h.length.duration.num_seconds()),
            session_learned_from: s
                .horizon
                .as_ref()
                .filter(|h| h.length.basis == crate::engine::horizon::Basis::Learned)
                .map(|h| h.length.sessions),
            login_at: s.last_login.map(crate::text::timefmt::format),
            login_at_basis: s.login_basis.map(|b| b.as_str()),
            expires_at: token.map(|t| t.expires_at.as_str()),
            expires_in_seconds: s.expires_in(now).map(|d| d.num_seconds()),
            refreshable: s.refreshable,
            has_refresh_token: token.is_some_and(|t| t.has_refresh_token),
            registration_expires_at: token.and_then(|t| t.registration_expires_at.as_deref()),
            last_refresh: s.saved.last_refresh.as_ref().map(|r| LastRefreshJson {
                time: &r.at,
                outcome: &r.outcome,
                error: r.error.as_deref(),
                message: r.message.as_deref(),
            }),
            last_login_at: s.last_login.map(crate::text::timefmt::format),
            backoff_until: s.saved.backoff_until.as_deref(),
            failures: s.saved.failures,
            cache_file: t.cache_path.display().to_string(),
            kept_token: kept.map(|k| KeptJson { state: k.as_str(), file: k.path().display().to_string() }),
        }
    }
}

/// The last `per_session` activity entries of each session, oldest first.
fn recent_activity(log: &Path, statuses: &[SessionStatus], per_session: usize) -> HashMap<String, Vec<Entry>> {
    let mut found: HashMap<String, Vec<Entry>> = HashMap::new();
    if per_session == 0 || statuses.is_empty() {
        return found;
    }
    // A set: the log's lines are many, and so may the sessions be.
    let names: std::collections::HashSet<&str> = statuses.iter().map(|s| s.target.name.as_str()).collect();
    activity::tail(log, per_session * names.len(), ACTIVITY_BUDGET, None, |line| {
        let Ok(e) = serde_json::from_slice::<Entry>(line) else { return false };
        if !names.contains(e.session.as_str()) {
            return false;
        }
        let list = found.entry(e.session.clone()).or_default();
        if list.len() >= per_session {
            return false;
        }
        list.push(e);
        true
    });
    for list in found.values_mut() {
        list.reverse();
    }
    found
}

/// Label column: two spaces, the label padded to 12, two spaces; values get the rest of 80.
const INDENT: usize = 16;
const VALUE: usize = style::WIDTH - INDENT;

fn tone(state: State) -> Tone {
    match state {
        State::Valid => Tone::Good,
        State::Expiring | State::ExpiredRefreshable | State::Legacy => Tone::Warn,
        State::ReloginRequired | State::Unreadable => Tone::Bad,
        State::NotLoggedIn => Tone::Dim,
    }
}

pub fn render(
    statuses: &[SessionStatus],
    kept: &[Option<Kept>],
    recent: &HashMap<String, Vec<Entry>>,
    style: Style,
    now: DateTime<Utc>,
    home: &Path,
    warn_before: chrono::Duration,
) -> String {
    let mut out = String::new();
    for (i, s) in statuses.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let recent = recent.get(&s.target.name).map(Vec::as_slice).unwrap_or(&[]);
        session(&mut out, s, kept.get(i).and_then(Option::as_ref), recent, style, now, home, warn_before);
    }
    out
}

/// `~17:18, in 3h 10m (learned from 3 sessions)`: when the session is estimated to end.
fn session_ends(h: &Horizon, now: DateTime<Utc>) -> String {
    let basis = h.basis_words();
    if h.ends_at > now {
        format!("~{}, in {} ({basis})", clock(h.ends_at, now), human(h.ends_at - now))
    } else {
        format!(
            "~{}, {} ago by the estimate ({basis}); it may end at any moment",
            clock(h.ends_at, now),
            human(now - h.ends_at)
        )
    }
}

#[allow(clippy::too_many_arguments)]
fn session(
    out: &mut String,
    s: &SessionStatus,
    kept: Option<&Kept>,
    recent: &[Entry],
    style: Style,
    now: DateTime<Utc>,
    home: &Path,
    warn_before: chrono::Duration,
) {
    let t = &s.target;
    let token = s.token.as_ref();
    let tone = tone(s.state);
    // The session's end leads; the access token's time left, which ssofresh keeps renewing,
    // is a row of its own below it.
    let time_left = token.map(|k| {
        if k.expires > now {
            format!("{} left (until {})", human(k.expires - now), clock(k.expires, now))
        } else {
            format!("expired {} ago ({})", human(now - k.expires), clock(k.expires, now))
        }
    });
    let words = s.state.words().to_string();
    let symbol = style.symbol(tone);
    let prefix = if symbol.is_empty() { String::new() } else { format!("{} ", style.paint(tone, symbol)) };
    let name = style.fit(&t.label(), 30);
    let room = style::WIDTH.saturating_sub(style::columns(&prefix) + name.chars().count() + 2);
    let words = style.fit(&words, room);
    out.push_str(&format!("{prefix}{}: {}\n", style.paint(Tone::Bold, &name), style.paint(tone, &words)));

    let mut line = |label: &str, value: &str| row(out, style, label, value);
    if let Some(h) = &s.horizon {
        line("session ends", &session_ends(h, now));
    }
    if let Some(left) = &time_left {
        line("token", left);
    }
    if let Some(m) = &s.message {
        let m = style::home_relative(m, home);
        match s.state {
            State::ReloginRequired => line("why", &m),
            State::Legacy => line("note", &m),
            // The message carries the advice, which depends on what is wrong with the file.
            State::Unreadable => line("why", &m),
            _ => {}
        }
    }
    if let Some(k) = kept {
        line("unsaved", &style::home_relative(&k.words(), home));
    }
    let ending = s.horizon.as_ref().is_some_and(|h| h.ending(now, warn_before));
    match s.state {
        State::ReloginRequired | State::NotLoggedIn | State::Unreadable => line("run", &t.login_command()),
        _ if ending => line("run", &format!("{} (before the session ends)", t.login_command())),
        State::ExpiredRefreshable => line("run", "ssofresh tick (or any AWS command: the SDK refreshes it too)"),
        State::Expiring => line("next", "the next tick refreshes it"),
        _ => {}
    }
    if !t.profiles.is_empty() {
        let profiles: Vec<String> = t.profiles.iter().map(|p| crate::text::shown::shown(p).into_owned()).collect();
        let mut shown = profiles.join(", ");
        if shown.chars().count() > VALUE {
            let mut list = String::new();
            for (i, p) in profiles.iter().enumerate() {
                let more = format!(", {} more", t.profiles.len() - i);
                let next = if i == 0 { p.clone() } else { format!("{list}, {p}") };
                if next.chars().count() + more.chars().count() > VALUE {
                    list += &more;
                    break;
                }
                list = next;
            }
            shown = list;
        }
        line("profiles", &shown);
    }
    if let Some(url) = &t.start_url {
        let region = t.region.as_deref().map(|r| format!(" ({})", crate::text::shown::shown(r))).unwrap_or_default();
        line("start URL", &format!("{}{region}", crate::text::shown::shown(url)));
    }
    if let Some(k) = token {
        let registration = k
            .registration_expires
            .map(|r| {
                if r > now {
                    format!("registration until {} ({})", clock(r, now), human(r - now))
                } else {
                    format!("registration expired {} ago", human(now - r))
                }
            })
            .unwrap_or_else(|| "no registration expiry in the cache".into());
        let value = if s.refreshable {
            format!("yes; {registration}")
        } else if t.is_legacy() {
            "no (legacy profile)".to_string()
        } else {
            match s.reason.as_deref() {
                Some("rejected") => "no: the refresh token was rejected".to_string(),
                Some("registration_expired") => format!("no: {registration}"),
                Some("no_client") => "no: no client registration in the cache".to_string(),
                _ => "no: no refresh token in the cache".to_string(),
            }
        };
        line("refresh", &value);
    }
    if let Some(r) = &s.saved.last_refresh {
        let when = crate::text::timefmt::parse(&r.at).map(|at| format!("{} ({})", relative(at, now), clock(at, now)));
        let error = r.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
        let what = match r.outcome.as_str() {
            "ok" => "ok".to_string(),
            "relogin" => format!("rejected{error}"),
            other => format!("{other}{error}"),
        };
        let words =
            r.message.as_deref().map(|m| format!(" ({})", crate::sys::secret::one_line(m, 160))).unwrap_or_default();
        line("last refresh", &format!("{what}{words}, {}", when.unwrap_or_else(|| r.at.clone())));
    }
    if let Some(until) = s.saved.backoff_until().filter(|u| *u > now) {
        let n = s.saved.failures;
        line(
            "back-off",
            &format!(
                "backing off until {} after {n} failure{}: the prompt hook and timers wait; ssofresh tick tries now",
                clock(until, now),
                if n == 1 { "" } else { "s" }
            ),
        );
    }
    if let Some(at) = s.last_login {
        let how = s.login_basis.map(|b| format!(", {}", b.words())).unwrap_or_default();
        line("last login", &format!("{} ({}{how})", relative(at, now), clock(at, now)));
    }
    for (i, e) in recent.iter().enumerate() {
        let when =
            crate::text::timefmt::parse(&e.time).map(|t| style::clock_column(t, now)).unwrap_or_else(|| e.time.clone());
        let text = format!("{when}  {}", e.summary(now, false));
        line(if i == 0 { "activity" } else { "" }, &style.fit(&text, VALUE));
    }
}

/// `  label         value`, the value wrapped on words to fit 80 columns (a single word too
/// long for a line, such as a URL, is cut).
fn row(out: &mut String, style: Style, label: &str, value: &str) {
    for (i, l) in style::wrap(value, VALUE).iter().enumerate() {
        let label = if i == 0 { label } else { "" };
        let pad = " ".repeat(12usize.saturating_sub(label.chars().count()));
        let line = format!("  {}{pad}  {}", style.paint(Tone::Dim, label), style.fit(l, VALUE));
        out.push_str(line.trim_end());
        out.push('\n');
    }
}
