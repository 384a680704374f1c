//! `ssofresh exec --profile P -- CMD`: CMD runs with the role credentials and region in its
//! environment (the token refreshed first when due), with its own exit status and signals;
//! nesting is refused; ssofresh itself prints no secret.

use crate::common::aws::*;
use crate::common::*;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

fn ready(expires_in: i64) -> (Home, Stub) {
    let home = Home::new();
    home.write_token("corp", &token(expires_in));
    let stub = aws_stub(|_, _| Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600), numbered_roles);
    (home, stub)
}

fn exec(home: &Home, stub: &Stub, args: &[&str]) -> std::process::Command {
    let mut c = home.cmd_aws(&stub.url);
    c.arg("exec").args(args);
    c
}

/// Prints the variables the command sees, one `NAME=value` a line (unset ones as `NAME-`).
const SHOW: &str = "for v in AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_CREDENTIAL_EXPIRATION \
    AWS_ACCOUNT_ID AWS_REGION AWS_DEFAULT_REGION AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SSOFRESH_PROFILE; do \
    eval \"x=\\${$v-unset}\"; echo \"$v=$x\"; done";

#[test]
fn the_command_gets_the_credentials_and_the_region_and_nothing_else() {
    let (home, stub) = ready(3600);
    let mut c = exec(&home, &stub, &["--profile", "dev", "--", "sh", "-c", SHOW]);
    c.env("AWS_PROFILE", "static").env("AWS_DEFAULT_PROFILE", "static");
    let run = Run::of(&mut c);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let creds = RoleCreds::nth(0, 3600);
    let want = [
        format!("AWS_ACCESS_KEY_ID={}", creds.access_key_id),
        format!("AWS_SECRET_ACCESS_KEY={}", creds.secret_access_key),
        format!("AWS_SESSION_TOKEN={}", creds.session_token),
        format!("AWS_CREDENTIAL_EXPIRATION={}", creds.expiration()),
        format!("AWS_ACCOUNT_ID={ACCOUNT}"),
        "AWS_REGION=us-east-1".into(),
        "AWS_DEFAULT_REGION=us-east-1".into(),
        "AWS_PROFILE=unset".into(),
        "AWS_DEFAULT_PROFILE=unset".into(),
        "AWS_SSOFRESH_PROFILE=dev".into(),
    ];
    assert_eq!(run.stdout.lines().collect::<Vec<_>>(), want);
    assert!(run.stderr.is_empty() && !run.stderr.contains(ROLE_MARK), "ssofresh printed: {}", run.stderr);
    assert_eq!(stub.count(PORTAL), 1);
    assert_eq!(stub.count(TOKEN), 0, "the token was fresh");
}

#[test]
fn a_due_token_is_refreshed_before_the_credentials_are_fetched() {
    let (home, stub) = ready(5 * 60);
    // AWS_PROFILE names the profile when --profile is not given, as for the AWS CLI.
    let run =
        Run::of(exec(&home, &stub, &["--", "sh", "-c", "echo \"$AWS_SSOFRESH_PROFILE\""]).env("AWS_PROFILE", "dev"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "dev\n");
    let paths: Vec<String> = stub.requests().iter().map(|r| r.path.split('?').next().unwrap().to_string()).collect();
    assert_eq!(paths, [TOKEN, PORTAL]);
    let portal = stub.requests().into_iter().find(|r| r.path.starts_with(PORTAL)).unwrap();
    assert_eq!(portal.bearer(), Some(NEW_ACCESS));
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS);
}

