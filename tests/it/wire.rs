//! What crosses the wire, and what ssofresh believes of it (issue #14): one deadline per
//! request, answers whose tokens could not be sent back, 401s that AWS did not name, regions
//! that are not host names, proxies, and clocks that disagree with the endpoint's.

use crate::common::aws::*;
use crate::common::*;
use serde_json::json;
use std::time::{Duration, Instant};

fn due_home() -> Home {
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    home
}

/// Runs `args` against `stub` and checks the token cache is byte-identical afterwards.
fn unchanged(home: &Home, stub_url: &str, args: &[&str]) -> Run {
    let before = std::fs::read(home.token_path("corp")).unwrap();
    let run = Run::of(home.cmd_at(stub_url).args(args).env("SSOFRESH_LOG", "trace"));
    assert_eq!(std::fs::read(home.token_path("corp")).unwrap(), before, "cache changed: {}", run.stderr);
    run
}

#[test]
fn a_dripping_answer_is_cut_off_at_the_timeout() {
    let home = due_home();
    // Headers at once, then one byte a second: a per-read timeout never fires.
    let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600).dripping(Duration::from_secs(1)));
    let started = Instant::now();
    let run = unchanged(&home, &stub.url, &["tick", "--timeout", "2s", "--max-retry-attempts", "0"]);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "a 2 s deadline took {took:?}");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("corp") && run.stderr.contains("timed out"), "{}", run.stderr);
    // The lock is free again: the next tick makes its own attempt.
    let stub2 = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600));
    assert_eq!(Run::of(home.cmd_at(&stub2.url).arg("tick")).code, 0);
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS);
}

#[test]
fn an_empty_refresh_token_in_the_answer_keeps_the_old_one() {
    let home = due_home();
    let stub = Stub::always(Reply::token(NEW_ACCESS, Some(""), 3600));
    let run = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let t = home.read_token("corp");
    assert_eq!((t["accessToken"].as_str(), t["refreshToken"].as_str()), (Some(NEW_ACCESS), Some(REFRESH)));
}

/// Tokens go back to AWS in a header or a JSON string: anything but visible ASCII is a broken
/// answer, and a broken answer changes nothing.
#[test]
fn tokens_that_could_not_be_sent_back_are_refused() {
    let cases = [
        ("CR/LF in the access token", Reply::token("aoa-SECRETMARK\r\nX-Injected: 1", Some(NEW_REFRESH), 3600)),
        ("space in the access token", Reply::token("aoa-SECRETMARK two", None, 3600)),
        ("non-ASCII access token", Reply::token("aoa-SECRETMARK-é", None, 3600)),
        ("LF in the refresh token", Reply::token(NEW_ACCESS, Some("aor-SECRETMARK\nx"), 3600)),
        ("NUL in the refresh token", Reply::token(NEW_ACCESS, Some("aor-SECRETMARK\u{0}"), 3600)),
    ];
    for (what, reply) in cases {
        let home = due_home();
        let stub = Stub::always(reply);
        let run = unchanged(&home, &stub.url, &["tick", "--max-retry-attempts", "0"]);
        assert_eq!(run.code, 1, "{what}: {}", run.stderr);
        assert!(run.stderr.contains("corp") && run.stderr.contains("not a usable token"), "{what}: {}", run.stderr);
        let state =
            std::fs::read_to_string(home.state_dir().join("sessions").join(format!("{}.json", sha1_hex("corp"))))
                .unwrap();
        assert!(state.contains("bad_response") && !state.contains("rejected"), "{what}: {state}");
    }
}

/// The same rule for what a login is handed: a client registration or a first token.
#[test]
fn login_refuses_registrations_and_tokens_that_could_not_be_sent_back() {
    for bad in ["register", "token"] {
        let home = Home::new();
        let stub = Stub::start(move |req, _| match req.path.as_str() {
            "/client/register" => Reply::json(
                200,
                json!({
                    "clientId": "client-1",
                    "clientSecret": if bad == "register" { "cs-SECRETMARK\r\nx" } else { CLIENT_SECRET },
                    "clientIdIssuedAt": 1,
                    "clientSecretExpiresAt": chrono::Utc::now().timestamp() + 90 * 86400,
                }),
            ),
            "/device_authorization" => Reply::json(
                200,
                json!({
                    "deviceCode": "dc-SECRETMARK", "userCode": "ABCD-EFGH",
                    "verificationUri": "https://device.sso.us-east-1.amazonaws.com/", "expiresIn": 600, "interval": 1,
                }),
            ),
            _ => Reply::token("aoa-SECRETMARK\nx", Some(NEW_REFRESH), 3600),
        });
        let run = Run::of(
            home.cmd_at(&stub.url)
                .args(["login", "--use-device-code", "--no-browser"])
                .env("SSOFRESH_TEST_WAIT_SCALE", "0.01"),
        );
        assert_eq!(run.code, 1, "{bad}: {}", run.stderr);
        assert!(run.stderr.contains("not a usable"), "{bad}: {}", run.stderr);
        assert!(!home.token_path("corp").exists(), "{bad}: a token was written");
        if bad == "register" {
            assert_eq!(stub.count("/device_authorization"), 0, "the bad registration was used");
            assert!(tree(&home.cache_dir()).is_empty(), "{:?}", tree(&home.cache_dir()));
        }
    }
}

