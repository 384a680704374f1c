//! The command backend: the user's own command (ntfy, terminal-notifier, a webhook, a WSL
//! toast) gets each event as one JSON object on stdin.

use super::event::Event;
use crate::text::duration::{self, Form};
use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// What becomes of a notifier's output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Output {
    /// The tick's own output stays its own.
    Discard,
    /// `notify --test`: the user sees what their command says, to debug it.
    Show,
    /// Our own desktop notifier: its stderr explains a failure.
    Explain,
}

/// Runs `command` through `sh -c` (see [`run_process`]).
pub fn run(command: &str, event: &Event, timeout: Duration, show_output: bool) -> Result<(), String> {
    let mut c = shell(command);
    // For commands that need no JSON parser: `terminal-notifier -message "$SSOFRESH_MESSAGE"`.
    c.env("SSOFRESH_EVENT", event.kind.as_str())
        .env("SSOFRESH_SESSION", &event.session)
        .env("SSOFRESH_TITLE", &event.title)
        .env("SSOFRESH_MESSAGE", &event.message);
    let output = if show_output { Output::Show } else { Output::Discard };
    run_process(c, "the notify command", event, timeout, output)
}

/// Runs a notifier with the event as one JSON line on stdin and waits at most `timeout`; one
/// still running then is killed with everything it started.
pub fn run_process(mut c: Command, what: &str, event: &Event, timeout: Duration, output: Output) -> Result<(), String> {
    c.stdin(Stdio::piped());
    match output {
        Output::Discard => c.stdout(Stdio::null()).stderr(Stdio::null()),
        Output::Show => c.stdout(Stdio::inherit()).stderr(Stdio::inherit()),
        Output::Explain => c.stdout(Stdio::null()).stderr(Stdio::piped()),
    };
    #[cfg(unix)]
    {
        // Its own process group, so a timeout kills what the shell started too.
        use std::os::unix::process::CommandExt;
        c.process_group(0);
    }
    let mut child = c.spawn().map_err(|e| format!("cannot start {what}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A few hundred bytes fit the pipe buffer, so this never blocks, even when the command
        // does not read its input; one that exits first only makes the write fail.
        let _ = stdin.write_all(event.to_json_line().as_bytes());
    }
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                return check(status, what).map_err(|e| match explanation(&mut child) {
                    Some(why) => format!("{e}: {why}"),
                    None => e,
                })
            }
            Ok(None) => {}
            Err(e) => {
                kill(&mut child);
                return Err(format!("cannot wait for {what}: {e}"));
            }
        }
        let now = Instant::now();
        if now >= deadline {
            kill(&mut child);
            return Err(format!(
                "{what} was still running after {}; killed it",
                duration::show(timeout, Form::Setting)
            ));
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

#[cfg(not(windows))]
fn shell(command: &str) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c").arg(command);
    c
}

/// `cmd /d /s /c "COMMAND"`, as Node's `exec` runs a command: with /s cmd drops the outer quotes
/// and runs the rest as typed. Passed raw: std's quoting (`\"` inside) means nothing to cmd, so
/// a command with a quoted path in it would arrive broken. /d skips the AutoRun commands.
#[cfg(windows)]
fn shell(command: &str) -> Command {
    use std::os::windows::process::CommandExt;
    let mut c = Command::new("cmd");
    c.raw_arg(format!("/d /s /c \"{command}\""));
    c
}

/// The last line a finished notifier wrote to stderr, when it was captured.
fn explanation(child: &mut Child) -> Option<String> {
    let mut text = String::new();
    // The process has exited: the read ends at once (our notifier starts nothing else).
    child.stderr.take()?.take(4096).read_to_string(&mut text).ok()?;
    text.lines().rev().map(str::trim).find(|l| !l.is_empty()).map(|l| crate::sys::secret::one_line(l, 300))
}

fn check(status: ExitStatus, what: &str) -> Result<(), String> {
    if status.success() {
        return Ok(());
    }
    #[cfg(unix)]
    if let Some(sig) = std::os::unix::process::ExitStatusExt::signal(&status) {
        return Err(format!("{what} was killed by signal {sig}"));
    }
    match status.code() {
        Some(127) => Err(format!("{what} exited with status 127 (command not found?)")),
        Some(code) => Err(format!("{what} exited with status {code}")),
        None => Err(format!("{what} failed")),
    }
}

fn kill(child: &mut Child) {
    #[cfg(unix)]
    // SAFETY: a plain syscall; the group is the child's own (process_group(0) above), and the
    // child is not reaped yet, so its id cannot have been reused.
    unsafe {
        libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::notify::Kind;

    fn sample() -> Event {
        Event::sample(Kind::Test, "corp", "command", chrono::Utc::now())
    }

    #[test]
    fn passes_the_event_on_stdin_and_in_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let cmd = format!(
            r#"cat > '{0}.json'; printf '%s|%s' "$SSOFRESH_EVENT" "$SSOFRESH_SESSION" > '{0}.env'"#,
            out.display()
        );
        run(&cmd, &sample(), Duration::from_secs(5), false).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(out.with_extension("json")).unwrap()).unwrap();
        assert_eq!((v["event"].as_str(), v["session"].as_str()), (Some("test"), Some("corp")));
        assert_eq!(std::fs::read_to_string(out.with_extension("env")).unwrap(), "test|corp");
    }

    #[test]
    fn failures_are_errors_not_panics() {
        let e = run("exit 7", &sample(), Duration::from_secs(5), false).unwrap_err();
        assert!(e.contains("status 7"), "{e}");
        let e = run("no-such-command-ssofresh", &sample(), Duration::from_secs(5), false).unwrap_err();
        assert!(e.contains("127"), "{e}");
        // Exits without reading its input.
        assert!(run("true", &sample(), Duration::from_secs(5), false).is_ok());
    }

    #[test]
    fn a_hanging_command_and_its_children_are_killed() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        // The shell stays (two commands), and its child sleeps: both must go.
        let cmd = format!("sleep 30 & echo $! > '{}'; wait", pidfile.display());
        let t = Instant::now();
        let e = run(&cmd, &sample(), Duration::from_millis(300), false).unwrap_err();
        assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
        assert!(e.contains("still running"), "{e}");
        let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
        // The sleeper was reparented; give the kernel a moment to finish it off.
        let gone = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            // SAFETY: signal 0 only checks existence.
            let exists = unsafe { libc::kill(pid, 0) == 0 };
            let zombie =
                std::fs::read_to_string(format!("/proc/{pid}/stat")).map(|s| s.contains(") Z ")).unwrap_or(false);
            !exists || zombie
        });
        assert!(gone, "the command's child {pid} survived");
    }
}
