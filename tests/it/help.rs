//! `--help` reads in workflow order: commands as a user meets them, each command's own options
//! first and the global ones under their own heading, `[env: NAME]` the same everywhere, and
//! the defaults the help states are what the commands do.

use crate::common::*;
use clap::CommandFactory;

fn help(home: &Home, args: &[&str]) -> String {
    let run = Run::of(home.cmd().args(args).arg("--help"));
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    run.stdout
}

#[test]
fn commands_are_listed_in_the_order_a_user_meets_them() {
    let home = Home::new();
    let text = help(&home, &[]);
    let listed: Vec<&str> = text
        .split("Commands:\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        listed,
        [
            "login",
            "status",
            "init",
            "tick",
            "configure",
            "exec",
            "env",
            "credential-process",
            "prompt",
            "log",
            "doctor",
            "notify",
            "logout",
            "completions",
            "man",
            "help"
        ]
    );
}

#[test]
fn every_command_shows_its_own_options_then_the_global_ones_and_env_the_same_way() {
    let home = Home::new();
    fn paths(cmd: &clap::Command, path: &[String], out: &mut Vec<Vec<String>>) {
        for s in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let mut p = path.to_vec();
            p.push(s.get_name().to_string());
            if s.has_subcommands() {
                paths(s, &p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut all = Vec::new();
    paths(&ssofresh::cli::Cli::command(), &[], &mut all);
    assert!(all.len() >= 17, "{all:?}");
    for path in all {
        let args: Vec<&str> = path.iter().map(String::as_str).collect();
        for flag in ["-h", "--help"] {
            let mut c = home.cmd();
            c.args(&args).arg(flag);
            let text = Run::of(&mut c).stdout;
            let global =
                text.find("\nGlobal options:\n").unwrap_or_else(|| panic!("{args:?} {flag}: no heading\n{text}"));
            let config = text.find("--config-file").unwrap();
            assert!(config > global, "{args:?} {flag}: a global option above its heading\n{text}");
            for heading in ["\nOptions:\n", "\nNotifications:\n"] {
                if let Some(at) = text.find(heading) {
                    assert!(at < global, "{args:?} {flag}: {heading:?} after the global options");
                }
            }
            // `[env: NAME]`, never the variable's value (which may be set, and private).
            for at in text.match_indices("[env:").map(|(i, _)| i) {
                let tag = &text[at..at + text[at..].find(']').unwrap()];
                assert!(!tag.contains('='), "{args:?} {flag}: {tag}");
            }
        }
    }
}

#[test]
fn the_help_states_what_each_command_does_by_default() {
    let home = Home::new();
    let flat = |args: &[&str]| help(&home, args).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat(&["status"]).contains("[default: that of AWS_PROFILE, else every configured session]"));
    assert!(flat(&["tick"]).contains("[default: that of AWS_PROFILE, else every logged-in session]"));
    assert!(flat(&["prompt"]).contains("[default: every logged-in session, that of AWS_PROFILE first]"));
    assert!(flat(&["init"]).contains("[default: every logged-in session]"));
    assert!(flat(&["login"]).contains("[default: that of AWS_PROFILE, else the only one]"));
    for args in [&["status"][..], &["tick"], &["login"], &["logout"], &["prompt"], &["log"]] {
        assert!(flat(args).contains("--sso-session"), "{args:?} does not show the alias");
    }
}
