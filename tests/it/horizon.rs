//! The session's end: the login time as the files show it, each basis of the estimate
//! (configured, learned, assumed), and other clients' refreshes, which are the same session.
//! Time moves through `SSOFRESH_TEST_NOW` from one invocation to the next, and file times are
//! set where the test needs them.
#![cfg_attr(windows, allow(dead_code, unused_imports))]

use crate::common::aws::*;
use crate::common::*;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use std::path::Path;

const H: i64 = 3600;
const M: i64 = 60;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn fmt(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Sets a file's modification time, as a writer at `t` would have left it.
fn written_at(path: &Path, t: DateTime<Utc>) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(std::time::SystemTime::from(t)).unwrap();
}

/// A token as another tool's login leaves it: `expires` away, written at `t`.
fn login_token(home: &Home, refresh: &str, t: DateTime<Utc>, expires: Duration) -> Value {
    let mut v = token(0);
    v["refreshToken"] = json!(refresh);
    v["expiresAt"] = json!(fmt(t + expires));
    let p = home.write_token("corp", &v);
    written_at(&p, t);
    v
}

fn tick_at(home: &Home, url: &str, now: DateTime<Utc>) -> Run {
    Run::of(home.cmd_at(url).arg("tick").env("SSOFRESH_TEST_NOW", fmt(now)))
}

