//! Big configs: the work per command grows with the size of the config, not with its square.
//! Judged by the CPU time the child used (not wall time: other builds share the machine) for
//! two sizes four times apart: linear work takes about 4× as long, a lookup per session that
//! scans every session up to 16×.

use crate::common::*;
use std::process::Stdio;
use std::time::Duration;

/// `n` sso-sessions, `profiles` profiles that use them (spread over them in turn), and
/// `profiles / 10` legacy profiles sharing a tenth as many start URLs; the first session has a
/// token valid for an hour.
fn big_home(n: usize, profiles: usize) -> Home {
    let home = Home::new();
    let mut text = String::with_capacity(n * 100 + profiles * 100);
    for i in 0..n {
        text +=
            &format!("[sso-session s{i}]\nsso_start_url = https://s{i}.awsapps.com/start\nsso_region = us-east-1\n\n");
    }
    for i in 0..profiles {
        text += &format!("[profile p{i}]\nsso_session = s{}\nsso_account_id = {i:012}\nsso_role_name = Dev\n\n", i % n);
    }
    for i in 0..profiles / 10 {
        text += &format!(
            "[profile old{i}]\nsso_start_url = https://old{}.awsapps.com/start\nsso_region = us-east-1\n\n",
            i % (profiles / 100).max(1)
        );
    }
    assert!(text.len() < 16 << 20, "over the config size limit: {} bytes", text.len());
    home.config(&text);
    home.write_token("s0", &token(3600));
    home
}

/// Runs `cmd` to the end; its exit code and the CPU time (user + system) it used.
// wait4 below reaps the child (std's wait cannot report its CPU time).
#[allow(clippy::zombie_processes)]
fn cpu(cmd: &mut std::process::Command) -> (i32, Duration) {
    let child = cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data, written by wait4 for this child, which std has not reaped.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::wait4(pid, &mut status, 0, &mut usage), pid);
        usage
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    (code, time(usage.ru_utime) + time(usage.ru_stime))
}

#[test]
fn work_grows_linearly_with_the_number_of_sessions() {
    let (small, big) = (big_home(5_000, 5_000), big_home(20_000, 20_000));
    let commands: [&[&str]; 5] =
        [&["hook", "--print-next"], &["tick"], &["prompt"], &["status", "--activity", "3"], &["doctor"]];
    for args in commands {
        let run = |home: &Home| cpu(home.cmd().args(args).env("SSOFRESH_NOTIFY", "none"));
        // The best of three each, so that a moment of load on a shared machine does not count.
        let best = |home: &Home| {
            let runs: Vec<(i32, Duration)> = (0..3).map(|_| run(home)).collect();
            let code = runs[0].0;
            (code, runs.into_iter().map(|r| r.1).min().unwrap())
        };
        let (code_small, t_small) = best(&small);
        let (code_big, t_big) = best(&big);
        assert_eq!(code_small, code_big, "{args:?}");
        if args[0] != "doctor" {
            assert_eq!(code_big, 0, "{args:?}");
        }
        let ratio = t_big.as_secs_f64() / t_small.as_secs_f64().max(0.001);
        eprintln!("{args:?}: 5k sessions {t_small:?}, 20k {t_big:?}: ×{ratio:.1}");
        // Linear is about 4 (a sorted index adds a little); the quadratic hook was 7.4 at these
        // sizes, status 12, and worse the bigger the config.
        assert!(ratio < 6.0, "{args:?}: 4× the sessions took {ratio:.1}× the CPU ({t_small:?} → {t_big:?})");
    }
}

/// The case: 100k sessions through the hook, tick and status, in well under the time a
/// quadratic lookup took (over 30 s for the hook alone, in a release build).
#[test]
fn a_hundred_thousand_sessions() {
    let home = big_home(100_000, 10_000);
    for args in [&["hook", "--print-next"][..], &["tick"], &["status"]] {
        let (code, t) = cpu(home.cmd().args(args));
        eprintln!("{args:?}: 100k sessions in {t:?} of CPU");
        assert_eq!(code, 0, "{args:?}");
        // A debug build, on a shared machine: generous; the quadratic lookup took minutes here.
        assert!(t < Duration::from_secs(20), "{args:?}: {t:?}");
    }
}
