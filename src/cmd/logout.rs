//! `ssofresh logout [SESSION] [--profile P] [--all]`: sign out at the portal, then remove the
//! token cache and the role credentials cached from it.

use super::common::{combine, fail, load_config};
use crate::auth::logout::{self, Portal};
use crate::aws::config::AwsConfig;
use crate::aws::endpoint::{self, Service};
use crate::aws::http::{self, HttpSettings};
use crate::aws::role_cache::{self, Origin};
use crate::aws::token_cache::CachedToken;
use crate::cli::{resolve, LogoutArgs};
use crate::context::Context;
use crate::engine::activity::Entry;
use crate::engine::state::{self, SessionState};
use crate::engine::target::{self, Target};
use crate::error::{EXIT_OK, EXIT_USAGE};
use crate::sys::stdio::{errln, outln};
use std::io::ErrorKind;

pub fn run(ctx: &Context, args: &LogoutArgs) -> u8 {
    let paths = &ctx.paths;
    if let Err(code) = super::common::refuse_unsafe_dirs(paths) {
        return code;
    }
    let cfg = match load_config(ctx) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let dir = &paths.cache_dir;
    let targets: Vec<Target> = if args.all {
        target::all(&cfg, dir).into_iter().filter(|t| t.cache_path.exists()).collect()
    } else {
        let (session, profile) = (args.session.as_deref().or(args.session_flag.as_deref()), args.profile.as_deref());
        match target::choose(&cfg, session, profile, ctx.aws().profile.as_deref(), dir, "logout") {
            Ok(t) => vec![t],
            Err(e) => return fail(&e),
        }
    };
    let http = resolve::http(&args.timeouts);
    let role_dir = &paths.role_cache_dir();
    let mut client = None;
    let mut code = EXIT_OK;
    for t in &targets {
        code = combine(code, one(ctx, t, &cfg, http, &mut client));
    }
    // Temp files of writers killed mid-write hold tokens too.
    let temps = [crate::sys::fs::remove_stale_temps(dir), crate::sys::fs::remove_stale_temps(role_dir)]
        .into_iter()
        .chain([crate::sys::fs::remove_stale_temps_under(&paths.state_dir)])
        .map(|r| r.len())
        .sum::<usize>();
    if temps > 0 {
        outln!("Removed {temps} temp file(s) that killed ssofresh processes had left behind.");
    }
    if args.all {
        let swept = logout::sweep_role_credentials(role_dir);
        if !swept.is_empty() {
            outln!("Removed {} more cached SSO role credential(s) from {}.", swept.len(), role_dir.display());
        }
        if targets.is_empty() {
            outln!("No cached SSO token to remove.");
        }
    }
    code
}

