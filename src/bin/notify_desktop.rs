//! `ssofresh-notify-desktop [SOUND]`: shows one notification on the desktop — the event as
//! JSON on stdin, the sound (as SSOFRESH_NOTIFY_SOUND spells it) the argument — for ssofresh's
//! desktop backend. A binary of its own so that the D-Bus stack stays out of every ssofresh
//! tick (see `notify::desktop`).
//! Exit 0 shown, 1 no notification service (the reason on stderr), 2 bad input.

use ssofresh::notify::{desktop, Event, Sound};
use std::io::{Read, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut input = String::new();
    let event: Event = match std::io::stdin()
        .take(1 << 20)
        .read_to_string(&mut input)
        .map_err(|e| e.to_string())
        .and_then(|_| serde_json::from_str(&input).map_err(|e| e.to_string()))
    {
        Ok(e) => e,
        Err(e) => {
            say(&format!("{}: expected one ssofresh event as JSON on stdin: {e}", desktop::HELPER));
            return ExitCode::from(2);
        }
    };
    let sound = Sound::parse(&std::env::args_os().nth(1).map(|s| s.to_string_lossy().into_owned()).unwrap_or_default());
    match desktop::show_here(&event, &sound) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say(&e);
            ExitCode::from(1)
        }
    }
}

/// One line on stderr, which ssofresh reads back. A write that fails is dropped: `eprintln!`
/// would panic (and abort) when ssofresh has gone away.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}
