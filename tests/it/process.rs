//! The process as a whole: a reader that goes away (`ssofresh tick | head -c0`), core dumps while
//! secrets are in memory.

use crate::common::*;
use std::process::Stdio;

/// A pipe whose reader is already gone: the first write to it fails with EPIPE.
fn closed_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

/// A run of `cmd` with stdout (or stderr) into a pipe nobody reads; the other stream is kept.
fn into_closed(cmd: &mut std::process::Command, stream: &str) -> (i32, String) {
    match stream {
        "stdout" => cmd.stdout(closed_pipe()).stderr(Stdio::piped()),
        _ => cmd.stderr(closed_pipe()).stdout(Stdio::piped()),
    };
    let out = cmd.output().unwrap();
    let kept = String::from_utf8_lossy(if stream == "stdout" { &out.stderr } else { &out.stdout }).into_owned();
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), None, "killed by a signal: {:?}; {kept}", out.status);
    }
    assert!(!kept.contains(MARK), "a secret reached the output: {kept}");
    (out.status.code().unwrap_or(-1), kept)
}

fn quiet(code: i32, kept: &str, what: &str) {
    assert!(!kept.contains("failed printing") && !kept.contains("panicked"), "{what}: {kept}");
    assert_ne!(code, 134, "{what} aborted: {kept}");
    assert_ne!(code, 101, "{what} panicked: {kept}");
}

/// Each command that prints to stdout ends quietly, with exit 0, when its reader is gone; the
/// work it did before the write stays done.
#[test]
fn a_reader_that_is_gone_ends_each_command_quietly() {
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600));
    let cases: [(&str, &[&str]); 9] = [
        ("tick", &["tick"]),
        ("prompt", &["prompt", "--session", "corp"]),
        ("notify", &["notify"]),
        ("init", &["init", "bash"]),
        ("init systemd", &["init", "systemd"]),
        ("hook", &["hook", "--print-next"]),
        ("status", &["status"]),
        ("doctor", &["doctor"]),
        ("configure", &["configure", "credential-process", "--profile", "dev"]),
    ];
    for (what, args) in cases {
        let (code, stderr) = into_closed(home.cmd_at(&stub.url).args(args), "stdout");
        quiet(code, &stderr, what);
        // doctor's own exit code says whether it found problems (none of them is the pipe).
        if what != "doctor" {
            assert_eq!(code, 0, "{what}: {stderr}");
        }
        assert!(stderr.is_empty() || what == "init systemd" || what == "doctor", "{what}: {stderr}");
        if what == "tick" {
            assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS, "the refresh before the write stays");
            assert_eq!(stub.count("/token"), 1);
        }
    }
}

/// A closed stderr is no reason to fail either: messages are dropped, the exit code is the one
/// the work earned (here: 3, a new login is needed).
#[test]
fn a_closed_stderr_keeps_the_exit_code() {
    let home = Home::new();
    let mut t = token(-60);
    t.as_object_mut().unwrap().remove("refreshToken");
    home.write_token("corp", &t);
    let (code, stdout) = into_closed(home.cmd().args(["tick", "--session", "corp"]), "stderr");
    quiet(code, &stdout, "tick");
    assert_eq!(code, 3);
    let (code, stdout) = into_closed(home.cmd().args(["status", "--check"]), "stderr");
    quiet(code, &stdout, "status --check");
    assert_eq!(code, 3);
}

/// While a refresh is under way the process holds the refresh token and the client secret: it
/// must not be able to dump core (RLIMIT_CORE 0) nor be dumpable at all (Linux: its /proc files
/// then belong to root, which a process running as another user shows).
#[cfg(target_os = "linux")]
#[test]
fn no_core_dump_while_secrets_are_held() {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::process::CommandExt;
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    let gate = Gate::new();
    let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600).until(&gate));
    let mut cmd = home.cmd_at(&stub.url);
    cmd.args(["tick", "--session", "corp"]).stdout(Stdio::null()).stderr(Stdio::null());
    // As after `ulimit -c unlimited`, so that a 0 is ssofresh's doing. Ownership shows "not
    // dumpable" only for a process that does not run as root: as root, the child becomes
    // nobody, after raising the hard limit (which only root may).
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let nobody: u32 = 65534;
    if root {
        chown_tree(home.path(), nobody);
    }
    // SAFETY: only async-signal-safe calls on values of this closure, between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let mut l = libc::rlimit { rlim_cur: libc::RLIM_INFINITY, rlim_max: libc::RLIM_INFINITY };
            if !root {
                libc::getrlimit(libc::RLIMIT_CORE, &mut l);
                l.rlim_cur = l.rlim_max;
            }
            libc::setrlimit(libc::RLIMIT_CORE, &l);
            if root
                && (libc::setgroups(0, std::ptr::null()) != 0 || libc::setgid(nobody) != 0 || libc::setuid(nobody) != 0)
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let pid = child.id();
    // The request is at the stub: the token and the secret are in the process's memory.
    let asked = wait_until(std::time::Duration::from_secs(20), || stub.count("/token") == 1);
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap_or_default();
    let process_owner = std::fs::metadata(format!("/proc/{pid}")).map(|m| m.uid());
    let environ_owner = std::fs::metadata(format!("/proc/{pid}/environ")).map(|m| m.uid());
    gate.open();
    let status = child.wait().unwrap();
    assert!(asked, "the refresh never reached the stub");
    let core = limits.lines().find(|l| l.starts_with("Max core file size")).unwrap_or_default().to_string();
    let words: Vec<&str> = core.split_whitespace().collect();
    assert_eq!(words.get(4), Some(&"0"), "soft core limit: {core}");
    assert_ne!(words.get(5), Some(&"0"), "the test could not raise the hard limit, so proves nothing: {core}");
    let process_owner = process_owner.unwrap();
    assert_ne!(process_owner, 0, "the child runs as a user, not root");
    assert_eq!(environ_owner.unwrap(), 0, "dumpable: its /proc files belong to its user ({process_owner})");
    assert!(status.success(), "{status:?}");
}

#[cfg(target_os = "linux")]
fn chown_tree(dir: &std::path::Path, uid: u32) {
    std::os::unix::fs::chown(dir, Some(uid), Some(uid)).unwrap();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() && !p.is_symlink() {
            chown_tree(&p, uid);
        } else {
            std::os::unix::fs::lchown(&p, Some(uid), Some(uid)).unwrap();
        }
    }
}
