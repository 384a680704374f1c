//! The prompt hooks `ssofresh init <shell>` prints: thin scripts in `shell/` that call
//! `ssofresh hook` before each prompt, with the options given to `init` baked in.

use crate::text::quote::{self, Dialect};
use std::path::Path;

/// A shell the prompt hook is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    Zsh,
    Bash,
    Fish,
    Powershell,
}

const BASH: &str = include_str!("../../shell/ssofresh.bash");
const ZSH: &str = include_str!("../../shell/ssofresh.zsh");
const FISH: &str = include_str!("../../shell/ssofresh.fish");
const POWERSHELL: &str = include_str!("../../shell/ssofresh.ps1");

/// The script as it is stored, placeholders and all.
pub fn template(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => BASH,
        Shell::Zsh => ZSH,
        Shell::Fish => FISH,
        Shell::Powershell => POWERSHELL,
    }
}

/// The script with the program (`ssofresh`, or a quoted absolute path; for PowerShell a quoted
/// name or path) and the hook's extra arguments filled in: words after the command in the POSIX
/// shells and fish, items of an array (`, 'x'`) in PowerShell.
pub fn render(shell: Shell, program: &str, hook_args: &[String]) -> String {
    let sep = if shell == Shell::Powershell { ", " } else { " " };
    let args: String = hook_args.iter().map(|a| format!("{sep}{}", quote(shell, a))).collect();
    template(shell).replace("__SSOFRESH__", program).replace(" __HOOK_ARGS__", &args)
}

/// How the script names the binary: plain `ssofresh` when that is what PATH finds (so the
/// hook keeps working after an upgrade moves the file), else the absolute path of this one.
pub fn program_word(shell: Shell, exe: &Path, path_var: Option<&std::ffi::OsStr>) -> String {
    let name = exe.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if plain {
        let canon = |p: &Path| std::fs::canonicalize(p).ok();
        let first_on_path = path_var
            .into_iter()
            .flat_map(std::env::split_paths)
            .filter(|d| d.is_absolute())
            .map(|d| d.join(name))
            .find(|p| is_executable(p));
        if let Some(found) = first_on_path {
            if canon(&found).is_some() && canon(&found) == canon(exe) {
                // PowerShell's hook holds it in a string (always quoted there).
                return quote(shell, name);
            }
        }
    }
    quote(shell, &exe.to_string_lossy())
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// Quotes one word for the shell; words of plain characters stay as they are.
pub fn quote(shell: Shell, word: &str) -> String {
    let dialect = match shell {
        Shell::Fish => Dialect::Fish,
        Shell::Bash | Shell::Zsh => Dialect::Posix,
        Shell::Powershell => Dialect::PowerShell,
    };
    quote::word(dialect, word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote(Shell::Bash, "corp"), "corp");
        assert_eq!(quote(Shell::Bash, "o'brien x"), "'o'\\''brien x'");
        assert_eq!(quote(Shell::Fish, "o'b\\x"), "'o\\'b\\\\x'");
        assert_eq!(quote(Shell::Zsh, ""), "''");
        assert_eq!(quote(Shell::Zsh, "$HOME"), "'$HOME'");
    }

    #[test]
    fn powershell_gets_an_array_of_quoted_words() {
        let plain = render(Shell::Powershell, &quote(Shell::Powershell, "ssofresh"), &[]);
        assert!(!plain.contains("__"), "{plain}");
        assert!(plain.contains("$global:_ssofresh_program = 'ssofresh'\n"), "{plain}");
        assert!(
            plain.contains(
                "@('hook', '--shell', 'powershell', '--shell-id', $global:_ssofresh_shell, '--print-next')\n"
            ),
            "{plain}"
        );
        let with = render(
            Shell::Powershell,
            &quote(Shell::Powershell, r"C:\Program Files\it's\ssofresh.exe"),
            &["--session".into(), "o'brien ‘x’ $HOME".into()],
        );
        assert!(with.contains(r"$global:_ssofresh_program = 'C:\Program Files\it''s\ssofresh.exe'"), "{with}");
        assert!(with.contains("'--print-next', '--session', 'o''brien ‘‘x’’ $HOME')\n"), "{with}");
    }

    #[test]
    fn render_fills_every_placeholder() {
        for sh in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let plain = render(sh, "ssofresh", &[]);
            assert!(!plain.contains("__"), "{plain}");
            assert!(plain.contains(&format!("command ssofresh hook --shell {sh:?}").to_lowercase()), "{plain}");
            let with = render(sh, "'/opt/my tools/ssofresh'", &["--session".into(), "a b".into()]);
            assert!(with.contains("command '/opt/my tools/ssofresh' hook"), "{with}");
            assert!(with.contains("--session 'a b'"), "{with}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn names_the_binary_by_path_only_when_path_finds_another() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let exe = bin.join("ssofresh");
        std::fs::write(&exe, b"").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = std::env::join_paths([bin.clone()]).unwrap();
        assert_eq!(program_word(Shell::Bash, &exe, Some(&path)), "ssofresh");
        // Found through a symlinked directory: still the same file.
        std::os::unix::fs::symlink(&bin, dir.path().join("link")).unwrap();
        let path = std::env::join_paths([dir.path().join("link")]).unwrap();
        assert_eq!(program_word(Shell::Bash, &exe, Some(&path)), "ssofresh");
        // Another ssofresh first on PATH, or none at all: the absolute path.
        let other = dir.path().join("other");
        std::fs::create_dir(&other).unwrap();
        std::fs::copy(&exe, other.join("ssofresh")).unwrap();
        let path = std::env::join_paths([other, bin]).unwrap();
        assert_eq!(program_word(Shell::Bash, &exe, Some(&path)), exe.to_string_lossy());
        assert_eq!(program_word(Shell::Bash, &exe, None), exe.to_string_lossy());
    }
}
