//! `ssofresh tick` end to end, against a loopback stub of SSO-OIDC with a temporary HOME.

use crate::common::*;
use serde_json::json;
use std::time::{Duration, Instant};

/// Runs a tick on a due token at `reply` and checks the cache is byte-identical afterwards.
fn fault(stub: &Stub, home: &Home) -> Run {
    let before = std::fs::read(home.token_path("corp")).unwrap();
    let run = Run::of(home.cmd_at(&stub.url).args(["tick"]).env("SSOFRESH_LOG", "trace"));
    assert_eq!(std::fs::read(home.token_path("corp")).unwrap(), before, "cache changed: {}", run.stderr);
    let names = cache_entries(&home.cache_dir());
    assert_eq!(names.len(), 1, "stray files: {names:?}");
    run
}

fn due_home() -> Home {
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    home
}

#[test]
fn refreshes_a_due_token_and_keeps_everything_else() {
    let home = Home::new();
    let original = token(4 * 60);
    home.write_token("corp", &original);
    let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600));
    let started = chrono::Utc::now();
    let run = Run::of(home.cmd_at(&stub.url).args(["tick"]).env("SSOFRESH_LOG", "trace"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("corp: refreshed"), "{}", run.stdout);

    let reqs = stub.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!((reqs[0].method.as_str(), reqs[0].path.as_str()), ("POST", "/token"));
    assert_eq!(
        reqs[0].json(),
        json!({"clientId": "client-id-1", "clientSecret": CLIENT_SECRET, "grantType": "refresh_token", "refreshToken": REFRESH})
    );
    assert!(reqs[0].header("authorization").is_none(), "CreateToken is unsigned");
    assert!(reqs[0].header("content-type").unwrap().starts_with("application/json"));

    let t = home.read_token("corp");
    assert_eq!(t["accessToken"], NEW_ACCESS);
    assert_eq!(t["refreshToken"], NEW_REFRESH);
    for k in ["startUrl", "region", "clientId", "clientSecret", "registrationExpiresAt", "someToolField"] {
        assert_eq!(t[k], original[k], "{k}");
    }
    let expires = chrono::DateTime::parse_from_rfc3339(t["expiresAt"].as_str().unwrap()).unwrap();
    let ahead = (expires.with_timezone(&chrono::Utc) - started).num_seconds();
    assert!((3590..=3610).contains(&ahead), "expiresAt {ahead}s ahead");
    assert!(t["expiresAt"].as_str().unwrap().ends_with('Z') && t["expiresAt"].as_str().unwrap().len() == 20);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.token_path("corp")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let again = Run::of(home.cmd_at(&stub.url).args(["tick"]));
    assert_eq!((again.code, again.stdout.as_str()), (0, ""));
    assert_eq!(stub.requests().len(), 1, "a fresh token makes no request");
}

#[test]
fn keeps_the_old_refresh_token_when_none_comes_back() {
    let home = due_home();
    let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600));
    assert_eq!(Run::of(home.cmd_at(&stub.url).arg("tick")).code, 0);
    assert_eq!(home.read_token("corp")["refreshToken"], REFRESH);
}

#[test]
fn writes_botocore_bytes() {
    let home = Home::new();
    let old_expiry = iso(60);
    let original = format!(
        r#"{{"startUrl": "https://corp.awsapps.com/start", "region": "us-east-1", "accessToken": "{ACCESS}", "expiresAt": "{old_expiry}", "clientId": "cid", "clientSecret": "{CLIENT_SECRET}", "registrationExpiresAt": "2099-01-01T00:00:00Z", "refreshToken": "{REFRESH}"}}"#
    );
    home.write_token_bytes("corp", original.as_bytes());
    let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600));
    assert_eq!(Run::of(home.cmd_at(&stub.url).arg("tick")).code, 0);
    let written = String::from_utf8(std::fs::read(home.token_path("corp")).unwrap()).unwrap();
    let t = home.read_token("corp");
    let expected = original
        .replace(ACCESS, NEW_ACCESS)
        .replace(REFRESH, NEW_REFRESH)
        .replace(&old_expiry, t["expiresAt"].as_str().unwrap());
    assert_eq!(written, expected);
}

