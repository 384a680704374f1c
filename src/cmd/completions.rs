//! `ssofresh completions SHELL` prints the completion script clap_complete generates from the
//! whole command (never `Cli::parse_fast`'s reduced one), so it offers exactly what parses.
//! Commands, flags and fixed values complete from the script alone; profile and session names
//! (values of `<PROFILE>` and `<SESSION>`, and the SESSION of login, logout and configure
//! profiles) come from `ssofresh complete-names`, which the bash, zsh and fish scripts run at
//! each such TAB: the config changes, the script does not.

use crate::cli::{Cli, CompletionsArgs};
use clap::{ArgGroup, Command, CommandFactory};

pub fn run(args: &CompletionsArgs) -> u8 {
    let mut script = Vec::new();
    let mut cmd = visible_only(&Cli::command());
    clap_complete::generate(args.shell, &mut cmd, "ssofresh", &mut script);
    if args.shell == clap_complete::Shell::Fish {
        script.extend(fish_positional_values(&cmd).into_bytes());
    }
    let script = String::from_utf8_lossy(&script).into_owned();
    let script = match args.shell {
        clap_complete::Shell::Bash => bash_names(&script),
        clap_complete::Shell::Zsh => zsh_names(&script),
        clap_complete::Shell::Fish => fish_names(&script),
        _ => script,
    };
    super::common::print_generated(script.as_bytes(), "the completion script")
}

/// The flags whose values are profile or session names (every spelling), and the commands
/// whose positional SESSION is one.
const PROFILE_FLAGS: [&str; 2] = ["--profile", "-p"];
const SESSION_FLAGS: [&str; 3] = ["--session", "--sso-session", "-s"];
const SESSION_COMMANDS: [&str; 3] = ["login", "logout", "configure profiles"];

/// bash: the value of a name flag comes from `complete-names` instead of file names; the
/// commands that take a SESSION offer the session names beside their options.
fn bash_names(script: &str) -> String {
    let mut out = script.to_string();
    let files = "\n                    COMPREPLY=($(compgen -f \"${cur}\"))\n";
    for (flags, kind) in [(&PROFILE_FLAGS[..], "profiles"), (&SESSION_FLAGS[..], "sessions")] {
        for flag in flags {
            out = out.replace(
                &format!("                {flag}){files}"),
                &format!(
                    "                {flag})\n                    COMPREPLY=($(compgen -W \"$(\"$1\" complete-names {kind} 2>/dev/null)\" -- \"${{cur}}\"))\n"
                ),
            );
        }
    }
    for command in SESSION_COMMANDS {
        let block = format!("        ssofresh__subcmd__{})\n", command.replace(' ', "__subcmd__"));
        let Some(start) = out.find(&block) else { continue };
        let opts_end = out[start + block.len()..].find('\n').map(|i| start + block.len() + i + 1);
        if let Some(at) = opts_end {
            out.insert_str(
                at,
                "            [[ ${cur} == -* ]] || opts=\"${opts} $(\"$1\" complete-names sessions 2>/dev/null)\"\n",
            );
        }
    }
    out
}

/// zsh: `_arguments` actions for `<PROFILE>` and `<SESSION>` values and the positional SESSION,
/// through functions defined at the top of the script.
fn zsh_names(script: &str) -> String {
    const FUNCTIONS: &str = "\
# Profile and session names, from the config at each TAB (ssofresh complete-names).
_ssofresh_names() {
    local -a names
    names=(${(f)\"$(ssofresh complete-names $1 2>/dev/null)\"})
    compadd -a names
}
_ssofresh_profiles() { _ssofresh_names profiles }
_ssofresh_sessions() { _ssofresh_names sessions }
";
    let mut out = String::with_capacity(script.len() + 512);
    for line in script.split_inclusive('\n') {
        let line = line
            .replace(":PROFILE:_default'", ":PROFILE:_ssofresh_profiles'")
            .replace(":SESSION:_default'", ":SESSION:_ssofresh_sessions'");
        if line.starts_with("'::session -- ") {
            out.push_str(&line.replacen(":_default'", ":_ssofresh_sessions'", 1));
        } else {
            out.push_str(&line);
        }
        if line.starts_with("autoload -U is-at-least") {
            out.push('\n');
            out.push_str(FUNCTIONS);
        }
    }
    out
}

/// fish: the name flags take names from `complete-names`; the commands that take a SESSION
/// offer the session names.
fn fish_names(script: &str) -> String {
    let mut out = String::from(
        "# Profile and session names, from the config at each TAB (ssofresh complete-names).\n\
         function __fish_ssofresh_names\n    set -l cmd (commandline -opc)[1]\n    command -q $cmd; and command $cmd complete-names $argv 2>/dev/null\nend\n",
    );
    for line in script.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let kind = if body.contains(" -l profile ") {
            Some("profiles")
        } else if body.contains(" -l session ") || body.contains(" -l sso-session ") {
            Some("sessions")
        } else {
            None
        };
        match kind {
            Some(kind) if body.ends_with(" -r") => {
                out.push_str(&format!("{body} -f -a \"(__fish_ssofresh_names {kind})\"\n"));
            }
            _ => out.push_str(line),
        }
    }
    for command in SESSION_COMMANDS {
        let condition = match command.split_once(' ') {
            Some((outer, inner)) => {
                format!("__fish_ssofresh_using_subcommand {outer}; and __fish_seen_subcommand_from {inner}")
            }
            None => format!("__fish_ssofresh_using_subcommand {command}"),
        };
        out.push_str(&format!(
            "complete -c ssofresh -n \"{condition}\" -f -a \"(__fish_ssofresh_names sessions)\" -d 'sso-session'\n"
        ));
    }
    out
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
