//! Notifications end to end: ticks against a loopback SSO-OIDC stub, events caught through the
//! command backend (each event lands in its own file, so concurrent ticks cannot interleave).
// Helpers of the tests that need a POSIX shell or Unix tool go unused on Windows.
#![cfg_attr(windows, allow(dead_code, unused_imports))]

use crate::common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where the notify command drops events: one file per event.
struct Events {
    dir: PathBuf,
}

impl Events {
    fn new(home: &Home) -> Events {
        let dir = home.path().join("events");
        std::fs::create_dir_all(&dir).unwrap();
        Events { dir }
    }

    /// Every event so far, checked: valid JSON with the documented fields, naming a session,
    /// no secret anywhere.
    fn all(&self) -> Vec<Value> {
        let mut files: Vec<_> = std::fs::read_dir(&self.dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).unwrap();
                assert!(!text.contains(MARK), "a secret reached the notify command: {text}");
                assert!(text.ends_with("}\n") && text.lines().count() == 1, "one JSON object on one line: {text:?}");
                let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
                for k in ["event", "session", "title", "message", "time"] {
                    assert!(v[k].as_str().is_some_and(|s| !s.is_empty()), "missing {k}: {text}");
                }
                let session = v["session"].as_str().unwrap();
                assert!(v["title"].as_str().unwrap().contains(session), "the title names the session: {text}");
                assert!(!v["message"].as_str().unwrap().contains('\n'));
                assert!(ssofresh::text::timefmt::parse(v["time"].as_str().unwrap()).is_some(), "{text}");
                v
            })
            .collect()
    }

    fn kinds(&self) -> Vec<String> {
        self.all().iter().map(|v| v["event"].as_str().unwrap().to_string()).collect()
    }
}

