//! The engine's write path, where a session can be lost: a refresh is never spent when its
//! result cannot be saved; a newer login is never overwritten; another client's in-place write,
//! or its rotation of the refresh token, is not taken for a broken cache or an ended session;
//! every ssofresh sharing a cache shares its lock; temp files of killed writers go away; the
//! user's own symlinked cache file stays a symlink.
#![cfg(unix)]

use crate::common::aws::*;
use crate::common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn due_home() -> Home {
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    home
}

/// `cmd` run through `prefix` (a program and its options), with the same arguments and
/// environment.
fn wrapped(prefix: &[&str], cmd: &Command) -> Command {
    let mut c = Command::new(prefix[0]);
    c.args(&prefix[1..]).arg(cmd.get_program()).args(cmd.get_args()).env_clear().stdin(Stdio::null());
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            c.env(k, v);
        }
    }
    c
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Mounting needs root (CAP_SYS_ADMIN): CI runs the tests as root, so there its absence fails
/// the test; on a developer's machine the test is skipped with a notice.
fn can_mount() -> bool {
    if !require_tool("mount") {
        return false;
    }
    if !is_root() {
        if std::env::var_os("CI").is_some() {
            panic!("not root: cannot mount a small file system; CI must run the tests as root");
        }
        eprintln!("notice: not root; cannot mount a small file system, skipping this test (CI fails instead)");
    }
    is_root()
}

/// A tmpfs over `dir` for one test, mode 0700, unmounted (lazily) when dropped.
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"])
            .arg(dir)
            .status()
            .unwrap()
            .success();
        assert!(ok, "mount -t tmpfs {} failed", dir.display());
        Tmpfs { dir: dir.to_path_buf() }
    }

    fn remount_read_only(&self) {
        let ok = Command::new("mount").args(["-o", "remount,ro"]).arg(&self.dir).status().unwrap().success();
        assert!(ok, "remount read-only failed");
    }

    /// Writes a file until the file system is full.
    fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.dir.join("filler")).unwrap();
        let chunk = vec![0u8; 4096];
        while f.write_all(&chunk).and_then(|_| f.sync_all()).is_ok() {}
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

/// Files in the cache directory other than the token, the filler and ssofresh's lock: what a
/// failed write could have left behind.
fn strays(home: &Home) -> Vec<String> {
    let token = format!("{}.json", sha1_hex("corp"));
    cache_entries(&home.cache_dir()).into_iter().filter(|n| *n != token && n != "filler").collect()
}

/// The whole promise for a cache that cannot be written: `tick` exits 1 naming the session and
/// the real cause (`cause`), sends no CreateToken, leaves the cache byte for byte and nothing
/// beside it, and records a back-off (the next automatic tick does not even try);
/// `credential-process` still serves from the token, which is valid for 10 more minutes.
fn refuses_to_spend_a_refresh(home: &Home, prefix: &[&str], cause: &str) {
    let stub = aws_stub(|_, _| Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600), numbered_roles);
    let before = std::fs::read(home.token_path("corp")).unwrap();
    let run = Run::of(&mut wrapped(prefix, home.cmd_aws(&stub.url).arg("tick")));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("corp") && run.stderr.contains(cause), "{}", run.stderr);
    assert!(run.stderr.contains("no refresh was attempted"), "{}", run.stderr);
    assert!(!run.stderr.contains("ended"), "{}", run.stderr);
    assert_eq!(stub.count(TOKEN), 0, "CreateToken was called for a token that could not be saved");
    assert_eq!(std::fs::read(home.token_path("corp")).unwrap(), before, "the cache changed");
    assert_eq!(strays(home), Vec::<String>::new(), "left beside the cache");
    let state: Value = serde_json::from_slice(
        &std::fs::read(home.state_dir().join("sessions").join(format!("{}.json", sha1_hex("corp")))).unwrap(),
    )
    .unwrap();
    assert!(state["backoff_until"].is_string(), "no back-off recorded: {state}");

    let again = Run::of(&mut wrapped(prefix, home.cmd_aws(&stub.url).args(["tick", "--auto"])));
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(again.stderr.contains("backing off"), "{}", again.stderr);

    let cp = Run::of(&mut wrapped(prefix, home.cmd_aws(&stub.url).args(["credential-process", "--profile", "dev"])));
    assert_eq!(cp.code, 0, "{}", cp.stderr);
    let v: Value = serde_json::from_str(&cp.stdout).unwrap();
    assert_eq!(v["AccessKeyId"], RoleCreds::nth(0, 3600).access_key_id);
    let portal = stub.requests().into_iter().find(|r| r.path.starts_with(PORTAL)).unwrap();
    assert_eq!(portal.bearer(), Some(ACCESS), "served from the cached token");
    assert_eq!(stub.count(TOKEN), 0);
    assert_eq!(std::fs::read(home.token_path("corp")).unwrap(), before);
}

