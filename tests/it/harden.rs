//! Hardening: token caches and state that another user planted or can change are refused, with
//! exit 2 and every file left as it was; symlinks planted at lock, state or log paths are not
//! written through; the user's own symlinks (a ~/.aws in a dotfiles repository) keep working.
#![cfg(unix)]

use crate::common::*;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::Path;

/// Another user of this machine (nobody).
const OTHER: u32 = 65534;

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Only root can give a file to another user; elsewhere these cases cannot be set up. CI runs
/// the tests as root, so there (as with `require_tool`) not being root fails the test; on a
/// developer's machine it is skipped with a notice.
fn can_chown() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        if std::env::var_os("CI").is_some() {
            panic!("not root: cannot create another user's files; CI must run the tests as root");
        }
        eprintln!("notice: not root; cannot create another user's files, skipping this test (CI fails instead)");
    }
    root
}

fn chown(p: &Path, uid: u32) {
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; lchown changes the link itself, not what it names.
    assert_eq!(unsafe { libc::lchown(c.as_ptr(), uid, uid) }, 0, "lchown {}", p.display());
}

/// Gives `p` to group `gid`, keeping its owner.
fn chgrp(p: &Path, gid: u32) {
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; -1 keeps the owner.
    assert_eq!(unsafe { libc::lchown(c.as_ptr(), u32::MAX, gid) }, 0, "chgrp {}", p.display());
}

/// A token due for a refresh, and a stub that would refresh it.
fn due() -> (Home, Stub) {
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    (home, Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600)))
}

/// Runs `ssofresh tick` and asserts it refused: exit 2, a message naming `named` and `fix`,
/// no request, and not one byte under HOME changed.
fn refused(home: &Home, stub: &Stub, args: &[&str], named: &Path, fix: &str) -> Run {
    let before = snapshot(home.path());
    let run = Run::of(home.cmd_at(&stub.url).args(args).env("SSOFRESH_LOG", "trace"));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(&named.display().to_string()), "path not named: {}", run.stderr);
    assert!(run.stderr.contains("refusing") && run.stderr.contains(fix), "{}", run.stderr);
    assert_eq!(stub.requests().len(), 0, "a request was made");
    assert_eq!(snapshot(home.path()), before, "files changed: {}", run.stderr);
    run
}

#[test]
fn world_writable_cache_directory_is_refused_and_left_alone() {
    let (home, stub) = due();
    chmod(&home.cache_dir(), 0o777);
    let run = refused(&home, &stub, &["tick"], &home.cache_dir(), "chmod 700");
    assert!(run.stderr.contains("other users can write"), "{}", run.stderr);
    // Named sessions and the other commands that touch tokens refuse too.
    refused(&home, &stub, &["tick", "--session", "corp"], &home.cache_dir(), "chmod 700");
    refused(&home, &stub, &["credential-process", "--profile", "dev"], &home.cache_dir(), "chmod 700");
    refused(&home, &stub, &["logout", "corp"], &home.cache_dir(), "chmod 700");
    // Group-writable is as bad when others are in the group.
    if can_chown() {
        chgrp(&home.cache_dir(), OTHER);
        chmod(&home.cache_dir(), 0o770);
        refused(&home, &stub, &["tick"], &home.cache_dir(), "chmod 700");
        chgrp(&home.cache_dir(), 0);
    }
    // Fixed as told, it works.
    chmod(&home.cache_dir(), 0o700);
    let run = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS);
}

/// `umask 002` desktops (Debian, Ubuntu, Fedora) give the user a private group, and botocore
/// creates the cache 0775 there: that group is the user alone, so nobody else can write.
#[test]
fn group_writable_by_the_users_private_group_is_accepted() {
    // SAFETY: getegid has no preconditions.
    if !can_chown() || unsafe { libc::getegid() } != 0 {
        return; // root's group "root" is its private group; other setups vary
    }
    let (home, stub) = due();
    chmod(&home.cache_dir(), 0o775);
    let run = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS);
}

#[test]
fn sticky_shared_directory_is_accepted() {
    let (home, stub) = due();
    chmod(&home.cache_dir(), 0o1777);
    let run = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS);
}

#[test]
fn world_writable_state_directory_is_refused() {
    let (home, stub) = due();
    std::fs::create_dir_all(home.state_dir()).unwrap();
    chmod(&home.state_dir(), 0o777);
    refused(&home, &stub, &["tick"], &home.state_dir(), "chmod 700");
}

#[test]
fn cache_directory_of_another_user_is_refused() {
    if !can_chown() {
        return;
    }
    let (home, stub) = due();
    chown(&home.cache_dir(), OTHER);
    let run = refused(&home, &stub, &["tick"], &home.cache_dir(), "chown");
    assert!(run.stderr.contains("another user"), "{}", run.stderr);
}

