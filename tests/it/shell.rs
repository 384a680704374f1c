//! The hooks in real shells: bash and zsh interactive (`-i`) reading commands from a pipe,
//! and every shell in a terminal through tmux (fish fires `fish_prompt` only there, and job
//! control, with its `[1] 12345` lines, exists only there).

use crate::common::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_ssofresh")).parent().unwrap().to_path_buf()
}

/// PATH with the freshly built ssofresh first, as after an install.
fn path_var() -> std::ffi::OsString {
    std::env::join_paths(
        std::iter::once(bin_dir()).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap()
}

/// The environment every shell gets: nothing from the developer's own.
fn shell_env(home: &Home, url: &str) -> Vec<(String, std::ffi::OsString)> {
    vec![
        ("HOME".into(), home.path().into()),
        ("PATH".into(), path_var()),
        ("AWS_ENDPOINT_URL_SSO_OIDC".into(), url.into()),
        ("SSOFRESH_STATE_DIR".into(), home.state_dir().into()),
        ("SSOFRESH_RETRY_BACKOFF".into(), "0".into()),
        ("SSOFRESH_TIMEOUT".into(), "5s".into()),
        ("LANG".into(), "C.UTF-8".into()),
        ("PS1".into(), "> ".into()),
    ]
}

fn init_script(home: &Home, shell: &str) -> String {
    let run = Run::of(home.cmd().env("PATH", path_var()).args(["init", shell]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

struct Out {
    stdout: String,
    stderr: String,
    code: i32,
    took: Duration,
}

/// Runs `script` in an interactive bash or zsh that reads it from a pipe: the shell prints a
/// prompt (and runs the hook) before every line. `$HOOK` holds the init script.
fn piped(shell: &str, home: &Home, url: &str, hook: &str, script: &str, env: &[(&str, &str)]) -> Out {
    let mut c = Command::new(shell);
    match shell {
        "bash" => c.args(["--norc", "--noprofile", "-i"]),
        "zsh" => c.args(["-f", "-i", "-o", "no_prompt_sp", "-o", "no_prompt_cr"]),
        other => panic!("{other} does not read a pipe interactively"),
    };
    c.env_clear().envs(shell_env(home, url)).env("HOOK", hook).envs(env.iter().copied());
    c.current_dir(home.path()).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = c.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = format!("{script}\nexit\n");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    let took = start.elapsed();
    writer.join().unwrap().unwrap();
    let o = Out {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
        took,
    };
    assert!(
        !o.stdout.contains(MARK) && !o.stderr.contains(MARK),
        "a secret reached the terminal:\n{}{}",
        o.stdout,
        o.stderr
    );
    o
}

/// bash's start-up warnings carry its pid; nothing else differs between two runs.
fn normalize(s: &str) -> String {
    let mut out = String::new();
    let mut digits = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !digits {
                out.push('N');
            }
            digits = true;
        } else {
            digits = false;
            out.push(c);
        }
    }
    out
}

fn refreshed(home: &Home) -> bool {
    home.read_token("corp")["accessToken"] == NEW_ACCESS
}

fn unrefreshable(secs: i64) -> serde_json::Value {
    let mut t = token(secs);
    t.as_object_mut().unwrap().remove("refreshToken");
    t
}

fn piped_shells() -> Vec<&'static str> {
    ["bash", "zsh"].into_iter().filter(|s| require_tool(s)).collect()
}

#[test]
fn a_due_token_is_refreshed_from_the_prompt() {
    for sh in piped_shells() {
        let home = Home::new();
        home.write_token("corp", &token(4 * 60));
        let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600));
        let out = piped(sh, &home, &stub.url, &init_script(&home, sh), "eval \"$HOOK\"\n:", &[]);
        assert_eq!(out.code, 0, "{sh}: {}", out.stderr);
        assert!(wait_until(Duration::from_secs(10), || refreshed(&home)), "{sh}: not refreshed\n{}", out.stderr);
        assert_eq!(home.read_token("corp")["refreshToken"], NEW_REFRESH);
        assert_eq!(stub.count("/token"), 1, "{sh}");
    }
}

