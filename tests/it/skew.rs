//! A local clock that disagrees with the SSO endpoint's (issue #14): the endpoint's `Date`
//! shows it, the expiry written is never beyond the endpoint's view, nothing refreshes in a
//! loop, and `doctor` names the direction. The local clock is pinned with `SSOFRESH_TEST_NOW`;
//! the stub's `Date` is the real time.

use crate::common::aws::*;
use crate::common::*;
use chrono::{DateTime, Duration as Delta, Utc};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// A CreateToken answer stamped with the real time, as AWS stamps it.
fn dated_token_stub() -> Stub {
    dated_token_stub_at(Arc::default())
}

/// The same, with the endpoint's time `offset` seconds from the real one: time passing in a
/// test without waiting for it.
fn dated_token_stub_at(offset: Arc<AtomicI64>) -> Stub {
    Stub::start(move |_, _| {
        let server = Utc::now() + Delta::seconds(offset.load(Ordering::SeqCst));
        Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600).header("Date", &http_date(server))
    })
}

fn at(offset: Delta) -> String {
    (Utc::now() + offset).to_rfc3339()
}

fn expires_at(home: &Home) -> DateTime<Utc> {
    let t = home.read_token("corp");
    DateTime::parse_from_rfc3339(t["expiresAt"].as_str().unwrap()).unwrap().with_timezone(&Utc)
}