fn corp_json(home: &Home, now: DateTime<Utc>, extra: &[&str]) -> Value {
    let run = Run::of(
        home.cmd().args(["status", "--json", "--session", "corp"]).args(extra).env("SSOFRESH_TEST_NOW", fmt(now)),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str::<Value>(&run.stdout).unwrap()["sessions"][0].clone()
}

fn events(home: &Home, kind: &str) -> usize {
    let text = std::fs::read_to_string(home.activity_log()).unwrap_or_default();
    assert!(!text.contains(MARK), "a secret reached the activity log");
    text.lines().filter(|l| serde_json::from_str::<Value>(l).unwrap()["event"] == kind).count()
}

/// Issue #12's learned estimate: a login, its refresh token rejected N hours later, a new
/// login; the estimate for the new session is N, from the new login.
#[test]
fn a_session_that_ended_after_n_hours_gives_n_for_the_next() {
    let home = Home::new();
    let stub = Stub::always(Reply::oidc_error(400, "invalid_grant", "InvalidGrantException"));
    let t0 = at("2026-03-10T08:00:00Z");
    login_token(&home, REFRESH, t0, Duration::hours(1));
    // The first tick sees the login (at the cache file's time); nothing is learned yet.
    assert_eq!(tick_at(&home, &stub.url, t0 + Duration::minutes(1)).code, 0);
    let s = corp_json(&home, t0 + Duration::minutes(2), &[]);
    assert_eq!(
        (s["login_at"].as_str(), s["login_at_basis"].as_str()),
        (Some("2026-03-10T08:00:00Z"), Some("cache_file_time"))
    );
    assert_eq!(
        (s["session_ends_basis"].as_str(), s["session_ends_at"].as_str()),
        (Some("assumed"), Some("2026-03-10T16:00:00Z"))
    );

    // 10 hours after the login the refresh is rejected: the session lasted at most that long.
    let ended = t0 + Duration::hours(10);
    let run = tick_at(&home, &stub.url, ended);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(stub.count("/token"), 1);
    let s = corp_json(&home, ended, &[]);
    assert_eq!(s["state"], "relogin_required");
    assert!(s["session_ends_at"].is_null(), "no end for a session that has ended");

    // A new login (the AWS CLI's) five minutes later: the estimate counts 10 h from it.
    let t1 = ended + Duration::minutes(5);
    login_token(&home, "aor-SECRETMARK-second-login", t1, Duration::hours(1));
    assert_eq!(tick_at(&home, &stub.url, t1 + Duration::minutes(1)).code, 0);
    assert_eq!(events(&home, "login_detected"), 2);
    let s = corp_json(&home, t1 + Duration::minutes(30), &[]);
    assert_eq!(s["session_ends_basis"], "learned");
    assert_eq!(s["session_learned_from"], 1);
    assert_eq!(s["session_duration_seconds"], 10 * H);
    assert_eq!(s["login_at"], fmt(t1));
    assert_eq!(s["session_ends_at"], fmt(t1 + Duration::hours(10)));
    // Stated, the duration wins; nothing stated and nothing learned is AWS's default.
    let s = corp_json(&home, t1 + Duration::minutes(30), &["--session-duration", "corp=12h"]);
    assert_eq!(
        (s["session_ends_basis"].as_str(), s["session_ends_at"].as_str()),
        (Some("configured"), Some(fmt(t1 + Duration::hours(12)).as_str()))
    );
    let human = Run::of(
        home.cmd().args(["status", "--session", "corp"]).env("SSOFRESH_TEST_NOW", fmt(t1 + Duration::minutes(30))),
    );
    assert!(human.stdout.contains("(learned from 1 session)"), "{}", human.stdout);
}

/// The AWS CLI (botocore) refreshes a token ssofresh has not kept fresh, inside its own
/// 15-minute window, and replaces the refresh token, with the same client registration: the
/// same session. The login time stays, and no new login is logged. (Not on Windows: the AWS
/// CLI here is the Linux one from the CI virtual environment.)
#[cfg(not(windows))]
#[test]
fn the_aws_clis_refresh_with_a_rotated_refresh_token_is_the_same_session() {
    if !require_tool("aws") {
        return;
    }
    let home = Home::new();
    let now = Utc::now();
    let login = now - Duration::hours(3);
    // Logged in 3 h ago; the token now has 10 minutes left (nothing ran ssofresh since).
    let before = login_token(&home, REFRESH, login, Duration::seconds(0));
    let mut t = before.clone();
    t["expiresAt"] = json!(fmt(now + Duration::minutes(10)));
    home.write_token("corp", &t);
    written_at(&home.token_path("corp"), login);
    let stub = aws_stub(|_, _| Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600), numbered_roles);
    // ssofresh last looked 40 minutes ago, when the token still had 50 minutes.
    let run = tick_at(&home, &stub.url, now - Duration::minutes(40));
    assert_eq!((run.code, stub.count(TOKEN)), (0, 0), "{}", run.stderr);
    assert_eq!(events(&home, "login_detected"), 1);

    let out = ClientRun::of(home.client("aws", &stub.url).args(["sts", "get-caller-identity", "--profile", "dev"]));
    assert_eq!(out.code, 0, "aws failed: {}", out.stderr);
    assert_eq!(stub.count(TOKEN), 1, "botocore refreshed the token");
    let cache = home.read_token("corp");
    assert_eq!(cache["refreshToken"], NEW_REFRESH, "and replaced the refresh token");
    assert_eq!(cache["clientId"], before["clientId"], "with the same registration");

    let run = tick_at(&home, &stub.url, Utc::now());
    assert_eq!((run.code, run.stdout.as_str(), run.stderr.as_str()), (0, "", ""));
    assert_eq!(events(&home, "login_detected"), 1, "not a new login");
    assert_eq!(events(&home, "refreshed_elsewhere"), 1);
    let s = corp_json(&home, Utc::now(), &[]);
    assert_eq!(s["login_at"], fmt(login), "the login time stays");
    assert_eq!(s["last_login_at"], fmt(login));
    assert_eq!(s["session_ends_at"], fmt(login + Duration::hours(8)));
    let log = Run::of(home.cmd().args(["log"]));
    assert!(log.stdout.contains("refreshed by another program"), "{}", log.stdout);
}