#[test]
fn a_full_disk_spends_no_refresh() {
    if !can_mount() {
        return;
    }
    let home = Home::new();
    let disk = Tmpfs::mount(&home.cache_dir(), "256k");
    home.write_token("corp", &token(10 * 60));
    disk.fill();
    refuses_to_spend_a_refresh(&home, &["env"], "the disk is full");

    // Once there is room again, the next tick refreshes.
    std::fs::remove_file(home.cache_dir().join("filler")).unwrap();
    let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600));
    let run = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS);
    drop(disk);
}

#[test]
fn a_read_only_cache_spends_no_refresh() {
    if !can_mount() {
        return;
    }
    let home = Home::new();
    let disk = Tmpfs::mount(&home.cache_dir(), "1m");
    home.write_token("corp", &token(10 * 60));
    // The lock file is there from an earlier run: it locks read-only, and the write still fails.
    std::fs::write(home.lock_path("corp"), b"").unwrap();
    disk.remount_read_only();
    refuses_to_spend_a_refresh(&home, &["env"], "read-only");
    drop(disk);
}

#[test]
fn a_cache_directory_without_write_permission_spends_no_refresh() {
    use std::os::unix::fs::PermissionsExt;
    // Root writes anywhere: without CAP_DAC_OVERRIDE it meets the directory's mode like anyone.
    let prefix: &[&str] = if is_root() {
        if !require_tool("setpriv") {
            return;
        }
        &["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]
    } else {
        &["env"]
    };
    let home = Home::new();
    home.write_token("corp", &token(10 * 60));
    let dir = home.cache_dir();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o500)).unwrap();
    refuses_to_spend_a_refresh(&home, prefix, "permission denied");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
}

/// Whether process `pid` has `path` open: how a test sees another process waiting for a lock
/// (it holds the lock file open while it tries).
#[cfg(target_os = "linux")]
fn has_open(pid: u32, path: &Path) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return false };
    fds.flatten().any(|fd| std::fs::read_link(fd.path()).is_ok_and(|p| p == path))
}

fn spawn(cmd: &mut Command) -> std::process::Child {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
}

fn finish(child: std::process::Child) -> Run {
    let out = child.wait_with_output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stdout.contains(MARK) && !run.stderr.contains(MARK), "a secret reached the output: {}", run.stderr);
    run
}

#[cfg(target_os = "linux")]
#[test]
fn ticks_with_different_state_dirs_share_the_lock_and_refresh_once() {
    let home = due_home();
    let gate = Gate::new();
    // A real endpoint rotates the refresh token: the old one works once.
    let g = gate.clone();
    let stub = Stub::start(move |req, n| {
        assert_eq!(req.json()["refreshToken"], REFRESH, "only the old token was ever sent");
        match n {
            0 => Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600).until(&g),
            _ => Reply::oidc_error(400, "invalid_grant", "InvalidGrantException"),
        }
    });
    let first = spawn(home.cmd_at(&stub.url).args(["tick", "--timeout", "30s"]));
    assert!(wait_until(Duration::from_secs(20), || stub.count("/token") == 1), "the first tick sent nothing");
    let other_state = home.path().join("other-state");
    let second =
        spawn(home.cmd_at(&stub.url).args(["tick", "--timeout", "30s"]).env("SSOFRESH_STATE_DIR", &other_state));
    // The second one either waits for the first one's lock or (without a shared lock) asks.
    let lock = home.lock_path("corp");
    let pid = second.id();
    assert!(
        wait_until(Duration::from_secs(20), || has_open(pid, &lock) || stub.count("/token") > 1),
        "the second tick neither waited nor asked"
    );
    gate.open();
    let (a, b) = (finish(first), finish(second));
    assert_eq!(stub.count("/token"), 1, "two refreshes: {}\n{}", a.stderr, b.stderr);
    for run in [&a, &b] {
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(!run.stderr.contains("ended"), "{}", run.stderr);
    }
    assert_eq!(home.read_token("corp")["refreshToken"], NEW_REFRESH);
    let state = other_state.join("sessions").join(format!("{}.json", sha1_hex("corp")));
    assert!(!std::fs::read_to_string(state).unwrap_or_default().contains("rejected"));
}

