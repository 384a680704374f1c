//! `ssofresh hook`, the per-prompt check, run directly: what it starts, prints and writes.

use crate::common::*;
use serde_json::json;
use std::time::{Duration, Instant};

fn hook(home: &Home, url: &str) -> std::process::Command {
    let mut c = home.cmd_at(url);
    c.env("SSOFRESH_STATE_DIR", home.state_dir()).arg("hook");
    c
}

fn refreshed(home: &Home) -> bool {
    home.token_path("corp").exists() && home.read_token("corp")["accessToken"] == NEW_ACCESS
}

/// A token that expires in `secs` and has no refresh token: only a new login helps.
fn unrefreshable(secs: i64) -> serde_json::Value {
    let mut t = token(secs);
    t.as_object_mut().unwrap().remove("refreshToken");
    t
}

#[test]
fn fresh_tokens_cost_one_read_and_write_nothing() {
    let home = Home::new();
    home.write_token("corp", &token(3600));
    let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600));
    let before = tree(home.path());
    let run = Run::of_all(&mut hook(&home, &stub.url));
    assert_eq!((run.code, run.stdout.as_str(), run.stderr.as_str()), (0, "", ""));
    assert_eq!(tree(home.path()), before, "the no-op path writes nothing");
    assert!(stub.requests().is_empty());
}

#[test]
fn a_due_token_is_refreshed_in_the_background_without_waiting() {
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    // No answer until the hook has returned.
    let answer = Gate::new();
    let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600).until(&answer));
    let t = Instant::now();
    let run = Run::of(&mut hook(&home, &stub.url));
    let took = t.elapsed();
    assert_eq!((run.code, run.stdout.as_str(), run.stderr.as_str()), (0, "", ""));
    // Waiting for the refresh would mean waiting for the gate, which opens only below. Under
    // Wine starting a process alone can take a second or two (measured: 1.8 s under load).
    let most = if cfg!(windows) { Duration::from_secs(10) } else { Duration::from_millis(500) };
    assert!(took < most, "the hook waited {took:?}");
    assert!(!refreshed(&home));
    answer.open();
    assert!(wait_until(Duration::from_secs(10), || refreshed(&home)), "not refreshed in the background");
    assert_eq!(stub.count("/token"), 1);
    assert_eq!(home.read_token("corp")["refreshToken"], NEW_REFRESH);
}

#[test]
fn prompts_while_a_refresh_runs_start_no_second_one() {
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    let answer = Gate::new();
    let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600).until(&answer));
    // A request timeout long enough that the refresh never retries while the gate holds its
    // answer, however slowly the prompts below run (under Wine they took more than 3 s).
    let (_, refresh) = Exits::run(hook(&home, &stub.url).env("SSOFRESH_TIMEOUT", "120s"));
    assert!(wait_until(Duration::from_secs(5), || stub.count("/token") == 1));
    for _ in 0..5 {
        let run = Run::of_all(hook(&home, &stub.url).env("SSOFRESH_LOG", "debug"));
        assert_eq!(run.code, 0);
        assert!(run.stderr.contains("a refresh is already running"), "{}", run.stderr);
        assert!(!run.stderr.contains("started a refresh"), "{}", run.stderr);
    }
    answer.open();
    assert!(wait_until(Duration::from_secs(10), || refreshed(&home)));
    assert!(refresh.wait(Duration::from_secs(10)), "the refresh did not end");
    assert_eq!(stub.count("/token"), 1);
    // The activity log shows one refresh, by a process that was not the hook.
    let log = std::fs::read_to_string(home.state_dir().join("activity.log")).unwrap();
    assert_eq!(log.lines().filter(|l| l.contains("\"event\":\"refresh\"")).count(), 1, "{log}");
}

#[test]
fn back_off_keeps_an_offline_laptop_from_starting_a_refresh_per_prompt() {
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    let stub = Stub::always(Reply::raw(503, "text/plain", "down"));
    let mut first = hook(&home, &stub.url);
    first.env("SSOFRESH_MAX_RETRY_ATTEMPTS", "0");
    Run::of_all(&mut first);
    let log = home.state_dir().join("activity.log");
    assert!(wait_until(Duration::from_secs(5), || std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("transient")));
    for _ in 0..10 {
        let run = Run::of_all(&mut hook(&home, &stub.url));
        assert_eq!((run.code, run.stderr.as_str()), (0, ""), "a transient failure is no news at the prompt");
    }
    let run = Run::of_all(hook(&home, &stub.url).env("SSOFRESH_LOG", "debug"));
    assert!(run.stderr.contains("backing off until") && !run.stderr.contains("started a refresh"), "{}", run.stderr);
    assert_eq!(stub.count("/token"), 1, "no request while backing off");
    let entries = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        entries.lines().filter(|l| l.contains("\"event\":\"refresh\"")).count(),
        1,
        "no tick was started: {entries}"
    );
}

