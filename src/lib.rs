//! ssofresh keeps AWS IAM Identity Center (SSO) tokens fresh without a daemon.
//!
//! The binary is thin glue: `cli` parses, `cmd::*` run one subcommand each over the pieces
//! below.

pub mod activity;
pub mod browser;
pub mod cache;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod detach;
pub mod endpoint;
pub mod error;
pub mod export;
pub mod guard;
pub mod hint;
pub mod http;
pub mod interrupt;
pub mod lock;
pub mod login;
pub mod logout;
pub mod loopback;
pub mod manpage;
pub mod notify;
pub mod oidc;
pub mod paths;
pub mod pkce;
pub mod portal;
pub mod refresh;
pub mod registration;
pub mod role;
pub mod rolecache;
pub mod schedule;
pub mod secret;
pub mod session_status;
pub mod shell;
pub mod state;
pub mod style;
pub mod target;
pub mod timefmt;
pub mod units;
pub mod watch;
