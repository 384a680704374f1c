//! The activity log end to end: `ssofresh log` (last lines, JSON, filters, `--follow`), and
//! rotation while many ticks append at once.

use crate::common::*;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

fn entry(session: &str, n: usize) -> String {
    json!({"time": iso(-600 + n as i64), "event": "refresh", "session": session, "outcome": "ok",
           "attempts": 1, "duration_ms": n, "expires_at": iso(3600), "pid": 1000 + n})
    .to_string()
}

fn write_log(path: &Path, lines: &[String]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

fn rotated(path: &Path, n: u32) -> PathBuf {
    PathBuf::from(format!("{}.{n}", path.display()))
}

#[test]
fn shows_the_last_lines_across_rotated_files() {
    let home = Home::new();
    let log = home.activity_log();
    let all: Vec<String> = (0..120).map(|n| entry(if n % 3 == 0 { "corp" } else { "other" }, n)).collect();
    // Oldest in .2, then .1, newest in the current file.
    write_log(&rotated(&log, 2), &all[..40]);
    write_log(&rotated(&log, 1), &all[40..80]);
    write_log(&log, &all[80..]);

    let run = Run::of(home.cmd().args(["log", "--json"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        all[70..].iter().map(String::as_str).collect::<Vec<_>>(),
        "default: 50 lines"
    );

    let run = Run::of(home.cmd().args(["log", "--json", "-n", "100"]));
    assert_eq!(run.stdout.lines().count(), 100);
    assert_eq!(run.stdout.lines().next().unwrap(), all[20]);

    let run = Run::of(home.cmd().args(["log", "--json", "--lines", "5", "--session", "corp"]));
    let ns: Vec<u64> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["duration_ms"].as_u64().unwrap())
        .collect();
    assert_eq!(ns, [105, 108, 111, 114, 117]);

    let run = Run::of(home.cmd().args(["log", "-n", "3"]).env("TZ", "UTC"));
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert!(
        lines[2].contains("other") && lines[2].contains("refreshed, valid until") && lines[2].contains("119 ms"),
        "{}",
        lines[2]
    );
    // `2026-01-01 10:00:00  session  what`, local time.
    assert_eq!(&lines[2][4..5], "-");
    assert_eq!(&lines[2][13..14], ":");
    assert!(!run.stdout.contains('{'), "human form is not JSON: {}", run.stdout);
}

#[test]
fn human_form_of_each_event_and_of_damaged_lines() {
    let home = Home::new();
    let log = home.activity_log();
    write_log(
        &log,
        &[
            json!({"time": iso(-50), "event": "login_detected", "session": "corp", "expires_at": iso(3600), "pid": 1}).to_string(),
            json!({"time": iso(-40), "event": "refresh", "session": "corp", "outcome": "transient", "error_class": "timeout",
                   "message": "refresh failed after 4 attempts: timed out", "attempts": 4, "duration_ms": 4000, "pid": 2}).to_string(),
            json!({"time": iso(-30), "event": "refresh", "session": "corp", "outcome": "relogin", "error_class": "invalid_grant",
                   "message": "the refresh was rejected", "attempts": 1, "duration_ms": 80, "pid": 3}).to_string(),
            json!({"time": iso(-20), "event": "notification", "session": "corp", "message": "re-login needed\u{1b}[31m", "pid": 4}).to_string(),
            "garbage \u{1b}[2J line".to_string(),
        ],
    );
    let run = Run::of(home.cmd().args(["log"]));
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", run.stdout);
    assert!(lines[0].contains("new login detected"), "{}", lines[0]);
    assert!(
        lines[1].contains("refresh failed (timeout): refresh failed after 4 attempts: timed out (4 attempts, 4000 ms)"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("refresh rejected (invalid_grant), re-login required: the refresh was rejected"),
        "{}",
        lines[2]
    );
    assert!(lines[3].contains("notification: re-login needed"), "{}", lines[3]);
    assert!(lines[4].contains("garbage") && lines[4].contains("line"));
    assert!(!run.stdout.contains('\x1b'), "control characters from the file never reach the terminal");
}

#[test]
fn no_log_yet_is_not_an_error() {
    let home = Home::new();
    let run = Run::of(home.cmd().arg("log"));
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("no activity yet"), "{}", run.stderr);
    let run = Run::of(home.cmd().args(["log", "--lines", "x"]));
    assert_eq!(run.code, 2);
}

#[test]
fn log_file_setting_and_closed_pipe() {
    let home = Home::new();
    let custom = home.path().join("elsewhere/my.log");
    let entries: Vec<String> = (0..2000).map(|n| entry("corp", n)).collect();
    write_log(&custom, &entries);
    let run = Run::of(home.cmd().args(["log", "--json", "-n", "2"]).env("SSOFRESH_LOG_FILE", &custom));
    assert_eq!(run.stdout.lines().count(), 2);
    let run = Run::of(home.cmd().args(["log", "--json", "-n", "1", "--log-file"]).arg(&custom));
    assert_eq!(run.stdout.trim(), entries[1999]);
    // `ssofresh log | head -1` ends quietly. (A pipe into head needs sh: not on Windows.)
    #[cfg(unix)]
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("'{}' log -n 2000 --log-file '{}' | head -1", env!("CARGO_BIN_EXE_ssofresh"), custom.display()))
        .env("HOME", home.path())
        .output()
        .unwrap();
    #[cfg(unix)]
    {
        assert!(out.status.success());
        assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Reads a child's stdout lines on a thread.
fn lines_of(child: &mut std::process::Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

struct Killed(std::process::Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn follow_prints_lines_a_concurrent_tick_appends_even_across_rotation() {
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    let log = home.activity_log();
    let entries = [entry("corp", 1), entry("corp", 2)];
    write_log(&log, &entries);
    let mut child = home
        .cmd()
        .args(["log", "--follow", "--json", "-n", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let rx = lines_of(&mut child);
    let _guard = Killed(child);
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), entries[1], "the tail comes first");

    // A small size limit, so the tick's own lines rotate the file under the follower.
    let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600));
    let tick = Run::of(home.cmd_at(&stub.url).arg("tick").env("SSOFRESH_LOG_MAX_SIZE", "300"));
    assert_eq!(tick.code, 0, "{}", tick.stderr);
    assert!(rotated(&log, 1).exists(), "the tick rotated the log");

    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while got.len() < 2 && Instant::now() < deadline {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(100)) {
            got.push(serde_json::from_str::<Value>(&l).expect("a whole JSON line"));
        }
    }
    let events: Vec<&str> = got.iter().map(|v| v["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["login_detected", "refresh"], "{got:?}");
    assert_eq!(got[1]["outcome"], "ok");
    assert!(rx.recv_timeout(Duration::from_millis(600)).is_err(), "nothing shown twice");
}

/// Holds each request until `n` are waiting (or two seconds pass), then answers them all at
/// once, so the ticks append to the log at the same instant. The tokens it returns are always
/// due, so every tick refreshes.
fn gate(n: usize) -> Stub {
    let state = Arc::new((Mutex::new((0usize, 0usize)), Condvar::new()));
    Stub::start(move |_, _| {
        let (m, cv) = &*state;
        let mut g = m.lock().unwrap();
        let generation = g.1;
        g.0 += 1;
        if g.0 == n {
            *g = (0, generation + 1);
            cv.notify_all();
        } else {
            let _ = cv.wait_timeout_while(g, Duration::from_secs(2), |g| g.1 == generation).unwrap();
        }
        Reply::token(NEW_ACCESS, None, 60)
    })
}

/// `rounds` times, one tick per session at once. Returns the lines that must have been
/// written: one `refresh` per request, one `login_detected` per session.
fn hammer(home: &Home, sessions: usize, rounds: usize, env: &[(&str, &str)]) -> usize {
    let mut cfg = String::new();
    for s in 0..sessions {
        cfg += &format!("[sso-session s{s}]\nsso_start_url = https://s{s}.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n");
        home.write_token(&format!("s{s}"), &token(60));
    }
    home.config(&cfg);
    let stub = gate(sessions);
    for _ in 0..rounds {
        let children: Vec<_> = (0..sessions)
            .map(|s| {
                let mut c = home.cmd_at(&stub.url);
                c.args(["tick", "--session", &format!("s{s}"), "--max-retry-attempts", "0"]);
                c.envs(env.iter().copied()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
            assert!(!String::from_utf8_lossy(&out.stderr).contains(MARK));
        }
    }
    assert_eq!(stub.count("/token"), sessions * rounds);
    stub.count("/token") + sessions
}

fn log_files(path: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("activity.log"))
        .collect();
    v.sort();
    v
}

/// Every line whole JSON, and each (pid, event, session) once: a process writes one line per
/// event. (Windows reuses a process id at once, so there a later round's tick of the same
/// session may have the id again: the callers count lines per session as well.)
fn check_lines(files: &[PathBuf]) -> Vec<(u64, String, String)> {
    let mut seen = HashSet::new();
    let mut all = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(text.ends_with('\n'), "{} ends mid-line", f.display());
        assert!(!text.contains(MARK));
        for line in text.lines() {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("split or damaged line in {}: {e}: {line}", f.display()));
            let key = (v["pid"].as_u64().unwrap(), v["event"].as_str().unwrap().to_string(), v["session"].to_string());
            assert!(cfg!(windows) || seen.insert(key.clone()), "line duplicated: {line}");
            all.push(key);
        }
    }
    all
}

#[test]
fn rotation_under_many_concurrent_ticks_loses_and_duplicates_nothing() {
    let home = Home::new();
    let max = 2048;
    let written = hammer(&home, 16, 8, &[("SSOFRESH_LOG_MAX_SIZE", "2K"), ("SSOFRESH_LOG_MAX_FILES", "1000")]);
    let log = home.activity_log();
    let files = log_files(&log);
    let lines = check_lines(&files);
    assert_eq!(lines.len(), written, "every line is there once");
    // Per session: the first tick's login_detected, and one refresh per round.
    for s in 0..16 {
        let name = format!("\"s{s}\"");
        let count = |event: &str| lines.iter().filter(|(_, e, n)| e == event && *n == name).count();
        assert_eq!((count("login_detected"), count("refresh")), (1, 8), "s{s}");
    }
    // Newest first: activity.log, .1, .2 … with no gap; each rotated file was full (its
    // successor's first line did not fit) and none over the limit.
    let mut ordered = vec![log.clone()];
    ordered.extend((1..files.len() as u32).map(|n| rotated(&log, n)));
    assert_eq!(ordered.iter().cloned().collect::<HashSet<_>>(), files.iter().cloned().collect::<HashSet<_>>());
    let bytes: u64 = files.iter().map(|f| std::fs::metadata(f).unwrap().len()).sum();
    assert!(files.len() as u64 >= bytes / max, "{} files for {bytes} bytes", files.len());
    for (k, f) in ordered.iter().enumerate() {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(text.len() <= max as usize, "{} has {} bytes", f.display(), text.len());
        if k > 0 {
            let next = std::fs::read_to_string(&ordered[k - 1]).unwrap().lines().next().unwrap().len() + 1;
            assert!(text.len() + next > max as usize, "{} was rotated before it was full", f.display());
        }
    }
    #[cfg(unix)]
    for f in &files {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(f).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

#[test]
fn rotation_keeps_exactly_max_files() {
    let home = Home::new();
    let written = hammer(&home, 12, 5, &[("SSOFRESH_LOG_MAX_SIZE", "1K"), ("SSOFRESH_LOG_MAX_FILES", "3")]);
    let log = home.activity_log();
    let files = log_files(&log);
    assert_eq!(files, [log.clone(), rotated(&log, 1), rotated(&log, 2)], "wrote {written} lines");
    let kept = check_lines(&files);
    assert!(kept.len() < written);
    for f in &files {
        assert!(std::fs::metadata(f).unwrap().len() <= 1024);
    }
    // `log` reads across the kept files, newest last.
    let run = Run::of(home.cmd().args(["log", "--json", "-n", "1000"]));
    assert_eq!(run.stdout.lines().count(), kept.len());
}

#[test]
fn bad_rotation_settings_are_usage_errors() {
    let home = Home::new();
    for (k, v) in [("SSOFRESH_LOG_MAX_SIZE", "ten"), ("SSOFRESH_LOG_MAX_FILES", "0"), ("SSOFRESH_LOG_MAX_FILES", "x")] {
        let run = Run::of(home.cmd().arg("log").env(k, v));
        assert_eq!(run.code, 2, "{k}={v}: {}", run.stderr);
        assert!(run.stderr.contains("log-max"), "{}", run.stderr);
    }
}

#[test]
fn no_secret_reaches_the_log_or_any_output_at_any_level() {
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    // An endpoint that echoes the request (tokens and client secret) into its error.
    let stub = Stub::start(|req, _| {
        let echo = String::from_utf8_lossy(&req.body).into_owned();
        Reply::json(400, json!({"error": "invalid_grant", "error_description": echo}))
            .header("x-amzn-ErrorType", "InvalidGrantException")
    });
    for level in ["error", "info", "debug", "trace"] {
        let run = Run::of(home.cmd_at(&stub.url).arg("tick").env("SSOFRESH_LOG", level));
        assert!(run.code == 3 || run.code == 0, "{}", run.stderr);
        for args in [
            vec!["status"],
            vec!["status", "--json"],
            vec!["status", "--check"],
            vec!["status", "--color", "always"],
            vec!["log"],
            vec!["log", "--json"],
            vec!["doctor"],
        ] {
            // Run::of fails the test if a secret reaches stdout or stderr.
            Run::of(home.cmd_at(&stub.url).args(&args).env("SSOFRESH_LOG", level));
        }
    }
    let text = std::fs::read_to_string(home.activity_log()).unwrap();
    assert!(text.contains("invalid_grant"), "{text}");
    assert!(!text.contains(MARK), "a secret reached the activity log: {text}");
}

/// Not a test on its own: with `SSOFRESH_TEST_APPENDER` set, the test binary runs this as a
/// child process that appends lines as fast as it can, once a start file appears.
#[test]
fn appender_worker() {
    let Ok(spec) = std::env::var("SSOFRESH_TEST_APPENDER") else { return };
    let parts: Vec<&str> = spec.split('|').collect();
    let (path, start, id, count) =
        (Path::new(parts[0]), Path::new(parts[1]), parts[2], parts[3].parse::<usize>().unwrap());
    let limits = ssofresh::engine::activity::Limits {
        max_size: parts[4].parse().unwrap(),
        max_files: parts[5].parse().unwrap(),
    };
    while !start.exists() {
        std::thread::sleep(Duration::from_millis(1));
    }
    for i in 0..count {
        let mut e = ssofresh::engine::activity::Entry::new("refresh", &format!("s{id}"), chrono::Utc::now());
        e.message = Some(format!("{id}/{i}"));
        // Every append under the lock, however slow the machine (under Wine an append takes
        // tens of milliseconds): the lock wait's fallback, appending without rotating, is tested
        // on its own (engine::activity).
        ssofresh::engine::activity::append_waiting(path, &e, limits, Duration::from_secs(600)).unwrap();
    }
}

/// Many processes appending at the same instant, past the size limit again and again: the
/// sharpest test of rotation by several processes at once.
#[test]
fn rotation_by_many_processes_at_once_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("activity.log");
    let start = dir.path().join("go");
    let (workers, each, max) = (12, 250, 4096u64);
    let children: Vec<_> = (0..workers)
        .map(|id| {
            std::process::Command::new(std::env::current_exe().unwrap())
                .args(["log::appender_worker", "--exact", "--test-threads=1", "-q"])
                .env(
                    "SSOFRESH_TEST_APPENDER",
                    format!("{}|{}|{id}|{each}|{max}|100000", log.display(), start.display()),
                )
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    std::fs::write(&start, b"").unwrap();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let files = log_files(&log);
    let mut ordered = vec![log.clone()];
    ordered.extend((1..files.len() as u32).map(|n| rotated(&log, n)));
    assert_eq!(
        ordered.iter().cloned().collect::<HashSet<_>>(),
        files.iter().cloned().collect::<HashSet<_>>(),
        "no gap"
    );
    let mut seen = HashSet::new();
    for (k, f) in ordered.iter().enumerate() {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(text.len() as u64 <= max, "{} has {} bytes", f.display(), text.len());
        if k > 0 {
            let next = std::fs::read_to_string(&ordered[k - 1]).unwrap().lines().next().unwrap().len() + 1;
            assert!(text.len() + next > max as usize, "{} was rotated before it was full", f.display());
        }
        for line in text.lines() {
            let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("split line in {}: {e}", f.display()));
            assert!(seen.insert(v["message"].as_str().unwrap().to_string()), "duplicated: {line}");
        }
    }
    assert_eq!(seen.len(), workers * each, "lines lost");
}
