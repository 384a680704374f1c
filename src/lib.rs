//! ssofresh keeps AWS IAM Identity Center (SSO) tokens fresh without a daemon.
//!
//! The binary is thin glue: `cli` parses, `cmd::*` run one subcommand each over the pieces
//! below.

pub mod activity;
pub mod cache;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod detach;
pub mod endpoint;
pub mod error;
pub mod hint;
pub mod http;
pub mod lock;
pub mod oidc;
pub mod paths;
pub mod refresh;
pub mod schedule;
pub mod secret;
pub mod shell;
pub mod state;
pub mod target;
pub mod timefmt;
pub mod units;
pub mod watch;
