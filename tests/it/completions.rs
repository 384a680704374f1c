//! `ssofresh completions` and `ssofresh man`: the scripts load in real bash, zsh and fish and
//! complete what parses (and nothing hidden); the man page renders with `man -l` without
//! warnings and documents every command, the exit codes and the environment.
// Helpers of the tests that need a POSIX shell or Unix tool go unused on Windows.
#![cfg_attr(windows, allow(dead_code, unused_imports))]

use crate::common::*;
use clap::CommandFactory;
use std::path::{Path, PathBuf};
use std::process::Command;

fn generate(home: &Home, args: &[&str]) -> String {
    let run = Run::of(home.cmd().args(args));
    assert_eq!(run.code, 0, "ssofresh {args:?}: {}", run.stderr);
    assert!(run.stderr.is_empty(), "ssofresh {args:?} wrote to stderr: {}", run.stderr);
    run.stdout
}

fn write(home: &Home, name: &str, text: &str) -> PathBuf {
    let dir = home.path().join("generated");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A shell with nothing of the developer's own environment.
fn shell(home: &Home, program: &str) -> Command {
    let mut c = Command::new(program);
    c.env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .env("XDG_CONFIG_HOME", home.path().join(".config"))
        .env("XDG_DATA_HOME", home.path().join(".local/share"))
        .current_dir(home.path());
    c
}

struct Out {
    stdout: String,
    stderr: String,
    code: i32,
}

fn run(c: &mut Command) -> Out {
    let o = c.output().expect("start the shell");
    Out {
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        code: o.status.code().unwrap_or(-1),
    }
}

/// Every visible subcommand as its path (`["configure", "credential-process"]`), and every
/// visible long flag.
fn visible_names() -> (Vec<Vec<String>>, Vec<String>) {
    fn walk(cmd: &clap::Command, path: &[String], subs: &mut Vec<Vec<String>>, flags: &mut Vec<String>) {
        for a in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            if let Some(long) = a.get_long() {
                flags.push(format!("--{long}"));
            }
        }
        for s in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let mut p = path.to_vec();
            p.push(s.get_name().to_string());
            subs.push(p.clone());
            walk(s, &p, subs, flags);
        }
    }
    let (mut subs, mut flags) = (Vec::new(), Vec::new());
    walk(&ssofresh::cli::Cli::command(), &[], &mut subs, &mut flags);
    (subs, flags)
}

