//! The AWS CLI's habits: `AWS_PROFILE` selects the profile for `status`, `prompt`, `tick` and
//! `doctor` as it does for `login` (a flag wins; `--all` ignores it; automatic ticks ignore it),
//! and `--sso-session` works wherever a session is named.

use crate::common::aws::*;
use crate::common::*;
use serde_json::Value;

/// corp (profile dev) is logged in; prod (profile prod) never was.
fn two_sessions() -> Home {
    let home = Home::new();
    home.config(&format!(
        "{CONFIG}\n[profile prod]\nsso_session = prod\nsso_account_id = 444455556666\nsso_role_name = Admin\n\n\
         [sso-session prod]\nsso_start_url = https://prod.awsapps.com/start\nsso_region = eu-west-1\n\
         sso_registration_scopes = sso:account:access\n"
    ));
    home.write_token("corp", &token(3600));
    home
}

fn names(json: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(json).unwrap();
    v["sessions"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_string()).collect()
}

#[test]
fn status_takes_aws_profile_as_login_does() {
    let home = two_sessions();
    // The case: prod was never logged in, and --check now says so.
    let run = Run::of(home.cmd().args(["status", "--check"]).env("AWS_PROFILE", "prod"));
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("prod: not logged in — run: ssofresh login prod"), "{}", run.stderr);
    let run = Run::of(home.cmd().args(["status", "--check"]).env("AWS_PROFILE", "dev"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Shown: only that session, with a word about why and how to see the rest.
    let run = Run::of(home.cmd().arg("status").env("AWS_PROFILE", "prod"));
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("prod: not logged in"), "{}", run.stdout);
    assert!(!run.stdout.contains("corp:"), "{}", run.stdout);
    assert!(run.stdout.contains("(AWS_PROFILE=prod selects prod; ssofresh status --all shows every session)"));
    let json = |args: &[&str], profile: Option<&str>| {
        let mut c = home.cmd();
        c.arg("status").arg("--json").args(args);
        if let Some(p) = profile {
            c.env("AWS_PROFILE", p);
        }
        let run = Run::of(&mut c);
        assert_eq!(run.code, 0, "{}", run.stderr);
        names(&run.stdout)
    };
    assert_eq!(json(&[], Some("prod")), ["prod"]);
    assert_eq!(json(&[], None), ["corp", "prod", "old"], "without AWS_PROFILE: every session");
    // A flag wins over AWS_PROFILE, and --all over both.
    assert_eq!(json(&["--session", "corp"], Some("prod")), ["corp"]);
    assert_eq!(json(&["--sso-session", "corp"], Some("prod")), ["corp"]);
    assert_eq!(json(&["--profile", "dev"], Some("prod")), ["corp"]);
    assert_eq!(json(&["--all"], Some("prod")), ["corp", "prod", "old"]);
    // A profile without SSO settings selects nothing; an unknown one is a usage error.
    assert_eq!(json(&[], Some("static")), ["corp", "prod", "old"]);
    let run = Run::of(home.cmd().arg("status").env("AWS_PROFILE", "nope"));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("AWS_PROFILE=nope: unknown profile 'nope'"), "{}", run.stderr);
}

#[test]
fn prompt_puts_aws_profiles_session_first() {
    let home = two_sessions();
    home.write_token("prod", &token(2 * 3600 + 90));
    let prompt = |profile: Option<&str>| {
        let mut c = home.cmd();
        // The token countdown (the pre-#12 default), to tell the sessions' states apart.
        c.env("LANG", "C.UTF-8").args(["prompt", "--format", "{session} {status}"]);
        if let Some(p) = profile {
            c.env("AWS_PROFILE", p);
        }
        let run = Run::of(&mut c);
        assert_eq!((run.code, run.stderr.as_str()), (0, ""));
        run.stdout
    };
    assert_eq!(prompt(None), "corp 59m prod 2h1m\n");
    assert_eq!(prompt(Some("prod")), "prod 2h1m corp 59m\n");
    assert_eq!(prompt(Some("dev")), "corp 59m prod 2h1m\n");
    // Shown even when not logged in: that is the session the shell's commands will use.
    std::fs::remove_file(home.token_path("prod")).unwrap();
    assert_eq!(prompt(None), "corp 59m\n");
    assert_eq!(prompt(Some("prod")), "prod ⚠ login corp 59m\n");
    // A profile the prompt cannot place changes nothing (and prints no error at every prompt).
    assert_eq!(prompt(Some("nope")), "corp 59m\n");
    assert_eq!(prompt(Some("static")), "corp 59m\n");
}

