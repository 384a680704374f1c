//! ssofresh keeps AWS IAM Identity Center (SSO) tokens fresh without a daemon.
//!
//! The folders are the layers; arrows point down only:
//!
//! - `cmd` — one file per subcommand: takes the resolved `context` and its own arguments, calls
//!   the layers below, prints, and returns the exit code.
//! - `cli` — the command line (argument definitions, the man page), and `cli::resolve`, which
//!   turns what was parsed into the `context` and each command's settings: the only reader of
//!   the environment. Nothing below `cli` and `cmd` knows about the command-line parser.
//! - `shell`, `auth`, `notify` — features the commands share: prompt hooks and scheduler
//!   entries, interactive sign-in and sign-out, notifications.
//! - `engine` — what ssofresh decides: which tokens are due, refreshing them once under a
//!   lock, role credentials, the per-session state and the activity log.
//! - `aws` — AWS's formats and wire calls, as botocore and the SDKs have them: the config file,
//!   the token and role-credential caches, SSO-OIDC, the SSO portal, endpoints, HTTP.
//! - `sys`, `text` — the operating system (private atomic files, ownership checks, locks, paths,
//!   detached processes) and the words and numbers people read and type (durations, times,
//!   colour).

// The binary needs only `run`. The modules that are public besides are so for the integration
// tests (`tests/`), the fuzz targets (`fuzz/fuzz_targets/`) and the desktop helper
// (`src/bin/notify_desktop.rs`), and inside them only what those use is `pub`: the rest is
// `pub(crate)`, so that code nothing uses is reported.
mod auth;
pub mod aws;
pub mod cli;
mod cmd;
mod context;
pub mod engine;
mod error;
pub mod notify;
mod shell;
pub mod sys;
pub mod text;

use std::process::ExitCode;

/// The whole of `ssofresh`: parse the command line, resolve it once into the context, run the
/// command.
pub fn run() -> ExitCode {
    // Before anything is read: from the first token on, a core dump would hold secrets.
    sys::coredump::disable();
    let cli = cli::Cli::parse_fast();
    cli::resolve::logging();
    let code = match cli::resolve::context(&cli.global) {
        Ok(ctx) => cmd::run(&ctx, &cli.command),
        Err(e) => cmd::common::fail(&e),
    };
    ExitCode::from(code)
}
