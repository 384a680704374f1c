//! `ssofresh configure …`: the config sections ssofresh writes, printed for review or, with
//! `--write`, added to the config file in place (`aws::config_edit`): an sso-session, a profile
//! per account and role, a credential_process profile.

mod credential_process;
mod profiles;
mod sso_session;

use crate::cli::ConfigureCommand;
use crate::context::Context;

pub fn run(ctx: &Context, command: &ConfigureCommand) -> u8 {
    match command {
        ConfigureCommand::SsoSession(args) => sso_session::run(ctx, args),
        ConfigureCommand::Profiles(args) => profiles::run(ctx, args),
        ConfigureCommand::CredentialProcess(args) => credential_process::run(ctx, args),
    }
}