#[test]
fn nothing_is_printed_when_all_is_well() {
    // The same session with and without the hook: the transcripts must be identical, with a
    // fresh token and with a due one (a refresh starts, silently, with no job-control noise).
    for sh in piped_shells() {
        for secs in [3600, 4 * 60] {
            let home = Home::new();
            home.write_token("corp", &token(secs));
            let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600));
            let script = "eval \"$HOOK\"\necho one\n:\nfalse\necho two";
            let with = piped(sh, &home, &stub.url, &init_script(&home, sh), script, &[]);
            let without = piped(sh, &home, &stub.url, "", script, &[]);
            assert_eq!(with.stdout, without.stdout, "{sh}");
            assert_eq!(normalize(&with.stderr), normalize(&without.stderr), "{sh}, token with {secs}s left");
            assert_eq!(with.code, without.code);
            if secs < 600 {
                assert!(wait_until(Duration::from_secs(10), || refreshed(&home)), "{sh}");
            }
        }
    }
}

#[test]
fn the_exit_status_survives_the_hook() {
    for sh in piped_shells() {
        let home = Home::new();
        home.write_token("corp", &unrefreshable(4 * 60)); // the hook prints a hint: it does work
        let script = match sh {
            // Entries before and after ours in PROMPT_COMMAND, string and array forms.
            // (In the string form an entry must keep $? itself for those after it.)
            "bash" => "keep() { return $1; }\nPROMPT_COMMAND='pc_before=$?; keep $pc_before'\neval \"$HOOK\"\nPROMPT_COMMAND+=$'\\n''pc_after=$?'\n(exit 7)\n\
                       echo \"status=$? before=$pc_before after=$pc_after\"\n\
                       unset PROMPT_COMMAND; PROMPT_COMMAND=('pc_before=$?')\neval \"$HOOK\"\nPROMPT_COMMAND+=('pc_after=$?')\n(exit 9)\n\
                       echo \"status=$? before=$pc_before after=$pc_after entries=${#PROMPT_COMMAND[@]}\"\n\
                       false | true\necho \"pipestatus=${PIPESTATUS[*]}\"",
            _ => "before() { pc_before=$? }\nprecmd_functions=(before)\neval \"$HOOK\"\nafter() { pc_after=$? }\nprecmd_functions+=(after)\n\
                  (exit 7)\necho \"status=$? before=$pc_before after=$pc_after\"\n\
                  (exit 9)\necho \"status=$? before=$pc_before after=$pc_after entries=${#precmd_functions}\"\n\
                  false | true\necho \"pipestatus=${pipestatus[*]}\"",
        };
        // Called directly, the hook hands back the status it found.
        let script = format!("{script}\n(exit 5); _ssofresh_hook; echo \"direct=$?\"");
        let out = piped(sh, &home, "http://127.0.0.1:9", &init_script(&home, sh), &script, &[]);
        assert_eq!(
            out.stdout, "status=7 before=7 after=7\nstatus=9 before=9 after=9 entries=3\npipestatus=1 0\ndirect=5\n",
            "{sh}: {}",
            out.stderr
        );
        assert_eq!(out.stderr.matches("needs a new login").count(), 1, "{sh}: {}", out.stderr);
    }
}

/// Holds the session's lock as a running refresh would: the hook then has nothing to start
/// and asks to be run again at the next prompt, so every prompt runs it.
fn refresh_running(home: &Home) -> ssofresh::sys::lock::Lock {
    home.write_token("corp", &token(4 * 60));
    ssofresh::sys::lock::acquire(&home.lock_path("corp"), Duration::ZERO).unwrap().expect("a free lock")
}

fn hook_runs(stderr: &str, sh: &str) -> usize {
    stderr.matches(&format!("hook ({sh}): checked 1 session")).count()
}

