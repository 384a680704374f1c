//! Words quoted for the shells ssofresh writes commands and scripts for: POSIX `sh` (also bash
//! and zsh), fish and PowerShell, and for Windows command lines (`credential_process` on
//! Windows, a scheduled task's arguments). Every place that puts a value into a shell line goes
//! through here, so a value with a quote, a `$` or a newline in it means the same thing in every
//! shell line ssofresh prints. Other languages with their own rules (systemd unit lines,
//! botocore's POSIX `credential_process` split, dotenv, XML) keep their own escaping where they
//! are written.

/// A shell's quoting rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// sh, bash, zsh: nothing inside `'…'` is special, so a `'` closes, is escaped, reopens.
    Posix,
    /// fish: inside `'…'` only `\\` and `\'` are escapes.
    Fish,
    /// PowerShell: inside `'…'` a single quote is doubled; PowerShell takes the typographic
    /// ones (`‘ ’ ‚ ‛`) for `'` too, so they are doubled as well.
    PowerShell,
}

/// `s` in single quotes, always: for values (secrets, paths) whose look must not depend on
/// their contents.
pub fn quoted(dialect: Dialect, s: &str) -> String {
    match dialect {
        Dialect::Posix => format!("'{}'", s.replace('\'', r"'\''")),
        Dialect::Fish => format!("'{}'", s.replace('\\', r"\\").replace('\'', r"\'")),
        Dialect::PowerShell => {
            // What PowerShell's own CodeGeneration.EscapeSingleQuotedStringContent does.
            let mut out = String::with_capacity(s.len() + 2);
            out.push('\'');
            for c in s.chars() {
                out.push(c);
                if POWERSHELL_QUOTES.contains(&c) {
                    out.push(c);
                }
            }
            out.push('\'');
            out
        }
    }
}

/// The characters that open and close a PowerShell single-quoted string.
const POWERSHELL_QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];

/// `s` as one word: bare when it is made of characters no shell treats specially anywhere in
/// a word, else `quoted`. `~` and `%` are not among them: `~` expands at the start of a zsh
/// word, `%self` in fish; `=` is, after the first character (`--session=corp`: only a leading
/// `=` expands, in zsh). PowerShell words are always quoted (`@`, `,` and `-` mean something
/// there).
pub fn word(dialect: Dialect, s: &str) -> String {
    let plain =
        !s.is_empty() && !s.starts_with('=') && s.chars().all(|c| c.is_ascii_alphanumeric() || "@+:,./_=-".contains(c));
    if plain && dialect != Dialect::PowerShell {
        s.to_string()
    } else {
        quoted(dialect, s)
    }
}

/// One argument of a Windows command line, as the C runtime (and `CommandLineToArgvW`, and
/// botocore's Windows splitter) reads it back: bare when plain, else in `"…"`, where backslashes
/// stay single except before a `"` (and before the closing one), which they escape.
pub fn windows_arg(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_./:\\@+=,-".contains(&b)) {
        return s.to_string();
    }
    let mut out = String::from('"');
    let mut backslashes = 0;
    for c in s.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.extend(std::iter::repeat_n('\\', backslashes * 2 + 1));
                out.push('"');
                backslashes = 0;
            }
            _ => {
                out.extend(std::iter::repeat_n('\\', backslashes));
                out.push(c);
                backslashes = 0;
            }
        }
    }
    out.extend(std::iter::repeat_n('\\', backslashes * 2));
    out.push('"');
    out
}