/// The JS SDK (5 minutes before expiry) rewrites the cache in place with a rotated refresh
/// token: the same session. A new refresh token while the old token had long to go is a login.
#[test]
fn a_rotation_inside_the_sdk_window_is_a_refresh_and_one_outside_it_a_login() {
    let home = Home::new();
    let stub = Stub::always(Reply::oidc_error(500, "server_error", "InternalServerException"));
    let t0 = at("2026-03-10T08:00:00Z");
    let old = login_token(&home, REFRESH, t0, Duration::hours(1));
    assert_eq!(tick_at(&home, &stub.url, t0 + Duration::minutes(30)).code, 0);
    // At 08:57, with 3 minutes left, the JS SDK refreshes: truncate, then write.
    let js = t0 + Duration::minutes(57);
    let mut t = old.clone();
    t["accessToken"] = json!("aoa-SECRETMARK-js");
    t["refreshToken"] = json!("aor-SECRETMARK-js-rotated");
    t["expiresAt"] = json!(fmt(js + Duration::hours(1)));
    std::fs::write(home.token_path("corp"), t.to_string()).unwrap();
    written_at(&home.token_path("corp"), js);
    assert_eq!(tick_at(&home, &stub.url, js + Duration::minutes(1)).code, 0);
    assert_eq!((events(&home, "login_detected"), events(&home, "refreshed_elsewhere")), (1, 1));
    assert_eq!(corp_json(&home, js + Duration::minutes(2), &[])["login_at"], fmt(t0));

    // At 09:20, with 37 minutes left, a new refresh token: no SDK refreshes then, so a login.
    let relogin = t0 + Duration::minutes(80);
    login_token(&home, "aor-SECRETMARK-login-2", relogin, Duration::hours(1));
    assert_eq!(tick_at(&home, &stub.url, relogin + Duration::minutes(1)).code, 0);
    assert_eq!((events(&home, "login_detected"), events(&home, "refreshed_elsewhere")), (2, 1));
    let s = corp_json(&home, relogin + Duration::minutes(2), &[]);
    assert_eq!(
        (s["login_at"].as_str(), s["session_ends_at"].as_str()),
        (Some(fmt(relogin).as_str()), Some("2026-03-10T17:20:00Z"))
    );
    assert_eq!(stub.count("/token"), 0, "every token was fresh");
}

/// ssofresh's own refreshes that rotate the refresh token are the same session, and what they
/// show of it (alive at each refresh) narrows what a later rejection teaches.
#[test]
fn own_refreshes_keep_the_login_and_bound_what_is_learned() {
    let home = Home::new();
    let t0 = at("2026-03-10T08:00:00Z");
    login_token(&home, REFRESH, t0, Duration::hours(1));
    let rotate = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600));
    assert_eq!(tick_at(&home, &rotate.url, t0 + Duration::minutes(1)).code, 0);
    // Refreshed at 08:45, rotating the refresh token.
    assert_eq!(tick_at(&home, &rotate.url, t0 + Duration::minutes(45)).code, 0);
    assert_eq!(rotate.count("/token"), 1);
    assert_eq!(events(&home, "login_detected"), 1);
    assert_eq!(corp_json(&home, t0 + Duration::minutes(50), &[])["login_at"], fmt(t0));
    // Rejected at 10:30 (the token was due from about 09:25): ended between 08:45 and 10:30.
    let reject = Stub::always(Reply::oidc_error(400, "invalid_grant", "InvalidGrantException"));
    assert_eq!(tick_at(&home, &reject.url, t0 + Duration::minutes(150)).code, 3);
    let state: Value = serde_json::from_slice(
        &std::fs::read(home.state_dir().join(format!("sessions/{}.json", sha1_hex("corp")))).unwrap(),
    )
    .unwrap();
    assert_eq!(state["observed"], json!([{"login_at": fmt(t0), "ended_secs": 150 * M, "alive_secs": 45 * M}]));
    assert!(!state.to_string().contains(MARK), "times only, never a token");
    // Rejected again (another tick): still one observation.
    assert_eq!(tick_at(&home, &reject.url, t0 + Duration::minutes(151)).code, 3);
    let state: Value = serde_json::from_slice(
        &std::fs::read(home.state_dir().join(format!("sessions/{}.json", sha1_hex("corp")))).unwrap(),
    )
    .unwrap();
    assert_eq!(state["observed"].as_array().unwrap().len(), 1);
}

/// Where the notify command drops events, one file each, and the command that does it.
fn notifying<'a>(c: &'a mut std::process::Command, dir: &Path) -> &'a mut std::process::Command {
    c.env("SSOFRESH_NOTIFY", "command")
        .env("SSOFRESH_NOTIFY_COMMAND", r#"cat > "$(mktemp "$EVENTS/event.XXXXXX")""#)
        .env("EVENTS", dir)
}

fn sent(dir: &Path) -> Vec<Value> {
    let mut out: Vec<Value> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            assert!(!text.contains(MARK), "a secret reached the notify command: {text}");
            serde_json::from_str(&text).unwrap()
        })
        .collect();
    out.sort_by(|a, b| a["time"].as_str().cmp(&b["time"].as_str()));
    out
}

