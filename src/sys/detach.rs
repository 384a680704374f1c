//! Starting a process that outlives its parent and belongs to no shell: the prompt hook's
//! refresh must not hold up the prompt, print job-control lines or die with the terminal.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

/// Starts `program args` in a new session (no controlling terminal, not in the shell's job
/// table, no SIGHUP when the terminal closes), with stdin/stdout/stderr on /dev/null and `/`
/// as working directory (it must not keep a directory busy). Returns its pid and does not wait:
/// once the caller exits, init adopts it.
pub fn spawn<I, S>(program: &Path, args: I) -> std::io::Result<u32>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut c = Command::new(program);
    c.args(args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).current_dir("/");
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
        unsafe {
            c.pre_exec(|| {
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    #[cfg(windows)]
    let _private = {
        use std::os::windows::process::CommandExt;
        // DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW
        c.creation_flags(0x0000_0008 | 0x0000_0200 | 0x0800_0000);
        std_handles::Private::now()
    };
    let child = c.spawn()?;
    Ok(child.id())
}

/// Windows hands a child every inheritable handle of its parent (std spawns with
/// `bInheritHandles`), whatever its own stdio is. Our stdout and stderr are inheritable when the
/// caller gave us pipes (PowerShell reading the hook's output, a test), so the detached refresh
/// would hold the caller's pipes open, and the caller would wait for the refresh to end before
/// it sees our output end: the prompt would wait for the network. So they are made private
/// while the child is created, and restored after.
#[cfg(windows)]
mod std_handles {
    use windows_sys::Win32::Foundation::{
        GetHandleInformation, SetHandleInformation, HANDLE, HANDLE_FLAG_INHERIT, INVALID_HANDLE_VALUE,
    };
    use windows_sys::Win32::System::Console::{GetStdHandle, STD_ERROR_HANDLE, STD_INPUT_HANDLE, STD_OUTPUT_HANDLE};

    /// The standard handles that were inheritable, private until this is dropped.
    pub struct Private(Vec<HANDLE>);

    impl Private {
        pub fn now() -> Private {
            let mut changed = Vec::new();
            for which in [STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE] {
                // SAFETY: GetStdHandle only reads the process parameters.
                let h = unsafe { GetStdHandle(which) };
                if h.is_null() || h == INVALID_HANDLE_VALUE || changed.contains(&h) {
                    continue;
                }
                let mut flags = 0;
                // SAFETY: h is one of our standard handles; flags is a valid out-parameter.
                let inheritable =
                    unsafe { GetHandleInformation(h, &mut flags) } != 0 && flags & HANDLE_FLAG_INHERIT != 0;
                // SAFETY: changes only whether children inherit h, not h itself.
                if inheritable && unsafe { SetHandleInformation(h, HANDLE_FLAG_INHERIT, 0) } != 0 {
                    changed.push(h);
                }
            }
            Private(changed)
        }
    }

    impl Drop for Private {
        fn drop(&mut self) {
            for &h in &self.0 {
                // SAFETY: as above; h is still open (we never close our standard handles).
                unsafe { SetHandleInformation(h, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT) };
            }
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn child_gets_its_own_session_and_null_stdio() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let script = format!(
            "fds=$(readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2); sid=$(cut -d' ' -f6 /proc/$$/stat); \
             printf '%s\\n%s\\n%s\\n' \"$sid\" \"$fds\" \"$PWD\" > '{0}.tmp'; mv '{0}.tmp' '{0}'",
            out.display()
        );
        let pid = spawn(Path::new("/bin/sh"), ["-c", &script]).unwrap();
        let t = Instant::now();
        while !out.exists() && t.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let text = std::fs::read_to_string(&out).unwrap();
        let sid: u32 = text.lines().next().unwrap().trim().parse().unwrap();
        assert_eq!(sid, pid, "the child leads a new session: {text}");
        assert_eq!(text.matches("/dev/null").count(), 3, "{text}");
        assert_eq!(text.lines().last(), Some("/"));
    }
}