/// A tick whose notifications go to `events` through the command backend.
fn tick(home: &Home, url: &str, events: &Events) -> std::process::Command {
    let mut c = home.cmd_at(url);
    c.arg("tick")
        .env("SSOFRESH_NOTIFY", "command")
        .env("SSOFRESH_NOTIFY_COMMAND", r#"cat > "$(mktemp "$EVENTS/event.XXXXXX")""#)
        .env("EVENTS", &events.dir);
    c
}

fn due_home() -> Home {
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    home
}

fn activity(home: &Home) -> Vec<Value> {
    let path = home.activity_log();
    let text = std::fs::read_to_string(path).unwrap_or_default();
    assert!(!text.contains(MARK), "a secret reached the activity log");
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn notifications(home: &Home) -> Vec<Value> {
    activity(home).into_iter().filter(|e| e["event"] == "notification").collect()
}

// Not on Windows: the notify command here is a sh one-liner; Windows runs it with cmd /C (windows_notify_command_runs_in_cmd).
#[cfg(not(windows))]
#[test]
fn a_rejected_refresh_token_is_reported_once_until_the_next_login() {
    let home = due_home();
    let events = Events::new(&home);
    let stub = Stub::always(Reply::oidc_error(400, "invalid_grant", "InvalidGrantException"));
    for _ in 0..3 {
        let run = Run::of(&mut tick(&home, &stub.url, &events));
        assert_eq!(run.code, 3, "{}", run.stderr);
    }
    assert_eq!(events.kinds(), ["relogin_required"]);
    let e = &events.all()[0];
    assert_eq!(e["session"], "corp");
    assert_eq!(e["error"], "invalid_grant");
    assert!(e["message"].as_str().unwrap().contains("login"), "{e}");
    assert!(e["login_command"].as_str().unwrap().contains("corp"), "{e}");

    // A new login that is rejected too is a new rejection: one more notice, then quiet again.
    let mut t = token(4 * 60);
    t["refreshToken"] = json!("aor-SECRETMARK-after-login");
    home.write_token("corp", &t);
    for _ in 0..2 {
        assert_eq!(Run::of(&mut tick(&home, &stub.url, &events)).code, 3);
    }
    assert_eq!(events.kinds(), ["relogin_required", "relogin_required"]);
    assert_eq!(stub.count("/token"), 2, "each rejected token was sent once");

    let logged = notifications(&home);
    assert_eq!(logged.len(), 2, "{logged:?}");
    assert_eq!((logged[0]["outcome"].as_str(), logged[0]["session"].as_str()), (Some("ok"), Some("corp")));
    assert!(logged[0]["message"].as_str().unwrap().starts_with("relogin_required via command"), "{logged:?}");
}

// Not on Windows: the notify command here is a sh one-liner; Windows runs it with cmd /C (windows_notify_command_runs_in_cmd).
#[cfg(not(windows))]
#[test]
fn success_is_announced_only_when_asked() {
    let home = due_home();
    let events = Events::new(&home);
    let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600));
    let run = Run::of(&mut tick(&home, &stub.url, &events));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("corp: refreshed"));
    assert!(events.kinds().is_empty(), "SSOFRESH_NOTIFY_ON_SUCCESS defaults to false");

    let mut t = token(4 * 60);
    t["refreshToken"] = json!(NEW_REFRESH);
    home.write_token("corp", &t);
    let run = Run::of(tick(&home, &stub.url, &events).env("SSOFRESH_NOTIFY_ON_SUCCESS", "true"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(events.kinds(), ["refreshed"]);
    let e = &events.all()[0];
    assert_eq!(e["expires_at"], home.read_token("corp")["expiresAt"]);
    assert!(e["message"].as_str().unwrap().contains("nothing to do"), "{e}");

    // The flag does the same as the variable.
    home.write_token("corp", &t);
    let run = Run::of(tick(&home, &stub.url, &events).args(["--notify-on-success", "--notify-interval", "0"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(events.kinds(), ["refreshed", "refreshed"]);
}

// Not on Windows: the notify command here is a sh one-liner; Windows runs it with cmd /C (windows_notify_command_runs_in_cmd).
#[cfg(not(windows))]
#[test]
fn an_unreachable_endpoint_warns_once_while_the_token_expires() {
    let home = due_home();
    let events = Events::new(&home);
    let url = refused_url();
    let run = Run::of(&mut tick(&home, &url, &events));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(events.kinds(), ["expiring_soon"]);
    let e = &events.all()[0];
    assert_eq!(e["expires_at"], home.read_token("corp")["expiresAt"]);
    assert_eq!(e["error"], "connect");
    let (title, message) = (e["title"].as_str().unwrap(), e["message"].as_str().unwrap());
    assert!(title.contains("corp") && title.contains("expires in"), "{title}");
    assert!(message.contains("try again") && message.contains("login"), "{message}");

    // Quiet for the interval, on every path: by hand, and the prompt hook's back-off.
    for args in [vec!["--max-retry-attempts", "0"], vec!["--auto"]] {
        assert_eq!(Run::of(tick(&home, &url, &events).args(&args)).code, 1);
    }
    assert_eq!(events.kinds().len(), 1, "no nagging within SSOFRESH_NOTIFY_INTERVAL");
    let run =
        Run::of(tick(&home, &url, &events).args(["--max-retry-attempts", "0"]).env("SSOFRESH_NOTIFY_INTERVAL", "0"));
    assert_eq!(run.code, 1);
    assert_eq!(events.kinds().len(), 2, "an interval of 0 notifies every time");

    // Once the token has expired, it is a failed refresh.
    home.write_token("corp", &token(-60));
    assert_eq!(Run::of(tick(&home, &url, &events).args(["--max-retry-attempts", "0"])).code, 1);
    let all = events.all();
    assert_eq!(all.last().unwrap()["event"], "refresh_failed");
    assert!(all.last().unwrap()["message"].as_str().unwrap().contains("expired"), "{all:?}");

    // SSOFRESH_NOTIFY_ON_ERROR=false silences all of it.
    let home = due_home();
    let quiet = Events::new(&home);
    let run = Run::of(tick(&home, &url, &quiet).env("SSOFRESH_NOTIFY_ON_ERROR", "false"));
    assert_eq!(run.code, 1);
    assert!(quiet.kinds().is_empty());
}

// Not on Windows: the notify command here is a sh one-liner; Windows runs it with cmd /C (windows_notify_command_runs_in_cmd).
#[cfg(not(windows))]
#[test]
fn a_new_login_is_announced_when_asked() {
    let home = Home::new();
    home.write_token("corp", &token(3600));
    let events = Events::new(&home);
    let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600));
    let run = Run::of(&mut tick(&home, &stub.url, &events));
    assert_eq!((run.code, run.stdout.as_str(), run.stderr.as_str()), (0, "", ""));
    assert!(events.kinds().is_empty(), "SSOFRESH_NOTIFY_ON_LOGIN defaults to false");

    let mut t = token(3600);
    t["refreshToken"] = json!("aor-SECRETMARK-login-2");
    home.write_token("corp", &t);
    let on = |c: &mut std::process::Command| Run::of(c.env("SSOFRESH_NOTIFY_ON_LOGIN", "1"));
    let run = on(&mut tick(&home, &stub.url, &events));
    assert_eq!((run.code, run.stdout.as_str(), run.stderr.as_str()), (0, "", ""));
    assert_eq!(events.kinds(), ["login_detected"]);
    assert_eq!(events.all()[0]["expires_at"], t["expiresAt"]);
    on(&mut tick(&home, &stub.url, &events));
    assert_eq!(events.kinds().len(), 1, "the same login is announced once");

    // Another login within the hour is news again; ssofresh's own refresh is not a login.
    t["refreshToken"] = json!("aor-SECRETMARK-login-3");
    home.write_token("corp", &t);
    on(&mut tick(&home, &stub.url, &events));
    assert_eq!(events.kinds(), ["login_detected", "login_detected"]);
    let mut due = t.clone();
    due["expiresAt"] = json!(iso(4 * 60));
    home.write_token("corp", &due);
    on(&mut tick(&home, &stub.url, &events));
    let rotated = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600));
    home.write_token("corp", &due);
    on(&mut tick(&home, &rotated.url, &events));
    on(&mut tick(&home, &rotated.url, &events));
    assert_eq!(
        events.kinds(),
        ["login_detected", "login_detected"],
        "refreshes, even rotating the refresh token, are not logins"
    );
}

