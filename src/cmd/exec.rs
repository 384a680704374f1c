//! `ssofresh exec --profile P -- CMD ARGS…`: CMD with the profile's role credentials (refreshed
//! first when due) and region in its environment.
//!
//! On Unix ssofresh replaces itself with CMD (`execvp`) once the credentials are in hand, as
//! granted's `assume --exec` does, rather than staying as a parent (aws-vault's way): the exit
//! status, signals (Ctrl-C, SIGTERM from a supervisor, Ctrl-Z and job control) and the terminal
//! are then CMD's own with nothing in between to forward or get wrong, and no ssofresh process
//! keeps the credentials in its memory for CMD's lifetime. Elsewhere it starts CMD and passes
//! its exit code through.

use super::common::role_credentials;
use crate::cli::resolve::{self, EXEC_MARKER};
use crate::cli::ExecArgs;
use crate::context::Context;
use crate::error::EXIT_USAGE;
use crate::shell::export;
use crate::sys::stdio::errln;
use std::process::Command;

/// What a shell answers for a command it cannot run, or cannot find.
const EXIT_CANNOT_RUN: u8 = 126;
const EXIT_NOT_FOUND: u8 = 127;

/// Variables that would let CMD reach other credentials than the ones ssofresh puts there.
const REMOVED: [&str; 4] = ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_FILE"];

pub fn run(ctx: &Context, args: &ExecArgs) -> u8 {
    if let Some(outer) = resolve::exec_marker() {
        errln!(
            "ssofresh: already inside `ssofresh exec` for {outer} ({EXEC_MARKER} is set), and one set of credentials \
             inside another is easily mistaken; leave that shell first (exit), or unset {EXEC_MARKER}"
        );
        return EXIT_USAGE;
    }
    if let Err(code) = super::common::refuse_unsafe_dirs(&ctx.paths) {
        return code;
    }
    let Some((program, rest)) = args.command.split_first() else {
        errln!("ssofresh: exec needs a command: ssofresh exec --profile NAME -- COMMAND [ARGS…]");
        return EXIT_USAGE;
    };
    let role = match role_credentials(ctx, &args.role) {
        Ok(r) => r,
        Err(e) => {
            errln!("ssofresh: {e}");
            return e.exit_code();
        }
    };
    let mut cmd = Command::new(program);
    cmd.args(rest);
    for name in REMOVED {
        cmd.env_remove(name);
    }
    for (name, value) in export::variables(&role.fetched.creds, role.region.as_deref()) {
        cmd.env(name, value);
    }
    cmd.env(EXEC_MARKER, &role.label);
    let shown = program.to_string_lossy();
    let (code, why) = start(cmd);
    errln!("ssofresh: cannot run {shown}: {why}");
    code
}

/// Becomes the command; returns only when that failed: the exit code and why.
#[cfg(unix)]
fn start(mut cmd: Command) -> (u8, String) {
    use std::os::unix::process::CommandExt;
    let e = cmd.exec();
    why(&e)
}

/// Runs the command and passes its exit code through (Windows has no exec; Ctrl-C reaches the
/// whole console group, the command included).
#[cfg(not(unix))]
fn start(mut cmd: Command) -> (u8, String) {
    match cmd.status() {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(e) => why(&e),
    }
}

fn why(e: &std::io::Error) -> (u8, String) {
    match e.kind() {
        std::io::ErrorKind::NotFound => (EXIT_NOT_FOUND, "not found (check the name and PATH)".into()),
        std::io::ErrorKind::PermissionDenied => (EXIT_CANNOT_RUN, "permission denied (is it executable?)".into()),
        _ => (EXIT_CANNOT_RUN, e.to_string()),
    }
}