/// A 401 that names no AWS error came from a proxy, firewall or captive portal: transient, and
/// the refresh token stays in use.
#[test]
fn a_bare_401_from_the_oidc_endpoint_is_transient() {
    for (what, reply) in [
        ("captive portal", Reply::raw(401, "text/html", "<html>Sign in to the hotel Wi-Fi</html>")),
        ("empty", Reply::raw(401, "text/plain", "")),
        ("JSON without an error", Reply::json(401, json!({"message": "Unauthorized"}))),
    ] {
        let home = due_home();
        let stub = Stub::always(reply);
        let run = unchanged(&home, &stub.url, &["tick", "--max-retry-attempts", "0"]);
        assert_eq!(run.code, 1, "{what}: {}", run.stderr);
        assert!(run.stderr.contains("corp") && run.stderr.contains("HTTP 401"), "{what}: {}", run.stderr);
        assert!(run.stderr.contains("proxy"), "{what}: {}", run.stderr);
        // The refresh token is not remembered as rejected: the next tick sends it again.
        let again = unchanged(&home, &stub.url, &["tick", "--max-retry-attempts", "0"]);
        assert_eq!(again.code, 1, "{what}: {}", again.stderr);
        assert_eq!(stub.count("/token"), 2, "{what}");
    }
}

#[test]
fn a_bare_401_from_the_portal_asks_for_no_login() {
    let home = Home::new();
    home.write_token("corp", &token(3600));
    let stub = aws_stub(
        |_, _| Reply::token(NEW_ACCESS, None, 3600),
        |_, _| Reply::raw(401, "text/html", "<html>Proxy authentication required</html>"),
    );
    let run = Run::of(home.cmd_aws(&stub.url).args(["credential-process", "--profile", "dev"]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("HTTP 401") && run.stderr.contains("proxy"), "{}", run.stderr);
    assert!(!run.stderr.contains("login"), "{}", run.stderr);
    assert_eq!(stub.count(TOKEN), 0, "no refresh for a token nobody rejected");

    // logout: a bare 401 does not mean the session has ended; AWS's own 401 does.
    let bare = Stub::always(Reply::raw(401, "text/html", "<html>Proxy authentication required</html>"));
    let run = Run::of(home.cmd_aws(&bare.url).args(["logout", "corp"]));
    assert_eq!(bare.count("/logout"), 1);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("could not sign out at the portal"), "{}", run.stderr);
    assert!(!run.stdout.contains("already ended"), "{}", run.stdout);
    home.write_token("corp", &token(3600));
    let aws = Stub::always(Reply::portal_error(401, "UnauthorizedException", "Session token not found or invalid"));
    let run = Run::of(home.cmd_aws(&aws.url).args(["logout", "corp"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("already ended"), "{}", run.stdout);
}

/// The region becomes part of a host name: one that is not a host-name label (as botocore
/// checks) is a configuration error in every command that builds an endpoint, before any
/// request, even when an override names the endpoint.
#[test]
fn a_region_that_is_not_a_host_label_is_refused_everywhere() {
    const BAD: &str = "attacker.example/x?";
    let home = Home::new();
    home.config(&CONFIG.replace(
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1",
        &format!("[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = {BAD}"),
    ));
    home.write_token("corp", &token(4 * 60));
    let stub = aws_stub(|_, _| Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600), numbered_roles);
    let config = home.path().join(".aws/config").display().to_string();
    // The AWS files (token cache, role cache, registrations); ssofresh's own state may note the login.
    let aws_files = || snapshot(&home.path().join(".aws"));
    for args in [
        vec!["tick"],
        vec!["tick", "--session", "corp"],
        vec!["credential-process", "--profile", "dev"],
        vec!["env", "--profile", "dev"],
        vec!["login", "corp", "--use-device-code", "--no-browser"],
        vec!["logout", "corp"],
    ] {
        let before = aws_files();
        let run = Run::of(home.cmd_aws(&stub.url).args(&args));
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        for needle in ["corp", &config, &format!("{BAD:?}"), "not a region name"] {
            assert!(run.stderr.contains(needle), "{args:?}: no {needle:?} in {}", run.stderr);
        }
        assert_eq!(stub.requests().len(), 0, "{args:?}: a request was made");
        assert_eq!(aws_files(), before, "{args:?}: files changed");
    }
    let run = Run::of(home.cmd_aws(&stub.url).arg("doctor"));
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("not a region name") && !run.stdout.contains("AWS defaults"), "{}", run.stdout);
    assert_eq!(run.stdout.matches("not a region name").count(), 1, "{}", run.stdout);

    // Without sso_region in the config, the token cache's region is used: checked the same way.
    home.config(&CONFIG.replace("sso_region = us-east-1\nsso_registration_scopes", "sso_registration_scopes"));
    let mut t = token(4 * 60);
    t["region"] = json!("evil.example\u{1b}[2J");
    home.write_token("corp", &t);
    let before = aws_files();
    let run = Run::of(home.cmd_aws(&stub.url).arg("tick"));
    assert_eq!(run.code, 2, "{}", run.stderr);
    let cache = home.token_path("corp").display().to_string();
    assert!(run.stderr.contains(&cache) && run.stderr.contains("\\u{1b}"), "{}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}'), "an escape sequence reached the terminal: {:?}", run.stderr);
    assert_eq!(stub.requests().len(), 0);
    assert_eq!(aws_files(), before);
}