fn state(home: &Home) -> Value {
    let p = home.state_dir().join("sessions").join(format!("{}.json", sha1_hex("corp")));
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn activity(home: &Home) -> Vec<Value> {
    std::fs::read_to_string(home.activity_log())
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_clock_far_ahead_never_writes_an_expiry_beyond_the_endpoints_view() {
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    let server_offset = Arc::new(AtomicI64::new(0));
    let stub = dated_token_stub_at(server_offset.clone());
    let ahead = at(Delta::days(30));
    let tick = |now: &str| Run::of(home.cmd_at(&stub.url).arg("tick").env("SSOFRESH_TEST_NOW", now));

    let run = tick(&ahead);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(stub.count("/token"), 1);
    // Counted from the endpoint's (real) time, not from the clock 30 days ahead.
    let left = (expires_at(&home) - Utc::now()).num_seconds();
    assert!((3500..=3600).contains(&left), "expiresAt {left}s from the real now");
    assert!(
        run.stderr.contains("warning: corp: this machine's clock is 30d 0h ahead of the SSO endpoint's"),
        "{}",
        run.stderr
    );
    let skew = state(&home)["clock_skew"]["ahead_secs"].as_i64().unwrap();
    assert!((30 * 86400 - 10..=30 * 86400).contains(&skew), "{skew}");
    let refresh = activity(&home).into_iter().rfind(|e| e["event"] == "refresh").unwrap();
    assert!(refresh["message"].as_str().unwrap_or("").contains("30d 0h ahead of"), "{refresh}");

    // Still 30 days ahead: the token just written is not due again (no refresh at every run).
    for _ in 0..3 {
        let run = tick(&at(Delta::days(30) + Delta::minutes(5)));
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    assert_eq!(stub.count("/token"), 1, "refreshed again and again");
    let run = Run::of(home.cmd().arg("doctor").env("SSOFRESH_TEST_NOW", &ahead));
    assert!(run.stdout.contains("this machine's clock is 30d 0h ahead of the SSO endpoint's"), "{}", run.stdout);

    // The clock is fixed, 45 minutes later: 15 minutes are left, inside the threshold. (An
    // expiry counted from the clock 30 days ahead would have looked fresh for 30 more days.)
    let run = Run::of(home.cmd().arg("doctor").env("SSOFRESH_TEST_NOW", at(Delta::minutes(44))));
    assert!(
        run.stdout.contains("corp: at its last refresh") && run.stdout.contains("it has been set back since"),
        "{}",
        run.stdout
    );
    server_offset.store(45 * 60, Ordering::SeqCst);
    let run = tick(&at(Delta::minutes(45)));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(stub.count("/token"), 2, "{}", run.stderr);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    let run = Run::of(home.cmd().arg("doctor").env("SSOFRESH_TEST_NOW", at(Delta::minutes(45))));
    assert!(run.stdout.contains("clock: agrees with the SSO endpoint's"), "{}", run.stdout);
}

#[test]
fn a_clock_far_behind_counts_the_expiry_itself_and_does_not_loop() {
    let home = Home::new();
    let local = Delta::days(-30);
    let mut t = token(0);
    t["expiresAt"] = json!((Utc::now() + local + Delta::minutes(4)).format("%Y-%m-%dT%H:%M:%SZ").to_string());
    home.write_token("corp", &t);
    let stub = dated_token_stub();
    let tick = |now: &str| Run::of(home.cmd_at(&stub.url).arg("tick").env("SSOFRESH_TEST_NOW", now));

    let run = tick(&at(local));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("this machine's clock is 30d 0h behind the SSO endpoint's"), "{}", run.stderr);
    // By the local clock every tool here judges it with: an hour from its own now.
    let left = (expires_at(&home) - (Utc::now() + local)).num_seconds();
    assert!((3500..=3600).contains(&left), "expiresAt {left}s from the local now");
    for _ in 0..3 {
        assert_eq!(tick(&at(local + Delta::minutes(5))).code, 0);
    }
    assert_eq!(stub.count("/token"), 1, "refreshed again and again");
    let run = Run::of(home.cmd().arg("doctor").env("SSOFRESH_TEST_NOW", at(local)));
    assert!(run.stdout.contains("this machine's clock is 30d 0h behind the SSO endpoint's"), "{}", run.stdout);
}

#[test]
fn clocks_that_agree_leave_no_warning() {
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    let stub = dated_token_stub();
    let run = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    assert!(state(&home)["clock_skew"]["ahead_secs"].as_i64().unwrap().abs() <= 1);
    let left = (expires_at(&home) - Utc::now()).num_seconds();
    assert!((3500..=3600).contains(&left), "{left}");
}

/// The cache calls the token valid, the portal refuses it: one forced refresh and one more try,
/// then (if the portal still refuses) a login; never a loop.
#[test]
fn a_portal_401_for_a_valid_token_refreshes_once_then_retries() {
    let home = Home::new();
    home.write_token("corp", &token(3600));
    // The portal accepts only the refreshed token (the old one was revoked early).
    let stub = aws_stub(
        |_, _| Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600),
        |req, n| {
            if req.bearer() == Some(NEW_ACCESS) {
                numbered_roles(req, n)
            } else {
                Reply::portal_error(401, "UnauthorizedException", "Session token not found or invalid")
            }
        },
    );
    // Run::of checks that no token secret reached the output; role credentials may.
    let run = Run::of(home.cmd_aws(&stub.url).args(["credential-process", "--profile", "dev"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(ROLE_MARK), "{}", run.stdout);
    assert_eq!((stub.count(TOKEN), stub.count(PORTAL)), (1, 2));
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS);

    // A portal that refuses every token: one refresh, two portal calls, then a login.
    let home = Home::new();
    home.write_token("corp", &token(3600));
    let stub = aws_stub(
        |_, _| Reply::token(NEW_ACCESS, None, 3600),
        |_, _| Reply::portal_error(401, "UnauthorizedException", "Session token not found or invalid"),
    );
    let run = Run::of(home.cmd_aws(&stub.url).args(["credential-process", "--profile", "dev"]));
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("rejected the access token") && run.stderr.contains("ssofresh login corp"));
    assert_eq!((stub.count(TOKEN), stub.count(PORTAL)), (1, 2));
}

/// A login counts the new token's expiry the same way.
#[test]
fn a_login_with_a_clock_far_ahead_counts_from_the_endpoints_time() {
    let home = Home::new();
    let stub = Stub::start(|req, _| {
        let reply = match req.path.as_str() {
            "/client/register" => Reply::json(
                200,
                json!({
                    "clientId": "client-1", "clientSecret": CLIENT_SECRET, "clientIdIssuedAt": 1,
                    "clientSecretExpiresAt": Utc::now().timestamp() + 90 * 86400,
                }),
            ),
            "/device_authorization" => Reply::json(
                200,
                json!({
                    "deviceCode": "dc-SECRETMARK", "userCode": "ABCD-EFGH",
                    "verificationUri": "https://device.sso.us-east-1.amazonaws.com/", "expiresIn": 600, "interval": 1,
                }),
            ),
            _ => Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600),
        };
        reply.header("Date", &http_date(Utc::now()))
    });
    let run = Run::of(
        home.cmd_at(&stub.url)
            .args(["login", "--use-device-code", "--no-browser"])
            .env("SSOFRESH_TEST_WAIT_SCALE", "0.01")
            .env("SSOFRESH_TEST_NOW", at(Delta::days(30))),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("30d 0h ahead of the SSO endpoint's"), "{}", run.stderr);
    let left = (expires_at(&home) - Utc::now()).num_seconds();
    assert!((3500..=3600).contains(&left), "expiresAt {left}s from the real now");
}