#[test]
fn threshold_accepts_seconds_and_units() {
    let home = Home::new();
    home.write_token("corp", &token(30 * 60));
    let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600));
    for (threshold, requests) in [("20m", 0), ("1200", 0), ("1h", 1)] {
        let run = Run::of(home.cmd_at(&stub.url).args(["tick", "--threshold", threshold]));
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(stub.count("/token"), requests, "threshold {threshold}");
    }
    let run = Run::of(home.cmd_at(&stub.url).args(["tick"]).env("SSOFRESH_THRESHOLD", "soon"));
    assert_eq!(run.code, 2);
}

#[test]
fn retries_a_503_then_succeeds() {
    let home = due_home();
    let stub = Stub::sequence(vec![
        Reply::raw(503, "text/html", "<html>unavailable</html>"),
        Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600),
    ]);
    let run = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(stub.count("/token"), 2);
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS);
}

#[test]
fn transient_faults_exit_1_and_change_nothing() {
    let cases: Vec<(&str, Reply)> = vec![
        ("HTTP 500", Reply::oidc_error(500, "server_error", "InternalServerException")),
        ("non-JSON 200", Reply::raw(200, "text/html", "<html>captive portal</html>")),
        ("no accessToken", Reply::json(200, json!({"tokenType": "Bearer", "expiresIn": 3600}))),
        ("throttled", Reply::oidc_error(400, "slow_down", "SlowDownException")),
        ("absurd expiresIn", Reply::token(NEW_ACCESS, None, 9_000_000_000_000)),
    ];
    for (what, reply) in cases {
        let home = due_home();
        let stub = Stub::always(reply);
        let run = fault(&stub, &home);
        assert_eq!(run.code, 1, "{what}: {}", run.stderr);
        assert!(run.stderr.contains("corp"), "{what}: {}", run.stderr);
        assert_eq!(stub.count("/token"), 4, "{what}: three retries after the first attempt");
    }
}

#[test]
fn timeout_and_refused_connection_exit_1() {
    let home = due_home();
    let stub = Stub::always(Reply::hang());
    let t = Instant::now();
    let run = {
        let before = std::fs::read(home.token_path("corp")).unwrap();
        let r = Run::of(home.cmd_at(&stub.url).args(["tick", "--timeout", "1s", "--max-retry-attempts", "1"]));
        assert_eq!(std::fs::read(home.token_path("corp")).unwrap(), before);
        r
    };
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("timed out") && run.stderr.contains("corp"), "{}", run.stderr);
    assert!(t.elapsed() < Duration::from_secs(5), "two 1s attempts took {:?}", t.elapsed());

    let home = due_home();
    let url = refused_url();
    let run = Run::of(home.cmd_at(&url).arg("tick"));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("connect"), "{}", run.stderr);
}

#[test]
fn rejections_exit_3_once_and_never_resend_the_token() {
    let cases = [
        ("invalid_grant", Reply::oidc_error(400, "invalid_grant", "InvalidGrantException")),
        ("unauthorized_client", Reply::oidc_error(400, "unauthorized_client", "UnauthorizedClientException")),
        ("invalid_client", Reply::oidc_error(401, "invalid_client", "InvalidClientException")),
        ("expired_token", Reply::oidc_error(400, "expired_token", "ExpiredTokenException")),
    ];
    for (code, reply) in cases {
        let home = due_home();
        let stub = Stub::always(reply);
        let run = fault(&stub, &home);
        assert_eq!(run.code, 3, "{code}: {}", run.stderr);
        assert!(run.stderr.contains(code), "{}", run.stderr);
        assert!(run.stderr.contains("ssofresh login corp"), "{}", run.stderr);
        assert_eq!(stub.count("/token"), 1, "{code} is never retried");
        let again = fault(&stub, &home);
        assert_eq!(again.code, 3);
        assert_eq!(stub.count("/token"), 1, "{code}: a rejected refresh token is not sent again");

        // A new login (a new refresh token) makes ssofresh try again.
        let mut t = token(4 * 60);
        t["refreshToken"] = json!("aor-SECRETMARK-after-login");
        home.write_token("corp", &t);
        let stub2 = Stub::always(Reply::token(NEW_ACCESS, None, 3600));
        assert_eq!(Run::of(home.cmd_at(&stub2.url).arg("tick")).code, 0);
        assert_eq!(stub2.count("/token"), 1);
    }
}

