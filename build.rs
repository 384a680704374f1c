//! Puts the git commit into `ssofresh --version` when built from a checkout.

// Cargo reads a build script's stdout; `println!` is how it is spoken to (clippy.toml bans it
// in ssofresh itself).
#![allow(clippy::disallowed_macros)]

use std::process::Command;

fn main() {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let version = env!("CARGO_PKG_VERSION");
    let long = match git(&["rev-parse", "--short=10", "HEAD"]) {
        Some(commit) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
            format!("{version} ({commit}{})", if dirty { ", modified" } else { "" })
        }
        None => version.to_string(),
    };
    println!("cargo:rustc-env=SSOFRESH_VERSION={long}");
    // The man page's date: the commit's, so the same checkout always renders the same page.
    let date = git(&["log", "-1", "--format=%cs"]).unwrap_or_default();
    println!("cargo:rustc-env=SSOFRESH_DATE={date}");
    // Rebuild the string when HEAD moves; a missing .git (crate tarball) is fine.
    if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
        println!("cargo:rerun-if-changed={dir}/HEAD");
        println!("cargo:rerun-if-changed={dir}/index");
        if let Some(head) = git(&["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={dir}/{head}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
