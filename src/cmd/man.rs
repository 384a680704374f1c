//! `ssofresh man [COMMAND…]` prints the man page (roff) for `man -l -` or a man1 directory.

use crate::cli::manpage;
use crate::cli::ManArgs;
use crate::error::{EXIT_OK, EXIT_TRANSIENT};
use std::io::Write;

pub fn run(args: &ManArgs) -> u8 {
    let page = if args.command.is_empty() {
        manpage::whole()
    } else {
        match manpage::command(&args.command) {
            Ok(page) => page,
            Err(e) => return super::fail(&e),
        }
    };
    print(&page, "the man page")
}

/// Writes generated text to stdout in one go. A reader that stops early (`| head`) is not an
/// error: the user has what they wanted.
pub fn print(bytes: &[u8], what: &str) -> u8 {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => EXIT_OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            eprintln!("ssofresh: cannot write {what} to stdout: {e}");
            EXIT_TRANSIENT
        }
    }
}