#[test]
fn a_rejected_refresh_token_is_not_sent_again_and_the_hint_comes_once() {
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    let stub = Stub::always(Reply::oidc_error(400, "invalid_grant", "InvalidGrantException"));
    Run::of_all(&mut hook(&home, &stub.url));
    let state = home.state_dir().join(format!("sessions/{}.json", sha1_hex("corp")));
    assert!(wait_until(Duration::from_secs(5), || std::fs::read_to_string(&state)
        .unwrap_or_default()
        .contains("rejected")));
    let runs: Vec<Run> = (0..4).map(|_| Run::of_all(&mut hook(&home, &stub.url))).collect();
    let hinted: Vec<&str> = runs.iter().map(|r| r.stderr.as_str()).filter(|s| !s.is_empty()).collect();
    assert_eq!(hinted.len(), 1, "{hinted:?}");
    assert!(hinted[0].starts_with("ssofresh: SSO session corp needs a new login"), "{}", hinted[0]);
    assert!(hinted[0].contains("login") && hinted[0].contains("corp") && hinted[0].ends_with('\n'));
    assert_eq!(hinted[0].lines().count(), 1);
    assert!(runs.iter().all(|r| r.code == 0));
    assert_eq!(stub.count("/token"), 1, "the rejected token is never sent again");

    // A new login whose refresh works: refreshed, and no hint.
    let mut t = token(4 * 60);
    t["refreshToken"] = json!("aor-SECRETMARK-after-login");
    home.write_token("corp", &t);
    let ok = Stub::always(Reply::token(NEW_ACCESS, None, 3600));
    let run = Run::of(&mut hook(&home, &ok.url));
    assert_eq!(run.stderr, "");
    assert!(wait_until(Duration::from_secs(5), || refreshed(&home)));
}

#[test]
fn hints_repeat_after_an_hour_and_at_once_for_a_new_login() {
    let home = Home::new();
    home.write_token("corp", &unrefreshable(4 * 60));
    let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600));
    let hint = |home: &Home| Run::of_all(&mut hook(home, &stub.url)).stderr;
    let first = hint(&home);
    assert!(first.contains("corp") && first.contains("login") && first.contains("expires in"), "{first}");
    assert_eq!(hint(&home), "");
    // Back-date the memo by 61 minutes: the hint is due again.
    let memo = home.state_dir().join(format!("hints/{}.json", sha1_hex("corp")));
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&memo).unwrap()).unwrap();
    m["at"] = json!(iso(-61 * 60));
    std::fs::write(&memo, m.to_string()).unwrap();
    assert!(hint(&home).contains("corp"));
    assert_eq!(hint(&home), "");
    // A different login with the same problem is news.
    let mut t = unrefreshable(-60);
    t["accessToken"] = json!("aoa-SECRETMARK-another-login");
    home.write_token("corp", &t);
    let again = hint(&home);
    assert!(again.contains("expired") && again.contains("ago"), "{again}");
    assert!(stub.requests().is_empty());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&memo).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

#[test]
fn no_hints_means_none() {
    let home = Home::new();
    home.write_token("corp", &unrefreshable(60));
    let run = Run::of(hook(&home, "http://127.0.0.1:9").arg("--no-hints"));
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let run = Run::of(hook(&home, "http://127.0.0.1:9").env("SSOFRESH_NO_HINTS", "1"));
    assert_eq!(run.stderr, "");
    let run = Run::of(hook(&home, "http://127.0.0.1:9").env("SSOFRESH_NO_HINTS", "false"));
    assert!(run.stderr.contains("corp"), "{}", run.stderr);
}

#[test]
fn named_sessions_get_hints_that_unnamed_stale_ones_do_not() {
    let home = Home::new();
    // Logged in once, long ago: no nagging unless the user asked to watch it.
    home.write_token("corp", &unrefreshable(-8 * 86400));
    let run = Run::of(&mut hook(&home, "http://127.0.0.1:9"));
    assert_eq!(run.stderr, "");
    let run = Run::of(hook(&home, "http://127.0.0.1:9").args(["--session", "corp"]));
    assert!(run.stderr.contains("corp") && run.stderr.contains("login"), "{}", run.stderr);

    // Never logged in: silent by default, a hint when named.
    let home = Home::new();
    assert_eq!(Run::of(&mut hook(&home, "http://127.0.0.1:9")).stderr, "");
    let run = Run::of(hook(&home, "http://127.0.0.1:9").args(["--profile", "dev"]));
    assert!(run.stderr.contains("SSO session corp is not logged in") && run.stderr.contains("login"), "{}", run.stderr);
}

#[test]
fn legacy_profiles_are_watched_only_when_named_and_never_refreshed() {
    let home = Home::new();
    home.write_token("https://old.awsapps.com/start", &unrefreshable(5 * 60));
    let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600));
    assert_eq!(Run::of_all(&mut hook(&home, &stub.url)).stderr, "");
    let run = Run::of_all(hook(&home, &stub.url).args(["--profile", "old"]));
    assert!(
        run.stderr.contains("SSO profile old needs a new login") && run.stderr.contains("--profile old"),
        "{}",
        run.stderr
    );
    assert!(stub.requests().is_empty());
}