/// A session another tool logged in to at 08:00 whose login a tick has seen (state as it
/// leaves it), its token fresh at `now`.
fn seen_login(home: &Home, login: DateTime<Utc>, now: DateTime<Utc>) {
    let t = login_token(home, REFRESH, login, Duration::zero());
    let mut t = t.clone();
    t["expiresAt"] = json!(fmt(now + Duration::minutes(45)));
    home.write_token("corp", &t);
    home.write_state(
        "corp",
        &json!({
            "session": "corp",
            "seen_login": fingerprint(REFRESH),
            "seen_expires_at": fmt(now + Duration::minutes(45)),
            "login_at": fmt(login),
            "login_at_basis": "cache_file_time",
        }),
    );
}

/// `session_ending` once per login, and again for the next login. (Not on Windows: the notify
/// command is a POSIX shell line.)
#[cfg(not(windows))]
#[test]
fn session_ending_is_sent_once_per_login_and_again_after_a_new_one() {
    let home = Home::new();
    let dir = home.path().join("events");
    std::fs::create_dir_all(&dir).unwrap();
    let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600));
    let t0 = at("2026-03-10T08:00:00Z");
    let tick = |now: DateTime<Utc>| {
        let run = Run::of(notifying(home.cmd_at(&stub.url).arg("tick").env("SSOFRESH_TEST_NOW", fmt(now)), &dir));
        assert_eq!(run.code, 0, "{}", run.stderr);
        sent(&dir).iter().filter(|e| e["event"] == "session_ending").count()
    };
    // 7 h in: not yet inside the 30 minutes before the assumed 8 h.
    seen_login(&home, t0, t0 + Duration::hours(7));
    assert_eq!(tick(t0 + Duration::hours(7)), 0);
    // 7h 40m in: once, however many ticks follow.
    seen_login(&home, t0, t0 + Duration::minutes(460));
    assert_eq!(tick(t0 + Duration::minutes(460)), 1);
    assert_eq!(tick(t0 + Duration::minutes(461)), 1);
    let e = &sent(&dir)[0];
    assert_eq!((e["session"].as_str(), e["session_ends_at"].as_str()), (Some("corp"), Some("2026-03-10T16:00:00Z")));
    assert_eq!(e["session_ends_basis"], "assumed");
    assert_eq!(e["login_command"], "ssofresh login corp");
    let msg = e["message"].as_str().unwrap();
    assert!(msg.contains("ends ~") && msg.contains("log in now") && msg.ends_with("ssofresh login corp"), "{msg}");
    // Another client's refresh (rotated refresh token, inside its window) is the same login.
    let mut t = home.read_token("corp");
    t["refreshToken"] = json!("aor-SECRETMARK-rotated");
    t["expiresAt"] = json!(fmt(t0 + Duration::minutes(462 + 60)));
    home.write_token("corp", &t);
    written_at(&home.token_path("corp"), t0 + Duration::minutes(462));
    let mut st: Value = serde_json::from_slice(
        &std::fs::read(home.state_dir().join(format!("sessions/{}.json", sha1_hex("corp")))).unwrap(),
    )
    .unwrap();
    st["seen_expires_at"] = json!(fmt(t0 + Duration::minutes(470)));
    home.write_state("corp", &st);
    assert_eq!(tick(t0 + Duration::minutes(463)), 1, "not a new login");
    // An early login (the one the warning asks for): a new session, warned of in its own time.
    let t1 = t0 + Duration::minutes(470);
    login_token(&home, "aor-SECRETMARK-login-2", t1, Duration::hours(1));
    assert_eq!(tick(t1 + Duration::minutes(1)), 1);
    assert_eq!(tick(t1 + Duration::minutes(451)), 2);
    // Turned off: nothing.
    let home2 = Home::new();
    let dir2 = home2.path().join("events");
    std::fs::create_dir_all(&dir2).unwrap();
    seen_login(&home2, t0, t0 + Duration::minutes(460));
    let off = Run::of(
        notifying(home2.cmd_at(&stub.url).arg("tick"), &dir2)
            .env("SSOFRESH_TEST_NOW", fmt(t0 + Duration::minutes(460)))
            .env("SSOFRESH_NOTIFY_ON_SESSION_ENDING", "false"),
    );
    assert_eq!(off.code, 0);
    assert!(sent(&dir2).is_empty());
    assert_eq!(stub.count("/token"), 1, "only the second login's token, long expired by then, was refreshed");
}

