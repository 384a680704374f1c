//! Errors of an invocation as a whole, and the exit codes every command shares.

use std::path::PathBuf;

/// Every selected token is valid beyond the threshold, or was refreshed.
pub const EXIT_OK: u8 = 0;
/// A transient failure (network, endpoint fault, another process busy): try again later.
pub const EXIT_TRANSIENT: u8 = 1;
/// Usage or configuration: unknown profile or session, unreadable config, corrupt cache.
pub const EXIT_USAGE: u8 = 2;
/// A new interactive login is required.
pub const EXIT_RELOGIN: u8 = 3;

/// What stops an invocation before it starts its work: always a usage or configuration
/// problem, so always `EXIT_USAGE` (problems with one session are outcomes, not errors).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read the AWS config {path}: {source}")]
    ConfigRead { path: PathBuf, source: std::io::Error },
    #[error(
        "the AWS config {path} is {kind}, not a file; point AWS_CONFIG_FILE (or --config-file) at the config file"
    )]
    ConfigNotFile { path: PathBuf, kind: &'static str },
    #[error("the AWS config {path} is {size} bytes, more than the {max} ssofresh reads; is AWS_CONFIG_FILE (or --config-file) the right file?")]
    ConfigTooBig { path: PathBuf, size: u64, max: &'static str },
    #[error("cannot parse the AWS config {path}: {msg}")]
    ConfigParse { path: PathBuf, msg: String },
    #[error("unknown profile '{name}': {path} has no [profile {name}]{known}")]
    UnknownProfile { name: String, path: PathBuf, known: String },
    #[error("unknown sso-session '{name}': {path} has no [sso-session {name}]{known}")]
    UnknownSession { name: String, path: PathBuf, known: String },
    #[error("profile '{0}' has no SSO settings (neither sso_session nor sso_start_url)")]
    NotSso(String),
    #[error("profile '{profile}' uses sso-session '{session}', but {path} has no [sso-session {session}]")]
    MissingSession { profile: String, session: String, path: PathBuf },
    #[error("{0}")]
    Usage(String),
}

/// " (known: a, b, c)" for messages about a name that is not there (names shown with their
/// control characters escaped).
pub fn known_list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<std::borrow::Cow<'a, str>> = names.map(crate::text::shown::shown).collect();
    match names.len() {
        0 => String::new(),
        n if n <= 12 => format!(" (known: {})", names.join(", ")),
        n => format!(" (known: {}, … {} more)", names[..12].join(", "), n - 12),
    }
}
