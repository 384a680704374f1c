//! Puts the git commit into `ssofresh --version`: from the git checkout the crate is built in,
//! or, in a crate tarball (crates.io, `cargo install`), from the `.cargo_vcs_info.json` that
//! `cargo package` wrote.

// Cargo reads a build script's stdout; `println!` is how it is spoken to (clippy.toml bans it
// in ssofresh itself).
#![allow(clippy::disallowed_macros)]

use std::path::Path;
use std::process::Command;

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let dir = Path::new(&dir);
    // Only this crate's own checkout: a crate tarball unpacked inside another repository (a
    // dotfiles home, a vendoring monorepo, CI's work tree) must not take that one's commit.
    let checkout = dir.join(".git").exists();
    let git = |args: &[&str]| {
        if !checkout {
            return None;
        }
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let version = env!("CARGO_PKG_VERSION");
    let commit = match git(&["rev-parse", "--short=10", "HEAD"]) {
        Some(commit) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
            Some((commit, dirty))
        }
        None if !checkout => packaged_commit(&dir.join(".cargo_vcs_info.json")),
        None => None,
    };
    let long = match commit {
        Some((commit, dirty)) => format!("{version} ({commit}{})", if dirty { ", modified" } else { "" }),
        None => version.to_string(),
    };
    println!("cargo:rustc-env=SSOFRESH_VERSION={long}");
    // The man page's date: the commit's, so the same checkout always renders the same page;
    // outside a checkout, SOURCE_DATE_EPOCH (reproducible-builds.org) if the builder set it.
    let date = git(&["log", "-1", "--format=%cs"]).or_else(source_date).unwrap_or_default();
    println!("cargo:rustc-env=SSOFRESH_DATE={date}");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    // Rebuild the string when HEAD moves or the work tree changes. `--git-path` finds each file
    // where git keeps it, in a linked worktree too (refs live in the common directory).
    let mut watch = vec!["HEAD".to_string(), "index".to_string()];
    watch.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for file in watch {
        if let Some(path) = git(&["rev-parse", "--path-format=absolute", "--git-path", &file]) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// The commit `cargo package` recorded: `{"git": {"sha1": "…", "dirty": true}, …}`. A build
/// script has no JSON parser at hand, and the file is cargo's own, in a fixed form.
fn packaged_commit(path: &Path) -> Option<(String, bool)> {
    let text = std::fs::read_to_string(path).ok()?;
    let sha = text.split("\"sha1\"").nth(1)?.split('"').nth(1)?;
    if sha.len() < 10 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let dirty =
        text.split("\"dirty\"").nth(1).is_some_and(|rest| rest.trim_start_matches([' ', ':']).starts_with("true"));
    Some((sha[..10].to_string(), dirty))
}

/// SOURCE_DATE_EPOCH as a UTC date (`YYYY-MM-DD`), without a date crate: days since 1970 to a
/// civil date (Howard Hinnant's algorithm).
fn source_date() -> Option<String> {
    let secs: i64 = std::env::var("SOURCE_DATE_EPOCH").ok()?.trim().parse().ok()?;
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Some(format!("{year:04}-{month:02}-{day:02}"))
}