#[test]
fn tick_by_hand_takes_aws_profile_automatic_ticks_do_not() {
    let home = two_sessions();
    home.write_token("corp", &token(5 * 60));
    let stub = aws_stub(|_, _| Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600), numbered_roles);
    // AWS_PROFILE=prod: only prod, which needs a login (as with --profile prod, a session never
    // logged in is no failure); corp is not touched.
    let run = Run::of(home.cmd_at(&stub.url).arg("tick").env("AWS_PROFILE", "prod"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("prod: not logged in — run: ssofresh login prod"), "{}", run.stderr);
    assert_eq!(stub.count(TOKEN), 0);
    // The prompt hook's tick and timers (--auto) work on what they were set up for.
    let run = Run::of(home.cmd_at(&stub.url).args(["tick", "--auto"]).env("AWS_PROFILE", "prod"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(stub.count(TOKEN), 1);
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS);
    // --all, and flags, win over AWS_PROFILE.
    home.write_token("corp", &token(5 * 60));
    let run = Run::of(home.cmd_at(&stub.url).args(["tick", "--all"]).env("AWS_PROFILE", "prod"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(stub.count(TOKEN), 2);
    home.write_token("corp", &token(5 * 60));
    let run = Run::of(home.cmd_at(&stub.url).args(["tick", "--sso-session", "corp"]).env("AWS_PROFILE", "prod"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(stub.count(TOKEN), 3);
    // AWS_PROFILE=dev: corp's token, through profile dev.
    home.write_token("corp", &token(5 * 60));
    let run = Run::of(home.cmd_at(&stub.url).arg("tick").env("AWS_PROFILE", "dev"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("corp: refreshed"), "{}", run.stdout);
    let run = Run::of(home.cmd_at(&stub.url).arg("tick").env("AWS_PROFILE", "nope"));
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("AWS_PROFILE=nope: unknown profile 'nope'") && run.stderr.contains("dev"),
        "{}",
        run.stderr
    );
}

#[test]
fn doctor_checks_aws_profiles_session() {
    let home = two_sessions();
    let doctor = |profile: &str| Run::of(home.cmd().args(["doctor", "--color", "never"]).env("AWS_PROFILE", profile));
    let run = doctor("prod");
    assert!(run.stdout.contains("problem  AWS_PROFILE=prod uses prod: not logged in"), "{}", run.stdout);
    assert!(run.stdout.contains("run: ssofresh login prod"), "{}", run.stdout);
    assert_eq!(run.code, 1);
    let run = doctor("dev");
    assert!(run.stdout.contains("ok       AWS_PROFILE=dev uses corp: valid, 59m left"), "{}", run.stdout);
    let run = doctor("nope");
    assert!(run.stdout.contains("problem  AWS_PROFILE=nope: unknown profile 'nope'"), "{}", run.stdout);
    let run = doctor("static");
    assert!(run.stdout.contains("note     AWS_PROFILE=static has no SSO settings"), "{}", run.stdout);
}

#[test]
fn sso_session_is_accepted_wherever_a_session_is_named() {
    let home = two_sessions();
    let stub = aws_stub(|_, _| Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600), numbered_roles);
    let ok = |args: &[&str]| {
        let run = Run::of(home.cmd_aws(&stub.url).args(args));
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        run
    };
    assert!(ok(&["status", "--sso-session", "corp"]).stdout.starts_with("corp: valid"));
    assert!(ok(&["tick", "--sso-session", "corp"]).stderr.is_empty());
    assert_eq!(ok(&["prompt", "--sso-session", "corp"]).stdout, "corp\n");
    ok(&["log", "--sso-session", "corp"]);
    let creds = ok(&["credential-process", "--sso-session", "corp", "--account-id", ACCOUNT, "--role-name", "Dev"]);
    assert!(creds.stdout.contains("\"Version\": 1"));
    // login and logout: the positional name, --session or --sso-session; two names are refused.
    for args in [["logout", "--sso-session", "corp"], ["logout", "--session", "prod"]] {
        let run = ok(&args);
        assert!(run.stdout.contains("Logged out of") || run.stdout.contains("not logged in"), "{}", run.stdout);
    }
    let run = Run::of(home.cmd().args(["login", "corp", "--sso-session", "prod"]));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
    let run = Run::of(home.cmd().args(["login", "--sso-session", "nope"]));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("unknown sso-session 'nope'"), "{}", run.stderr);
}
