//! Ctrl-C during a login: before the token is written the process simply ends (nothing was
//! written, and it says so); while files are being written, the signal waits until they are
//! complete, so an interrupted login never leaves a temp file or half a state behind.

#[cfg(unix)]
mod imp {
    use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

    static CRITICAL: AtomicBool = AtomicBool::new(false);
    static PENDING: AtomicI32 = AtomicI32::new(0);
    const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];
    const MESSAGE: &[u8] = b"\nssofresh: login cancelled; the token cache was not changed\n";

    extern "C" fn on_signal(sig: libc::c_int) {
        if CRITICAL.load(Ordering::SeqCst) {
            PENDING.store(sig, Ordering::SeqCst);
            return;
        }
        // Only async-signal-safe calls here: write, signal, raise. Dying by the signal itself
        // gives the caller the usual "killed by SIGINT" status.
        // SAFETY: write, signal and raise are async-signal-safe; MESSAGE is a static buffer.
        unsafe {
            libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
    }

    pub fn install() {
        for sig in SIGNALS {
            // A signal ignored on entry (`nohup`, a script's background job) stays ignored, as
            // POSIX shells keep it: that Ctrl-C was meant for another process.
            // SAFETY: the handler only touches atomics and async-signal-safe libc calls.
            unsafe {
                if libc::signal(sig, on_signal as *const () as libc::sighandler_t) == libc::SIG_IGN {
                    libc::signal(sig, libc::SIG_IGN);
                }
            }
        }
    }

    pub fn enter() {
        CRITICAL.store(true, Ordering::SeqCst);
    }

    pub fn leave() {
        CRITICAL.store(false, Ordering::SeqCst);
        let sig = PENDING.swap(0, Ordering::SeqCst);
        if sig != 0 {
            // The files are complete; now honour the request to stop.
            // SAFETY: restoring the default action and raising a signal number we received.
            unsafe {
                libc::signal(sig, libc::SIG_DFL);
                libc::raise(sig);
            }
        }
    }
}

#[cfg(windows)]
mod imp {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    use windows_sys::core::BOOL;

    static CRITICAL: AtomicBool = AtomicBool::new(false);
    static PENDING: AtomicBool = AtomicBool::new(false);
    const MESSAGE: &[u8] = b"\nssofresh: login cancelled; the token cache was not changed\n";
    /// What a process ended by Ctrl-C exits with on Windows.
    const STATUS_CONTROL_C_EXIT: u32 = 0xC000_013A;

    // Windows runs console handlers on a thread of their own, so ordinary calls are fine here.
    unsafe extern "system" fn on_ctrl(_event: u32) -> BOOL {
        if CRITICAL.load(Ordering::SeqCst) {
            PENDING.store(true, Ordering::SeqCst);
            return 1; // handled: the files get finished first
        }
        let _ = std::io::stderr().write_all(MESSAGE);
        0 // not handled: the default handler ends the process
    }

    pub fn install() {
        // SAFETY: registers a handler that only touches atomics and stderr.
        unsafe {
            windows_sys::Win32::System::Console::SetConsoleCtrlHandler(Some(on_ctrl), 1);
        }
    }

    pub fn enter() {
        CRITICAL.store(true, Ordering::SeqCst);
    }

    pub fn leave() {
        CRITICAL.store(false, Ordering::SeqCst);
        if PENDING.swap(false, Ordering::SeqCst) {
            std::process::exit(STATUS_CONTROL_C_EXIT as i32);
        }
    }
}

#[cfg(not(any(unix, windows)))]
mod imp {
    pub fn install() {}
    pub fn enter() {}
    pub fn leave() {}
}

/// Routes Ctrl-C, SIGTERM and SIGHUP through ssofresh for the rest of the process.
pub fn install() {
    imp::install();
}

/// While it lives, a stop signal is held back; dropping it delivers any that came.
pub struct Critical(());

pub fn critical() -> Critical {
    imp::enter();
    Critical(())
}

impl Drop for Critical {
    fn drop(&mut self) {
        imp::leave();
    }
}