#[test]
fn every_shell_gets_a_script_with_every_command_and_flag_and_nothing_hidden() {
    let home = Home::new();
    let (subs, flags) = visible_names();
    let names: Vec<&String> = subs.iter().filter_map(|p| p.last()).chain(&flags).collect();
    assert!(names.iter().any(|s| *s == "tick") && names.iter().any(|s| *s == "--threshold"));
    for sh in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = generate(&home, &["completions", sh]);
        for name in &names {
            // fish spells options `-l threshold`.
            let name = if sh == "fish" { name.trim_start_matches('-') } else { name.as_str() };
            assert!(script.contains(name), "{sh} script lacks {name}");
        }
        assert!(!script.contains("--test-wait-scale"), "{sh} script offers a hidden flag");
        assert!(!script.contains("--print-next"), "{sh} script offers the hidden hook's flags");
    }
    // The hidden subcommand appears only inside descriptions ("prompt hook"), never as a word
    // to complete.
    let bash = generate(&home, &["completions", "bash"]);
    assert!(!bash.contains(" hook ") && !bash.contains("__hook"), "bash offers `hook`");
    let fish = generate(&home, &["completions", "fish"]);
    assert!(!fish.contains("-a \"hook\""), "fish offers `hook`");
    // Not a shell clap_complete knows: a usage error naming the choices.
    let run = Run::of(home.cmd().args(["completions", "tcsh"]));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("tcsh") && run.stderr.contains("zsh"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

/// Loads the script in bash and calls the completion function `complete -p` names, the way
/// readline does, for the words given; prints COMPREPLY one per line.
const BASH_COMPLETE: &str = r#"
source "$1" || exit 9
spec=$(complete -p ssofresh) || exit 8
fn=${spec#*-F }; fn=${fn%% *}
shift
COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
"$fn" ssofresh "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"#;

fn bash_complete(home: &Home, script: &Path, words: &[&str]) -> Vec<String> {
    let out =
        run(shell(home, "bash").args(["--norc", "--noprofile", "-c", BASH_COMPLETE, "bash"]).arg(script).args(words));
    assert_eq!(out.code, 0, "bash completing {words:?}: {}", out.stderr);
    assert!(out.stderr.is_empty(), "bash completing {words:?} warned: {}", out.stderr);
    out.stdout.lines().filter(|l| !l.is_empty()).map(str::to_string).collect()
}

// Not on Windows: runs bash, which Windows does not have.
#[cfg(not(windows))]
#[test]
fn bash_loads_the_script_and_completes_commands_flags_and_values() {
    if !require_tool("bash") {
        return;
    }
    let home = Home::new();
    let script = write(&home, "ssofresh.bash", &generate(&home, &["completions", "bash"]));
    // Loading it, as ~/.bashrc or bash-completion would, prints nothing and registers it.
    let out = run(shell(&home, "bash")
        .args(["--norc", "--noprofile", "-c", "source \"$1\" && complete -p ssofresh", "bash"])
        .arg(&script));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.is_empty(), "sourcing warned: {}", out.stderr);
    assert!(out.stdout.contains("ssofresh"), "{}", out.stdout);

    assert_eq!(bash_complete(&home, &script, &["ssofresh", "ti"]), ["tick"]);
    assert_eq!(bash_complete(&home, &script, &["ssofresh", "cr"]), ["credential-process"]);
    assert!(bash_complete(&home, &script, &["ssofresh", "ho"]).is_empty(), "the hidden hook is offered");
    let all = bash_complete(&home, &script, &["ssofresh", ""]);
    for sub in ["tick", "init", "status", "login", "completions", "man"] {
        assert!(all.iter().any(|w| w == sub), "{sub} not offered: {all:?}");
    }
    assert!(!all.iter().any(|w| w == "hook"), "{all:?}");
    assert_eq!(bash_complete(&home, &script, &["ssofresh", "tick", "--thr"]), ["--threshold"]);
    assert_eq!(
        bash_complete(&home, &script, &["ssofresh", "status", "--cache"]),
        ["--cache-dir"],
        "global flags after a command"
    );
    // clap's bash script offers the options along with the values.
    let mut shells: Vec<String> = bash_complete(&home, &script, &["ssofresh", "completions", ""])
        .into_iter()
        .filter(|w| !w.starts_with('-'))
        .collect();
    shells.sort();
    assert_eq!(shells, ["bash", "elvish", "fish", "powershell", "zsh"]);
    assert_eq!(bash_complete(&home, &script, &["ssofresh", "init", "sys"]), ["systemd"]);
    assert!(bash_complete(&home, &script, &["ssofresh", "login", "--test"]).is_empty(), "a hidden flag is offered");
}

// Not on Windows: runs zsh, which Windows does not have.
#[cfg(not(windows))]
#[test]
fn zsh_loads_the_script_sourced_after_compinit_and_from_fpath() {
    if !require_tool("zsh") {
        return;
    }
    let home = Home::new();
    let text = generate(&home, &["completions", "zsh"]);
    assert!(text.starts_with("#compdef ssofresh"), "compinit finds it on fpath by this line");
    let sourced = write(&home, "ssofresh.zsh", &text);
    // -D: no dump file; -u: the temporary HOME's directories need no ownership audit.
    let out = run(shell(&home, "zsh")
        .args([
            "-f",
            "-c",
            "autoload -U compinit && compinit -D -u && source \"$1\" && print -r -- \"$_comps[ssofresh]\"",
            "zsh",
        ])
        .arg(&sourced));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.is_empty(), "sourcing warned: {}", out.stderr);
    assert_eq!(out.stdout.trim(), "_ssofresh");

    // Installed the usual way: a file named _ssofresh in a directory on fpath before compinit.
    let dir = home.path().join(".zfunc");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("_ssofresh"), &text).unwrap();
    let out = run(shell(&home, "zsh").args([
        "-f",
        "-c",
        "fpath=(~/.zfunc $fpath); autoload -U compinit && compinit -D -u && print -r -- \"$_comps[ssofresh]\" && autoload +X _ssofresh && whence -w _ssofresh",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.is_empty(), "loading from fpath warned: {}", out.stderr);
    assert_eq!(out.stdout.lines().collect::<Vec<_>>(), ["_ssofresh", "_ssofresh: function"]);
}

fn fish_complete(home: &Home, script: &Path, line: &str) -> Vec<String> {
    let out = run(shell(home, "fish")
        .args(["--no-config", "-c", "source $argv[1]; and complete -C $argv[2]"])
        .arg(script)
        .arg(line));
    assert_eq!(out.code, 0, "fish completing {line:?}: {}", out.stderr);
    assert!(out.stderr.is_empty(), "fish completing {line:?} warned: {}", out.stderr);
    // "tick\tRefresh every selected token…": the word, then its description.
    out.stdout.lines().map(|l| l.split('\t').next().unwrap_or("").to_string()).collect()
}

// Not on Windows: runs fish, which Windows does not have.
#[cfg(not(windows))]
#[test]
fn fish_loads_the_script_and_completes_commands_flags_and_values() {
    if !require_tool("fish") {
        return;
    }
    let home = Home::new();
    let script = write(&home, "ssofresh.fish", &generate(&home, &["completions", "fish"]));
    let out = run(shell(&home, "fish").arg("--no-execute").arg(&script));
    assert_eq!(out.code, 0, "fish --no-execute: {}", out.stderr);
    assert!(out.stderr.is_empty(), "{}", out.stderr);

    assert_eq!(fish_complete(&home, &script, "ssofresh ti"), ["tick"]);
    assert!(fish_complete(&home, &script, "ssofresh ho").is_empty(), "the hidden hook is offered");
    let all = fish_complete(&home, &script, "ssofresh ");
    for sub in ["tick", "status", "credential-process", "completions", "man"] {
        assert!(all.iter().any(|w| w == sub), "{sub} not offered: {all:?}");
    }
    assert_eq!(fish_complete(&home, &script, "ssofresh tick --thr"), ["--threshold"]);
    let mut shells = fish_complete(&home, &script, "ssofresh completions ");
    shells.sort();
    assert_eq!(shells, ["bash", "elvish", "fish", "powershell", "zsh"]);
    assert_eq!(fish_complete(&home, &script, "ssofresh init sys"), ["systemd"]);
    assert!(
        !fish_complete(&home, &script, "ssofresh init zsh ").contains(&"bash".to_string()),
        "a second target is offered"
    );
    assert!(fish_complete(&home, &script, "ssofresh login --test").is_empty(), "a hidden flag is offered");
}

/// `man -l` with groff's warnings on; returns the page as plain text.
fn render(home: &Home, page: &Path, lang: &str) -> String {
    let out = run(shell(home, "sh")
        .args(["-c", "man --warnings -l \"$1\" | col -bx", "sh"])
        .arg(page)
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .env("LANG", lang)
        .env("LC_ALL", lang));
    assert_eq!(out.code, 0, "man -l: {}", out.stderr);
    assert!(out.stderr.is_empty(), "man -l {} warned (LANG={lang}): {}", page.display(), out.stderr);
    out.stdout
}

// Not on Windows: renders with man and col, which Windows does not have.
#[cfg(not(windows))]
#[test]
fn the_man_page_renders_without_warnings_and_documents_every_command() {
    if !require_tool("man") || !require_tool("col") {
        return;
    }
    let home = Home::new();
    let page = write(&home, "ssofresh.1", &generate(&home, &["man"]));
    // UTF-8 terminals, and plain ASCII ones (the prompt's ⚠ has a fallback glyph).
    let _ = render(&home, &page, "C");
    let text = render(&home, &page, "C.UTF-8");
    assert!(text.starts_with("ssofresh(1)"), "{}", &text[..text.len().min(200)]);
    for heading in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "COMMANDS",
        "EXIT STATUS",
        "ENVIRONMENT",
        "FILES",
        "EXAMPLES",
        "SEE ALSO",
    ] {
        assert!(text.lines().any(|l| l == heading), "no {heading} section");
    }
    // A subsection per command the user can run, with its options; nested ones by full name.
    let (subs, _) = visible_names();
    for path in &subs {
        if path.len() == 1 && subs.iter().any(|p| p.len() > 1 && p[0] == path[0]) {
            continue; // `configure` itself: its subcommands have the sections
        }
        let heading = format!("   ssofresh {}", path.join(" "));
        assert!(text.lines().any(|l| l == heading), "no section {heading:?}");
    }
    assert!(text.lines().any(|l| l == "   ssofresh configure credential-process"));
    assert!(!text.contains("ssofresh hook"), "the hidden hook is documented");
    assert!(!text.contains("test-wait-scale"));
    // The exit codes, the settings' variables and the help texts' tables. Phrases are looked for
    // with spaces collapsed: groff justifies lines by widening spaces, alternating sides from one
    // line to the next, so any line added above moves the extra spaces of everything below.
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("A new login is required"), "exit status 3");
    assert!(flat.contains("A transient failure"), "exit status 1");
    for var in ["SSOFRESH_THRESHOLD", "SSOFRESH_SESSION", "AWS_CONFIG_FILE", "SSOFRESH_LOG", "HTTPS_PROXY"] {
        assert!(text.contains(var), "{var} undocumented");
    }
    assert!(flat.contains("--threshold <DURATION> [default: 20m]"));
    // Examples keep their lines, as in a terminal.
    assert!(text.contains("\n         ssofresh login corp\n"), "the examples lost their layout");
    assert!(flat.contains("ssofresh exec --profile Prod-AdministratorAccess -- terraform plan"));
    assert!(text.contains("  {left}     time left"), "the prompt's placeholder table lost its layout");
}

