//! `ssofresh credential-process`: role credentials in the `credential_process` format.

use super::{load_config, settings};
use crate::aws::config::AwsConfig;
use crate::aws::portal::RoleCredentials;
use crate::cli::{Global, RoleArgs};
use crate::engine::role::{self, Fetched, Options, RoleError, RoleSpec};
use crate::error::{EXIT_OK, EXIT_TRANSIENT};
use crate::text::timefmt;
use serde::Serialize;
use std::io::Write;

/// Resolves the role named by the arguments and gets its credentials (cached or fetched).
pub fn obtain(global: &Global, args: &RoleArgs) -> Result<Fetched, RoleError> {
    // Like the AWS CLI, the active profile is the default; but not when a session is named.
    let env_profile = std::env::var("AWS_PROFILE").ok().filter(|_| args.session.is_none());
    let profile = args.profile.clone().or(env_profile);
    // The cached path needs only this profile and the sessions; the rest is read if a fetch is due.
    let named: Vec<String> = profile.iter().cloned().collect();
    let cfg = match AwsConfig::load_sessions(&super::config_path(global), &named) {
        Ok(c) if profile.as_ref().is_none_or(|p| c.profile(p).is_some()) => c,
        // An unknown profile: the message lists the known ones, from the whole file.
        _ => load_config(global).map_err(|e| RoleError::Config { source: e, hint: String::new() })?,
    };
    let spec = RoleSpec::resolve(
        &cfg,
        profile.as_deref(),
        args.session.as_deref(),
        args.account_id.as_deref(),
        args.role_name.as_deref(),
        &super::cache_dir(global),
    )?;
    let opts = Options {
        window: args.window,
        use_cache: !args.no_cache,
        cache_dir: crate::aws::role_cache::dir(args.role_cache_dir.as_deref()),
        settings: settings(global, &args.refresh, false),
    };
    let fetched = role::credentials(&spec, &cfg, &opts)?;
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

pub fn run(global: &Global, args: &RoleArgs) -> u8 {
    if let Err(code) = super::refuse_unsafe_dirs(global) {
        return code;
    }
    match obtain(global, args) {
        Ok(f) => emit(&process_json(&f.creds)),
        Err(e) => {
            eprintln!("ssofresh: {e}");
            e.exit_code()
        }
    }
}