#[test]
fn sourcing_twice_registers_one_hook() {
    for sh in piped_shells() {
        let home = Home::new();
        let _busy = refresh_running(&home);
        let hook = init_script(&home, sh);
        // Three prompts follow the first eval: one hook run each, not two.
        let out = piped(
            sh,
            &home,
            "http://127.0.0.1:9",
            &hook,
            "eval \"$HOOK\"\neval \"$HOOK\"\n:",
            &[("SSOFRESH_LOG", "ssofresh=debug")],
        );
        assert_eq!(hook_runs(&out.stderr, sh), 3, "{sh}: {}", out.stderr);
        assert_eq!(out.stderr.matches("a refresh is already running").count(), 3, "{sh}: {}", out.stderr);
        if sh == "bash" {
            // The array form too.
            let out = piped(
                sh,
                &home,
                "http://127.0.0.1:9",
                &hook,
                "PROMPT_COMMAND=(:)\neval \"$HOOK\"\neval \"$HOOK\"\necho \"${#PROMPT_COMMAND[@]}\"",
                &[],
            );
            assert_eq!(out.stdout, "2\n", "{}", out.stderr);
        }
    }
}

#[test]
fn prompts_skip_the_binary_until_something_can_be_due() {
    for sh in piped_shells() {
        // Valid for an hour: the first prompt asks, the next ones (within the minute) do not.
        let home = Home::new();
        home.write_token("corp", &token(3600));
        let hook = init_script(&home, sh);
        let log = [("SSOFRESH_LOG", "ssofresh=debug")];
        let out = piped(sh, &home, "http://127.0.0.1:9", &hook, "eval \"$HOOK\"\n:\n:\n:", &log);
        assert_eq!(hook_runs(&out.stderr, sh), 1, "{sh}: {}", out.stderr);
        assert!(out.stderr.contains("next check in 60s"), "{sh}: {}", out.stderr);
        // A deadline further ahead than the binary ever gives: the clock was set back; ask.
        let out =
            piped(sh, &home, "http://127.0.0.1:9", &hook, "eval \"$HOOK\"\n_ssofresh_next=$((SECONDS + 1000))", &log);
        assert_eq!(hook_runs(&out.stderr, sh), 2, "{sh}: {}", out.stderr);

        // Due in 2 seconds: skipped until then, and refreshed at the first prompt after.
        let home = Home::new();
        home.write_token("corp", &token(20 * 60 + 2));
        let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600));
        let out = piped(sh, &home, &stub.url, &hook, "eval \"$HOOK\"\n:\nsleep 3\n:", &log);
        assert!(wait_until(Duration::from_secs(10), || refreshed(&home)), "{sh}: {}", out.stderr);
        assert!(hook_runs(&out.stderr, sh) < 4, "{sh}: the prompt before the deadline ran the hook: {}", out.stderr);
        assert_eq!(out.stderr.matches("started a refresh").count(), 1, "{sh}: {}", out.stderr);
    }
}

#[test]
fn set_e_set_u_and_pipefail_sessions_survive() {
    for sh in piped_shells() {
        let home = Home::new();
        home.write_token("corp", &unrefreshable(4 * 60));
        let set = if sh == "bash" { "set -euo pipefail" } else { "set -eu -o pipefail" };
        // Also called directly after a failure `set -e` lets pass: it must not end the shell.
        let script = format!(
            "{set}\neval \"$HOOK\"\neval \"$HOOK\"\nfalse && true\necho alive\n:\necho \"alive $?\"\n\
             false && true; _ssofresh_hook; echo \"direct $?\"\n\
             PATH=/nowhere\nfalse && true\necho \"alive without the binary\""
        );
        let out = piped(sh, &home, "http://127.0.0.1:9", &init_script(&home, sh), &script, &[]);
        assert_eq!(out.stdout, "alive\nalive 0\ndirect 0\nalive without the binary\n", "{sh}: {}", out.stderr);
        assert_eq!(out.code, 0, "{sh}: {}", out.stderr);
        assert_eq!(out.stderr.matches("needs a new login").count(), 1, "{sh}: {}", out.stderr);
    }
}

#[test]
fn aliases_and_functions_named_ssofresh_are_ignored() {
    for sh in piped_shells() {
        let home = Home::new();
        home.write_token("corp", &unrefreshable(4 * 60));
        let script = "ssofresh() { echo FUNCTION; }\nalias ssofresh='echo ALIAS'\neval \"$HOOK\"\n:";
        let out = piped(sh, &home, "http://127.0.0.1:9", &init_script(&home, sh), script, &[]);
        assert!(!out.stdout.contains("FUNCTION") && !out.stdout.contains("ALIAS"), "{sh}: {}", out.stdout);
        assert_eq!(out.stderr.matches("needs a new login").count(), 1, "{sh}: {}", out.stderr);
    }
}