// Not on Windows: the notify command here is a sh one-liner; Windows runs it with cmd /C (windows_notify_command_runs_in_cmd).
#[cfg(not(windows))]
#[test]
fn concurrent_ticks_on_a_failing_session_send_one_notification() {
    for reply in
        [Reply::raw(503, "text/plain", "down"), Reply::oidc_error(400, "invalid_grant", "InvalidGrantException")]
    {
        let home = due_home();
        let events = Events::new(&home);
        let stub = Stub::always(reply);
        let children: Vec<_> = (0..20)
            .map(|_| {
                tick(&home, &stub.url, &events)
                    .args(["--max-retry-attempts", "0"])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(matches!(out.status.code(), Some(1 | 3)), "{}", String::from_utf8_lossy(&out.stderr));
        }
        let kinds = events.kinds();
        assert_eq!(kinds.len(), 1, "{kinds:?}");
        assert_eq!(notifications(&home).len(), 1);
    }
}

// Not on Windows: the notify command here is a sh one-liner; Windows runs it with cmd /C (windows_notify_command_runs_in_cmd).
#[cfg(not(windows))]
#[test]
fn a_hanging_or_failing_notify_command_changes_nothing() {
    let stub = Stub::always(Reply::oidc_error(400, "invalid_grant", "InvalidGrantException"));
    let reference = {
        let home = due_home();
        Run::of(home.cmd_at(&stub.url).arg("tick"))
    };
    assert_eq!(reference.code, 3);
    for (what, command, timeout) in [
        ("hangs", "sleep 30", "1s"),
        ("hangs in a child", "sleep 30; echo never", "1s"),
        ("fails", "echo oops >&2; echo noise; exit 7", "5s"),
        ("is missing", "/no/such/notifier", "5s"),
    ] {
        let home = due_home();
        let t = Instant::now();
        let run = Run::of(
            home.cmd_at(&stub.url)
                .arg("tick")
                .env("SSOFRESH_NOTIFY", "command")
                .env("SSOFRESH_NOTIFY_COMMAND", command)
                .env("SSOFRESH_NOTIFY_TIMEOUT", timeout),
        );
        let took = t.elapsed();
        assert_eq!(run.code, 3, "{what}: {}", run.stderr);
        assert_eq!(
            (run.stdout.as_str(), run.stderr.as_str()),
            (reference.stdout.as_str(), reference.stderr.as_str()),
            "{what}"
        );
        assert!(took < Duration::from_secs(4), "{what}: the tick took {took:?}");
        let logged = notifications(&home);
        assert_eq!(logged.len(), 1, "{what}: {logged:?}");
        assert_eq!(logged[0]["outcome"], "failed", "{what}");
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
#[test]
fn the_desktop_backend_without_a_session_bus_is_silent() {
    let stub = Stub::always(Reply::oidc_error(400, "invalid_grant", "InvalidGrantException"));
    let refresh = Stub::always(Reply::token(NEW_ACCESS, None, 3600));
    let cases: [(&str, &Stub, i32); 2] = [("relogin", &stub, 3), ("refreshed", &refresh, 0)];
    for (what, stub, code) in cases {
        let reference = {
            let home = due_home();
            Run::of(home.cmd_at(&stub.url).arg("tick"))
        };
        for bus in [None, Some("unix:path=/nonexistent/ssofresh-test-bus")] {
            let home = due_home();
            let mut c = home.cmd_at(&stub.url);
            // The default backend (desktop); XDG_RUNTIME_DIR points at an empty directory.
            c.arg("tick").env_remove("SSOFRESH_NOTIFY").env("SSOFRESH_NOTIFY_ON_SUCCESS", "true");
            match bus {
                None => c.env_remove("DBUS_SESSION_BUS_ADDRESS"),
                Some(b) => c.env("DBUS_SESSION_BUS_ADDRESS", b),
            };
            let t = Instant::now();
            let run = Run::of(&mut c);
            assert_eq!(run.code, code, "{what} {bus:?}: {}", run.stderr);
            assert_eq!(run.stderr, reference.stderr, "{what} {bus:?}");
            // "valid until 10:05" may have become 10:06 since the reference ran.
            assert_eq!(run.stdout.split(';').next(), reference.stdout.split(';').next(), "{what} {bus:?}");
            assert!(t.elapsed() < Duration::from_secs(3), "{what}: {:?}", t.elapsed());
            let logged = notifications(&home);
            assert_eq!(logged.len(), 1, "{logged:?}");
            assert_eq!(logged[0]["outcome"], "failed");
            assert!(logged[0]["message"].as_str().unwrap().contains("via desktop"), "{logged:?}");

            // Debug logging names the reason, still without a secret (Run::of checks).
            let home = due_home();
            let mut c = home.cmd_at(&stub.url);
            c.arg("tick")
                .env_remove("SSOFRESH_NOTIFY")
                .env("SSOFRESH_NOTIFY_ON_SUCCESS", "true")
                .env("SSOFRESH_LOG", "debug");
            let run = Run::of(&mut c);
            assert!(run.stderr.contains("not delivered through desktop"), "{}", run.stderr);
        }
    }
}

// Not on Windows: the notify command here is a sh one-liner; Windows runs it with cmd /C (windows_notify_command_runs_in_cmd).
#[cfg(not(windows))]
#[test]
fn notify_test_says_which_backend_it_used() {
    let home = Home::new();
    let events = Events::new(&home);
    let with_command = |c: &mut std::process::Command| {
        c.env("SSOFRESH_NOTIFY_COMMAND", r#"cat > "$(mktemp "$EVENTS/event.XXXXXX")""#).env("EVENTS", &events.dir);
    };
    // A command alone is enough to pick the command backend.
    let mut c = home.cmd();
    c.args(["notify", "--test"]).env_remove("SSOFRESH_NOTIFY");
    with_command(&mut c);
    let run = Run::of(&mut c);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("backend: command"), "{}", run.stdout);
    assert_eq!(events.kinds(), ["test"]);
    assert_eq!(events.all()[0]["test"], true);

    let mut c = home.cmd();
    c.args(["notify", "--test", "--event", "relogin_required", "--session", "corp", "--notify", "command"]);
    with_command(&mut c);
    assert_eq!(Run::of(&mut c).code, 0);
    let last = events.all().pop().unwrap();
    assert_eq!((last["event"].as_str(), last["session"].as_str()), (Some("relogin_required"), Some("corp")));

    // The command's own complaints are shown here, to help set it up.
    let run = Run::of(
        home.cmd()
            .args(["notify", "--test", "--notify-command", "echo broken >&2; exit 4"])
            .env_remove("SSOFRESH_NOTIFY"),
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("broken") && run.stderr.contains("status 4"), "{}", run.stderr);

    let run = Run::of(home.cmd().args(["notify", "--test"]));
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("off") && run.stdout.contains("none"), "{}", run.stdout);

    #[cfg(all(unix, not(target_os = "macos")))]
    {
        let run = Run::of(
            home.cmd().args(["notify", "--test", "--notify", "desktop"]).env_remove("DBUS_SESSION_BUS_ADDRESS"),
        );
        assert_eq!(run.code, 1);
        assert!(run.stderr.contains("desktop") && run.stderr.contains("SSOFRESH_NOTIFY_COMMAND"), "{}", run.stderr);
    }

    // Without --test: the settings, as given.
    let run =
        Run::of(home.cmd().args(["notify", "--notify", "desktop", "--notify-interval", "90m", "--notify-on-login"]));
    assert_eq!(run.code, 0);
    for needle in ["desktop", "1h30m", "on login     yes", "on error     yes", "on success   no"] {
        assert!(run.stdout.contains(needle), "{needle}: {}", run.stdout);
    }
}

/// Windows runs the notify command with cmd: the event reaches it in the variables, a quoted
/// path in it stays whole, and a failing command is reported with its status.
#[cfg(windows)]
#[test]
fn windows_notify_command_runs_in_cmd() {
    let home = Home::new();
    let dir = home.path().join("a b");
    std::fs::create_dir(&dir).unwrap();
    let out = dir.join("event.txt");
    let command = format!("echo %SSOFRESH_EVENT% %SSOFRESH_SESSION%> \"{}\"", out.display());
    let run = Run::of(
        home.cmd()
            .args([
                "notify",
                "--test",
                "--event",
                "relogin_required",
                "--session",
                "corp",
                "--notify-command",
                &command,
            ])
            .env_remove("SSOFRESH_NOTIFY"),
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap().trim(), "relogin_required corp");
    let run =
        Run::of(home.cmd().args(["notify", "--test", "--notify-command", "exit 4"]).env_remove("SSOFRESH_NOTIFY"));
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("status 4"), "{}", run.stderr);
}

#[test]
fn bad_notification_settings_exit_2() {
    let home = due_home();
    for (env, value, needle) in [
        ("SSOFRESH_NOTIFY", "pager", "pager"),
        ("SSOFRESH_NOTIFY_ON_ERROR", "maybe", "maybe"),
        ("SSOFRESH_NOTIFY_INTERVAL", "often", "often"),
    ] {
        let before = std::fs::read(home.token_path("corp")).unwrap();
        let run = Run::of(home.cmd().arg("tick").env(env, value));
        assert_eq!(run.code, 2, "{env}={value}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{}", run.stderr);
        assert_eq!(std::fs::read(home.token_path("corp")).unwrap(), before);
    }
    let run = Run::of(home.cmd().arg("tick").env("SSOFRESH_NOTIFY", "command"));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--notify-command"), "{}", run.stderr);
}

#[test]
fn the_memo_lives_in_the_state_directory() {
    let home = due_home();
    let events = Events::new(&home);
    let state = home.path().join("elsewhere");
    let stub = Stub::always(Reply::oidc_error(400, "invalid_grant", "InvalidGrantException"));
    assert_eq!(Run::of(tick(&home, &stub.url, &events).env("SSOFRESH_STATE_DIR", &state)).code, 3);
    let memo = state.join("notify").join(format!("{}.json", sha1_hex("corp")));
    let text = std::fs::read_to_string(&memo).unwrap();
    assert!(text.contains("relogin_required") && !text.contains(MARK), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&memo).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(memo.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
    }
    let _: &Path = &memo;
}

/// A private D-Bus session bus with a monitor on the notification interface: what the desktop
/// backend sends, seen from the bus. No notification server owns the name, so delivery fails
/// after the call went out — as on a bus without a notification daemon.
#[cfg(all(unix, not(target_os = "macos")))]
struct Bus {
    address: String,
    daemon: std::process::Child,
    monitor: std::process::Child,
    log: PathBuf,
}

#[cfg(all(unix, not(target_os = "macos")))]
impl Bus {
    fn start(dir: &Path) -> Bus {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .arg(format!("--address=unix:path={}", dir.join("bus").display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon");
        let mut line = String::new();
        std::io::BufReader::new(daemon.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let address = line.trim().to_string();
        assert!(address.starts_with("unix:"), "dbus-daemon said {address:?}");
        let log = dir.join("monitor.log");
        let monitor = Command::new("dbus-monitor")
            .args(["--address", &address, "interface='org.freedesktop.Notifications'"])
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-monitor");
        let bus = Bus { address, daemon, monitor, log };
        // The monitor is listening once it has seen its own name come and go.
        let t = Instant::now();
        while !bus.seen().contains("NameLost") {
            assert!(t.elapsed() < Duration::from_secs(5), "dbus-monitor did not start: {}", bus.seen());
            std::thread::sleep(Duration::from_millis(20));
        }
        bus
    }

    fn seen(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The monitor's record of the n-th Notify call, waiting briefly for it.
    fn notify_call(&self, n: usize) -> String {
        let t = Instant::now();
        loop {
            let seen = self.seen();
            let calls: Vec<&str> = seen.split("method call").filter(|c| c.contains("member=Notify")).collect();
            // A call is complete once its trailing timeout argument is there.
            if let Some(c) = calls.get(n).filter(|c| c.contains("int32")) {
                return c.to_string();
            }
            assert!(t.elapsed() < Duration::from_secs(5), "no Notify call #{n} on the bus: {seen}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.monitor.kill();
        let _ = self.daemon.kill();
        let _ = self.monitor.wait();
        let _ = self.daemon.wait();
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
#[test]
fn the_desktop_backend_speaks_freedesktop_notifications() {
    if !require_tool("dbus-daemon") || !require_tool("dbus-monitor") {
        return;
    }
    let home = due_home();
    let bus = Bus::start(home.path());
    let stub = Stub::always(Reply::oidc_error(400, "invalid_grant", "InvalidGrantException"));
    let reference = Run::of(due_home().cmd_at(&stub.url).arg("tick"));
    let run = Run::of(
        home.cmd_at(&stub.url).arg("tick").env_remove("SSOFRESH_NOTIFY").env("DBUS_SESSION_BUS_ADDRESS", &bus.address),
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(run.stderr, reference.stderr, "an undeliverable notification changes nothing");
    let call = bus.notify_call(0);
    assert!(!call.contains(MARK), "{call}");
    for needle in [
        "destination=org.freedesktop.Notifications",
        "string \"ssofresh\"",
        "string \"AWS SSO corp: log in again\"",
        "ssofresh login corp",
        "string \"urgency\"",
        "byte 2",
    ] {
        assert!(call.contains(needle), "{needle}: {call}");
    }

    let run = Run::of(
        home.cmd()
            .args(["notify", "--test", "--notify", "desktop", "--notify-sound", "message-new-instant"])
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address),
    );
    assert_eq!(run.code, 1, "nobody serves notifications on this bus: {}", run.stdout);
    assert!(run.stderr.contains("ServiceUnknown") || run.stderr.contains("Notifications"), "{}", run.stderr);
    let call = bus.notify_call(1);
    assert!(call.contains("AWS SSO example: test notification") && call.contains("byte 1"), "{call}");
    assert!(call.contains("string \"sound-name\"") && call.contains("message-new-instant"), "{call}");
}

#[test]
fn a_missing_desktop_helper_changes_nothing_and_is_explained() {
    // ssofresh alone, away from the helper that cargo builds beside it.
    let home = due_home();
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let lone = bin.join("ssofresh");
    std::fs::copy(env!("CARGO_BIN_EXE_ssofresh"), &lone).unwrap();
    let stub = Stub::always(Reply::oidc_error(400, "invalid_grant", "InvalidGrantException"));
    let reference = Run::of(due_home().cmd_at(&stub.url).arg("tick"));
    // The fixture's environment, for the lone binary.
    let with = |c: &mut std::process::Command| {
        let mut lone_cmd = std::process::Command::new(&lone);
        lone_cmd.env_clear();
        for (k, v) in c.get_envs() {
            if let Some(v) = v {
                lone_cmd.env(k, v);
            }
        }
        lone_cmd.env("PATH", "/usr/bin:/bin").env_remove("SSOFRESH_NOTIFY").stdin(std::process::Stdio::null());
        lone_cmd
    };
    let run = Run::of(with(&mut home.cmd_at(&stub.url)).arg("tick"));
    assert_eq!((run.code, run.stderr.as_str()), (3, reference.stderr.as_str()));
    let run = Run::of(with(&mut home.cmd()).args(["notify", "--test"]));
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("ssofresh-notify-desktop"), "{}", run.stderr);
}
