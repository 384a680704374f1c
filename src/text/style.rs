//! Terminal output: colour and symbols on a terminal, plain ASCII when piped, with `NO_COLOR`
//! or `TERM=dumb`, and helpers to keep lines inside 80 columns. What the terminal allows is
//! decided by the resolver, which reads the environment; this module only applies it.

use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColorChoice {
    /// Colour and symbols on a terminal, unless NO_COLOR is set or TERM=dumb.
    Auto,
    /// Colour and symbols even when piped.
    Always,
    /// Plain ASCII text.
    Never,
}

/// The width every human output is laid out for.
pub(crate) const WIDTH: usize = 80;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Style {
    /// ANSI colours and Unicode symbols; otherwise plain ASCII words.
    pub rich: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tone {
    Good,
    Warn,
    Bad,
    Dim,
    Bold,
}

impl Style {
    /// `auto`: whether `ColorChoice::Auto` means colour here (stdout is a terminal, NO_COLOR is
    /// unset and TERM is not `dumb`).
    pub(crate) fn decide(choice: ColorChoice, auto: bool) -> Style {
        let rich = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => auto,
        };
        Style { rich }
    }

    pub(crate) fn paint(&self, tone: Tone, text: &str) -> String {
        if !self.rich || text.is_empty() {
            return text.to_string();
        }
        let code = match tone {
            Tone::Good => "32",
            Tone::Warn => "33",
            Tone::Bad => "31",
            Tone::Dim => "2",
            Tone::Bold => "1",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    /// A symbol for a line's tone on a terminal; plain output relies on the words instead.
    pub(crate) fn symbol(&self, tone: Tone) -> &'static str {
        if !self.rich {
            return "";
        }
        match tone {
            Tone::Good => "✓",
            Tone::Warn => "!",
            Tone::Bad => "✗",
            Tone::Dim | Tone::Bold => "·",
        }
    }

    pub(crate) fn ellipsis(&self) -> &'static str {
        if self.rich {
            "…"
        } else {
            "..."
        }
    }

    /// Cuts `text` to `max` columns (counting characters), marking the cut.
    pub(crate) fn fit(&self, text: &str, max: usize) -> String {
        let n = text.chars().count();
        if n <= max {
            return text.to_string();
        }
        let e = self.ellipsis();
        let keep = max.saturating_sub(e.chars().count());
        text.chars().take(keep).collect::<String>() + e
    }
}