// Not on Windows: renders with man and col, which Windows does not have.
#[cfg(not(windows))]
#[test]
fn one_commands_page_and_unknown_commands() {
    if !require_tool("man") || !require_tool("col") {
        return;
    }
    let home = Home::new();
    let page = write(&home, "ssofresh-tick.1", &generate(&home, &["man", "tick"]));
    let text = render(&home, &page, "C.UTF-8");
    assert!(text.starts_with("ssofresh-tick(1)"), "{}", &text[..text.len().min(200)]);
    assert!(text.contains("--threshold") && text.contains("--notify-command"));
    assert!(!text.contains("--config-file"), "global options belong on ssofresh(1)");
    assert!(text.contains("ssofresh(1)"), "no pointer to the main page");

    let nested = write(&home, "ssofresh-cp.1", &generate(&home, &["man", "configure", "credential-process"]));
    let text = render(&home, &nested, "C.UTF-8");
    // man justifies the NAME line: compare the words.
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("ssofresh-configure-credential-process - Print (or --write) a profile whose"), "{text}");

    let run = Run::of(home.cmd().args(["man", "tock"]));
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("'tock'") && run.stderr.contains("tick"), "{}", run.stderr);
}

#[test]
fn a_reader_that_stops_early_is_no_error() {
    let home = Home::new();
    // The reader is gone before ssofresh starts, so its write fails with EPIPE (and SIGPIPE, as
    // from a shell, has its default action: Command resets it).
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = run(home.cmd().arg("man").stdout(writer));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

// ---- profile and session names, from the config at each TAB ----

/// SSO profiles dev, old (legacy), prod-admin, prod-read; a static one; sessions corp, prod.
fn names_home() -> Home {
    let home = Home::new();
    home.config(&format!(
        "{CONFIG}\n[profile prod-admin]\nsso_session = prod\nsso_account_id = 444455556666\nsso_role_name = Admin\n\
         [profile prod-read]\nsso_session = prod\nsso_account_id = 444455556666\nsso_role_name = Read\n\
         [sso-session prod]\nsso_start_url = https://prod.awsapps.com/start\nsso_region = eu-west-1\n"
    ));
    home
}

/// `shell`, with the ssofresh under test first on PATH (the scripts run `ssofresh complete-names`).
#[cfg(not(windows))]
fn shell_with_ssofresh(home: &Home, program: &str) -> Command {
    let bin = Path::new(env!("CARGO_BIN_EXE_ssofresh")).parent().unwrap().to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    let mut c = shell(home, program);
    c.env("PATH", path);
    c
}

#[cfg(not(windows))]
fn bash_names(home: &Home, script: &Path, words: &[&str]) -> Vec<String> {
    let out = run(shell_with_ssofresh(home, "bash")
        .args(["--norc", "--noprofile", "-c", BASH_COMPLETE, "bash"])
        .arg(script)
        .args(words));
    assert_eq!(out.code, 0, "bash completing {words:?}: {}", out.stderr);
    assert!(out.stderr.is_empty(), "bash completing {words:?} warned: {}", out.stderr);
    out.stdout.lines().filter(|l| !l.is_empty() && !l.starts_with('-')).map(str::to_string).collect()
}

#[test]
fn complete_names_lists_sso_profiles_and_sessions() {
    let home = names_home();
    let names = |kind: &str| Run::of(home.cmd().args(["complete-names", kind])).stdout;
    assert_eq!(names("profiles"), "dev\nold\nprod-admin\nprod-read\n", "SSO profiles only, in file order");
    assert_eq!(names("sessions"), "corp\nprod\n");
    // AWS_CONFIG_FILE, as everywhere; no config completes nothing, quietly.
    let other = home.path().join("other-config");
    std::fs::write(&other, "[sso-session lab]\nsso_region = us-east-1\n").unwrap();
    assert_eq!(Run::of(home.cmd().args(["complete-names", "sessions"]).env("AWS_CONFIG_FILE", &other)).stdout, "lab\n");
    std::fs::remove_file(home.path().join(".aws/config")).unwrap();
    let run = Run::of(home.cmd().args(["complete-names", "profiles"]));
    assert_eq!((run.code, run.stdout.as_str(), run.stderr.as_str()), (0, "", ""));
}

// Not on Windows: runs bash, which Windows does not have.
#[cfg(not(windows))]
#[test]
fn bash_completes_profile_and_session_names() {
    if !require_tool("bash") {
        return;
    }
    let home = names_home();
    let script = write(&home, "ssofresh.bash", &generate(&home, &["completions", "bash"]));
    assert_eq!(
        bash_names(&home, &script, &["ssofresh", "exec", "--profile", ""]),
        ["dev", "old", "prod-admin", "prod-read"]
    );
    assert_eq!(bash_names(&home, &script, &["ssofresh", "credential-process", "-p", "prod-r"]), ["prod-read"]);
    assert_eq!(bash_names(&home, &script, &["ssofresh", "status", "--sso-session", ""]), ["corp", "prod"]);
    assert_eq!(bash_names(&home, &script, &["ssofresh", "tick", "-s", "p"]), ["prod"]);
    assert_eq!(bash_names(&home, &script, &["ssofresh", "login", "c"]), ["corp"]);
    assert_eq!(bash_names(&home, &script, &["ssofresh", "logout", ""]), ["corp", "prod"]);
    assert_eq!(bash_names(&home, &script, &["ssofresh", "configure", "profiles", "pr"]), ["prod"]);
    // Other values still complete as before: files for paths, the fixed choices.
    assert_eq!(bash_names(&home, &script, &["ssofresh", "login", "--flow", "dev"]), ["device-code"]);
}

// Not on Windows: runs fish, which Windows does not have.
#[cfg(not(windows))]
#[test]
fn fish_completes_profile_and_session_names() {
    if !require_tool("fish") {
        return;
    }
    let home = names_home();
    let script = write(&home, "ssofresh.fish", &generate(&home, &["completions", "fish"]));
    let complete = |line: &str| {
        let out = run(shell_with_ssofresh(&home, "fish")
            .args(["--no-config", "-c", "source $argv[1]; and complete -C $argv[2]"])
            .arg(&script)
            .arg(line));
        assert_eq!(out.code, 0, "fish completing {line:?}: {}", out.stderr);
        assert!(out.stderr.is_empty(), "fish completing {line:?} warned: {}", out.stderr);
        let mut words: Vec<String> =
            out.stdout.lines().map(|l| l.split('\t').next().unwrap_or("").to_string()).collect();
        words.retain(|w| !w.starts_with('-'));
        words.sort();
        words
    };
    assert_eq!(complete("ssofresh exec --profile "), ["dev", "old", "prod-admin", "prod-read"]);
    assert_eq!(complete("ssofresh env -p prod-"), ["prod-admin", "prod-read"]);
    assert_eq!(complete("ssofresh status --session "), ["corp", "prod"]);
    assert_eq!(complete("ssofresh tick --sso-session p"), ["prod"]);
    assert_eq!(complete("ssofresh login "), ["corp", "prod"]);
    assert_eq!(complete("ssofresh configure profiles c"), ["corp"]);
}

// Not on Windows: runs zsh in tmux, which Windows does not have.
#[cfg(not(windows))]
#[test]
fn zsh_completes_profile_and_session_names_in_a_terminal() {
    if !require_tool("zsh") || !require_tool("tmux") {
        return;
    }
    let home = names_home();
    let dir = home.path().join(".zfunc");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("_ssofresh"), generate(&home, &["completions", "zsh"])).unwrap();
    let sock = home.path().join("tmux.sock");
    let tmux = |args: &[&str]| {
        let mut c = Command::new("tmux");
        c.arg("-S").arg(&sock).args(args).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null());
        c.output().unwrap()
    };
    let env = shell_with_ssofresh(&home, "zsh");
    let mut start = Command::new("tmux");
    start
        .arg("-S")
        .arg(&sock)
        .args(["-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "150", "-y", "40"])
        .args(["zsh", "-f", "-i"])
        .env_clear()
        .envs(env.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env("TERM", "xterm-256color")
        .env("PS1", "> ")
        .current_dir(home.path());
    assert!(start.status().unwrap().success());
    struct Kill<'a>(&'a dyn Fn(&[&str]) -> std::process::Output);
    impl Drop for Kill<'_> {
        fn drop(&mut self) {
            (self.0)(&["kill-server"]);
        }
    }
    let _kill = Kill(&tmux);
    let pane = || String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned();
    let send = |keys: &[&str]| {
        for k in keys {
            tmux(&["send-keys", "-t", "t", k]);
        }
    };
    send(&["PS1='> '; fpath=(~/.zfunc $fpath); autoload -U compinit && compinit -D -u && echo loaded", "Enter"]);
    assert!(wait_until(std::time::Duration::from_secs(10), || pane().contains("\nloaded")), "{}", pane());
    // An ambiguous prefix lists the candidates; a unique one is completed in the line.
    send(&["ssofresh exec --profile prod-", "Tab"]);
    assert!(
        wait_until(std::time::Duration::from_secs(10), || {
            let p = pane();
            p.contains("prod-admin") && p.contains("prod-read")
        }),
        "no profile names listed:\n{}",
        pane()
    );
    send(&["C-u", "C-l"]);
    send(&["ssofresh login co", "Tab"]);
    assert!(wait_until(std::time::Duration::from_secs(10), || pane().contains("ssofresh login corp")), "{}", pane());
    send(&["C-u", "C-l"]);
    send(&["ssofresh status --sso-session pr", "Tab"]);
    assert!(
        wait_until(std::time::Duration::from_secs(10), || pane().contains("ssofresh status --sso-session prod")),
        "{}",
        pane()
    );
}
