//! The AWS config file as every command reads it: something that is not a file, a file too big
//! to be a config, a file `status` rejects — each refused the same way by `tick`, `status`,
//! `prompt` and the prompt hook, at once, naming the file.

use crate::common::*;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Runs `cmd`, failing the test if it has not exited after `limit` (a FIFO used to block the
/// hook forever; /dev/zero used to eat memory until the kernel stepped in).
fn run_within(cmd: &mut std::process::Command, limit: Duration) -> Run {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {limit:?}: {cmd:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let run = Run { code: status.code().unwrap_or(-1), stdout: out.join().unwrap(), stderr: err.join().unwrap() };
    assert!(!run.stdout.contains(MARK) && !run.stderr.contains(MARK), "a secret reached the output");
    run
}

/// Each command on a config at `path`; checks every one refuses it the same way, naming `path`
/// and `what`, and that nothing in HOME changed but the hook's hint memo.
fn refused_by_all(home: &Home, path: &Path, what: &str) {
    let cache = snapshot(&home.cache_dir());
    let limit = Duration::from_secs(20);
    let cmd = |args: &[&str]| {
        let mut c = home.cmd();
        c.args(args).env("AWS_CONFIG_FILE", path);
        c
    };
    for args in [&["tick"][..], &["tick", "--session", "corp"], &["status"], &["status", "--check"], &["prompt"]] {
        let run = run_within(&mut cmd(args), limit);
        assert_eq!(run.code, 2, "{args:?} on {what}: {}", run.stderr);
        assert!(
            run.stderr.contains(&path.display().to_string()) && run.stderr.contains(what),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.stderr);
    }
    // The hook: exit 0 (a prompt has no use for errors), the same words once, then quiet.
    let hook = || run_within(&mut cmd(&["hook", "--print-next"]), limit);
    let first = hook();
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stderr.contains(&path.display().to_string()) && first.stderr.contains(what), "{}", first.stderr);
    assert!(first.stdout.trim().parse::<u32>().is_ok(), "{:?}", first.stdout);
    let again = hook();
    assert_eq!((again.code, again.stderr.as_str()), (0, ""), "the hint again at once");
    assert_eq!(snapshot(&home.cache_dir()), cache, "the cache changed");
}

fn home_with_token() -> Home {
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    home
}

#[cfg(unix)]
#[test]
fn a_fifo_as_the_config_is_refused_without_blocking() {
    let home = home_with_token();
    let fifo = home.path().join("config.fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    refused_by_all(&home, &fifo, "is a FIFO");
}

#[cfg(unix)]
#[test]
fn dev_zero_as_the_config_is_refused_without_reading_it() {
    refused_by_all(&home_with_token(), Path::new("/dev/zero"), "is a character device");
}

#[test]
fn a_directory_as_the_config_is_refused() {
    let home = home_with_token();
    refused_by_all(&home, &home.path().join(".aws"), "is a directory");
}

#[test]
fn a_config_over_16_mib_is_refused_unread() {
    let home = home_with_token();
    let big: PathBuf = home.path().join("huge-config");
    // Sparse: 17 MiB that take no room on disk.
    std::fs::File::create(&big).unwrap().set_len(17 << 20).unwrap();
    refused_by_all(&home, &big, "more than the 16 MiB");
}

#[cfg(unix)]
#[test]
fn dev_null_is_an_empty_config() {
    let home = home_with_token();
    let run = Run::of(home.cmd().args(["status"]).env("AWS_CONFIG_FILE", "/dev/null"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("/dev/null has no sso-session"), "{}", run.stdout);
    let run = Run::of(home.cmd().args(["tick"]).env("AWS_CONFIG_FILE", "/dev/null"));
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
}

/// A config `status` cannot parse because of a section the hot path used to skip (a profile,
/// a `[services]` block): `tick` exited 0 on it and the hook said nothing.
#[test]
fn tick_and_the_hook_refuse_what_status_refuses() {
    let home = home_with_token();
    let config = home.path().join(".aws/config");
    home.config(&format!("{CONFIG}\n[services local]\n= http://127.0.0.1:1\n"));
    let status = Run::of(home.cmd().args(["status"]));
    assert_eq!(status.code, 2, "{}", status.stderr);
    assert!(status.stderr.contains("cannot parse the AWS config"), "{}", status.stderr);
    refused_by_all(&home, &config, "cannot parse the AWS config");
    for args in [&["tick"][..], &["prompt"]] {
        assert_eq!(Run::of(home.cmd().args(args)).stderr, status.stderr, "{args:?} says what status says");
    }
}

/// What botocore (the AWS CLI) cannot read, ssofresh refuses too, naming the line and what is
/// wrong, rather than guessing which of two sections or keys was meant.
#[test]
fn a_config_botocore_cannot_read_is_refused_by_every_command() {
    let cases: [(&[u8], &str); 5] = [
        (b"\xef\xbb\xbf[sso-session corp]\nsso_region = us-east-1\n", "line 1: the file starts with a byte-order mark"),
        (b"[sso-session corp]\nsso_region = us-east-1\n# caf\xe9\n", "line 3: not UTF-8"),
        (
            b"[sso-session corp]\nsso_region = us-east-1\n[profile a]\n[profile a]\n",
            "line 4: the section [profile a] again",
        ),
        (b"[sso-session corp]\nsso_region = us-east-1\nSSO_REGION = eu-west-1\n", "line 3: \"SSO_REGION\" again"),
        (
            b"[sso-session corp]\nsso_region = us-east-1\n[profile a]\ns3 =\n  SECRETMARK\n",
            "line 4: the indented block",
        ),
    ];
    for (text, what) in cases {
        // A token with hours left: were the config read, nothing would be due, nothing sent.
        let home = Home::new();
        home.write_token("corp", &token(3 * 3600));
        let config = home.path().join(".aws/config");
        std::fs::write(&config, text).unwrap();
        refused_by_all(&home, &config, what);
        assert_eq!(std::fs::read(&config).unwrap(), text, "the config is as it was");
    }
}