#[test]
fn configuration_problems_are_said_once_not_at_every_prompt() {
    let home = Home::new();
    let runs: Vec<Run> =
        (0..3).map(|_| Run::of(hook(&home, "http://127.0.0.1:9").args(["--session", "nope"]))).collect();
    assert!(runs.iter().all(|r| r.code == 0));
    assert!(runs[0].stderr.contains("unknown sso-session 'nope'"), "{}", runs[0].stderr);
    assert_eq!(runs[1].stderr, "");
    assert_eq!(runs[2].stderr, "");

    #[cfg(unix)]
    {
        let home = Home::new();
        let config = home.path().join(".aws/config");
        // An unusable config (a directory where the file should be, which stops root too).
        std::fs::remove_file(&config).unwrap();
        std::fs::create_dir(&config).unwrap();
        let first = Run::of(&mut hook(&home, "http://127.0.0.1:9"));
        assert!(first.stderr.contains("is a directory, not a file"), "{}", first.stderr);
        assert_eq!(Run::of(&mut hook(&home, "http://127.0.0.1:9")).stderr, "");
    }
}

#[test]
fn a_broken_cache_is_reported_without_its_contents() {
    let home = Home::new();
    home.write_token_bytes("corp", format!(r#"{{"accessToken": "{ACCESS}", "expiresAt": "{REFRESH}"}}"#).as_bytes());
    let before = std::fs::read(home.token_path("corp")).unwrap();
    let run = Run::of(hook(&home, "http://127.0.0.1:9").env("SSOFRESH_LOG", "trace"));
    assert_eq!(run.code, 0);
    assert!(run.stderr.contains("SSO session corp") && run.stderr.contains("expiresAt"), "{}", run.stderr);
    assert_eq!(std::fs::read(home.token_path("corp")).unwrap(), before);
}

#[test]
fn relative_paths_still_work_for_the_detached_refresh() {
    // The refresh runs in `/`; the hook hands it absolute paths.
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600));
    let run = Run::of(home.cmd_at(&stub.url).current_dir(home.path()).args([
        "hook",
        "--config-file",
        ".aws/config",
        "--cache-dir",
        ".aws/sso/cache",
        "--state-dir",
        "st",
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(wait_until(Duration::from_secs(5), || refreshed(&home)));
    assert!(home.path().join("st/activity.log").exists());
}

#[test]
fn the_background_refresh_logs_where_a_tick_would() {
    // No state directory given: the detached tick gets explicit paths, yet its activity log
    // must land in the platform's default place (on macOS that is not the state directory).
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600));
    assert_eq!(Run::of(home.cmd_at(&stub.url).arg("hook")).code, 0);
    assert!(wait_until(Duration::from_secs(5), || refreshed(&home)));
    assert!(wait_until(Duration::from_secs(2), || std::fs::read_to_string(home.activity_log())
        .is_ok_and(|l| l.contains("\"outcome\":\"ok\""))));
}

#[test]
fn print_next_says_how_long_the_shell_may_skip_the_hook() {
    let next = |home: &Home, url: &str| -> i64 {
        let run = Run::of(hook(home, url).arg("--print-next"));
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout.trim().parse().unwrap_or_else(|_| panic!("not a number: {:?}", run.stdout))
    };
    let home = Home::new();
    assert_eq!(next(&home, "http://127.0.0.1:9"), 60, "nothing logged in: the longest");
    home.write_token("corp", &token(3600));
    assert_eq!(next(&home, "http://127.0.0.1:9"), 60);
    home.write_token("corp", &token(20 * 60 + 30));
    // Up to 30 s; a slow start (Wine, qemu) spends some of them, and only 60, 2 or 0 is wrong.
    assert!((20..=30).contains(&next(&home, "http://127.0.0.1:9")), "until the token is due");

    // Due: 2 s after starting a refresh, then 0 while it runs.
    home.write_token("corp", &token(4 * 60));
    let answer = Gate::new();
    let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600).until(&answer));
    assert_eq!(next(&home, &stub.url), 2);
    assert!(wait_until(Duration::from_secs(5), || stub.count("/token") == 1));
    assert_eq!(next(&home, &stub.url), 0);
    answer.open();
    assert!(wait_until(Duration::from_secs(5), || refreshed(&home)));
    assert_eq!(next(&home, &stub.url), 60);

    // Backing off: until the back-off ends.
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    home.write_state("corp", &json!({"backoff_until": iso(40), "failures": 1}));
    assert!((30..=40).contains(&next(&home, "http://127.0.0.1:9")));

    // Only a login helps: nothing to do until the hint is due again (or a minute passed).
    let home = Home::new();
    home.write_token("corp", &unrefreshable(4 * 60));
    let run = Run::of(hook(&home, "http://127.0.0.1:9").arg("--print-next"));
    assert!(run.stderr.contains("needs a new login") && run.stdout == "60\n", "{} {}", run.stdout, run.stderr);
}
