//! ssofresh keeps AWS IAM Identity Center (SSO) tokens fresh without a daemon.
//!
//! The binary is thin glue: `cli` parses, `cmd::*` run one subcommand each over the pieces
//! below.

pub mod activity;
pub mod cache;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod endpoint;
pub mod error;
pub mod export;
pub mod http;
pub mod lock;
pub mod oidc;
pub mod paths;
pub mod portal;
pub mod refresh;
pub mod role;
pub mod rolecache;
pub mod secret;
pub mod session_status;
pub mod state;
pub mod style;
pub mod target;
pub mod timefmt;
pub mod units;
