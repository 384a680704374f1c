//! ssofresh keeps AWS IAM Identity Center (SSO) tokens fresh without a daemon.
//!
//! The folders are the layers; arrows point down only:
//!
//! - `cli` — the command line (clap definitions, the man page) and nothing else.
//! - `cmd` — one file per subcommand: takes the parsed command line, calls the layers below,
//!   prints, and returns the exit code.
//! - `shell`, `auth`, `notify` — features the commands share: prompt hooks and scheduler
//!   entries, interactive sign-in and sign-out, notifications.
//! - `engine` — what ssofresh decides: which tokens are due, refreshing them once under a
//!   lock, role credentials, the per-session state and the activity log.
//! - `aws` — AWS's formats and wire calls, as botocore and the SDKs have them: the config file,
//!   the token and role-credential caches, SSO-OIDC, the SSO portal, endpoints, HTTP.
//! - `sys`, `text` — the operating system (private atomic files, ownership checks, locks, paths,
//!   detached processes) and the words and numbers people read and type (durations, times,
//!   colour).

pub mod auth;
pub mod aws;
pub mod cli;
pub mod cmd;
pub mod engine;
pub mod error;
pub mod notify;
pub mod shell;
pub mod sys;
pub mod text;
