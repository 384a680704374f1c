//! What one invocation works with, resolved once from the command line, the environment and the
//! platform by `cli::resolve` (the only reader of the process environment): where files live,
//! the activity log's limits, the AWS variables, and the clock. Plain data, independent of the
//! command-line parser: commands take the context and hand the layers below the pieces they need.

use crate::aws::env::{AwsEnv, AwsEnvCell};
use crate::engine::activity::{ActivityLog, Limits};
use crate::sys::clock::Clock;
use crate::sys::paths::Paths;
use std::ffi::OsString;

#[derive(Debug)]
pub struct Context {
    pub paths: Paths,
    /// The activity log's rotation limits, for every append this process makes.
    pub log_limits: Limits,
    pub clock: Clock,
    aws: AwsEnvCell,
}

impl Context {
    /// `read_aws` reads the AWS variables; it runs once, when a command first needs them.
    pub fn new(paths: Paths, log_limits: Limits, clock: Clock, read_aws: fn() -> AwsEnv) -> Context {
        Context { paths, log_limits, clock, aws: AwsEnvCell::new(read_aws) }
    }

    /// `AWS_PROFILE`, the endpoint overrides and the proxy. Read on first use: the prompt hook,
    /// the prompt segment and the no-op tick, which run at every prompt, never need them.
    pub fn aws(&self) -> &AwsEnv {
        self.aws.get()
    }

    /// The same, unread, for the engine to read when (if) it makes a request.
    pub fn aws_cell(&self) -> &AwsEnvCell {
        &self.aws
    }

    /// The activity log, ready to append to.
    pub fn activity_log(&self) -> ActivityLog {
        ActivityLog { path: self.paths.log_file.clone(), limits: self.log_limits }
    }
}

/// Where the user's shell and desktop keep their files, for the commands that look there
/// (`init`, `doctor`); resolved only when one of them runs.
#[derive(Debug, Clone, Default)]
pub struct UserEnv {
    /// `PATH`: whether the hook can name the binary plainly.
    pub path: Option<OsString>,
    /// `XDG_CONFIG_HOME`: systemd user units, fish's configuration.
    pub xdg_config_home: Option<String>,
    /// `ZDOTDIR`: where zsh reads `.zshrc`.
    pub zdotdir: Option<String>,
    /// The Windows account, `USERDOMAIN\USERNAME`: whose logon starts the scheduled task.
    pub windows_account: Option<String>,
}