/// Each shell hears the re-login hint once, not at every prompt — and not only the first shell
/// of the hour, as when one memo served every shell — then once more when the token expires.
#[test]
fn each_shell_hears_the_relogin_hint_once_and_again_at_expiry() {
    for sh in piped_shells() {
        let home = Home::new();
        home.write_token("corp", &unrefreshable(4 * 60));
        let hook = init_script(&home, sh);
        let hints = |out: &Out| -> Vec<String> {
            // zsh writes its prompts to stderr too: a hint may follow one on the same line.
            let starts = out.stderr.match_indices("ssofresh: ").map(|(i, _)| &out.stderr[i..]);
            starts.map(|h| h.lines().next().unwrap_or_default().to_string()).collect()
        };
        // Two shells, each with four prompts.
        for shell in ["first", "second"] {
            let out = piped(sh, &home, "http://127.0.0.1:9", &hook, "eval \"$HOOK\"\n:\n:\n:\n:", &[]);
            let hints = hints(&out);
            assert_eq!(hints.len(), 1, "{sh}, {shell} shell: {}", out.stderr);
            assert!(
                hints[0].contains("SSO session corp needs a new login") && hints[0].contains("run:"),
                "{}",
                hints[0]
            );
            assert!(hints[0].contains("expires in"), "{}", hints[0]);
        }
        // A third shell lives past the token's expiry (the clock moves on between prompts; the
        // check is forced, as the shell's own clock has not moved): the news once more, once.
        let later = iso(5 * 60);
        let script = format!(
            "eval \"$HOOK\"\n:\n:\nexport SSOFRESH_TEST_NOW={later}\n_ssofresh_next=0\n:\n_ssofresh_next=0\n:\n_ssofresh_next=0\n:"
        );
        let out = piped(sh, &home, "http://127.0.0.1:9", &hook, &script, &[]);
        let hints = hints(&out);
        assert_eq!(hints.len(), 2, "{sh}: {}", out.stderr);
        assert!(hints[0].contains("expires in") && hints[1].contains("expired"), "{sh}: {hints:?}");
        // Hints off in init: quiet even when due.
        std::fs::remove_dir_all(home.state_dir().join("hints")).unwrap();
        let quiet = Run::of(home.cmd().env("PATH", path_var()).args(["init", sh, "--no-hints"])).stdout;
        let out = piped(sh, &home, "http://127.0.0.1:9", &quiet, "eval \"$HOOK\"\n:", &[]);
        assert!(!out.stderr.contains("ssofresh"), "{sh}: {}", out.stderr);
    }
}

#[test]
fn the_prompt_never_waits_for_the_network() {
    for sh in piped_shells() {
        let home = Home::new();
        home.write_token("corp", &token(4 * 60));
        // No answer until the shell has exited.
        let answer = Gate::new();
        let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600).until(&answer));
        let hook = init_script(&home, sh);
        // Three prompts after the hook is loaded, then the shell exits.
        let out = piped(sh, &home, &stub.url, &hook, "eval \"$HOOK\"\n:\n:", &[]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(out.took < Duration::from_millis(900), "{sh}: three prompts took {:?}", out.took);
        assert!(!refreshed(&home), "{sh}: no answer yet");
        // The refresh outlives the shell that started it.
        answer.open();
        let t = Instant::now();
        assert!(wait_until(Duration::from_secs(8), || refreshed(&home)), "{sh}: not refreshed");
        eprintln!("{sh}: 3 prompts in {:?}; refreshed {:?} after the shell exited", out.took, t.elapsed());
        assert_eq!(stub.count("/token"), 1);
    }
}

#[test]
fn a_session_name_that_needs_quoting_reaches_the_hook_intact() {
    for sh in piped_shells() {
        let home = Home::new();
        let name = "o'brien $x";
        let hook = Run::of(home.cmd().env("PATH", path_var()).args(["init", sh, "--session", name])).stdout;
        let out = piped(sh, &home, "http://127.0.0.1:9", &hook, "eval \"$HOOK\"\n:", &[]);
        assert!(out.stderr.contains("unknown sso-session 'o'brien $x'"), "{sh}: {}", out.stderr);
    }
}

