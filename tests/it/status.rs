//! `ssofresh status`: golden human output (NO_COLOR) and the JSON schema for every state,
//! `--check` exit codes, and that status reads only: no request, no file written.

use crate::common::*;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, SystemTime};

/// Offsets sit mid-minute, away from the boundaries the output rounds at.
const H: i64 = 3600;
const M: i64 = 60;

/// The time every status here runs at (SSOFRESH_TEST_NOW) and every fixture is dated from: what
/// status shows does not depend on when, or how fast, the test runs.
const NOW: &str = "2026-03-10T12:00:00Z";

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc()
}

/// `common::iso`, counted from `NOW`.
fn iso(offset_secs: i64) -> String {
    (now() + chrono::Duration::seconds(offset_secs)).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

const STATUS_CONFIG: &str = "[profile dev]\nsso_session = corp\n\n[profile admin]\nsso_session = corp\n\n\
[profile old]\nsso_start_url = https://old.awsapps.com/start\nsso_region = us-east-1\n\n\
[profile older]\nsso_start_url = https://older.awsapps.com/start\nsso_region = us-west-2\n\n\
[profile static]\nregion = us-east-1\n\n\
[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n\
[sso-session soon]\nsso_start_url = https://soon.awsapps.com/start\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n\n\
[sso-session lapsed]\nsso_start_url = https://lapsed.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n\
[sso-session ended]\nsso_start_url = https://ended.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n\
[sso-session noscope]\nsso_start_url = https://noscope.awsapps.com/start\nsso_region = us-east-1\n\n\
[sso-session stale]\nsso_start_url = https://stale.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n\
[sso-session fresh]\nsso_start_url = https://fresh.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n\
[sso-session broken]\nsso_start_url = https://broken.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n\
[sso-session late]\nsso_start_url = https://late.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n\
[sso-session overdue]\nsso_start_url = https://overdue.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n";

fn tok(url: &str, expires_in: i64) -> Value {
    let mut t = token(expires_in);
    t["expiresAt"] = json!(iso(expires_in));
    t["startUrl"] = json!(url);
    t["registrationExpiresAt"] = json!(iso(80 * 86400 + 12 * H + 30 * M));
    t
}

/// Backdates a cache file, so "last login" (its write time, for a login ssofresh has not
/// seen) is stable.
fn backdate(path: &Path, secs: i64) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::from(now()) - Duration::from_secs(secs as u64)).unwrap();
}

fn log_line(session: &str, ago: i64, event: &str, extra: Value) -> String {
    let mut v = json!({"time": iso(-ago), "event": event, "session": session, "pid": 4242});
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v.to_string()
}

