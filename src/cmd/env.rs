//! `ssofresh env`: role credentials as shell exports, in the spirit of
//! `aws configure export-credentials`.

use super::credential_process::{emit, obtain};
use crate::cli::{EnvArgs, Global};

pub fn run(global: &Global, args: &EnvArgs) -> u8 {
    if let Err(code) = super::refuse_unsafe_dirs(global) {
        return code;
    }
    match obtain(global, &args.role) {
        Ok(f) => emit(crate::shell::export::render(args.format, &f.creds).as_bytes()),
        Err(e) => {
            eprintln!("ssofresh: {e}");
            e.exit_code()
        }
    }
}