/// Sessions whose names a command line could misread — a comma (a list to `--session`), a
/// leading `-` (a flag), a space, a `$(…)` — are refreshed from a real shell's prompt: by the
/// hook that watches every session, and by one `init` baked the names into. The hook used to
/// start `tick --session a,b` (two unknown sessions) or `tick --session -x` (a bad flag), and
/// nothing was refreshed, silently.
#[test]
fn sessions_with_names_a_command_line_could_misread_are_refreshed_from_the_prompt() {
    let headers = [("a,b", "a,b"), ("-x", "-x"), ("x y", "\"x y\""), ("$(id)", "$(id)")];
    let setup = || {
        let home = Home::new();
        let mut config = String::new();
        for (name, header) in headers {
            config += &format!(
                "[sso-session {header}]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n\
                 sso_registration_scopes = sso:account:access\n"
            );
            home.write_token(name, &token(4 * 60));
        }
        home.config(&config);
        home
    };
    let all_refreshed =
        |home: &Home| headers.iter().all(|(name, _)| home.read_token(name)["accessToken"] == NEW_ACCESS);
    for sh in piped_shells() {
        // Every session, unnamed.
        let home = setup();
        let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600));
        let out = piped(sh, &home, &stub.url, &init_script(&home, sh), "eval \"$HOOK\"\n:", &[]);
        assert_eq!(out.code, 0, "{sh}: {}", out.stderr);
        assert!(
            wait_until(Duration::from_secs(20), || all_refreshed(&home)),
            "{sh}: not all refreshed\n{}",
            out.stderr
        );
        assert_eq!(stub.count("/token"), 4, "{sh}");
        // Named to init, as a user would type them (`--exact-names` keeps the comma).
        let home = setup();
        let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600));
        let init = Run::of(home.cmd().env("PATH", path_var()).args(["init", sh]).args(ODD_NAMES));
        assert_eq!(init.code, 0, "{}", init.stderr);
        let out = piped(sh, &home, &stub.url, &init.stdout, "eval \"$HOOK\"\n:", &[]);
        assert!(
            wait_until(Duration::from_secs(20), || all_refreshed(&home)),
            "{sh}: not all refreshed\n{}",
            out.stderr
        );
        assert!(!out.stderr.contains("ssofresh:"), "{sh}: {}", out.stderr);
        assert!(!home.path().join("uid=0(root)").exists());
    }
}

/// The odd session names of these tests, named to `init` as a user would type them
/// (`--exact-names` keeps the comma).
const ODD_NAMES: [&str; 8] =
    ["--session=-x", "--session", "x y", "--session", "$(id)", "--exact-names", "--session", "a,b"];

/// The same names in a crontab line run by `sh`, and in the hints' commands.
#[test]
fn odd_session_names_survive_scheduler_lines_and_hints() {
    let home = Home::new();
    let names = ["a,b", "-x", "x y", "$(id)"];
    let mut config = String::new();
    for (name, header) in names.iter().zip(["a,b", "-x", "\"x y\"", "$(id)"]) {
        config += &format!(
            "[sso-session {header}]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
        );
        home.write_token(name, &token(4 * 60));
    }
    home.config(&config);
    let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600));
    let run = Run::of(home.cmd().args(["init", "cron"]).args(ODD_NAMES));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = run.stdout.lines().find(|l| !l.starts_with('#')).unwrap();
    let command = line.splitn(6, ' ').nth(5).unwrap().replace("\\%", "%");
    let out = Command::new("/bin/sh")
        .args(["-c", &command])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", "/usr/bin:/bin")
        .env("AWS_ENDPOINT_URL_SSO_OIDC", &stub.url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{command}: {out:?}");
    for name in names {
        assert_eq!(home.read_token(name)["accessToken"], NEW_ACCESS, "{name}: {command}");
    }
    // The command a hint gives runs `ssofresh login` on that very session: as sh reads it.
    for name in names {
        let mut t = token(-60);
        t.as_object_mut().unwrap().remove("refreshToken");
        home.write_token(name, &t);
    }
    let run = Run::of(home.cmd().args(["status", "--check"]));
    assert_eq!(run.code, 3, "{}", run.stderr);
    for name in names {
        let line = run
            .stderr
            .lines()
            .find(|l| l.starts_with(&format!("ssofresh: {name}:")))
            .unwrap_or_else(|| panic!("{name}: {}", run.stderr));
        let cmd = line.rsplit_once("run: ").unwrap().1;
        // The words sh makes of it: ssofresh, login, [--], the name.
        let out = Command::new("/bin/sh")
            .args(["-c", &format!("printf '%s\\n' {}", cmd.trim_start_matches("ssofresh "))])
            .output()
            .unwrap();
        let words: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect();
        assert_eq!(words.last().map(String::as_str), Some(name), "{cmd}");
        assert_eq!(words[0], "login", "{cmd}");
        assert!(words.len() == 2 || (words.len() == 3 && words[1] == "--"), "{cmd}: {words:?}");
    }
}

