//! `ssofresh doctor`: healthy on a clean setup, and each planted problem found, explained and
//! given a fix that works when applied.

use crate::common::*;

const CLEAN: &str = "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\nregion = eu-west-1\n\n\
[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n";

#[cfg(unix)]
fn mode(p: &std::path::Path, m: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
}

/// A setup with nothing to fix: sessions with scopes, a private cache, a prompt hook.
fn clean() -> Home {
    let home = Home::new();
    home.config(CLEAN);
    #[cfg_attr(not(unix), allow(unused_variables))]
    let p = home.write_token("corp", &token(3600));
    #[cfg(unix)]
    {
        mode(&p, 0o600);
        mode(&home.cache_dir(), 0o700);
        mode(home.cache_dir().parent().unwrap(), 0o700);
    }
    std::fs::write(home.path().join(".zshrc"), "export EDITOR=vi\neval \"$(ssofresh init zsh)\"\n").unwrap();
    home
}

fn doctor(home: &Home) -> Run {
    let run = Run::of(home.cmd().arg("doctor").env("SSOFRESH_LOG", "trace"));
    assert!(run.code == 0 || run.code == 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.code == 1,
        run.stdout.lines().any(|l| l.starts_with("problem")),
        "exit code matches the findings:\n{}",
        run.stdout
    );
    for line in run.stdout.lines() {
        // Only exact config lines and commands may run past 80 columns.
        assert!(line.chars().count() <= 80 || line.starts_with("             "), "over 80 columns: {line:?}");
    }
    run
}

/// The output with wrapped lines joined again.
fn flat(run: &Run) -> String {
    run.stdout.replace("\n         ", " ")
}

/// A path as doctor shows it: with the platform's separator.
fn native(path: &str) -> String {
    path.replace('/', std::path::MAIN_SEPARATOR_STR)
}

fn problems(run: &Run) -> Vec<&str> {
    run.stdout.lines().filter(|l| l.starts_with("problem")).collect()
}

#[test]
fn clean_setup_is_healthy() {
    let home = clean();
    let run = doctor(&home);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.ends_with("No problems found.\n"), "{}", run.stdout);
    for needle in [
        "config ",
        "1 sso-session, 1 profile",
        // Windows files carry ACLs, not modes: nothing to check there.
        if cfg!(unix) { "permissions:" } else { "" },
        &native("automatic refresh: prompt hook in ~/.zshrc"),
        "endpoints: the AWS defaults",
        "notifications:",
        "activity log",
    ] {
        assert!(run.stdout.contains(needle), "missing {needle:?}:\n{}", run.stdout);
    }
}

#[test]
fn legacy_profile_gets_exact_migration_lines_that_work() {
    let home = clean();
    home.config(&format!(
        "{CLEAN}\n[profile old]\nsso_start_url = https://old.awsapps.com/start\nsso_region = us-west-2\nsso_account_id = 111122223333\nsso_role_name = Dev\n\n\
         [profile old2]\nsso_start_url = https://old.awsapps.com/start\nsso_region = us-west-2\nsso_account_id = 444455556666\nsso_role_name = Ops\n"
    ));
    let run = doctor(&home);
    assert_eq!(run.code, 1);
    assert_eq!(problems(&run).len(), 1, "one migration for both profiles:\n{}", run.stdout);
    assert!(run.stdout.contains("profiles 'old', 'old2' are legacy SSO profiles"), "{}", run.stdout);
    let expected = "\
         migrate: add to CONFIG
             [sso-session old]
             sso_start_url = https://old.awsapps.com/start
             sso_region = us-west-2
             sso_registration_scopes = sso:account:access
         in [profile old] remove sso_start_url and sso_region, and add
             sso_session = old
         in [profile old2] remove sso_start_url and sso_region, and add
             sso_session = old
         then log in: ";
    let expected = expected.replace("CONFIG", &native("~/.aws/config"));
    assert!(run.stdout.contains(&expected), "expected:\n{expected}\nin:\n{}", run.stdout);

    // Applying the lines as told leaves nothing to report.
    let section: Vec<&str> = run
        .stdout
        .lines()
        .skip_while(|l| !l.contains("migrate: add to"))
        .skip(1)
        .take_while(|l| l.starts_with("             "))
        .map(str::trim)
        .collect();
    let mut text = String::new();
    for line in std::fs::read_to_string(home.path().join(".aws/config")).unwrap().lines() {
        if line.starts_with("sso_start_url = https://old") || line.starts_with("sso_region = us-west-2") {
            continue;
        }
        text += line;
        text.push('\n');
        if line == "[profile old]" || line == "[profile old2]" {
            text += "sso_session = old\n";
        }
    }
    text += "\n";
    text += &section.join("\n");
    text.push('\n');
    home.config(&text);
    let run = doctor(&home);
    assert_eq!(run.code, 0, "{text}\n{}", run.stdout);
    let v: serde_json::Value = serde_json::from_str(&Run::of(home.cmd().args(["status", "--json"])).stdout).unwrap();
    let old = v["sessions"].as_array().unwrap().iter().find(|s| s["name"] == "old").expect("the new session");
    assert_eq!(old["profiles"], serde_json::json!(["old", "old2"]));
    assert_eq!(old["kind"], "sso-session");
}