#[test]
fn local_relogin_cases_make_no_request() {
    let mut expired_reg = token(4 * 60);
    expired_reg["registrationExpiresAt"] = json!(iso(-60));
    let mut no_refresh = token(4 * 60);
    no_refresh.as_object_mut().unwrap().remove("refreshToken");
    let mut no_client = token(4 * 60);
    no_client.as_object_mut().unwrap().remove("clientSecret");
    for (what, t, needle) in [
        ("expired registration", expired_reg, "registration expired"),
        ("missing refresh token", no_refresh, "no refresh token"),
        ("missing client secret", no_client, "no client registration"),
    ] {
        let home = Home::new();
        home.write_token("corp", &t);
        let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600));
        let run = fault(&stub, &home);
        assert_eq!(run.code, 3, "{what}: {}", run.stderr);
        assert!(run.stderr.contains(needle) && run.stderr.contains("corp"), "{what}: {}", run.stderr);
        assert_eq!(stub.requests().len(), 0, "{what}");
    }
}

#[test]
fn legacy_profiles_are_never_refreshed() {
    let home = Home::new();
    let mut t = token(4 * 60);
    t.as_object_mut().unwrap().remove("refreshToken");
    let path = home.write_token("https://old.awsapps.com/start", &t);
    let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600));
    let before = std::fs::read(&path).unwrap();
    let run = Run::of(home.cmd_at(&stub.url).args(["tick", "--profile", "old"]));
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("legacy") && run.stderr.contains("sso-session"), "{}", run.stderr);
    assert!(run.stderr.contains("ssofresh login --profile old"), "{}", run.stderr);
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(stub.requests().is_empty());
    // Not part of the default selection: it cannot be refreshed.
    assert_eq!(Run::of(home.cmd_at(&stub.url).arg("tick")).code, 0);
}

#[test]
fn broken_caches_exit_2_and_stay_as_they_were() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated", format!(r#"{{"accessToken": "{ACCESS}", "expiresAt": "#).into_bytes(), "truncated"),
        ("not JSON", b"\x00\x01garbage".to_vec(), "not valid JSON"),
        ("wrong type", format!(r#"["{ACCESS}"]"#).into_bytes(), "array"),
        ("missing expiresAt", format!(r#"{{"accessToken": "{ACCESS}"}}"#).into_bytes(), "expiresAt"),
        (
            "bad expiresAt",
            format!(r#"{{"accessToken": "{ACCESS}", "expiresAt": "{REFRESH}"}}"#).into_bytes(),
            "expiresAt",
        ),
        ("empty", Vec::new(), "empty"),
    ];
    for (what, bytes, needle) in cases {
        let home = Home::new();
        home.write_token_bytes("corp", &bytes);
        let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600));
        let run = fault(&stub, &home);
        assert_eq!(run.code, 2, "{what}: {}", run.stderr);
        assert!(run.stderr.contains("corp") && run.stderr.contains(needle), "{what}: {}", run.stderr);
        assert!(stub.requests().is_empty());
    }
}

#[cfg(unix)]
#[test]
fn unreadable_cache_exits_2() {
    use std::os::unix::fs::PermissionsExt;
    if unsafe_is_root() {
        // root reads mode-000 files; nothing to observe.
        eprintln!("notice: running as root; checking mode 000 through a directory instead");
    }
    let home = due_home();
    let path = home.token_path("corp");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600));
    let run = Run::of(home.cmd_at(&stub.url).arg("tick"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    if unsafe_is_root() {
        assert_eq!(run.code, 0, "{}", run.stderr);
        // Root can still be stopped by a cache path that is not a file.
        let home = Home::new();
        std::fs::create_dir_all(home.token_path("corp")).unwrap();
        let run = Run::of(home.cmd_at(&stub.url).args(["tick", "--session", "corp"]));
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains("corp") && run.stderr.contains("cannot read"), "{}", run.stderr);
    } else {
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains("corp") && run.stderr.contains("cannot read"), "{}", run.stderr);
        assert!(stub.requests().is_empty());
    }
}

#[cfg(unix)]
fn unsafe_is_root() -> bool {
    std::process::Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false)
}

