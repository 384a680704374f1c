//! `ssofresh env`: role credentials as shell exports, in the spirit of
//! `aws configure export-credentials`.

use super::common::{emit, role_credentials};
use crate::cli::{resolve, EnvArgs};
use crate::context::Context;
use crate::sys::stdio::errln;

pub fn run(ctx: &Context, args: &EnvArgs) -> u8 {
    if let Err(code) = super::common::refuse_unsafe_dirs(&ctx.paths) {
        return code;
    }
    match role_credentials(ctx, &args.role) {
        Ok(r) => emit(
            crate::shell::export::render(resolve::env_format(args.format), &r.fetched.creds, r.region.as_deref())
                .as_bytes(),
        ),
        Err(e) => {
            errln!("ssofresh: {e}");
            e.exit_code()
        }
    }
}