/// A path as one word (`word`); a path that is not UTF-8 is shown lossily, as in messages.
pub fn path(dialect: Dialect, p: &std::path::Path) -> String {
    word(dialect, &p.to_string_lossy())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(not(windows))]
    use proptest::prelude::*;

    #[test]
    fn forms() {
        // (dialect, input, as a word, always quoted)
        let cases = [
            (Dialect::Posix, "corp", "corp", "'corp'"),
            (Dialect::Posix, "/opt/bin/ssofresh", "/opt/bin/ssofresh", "'/opt/bin/ssofresh'"),
            (Dialect::Posix, "o'brien x", r"'o'\''brien x'", r"'o'\''brien x'"),
            (Dialect::Posix, "", "''", "''"),
            (Dialect::Posix, "$HOME", "'$HOME'", "'$HOME'"),
            (Dialect::Posix, "~/x", "'~/x'", "'~/x'"),
            (Dialect::Posix, "=ls", "'=ls'", "'=ls'"),
            (Dialect::Posix, "--session=corp", "--session=corp", "'--session=corp'"),
            (Dialect::Fish, "o'b\\x", r"'o\'b\\x'", r"'o\'b\\x'"),
            (Dialect::Fish, "%self", "'%self'", "'%self'"),
            (Dialect::PowerShell, "plain", "'plain'", "'plain'"),
            (Dialect::PowerShell, "it's", "'it''s'", "'it''s'"),
            (Dialect::PowerShell, "it\u{2019}s", "'it\u{2019}\u{2019}s'", "'it\u{2019}\u{2019}s'"),
            (
                Dialect::PowerShell,
                "\u{2018}a\u{201A}b\u{201B}",
                "'\u{2018}\u{2018}a\u{201A}\u{201A}b\u{201B}\u{201B}'",
                "'\u{2018}\u{2018}a\u{201A}\u{201A}b\u{201B}\u{201B}'",
            ),
            (Dialect::PowerShell, "it’s ‘x‚‛", "'it’’s ‘‘x‚‚‛‛'", "'it’’s ‘‘x‚‚‛‛'"),
        ];
        for (dialect, input, as_word, always) in cases {
            assert_eq!(word(dialect, input), as_word, "{dialect:?} {input}");
            assert_eq!(quoted(dialect, input), always, "{dialect:?} {input}");
        }
        assert_eq!(path(Dialect::Posix, std::path::Path::new("/a b")), "'/a b'");
    }

    #[test]
    fn windows_arguments() {
        assert_eq!(windows_arg(r"C:\Users\me\.cargo\bin\ssofresh.exe"), r"C:\Users\me\.cargo\bin\ssofresh.exe");
        assert_eq!(windows_arg(r"C:\Program Files\ssofresh.exe"), r#""C:\Program Files\ssofresh.exe""#);
        assert_eq!(windows_arg(r#"a\"b"#), r#""a\\\"b""#);
        assert_eq!(windows_arg(r"dir with space\"), r#""dir with space\\""#);
        assert_eq!(windows_arg("100%"), r#""100%""#, "cmd expands %VAR%");
        assert_eq!(windows_arg(""), r#""""#);
    }

    /// Characters that mean something to one shell or another, and some that mean nothing.
    #[cfg(not(windows))]
    fn text() -> impl Strategy<Value = String> {
        let tricky: Vec<char> = "'\"\\$`!*?[]{}()<>|&;#~=%@,:+-./_ \t\nabcXYZ019é€🙂".chars().collect();
        proptest::collection::vec(proptest::sample::select(tricky), 0..12).prop_map(|cs| cs.into_iter().collect())
    }

    /// What `shell … -c "printf '%s\0' WORD…"` prints back, split at the NULs. The shells'
    /// start-up files are skipped (`-f`, `--no-config`): the user's aliases are not the subject.
    #[cfg(not(windows))]
    fn echo(shell: &[&str], words: &[String]) -> Vec<String> {
        let script = format!("printf '%s\\0' {}", words.join(" "));
        let out = std::process::Command::new(shell[0]).args(&shell[1..]).arg("-c").arg(&script).output();
        let out = out.unwrap_or_else(|e| panic!("{}: {e}", shell[0]));
        assert!(out.status.success(), "{shell:?}: {script}: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).expect("UTF-8 in, UTF-8 out");
        let mut parts: Vec<String> = text.split('\0').map(str::to_string).collect();
        assert_eq!(parts.pop().as_deref(), Some(""), "every word ends in a NUL");
        parts
    }

    // Not on Windows: they run sh, bash, zsh and fish.
    #[cfg(not(windows))]
    proptest! {
        // One shell per case with many words in it: fish takes tens of milliseconds to start.
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn posix_words_read_back(words in proptest::collection::vec(text(), 1..40)) {
            for shell in [&["sh"][..], &["bash", "--norc"], &["zsh", "-f"]] {
                for form in [word, quoted] {
                    let quoted: Vec<String> = words.iter().map(|w| form(Dialect::Posix, w)).collect();
                    prop_assert_eq!(&echo(shell, &quoted), &words, "{:?}", shell);
                }
            }
        }

        #[test]
        fn fish_words_read_back(words in proptest::collection::vec(text(), 1..40)) {
            for form in [word, quoted] {
                let quoted: Vec<String> = words.iter().map(|w| form(Dialect::Fish, w)).collect();
                prop_assert_eq!(&echo(&["fish", "--no-config"], &quoted), &words);
            }
        }
    }
}
