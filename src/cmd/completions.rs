//! `ssofresh completions SHELL` prints the completion script clap_complete generates from the
//! whole command (never `Cli::parse_fast`'s reduced one), so it offers exactly what parses.

use crate::cli::{Cli, CompletionsArgs};
use clap::{ArgGroup, Command, CommandFactory};

pub fn run(args: &CompletionsArgs) -> u8 {
    let mut script = Vec::new();
    let mut cmd = visible_only(&Cli::command());
    clap_complete::generate(args.shell, &mut cmd, "ssofresh", &mut script);
    if args.shell == clap_complete::Shell::Fish {
        script.extend(fish_positional_values(&cmd).into_bytes());
    }
    super::common::print_generated(&script, "the completion script")
}

/// `cmd` without its hidden subcommands (`hook`) and arguments (test knobs): clap_complete's
/// scripts would offer them, and clap has no way to remove either, so the command is rebuilt
/// from what is visible.
pub fn visible_only(cmd: &Command) -> Command {
    // Without clap's `string` feature a Command's name must be &'static; this process prints
    // one script and exits, so leaking the few names costs nothing.
    let name: &'static str = Box::leak(cmd.get_name().to_owned().into_boxed_str());
    let visible = |id: &clap::Id| cmd.get_arguments().any(|a| a.get_id() == id && !a.is_hide_set());
    let groups = cmd.get_groups().map(|g| {
        let mut g = g.clone();
        let multiple = g.is_multiple();
        ArgGroup::new(g.get_id())
            .args(g.get_args().filter(|id| visible(id)).cloned())
            .multiple(multiple)
            .required(g.is_required_set())
    });
    let mut out = Command::new(name)
        .args(cmd.get_arguments().filter(|a| !a.is_hide_set()).cloned())
        .groups(groups.collect::<Vec<_>>())
        .subcommands(cmd.get_subcommands().filter(|s| !s.is_hide_set()).map(visible_only))
        .disable_help_subcommand(cmd.is_disable_help_subcommand_set())
        .subcommand_required(cmd.is_subcommand_required_set());
    if let Some(about) = cmd.get_about() {
        out = out.about(about.clone());
    }
    if let Some(version) = cmd.get_version() {
        out = out.version(Box::leak(version.to_owned().into_boxed_str()) as &'static str);
    }
    out
}

/// clap_complete's fish script completes only options: `ssofresh completions <TAB>` and
/// `ssofresh init <TAB>` would offer files. These lines offer the positional values, until one
/// is given, through the condition function the generated script defines.
fn fish_positional_values(cmd: &Command) -> String {
    let quote = |s: &str| crate::text::quote::quoted(crate::text::quote::Dialect::Fish, s);
    let mut out = String::new();
    for sub in cmd.get_subcommands() {
        for arg in sub.get_positionals().filter(|a| !a.is_hide_set()) {
            let values: Vec<_> = arg.get_possible_values().into_iter().filter(|v| !v.is_hide_set()).collect();
            let names: Vec<&str> = values.iter().map(|v| v.get_name()).collect();
            for v in &values {
                let mut line = format!(
                    "complete -c ssofresh -n \"__fish_ssofresh_using_subcommand {}; and not __fish_seen_subcommand_from {}\" -f -a {}",
                    sub.get_name(),
                    names.join(" "),
                    quote(v.get_name())
                );
                if let Some(help) = v.get_help() {
                    line += &format!(" -d {}", quote(&help.to_string()));
                }
                out += &line;
                out.push('\n');
            }
        }
    }
    out
}