#[test]
fn migration_never_reuses_a_session_name() {
    let home = clean();
    home.config(&format!(
        "{CLEAN}\n[sso-session corp-2]\nsso_start_url = https://x/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\
         [profile legacy]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
    ));
    let run = doctor(&home);
    assert!(
        run.stdout.contains("    [sso-session corp-3]") && run.stdout.contains("    sso_session = corp-3"),
        "{}",
        run.stdout
    );
}

#[test]
fn missing_scopes_are_found() {
    let home = clean();
    home.config(&CLEAN.replace("sso_registration_scopes = sso:account:access\n", ""));
    let run = doctor(&home);
    assert_eq!(run.code, 1);
    let p = problems(&run);
    assert_eq!(p.len(), 1, "{}", run.stdout);
    assert!(p[0].contains("sso-session 'corp' has no sso_registration_scopes"), "{}", run.stdout);
    assert!(run.stdout.contains("\n             sso_registration_scopes = sso:account:access\n"), "{}", run.stdout);
    assert!(run.stdout.contains("corp") && run.stdout.contains("login"));
}

#[cfg(unix)]
#[test]
fn readable_cache_is_found_and_the_offered_chmod_fixes_it() {
    let home = clean();
    let token_file = home.token_path("corp");
    mode(&token_file, 0o644);
    mode(&home.cache_dir(), 0o755);
    let run = doctor(&home);
    assert_eq!(run.code, 1);
    let p = problems(&run);
    assert_eq!(p.len(), 1, "{}", run.stdout);
    assert!(p[0].contains("can be read by other users"), "{}", p[0]);
    let listed = format!("0644  ~/.aws/sso/cache/{}", token_file.file_name().unwrap().to_string_lossy());
    assert!(run.stdout.contains(&listed), "{}", run.stdout);
    let fixes: Vec<&str> = run.stdout.lines().map(str::trim).filter(|l| l.starts_with("chmod ")).collect();
    assert_eq!(
        fixes,
        [format!("chmod 700 {}", home.cache_dir().display()), format!("chmod 600 {}", token_file.display())]
    );
    for fix in fixes {
        assert!(std::process::Command::new("sh").args(["-c", fix]).status().unwrap().success());
    }
    let run = doctor(&home);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

/// doctor says what tick would refuse, in the same words, and its chmod lifts the refusal.
#[cfg(unix)]
#[test]
fn writable_cache_directory_is_reported_as_refused() {
    let home = clean();
    mode(&home.cache_dir(), 0o777);
    let tick = Run::of(home.cmd().arg("tick"));
    assert_eq!(tick.code, 2, "{}", tick.stderr);
    let run = doctor(&home);
    assert_eq!(run.code, 1);
    // The same words as tick's refusal (doctor shortens HOME to ~ and wraps at 80 columns).
    let p = problems(&run);
    let refused: Vec<&&str> = p.iter().filter(|l| l.contains("refusing to use")).collect();
    assert_eq!(refused.len(), 1, "{}", run.stdout);
    assert!(refused[0].contains("~/.aws/sso/cache") && refused[0].contains("other"), "{}", run.stdout);
    assert!(
        tick.stderr.contains("refusing to use") && tick.stderr.contains("other users can write to it"),
        "{}",
        tick.stderr
    );
    assert!(!run.stdout.contains("delete it and log in again"), "deleting the token is not the fix:\n{}", run.stdout);
    assert!(run.stdout.contains(&format!("chmod 700 {}", home.cache_dir().display())), "{}", run.stdout);
    mode(&home.cache_dir(), 0o700);
    assert_eq!(Run::of(home.cmd().arg("tick")).code, 0);
    assert_eq!(doctor(&home).code, 0);
}

#[test]
fn profile_pointing_at_a_missing_session_is_found() {
    let home = clean();
    home.config(&format!("{CLEAN}\n[profile ghost]\nsso_session = nowhere\n"));
    let run = doctor(&home);
    assert_eq!(run.code, 1);
    let p = problems(&run);
    assert_eq!(p.len(), 1, "{}", run.stdout);
    assert!(run.stdout.contains("profile 'ghost' uses sso-session 'nowhere'"), "{}", run.stdout);
    assert!(run.stdout.contains("sessions defined: corp"), "{}", run.stdout);
}

#[test]
fn no_hook_or_timer_is_found_and_each_kind_counts() {
    let home = clean();
    std::fs::write(home.path().join(".zshrc"), "# eval \"$(ssofresh init zsh)\"\n").unwrap();
    let run = doctor(&home);
    assert_eq!(run.code, 1, "a commented-out hook does not count:\n{}", run.stdout);
    assert!(run.stdout.contains("nothing runs ssofresh automatically"), "{}", run.stdout);
    assert!(run.stdout.contains("ssofresh init"), "{}", run.stdout);
    let places = [
        (".bashrc", "eval \"$(ssofresh init bash)\"\n", "prompt hook in ~/.bashrc"),
        (".config/fish/config.fish", "ssofresh init fish | source\n", "prompt hook in ~/.config/fish/config.fish"),
        (".config/fish/conf.d/ssofresh.fish", "ssofresh init fish | source\n", "conf.d/ssofresh.fish"),
        (".config/systemd/user/ssofresh.timer", "[Timer]\nOnCalendar=*:0/5\n", "systemd user timer"),
        ("Library/LaunchAgents/dev.ssofresh.tick.plist", "<plist/>\n", "LaunchAgent"),
        (
            if cfg!(windows) {
                "Documents/PowerShell/Microsoft.PowerShell_profile.ps1"
            } else {
                ".config/powershell/Microsoft.PowerShell_profile.ps1"
            },
            "ssofresh init powershell | Out-String | Invoke-Expression\n",
            "Microsoft.PowerShell_profile.ps1",
        ),
    ];
    // An enabled systemd timer is a symlink, which Windows does not give us.
    for (file, text, needle) in places.into_iter().filter(|(f, ..)| cfg!(unix) || !f.ends_with(".timer")) {
        let home = clean();
        std::fs::remove_file(home.path().join(".zshrc")).unwrap();
        let p = home.path().join(file);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        #[cfg(unix)]
        if file.ends_with(".timer") {
            // What `systemctl --user enable` does.
            let wants = p.parent().unwrap().join("timers.target.wants");
            std::fs::create_dir_all(&wants).unwrap();
            std::os::unix::fs::symlink(&p, wants.join("ssofresh.timer")).unwrap();
        }
        let run = doctor(&home);
        assert!(run.stdout.contains(&native(needle)), "{file}: {}", run.stdout);
        assert!(!run.stdout.contains("nothing runs ssofresh"), "{file}");
    }
    // A timer that was never enabled runs nothing; doctor says how to enable it.
    let home = clean();
    std::fs::remove_file(home.path().join(".zshrc")).unwrap();
    let units = home.path().join(".config/systemd/user");
    std::fs::create_dir_all(&units).unwrap();
    std::fs::write(units.join("ssofresh.timer"), "[Timer]\n").unwrap();
    let run = doctor(&home);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("not enabled") && run.stdout.contains("    systemctl --user enable --now ssofresh.timer"),
        "{}",
        run.stdout
    );
    // XDG_CONFIG_HOME moves fish's and systemd's files.
    let xdg = home.path().join("xdg");
    std::fs::create_dir_all(xdg.join("fish")).unwrap();
    std::fs::write(xdg.join("fish/config.fish"), "ssofresh init fish | source\n").unwrap();
    let run = Run::of(home.cmd().arg("doctor").env("XDG_CONFIG_HOME", &xdg));
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains(&native("prompt hook in ~/xdg/fish/config.fish")), "{}", run.stdout);
    // ZDOTDIR moves zsh's startup files.
    let home = clean();
    std::fs::remove_file(home.path().join(".zshrc")).unwrap();
    let z = home.path().join("zdot");
    std::fs::create_dir_all(&z).unwrap();
    std::fs::write(z.join(".zshrc"), "eval \"$(ssofresh init zsh)\"\n").unwrap();
    let run = Run::of(home.cmd().arg("doctor").env("ZDOTDIR", &z));
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn unreadable_cache_and_clock_skew_are_found() {
    let home = clean();
    home.write_token_bytes("corp", b"{\"accessToken\": ");
    #[cfg(unix)]
    mode(&home.token_path("corp"), 0o600);
    let run = doctor(&home);
    assert_eq!(run.code, 1);
    assert!(flat(&run).contains("corp: unusable token cache") && run.stdout.contains("truncated"), "{}", run.stdout);

    let home = clean();
    let f = std::fs::File::options().write(true).open(home.token_path("corp")).unwrap();
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(2 * 3600 + 30)).unwrap();
    let run = doctor(&home);
    assert_eq!(run.code, 1);
    assert!(
        flat(&run)
            .contains("was written 2h 0m in the future: this machine's clock is 2h 0m behind the one that wrote it"),
        "{}",
        run.stdout
    );
}