#[test]
fn cache_file_of_another_user_is_refused() {
    if !can_chown() {
        return;
    }
    let (home, stub) = due();
    chown(&home.token_path("corp"), OTHER);
    let run = refused(&home, &stub, &["tick"], &home.token_path("corp"), "rm ");
    assert!(run.stderr.contains("corp") && run.stderr.contains("another user"), "{}", run.stderr);
    // status reports it, and reads nothing from it.
    let run = Run::of(home.cmd().args(["status", "--session", "corp"]));
    assert!(run.stdout.contains("refusing") || run.stderr.contains("refusing"), "{}{}", run.stdout, run.stderr);
}

#[test]
fn symlinked_cache_file_to_another_users_file_is_refused() {
    if !can_chown() {
        return;
    }
    let (home, stub) = due();
    // The other user's file holds a token of theirs (or one they want this user to send).
    let elsewhere = home.path().join("planted.json");
    std::fs::rename(home.token_path("corp"), &elsewhere).unwrap();
    chown(&elsewhere, OTHER);
    symlink(&elsewhere, home.token_path("corp")).unwrap();
    let run = refused(&home, &stub, &["tick"], &home.token_path("corp"), "rm ");
    assert!(run.stderr.contains("symlink"), "{}", run.stderr);
    assert_eq!(std::fs::metadata(&elsewhere).unwrap().uid(), OTHER);

    // A link another user made, to a file of the user's, is refused as well: they chose it.
    let mine = home.path().join("mine.json");
    std::fs::write(&mine, token(4 * 60).to_string()).unwrap();
    std::fs::remove_file(home.token_path("corp")).unwrap();
    symlink(&mine, home.token_path("corp")).unwrap();
    chown(&home.token_path("corp"), OTHER);
    refused(&home, &stub, &["tick"], &home.token_path("corp"), "rm ");
}

#[test]
fn own_symlinked_aws_directory_and_cache_file_keep_working() {
    let (home, stub) = due();
    // ~/.aws kept in a dotfiles repository, linked into place.
    let dots = home.path().join("dotfiles/aws");
    std::fs::create_dir_all(dots.parent().unwrap()).unwrap();
    std::fs::rename(home.path().join(".aws"), &dots).unwrap();
    symlink(&dots, home.path().join(".aws")).unwrap();
    let run = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("corp: refreshed"), "{}", run.stdout);
    let t: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dots.join("sso/cache").join(format!("{}.json", sha1_hex("corp")))).unwrap(),
    )
    .unwrap();
    assert_eq!(t["accessToken"], NEW_ACCESS);

    // The cache file itself a link of the user's to a file of the user's: read through.
    let home = Home::new();
    let real = home.path().join("kept/token.json");
    std::fs::create_dir_all(real.parent().unwrap()).unwrap();
    std::fs::write(&real, token(3600).to_string()).unwrap();
    std::fs::create_dir_all(home.cache_dir()).unwrap();
    symlink(&real, home.token_path("corp")).unwrap();
    let run = Run::of(home.cmd().args(["status", "--session", "corp", "--json"]));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("refusing") && run.stdout.contains("valid"), "{}", run.stdout);
}

#[test]
fn planted_symlink_at_the_lock_path_is_not_followed() {
    let (home, stub) = due();
    let victim = home.path().join("victim");
    let lock = home.lock_path("corp");
    symlink(&victim, &lock).unwrap();
    let run = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("cannot lock"), "{}", run.stderr);
    assert!(!victim.exists(), "the lock was opened through the symlink");
    assert_eq!(stub.requests().len(), 0);
}

#[test]
fn planted_symlinks_at_state_and_log_paths_are_replaced_or_refused_not_written_through() {
    let (home, stub) = due();
    let victim = home.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    let state = home.state_dir().join("sessions").join(format!("{}.json", sha1_hex("corp")));
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    symlink(&victim, &state).unwrap();
    symlink(&victim, home.activity_log()).unwrap();
    let run = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS);
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    // The state was written beside the link by rename, which replaces the link itself.
    assert!(std::fs::symlink_metadata(&state).unwrap().file_type().is_file());
}

#[test]
fn fifo_in_place_of_a_token_does_not_hang() {
    let (home, stub) = due();
    std::fs::remove_file(home.token_path("corp")).unwrap();
    let c = std::ffi::CString::new(home.token_path("corp").as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let started = std::time::Instant::now();
    let run = Run::of(home.cmd_at(&stub.url).args(["tick", "--session", "corp"]));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
}
