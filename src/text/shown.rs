//! Names from a config file (sessions, profiles, start URLs) as they are shown to people. A
//! name may hold anything a section header can: a terminal acts on control characters (an
//! escape sequence could clear the screen or retitle the window, a carriage return hide what
//! came before) and the bidirectional-text controls reorder what follows. Every place that
//! prints such a name — status, tick, the prompt hook's hints, the prompt segment, doctor,
//! log, notifications — goes through `shown`, which writes them as escapes.

use std::borrow::Cow;
use std::fmt::Write;

/// `name` with control characters and bidirectional-text controls as escapes (`\n`, `\t`,
/// `\x1b`, `\u{202e}`); borrowed, at no cost, when there are none.
pub fn shown(name: &str) -> Cow<'_, str> {
    if !name.chars().any(needs_escape) {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len() + 8);
    for c in name.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) && (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// C0 and C1 controls, DEL, and the characters that change the direction of text (LRM, RLM,
/// the embeddings, overrides and isolates).
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_escapes_and_the_rest_stays() {
        assert!(matches!(shown("corp x,y é"), Cow::Borrowed("corp x,y é")));
        assert_eq!(shown("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(shown("a\nb\rc\td\x7f"), "a\\nb\\rc\\td\\x7f");
        assert_eq!(shown("x\u{85}y\u{9b}z"), "x\\u{85}y\\u{9b}z");
        assert_eq!(shown("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(shown("\u{2066}i\u{2069}"), "\\u{2066}i\\u{2069}");
    }
}
