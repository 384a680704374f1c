//! `ssofresh credential-process`: role credentials in the `credential_process` format.

use crate::aws::config::AwsConfig;
use crate::aws::portal::RoleCredentials;
use crate::cli::{resolve, RoleArgs};
use crate::context::Context;
use crate::engine::role::{self, Fetched, RoleError, RoleSpec};
use crate::error::{EXIT_OK, EXIT_TRANSIENT};
use crate::notify::Notifier;
use crate::text::timefmt;
use serde::Serialize;
use std::io::Write;

/// Resolves the role named by the arguments and gets its credentials (cached or fetched),
/// notifying about a token refresh on the way.
pub fn obtain(ctx: &Context, args: &RoleArgs) -> Result<Fetched, RoleError> {
    // Like the AWS CLI, the active profile is the default; but not when a session is named.
    let env_profile = ctx.aws.profile.clone().filter(|_| args.session.is_none());
    let profile = args.profile.clone().or(env_profile);
    // The cached path needs only this profile and the sessions; the rest is read if a fetch is due.
    let named: Vec<String> = profile.iter().cloned().collect();
    let cfg = match AwsConfig::load_sessions(&ctx.paths.config_file, &named) {
        Ok(c) if profile.as_ref().is_none_or(|p| c.profile(p).is_some()) => c,
        // An unknown profile: the message lists the known ones, from the whole file.
        _ => super::load_config(ctx).map_err(|e| RoleError::Config { source: e, hint: String::new() })?,
    };
    let spec = RoleSpec::resolve(
        &cfg,
        profile.as_deref(),
        args.session.as_deref(),
        args.account_id.as_deref(),
        args.role_name.as_deref(),
        &ctx.paths.cache_dir,
    )?;
    let opts = resolve::role(ctx, args);
    let notify = resolve::notify(&args.refresh.notify);
    let s = &opts.settings;
    let notifier = Notifier { settings: &notify, threshold: s.threshold, state_dir: &s.state_dir, log: &s.log };
    let fetched =
        role::credentials(&spec, &cfg, &opts, &mut |report| notifier.report(&spec.target, report, ctx.clock.now()))?;
    log::debug!(
        "{}: credentials from {:?}, valid until {}",
        spec.label(),
        fetched.source,
        timefmt::format(fetched.creds.expiration)
    );
    if let Some(w) = &fetched.cache_warning {
        eprintln!("ssofresh: warning: {w}");
    }
    Ok(fetched)
}

/// The `credential_process` contract: `Version` 1 (an integer), ISO 8601 `Expiration` with `Z`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessOutput<'a> {
    version: u8,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: &'a str,
    expiration: String,
    account_id: &'a str,
}

pub fn process_json(c: &RoleCredentials) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(&ProcessOutput {
        version: 1,
        access_key_id: c.access_key_id.expose(),
        secret_access_key: c.secret_access_key.expose(),
        session_token: c.session_token.expose(),
        expiration: timefmt::format(c.expiration),
        account_id: &c.account_id,
    })
    .expect("serializing strings cannot fail");
    out.push(b'\n');
    out
}

/// Writes the one thing that may carry secrets to stdout, in one write.
pub fn emit(bytes: &[u8]) -> u8 {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("ssofresh: cannot write the credentials to stdout: {e}");
            EXIT_TRANSIENT
        }
    }
}

pub fn run(ctx: &Context, args: &RoleArgs) -> u8 {
    if let Err(code) = super::refuse_unsafe_dirs(&ctx.paths) {
        return code;
    }
    match obtain(ctx, args) {
        Ok(f) => emit(&process_json(&f.creds)),
        Err(e) => {
            eprintln!("ssofresh: {e}");
            e.exit_code()
        }
    }
}