/// A local time in a sentence: `14:05 CET` today, `2026-01-02 14:05 CET` on another day (the
/// zone as `timefmt::local` names it).
pub fn clock(t: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> String {
    let local = crate::text::timefmt::local(t);
    format!("{} {}", clock_column(t, now), local.zone)
}

/// A local time in a column of times (the activity lines): `14:05`, or `2026-01-02 14:05`,
/// without the zone, which the sentences around it give.
pub fn clock_column(t: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> String {
    let (t, today) = (crate::text::timefmt::local(t), crate::text::timefmt::local(now));
    if t.date == today.date {
        t.time
    } else {
        format!("{} {}", t.date, t.time)
    }
}

/// `5m ago`, `in 5m`.
pub fn relative(t: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> String {
    if t <= now {
        format!("{} ago", crate::text::duration::human(now - t))
    } else {
        format!("in {}", crate::text::duration::human(t - now))
    }
}

/// Word-wraps `text` to `width` columns (a word longer than that gets a line of its own).
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Paths under `home` as `~/…`: shorter, and the same on every machine. For prose only: a
/// command to copy keeps full paths.
pub(crate) fn home_relative(text: &str, home: &Path) -> String {
    if home.as_os_str().len() > 1 {
        // `~\` on Windows, where PowerShell reads it as HOME too.
        let sep = std::path::MAIN_SEPARATOR;
        text.replace(&format!("{}{sep}", home.display()), &format!("~{sep}"))
    } else {
        text.to_string()
    }
}

/// A path under `home` as `~/…` (`~\…` on Windows), any other as it is.
pub(crate) fn home_path(p: &Path, home: &Path) -> String {
    match p.strip_prefix(home) {
        Ok(rest) if !home.as_os_str().is_empty() => format!("~{}{}", std::path::MAIN_SEPARATOR, rest.display()),
        _ => p.display().to_string(),
    }
}

/// Whether the terminal takes UTF-8, as the C library decides it (the first of LC_ALL,
/// LC_CTYPE and LANG that is set), and is no `TERM=dumb`; `var` looks a variable up.
pub(crate) fn locale_is_utf8(var: impl Fn(&str) -> Option<String>) -> bool {
    if var("TERM").as_deref() == Some("dumb") {
        return false;
    }
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .filter_map(|k| var(k).filter(|v| !v.is_empty()))
        .next()
        .map(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("utf-8") || v.contains("utf8")
        })
        .unwrap_or(false)
}

/// Columns a string takes, ignoring ANSI colour sequences (every character counts one).
pub fn columns(s: &str) -> usize {
    let mut n = 0;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_has_no_escapes_and_rich_does() {
        let plain = Style { rich: false };
        assert_eq!(plain.paint(Tone::Bad, "x"), "x");
        assert_eq!(plain.symbol(Tone::Good), "");
        let rich = Style { rich: true };
        assert_eq!(rich.paint(Tone::Bad, "x"), "\x1b[31mx\x1b[0m");
        assert_eq!(columns(&rich.paint(Tone::Good, "valid")), 5);
    }

    #[test]
    fn fit_marks_the_cut() {
        let s = Style { rich: false };
        assert_eq!(s.fit("abcdef", 6), "abcdef");
        assert_eq!(s.fit("abcdefg", 6), "abc...");
        assert_eq!(Style { rich: true }.fit("abcdefg", 6), "abcde…");
    }

    #[test]
    fn wraps_on_words() {
        assert_eq!(wrap("aa bb cc dd", 5), ["aa bb", "cc dd"]);
        assert_eq!(wrap("", 5), [""]);
        assert_eq!(wrap("abcdefgh ij", 5), ["abcdefgh", "ij"]);
    }

    #[test]
    fn utf8_locale_detection() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        assert!(locale_is_utf8(env(&[("LANG", "en_US.UTF-8")])));
        assert!(locale_is_utf8(env(&[("LC_CTYPE", "C.utf8"), ("LANG", "C")])));
        assert!(!locale_is_utf8(env(&[("LC_ALL", "C"), ("LANG", "en_US.UTF-8")])));
        assert!(!locale_is_utf8(env(&[("LC_ALL", ""), ("LANG", "POSIX")])));
        assert!(!locale_is_utf8(env(&[])));
        assert!(!locale_is_utf8(env(&[("LANG", "en_US.UTF-8"), ("TERM", "dumb")])));
    }

    #[test]
    fn paths_under_home_start_with_a_tilde_and_the_platform_separator() {
        let home = std::env::temp_dir().join("h");
        let cache = home.join(".aws").join("sso").join("cache");
        let sep = std::path::MAIN_SEPARATOR;
        let short = format!("~{sep}.aws{sep}sso{sep}cache");
        assert_eq!(home_path(&cache, &home), short);
        assert_eq!(
            home_relative(&format!("cannot read {}: denied", cache.display()), &home),
            format!("cannot read {short}: denied")
        );
        let elsewhere = std::env::temp_dir().join("hx").join("f");
        assert_eq!(home_path(&elsewhere, &home), elsewhere.display().to_string());
        assert_eq!(
            home_relative(&elsewhere.display().to_string(), &home),
            elsewhere.display().to_string(),
            "not a prefix of a longer name"
        );
    }

    #[test]
    fn never_and_always_win() {
        assert!(!Style::decide(ColorChoice::Never, true).rich);
        assert!(Style::decide(ColorChoice::Always, false).rich);
        assert!(!Style::decide(ColorChoice::Auto, false).rich);
    }
}