#[test]
fn selection_errors_exit_2() {
    let home = due_home();
    for (args, needle) in [
        (vec!["tick", "--profile", "nope"], "unknown profile 'nope'"),
        (vec!["tick", "--session", "nope"], "unknown sso-session 'nope'"),
        (vec!["tick", "--profile", "static"], "no SSO settings"),
        (vec!["tick", "--bogus"], "--bogus"),
    ] {
        let run = Run::of(home.cmd().args(&args));
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
    let run = Run::of(home.cmd().arg("tick").env("SSOFRESH_PROFILE", "dev,nope"));
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn sessions_never_logged_in_are_not_errors() {
    let home = Home::new();
    let run = Run::of(home.cmd().arg("tick"));
    assert_eq!((run.code, run.stdout.as_str(), run.stderr.as_str()), (0, "", ""));
    let run = Run::of(home.cmd().args(["tick", "--session", "corp"]));
    assert_eq!(run.code, 0);
    assert!(run.stderr.contains("not logged in"), "{}", run.stderr);
    // Without any config at all, there is nothing to do.
    std::fs::remove_file(home.path().join(".aws/config")).unwrap();
    assert_eq!(Run::of(home.cmd().arg("tick")).code, 0);
}

#[test]
fn honours_aws_config_file_and_cache_dir() {
    let home = Home::new();
    let other = home.path().join("elsewhere/config");
    std::fs::create_dir_all(other.parent().unwrap()).unwrap();
    std::fs::write(&other, "[sso-session alt]\nsso_start_url = https://alt/start\nsso_region = eu-west-1\n").unwrap();
    let cache = home.path().join("custom-cache");
    std::fs::create_dir_all(&cache).unwrap();
    let mut t = token(60);
    t["region"] = json!("eu-west-1");
    std::fs::write(cache.join(format!("{}.json", sha1_hex("alt"))), t.to_string()).unwrap();
    let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600));
    let run =
        Run::of(home.cmd_at(&stub.url).arg("tick").env("AWS_CONFIG_FILE", &other).env("SSOFRESH_CACHE_DIR", &cache));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("alt: refreshed"), "{}", run.stdout);
    assert_eq!(stub.count("/token"), 1);
}

#[test]
fn endpoint_comes_from_the_config_and_plain_http_must_be_loopback() {
    let home = due_home();
    let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600));
    home.config(
        &format!("{CONFIG}\n[services local]\nsso_oidc =\n  endpoint_url = {}\n", stub.url)
            .replace("[profile dev]\n", "[profile dev]\nservices = local\n"),
    );
    let run = Run::of(home.cmd().arg("tick"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(stub.count("/token"), 1);

    let home = due_home();
    let run = Run::of(home.cmd_at("http://example.com").arg("tick"));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("plain http"), "{}", run.stderr);
}

