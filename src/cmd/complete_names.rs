//! `ssofresh complete-names profiles|sessions` (hidden): what the completion scripts offer for
//! `--profile` and `--session` values, read from the config at each TAB. Local and quiet: no
//! network, no message (a broken config completes nothing), one line per name.

use crate::aws::config::AwsConfig;
use crate::cli::{CompleteNamesArgs, NameKind};
use crate::context::Context;
use crate::error::EXIT_TRANSIENT;

pub fn run(ctx: &Context, args: &CompleteNamesArgs) -> u8 {
    let path = &ctx.paths.config_file;
    let names: Vec<String> = match args.kind {
        // The sections alone, as the no-op tick reads them.
        NameKind::Sessions => match AwsConfig::load_sessions(path, &[]) {
            Ok(c) => c.sessions.into_iter().map(|s| s.name).collect(),
            Err(_) => return EXIT_TRANSIENT,
        },
        // Only profiles with something to keep fresh: the others are refused by every command.
        NameKind::Profiles => match AwsConfig::load(path) {
            Ok(c) => c
                .profiles
                .into_iter()
                .filter(|p| p.sso_session.is_some() || p.sso_start_url.is_some())
                .map(|p| p.name)
                .collect(),
            Err(_) => return EXIT_TRANSIENT,
        },
    };
    let mut out = String::with_capacity(names.iter().map(|n| n.len() + 1).sum());
    // A name a shell would split or that could move the cursor is no candidate.
    for n in names.iter().filter(|n| !n.chars().any(|c| c.is_whitespace() || c.is_control())) {
        out.push_str(n);
        out.push('\n');
    }
    super::common::print_generated(out.as_bytes(), "the names")
}