fn one(ctx: &Context, t: &Target, cfg: &AwsConfig, http: HttpSettings, client: &mut Option<http::Client>) -> u8 {
    let label = t.label();
    let role_dir = &ctx.paths.role_cache_dir();
    // A region that is no host name is refused before anything is touched, the lock file
    // beside the cache included (checked again below with the token read under the lock).
    let peek = CachedToken::read(&t.cache_path).ok().flatten();
    if let Some(Err(e)) = t.sso_region(&cfg.path, peek.as_ref()).map(|r| endpoint::check_region(&r)) {
        errln!("ssofresh: {label}: {e}; nothing was removed");
        return EXIT_USAGE;
    }
    // A refresh running now would otherwise finish after us and could bring the token back.
    let _lock = match super::common::wait_for_cache_lock(t) {
        Ok(l) => l,
        Err((msg, code)) => {
            errln!("ssofresh: {label}: not logged out: {msg}; nothing was removed");
            return code;
        }
    };
    let mut done: Vec<String> = Vec::new();
    let mut code = EXIT_OK;
    let token = match CachedToken::read(&t.cache_path) {
        Ok(t) => t,
        Err(e) => {
            errln!("ssofresh: {label}: {e}; removing it all the same");
            None
        }
    };
    let region = t
        .sso_region(&cfg.path, token.as_ref())
        .unwrap_or_else(|| endpoint::Region::new("us-east-1", "the default region"));
    // A region that is no host name is a configuration error: fixed first, then logged out
    // properly, at the portal too; until then nothing is removed.
    if let Err(e) = endpoint::check_region(&region) {
        errln!("ssofresh: {label}: {e}; nothing was removed");
        return EXIT_USAGE;
    }
    match &token {
        Some(token) if token.expires() > ctx.clock.now() => {
            let context = t.context_in(cfg, ctx.aws().profile.as_deref());
            let portal = endpoint::resolve(Service::Sso, &region, context, cfg, |k| ctx.aws().var(k))
                .map_err(|e| e.to_string())
                .and_then(|(url, _)| {
                    if client.is_none() {
                        *client = Some(http::client(http, &ctx.aws().proxy).map_err(|e| e.to_string())?);
                    }
                    Ok(url)
                });
            let result = match (portal, client.as_ref()) {
                (Ok(url), Some(c)) => logout::portal_logout(c, &url, &token.access_token),
                (Err(e), _) => Portal::Failed(e),
                (Ok(_), None) => Portal::Failed("no HTTP client".into()),
            };
            match result {
                Portal::SignedOut => done.push("signed out at the portal".into()),
                Portal::AlreadyEnded => done.push("the portal had already ended the session".into()),
                Portal::Failed(m) => errln!(
                    "ssofresh: {label}: could not sign out at the portal ({m}); the Identity Center session stays active until it ends by itself"
                ),
            }
        }
        Some(_) => done.push("the access token had expired, so the portal was not called".into()),
        None => {}
    }
    match std::fs::remove_file(&t.cache_path) {
        Ok(()) => done.push(format!("removed the token cache {}", t.cache_path.display())),
        Err(e) if e.kind() == ErrorKind::NotFound => done.push("no cached token".into()),
        Err(e) => {
            errln!("ssofresh: {label}: cannot remove {}: {e}", t.cache_path.display());
            code = EXIT_USAGE;
        }
    }
    // A refreshed token kept for the next run holds the session's tokens too.
    let kept = crate::engine::pending::path(&t.cache_path);
    let mut kept_removed = false;
    match std::fs::remove_file(&kept) {
        Ok(()) => {
            kept_removed = true;
            done.push(format!("removed the unsaved refreshed token {}", kept.display()));
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => {
            errln!("ssofresh: {label}: cannot remove {}: {e}", kept.display());
            code = EXIT_USAGE;
        }
    }
    forget_login(ctx, t);
    // Role credentials are cached per account and role; only those of this session's profiles
    // can be told apart (the file names are hashes), so those are what goes.
    let owner = match (&t.kind, &t.start_url) {
        (target::Kind::Legacy { .. }, Some(url)) => Origin::StartUrl(url),
        _ => Origin::Session(&t.name),
    };
    let keys: Vec<String> = t
        .profiles
        .iter()
        .filter_map(|p| cfg.profile(p))
        .filter_map(|p| Some(role_cache::cache_key(p.sso_account_id.as_deref()?, p.sso_role_name.as_deref()?, owner)))
        .collect();
    let removed = logout::remove_role_credentials(role_dir, &keys);
    if !removed.is_empty() {
        done.push(format!("removed {} cached role credential(s) from {}", removed.len(), role_dir.display()));
    }
    let mut e = Entry::new("logout", &t.name, ctx.clock.now());
    e.message = Some(done.join("; "));
    ctx.activity_log().append(&e);
    if token.is_none() && removed.is_empty() && !kept_removed && code == EXIT_OK {
        outln!("{label}: not logged in; nothing to remove.");
    } else {
        outln!("Logged out of {label}: {}.", done.join("; "));
    }
    code
}

/// The session's state no longer holds a login: the next token in the cache is a new one. Only
/// a state that exists is touched (logout creates no state directory).
fn forget_login(ctx: &Context, t: &Target) {
    let path = state::state_path(&ctx.paths.state_dir, &t.cache_key);
    if !path.exists() {
        return;
    }
    let mut st = SessionState::load(&path);
    let before = st.clone();
    st.record_logout();
    if st != before {
        if let Err(e) = st.save(&path) {
            log::warn!("cannot save {}: {e}", path.display());
        }
    }
}
