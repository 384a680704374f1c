//! What crosses the wire, and what ssofresh believes of it (issue #14): one deadline per
//! request, answers whose tokens could not be sent back, 401s that AWS did not name, regions
//! that are not host names, proxies, and clocks that disagree with the endpoint's.

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
    let _ = json!(null);
}
