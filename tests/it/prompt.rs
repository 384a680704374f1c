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

/// The format before the session's end was known: the access token's countdown.
const OLD_FORM: &str = "{session} {status}";

#[test]
fn shows_each_logged_in_session_and_its_time_left() {
    let home = two_sessions();
    let old = |c: &mut std::process::Command| Run::of(c.env("SSOFRESH_PROMPT_FORMAT", OLD_FORM)).stdout;
    let run = Run::of(&mut prompt(&home));
    assert_eq!((run.code, run.stdout.as_str(), run.stderr.as_str()), (0, "", ""), "nothing logged in: nothing shown");
    home.write_token("corp", &token(42 * 60 + 30));
    assert_eq!(old(&mut prompt(&home)), "corp 42m\n");
    home.write_token("lab", &token(3 * 3600 + 5 * 60 + 30));
    assert_eq!(old(&mut prompt(&home)), "corp 42m lab 3h5m\n");
    assert_eq!(old(prompt(&home).args(["--separator", " | "])), "corp 42m | lab 3h5m\n");
    assert_eq!(old(prompt(&home).args(["--session", "lab"])), "lab 3h5m\n");
    assert_eq!(old(prompt(&home).env("SSOFRESH_SESSION", "corp")), "corp 42m\n");
    // The default: the sessions, quietly, while each has hours left.
    assert_eq!(Run::of(&mut prompt(&home)).stdout, "corp lab\n");
}

/// A session logged in (by another tool) `ago` seconds before 12:00, its token refreshed at
/// 11:40 (state as a tick leaves it): the prompt at 12:00 sees the session's end from it.
fn logged_in(home: &Home, name: &str, ago: i64, extra: serde_json::Value) {
    let mut t = token(0);
    t["expiresAt"] = json!("2026-03-10T12:40:00Z");
    home.write_token(name, &t);
    let mut st = json!({
        "session": name,
        "seen_login": fingerprint(REFRESH),
        "seen_expires_at": "2026-03-10T12:40:00Z",
        "login_at": (at_noon() - chrono::Duration::seconds(ago)).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "login_at_basis": "cache_file_time",
    });
    for (k, v) in extra.as_object().unwrap() {
        st[k] = v.clone();
    }
    home.write_state(name, &st);
}

fn at_noon() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-03-10T12:00:00Z").unwrap().to_utc()
}

#[test]
fn the_default_segment_shows_what_the_user_must_act_on() {
    let home = two_sessions();
    let at_noon = |c: &mut std::process::Command| {
        Run::of(c.env("SSOFRESH_TEST_NOW", "2026-03-10T12:00:00Z").env("TZ", "UTC")).stdout
    };
    // Hours left (AWS's default 8 h from a login 2 h ago): the name only.
    logged_in(&home, "corp", 2 * 3600, json!({}));
    assert_eq!(at_noon(&mut prompt(&home)), "corp\n");
    // In the last hour: the time left in the session, not in the token.
    // (Offsets sit mid-minute: the clock moves on from noon while the prompt runs.)
    logged_in(&home, "corp", 7 * 3600 + 34 * 60 + 30, json!({}));
    assert_eq!(at_noon(&mut prompt(&home)), "corp 25m\n");
    assert_eq!(at_noon(prompt(&home).args(["--show-within", "20m"])), "corp\n", "configurable");
    assert_eq!(at_noon(prompt(&home).env("SSOFRESH_PROMPT_SHOW_WITHIN", "2h")), "corp 25m\n");
    // A stated duration moves it: 12 h sessions leave 4h 25m.
    assert_eq!(at_noon(prompt(&home).env("SSOFRESH_SESSION_DURATION", "corp=12h")), "corp\n");
    assert_eq!(at_noon(prompt(&home).args(["--session-duration", "12h", "--show-within", "5h"])), "corp 4h25m\n");
    // Past the estimate while still refreshable: nothing left to count.
    logged_in(&home, "corp", 8 * 3600 + 10 * 60, json!({}));
    assert_eq!(at_noon(&mut prompt(&home)), "corp 0s\n");
    // Rejected: a login is needed.
    logged_in(
        &home,
        "corp",
        8 * 3600 + 10 * 60,
        json!({"rejected": {"refresh_token_fingerprint": fingerprint(REFRESH), "error": "invalid_grant", "at": "2026-03-10T11:59:00Z"}}),
    );
    assert_eq!(at_noon(&mut prompt(&home)), "corp ⚠ login\n");
    // With another session: each says its own; parts with nothing to say are left out.
    logged_in(&home, "lab", 3600, json!({}));
    assert_eq!(at_noon(&mut prompt(&home)), "corp ⚠ login lab\n");
    assert_eq!(at_noon(prompt(&home).args(["--format", "{session_status}"])), "⚠ login\n");
    logged_in(&home, "corp", 3600, json!({}));
    assert_eq!(at_noon(prompt(&home).args(["--format", "{session_status}"])), "", "nothing to say: no line");
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
    // The session: logged in at 09:30 by ssofresh, 8-hour sessions configured.
    let session = "{session_left}|{session_ends}|{session_status}|";
    logged_in(&home, "corp", 2 * 3600 + 29 * 60 + 30, json!({"login_at_basis": "ssofresh_login"}));
    let noon = |c: &mut std::process::Command| {
        Run::of(
            c.env("SSOFRESH_TEST_NOW", "2026-03-10T12:00:00Z").env("TZ", "UTC").env("SSOFRESH_SESSION_DURATION", "8h"),
        )
        .stdout
    };
    assert_eq!(noon(prompt(&home).args(["--format", session])), "5h30m|17:30||\n");
    assert_eq!(noon(prompt(&home).args(["--format", session, "--show-within", "6h"])), "5h30m|17:30|5h30m|\n");
    let none = Home::new();
    assert_eq!(noon(none.cmd().arg("prompt").args(["--session", "corp", "--format", session])), "ended|-|! login|\n");

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