#[test]
fn endpoint_overrides_are_reported() {
    let home = clean();
    let run = Run::of(home.cmd().arg("doctor").env("AWS_ENDPOINT_URL_SSO_OIDC", "http://127.0.0.1:9999"));
    assert_eq!(run.code, 0, "an override is a note, not a problem:\n{}", run.stdout);
    assert!(
        flat(&run).contains("corp: SSO-OIDC endpoint http://127.0.0.1:9999 (from AWS_ENDPOINT_URL_SSO_OIDC)"),
        "{}",
        run.stdout
    );
    let run = Run::of(home.cmd().arg("doctor").env("AWS_ENDPOINT_URL", "http://example.com"));
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("plain http"), "{}", run.stdout);
}

#[test]
fn missing_or_broken_config_is_found() {
    let home = clean();
    std::fs::remove_file(home.path().join(".aws/config")).unwrap();
    let run = doctor(&home);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("no AWS config at"), "{}", run.stdout);
    assert!(run.stdout.contains("set up an sso-session: ssofresh configure sso-session NAME"), "{}", run.stdout);
    home.config("[profile x\nbroken = \n");
    let run = doctor(&home);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("cannot parse the AWS config"), "{}", run.stdout);
}

/// Issue #12: for each logged-in session, where its estimated end comes from, and how to make
/// it exact.
#[test]
fn each_session_ends_estimate_is_explained() {
    let home = clean();
    home.config(&format!(
        "{CLEAN}\n[sso-session lab]\nsso_start_url = https://lab.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n"
    ));
    // corp: nothing learned yet. lab: two past sessions, 7h 50m to 8h 5m, logged in by ssofresh.
    #[cfg_attr(not(unix), allow(unused_variables))]
    let lab = home.write_token("lab", &token(3600));
    #[cfg(unix)]
    mode(&lab, 0o600);
    home.write_state(
        "lab",
        &serde_json::json!({
            "seen_login": fingerprint(REFRESH),
            "seen_expires_at": home.read_token("lab")["expiresAt"],
            "login_at": iso(-3600),
            "login_at_basis": "ssofresh_login",
            "observed": [
                {"login_at": iso(-3 * 86400), "alive_secs": 7 * 3600 + 50 * 60, "ended_secs": 8 * 3600 + 20 * 60},
                {"login_at": iso(-2 * 86400), "alive_secs": 7 * 3600 + 30 * 60, "ended_secs": 8 * 3600 + 5 * 60},
            ],
        }),
    );
    #[cfg(unix)]
    for p in [home.state_dir(), home.state_dir().join("sessions")] {
        mode(&p, 0o700);
    }
    let run = doctor(&home);
    assert_eq!(run.code, 0, "notes only: {}", run.stdout);
    let out = flat(&run);
    assert!(
        out.contains("note     corp: the session ends ~") && out.contains("if it lasts AWS's default of 8h"),
        "{out}"
    );
    assert!(out.contains("the login time is the token cache's file time"), "{out}");
    assert!(
        out.contains("lab: the session ends ~")
            && out.contains("learned from 2 past sessions, which lasted between 7h 50m and 8h 5m"),
        "{out}"
    );
    assert!(out.contains("ssofresh login recorded the login time"), "{out}");
    // The command on a line of its own, exact, to paste.
    assert!(run.stdout.contains("\n             export SSOFRESH_SESSION_DURATION=corp=8h,lab=8h\n"), "{}", run.stdout);
    // The line it offers makes the estimate exact.
    let run = Run::of(home.cmd().arg("doctor").env("SSOFRESH_SESSION_DURATION", "lab=8h,corp=8h"));
    let out = flat(&run);
    assert!(out.contains("ok       lab: the session ends ~") && out.contains("8h after the login, as stated"), "{out}");
    assert!(!out.contains("export SSOFRESH_SESSION_DURATION"), "nothing left to make exact: {out}");
}