#[test]
fn automatic_callers_back_off_after_a_transient_failure() {
    let home = due_home();
    let stub = Stub::always(Reply::raw(503, "text/plain", "down"));
    let run = Run::of(home.cmd_at(&stub.url).args(["tick", "--auto", "--max-retry-attempts", "0"]));
    assert_eq!(run.code, 1);
    assert_eq!(stub.count("/token"), 1);
    for _ in 0..5 {
        let run = Run::of(home.cmd_at(&stub.url).args(["tick", "--auto"]));
        assert_eq!(run.code, 1);
        assert!(run.stderr.contains("backing off"), "{}", run.stderr);
    }
    assert_eq!(stub.count("/token"), 1, "no request while backing off");
    // An explicit tick always makes its attempt.
    Run::of(home.cmd_at(&stub.url).args(["tick", "--max-retry-attempts", "0"]));
    assert_eq!(stub.count("/token"), 2);
}

#[test]
fn concurrent_ticks_make_one_request() {
    let home = due_home();
    let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600).delayed(Duration::from_millis(500)));
    let path = home.token_path("corp");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (path, stop) = (path.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let bytes = std::fs::read(&path).expect("the cache never disappears");
                let v: serde_json::Value = serde_json::from_slice(&bytes).expect("the cache is never partial");
                assert!(v["accessToken"].is_string());
                reads += 1;
                // Wine refuses to replace a file any process has open (Windows allows it when
                // the reader shares delete, as Rust's do): a reader that never lets go would
                // make every replace busy there. A file a program holds is the subject of
                // tick::a_cache_python_holds_open_is_rewritten_in_place_with_the_rotated_token.
                if cfg!(windows) {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            reads
        })
    };
    let children: Vec<_> = (0..24)
        .map(|_| {
            home.cmd_at(&stub.url)
                .arg("tick")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(!String::from_utf8_lossy(&out.stderr).contains(MARK));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.join().unwrap() > 10);
    assert_eq!(stub.count("/token"), 1);
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS);
}

#[test]
fn secrets_echoed_by_the_endpoint_are_not_printed() {
    let home = due_home();
    let stub = Stub::start(|req, _| {
        // A misbehaving endpoint that echoes the request into every part of its error.
        let echo = String::from_utf8_lossy(&req.body).into_owned();
        Reply::json(400, json!({"error": "invalid_request", "error_description": echo, "message": echo}))
            .header("x-amzn-ErrorType", "InvalidRequestException")
    });
    let run = Run::of(home.cmd_at(&stub.url).arg("tick").env("SSOFRESH_LOG", "trace"));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("invalid_request"), "{}", run.stderr);
}

#[test]
fn a_session_without_any_region_is_a_configuration_error() {
    let home = Home::new();
    home.config("[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n");
    let mut t = token(4 * 60);
    t.as_object_mut().unwrap().remove("region");
    home.write_token("corp", &t);
    let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600));
    let run = fault(&stub, &home);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("sso_region") && run.stderr.contains("corp"), "{}", run.stderr);
    assert!(stub.requests().is_empty());
    // The token's own region is the next best: the refresh goes ahead.
    home.write_token("corp", &token(4 * 60));
    assert_eq!(Run::of(home.cmd_at(&stub.url).arg("tick")).code, 0);
    assert_eq!(stub.count("/token"), 1);
}

/// A pseudo-terminal: the master to read, and the slave for a child's stderr.
#[cfg(target_os = "linux")]
fn pty() -> (std::fs::File, std::fs::File) {
    use std::os::fd::FromRawFd;
    // SAFETY: the standard pty calls; the fds are checked and handed to File once each.
    unsafe {
        let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        assert!(master >= 0, "posix_openpt");
        assert_eq!(libc::grantpt(master), 0);
        assert_eq!(libc::unlockpt(master), 0);
        let name = std::ffi::CStr::from_ptr(libc::ptsname(master)).to_owned();
        let slave = libc::open(name.as_ptr(), libc::O_RDWR | libc::O_NOCTTY);
        assert!(slave >= 0, "open {name:?}");
        (std::fs::File::from_raw_fd(master), std::fs::File::from_raw_fd(slave))
    }
}

