//! The integration tests, one test binary: each module drives the built `ssofresh` (or the
//! library) for one area, sharing `common` (loopback stubs of the AWS endpoints, a temporary
//! HOME). One binary links once and runs every test in one harness; `cargo test --test it
//! hook::` runs one area.
//!
//! All tests share this process, so none may change process-wide state (environment, current
//! directory, umask, signal dispositions): children get what they need through `Command`.

mod common;

// Not on Windows: the AWS CLI here is the Linux one from the CI virtual environment.
#[cfg(not(windows))]
mod awscli;
mod cache_write;
mod completions;
mod credential_process;
mod doctor;
mod env;
mod harden;
mod hook;
mod init;
mod log;
mod login;
mod notify;
mod prompt;
mod properties;
// Not on Windows: drives bash, zsh, fish and tmux.
#[cfg(not(windows))]
mod shell;
mod skew;
mod status;
mod tick;
mod wire;
