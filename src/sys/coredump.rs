//! No core dumps. Nearly every command reads the token cache, so the process holds access and
//! refresh tokens and the client secret from its first file read on; a crash that dumped core
//! would leave them in a file anyone with the user's rights (or root's crash collector) can read.
//! So each invocation turns dumps off before it reads anything:
//!
//! - `RLIMIT_CORE` 0 (the soft limit, so the processes it starts — the browser, a notify
//!   command — may raise it again for themselves);
//! - on Linux, `PR_SET_DUMPABLE` 0 as well, which also stops a core_pattern pipe (systemd-
//!   coredump, apport) that ignores the limit, and keeps other processes of the user from
//!   attaching a debugger or reading `/proc/<pid>/mem` and `environ`. Its cost, checked as a
//!   normal user: the files under `/proc/<pid>` then belong to root, so the process can no
//!   longer open its own `environ` (std reads the environment from memory, not from there);
//!   its own `exe`, `fd`, `maps`, `status`, `limits`, `cgroup` and `mountinfo` stay readable.
//!   The only other `/proc` reads are of its children's `stat` (`notify::command`), and a
//!   child starts dumpable again at `exec`.
//!
//! Both calls are one system call each: nothing the no-op tick would notice.

/// Turns core dumps off for this process. Failures leave things as they were: there is
/// nothing better to do, and no reason to refuse to work.
pub fn disable() {
    // On Linux through `syscall`, which the binary imports anyway: each further libc function
    // imported is one more symbol the dynamic linker resolves at every start (full RELRO), a
    // cost the no-op tick would pay for nothing.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let mut limit = libc::rlimit64 { rlim_cur: 0, rlim_max: 0 };
        let none: *const libc::rlimit64 = std::ptr::null();
        // SAFETY: prlimit64 on this process reads and writes one rlimit64 of ours (the
        // kernel's layout: two 64-bit limits, on every architecture); prctl takes plain integers.
        unsafe {
            let got = libc::syscall(libc::SYS_prlimit64, 0, libc::RLIMIT_CORE, none, &mut limit as *mut libc::rlimit64);
            if got == 0 {
                limit.rlim_cur = 0;
                let empty: *mut libc::rlimit64 = std::ptr::null_mut();
                libc::syscall(libc::SYS_prlimit64, 0, libc::RLIMIT_CORE, &limit as *const libc::rlimit64, empty);
            }
            libc::syscall(
                libc::SYS_prctl,
                libc::PR_SET_DUMPABLE,
                0 as libc::c_ulong,
                0 as libc::c_ulong,
                0 as libc::c_ulong,
                0 as libc::c_ulong,
            );
        }
    }
    #[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
    {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit writes one rlimit into a valid struct of ours; setrlimit reads one.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_CORE, &mut limit) == 0 {
                limit.rlim_cur = 0;
                libc::setrlimit(libc::RLIMIT_CORE, &limit);
            }
        }
    }
}
