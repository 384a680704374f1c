//! Standard output and standard error that never panic. `println!` panics when its write fails,
//! and a release build aborts on a panic (exit 134, and a core dump where they are on), so
//! `ssofresh tick | head -c0` used to crash. Every line ssofresh prints goes through here
//! (`outln!`, `out!`, `errln!`; clippy's `disallowed_macros` refuses the std ones):
//!
//! - stdout: a reader that has gone away (EPIPE, `| head`) ends the command at once, quietly,
//!   with exit 0, like a reader that stopped early gets from `man` or `completions`: what was
//!   done before stays done, nothing after it starts. Any other failure (a full disk behind
//!   `> file`) is said on stderr and ends the command with exit 1.
//! - stderr: a failed write is dropped. There is nowhere left to say it, and the command's work
//!   and exit code must not depend on whether someone reads its messages.

use crate::error::{EXIT_OK, EXIT_TRANSIENT};
use std::fmt;
use std::io::{self, Write};

/// Writes to stdout and flushes, so a failure shows here and not in an exit-time flush.
pub fn write_out(args: fmt::Arguments<'_>) {
    let mut o = io::stdout().lock();
    if let Err(e) = o.write_fmt(args).and_then(|()| o.flush()) {
        drop(o);
        stdout_failed(&e);
    }
}

/// Bytes to stdout, as `write_out`.
pub fn out_bytes(bytes: &[u8]) {
    let mut o = io::stdout().lock();
    if let Err(e) = o.write_all(bytes).and_then(|()| o.flush()) {
        drop(o);
        stdout_failed(&e);
    }
}

#[cold]
fn stdout_failed(e: &io::Error) -> ! {
    if e.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(i32::from(EXIT_OK));
    }
    write_err(format_args!("ssofresh: cannot write to standard output: {e}\n"));
    std::process::exit(i32::from(EXIT_TRANSIENT));
}

/// Writes to stderr; a write that fails is dropped.
pub fn write_err(args: fmt::Arguments<'_>) {
    let mut e = io::stderr().lock();
    let _ = e.write_fmt(args).and_then(|()| e.flush());
}

/// `println!` that ends the command quietly when the reader has gone (see the module).
macro_rules! outln {
    () => {
        $crate::sys::stdio::write_out(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::sys::stdio::write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` that ends the command quietly when the reader has gone (see the module).
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::sys::stdio::write_out(format_args!($($arg)*))
    };
}

/// `eprint!` that never panics (see the module).
macro_rules! err {
    ($($arg:tt)*) => {
        $crate::sys::stdio::write_err(format_args!($($arg)*))
    };
}

/// `eprintln!` that never panics (see the module).
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::sys::stdio::write_err(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {err, errln, out, outln};
