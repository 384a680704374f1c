//! `ssofresh prompt`: the segment for PS1 and prompt frameworks.

use crate::common::*;
use serde_json::json;

fn prompt(home: &Home) -> std::process::Command {
    let mut c = home.cmd();
    c.env("SSOFRESH_STATE_DIR", home.state_dir()).env("LANG", "C.UTF-8").arg("prompt");
    c
}

fn two_sessions() -> Home {
    let home = Home::new();
    home.config(&format!("{CONFIG}\n[sso-session lab]\nsso_start_url = https://lab/start\nsso_region = eu-west-1\n"));
    home
}

#[test]
fn shows_each_logged_in_session_and_its_time_left() {
    let home = two_sessions();
    let run = Run::of(&mut prompt(&home));
    assert_eq!((run.code, run.stdout.as_str(), run.stderr.as_str()), (0, "", ""), "nothing logged in: nothing shown");
    home.write_token("corp", &token(42 * 60 + 30));
    assert_eq!(Run::of(&mut prompt(&home)).stdout, "corp 42m\n");
    home.write_token("lab", &token(3 * 3600 + 5 * 60 + 30));
    assert_eq!(Run::of(&mut prompt(&home)).stdout, "corp 42m lab 3h5m\n");
    assert_eq!(Run::of(prompt(&home).args(["--separator", " | "])).stdout, "corp 42m | lab 3h5m\n");
    assert_eq!(Run::of(prompt(&home).args(["--session", "lab"])).stdout, "lab 3h5m\n");
    assert_eq!(Run::of(prompt(&home).env("SSOFRESH_SESSION", "corp")).stdout, "corp 42m\n");
}

#[test]
fn says_when_only_a_login_helps_in_unicode_or_ascii() {
    let home = Home::new();
    let mut t = token(5 * 60);
    t.as_object_mut().unwrap().remove("refreshToken");
    home.write_token("corp", &t);
    assert_eq!(Run::of(&mut prompt(&home)).stdout, "corp ⚠ login\n");
    assert_eq!(Run::of(prompt(&home).env("LANG", "C")).stdout, "corp ! login\n", "non-UTF-8 locale");
    assert_eq!(Run::of(prompt(&home).env_remove("LANG")).stdout, "corp ! login\n", "no locale at all");
    assert_eq!(Run::of(prompt(&home).env("LC_ALL", "POSIX")).stdout, "corp ! login\n", "LC_ALL wins");
    assert_eq!(Run::of(prompt(&home).args(["--symbols", "ascii"])).stdout, "corp ! login\n");
    assert_eq!(Run::of(prompt(&home).env("LANG", "C").env("SSOFRESH_SYMBOLS", "unicode")).stdout, "corp ⚠ login\n");
    // Named but never logged in.
    let home = Home::new();
    assert_eq!(Run::of(prompt(&home).args(["--profile", "dev"])).stdout, "corp ⚠ login\n");
}

#[test]
fn every_placeholder() {
    let home = Home::new();
    home.write_token("corp", &token(2 * 86400 + 3600 + 30));
    let fmt = "{session}|{left}|{state}|{icon}|{status}|{{x}}";
    assert_eq!(Run::of(prompt(&home).args(["--format", fmt])).stdout, "corp|2d1h|ok||2d1h|{x}\n");
    let expires = Run::of(prompt(&home).args(["--format", "{expires}"])).stdout;
    assert!(expires.len() == 6 && expires.as_bytes()[2] == b':', "{expires:?}");

    // Due, expired but refreshable, backing off: still a time (or `expired`), no warning.
    home.write_token("corp", &token(5 * 60 + 30));
    assert_eq!(Run::of(prompt(&home).args(["--format", fmt])).stdout, "corp|5m|due||5m|{x}\n");
    home.write_token("corp", &token(-60));
    assert_eq!(Run::of(prompt(&home).args(["--format", fmt])).stdout, "corp|expired|expired||expired|{x}\n");

    // Refresh rejected: the icon and `login`, with the time still there for who wants it.
    let state = home.state_dir().join(format!("sessions/{}.json", sha1_hex("corp")));
    let stub = Stub::always(Reply::oidc_error(400, "invalid_grant", "InvalidGrantException"));
    home.write_token("corp", &token(10 * 60 + 30));
    assert_eq!(Run::of(home.cmd_at(&stub.url).env("SSOFRESH_STATE_DIR", home.state_dir()).arg("tick")).code, 3);
    assert!(state.exists());
    assert_eq!(Run::of(prompt(&home).args(["--format", fmt])).stdout, "corp|10m|login|⚠|⚠ login|{x}\n");

    home.write_token_bytes("corp", b"{");
    assert_eq!(Run::of(prompt(&home).args(["--format", fmt])).stdout, "corp|-|error|⚠|⚠ error|{x}\n");
    assert_eq!(Run::of(prompt(&home).env("SSOFRESH_PROMPT_FORMAT", "[{state}]")).stdout, "[error]\n");
}

#[test]
fn bad_formats_and_names_exit_2_and_say_why() {
    let home = Home::new();
    home.write_token("corp", &token(3600));
    let run = Run::of(prompt(&home).args(["--format", "{session} {lfet}"]));
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert!(run.stderr.contains("{lfet}") && run.stderr.contains("{left}"), "{}", run.stderr);
    let run = Run::of(prompt(&home).args(["--format", "{session"]));
    assert_eq!(run.code, 2);
    let run = Run::of(prompt(&home).args(["--session", "nope"]));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("unknown sso-session 'nope'"), "{}", run.stderr);
}

#[test]
fn writes_nothing_and_never_prints_secrets() {
    let home = Home::new();
    let mut t = token(5 * 60);
    t["someToolField"] = json!(ACCESS);
    home.write_token("corp", &t);
    let before = tree(home.path());
    let run = Run::of(
        prompt(&home).env("SSOFRESH_LOG", "trace").args(["--format", "{session}{left}{expires}{status}{icon}{state}"]),
    );
    assert_eq!(run.code, 0);
    assert_eq!(tree(home.path()), before);
}
