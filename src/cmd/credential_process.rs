//! `ssofresh credential-process`: role credentials in the `credential_process` format.

use super::common::{emit, role_credentials};
use crate::aws::portal::RoleCredentials;
use crate::cli::RoleArgs;
use crate::context::Context;
use crate::sys::stdio::errln;
use crate::text::timefmt;
use serde::Serialize;

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

pub fn run(ctx: &Context, args: &RoleArgs) -> u8 {
    if let Err(code) = super::common::refuse_unsafe_dirs(&ctx.paths) {
        return code;
    }
    match role_credentials(ctx, args) {
        Ok(r) => emit(&process_json(&r.fetched.creds)),
        Err(e) => {
            errln!("ssofresh: {e}");
            e.exit_code()
        }
    }
}
