//! `ssofresh man [COMMAND…]` prints the man page (roff) for `man -l -` or a man1 directory.

use crate::cli::manpage;
use crate::cli::ManArgs;

pub fn run(args: &ManArgs) -> u8 {
    let page = if args.command.is_empty() {
        manpage::whole()
    } else {
        match manpage::command(&args.command) {
            Ok(page) => page,
            Err(e) => return super::common::fail(&e),
        }
    };
    super::common::print_generated(&page, "the man page")
}