// ---- terminals, through tmux ----

/// A tmux server of our own (its own socket), running one shell in a 200x50 terminal.
struct Term {
    dir: tempfile::TempDir,
    home: PathBuf,
}

impl Term {
    fn start(home: &Home, url: &str, argv: &[&str], env: &[(&str, &str)]) -> Term {
        let dir = tempfile::tempdir().unwrap();
        let t = Term { dir, home: home.path().to_path_buf() };
        let status = t
            .tmux()
            .args(["-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "200", "-y", "50"])
            .args(argv)
            .env_clear()
            .envs(shell_env(home, url))
            .env("TERM", "xterm-256color")
            .envs(env.iter().copied())
            .current_dir(home.path())
            .status()
            .unwrap();
        assert!(status.success());
        t.tmux().args(["set-option", "-t", "t", "history-limit", "5000"]).status().unwrap();
        assert!(t.wait_pane(Duration::from_secs(10), |p| p.contains("> ")), "no prompt:\n{}", t.pane());
        t
    }

    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-S").arg(self.dir.path().join("sock"));
        c.stdout(Stdio::null()).stderr(Stdio::null());
        c
    }

    fn send(&self, line: &str) {
        assert!(self.tmux().args(["send-keys", "-t", "t", "-l", line]).status().unwrap().success());
        assert!(self.tmux().args(["send-keys", "-t", "t", "Enter"]).status().unwrap().success());
    }

    fn pane(&self) -> String {
        let out = self
            .tmux()
            .args(["capture-pane", "-p", "-J", "-S", "-", "-t", "t"])
            .stdout(Stdio::piped())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn wait_pane(&self, timeout: Duration, f: impl Fn(&str) -> bool) -> bool {
        wait_until(timeout, || f(&self.pane()))
    }

    /// Sends the lines, then one that writes a marker file, and waits for it and for the prompt
    /// after it. Returns how long the lines took to run.
    fn run(&self, lines: &[&str]) -> Duration {
        let marker = self.home.join(format!("done-{}", std::process::id()));
        let _ = std::fs::remove_file(&marker);
        let start = Instant::now();
        for l in lines {
            self.send(l);
        }
        self.send(&format!("echo ok > '{}'", marker.display()));
        assert!(wait_until(Duration::from_secs(10), || marker.exists()), "commands did not finish:\n{}", self.pane());
        let took = start.elapsed();
        assert!(
            self.wait_pane(Duration::from_secs(5), |p| p.trim_end().ends_with('>')),
            "no prompt after the commands:\n{}",
            self.pane()
        );
        took
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}

/// How each shell starts in the terminal, and how it loads the hook.
fn terminal_shells() -> Vec<(&'static str, Vec<&'static str>, &'static str)> {
    if !require_tool("tmux") {
        return vec![];
    }
    let mut v = Vec::new();
    if require_tool("fish") {
        v.push((
            "fish",
            vec!["fish", "--no-config", "-C", "set -g fish_greeting; function fish_prompt; echo -n '> '; end"],
            "ssofresh init fish | source",
        ));
    }
    if require_tool("bash") {
        v.push(("bash", vec!["bash", "--norc", "--noprofile", "-i"], "eval \"$(ssofresh init bash)\""));
    }
    if require_tool("zsh") {
        v.push((
            "zsh",
            vec!["zsh", "-f", "-i", "-o", "no_prompt_sp", "-o", "no_prompt_cr"],
            "eval \"$(ssofresh init zsh)\"",
        ));
    }
    v
}

#[test]
fn in_a_terminal_the_prompt_refreshes_silently_without_job_control_noise() {
    for (sh, argv, load) in terminal_shells() {
        let home = Home::new();
        home.write_token("corp", &token(4 * 60));
        // No answer until the prompts below have run.
        let answer = Gate::new();
        let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600).until(&answer));
        let term = Term::start(&home, &stub.url, &argv, &[]);
        let status_file = home.path().join("status");
        let status = if sh == "fish" { "$status" } else { "$?" };
        // Loaded twice; prompts while the (slow) refresh runs; `$?` after a failure, through a
        // prompt and through a direct call.
        let took = term.run(&[
            load,
            load,
            "true",
            "false",
            &format!("echo {status} > {}", status_file.display()),
            &format!("false; _ssofresh_hook; echo {status} >> {}", status_file.display()),
        ]);
        assert!(took < Duration::from_millis(1500), "{sh}: the prompts took {took:?}");
        assert_eq!(std::fs::read_to_string(&status_file).unwrap(), "1\n1\n", "{sh}");
        answer.open();
        assert!(wait_until(Duration::from_secs(10), || refreshed(&home)), "{sh}: not refreshed:\n{}", term.pane());
        // Some prompts more, after the refresh ended: still nothing from job control.
        term.run(&["true", "true"]);
        let pane = term.pane();
        for noise in ["ssofresh", "[1]", "Done", "Job", "has ended", "Exit", "+"] {
            let hit = pane.lines().find(|l| l.contains(noise) && !l.contains("init ") && !l.contains("echo "));
            assert!(hit.is_none(), "{sh}: {noise:?} in the terminal:\n{pane}");
        }
        assert!(!pane.contains(MARK));
        assert_eq!(stub.count("/token"), 1, "{sh}");
    }
}

#[test]
fn in_a_terminal_the_hook_runs_once_per_prompt_and_hints_once() {
    for (sh, argv, load) in terminal_shells() {
        let home = Home::new();
        let busy = refresh_running(&home);
        let term = Term::start(&home, "http://127.0.0.1:9", &argv, &[("SSOFRESH_LOG", "ssofresh=debug")]);
        // A function named like the binary must not be what the hook runs.
        let function =
            if sh == "fish" { "function ssofresh; echo FUNCTION; end" } else { "ssofresh() { echo FUNCTION; }" };
        term.run(&[load, load, function, "true", "true"]);
        let pane = term.pane();
        // Prompts after the first load: load, load, function, true, true, echo marker.
        assert_eq!(hook_runs(&pane, sh), 6, "{sh}:\n{pane}");
        assert!(!pane.lines().any(|l| l.trim() == "FUNCTION"), "{sh}:\n{pane}");
        drop((term, busy));

        let home = Home::new();
        home.write_token("corp", &unrefreshable(4 * 60));
        let term = Term::start(&home, "http://127.0.0.1:9", &argv, &[]);
        term.run(&[load, load, "true", "true"]);
        let pane = term.pane();
        assert_eq!(pane.matches("SSO session corp needs a new login").count(), 1, "{sh}:\n{pane}");
    }
}

#[test]
fn the_refresh_outlives_a_closed_terminal() {
    for (sh, argv, load) in terminal_shells() {
        let home = Home::new();
        home.write_token("corp", &token(4 * 60));
        // No answer until the terminal is closed.
        let answer = Gate::new();
        let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600).until(&answer));
        let term = Term::start(&home, &stub.url, &argv, &[]);
        term.run(&[load]);
        assert!(wait_until(Duration::from_secs(5), || stub.count("/token") == 1), "{sh}: no request:\n{}", term.pane());
        // Close the terminal (and kill its shell) while the request is under way.
        drop(term);
        assert!(!refreshed(&home));
        answer.open();
        assert!(wait_until(Duration::from_secs(8), || refreshed(&home)), "{sh}: the refresh died with the terminal");
    }
}