#[test]
fn the_exit_status_is_the_commands() {
    let (home, stub) = ready(3600);
    let run = Run::of(&mut exec(&home, &stub, &["-p", "dev", "--", "sh", "-c", "exit 7"]));
    assert_eq!(run.code, 7);
    // Killed by a signal: a shell sees 128 + the signal, as for the command itself.
    let base = home.cmd_aws(&stub.url);
    let mut c = std::process::Command::new("sh");
    c.env_clear().envs(base.get_envs().filter_map(|(k, v)| Some((k, v?)))).stdin(Stdio::null()).args([
        "-c",
        "\"$1\" exec -p dev -- sh -c 'kill -TERM $$'; echo \"status $?\"",
        "sh",
        env!("CARGO_BIN_EXE_ssofresh"),
    ]);
    let run = Run::of(&mut c);
    assert_eq!(run.stdout, "status 143\n", "{}", run.stderr);
    // Not found, not executable: the shell's 127 and 126, and the command named.
    let run = Run::of(&mut exec(&home, &stub, &["-p", "dev", "--", "no-such-command-xyz"]));
    assert_eq!(run.code, 127);
    assert!(run.stderr.contains("cannot run no-such-command-xyz: not found"), "{}", run.stderr);
    let plain = home.path().join("notes.txt");
    std::fs::write(&plain, "not a program\n").unwrap();
    let run = Run::of(exec(&home, &stub, &["-p", "dev", "--"]).arg(&plain));
    assert_eq!(run.code, 126, "{}", run.stderr);
    assert!(run.stderr.contains("permission denied"), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn sigint_and_sigterm_reach_the_command() {
    let (home, stub) = ready(3600);
    for (sig, name) in [(libc::SIGTERM, "TERM"), (libc::SIGINT, "INT")] {
        let script = format!("trap 'echo got-{name}; exit 5' {name}; echo ready; while :; do sleep 0.05; done");
        let mut child = exec(&home, &stub, &["-p", "dev", "--", "sh", "-c", &script])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert_eq!(line, "ready\n", "the command did not start");
        // The pid ssofresh started as is the command's now.
        // SAFETY: kill with a pid of our own child and a valid signal.
        assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
        line.clear();
        out.read_line(&mut line).unwrap();
        assert_eq!(line, format!("got-{name}\n"));
        assert_eq!(child.wait().unwrap().code(), Some(5), "{name}");
    }
}

#[test]
fn nesting_is_refused_before_anything_runs() {
    let (home, stub) = ready(3600);
    let marker = home.path().join("ran");
    let run =
        Run::of(exec(&home, &stub, &["-p", "dev", "--", "touch"]).arg(&marker).env("AWS_SSOFRESH_PROFILE", "prod"));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("already inside `ssofresh exec` for prod"), "{}", run.stderr);
    assert!(run.stderr.contains("unset AWS_SSOFRESH_PROFILE"), "{}", run.stderr);
    assert!(!marker.exists(), "the command ran");
    assert!(stub.requests().is_empty());
    // Inside an exec, a second one refuses: the marker is what the first one set.
    let run = Run::of(&mut exec(
        &home,
        &stub,
        &["-p", "dev", "--", env!("CARGO_BIN_EXE_ssofresh"), "exec", "-p", "dev", "--", "true"],
    ));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("already inside `ssofresh exec` for dev"), "{}", run.stderr);
}

#[test]
fn no_login_means_exit_3_and_the_command_never_runs() {
    let home = Home::new();
    let stub = aws_stub(|_, _| Reply::token(NEW_ACCESS, None, 3600), numbered_roles);
    let marker = home.path().join("ran");
    let run = Run::of(exec(&home, &stub, &["-p", "dev", "--", "touch"]).arg(&marker));
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("not logged in") && run.stderr.contains("ssofresh login corp"), "{}", run.stderr);
    assert!(!marker.exists());
    // The command is required, after `--`.
    let run = Run::of(&mut exec(&home, &stub, &["-p", "dev"]));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("<COMMAND>"), "{}", run.stderr);
}

#[test]
fn env_exports_the_region_too() {
    let (home, stub) = ready(3600);
    let run = Run::of(home.cmd_aws(&stub.url).args(["env", "--profile", "dev"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.ends_with("export AWS_REGION='us-east-1'\nexport AWS_DEFAULT_REGION='us-east-1'\n"),
        "{}",
        run.stdout
    );
    // A profile without a region exports none.
    home.config(&format!(
        "{CONFIG}\n[profile bare]\nsso_session = corp\nsso_account_id = {ACCOUNT}\nsso_role_name = Dev\n"
    ));
    let run = Run::of(home.cmd_aws(&stub.url).args(["env", "--profile", "bare", "--format", "json"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(v.get("AWS_REGION").is_none() && v.get("AWS_ACCESS_KEY_ID").is_some(), "{v}");
}