#[cfg(target_os = "linux")]
#[test]
fn credential_processes_with_different_state_dirs_fetch_a_role_once() {
    let home = Home::new();
    home.write_token("corp", &token(3600));
    let gate = Gate::new();
    let g = gate.clone();
    let stub = aws_stub(
        |_, _| Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600),
        move |req, n| numbered_roles(req, n).until(&g),
    );
    let cp = |state: &Path| {
        let mut c = home.cmd_aws(&stub.url);
        c.args(["credential-process", "--profile", "dev", "--timeout", "30s"]).env("SSOFRESH_STATE_DIR", state);
        c
    };
    let first = spawn(&mut cp(&home.path().join("state-a")));
    assert!(wait_until(Duration::from_secs(20), || stub.count(PORTAL) == 1));
    let second = spawn(&mut cp(&home.path().join("state-b")));
    let lock = home.role_cache_dir().join(format!(".{DEV_ROLE_KEY}.ssofresh.lock"));
    let pid = second.id();
    assert!(wait_until(Duration::from_secs(20), || has_open(pid, &lock) || stub.count(PORTAL) > 1));
    gate.open();
    let (a, b) = (finish(first), finish(second));
    assert_eq!((a.code, b.code), (0, 0), "{}\n{}", a.stderr, b.stderr);
    assert_eq!(stub.count(PORTAL), 1, "the role was fetched twice");
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn a_login_during_a_slow_refresh_is_not_overwritten() {
    if !require_tool("strace") {
        return;
    }
    const LOGIN_ACCESS: &str = "aoa-SECRETMARK-login";
    const LOGIN_REFRESH: &str = "aor-SECRETMARK-login";
    let home = due_home();
    // The login is known, so that the tick's first fsync is the one of its write.
    home.write_state("corp", &json!({"seen_login": fingerprint(REFRESH)}));
    let gate = Gate::new();
    let g = gate.clone();
    let stub = Stub::start(move |req, _| match req.path.as_str() {
        "/client/register" => Reply::json(
            200,
            json!({"clientId": "client-new", "clientSecret": "cs-SECRETMARK-new",
                   "clientIdIssuedAt": chrono::Utc::now().timestamp(),
                   "clientSecretExpiresAt": chrono::Utc::now().timestamp() + 90 * 86400}),
        ),
        "/device_authorization" => Reply::json(
            200,
            json!({"deviceCode": "dc-SECRETMARK", "userCode": "ABCD-EFGH",
                   "verificationUri": "https://device.example/", "expiresIn": 600, "interval": 1}),
        ),
        _ if req.json()["grantType"] == "refresh_token" => {
            Reply::token("aoa-SECRETMARK-refreshed", Some("aor-SECRETMARK-refreshed"), 3600).until(&g)
        }
        _ => Reply::token(LOGIN_ACCESS, Some(LOGIN_REFRESH), 3600),
    });
    // A slow disk: every fsync of the tick takes 1.5 s.
    let strace =
        ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync", "-e", "inject=fsync:delay_enter=1500000"];
    let tick = spawn(&mut wrapped(&strace, home.cmd_at(&stub.url).args(["tick", "--timeout", "60s"])));
    assert!(wait_until(Duration::from_secs(30), || stub.count("/token") == 1), "the tick sent nothing");
    // A login finishes while the refresh is under way. Its request timeout was all it used to
    // wait for the lock before writing without it.
    let login = spawn(
        home.cmd_at(&stub.url)
            .args(["login", "corp", "--use-device-code", "--force", "--timeout", "300ms"])
            .env("SSOFRESH_TEST_WAIT_SCALE", "0.01"),
    );
    assert!(wait_until(Duration::from_secs(20), || stub.count("/token") == 2), "the login did not finish");
    gate.open();
    let (t, l) = (finish(tick), finish(login));
    let cached = home.read_token("corp");
    assert_eq!(cached["accessToken"], LOGIN_ACCESS, "the refresh overwrote the newer login");
    assert_eq!(cached["refreshToken"], LOGIN_REFRESH);
    assert_eq!(l.code, 0, "{}", l.stderr);
    assert!(l.stderr.contains("waiting for another ssofresh process"), "{}", l.stderr);
    assert_eq!(t.code, 0, "{}", t.stderr);
}

