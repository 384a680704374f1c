//! The man page, generated from the clap definitions so it cannot drift from what parses.
//!
//! `whole()` is ssofresh(1) with every command in it: one file to install and one page to search,
//! the way ripgrep and hyperfine ship theirs. `command()` is one command's own page,
//! ssofresh-tick(1), for those who keep git-style pages per subcommand.
//!
//! clap_mangen renders the synopsis and option lists; this module arranges them into pages and
//! adds what clap does not know: exit status, environment, files.

use crate::error::{known_list, Error, EXIT_OK, EXIT_RELOGIN, EXIT_TRANSIENT, EXIT_USAGE};
use clap::{Arg, Command, CommandFactory};
use clap_mangen::roff::{bold, italic, roman, Inline, Roff};
use clap_mangen::Man;
use std::collections::BTreeMap;
use std::io::Write;

const MANUAL: &str = "User Commands";
const VERSION: &str = env!("SSOFRESH_VERSION");

/// What roff's `to_writer` puts before every rendering; a page carries it once.
const PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";

/// ASCII stand-ins for the few non-ASCII characters the help uses, for a terminal without
/// UTF-8 (`LANG=C`): groff uses a fallback glyph only where the device lacks the real one, and
/// other roff implementations skip the request.
const FALLBACKS: &str = "\
.if \\n(.g .fchar \\[u26A0] !
.if \\n(.g .fchar \\[u2026] ...
.if \\n(.g .fchar \\[u2014] \\-\\-
.if \\n(.g .fchar \\[u2192] \\->
";

/// ssofresh(1): the global options, then every command with its own options and notes.
pub fn whole() -> Vec<u8> {
    let root = root();
    let man = page(&root, &root);
    let mut out = opening(&man, &root);
    out += &own(|r| {
        r.control("SH", ["COMMANDS"]);
        r.text([roman("Every command also takes the global options above.")]);
    });
    for cmd in leaves(&root) {
        out += &command_section(&root, &cmd);
    }
    out += &own(|r| {
        exit_status(r);
        environment(r, &root);
        files(r);
        examples(r);
        see_also(r);
    });
    out += &fragment(&man, Man::render_version_section);
    out.into_bytes()
}

/// ssofresh-COMMAND(1): one command (`["configure", "credential-process"]` for a nested one).
pub fn command(path: &[String]) -> Result<Vec<u8>, Error> {
    let root = root();
    let mut cmd = &root;
    for name in path {
        cmd = cmd.find_subcommand(name).ok_or_else(|| {
            let known = known_list(visible(cmd).iter().map(|c| c.get_name()));
            Error::Usage(format!("no command '{}'{known}; `ssofresh man` prints the whole manual", path.join(" ")))
        })?;
    }
    let man = page(&root, cmd);
    let mut out = opening(&man, cmd);
    if cmd.has_subcommands() {
        out += &fragment(&man, Man::render_subcommands_section);
    }
    out += &own(|r| {
        if let Some(after) = after_help(cmd) {
            r.control("SH", ["NOTES"]);
            prose(r, &after);
        }
        r.control("SH", ["SEE ALSO"]);
        r.text([bold("ssofresh"), roman("(1): the global options, exit status, environment, files and examples.")]);
    });
    out += &fragment(&man, Man::render_version_section);
    Ok(out.into_bytes())
}

/// The whole command, built: global options propagated, subcommand names set ("ssofresh tick").
fn root() -> Command {
    let mut cmd = crate::cli::Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// clap_mangen's view of `cmd`: without the global options (they are documented once, on the
/// top-level page) and without `--help` repeated under every command.
fn page(root: &Command, cmd: &Command) -> Man {
    let is_root = std::ptr::eq(root, cmd);
    let cmd = cmd.clone().mut_args(|a| {
        let repeated = !is_root && a.is_global_set();
        if repeated || a.get_id() == "help" {
            a.hide(true)
        } else {
            a
        }
    });
    // A subcommand's page shows the version too; subcommands do not carry one themselves.
    // An empty date would vanish from `.TH` unquoted and shift source and manual into its
    // place; `""` keeps it an (empty) argument when built outside a git checkout.
    let date = match env!("SSOFRESH_DATE") {
        "" => "\"\"",
        date => date,
    };
    Man::new(cmd.version(VERSION)).manual(MANUAL).date(date).source(concat!("ssofresh ", env!("CARGO_PKG_VERSION")))
}

fn visible(cmd: &Command) -> Vec<&Command> {
    cmd.get_subcommands().filter(|c| !c.is_hide_set()).collect()
}

/// The commands the whole page describes, in `--help` order: `configure credential-process`
/// rather than `configure`, which does nothing by itself.
fn leaves(cmd: &Command) -> Vec<Command> {
    let mut out = Vec::new();
    for sub in visible(cmd) {
        if sub.has_subcommands() {
            out.extend(leaves(sub));
        } else {
            out.push(sub.clone());
        }
    }
    out
}

/// One command's part of ssofresh(1), under `.SS ssofresh tick`.
fn command_section(root: &Command, cmd: &Command) -> String {
    let man = page(root, cmd);
    let name = cmd.get_bin_name().unwrap_or_else(|| cmd.get_name()).to_string();
    let mut out = own(|r| {
        r.control("SS", [name.as_str()]);
    });
    out += &demote(&fragment(&man, Man::render_synopsis_section));
    out += &own(|r| {
        r.control("PP", []);
        prose(r, &long_about(cmd));
    });
    out += &demote(&fragment(&man, Man::render_options_section));
    if let Some(after) = after_help(cmd) {
        out += &own(|r| {
            r.control("PP", []);
            prose(r, &after);
        });
    }
    out
}

/// A top-level page's sections as parts of one command's subsection: `.SH SYNOPSIS` goes,
/// `.SH NOTIFICATIONS` becomes a paragraph labelled "Notifications:".
fn demote(roff: &str) -> String {
    let mut out = String::new();
    for line in roff.lines() {
        match line.strip_prefix(".SH ") {
            Some("SYNOPSIS") => {}
            Some(heading) => {
                let heading = heading.trim_matches('"').to_lowercase();
                let mut label = heading.chars();
                let label = match label.next() {
                    Some(first) => first.to_uppercase().chain(label).collect::<String>(),
                    None => continue,
                };
                out += &own(|r| {
                    r.control("PP", []);
                    r.text([italic(format!("{label}:"))]);
                });
            }
            None => {
                out += line;
                out.push('\n');
            }
        }
    }
    out
}

fn long_about(cmd: &Command) -> String {
    cmd.get_long_about().or_else(|| cmd.get_about()).map(|s| s.to_string()).unwrap_or_default()
}

fn after_help(cmd: &Command) -> Option<String> {
    cmd.get_after_long_help().or_else(|| cmd.get_after_help()).map(|s| s.to_string())
}

/// Help text as roff: a blank line starts a paragraph; indented lines (examples, tables of
/// placeholders) keep their line breaks and indentation, as in `--help`.
fn prose(r: &mut Roff, text: &str) {
    let mut verbatim = false;
    for line in text.lines() {
        if line.trim().is_empty() {
            if verbatim {
                r.control("fi", []);
                verbatim = false;
            }
            r.control("PP", []);
            continue;
        }
        let indented = line.starts_with(' ');
        if indented != verbatim {
            r.control(if indented { "nf" } else { "fi" }, []);
            verbatim = indented;
        }
        r.text([roman(line)]);
    }
    if verbatim {
        r.control("fi", []);
    }
}

fn exit_status(r: &mut Roff) {
    r.control("SH", ["EXIT STATUS"]);
    let codes = [
        (EXIT_OK, "Success: every selected token is valid beyond the threshold or was refreshed; for the other commands, done."),
        (EXIT_TRANSIENT, "A transient failure (network, timeout, endpoint fault, throttling, another process still refreshing): try again later; the next tick does."),
        (EXIT_USAGE, "A usage or configuration error (unknown profile or session, unreadable config, corrupt cache): fix what the message names."),
        (EXIT_RELOGIN, "A new login is required: run the command the message gives."),
    ];
    for (code, meaning) in codes {
        r.control("TP", []);
        r.text([bold(code.to_string())]);
        r.text([roman(meaning)]);
    }
    r.control("PP", []);
    r.text([roman(
        "With several sessions the most serious code wins: 2, then 3, then 1. Commands whose \
         codes mean more say so in their section above (status --check, doctor, login, \
         credential-process). Every message names the session and the next step, on stderr.",
    )]);
}

/// Every variable a flag reads, with the flag and the commands that have it, and the few that
/// are not flags.
fn environment(r: &mut Roff, root: &Command) {
    r.control("SH", ["ENVIRONMENT"]);
    let mut vars: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    let mut note = |cmd: &Command, arg: &Arg, global: bool| {
        let (Some(env), Some(long)) = (arg.get_env(), arg.get_long()) else { return };
        if arg.is_hide_set() {
            return;
        }
        let entry = vars.entry(env.to_string_lossy().into_owned()).or_insert_with(|| (format!("--{long}"), Vec::new()));
        let name = if global { "every command".to_string() } else { cmd.get_name().to_string() };
        if !entry.1.contains(&name) {
            entry.1.push(name);
        }
    };
    for arg in root.get_arguments() {
        note(root, arg, true);
    }
    fn walk(cmd: &Command, note: &mut dyn FnMut(&Command, &Arg, bool)) {
        for sub in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
            for arg in sub.get_arguments().filter(|a| !a.is_global_set()) {
                note(sub, arg, false);
            }
            walk(sub, note);
        }
    }
    walk(root, &mut note);
    for (var, (flag, commands)) in &vars {
        r.control("TP", []);
        r.text([bold(var.as_str())]);
        r.text([roman("Sets "), bold(flag.as_str()), roman(format!(" ({}).", commands.join(", ")))]);
    }
    let others: [(&str, &[Inline]); 8] = [
        (
            "SSOFRESH_LOG",
            &[
                roman("Diagnostics on stderr, in env_logger's syntax: "),
                bold("debug"),
                roman(", "),
                bold("ssofresh=trace"),
                roman(". Tokens are never logged."),
            ],
        ),
        (
            "AWS_PROFILE",
            &[roman(
                "The profile for login, logout, credential-process, env, exec and configure when none is given; \
                 without --session or --profile it selects the session of status, tick (not tick --auto) and \
                 doctor, and puts its session first in prompt.",
            )],
        ),
        (
            "AWS_SSOFRESH_PROFILE",
            &[roman("Set by exec for the command it runs (the profile); an exec that finds it set refuses to nest.")],
        ),
        ("NO_COLOR", &[roman("When set and not empty: no colour, whatever the terminal.")]),
        (
            "HTTPS_PROXY, ALL_PROXY, NO_PROXY",
            &[roman(
                "The proxy for the AWS endpoints (https_proxy, all_proxy, no_proxy too; HTTPS_PROXY first): \
                 an http:// or https:// URL; NO_PROXY lists hosts, domains and networks that bypass it. \
                 Loopback endpoints never use a proxy; HTTP_PROXY is not used.",
            )],
        ),
        ("XDG_STATE_HOME", &[roman("Where the state directory goes (default "), italic("~/.local/state"), roman(").")]),
        ("USERPROFILE", &[roman("Windows: HOME, as the AWS CLI takes it (else HOMEDRIVE and HOMEPATH).")]),
        ("LOCALAPPDATA", &[roman("Windows: where the state directory goes.")]),
    ];
    for (var, text) in others {
        r.control("TP", []);
        r.text([bold(var)]);
        r.text(text.to_vec());
    }
}

/// A newcomer's path through the commands, as commands to copy.
fn examples(r: &mut Roff) {
    r.control("SH", ["EXAMPLES"]);
    prose(
        r,
        "Set up from nothing (no AWS CLI needed), sign in, and write a profile for every account and role:

  ssofresh configure sso-session corp \\
      --start-url https://d-1234567890.awsapps.com/start --region eu-west-1 --write
  ssofresh login corp
  ssofresh configure profiles corp --write

Keep the tokens fresh from the shell prompt (bash and fish alike), or from a timer:

  echo 'eval \"$(ssofresh init zsh)\"' >> ~/.zshrc
  ssofresh init systemd --install

See how each session stands; fail a script when a login is needed:

  ssofresh status
  ssofresh status --check || ssofresh login

Run one command with a profile's credentials, or give them to a tool that reads only
credential_process or variables:

  ssofresh exec --profile Prod-AdministratorAccess -- terraform plan
  ssofresh configure credential-process --profile dev --write
  eval \"$(ssofresh env --profile dev)\"

Find out what is wrong, and what happened:

  ssofresh doctor
  ssofresh log --follow",
    );
}

/// Where to read more, and the tools ssofresh works beside.
fn see_also(r: &mut Roff) {
    r.control("SH", ["SEE ALSO"]);
    r.text([
        bold("ssofresh-COMMAND"),
        roman("(1) (one command's page: "),
        bold("ssofresh man tick"),
        roman("); "),
        bold("aws"),
        roman("(1), whose "),
        bold("aws sso login"),
        roman(" writes the same token cache; the documentation in the source's "),
        italic("docs/"),
        roman(
            " (configure.md, login.md, shell.md, status.md, credentials.md, settings.md, how-it-works.md, \
               notifications.md, hardening.md, platforms.md, performance.md, limits.md); the IAM Identity Center \
               user guide, ",
        ),
        italic("https://docs.aws.amazon.com/singlesignon/latest/userguide/"),
        roman("; granted, aws-vault and aws-sso-cli, compared in the README."),
    ]);
}

fn files(r: &mut Roff) {
    r.control("SH", ["FILES"]);
    let files = [
        ("~/.aws/config", "The AWS config: sso-sessions and profiles (AWS_CONFIG_FILE, --config-file)."),
        ("~/.aws/config.ssofresh.bak", "The config as it was before the last configure --write that changed it."),
        ("~/.aws/sso/cache/<sha1>.json", "The token cache, shared with the AWS CLI and SDKs."),
        ("~/.aws/sso/cache/.<sha1>.ssofresh.lock", "The refresh lock beside each token cache, shared by every ssofresh that uses the cache (always empty)."),
        ("~/.aws/sso/cache/.<sha1>.ssofresh.pending", "A refreshed token that could not be written to the cache (another program held it open), kept for the next tick."),
        ("~/.aws/cli/cache/", "Role credentials, shared with the AWS CLI v2 (credential-process, env), each with its lock beside it."),
        ("$XDG_STATE_HOME/ssofresh/", "ssofresh's state: back-off, rejected-token memo, the login lock, notification and hint memos (--state-dir)."),
        ("$XDG_STATE_HOME/ssofresh/activity.log", "One JSON line per refresh, login and notification, rotated (~/Library/Logs/ssofresh on macOS; --log-file)."),
    ];
    for (path, what) in files {
        r.control("TP", []);
        r.text([italic(path)]);
        r.text([roman(what)]);
    }
}

/// One of clap_mangen's renderings as text, without the preamble every rendering repeats.
/// What every page starts with: title, name, synopsis, description and options.
fn opening(man: &Man, cmd: &Command) -> String {
    let mut out = format!("{PREAMBLE}{FALLBACKS}");
    out += &fragment(man, Man::render_title);
    out += &fragment(man, Man::render_name_section);
    out += &fragment(man, Man::render_synopsis_section);
    out += &own(|r| {
        r.control("SH", ["DESCRIPTION"]);
        prose(r, &long_about(cmd));
    });
    out += &fragment(man, Man::render_options_section);
    out
}

fn fragment(man: &Man, render: fn(&Man, &mut dyn Write) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    render(man, &mut out).expect("writing to memory cannot fail");
    strip_preamble(out)
}

/// Roff built here, as text without the preamble.
fn own(build: impl FnOnce(&mut Roff)) -> String {
    let mut roff = Roff::new();
    build(&mut roff);
    let mut out = Vec::new();
    roff.to_writer(&mut out).expect("writing to memory cannot fail");
    strip_preamble(out)
}

fn strip_preamble(out: Vec<u8>) -> String {
    // Help texts are &str, so what roff makes of them is UTF-8 too.
    let text = String::from_utf8_lossy(&out);
    text.strip_prefix(PREAMBLE).unwrap_or(&text).to_string()
}