/// Twenty shells prompting at once inside the warning window: each hears the hint, the
/// notification is sent once.
#[cfg(not(windows))]
#[test]
fn twenty_shells_prompting_at_once_send_one_notification() {
    let home = Home::new();
    let dir = home.path().join("events");
    std::fs::create_dir_all(&dir).unwrap();
    let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600));
    let t0 = at("2026-03-10T08:00:00Z");
    let now = t0 + Duration::minutes(460);
    seen_login(&home, t0, now);
    let hook = || {
        let mut c = home.cmd_at(&stub.url);
        c.args(["hook", "--shell", "zsh"]).env("SSOFRESH_TEST_NOW", fmt(now)).env("TZ", "UTC");
        notifying(&mut c, &dir);
        c
    };
    // Each hook and the tick it may start watched to the end, all twenty at once.
    let running: Vec<_> = (0..20)
        .map(|_| {
            let mut c = hook();
            std::thread::spawn(move || {
                let (run, exits) = Exits::run(&mut c);
                assert!(exits.wait(std::time::Duration::from_secs(20)), "a tick the hook started still runs");
                run
            })
        })
        .collect();
    let mut hints = 0;
    for t in running {
        let run = t.join().unwrap();
        assert_eq!(run.code, 0);
        if run.stderr.contains("ends ~16:00") {
            assert!(run.stderr.contains("ssofresh login corp") && run.stderr.contains("assumed"), "{}", run.stderr);
            hints += 1;
        }
    }
    assert!(hints >= 1, "the hint was printed");
    let kinds: Vec<String> = sent(&dir).iter().map(|e| e["event"].as_str().unwrap().to_string()).collect();
    assert_eq!(kinds, ["session_ending"]);
    assert_eq!(stub.count("/token"), 0, "the token was fresh: no refresh");
    // Later prompts start nothing more.
    Run::of_all(&mut hook());
    assert_eq!(sent(&dir).len(), 1);
}

/// After `ssofresh logout`, the next token is a new login however soon it comes: without the
/// sign-out noted, a login within minutes of the old token's expiry would pass for another
/// client's refresh, and the session's end would count from the old login.
#[test]
fn a_login_after_logout_is_a_new_login() {
    let home = Home::new();
    let stub = Stub::always(Reply::oidc_error(500, "server_error", "InternalServerException"));
    let now = Utc::now();
    let old_login = now - Duration::hours(3);
    // Logged in 3 h ago; its token expired a minute ago; the last tick saw it.
    login_token(&home, REFRESH, old_login, Duration::zero());
    let mut t = home.read_token("corp");
    t["expiresAt"] = json!(fmt(now - Duration::minutes(1)));
    home.write_token("corp", &t);
    home.write_state(
        "corp",
        &json!({
            "seen_login": fingerprint(REFRESH),
            "seen_expires_at": fmt(now - Duration::minutes(1)),
            "login_at": fmt(old_login),
            "login_at_basis": "cache_file_time",
        }),
    );
    let run = Run::of(home.cmd_at(&stub.url).args(["logout", "corp"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!home.token_path("corp").exists());
    // aws sso login, at once.
    login_token(&home, "aor-SECRETMARK-after-logout", now, Duration::hours(1));
    let run = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!((events(&home, "login_detected"), events(&home, "refreshed_elsewhere")), (1, 0));
    let s = corp_json(&home, Utc::now(), &[]);
    assert_eq!(s["login_at"], fmt(now));
}

/// A refresh token rejected seconds after its login (signed out elsewhere, revoked) says
/// nothing of how long sessions last: no session is that short, and the next login's end is
/// not moments away. (Found under Wine, where the seconds pass between the login's file time
/// and the tick's rejection.)
#[test]
fn a_rejection_right_after_a_login_teaches_nothing() {
    let home = Home::new();
    let stub = Stub::always(Reply::oidc_error(400, "invalid_grant", "InvalidGrantException"));
    let t0 = at("2026-03-10T08:00:00Z");
    login_token(&home, REFRESH, t0, Duration::minutes(4));
    assert_eq!(tick_at(&home, &stub.url, t0 + Duration::seconds(2)).code, 3);
    let t1 = t0 + Duration::minutes(1);
    login_token(&home, "aor-SECRETMARK-second-login", t1, Duration::hours(1));
    assert_eq!(tick_at(&home, &stub.url, t1 + Duration::seconds(5)).code, 0);
    let s = corp_json(&home, t1 + Duration::minutes(1), &[]);
    assert_eq!(
        (s["session_ends_basis"].as_str(), s["session_ends_at"].as_str()),
        (Some("assumed"), Some("2026-03-10T16:01:00Z"))
    );
}