/// Rewrites the cache the way the JS and Rust SDKs do, over and over: truncate, write half,
/// a pause, the rest, a longer pause. Returns a stop switch, the count of rewrites, and the
/// thread.
fn in_place_writer(path: PathBuf, bytes: Vec<u8>) -> (Arc<AtomicBool>, Arc<AtomicU32>, std::thread::JoinHandle<()>) {
    use std::io::Write;
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicU32::new(0));
    let (s, r) = (stop.clone(), rounds.clone());
    let t = std::thread::spawn(move || {
        while !s.load(Ordering::Relaxed) {
            let mut f = std::fs::OpenOptions::new().write(true).truncate(true).open(&path).unwrap();
            f.write_all(&bytes[..bytes.len() / 2]).unwrap();
            std::thread::sleep(Duration::from_millis(10));
            f.write_all(&bytes[bytes.len() / 2..]).unwrap();
            drop(f);
            r.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(30));
        }
    });
    (stop, rounds, t)
}

#[test]
fn readers_ride_out_another_clients_in_place_rewrite() {
    let home = Home::new();
    let path = home.write_token("corp", &token(3600));
    let stub = aws_stub(|_, _| Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600), numbered_roles);
    let (stop, rounds, writer) = in_place_writer(path.clone(), std::fs::read(&path).unwrap());
    let mut failures = Vec::new();
    let mut reads = 0;
    // Enough reads, over enough rewrites for many of them to land in the gap.
    while reads < 36 || rounds.load(Ordering::Relaxed) < 30 {
        for args in
            [&["tick"][..], &["status", "--session", "corp"], &["credential-process", "--profile", "dev", "--no-cache"]]
        {
            let run = Run::of(home.cmd_aws(&stub.url).args(args));
            reads += 1;
            if run.code != 0 || run.stderr.contains("unusable") {
                failures.push(format!("{args:?}: exit {}: {}", run.code, run.stderr));
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    assert!(failures.is_empty(), "{} of {reads} reads failed:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(stub.count(TOKEN), 0);
}

#[test]
fn a_cache_that_stays_cut_short_is_not_called_deletable() {
    for bytes in [Vec::new(), format!(r#"{{"accessToken": "{ACCESS}", "expi"#).into_bytes()] {
        let home = Home::new();
        home.write_token_bytes("corp", &bytes);
        let stub = aws_stub(|_, _| Reply::token(NEW_ACCESS, None, 3600), numbered_roles);
        for args in [
            &["tick"][..],
            &["credential-process", "--profile", "dev"],
            &["status", "--check", "--session", "corp"],
            &["status", "--session", "corp"],
            &["doctor"],
        ] {
            let run = Run::of(home.cmd_aws(&stub.url).args(args));
            // Doctor and status wrap their lines.
            let said = format!("{} {}", run.stdout, run.stderr).split_whitespace().collect::<Vec<_>>().join(" ");
            if !matches!(args, ["doctor"] | ["status", "--session", _]) {
                assert_eq!(run.code, 2, "{args:?}: {said}");
            }
            assert!(said.contains("another program may be writing it"), "{args:?}: {said}");
            assert!(!said.contains("delete") && !said.contains("rm "), "{args:?}: {said}");
        }
        assert_eq!(std::fs::read(home.token_path("corp")).unwrap(), bytes);
        assert!(stub.requests().is_empty());
    }
}

#[test]
fn a_rejection_just_after_another_client_rotated_the_token_is_not_the_end() {
    use std::io::Write;
    let home = due_home();
    let path = home.token_path("corp");
    let mut theirs = token(3600);
    theirs["accessToken"] = json!("aoa-SECRETMARK-theirs");
    theirs["refreshToken"] = json!("aor-SECRETMARK-theirs");
    let their_bytes = theirs.to_string().into_bytes();
    let (p, b) = (path.clone(), their_bytes.clone());
    // The other client used the same refresh token a moment earlier: the endpoint rejects
    // ours, and the other client writes its rotated token (in place) just after.
    let stub = Stub::start(move |_, _| {
        let (p, b) = (p.clone(), b.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            let mut f = std::fs::OpenOptions::new().write(true).truncate(true).open(&p).unwrap();
            f.write_all(&b[..20]).unwrap();
            std::thread::sleep(Duration::from_millis(20));
            f.write_all(&b[20..]).unwrap();
        });
        Reply::oidc_error(400, "invalid_grant", "InvalidGrantException")
    });
    let events = home.path().join("events");
    std::fs::create_dir_all(&events).unwrap();
    let run = Run::of(
        home.cmd_at(&stub.url)
            .arg("tick")
            .env("SSOFRESH_NOTIFY", "command")
            .env("SSOFRESH_NOTIFY_COMMAND", r#"cat > "$(mktemp "$EVENTS/event.XXXXXX")""#)
            .env("EVENTS", &events),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("ended") && !run.stderr.contains("login"), "{}", run.stderr);
    assert_eq!(stub.count("/token"), 1);
    assert_eq!(std::fs::read(&path).unwrap(), their_bytes, "their token is kept as they wrote it");
    let state = std::fs::read_to_string(home.state_dir().join("sessions").join(format!("{}.json", sha1_hex("corp"))))
        .unwrap_or_default();
    assert!(!state.contains("rejected"), "the rejection was recorded: {state}");
    let told: Vec<String> = std::fs::read_dir(&events)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .filter(|t| t.contains("relogin"))
        .collect();
    assert!(told.is_empty(), "told to log in again: {told:?}");
    // Their token is fresh: nothing more to do, and the rejected one is never sent again.
    let again = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(stub.count("/token"), 1);
}

#[test]
fn a_rejection_with_the_cache_unchanged_still_ends_the_session() {
    let home = due_home();
    let stub = Stub::always(Reply::oidc_error(400, "invalid_grant", "InvalidGrantException"));
    let run = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("ended") && run.stderr.contains("ssofresh login corp"), "{}", run.stderr);
}

/// A temp file as `sys::fs` names its own, for `target` in `dir`, written by `pid`.
fn plant(dir: &Path, target: &str, pid: u32) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join(format!(".{target}.{pid}.123456789.tmp"));
    std::fs::write(&p, format!(r#"{{"accessToken": "{ACCESS}"}}"#)).unwrap();
    p
}

/// A pid that no process has: a child that has exited and been reaped.
fn dead_pid() -> u32 {
    let mut c = Command::new("true").spawn().unwrap();
    c.wait().unwrap();
    c.id()
}

#[test]
fn temp_files_of_killed_writers_are_removed_by_tick_and_logout() {
    let home = due_home();
    let gate = Gate::new();
    let g = gate.clone();
    let stub = Stub::start(move |_, n| match n {
        0 => Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600).until(&g),
        _ => Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600),
    });
    let key = format!("{}.json", sha1_hex("corp"));
    // A refresh killed mid-request leaves its staged temp file.
    let mut victim = spawn(home.cmd_at(&stub.url).args(["tick", "--timeout", "60s"]));
    assert!(wait_until(Duration::from_secs(20), || stub.count("/token") == 1));
    victim.kill().unwrap();
    victim.wait().unwrap();
    gate.open();
    let orphan = home.cache_dir().join(format!(".{key}.{}.", victim.id()));
    let left: Vec<String> = cache_entries(&home.cache_dir()).into_iter().filter(|n| n.ends_with(".tmp")).collect();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(home.cache_dir().join(&left[0]).to_string_lossy().starts_with(&*orphan.to_string_lossy()));

    let dead = dead_pid();
    let in_state = plant(&home.state_dir().join("sessions"), &key, dead);
    let live = plant(&home.cache_dir(), &key, std::process::id());
    let botocore = home.cache_dir().join("tmpab12cd34.tmp");
    let not_json = home.cache_dir().join(format!(".notes.txt.{dead}.1.tmp"));
    for p in [&botocore, &not_json] {
        std::fs::write(p, "theirs").unwrap();
    }
    let run = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS);
    assert!(!home.cache_dir().join(&left[0]).exists(), "the killed tick's temp file is still there");
    assert!(!in_state.exists(), "a dead writer's state temp file is still there");
    for p in [&live, &botocore, &not_json] {
        assert!(p.exists(), "removed {}", p.display());
    }
    // None of them was ever read as the token.
    assert_eq!(stub.requests()[1].json()["refreshToken"], REFRESH);

    // logout sweeps the token cache, the role cache and the state directory.
    let in_cache = plant(&home.cache_dir(), &key, dead);
    let in_roles = plant(&home.role_cache_dir(), &format!("{DEV_ROLE_KEY}.json"), dead);
    let in_state = plant(&home.state_dir().join("notify"), &key, dead);
    let run = Run::of(home.cmd_aws(&stub.url).args(["logout", "corp"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    for p in [&in_cache, &in_roles, &in_state] {
        assert!(!p.exists(), "logout left {}", p.display());
    }
    for p in [&live, &botocore, &not_json] {
        assert!(p.exists(), "logout removed {}", p.display());
    }
}

#[test]
fn a_symlinked_cache_file_is_written_through_and_stays_a_link() {
    let home = Home::new();
    let dotfiles = home.path().join("dotfiles/sso");
    std::fs::create_dir_all(&dotfiles).unwrap();
    let real = dotfiles.join("corp.json");
    std::fs::write(&real, token(4 * 60).to_string()).unwrap();
    std::fs::create_dir_all(home.cache_dir()).unwrap();
    std::os::unix::fs::symlink(&real, home.token_path("corp")).unwrap();
    let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600));
    let run = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let link = std::fs::symlink_metadata(home.token_path("corp")).unwrap();
    assert!(link.file_type().is_symlink(), "the link was replaced by a file");
    assert_eq!(std::fs::read_link(home.token_path("corp")).unwrap(), real);
    let t: Value = serde_json::from_slice(&std::fs::read(&real).unwrap()).unwrap();
    assert_eq!(t["accessToken"], NEW_ACCESS);
    assert_eq!(cache_entries(&dotfiles), ["corp.json"], "temp files left beside the real file");
    assert_eq!(cache_entries(&home.cache_dir()), [format!("{}.json", sha1_hex("corp"))]);
}

/// The AWS CLI v2: `SSOFRESH_TEST_AWS2` (which `.ci/run` sets), else the one `.ci/run` installs
/// in `.ci/venv`. Required in CI, else skipped with a notice.
fn aws_cli_v2() -> Option<String> {
    let installed = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/venv/awscli2/bin/aws");
    let path = std::env::var("SSOFRESH_TEST_AWS2").unwrap_or_else(|_| installed.to_string_lossy().into_owned());
    match path {
        p if Path::new(&p).is_file() => Some(p),
        _ if std::env::var_os("CI").is_some() => {
            panic!("SSOFRESH_TEST_AWS2 does not name the AWS CLI v2; .ci/run sets it")
        }
        _ => {
            eprintln!("notice: SSOFRESH_TEST_AWS2 not set; skipping this test (CI fails instead)");
            None
        }
    }
}

#[test]
fn aws_sso_logout_passes_over_the_lock_and_temp_files() {
    let Some(aws2) = aws_cli_v2() else { return };
    let home = due_home();
    let stub = aws_stub(|_, _| Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600), numbered_roles);
    assert_eq!(Run::of(home.cmd_aws(&stub.url).args(["credential-process", "--profile", "dev"])).code, 0);
    let key = format!("{}.json", sha1_hex("corp"));
    let lock = home.lock_path("corp");
    let role_lock = home.role_cache_dir().join(format!(".{DEV_ROLE_KEY}.ssofresh.lock"));
    assert!(lock.is_file() && role_lock.is_file(), "the refresh and the fetch took their locks");
    // A refresh killed mid-request leaves blanks.
    let staged = home.cache_dir().join(format!(".{key}.{}.1.tmp", dead_pid()));
    std::fs::write(&staged, vec![b' '; 4096]).unwrap();
    // `aws sso logout` reads every file in both caches as JSON and removes the SSO ones.
    let run = ClientRun::of(home.client(&aws2, &stub.url).args(["sso", "logout"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("Traceback"), "{}", run.stderr);
    assert!(!home.token_path("corp").exists(), "the token was not removed");
    assert!(!home.role_cache_path(DEV_ROLE_KEY).exists(), "{:?}", home.role_cache_files());
    // Ours are neither JSON nor removed, and ssofresh works on afterwards.
    assert!(lock.is_file() && role_lock.is_file() && staged.is_file());
    let run = Run::of(home.cmd_aws(&stub.url).args(["tick", "--session", "corp"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("not logged in"), "{}", run.stderr);
}

/// A file of the user's bind-mounted over the token cache file, as a container mounts one
/// file of its host's: rename(2) onto it fails with EBUSY, as Windows refuses to rename onto a
/// file another program holds open. Read-only, it cannot be written in place either. Unmounted
/// (lazily) when dropped.
struct BindMount {
    target: PathBuf,
}

impl BindMount {
    fn over(target: &Path, source: &Path, read_only: bool) -> BindMount {
        let mut c = Command::new("mount");
        c.arg("--bind");
        if read_only {
            c.args(["-o", "ro"]);
        }
        assert!(c.arg(source).arg(target).status().unwrap().success(), "mount --bind over {}", target.display());
        BindMount { target: target.to_path_buf() }
    }
}

impl Drop for BindMount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.target).status();
    }
}

/// The host's copy of the due token, private, in a directory of its own; `read_only` mounts it
/// so. Returns the mount and the host's file.
fn mounted_token(home: &Home, read_only: bool) -> (BindMount, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let host = home.path().join("host");
    std::fs::create_dir_all(&host).unwrap();
    std::fs::set_permissions(&host, std::fs::Permissions::from_mode(0o700)).unwrap();
    let file = host.join("token.json");
    std::fs::copy(home.token_path("corp"), &file).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    (BindMount::over(&home.token_path("corp"), &file, read_only), file)
}

/// A cache file that cannot be replaced (busy) but can be written is rewritten in place, and
/// the rotated refresh token is in it: the old one, dead now, is never needed again.
#[test]
fn a_cache_file_that_cannot_be_replaced_is_rewritten_in_place() {
    if !can_mount() {
        return;
    }
    let home = due_home();
    let (mount, host) = mounted_token(&home, false);
    let stub = Stub::rotating_oidc();
    let run = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("corp: refreshed"), "{}", run.stdout);
    let t: Value = serde_json::from_slice(&std::fs::read(&host).unwrap()).unwrap();
    assert_eq!((t["accessToken"].as_str(), t["refreshToken"].as_str()), (Some(NEW_ACCESS), Some(NEW_REFRESH)));
    assert_eq!(t["someToolField"], token(0)["someToolField"], "the rest of the file is kept");
    assert_eq!(strays(&home), Vec::<String>::new(), "no temp file, nothing kept aside");
    // The next refresh sends the rotated token, and goes through.
    let run = Run::of(home.cmd_at(&stub.url).args(["tick", "--threshold", "2h"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(stub.refresh_tokens_sent(), [REFRESH, NEW_REFRESH]);
    assert_eq!(home.read_token("corp")["accessToken"], NEWER_ACCESS);
    drop(mount);
}

/// A cache file that can be neither replaced nor written: the refreshed token (the refresh
/// token rotated, the old one dead) is kept beside the cache, private; `status` and `doctor`
/// say so; the next tick puts it in place without a request, and the old refresh token is never
/// sent again.
#[test]
fn a_refreshed_token_that_cannot_be_written_is_kept_and_put_in_place_by_the_next_run() {
    use std::os::unix::fs::PermissionsExt;
    if !can_mount() {
        return;
    }
    let home = due_home();
    let before = std::fs::read(home.token_path("corp")).unwrap();
    let (mount, host) = mounted_token(&home, true);
    let stub = Stub::rotating_oidc();
    let run = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let kept = home.kept_path("corp");
    assert!(
        run.stderr.contains("corp")
            && run.stderr.contains(&format!("kept in {}", kept.display()))
            && run.stderr.contains("the next run puts it in place"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read(&host).unwrap(), before, "the cache is as it was");
    assert_eq!(strays(&home), [kept.file_name().unwrap().to_string_lossy()], "only the kept token beside it");
    assert_eq!(std::fs::metadata(&kept).unwrap().permissions().mode() & 0o777, 0o600);
    let k: Value = serde_json::from_slice(&std::fs::read(&kept).unwrap()).unwrap();
    assert_eq!((k["accessToken"].as_str(), k["refreshToken"].as_str()), (Some(NEW_ACCESS), Some(NEW_REFRESH)));

    let status = Run::of(home.cmd().arg("status"));
    assert!(
        status.stdout.contains("unsaved") && status.stdout.contains("the next tick puts it in place"),
        "{}",
        status.stdout
    );
    let json: Value = serde_json::from_str(&Run::of(home.cmd().args(["status", "--json"])).stdout).unwrap();
    assert_eq!(json["sessions"][0]["kept_token"], json!({"state": "waiting", "file": kept.display().to_string()}));
    let doctor = Run::of(home.cmd().arg("doctor"));
    assert_eq!(doctor.code, 1, "{}", doctor.stdout);
    assert!(doctor.stdout.contains("waits in") && doctor.stdout.contains("ssofresh tick"), "{}", doctor.stdout);
    // Still held: the next run tries again, keeps it, and sends nothing.
    let run = Run::of(home.cmd_at(&stub.url).args(["tick", "--auto"]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("stays in"), "{}", run.stderr);
    assert!(kept.exists());
    assert_eq!(stub.refresh_tokens_sent(), [REFRESH]);

    drop(mount);
    let run = Run::of(home.cmd_at(&stub.url).args(["tick", "--auto"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let t = home.read_token("corp");
    assert_eq!((t["accessToken"].as_str(), t["refreshToken"].as_str()), (Some(NEW_ACCESS), Some(NEW_REFRESH)));
    assert_eq!(t.get("ssofreshPending"), None, "the mark stays out of the cache");
    assert!(!kept.exists());
    assert_eq!(strays(&home), Vec::<String>::new());
    assert_eq!(stub.refresh_tokens_sent(), [REFRESH], "put in place without a request");
    assert!(!Run::of(home.cmd().arg("status")).stdout.contains("unsaved"));
    let run = Run::of(home.cmd_at(&stub.url).args(["tick", "--threshold", "2h"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(stub.refresh_tokens_sent(), [REFRESH, NEW_REFRESH], "the old refresh token is never needed again");
}

/// A kept token never overwrites a newer login another client wrote meanwhile: while that one
/// is fresh nothing happens; when it is due, the kept token is removed unused and the newer
/// login's refresh token is the one sent.
#[test]
fn a_kept_token_never_overwrites_a_newer_login() {
    if !can_mount() {
        return;
    }
    let home = due_home();
    let (mount, _) = mounted_token(&home, true);
    let stub = Stub::rotating_oidc();
    assert_eq!(Run::of(home.cmd_at(&stub.url).arg("tick")).code, 1);
    let kept = home.kept_path("corp");
    assert!(kept.exists());
    drop(mount);
    // `aws sso login` by hand meanwhile.
    let mut login = token(8 * 3600);
    login["accessToken"] = json!("aoa-SECRETMARK-access-login");
    login["refreshToken"] = json!("aor-SECRETMARK-refresh-login");
    home.write_token("corp", &login);
    let newer = std::fs::read(home.token_path("corp")).unwrap();
    let run = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read(home.token_path("corp")).unwrap(), newer, "the newer login was overwritten");
    let json: Value = serde_json::from_str(&Run::of(home.cmd().args(["status", "--json"])).stdout).unwrap();
    assert_eq!(json["sessions"][0]["kept_token"]["state"], "superseded");
    // Due: the kept token goes unused; the login's refresh token is sent.
    let run = Run::of(home.cmd_at(&stub.url).args(["tick", "--threshold", "9h"]));
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(!kept.exists(), "the kept token is still there");
    assert_eq!(stub.refresh_tokens_sent(), [REFRESH, "aor-SECRETMARK-refresh-login"]);
    let t = home.read_token("corp");
    assert_eq!(t["accessToken"], "aoa-SECRETMARK-access-login", "never the kept one");
}

/// A kept token holds the session's secrets: `ssofresh logout` removes it, and so does the
/// AWS CLI v2's `aws sso logout` (it removes every file there that holds an `accessToken`).
#[test]
fn a_kept_token_goes_with_a_logout() {
    if !can_mount() {
        return;
    }
    for aws in [false, true] {
        let aws2 = if aws {
            match aws_cli_v2() {
                Some(p) => Some(p),
                None => return,
            }
        } else {
            None
        };
        let home = due_home();
        let (mount, _) = mounted_token(&home, true);
        let stub = aws_stub(|_, _| Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600), numbered_roles);
        assert_eq!(Run::of(home.cmd_at(&stub.url).arg("tick")).code, 1);
        drop(mount);
        let kept = home.kept_path("corp");
        assert!(kept.exists());
        match aws2 {
            Some(aws2) => {
                let run = ClientRun::of(home.client(&aws2, &stub.url).args(["sso", "logout"]));
                assert_eq!(run.code, 0, "{}", run.stderr);
            }
            None => {
                let run = Run::of(home.cmd_aws(&stub.url).args(["logout", "corp"]));
                assert_eq!(run.code, 0, "{}", run.stderr);
                assert!(run.stdout.contains("removed the unsaved refreshed token"), "{}", run.stdout);
            }
        }
        assert!(!kept.exists() && !home.token_path("corp").exists(), "{:?}", cache_entries(&home.cache_dir()));
    }
}