/// A tick run by hand on a terminal, offline: each failed attempt is shown as it happens, with
/// the short schedule a waiting person gets (2 s, 4 s, 6 s instead of 10 s, 20 s, 30 s); with
/// --auto the schedule stays. Once the line is there the tick is stopped: what it says is the
/// test, not its waiting.
#[cfg(target_os = "linux")]
#[test]
fn by_hand_on_a_terminal_each_attempt_is_shown_with_a_short_schedule() {
    use std::io::{BufRead, BufReader};
    for (extra, pause) in [(&[][..], "2s"), (&["--auto"][..], "10s")] {
        let home = due_home();
        let (master, slave) = pty();
        let mut child = home
            .cmd_at(&refused_url())
            .env_remove("SSOFRESH_RETRY_BACKOFF")
            .arg("tick")
            .args(extra)
            .stdout(std::process::Stdio::null())
            .stderr(slave)
            .spawn()
            .unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(master).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let line = rx.recv_timeout(Duration::from_secs(20));
        let _ = child.kill();
        let _ = child.wait();
        let line = line.unwrap_or_else(|_| panic!("{extra:?}: nothing on the terminal"));
        assert!(!line.contains(MARK), "{line}");
        assert!(line.starts_with("ssofresh: corp: attempt 1 failed ("), "{extra:?}: {line}");
        assert!(
            line.contains("connect") && line.trim_end().ends_with(&format!("; retrying in {pause}")),
            "{extra:?}: {line}"
        );
    }
    // Not on a terminal (cron, a pipe): no attempt lines, only the outcome.
    let home = due_home();
    let run = Run::of(home.cmd_at(&refused_url()).args(["tick", "--max-retry-attempts", "2"]));
    assert_eq!(run.code, 1);
    assert!(!run.stderr.contains("attempt 1 failed"), "{}", run.stderr);
}

