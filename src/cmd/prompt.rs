//! `ssofresh prompt`: a short segment for PS1, starship, powerlevel10k or tide. Local files
//! only, like the hook, so it can run at every prompt; sessions are judged by
//! `session_status`, exactly as `ssofresh status` judges them.

use super::common::fail;
use crate::cli::{resolve, PromptArgs};
use crate::context::Context;
use crate::engine::session_status::{self, SessionStatus, State};
use crate::engine::watch;
use crate::error::{Error, EXIT_OK};
use crate::sys::stdio::outln;
use crate::text::duration::{self, Form};
use chrono::{DateTime, Utc};

pub fn run(ctx: &Context, args: &PromptArgs) -> u8 {
    let format = match Format::parse(&args.format) {
        Ok(f) => f,
        Err(msg) => return fail(&Error::Usage(msg)),
    };
    let paths = &ctx.paths;
    let (sessions, profiles) = (&args.selection.sessions(), &args.selection.profiles());
    let active = resolve::aws_profile();
    let watched = match watch::select(&paths.config_file, sessions, profiles, active.as_deref(), &paths.cache_dir) {
        Ok(w) => w,
        Err(e) => return fail(&e),
    };
    let unicode = resolve::unicode(args.symbols.unwrap_or(crate::cli::Symbols::Auto));
    let now = ctx.clock.now();
    let threshold = chrono::Duration::from_std(args.threshold.value).unwrap_or(chrono::Duration::MAX);
    let ends = resolve::horizon(&args.session_end);
    let parts: Vec<String> = watched
        .iter()
        .filter_map(|w| {
            let s = session_status::inspect(&w.target, &paths.state_dir, now, threshold, &ends);
            if s.state == State::NotLoggedIn && !w.explicit {
                return None;
            }
            let show_within = chrono::Duration::from_std(args.show_within).unwrap_or(chrono::Duration::MAX);
            // A part that says nothing (`{session_status}` alone, while all is well) is left out.
            Some(format.render(&s, now, unicode, show_within)).filter(|p| !p.is_empty())
        })
        .collect();
    if !parts.is_empty() {
        outln!("{}", parts.join(&args.separator));
    }
    EXIT_OK
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Var {
    Session,
    Left,
    Expires,
    Status,
    Icon,
    State,
    SessionLeft,
    SessionEnds,
    SessionStatus,
}

const VARS: &[(&str, Var)] = &[
    ("session", Var::Session),
    ("left", Var::Left),
    ("expires", Var::Expires),
    ("status", Var::Status),
    ("icon", Var::Icon),
    ("state", Var::State),
    ("session_left", Var::SessionLeft),
    ("session_ends", Var::SessionEnds),
    ("session_status", Var::SessionStatus),
];

#[derive(Debug, PartialEq)]
enum Piece {
    Text(String),
    Var(Var),
}

#[derive(Debug, PartialEq)]
pub struct Format(Vec<Piece>);

impl Format {
    pub fn parse(s: &str) -> Result<Format, String> {
        let known = || VARS.iter().map(|(n, _)| format!("{{{n}}}")).collect::<Vec<_>>().join(", ");
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    text.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(ch) => name.push(ch),
                            None => return Err(format!("--format {s:?}: `{{` without `}}` (write {{{{ for a brace)")),
                        }
                    }
                    let var = VARS.iter().find(|(n, _)| *n == name).map(|(_, v)| *v).ok_or_else(|| {
                        format!("--format {s:?}: unknown placeholder {{{name}}} (known: {})", known())
                    })?;
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(Piece::Var(var));
                }
                '}' => return Err(format!("--format {s:?}: `}}` without `{{` (write }}}} for a brace)")),
                _ => text.push(c),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Format(pieces))
    }

    /// One session's part, without trailing blanks (an empty placeholder at the end leaves
    /// none). `show_within`: `{session_status}` shows the time left once less than this is left.
    pub fn render(
        &self,
        s: &SessionStatus,
        now: DateTime<Utc>,
        unicode: bool,
        show_within: chrono::Duration,
    ) -> String {
        let warn = if unicode { "⚠" } else { "!" };
        let expires = s.token.as_ref().map(|t| t.expires);
        let left = match expires {
            Some(e) if e > now => duration::show(e - now, Form::Compact),
            Some(_) => "expired".into(),
            None => "-".into(),
        };
        let state = match s.state {
            State::Valid => "ok",
            State::Expiring => "due",
            State::ExpiredRefreshable => "expired",
            State::ReloginRequired | State::NotLoggedIn => "login",
            State::Legacy => "legacy",
            State::Unreadable => "error",
        };
        let needs_user = matches!(state, "login" | "error");
        let icon = if needs_user { warn } else { "" };
        let status = if needs_user { format!("{warn} {state}") } else { left.clone() };
        let session_left = match (&s.horizon, needs_user) {
            (_, true) => "ended".to_string(),
            (Some(h), _) => duration::show(h.ends_at - now, Form::Compact),
            (None, _) => "-".into(),
        };
        // What the user must act on: nothing while the session has time to spare.
        let session_status = match &s.horizon {
            _ if needs_user => format!("{warn} {state}"),
            Some(h) if h.ends_at - now <= show_within => session_left.clone(),
            _ => String::new(),
        };
        let mut out = String::new();
        for p in &self.0 {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(Var::Session) => out.push_str(&crate::sys::secret::one_line(&s.target.label(), 60)),
                Piece::Var(Var::Left) => out.push_str(&left),
                Piece::Var(Var::Expires) => match expires {
                    Some(e) => out.push_str(&crate::text::timefmt::local(e).time),
                    None => out.push('-'),
                },
                Piece::Var(Var::Status) => out.push_str(&status),
                Piece::Var(Var::Icon) => out.push_str(icon),
                Piece::Var(Var::State) => out.push_str(state),
                Piece::Var(Var::SessionLeft) => out.push_str(&session_left),
                Piece::Var(Var::SessionEnds) => match &s.horizon {
                    Some(h) => out.push_str(&crate::text::timefmt::local(h.ends_at).time),
                    None => out.push('-'),
                },
                Piece::Var(Var::SessionStatus) => out.push_str(&session_status),
            }
        }
        out.truncate(out.trim_end().len());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_parsing() {
        assert!(Format::parse("{session} {status}").is_ok());
        assert_eq!(Format::parse("{{x}}").unwrap(), Format(vec![Piece::Text("{x}".into())]));
        let e = Format::parse("{sesion}").unwrap_err();
        assert!(e.contains("{sesion}") && e.contains("{session}"), "{e}");
        assert!(Format::parse("{left").unwrap_err().contains("without"));
        assert!(Format::parse("left}").unwrap_err().contains("without"));
    }
}