/// One session in each state, with state files and activity as ssofresh would have left them.
fn fixture() -> Home {
    let home = Home::new();
    home.config(STATUS_CONFIG);
    let corp = home.write_token("corp", &tok("https://corp.awsapps.com/start", 52 * M + 30));
    backdate(&corp, 9 * M);
    // Three past sessions, refreshed every 40 minutes: each ended after it was last seen alive
    // and by its rejection, which leaves 7h 50m to 8h 5m; the estimate is the upper end.
    let past = |day: i64, alive: i64, ended: i64| json!({"login_at": iso(-day * 86400), "alive_secs": alive, "ended_secs": ended});
    home.write_state(
        "corp",
        &json!({
            "session": "corp",
            "last_refresh": {"at": iso(-(8 * M + 30)), "outcome": "ok", "expires_at": iso(52 * M + 30)},
            "seen_login": fingerprint(REFRESH),
            "seen_expires_at": iso(52 * M + 30),
            "login_at": iso(-(3 * H + 12 * M + 30)),
            "login_at_basis": "ssofresh_login",
            "observed": [past(3, 7 * H + 30 * M, 8 * H + 10 * M), past(2, 7 * H + 50 * M, 8 * H + 20 * M), past(1, 7 * H + 40 * M, 8 * H + 5 * M)],
        }),
    );
    // Inside the warning window (the default 30 minutes), and past the estimate.
    for (name, login_ago) in [("late", 7 * H + 40 * M + 30), ("overdue", 8 * H + 20 * M + 30)] {
        home.write_token(name, &tok(&format!("https://{name}.awsapps.com/start"), 45 * M + 30));
        home.write_state(
            name,
            &json!({
                "session": name,
                "seen_login": fingerprint(REFRESH),
                "seen_expires_at": iso(45 * M + 30),
                "login_at": iso(-login_ago),
                "login_at_basis": "cache_file_time",
            }),
        );
    }
    let p = home.write_token("soon", &tok("https://soon.awsapps.com/start", 12 * M + 30));
    backdate(&p, 48 * M);
    let p = home.write_token("lapsed", &tok("https://lapsed.awsapps.com/start", -(H + 5 * M + 30)));
    backdate(&p, 2 * H + 6 * M);
    home.write_state(
        "lapsed",
        &json!({
            "session": "lapsed",
            "failures": 2,
            "backoff_until": iso(M + 30),
            "last_refresh": {"at": iso(-(M + 30)), "outcome": "transient", "error": "connect", "message": "cannot connect to https://oidc.us-east-1.amazonaws.com/token"},
        }),
    );
    let p = home.write_token("ended", &tok("https://ended.awsapps.com/start", 4 * M + 30));
    backdate(&p, 56 * M);
    home.write_state(
        "ended",
        &json!({
            "session": "ended",
            "rejected": {"refresh_token_fingerprint": fingerprint(REFRESH), "error": "invalid_grant", "at": iso(-(2 * M + 30))},
            "last_refresh": {"at": iso(-(2 * M + 30)), "outcome": "relogin", "error": "invalid_grant"},
        }),
    );
    let mut t = tok("https://noscope.awsapps.com/start", 5 * M + 30);
    t.as_object_mut().unwrap().remove("refreshToken");
    let p = home.write_token("noscope", &t);
    backdate(&p, 7 * H);
    let mut t = tok("https://stale.awsapps.com/start", 40 * M + 30);
    t["registrationExpiresAt"] = json!(iso(-(3 * 86400 + 2 * H + 30)));
    let p = home.write_token("stale", &t);
    backdate(&p, 20 * M);
    let mut t = tok("https://old.awsapps.com/start", 5 * H + 30 * M + 30);
    t.as_object_mut().unwrap().remove("refreshToken");
    let p = home.write_token("https://old.awsapps.com/start", &t);
    backdate(&p, 2 * H);
    let mut t = tok("https://older.awsapps.com/start", -(25 * M + 30));
    t.as_object_mut().unwrap().remove("refreshToken");
    let p = home.write_token("https://older.awsapps.com/start", &t);
    backdate(&p, 8 * H + 26 * M);
    home.write_token_bytes("broken", format!(r#"{{"accessToken": "{ACCESS}", "expiresAt": "#).as_bytes());

    let log = home.activity_log();
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    let lines = [
        log_line("corp", 3 * H + 12 * M + 30, "login_detected", json!({"expires_at": iso(-(2 * H))})),
        log_line(
            "corp",
            68 * M + 30,
            "refresh",
            json!({"outcome": "ok", "attempts": 1, "duration_ms": 180, "expires_at": iso(-(8 * M))}),
        ),
        log_line("other", 20 * M, "refresh", json!({"outcome": "ok", "attempts": 1, "duration_ms": 99})),
        log_line(
            "corp",
            8 * M + 30,
            "refresh",
            json!({"outcome": "ok", "attempts": 2, "duration_ms": 2210, "expires_at": iso(52 * M + 30)}),
        ),
        log_line(
            "lapsed",
            30,
            "refresh",
            json!({"outcome": "transient", "error_class": "connect", "attempts": 4, "duration_ms": 31, "message": "refresh failed after 4 attempts: cannot connect to https://oidc.us-east-1.amazonaws.com/token"}),
        ),
        log_line(
            "ended",
            2 * M + 30,
            "refresh",
            json!({"outcome": "relogin", "error_class": "invalid_grant", "attempts": 1, "duration_ms": 95, "message": "the refresh was rejected (invalid_grant: Invalid grant provided); the Identity Center session has ended"}),
        ),
        "not json at all".to_string(),
    ];
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    home
}

/// Times of day and dates depend on when the test runs; everything else must match.
fn normalize(s: &str) -> String {
    let c: Vec<char> = s.chars().collect();
    let digits = |at: usize, n: usize| at + n <= c.len() && c[at..at + n].iter().all(|d| d.is_ascii_digit());
    let ch = |at: usize, x: char| c.get(at) == Some(&x);
    let date = |i: usize| digits(i, 4) && ch(i + 4, '-') && digits(i + 5, 2) && ch(i + 7, '-') && digits(i + 8, 2);
    let clock = |i: usize| digits(i, 2) && ch(i + 2, ':') && digits(i + 3, 2);
    let mut out = String::new();
    let mut i = 0;
    while i < c.len() {
        let boundary = i == 0 || !c[i - 1].is_ascii_digit();
        if boundary && date(i) && ch(i + 10, ' ') && clock(i + 11) {
            out.push_str("<time>");
            i += 16;
        } else if boundary && date(i) {
            out.push_str("<date>");
            i += 10;
        } else if boundary && clock(i) {
            out.push_str("<time>");
            i += 5;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn status(home: &Home, args: &[&str]) -> Run {
    status_at(home, args, NOW)
}

fn status_at(home: &Home, args: &[&str], now: &str) -> Run {
    Run::of(
        home.cmd().arg("status").args(args).env("TZ", "UTC").env("SSOFRESH_LOG", "trace").env("SSOFRESH_TEST_NOW", now),
    )
}

/// Compares with `tests/golden/status/NAME.txt`; `UPDATE_GOLDEN=1` rewrites the files.
fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/status").join(format!("{name}.txt"));
    // Paths are shown as the platform writes them (`~\.aws\…` on Windows); the files have `/`.
    let actual = if cfg!(windows) { actual.replace('\\', "/") } else { actual.to_string() };
    let actual = normalize(&actual);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing {}", path.display()));
    assert_eq!(actual, expected, "golden {name} differs; actual:\n{actual}");
}

fn assert_fits(text: &str) {
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "line over 80 columns: {line:?}");
        assert!(!line.contains('\x1b'), "escape sequence in plain output: {line:?}");
        assert!(line.is_ascii(), "plain output is ASCII: {line:?}");
        assert_eq!(line, line.trim_end(), "trailing space: {line:?}");
    }
}

#[test]
fn golden_human_output_for_every_state() {
    let home = fixture();
    let cases: [(&str, &[&str]); 13] = [
        ("valid", &["--session", "corp"]),
        ("configured", &["--session", "corp", "--session-duration", "6h,corp=9h,soon=1h"]),
        ("session_ending", &["--session", "late"]),
        ("session_overdue", &["--session", "overdue"]),
        ("expiring", &["--session", "soon"]),
        ("expired_refreshable", &["--session", "lapsed"]),
        ("relogin_rejected", &["--session", "ended"]),
        ("relogin_no_refresh_token", &["--session", "noscope"]),
        ("relogin_registration_expired", &["--session", "stale"]),
        ("not_logged_in", &["--session", "fresh"]),
        ("legacy", &["--profile", "old"]),
        ("legacy_expired", &["--profile", "older"]),
        ("unreadable", &["--session", "broken"]),
    ];
    for (name, args) in cases {
        let run = status(&home, args);
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        assert_fits(&run.stdout);
        golden(name, &run.stdout);
    }
    // Everything, in config order: sessions, then legacy profiles (one per start URL).
    let run = status(&home, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_fits(&run.stdout);
    let heads: Vec<&str> = run.stdout.lines().filter(|l| !l.starts_with(' ') && !l.is_empty()).collect();
    let names: Vec<&str> = heads.iter().map(|h| h.split(':').next().unwrap()).collect();
    assert_eq!(
        names,
        [
            "corp",
            "soon",
            "lapsed",
            "ended",
            "noscope",
            "stale",
            "fresh",
            "broken",
            "late",
            "overdue",
            "profile old",
            "profile older"
        ]
    );
}

#[test]
fn long_names_and_many_profiles_fit_80_columns() {
    let home = Home::new();
    let long = "a-session-name-that-is-much-longer-than-anyone-would-type-by-hand";
    let mut cfg = format!(
        "[sso-session {long}]\nsso_start_url = https://d-1234567890.awsapps.com/start/#/some/very/long/path/that/goes/on/and/on\nsso_region = ap-southeast-2\nsso_registration_scopes = sso:account:access\n"
    );
    for i in 0..40 {
        cfg += &format!("[profile profile-number-{i}]\nsso_session = {long}\n");
    }
    home.config(&cfg);
    home.write_token(long, &tok("https://d-1234567890.awsapps.com/start", 30 * M));
    std::fs::create_dir_all(home.activity_log().parent().unwrap()).unwrap();
    let msg = "word ".repeat(60);
    std::fs::write(
        home.activity_log(),
        log_line(long, 60, "refresh", json!({"outcome": "transient", "error_class": "timeout", "message": msg})) + "\n",
    )
    .unwrap();
    let run = status(&home, &[]);
    assert_eq!(run.code, 0);
    assert_fits(&run.stdout);
    assert!(run.stdout.contains("more"), "{}", run.stdout);
    let rich = status(&home, &["--color", "always"]);
    for line in rich.stdout.lines() {
        assert!(ssofresh::text::style::columns(line) <= 80, "{line:?}");
    }
}

#[test]
fn colour_and_symbols_only_when_asked_or_on_a_terminal() {
    let home = fixture();
    let rich =
        Run::of(home.cmd().args(["status", "--color", "always"]).env_remove("NO_COLOR").env("SSOFRESH_TEST_NOW", NOW));
    assert!(rich.stdout.contains("\x1b[32m") && rich.stdout.contains("✓"), "{}", rich.stdout);
    assert!(rich.stdout.contains("\x1b[31m") && rich.stdout.contains("✗"));
    // Piped, without NO_COLOR: plain.
    let piped = Run::of(home.cmd().arg("status").env_remove("NO_COLOR"));
    assert!(!piped.stdout.contains('\x1b') && piped.stdout.is_ascii());
    let never = Run::of(home.cmd().args(["status"]).env("SSOFRESH_COLOR", "never"));
    assert!(!never.stdout.contains('\x1b'));
    if cfg!(target_os = "linux") && require_tool("script") {
        // On a terminal, colour by default, and none with NO_COLOR.
        let bin = ssofresh_line();
        let tty = |no_color: bool| {
            let mut c = home.cmd();
            c.env_remove("NO_COLOR");
            if no_color {
                c.env("NO_COLOR", "1");
            }
            c.env("TERM", "xterm").env("SSOFRESH_TEST_NOW", NOW);
            // The environment `home.cmd()` sets up, for `script` to run ssofresh in.
            let mut c2 = std::process::Command::new("script");
            c2.env_clear();
            for (k, v) in c.get_envs() {
                if let Some(v) = v {
                    c2.env(k, v);
                }
            }
            c2.args(["-qec", &format!("{bin} status --session corp"), "/dev/null"]).stdin(std::process::Stdio::null());
            Run::of(&mut c2).stdout
        };
        assert!(tty(false).contains("\x1b["), "a terminal gets colour");
        assert!(!tty(true).contains("\x1b["), "NO_COLOR wins on a terminal");
    }
}

/// Asserts the value has exactly these keys, each of one of the listed JSON types.
fn schema(v: &Value, spec: &[(&str, &[&str])], what: &str) {
    let obj = v.as_object().unwrap_or_else(|| panic!("{what} is not an object: {v}"));
    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    let want: Vec<&str> = spec.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, want, "{what}: keys");
    for (k, types) in spec {
        let x = &obj[*k];
        let t = match x {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(n) if n.is_i64() || n.is_u64() => "int",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        assert!(types.contains(&t), "{what}.{k} is {t} ({x}), expected {types:?}");
    }
}

const SESSION_SCHEMA: &[(&str, &[&str])] = &[
    ("name", &["string"]),
    ("kind", &["string"]),
    ("start_url", &["string", "null"]),
    ("region", &["string", "null"]),
    ("profiles", &["array"]),
    ("state", &["string"]),
    ("needs_login", &["bool"]),
    ("reason", &["string", "null"]),
    ("message", &["string", "null"]),
    ("login_command", &["string"]),
    ("session_ends_at", &["string", "null"]),
    ("session_ends_in_seconds", &["int", "null"]),
    ("session_ends_basis", &["string", "null"]),
    ("session_duration_seconds", &["int", "null"]),
    ("session_learned_from", &["int", "null"]),
    ("login_at", &["string", "null"]),
    ("login_at_basis", &["string", "null"]),
    ("expires_at", &["string", "null"]),
    ("expires_in_seconds", &["int", "null"]),
    ("refreshable", &["bool"]),
    ("has_refresh_token", &["bool"]),
    ("registration_expires_at", &["string", "null"]),
    ("last_refresh", &["object", "null"]),
    ("last_login_at", &["string", "null"]),
    ("backoff_until", &["string", "null"]),
    ("failures", &["int"]),
    ("cache_file", &["string"]),
    ("kept_token", &["object", "null"]),
];

#[test]
fn json_schema_for_every_state() {
    let home = fixture();
    let run = status(&home, &["--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).expect("stdout is one JSON document");
    schema(
        &v,
        &[
            ("schema_version", &["int"]),
            ("generated_at", &["string"]),
            ("threshold_seconds", &["int"]),
            ("config_file", &["string"]),
            ("sessions", &["array"]),
        ],
        "report",
    );
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["threshold_seconds"], 1200);
    let sessions = v["sessions"].as_array().unwrap();
    // name → (state, needs_login, refreshable, reason, sign of expires_in_seconds)
    type Expect<'a> = (&'a str, &'a str, bool, bool, Option<&'a str>, Option<i64>);
    let expected: &[Expect] = &[
        ("corp", "valid", false, true, None, Some(1)),
        ("soon", "expiring", false, true, None, Some(1)),
        ("lapsed", "expired_refreshable", false, true, None, Some(-1)),
        ("ended", "relogin_required", true, false, Some("rejected"), Some(1)),
        ("noscope", "relogin_required", true, false, Some("no_refresh_token"), Some(1)),
        ("stale", "relogin_required", true, false, Some("registration_expired"), Some(1)),
        ("fresh", "not_logged_in", true, false, None, None),
        ("broken", "unreadable", false, false, Some("unreadable"), None),
        ("late", "valid", false, true, None, Some(1)),
        ("overdue", "valid", false, true, None, Some(1)),
        ("old", "legacy", false, false, Some("legacy"), Some(1)),
        ("older", "relogin_required", true, false, Some("legacy"), Some(-1)),
    ];
    assert_eq!(sessions.len(), expected.len());
    for (s, (name, state, needs, refreshable, reason, sign)) in sessions.iter().zip(expected) {
        schema(s, SESSION_SCHEMA, name);
        assert_eq!(s["name"], *name);
        assert_eq!(s["state"], *state, "{name}");
        assert_eq!(s["needs_login"], *needs, "{name}");
        assert_eq!(s["refreshable"], *refreshable, "{name}");
        assert_eq!(s["reason"].as_str(), *reason, "{name}");
        assert_eq!(s["expires_in_seconds"].as_i64().map(i64::signum), *sign, "{name}");
        assert!(s["login_command"].as_str().unwrap().contains("login"), "{name}");
        if let Some(lr) = s["last_refresh"].as_object() {
            schema(
                &s["last_refresh"],
                &[
                    ("time", &["string"]),
                    ("outcome", &["string"]),
                    ("error", &["string", "null"]),
                    ("message", &["string", "null"]),
                ],
                name,
            );
            assert!(lr["time"].as_str().unwrap().ends_with('Z'));
        }
    }
    let by = |n: &str| sessions.iter().find(|s| s["name"] == n).unwrap();
    // The cache's own strings, untouched.
    assert_eq!(by("corp")["expires_at"], home.read_token("corp")["expiresAt"]);
    assert_eq!(by("corp")["registration_expires_at"], home.read_token("corp")["registrationExpiresAt"]);
    let left = by("corp")["expires_in_seconds"].as_i64().unwrap();
    assert!((52 * M..=52 * M + 30).contains(&left), "{left}");
    assert_eq!(by("corp")["kind"], "sso-session");
    assert_eq!(by("corp")["profiles"], json!(["dev", "admin"]));
    assert_eq!(by("corp")["start_url"], "https://corp.awsapps.com/start");
    assert_eq!(by("corp")["region"], "us-east-1");
    assert_eq!(by("corp")["last_refresh"]["outcome"], "ok");
    assert_eq!(by("corp")["has_refresh_token"], true);
    assert_eq!(by("corp")["cache_file"], home.token_path("corp").display().to_string());
    let login = chrono::DateTime::parse_from_rfc3339(by("corp")["last_login_at"].as_str().unwrap()).unwrap();
    let ago = (now() - login.with_timezone(&chrono::Utc)).num_seconds();
    assert!((3 * H + 12 * M + 30..3 * H + 13 * M + 30).contains(&ago), "{ago}");
    assert_eq!(
        by("lapsed")["last_refresh"],
        json!({"time": by("lapsed")["last_refresh"]["time"], "outcome": "transient", "error": "connect",
               "message": "cannot connect to https://oidc.us-east-1.amazonaws.com/token"})
    );
    assert!(by("lapsed")["backoff_until"].is_string());
    assert_eq!((&by("lapsed")["failures"], &by("corp")["failures"]), (&json!(2), &json!(0)));
    assert_eq!(by("ended")["last_refresh"]["error"], "invalid_grant");
    assert_eq!(by("old")["kind"], "legacy-profile");
    assert_eq!(by("old")["profiles"], json!(["old"]));
    assert_eq!(by("old")["login_command"], "ssofresh login --profile old");
    assert_eq!(by("noscope")["has_refresh_token"], false);
    assert!(by("broken")["message"].as_str().unwrap().contains("truncated"));
    // The session's end, and where each part of the estimate comes from.
    // Seconds left are counted from a clock that moves on from NOW while status runs.
    let ends = |n: &str| {
        let s = by(n);
        let left = s["session_ends_in_seconds"].as_i64();
        let at = s["session_ends_at"]
            .as_str()
            .map(|t| (chrono::DateTime::parse_from_rfc3339(t).unwrap().to_utc() - now()).num_seconds());
        assert!(left.is_none() || left == at || left.zip(at).is_some_and(|(l, a)| l == a - 1), "{n}: {left:?} {at:?}");
        (
            s["session_ends_basis"].as_str().map(str::to_string),
            at,
            s["session_duration_seconds"].as_i64(),
            s["session_learned_from"].as_i64(),
            s["login_at_basis"].as_str().map(str::to_string),
        )
    };
    let some = |s: &str| Some(s.to_string());
    // Logged in at 08:47:30 by ssofresh; three sessions say 8h 5m: ends 16:52:30.
    assert_eq!(
        ends("corp"),
        (some("learned"), Some(4 * H + 52 * M + 30), Some(8 * H + 5 * M), Some(3), some("ssofresh_login"))
    );
    assert_eq!(by("corp")["session_ends_at"], iso(4 * H + 52 * M + 30));
    assert_eq!(by("corp")["login_at"], iso(-(3 * H + 12 * M + 30)));
    assert_eq!(by("corp")["last_login_at"], by("corp")["login_at"]);
    // Nothing learned: AWS's default 8 h from the cache file's time (48 minutes ago).
    assert_eq!(ends("soon"), (some("assumed"), Some(7 * H + 12 * M), Some(8 * H), None, some("cache_file_time")));
    assert_eq!(ends("late").1, Some(19 * M + 30));
    assert!(by("late")["session_ends_in_seconds"].as_i64().unwrap() > 0);
    assert_eq!(ends("overdue").1, Some(-(20 * M + 30)), "past the estimate, the session still refreshable");
    // A token nobody can refresh ends with its expiry.
    assert_eq!(ends("old").0, some("token"));
    assert_eq!(by("old")["session_ends_at"], by("old")["expires_at"]);
    // No session end while a login is needed, or without a token; the login time stays known.
    for n in ["ended", "noscope", "stale", "fresh", "broken", "older"] {
        assert!(by(n)["session_ends_at"].is_null() && by(n)["session_ends_basis"].is_null(), "{n}");
    }
    assert_eq!(by("ended")["login_at_basis"], "cache_file_time");
    assert!(by("fresh")["login_at"].is_null());
    // A stated duration wins: per session over the default.
    let run = status(&home, &["--json", "--session-duration", "6h,corp=9h"]);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let configured = |n: &str| {
        let s = v["sessions"].as_array().unwrap().iter().find(|s| s["name"] == n).unwrap().clone();
        (s["session_ends_basis"].as_str().unwrap().to_string(), s["session_duration_seconds"].as_i64().unwrap())
    };
    assert_eq!(configured("corp"), ("configured".to_string(), 9 * H));
    assert_eq!(configured("soon"), ("configured".to_string(), 6 * H));
    // The selection works for JSON too; `--check` adds the verdict as the exit code.
    let one = status(&home, &["--json", "--profile", "dev"]);
    let v: Value = serde_json::from_str(&one.stdout).unwrap();
    assert_eq!(v["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(v["sessions"][0]["name"], "corp");
    let checked = status(&home, &["--json", "--check", "--session", "ended"]);
    assert_eq!(checked.code, 3);
    assert_eq!(serde_json::from_str::<Value>(&checked.stdout).unwrap()["sessions"][0]["state"], "relogin_required");
}

#[test]
fn threshold_moves_the_line_between_valid_and_expiring() {
    let home = fixture();
    let state = |args: &[&str]| {
        let run = status(&home, &[&["--json", "--session", "corp"], args].concat());
        serde_json::from_str::<Value>(&run.stdout).unwrap()["sessions"][0]["state"].as_str().unwrap().to_string()
    };
    assert_eq!(state(&[]), "valid");
    assert_eq!(state(&["--threshold", "1h"]), "expiring");
    let run = Run::of(
        home.cmd()
            .args(["status", "--json", "--session", "corp"])
            .env("SSOFRESH_THRESHOLD", "55m")
            .env("SSOFRESH_TEST_NOW", NOW),
    );
    assert_eq!(serde_json::from_str::<Value>(&run.stdout).unwrap()["sessions"][0]["state"], "expiring");
}

#[test]
fn check_exit_codes() {
    let home = fixture();
    for (args, code) in [
        (vec!["--session", "corp"], 0),
        (vec!["--session", "soon"], 0),
        (vec!["--session", "lapsed"], 0),
        (vec!["--profile", "old"], 0),
        (vec!["--session", "ended"], 3),
        (vec!["--session", "noscope"], 3),
        (vec!["--session", "stale"], 3),
        (vec!["--session", "fresh"], 3),
        (vec!["--profile", "older"], 3),
        (vec!["--session", "corp,ended"], 3),
        (vec!["--session", "broken"], 2),
        (vec!["--session", "broken,ended"], 2),
        (vec!["--session", "nope"], 2),
    ] {
        let run = status(&home, &[&["--check"], &args[..]].concat());
        assert_eq!(run.code, code, "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, "", "--check prints nothing on stdout");
        if code == 3 {
            assert!(
                run.stderr.contains(args[1].rsplit(',').next().unwrap()) && run.stderr.contains("login"),
                "{}",
                run.stderr
            );
        }
        if code == 0 {
            assert_eq!(run.stderr, "");
        }
    }
    // Without a selection, sessions never logged in do not count…
    let home = Home::new();
    home.config(STATUS_CONFIG);
    home.write_token("corp", &tok("https://corp.awsapps.com/start", 2 * H));
    assert_eq!(status(&home, &["--check"]).code, 0);
    // …unless nothing is logged in at all.
    std::fs::remove_file(home.token_path("corp")).unwrap();
    let run = status(&home, &["--check"]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("corp: not logged in"), "{}", run.stderr);
    // No sso-session at all is a configuration matter.
    home.config("[profile static]\nregion = us-east-1\n");
    let run = status(&home, &["--check"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("ssofresh configure sso-session NAME --start-url"), "{}", run.stderr);
    // Shown, not judged, without --check.
    assert_eq!(status(&home, &[]).code, 0);
    assert!(status(&home, &[]).stdout.contains("ssofresh configure sso-session NAME --start-url"));
    // A config that cannot be read is exit 2, with or without --check.
    std::fs::write(home.path().join(".aws/config"), "[profile x\nbroken").unwrap();
    for args in [vec![], vec!["--check"], vec!["--json"]] {
        let run = status(&home, &args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("config"), "{}", run.stderr);
    }
}

#[test]
fn status_reads_only_and_never_connects() {
    let home = fixture();
    // A due token and an endpoint that would answer: status must use neither.
    home.write_token("corp", &tok("https://corp.awsapps.com/start", 60));
    let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600));
    let before = snapshot(home.path());
    for args in [vec![], vec!["--json"], vec!["--check"], vec!["--session", "corp"]] {
        let run = Run::of(
            home.cmd_at(&stub.url).arg("status").args(&args).env("SSOFRESH_LOG", "trace").env("SSOFRESH_TEST_NOW", NOW),
        );
        assert!([0, 2, 3].contains(&run.code), "{args:?}: {}", run.stderr);
    }
    assert_eq!(stub.requests().len(), 0, "status made a request");
    assert!(snapshot(home.path()) == before, "status changed a file");
    // Not even the state directory is created.
    let empty = Home::new();
    empty.write_token("corp", &token(2 * H));
    Run::of(empty.cmd().arg("status"));
    assert!(!empty.state_dir().exists());
}

#[test]
fn a_refresh_shows_in_status_and_in_the_log() {
    let home = Home::new();
    home.write_token("corp", &token(4 * M));
    let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600));
    let tick = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(tick.code, 0, "{}", tick.stderr);
    assert_eq!(stub.count("/token"), 1);

    // Status at the moment the tick recorded its refresh: the times shown follow from it.
    let state = std::fs::read(home.state_dir().join("sessions").join(format!("{}.json", sha1_hex("corp")))).unwrap();
    let at = serde_json::from_slice::<Value>(&state).unwrap()["last_refresh"]["at"].as_str().unwrap().to_string();
    let run = status_at(&home, &["--session", "corp"], &at);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("corp: valid\n"), "{}", run.stdout);
    let token_row = run.stdout.lines().find(|l| l.trim_start().starts_with("token")).expect(&run.stdout);
    assert!(token_row.contains(" 59m left") || token_row.contains(" 1h 0m left"), "{token_row}");
    let last = run.stdout.lines().find(|l| l.trim_start().starts_with("last refresh")).expect(&run.stdout);
    assert!(last.contains("ok, 0s ago") || last.contains("ok, 1s ago"), "{last}");
    let activity: Vec<&str> = run.stdout.lines().skip_while(|l| !l.trim_start().starts_with("activity")).collect();
    assert_eq!(activity.len(), 2, "login seen, then the refresh:\n{}", run.stdout);
    assert!(activity[0].contains("new login detected"), "{}", run.stdout);
    assert!(activity[1].contains("refreshed, valid until"), "{}", run.stdout);

    let v: Value = serde_json::from_str(&status(&home, &["--json"]).stdout).unwrap();
    let corp = &v["sessions"][0];
    assert_eq!(corp["last_refresh"]["outcome"], "ok");
    assert_eq!(corp["expires_at"], home.read_token("corp")["expiresAt"]);

    let log = Run::of(home.cmd().args(["log", "--json"]));
    assert_eq!(log.code, 0, "{}", log.stderr);
    let lines: Vec<Value> = log.stdout.lines().map(|l| serde_json::from_str(l).expect("raw JSON lines")).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["event"], "refresh");
    assert_eq!(lines[1]["session"], "corp");
    assert_eq!(lines[1]["outcome"], "ok");
    assert_eq!(lines[1]["expires_at"], home.read_token("corp")["expiresAt"]);
    assert!(lines[1]["duration_ms"].is_u64() && lines[1]["attempts"] == 1);
}

/// After a new login, status no longer shows what happened to the old one ("last refresh
/// rejected", a back-off): neither before ssofresh has noticed the login (the AWS CLI wrote
/// it) nor after (a tick recorded it, and forgot the old login's refresh).
#[test]
fn a_new_login_clears_what_the_old_one_left() {
    let home = Home::new();
    home.config(STATUS_CONFIG);
    home.write_token("corp", &tok("https://corp.awsapps.com/start", 30 * M));
    home.write_state(
        "corp",
        &json!({
            "session": "corp",
            "rejected": {"refresh_token_fingerprint": fingerprint(REFRESH), "error": "invalid_grant", "at": iso(-(2 * M))},
            "failures": 3,
            "backoff_until": iso(5 * M),
            "last_refresh": {"at": iso(-(2 * M)), "outcome": "relogin", "error": "invalid_grant"},
            "seen_login": fingerprint(REFRESH),
            "login_at": iso(-(5 * H)),
        }),
    );
    let before = status(&home, &["--session", "corp"]);
    assert!(
        before.stdout.contains("re-login required") && before.stdout.contains("rejected: invalid_grant"),
        "{}",
        before.stdout
    );

    // A new login, by the AWS CLI: another refresh token.
    let mut t = tok("https://corp.awsapps.com/start", 8 * H);
    t["refreshToken"] = json!(NEW_REFRESH);
    home.write_token("corp", &t);
    let check = |when: &str| {
        let run = status(&home, &["--session", "corp"]);
        assert!(run.stdout.starts_with("corp: valid"), "{when}: {}", run.stdout);
        assert!(
            !run.stdout.contains("last refresh") && !run.stdout.contains("invalid_grant"),
            "{when}: {}",
            run.stdout
        );
        assert!(!run.stdout.contains("back"), "{when}: {}", run.stdout);
        let v: Value = serde_json::from_str(&status(&home, &["--json", "--session", "corp"]).stdout).unwrap();
        let s = &v["sessions"][0];
        assert_eq!((&s["last_refresh"], &s["backoff_until"]), (&Value::Null, &Value::Null), "{when}: {s}");
    };
    check("before ssofresh noticed the login");
    let tick = Run::of(home.cmd().args(["tick"]).env("SSOFRESH_TEST_NOW", NOW));
    assert_eq!(tick.code, 0, "{}", tick.stderr);
    let state: Value = serde_json::from_slice(
        &std::fs::read(home.state_dir().join(format!("sessions/{}.json", sha1_hex("corp")))).unwrap(),
    )
    .unwrap();
    assert_eq!(state["seen_login"], json!(fingerprint(NEW_REFRESH)));
    assert!(state.get("last_refresh").is_none() && state.get("rejected").is_none(), "{state}");
    check("after a tick recorded the login");
}
