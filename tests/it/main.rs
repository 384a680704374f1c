//! The integration tests, one test binary: each module drives the built `ssofresh` (or the
//! library) for one area, sharing `common` (loopback stubs of the AWS endpoints, a temporary
//! HOME). One binary links once and runs every test in one harness; `cargo test --test it
//! hook::` runs one area.
//!
//! All tests share this process, so none may change process-wide state (environment, current
//! directory, umask, signal dispositions): children get what they need through `Command`.

// What the tests print is for the person running them; clippy.toml bans the std print macros
// in ssofresh itself, whose stdout may be a closed pipe.
#![allow(clippy::disallowed_macros)]

mod common;

// Not on Windows: the AWS CLI here is the Linux one from the CI virtual environment.
#[cfg(not(windows))]
mod awscli;
// Not on Windows: the reference is botocore from the CI's Linux virtual environment.
#[cfg(not(windows))]
mod botocore_config;
mod cache_write;
mod completions;
mod config_file;
mod configure;
mod credential_process;
mod docs;
mod doctor;
mod env;
// Not on Windows: runs sh and sends signals; there exec runs the command as a child instead.
#[cfg(not(windows))]
mod exec;
mod habits;
mod harden;
mod help;
mod hook;
mod horizon;
mod init;
mod log;
mod login;
// Not on Windows: the command it runs is botocore from the CI's Linux virtual environment.
mod names;
#[cfg(not(windows))]
mod newcomer;
mod notify;
mod process;
mod prompt;
mod properties;
// CPU time from wait4: Unix only.
#[cfg(unix)]
mod scale;
// Not on Windows: drives bash, zsh, fish and tmux.
#[cfg(not(windows))]
mod shell;
mod skew;
mod status;
mod tick;
mod wire;