/// Times people read carry the zone's name, as `date +%Z` gives it, not chrono's `+00:00`: a
/// POSIX TZ (`XYZ-3`: three hours east, named XYZ) needs no zone database, so the words are
/// known before the run; so do a named zone's (Europe/Berlin in July: CEST) where the
/// database is installed.
// Windows has no TZ variable: the zone there is the system's, named by its offset.
#[cfg(unix)]
#[test]
fn times_name_their_zone() {
    let home = Home::new();
    // Due at the pinned time: the refreshed token expires an hour after it.
    let mut t = token(0);
    t["expiresAt"] = json!("2026-07-01T12:05:00Z");
    home.write_token("corp", &t);
    let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600));
    let run =
        Run::of(home.cmd_at(&stub.url).arg("tick").env("TZ", "XYZ-3").env("SSOFRESH_TEST_NOW", "2026-07-01T12:00:00Z"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The pinned clock runs on from its start, so "1h left" may be "59m left".
    assert!(run.stdout.starts_with("corp: refreshed; valid until 16:00 XYZ ("), "{}", run.stdout);
    let status = Run::of(
        home.cmd()
            .args(["status", "--activity", "0"])
            .env("TZ", "XYZ-3")
            .env("SSOFRESH_TEST_NOW", "2026-07-01T12:00:00Z"),
    );
    let token_line =
        |out: &str| out.lines().find(|l| l.trim_start().starts_with("token ")).unwrap_or_default().to_string();
    assert!(status.stdout.starts_with("corp: valid\n"), "{}", status.stdout);
    assert!(token_line(&status.stdout).ends_with("(until 16:00 XYZ)"), "{}", status.stdout);
    assert!(status.stdout.contains("  session ends  ~23:00 XYZ, in "), "{}", status.stdout);
    if std::path::Path::new("/usr/share/zoneinfo/Europe/Berlin").exists() {
        let status = Run::of(
            home.cmd()
                .args(["status", "--activity", "0"])
                .env("TZ", "Europe/Berlin")
                .env("SSOFRESH_TEST_NOW", "2026-07-01T12:00:00Z"),
        );
        assert!(token_line(&status.stdout).ends_with("(until 15:00 CEST)"), "{}", status.stdout);
    }
}

/// Share modes of the other clients' readers on Windows: CPython's `open()` (botocore, the AWS
/// CLI) shares reading and writing, not delete; .NET's `File.ReadAllText` (AWS Tools for
/// PowerShell) reading only. (Node's libuv and Rust's std share all three.)
#[cfg(windows)]
const PYTHON_SHARING: u32 = 0x1 | 0x2;
#[cfg(windows)]
const DOTNET_SHARING: u32 = 0x1;

#[cfg(windows)]
fn hold(path: &std::path::Path, share: u32) -> std::fs::File {
    use std::os::windows::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().read(true).share_mode(share).open(path).unwrap()
}

/// Windows will not replace a file another program has open without sharing delete, as
/// Python's `open()` (botocore reading the token) has it, but lets it be written: the tick
/// rewrites the cache in place, and the refresh token the endpoint rotated is in it while the
/// reader still holds it. The old refresh token, dead now, is never needed again.
#[cfg(windows)]
#[test]
fn a_cache_python_holds_open_is_rewritten_in_place_with_the_rotated_token() {
    let home = due_home();
    let path = home.token_path("corp");
    let stub = Stub::rotating_oidc();
    let held = hold(&path, PYTHON_SHARING);
    let run = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let t = home.read_token("corp");
    assert_eq!((t["accessToken"].as_str(), t["refreshToken"].as_str()), (Some(NEW_ACCESS), Some(NEW_REFRESH)));
    assert_eq!(t["someToolField"], token(0)["someToolField"], "the rest of the file is kept");
    let files: Vec<String> = cache_entries(&home.cache_dir());
    assert_eq!(files, [path.file_name().unwrap().to_string_lossy()], "no temp file, nothing kept aside");
    drop(held);
    let run = Run::of(home.cmd_at(&stub.url).args(["tick", "--threshold", "2h"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(stub.refresh_tokens_sent(), [REFRESH, NEW_REFRESH]);
    assert_eq!(home.read_token("corp")["accessToken"], NEWER_ACCESS);
}

/// A reader that shares neither delete nor write (.NET's) blocks the rename and the in-place
/// write alike: the refreshed token is kept beside the cache, the cache stays as it was, and
/// the next tick puts the kept token in place without a request; the old refresh token, dead
/// now, is never sent again.
#[cfg(windows)]
#[test]
fn a_cache_held_without_write_sharing_keeps_the_token_for_the_next_run() {
    let home = due_home();
    let path = home.token_path("corp");
    let before = std::fs::read(&path).unwrap();
    let stub = Stub::rotating_oidc();
    let held = hold(&path, DOTNET_SHARING);
    let run = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let kept = home.kept_path("corp");
    assert!(
        run.stderr.contains("corp")
            && run.stderr.contains("open in another program")
            && run.stderr.contains(&format!("kept in {}", kept.display())),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file is as it was");
    assert_eq!(
        cache_entries(&home.cache_dir()),
        [kept.file_name().unwrap().to_string_lossy(), path.file_name().unwrap().to_string_lossy()],
        "no temp file; the kept token beside the cache"
    );
    let status = Run::of(home.cmd().arg("status"));
    assert!(status.stdout.contains("unsaved"), "{}", status.stdout);
    drop(held);
    let run = Run::of(home.cmd_at(&stub.url).args(["tick", "--auto"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let t = home.read_token("corp");
    assert_eq!((t["accessToken"].as_str(), t["refreshToken"].as_str()), (Some(NEW_ACCESS), Some(NEW_REFRESH)));
    assert!(!kept.exists());
    assert_eq!(stub.refresh_tokens_sent(), [REFRESH], "put in place without a request");
    let run = Run::of(home.cmd_at(&stub.url).args(["tick", "--threshold", "2h"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(stub.refresh_tokens_sent(), [REFRESH, NEW_REFRESH], "the old refresh token is never needed again");
}

/// A newer login another client writes into a held cache is never overwritten with the older
/// refresh's result: written in place during the request (as the JS SDK writes, which Python's
/// sharing allows), the refresh's result is dropped; written after a refresh was kept aside,
/// the kept token is removed unused once the login is due.
#[cfg(windows)]
#[test]
fn a_newer_login_in_a_held_cache_is_never_overwritten() {
    use std::io::Write;
    // Each login's text is made once: `token` reads the clock, and a second can pass between
    // writing the file and comparing it.
    let login = |n: u32| {
        let mut t = token(8 * 3600);
        t["accessToken"] = json!(format!("aoa-SECRETMARK-access-login-{n}"));
        t["refreshToken"] = json!(format!("aor-SECRETMARK-refresh-login-{n}"));
        t.to_string()
    };
    let (login1, login2) = (login(1), login(2));
    let home = due_home();
    let path = home.token_path("corp");
    let gate = Gate::new();
    let g = gate.clone();
    let stub = Stub::start(move |_, _| Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600).until(&g));
    let held = hold(&path, PYTHON_SHARING);
    let tick = home
        .cmd_at(&stub.url)
        .arg("tick")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    assert!(wait_until(Duration::from_secs(20), || stub.count("/token") == 1));
    std::fs::OpenOptions::new().write(true).truncate(true).open(&path).unwrap().write_all(login1.as_bytes()).unwrap();
    gate.open();
    let run = Run::from(tick.wait_with_output().unwrap());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), login1, "the newer login was overwritten");
    assert!(!home.kept_path("corp").exists());
    drop(held);

    let home = due_home();
    let path = home.token_path("corp");
    let stub = Stub::rotating_oidc();
    let held = hold(&path, DOTNET_SHARING);
    assert_eq!(Run::of(home.cmd_at(&stub.url).arg("tick")).code, 1);
    assert!(home.kept_path("corp").exists());
    drop(held);
    std::fs::write(&path, &login2).unwrap();
    assert_eq!(Run::of(home.cmd_at(&stub.url).arg("tick")).code, 0);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), login2, "the newer login was overwritten");
    let run = Run::of(home.cmd_at(&stub.url).args(["tick", "--threshold", "9h"]));
    assert_eq!(run.code, 3, "the stub knows no login token: {}", run.stderr);
    assert!(!home.kept_path("corp").exists(), "the kept token is still there");
    assert_eq!(stub.refresh_tokens_sent(), [REFRESH, "aor-SECRETMARK-refresh-login-2"]);
    assert_eq!(home.read_token("corp")["accessToken"], "aoa-SECRETMARK-access-login-2");
}

/// What ssofresh writes, every SDK reads: registrationExpiresAt in `…SSZ` like expiresAt (the
/// same instant), and numbers in fields it does not know exactly as they were.
#[test]
fn a_refresh_writes_times_every_sdk_reads_and_keeps_unknown_numbers_exact() {
    for (written, normalised) in [
        ("2099-03-01T00:00:00+00:00", "2099-03-01T00:00:00Z"),
        ("2099-03-01T01:00:00+01:00", "2099-03-01T00:00:00Z"),
        ("2099-03-01T00:00:00UTC", "2099-03-01T00:00:00Z"),
        ("2099-03-01T00:00:00.000Z", "2099-03-01T00:00:00Z"),
    ] {
        let home = Home::new();
        let mut t = token(4 * 60);
        t["registrationExpiresAt"] = json!(written);
        let text = t.to_string().replace(
            r#""someToolField":{"kept":true}"#,
            r#""someToolField":{"kept":true,"id":12345678901234567890123,"ratio":0.10000000000000000555,"max":18446744073709551616}"#,
        );
        home.write_token_bytes("corp", text.as_bytes());
        let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600));
        assert_eq!(Run::of(home.cmd_at(&stub.url).arg("tick")).code, 0);
        let out = String::from_utf8(std::fs::read(home.token_path("corp")).unwrap()).unwrap();
        assert!(out.contains(&format!(r#""registrationExpiresAt": "{normalised}""#)), "{written}: {out}");
        assert!(
            out.contains(
                r#""id": 12345678901234567890123, "ratio": 0.10000000000000000555, "max": 18446744073709551616"#
            ),
            "{out}"
        );
    }
}