/// doctor checks, without sending, that the notification backend can deliver here: the desktop
/// backend needs its helper and a D-Bus session bus, the command backend `sh`. Without a
/// session bus (an SSH login, a headless machine) it says so, with what to do instead.
#[cfg(all(unix, not(target_os = "macos")))]
#[test]
fn notifications_that_cannot_arrive_are_found() {
    let home = clean();
    let finding = |run: &Run| flat(run).lines().find(|l| l.contains("notifications:")).unwrap_or_default().to_string();
    // The default backend, in a session without a bus (the fixture's XDG_RUNTIME_DIR is empty).
    let run = Run::of(home.cmd().arg("doctor").env_remove("SSOFRESH_NOTIFY").env_remove("DBUS_SESSION_BUS_ADDRESS"));
    assert_eq!(run.code, 1, "{}", run.stdout);
    let f = finding(&run);
    assert!(f.starts_with("problem") && f.contains("no desktop session bus"), "{f}");
    assert!(
        flat(&run).contains("SSOFRESH_NOTIFY_COMMAND") && flat(&run).contains("SSOFRESH_NOTIFY=none"),
        "{}",
        run.stdout
    );
    assert!(home.state_dir().join("notify").read_dir().is_err(), "nothing was sent");

    // A session bus where zbus looks for it: ready (doctor does not connect to it).
    let runtime = home.path().join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    let _bus = std::os::unix::net::UnixListener::bind(runtime.join("bus")).unwrap();
    let run = Run::of(home.cmd().arg("doctor").env_remove("SSOFRESH_NOTIFY").env_remove("DBUS_SESSION_BUS_ADDRESS"));
    assert_eq!(run.code, 0, "{}", run.stdout);
    let f = finding(&run);
    assert!(f.starts_with("note") && f.contains("ssofresh-notify-desktop") && f.contains("session bus at"), "{f}");

    // A command, but no sh on PATH.
    let run = Run::of(
        home.cmd()
            .arg("doctor")
            .env("SSOFRESH_NOTIFY_COMMAND", "cat")
            .env_remove("SSOFRESH_NOTIFY")
            .env("PATH", "/nowhere"),
    );
    let f = finding(&run);
    assert!(f.starts_with("problem") && f.contains("sh, which is not on PATH"), "{f}");
    let run = Run::of(home.cmd().arg("doctor").env("SSOFRESH_NOTIFY_COMMAND", "cat").env_remove("SSOFRESH_NOTIFY"));
    assert!(finding(&run).starts_with("note"), "{}", run.stdout);
}
