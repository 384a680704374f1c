//! `ssofresh env` evaluated by real shells, and `ssofresh configure credential-process`.

use crate::common::aws::*;
use crate::common::*;
use serde_json::Value;

/// The credentials, then the region of profile dev.
const VARS: [&str; 7] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_ACCOUNT_ID",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
];

fn expected(c: &RoleCreds) -> Vec<String> {
    vec![
        c.access_key_id.clone(),
        c.secret_access_key.clone(),
        c.session_token.clone(),
        c.expiration(),
        ACCOUNT.to_string(),
        "us-east-1".into(),
        "us-east-1".into(),
    ]
}

fn ready() -> (Home, Stub) {
    let home = Home::new();
    home.write_token("corp", &token(3600));
    let stub = aws_stub(|_, _| Reply::token(NEW_ACCESS, None, 3600), numbered_roles);
    (home, stub)
}

/// Runs `script` in `shell` with ssofresh at `$SSOFRESH`; returns its stdout lines.
#[cfg(not(windows))]
fn shell(home: &Home, stub: &Stub, shell: &str, args: &[&str], script: &str) -> Vec<String> {
    let out = ClientRun::of(
        home.client(shell, &stub.url).args(args).arg(script).env("SSOFRESH", env!("CARGO_BIN_EXE_ssofresh")),
    );
    assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
    assert!(!out.stderr.contains(ROLE_MARK) && !out.stderr.contains(MARK), "{}", out.stderr);
    out.stdout.lines().map(str::to_string).collect()
}

// Not on Windows: runs bash, zsh and fish, which Windows does not have.
#[cfg(not(windows))]
#[test]
fn bash_zsh_and_fish_get_the_variables() {
    let (home, stub) = ready();
    let want = expected(&RoleCreds::nth(0, 3600));
    let print = VARS.iter().map(|v| format!("\"${v}\"")).collect::<Vec<_>>().join(" ");
    let posix = format!("eval \"$(\"$SSOFRESH\" env --profile dev)\" && printf '%s\\n' {print}");
    let mut ran = 0;
    for (sh, args) in [("bash", vec!["--norc", "--noprofile", "-c"]), ("zsh", vec!["-f", "-c"]), ("dash", vec!["-c"])] {
        if sh == "dash" && !std::path::Path::new("/bin/dash").exists() {
            continue;
        }
        if !require_tool(sh) {
            continue;
        }
        assert_eq!(shell(&home, &stub, sh, &args, &posix), want, "{sh}");
        ran += 1;
    }
    if require_tool("fish") {
        let fish = format!("\"$SSOFRESH\" env --profile dev --format fish | source; and printf '%s\\n' {print}");
        assert_eq!(shell(&home, &stub, "fish", &["--no-config", "-c"], &fish), want, "fish");
        // SSOFRESH_ENV_FORMAT picks the format too.
        let fish =
            format!("SSOFRESH_ENV_FORMAT=fish \"$SSOFRESH\" env --profile dev | source; and printf '%s\\n' {print}");
        assert_eq!(shell(&home, &stub, "fish", &["--no-config", "-c"], &fish), want, "fish via env");
        ran += 1;
    }
    if ran > 0 {
        assert_eq!(stub.count(PORTAL), 1, "one fetch, then the cache");
    }
}

// Not on Windows: reads the values back through sh and fish, which Windows does not have.
#[cfg(not(windows))]
#[test]
fn quoting_survives_awkward_values() {
    // Values real credentials never hold, to prove the quoting rather than the luck.
    let (home, _) = ready();
    let awkward = RoleCreds {
        access_key_id: format!("ASIA{ROLE_MARK}'q\"d$x`y\\z"),
        secret_access_key: format!("s {ROLE_MARK} $(touch pwned) ;'"),
        session_token: "t\\'\\\\".into(),
        ..RoleCreds::nth(7, 3600)
    };
    home.write_role_cache(DEV_ROLE_KEY, &awkward);
    let stub = aws_stub(|_, _| Reply::token(NEW_ACCESS, None, 3600), numbered_roles);
    let want = expected(&awkward);
    let print = VARS.iter().map(|v| format!("\"${v}\"")).collect::<Vec<_>>().join(" ");
    if require_tool("bash") {
        let s = format!("eval \"$(\"$SSOFRESH\" env --profile dev)\" && printf '%s\\n' {print}");
        assert_eq!(shell(&home, &stub, "bash", &["--norc", "-c"], &s), want);
    }
    if require_tool("zsh") {
        let s = format!("eval \"$(\"$SSOFRESH\" env --profile dev --format sh)\" && printf '%s\\n' {print}");
        assert_eq!(shell(&home, &stub, "zsh", &["-f", "-c"], &s), want);
    }
    if require_tool("fish") {
        let s = format!("\"$SSOFRESH\" env --profile dev -f fish | source; and printf '%s\\n' {print}");
        assert_eq!(shell(&home, &stub, "fish", &["--no-config", "-c"], &s), want);
    }
    assert!(!home.path().join("pwned").exists());
    assert_eq!(stub.count(PORTAL), 0);
}

#[test]
fn json_dotenv_and_powershell() {
    let (home, stub) = ready();
    let want = expected(&RoleCreds::nth(0, 3600));
    let out = ClientRun::of(home.cmd_aws(&stub.url).args(["env", "--profile", "dev", "--format", "json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let got: Vec<String> = VARS.iter().map(|k| v[k].as_str().unwrap().to_string()).collect();
    assert_eq!(got, want);
    assert_eq!(v.as_object().unwrap().len(), VARS.len());

    let out = ClientRun::of(home.cmd_aws(&stub.url).args(["env", "--profile", "dev", "--format", "dotenv"]));
    let lines: Vec<String> = VARS.iter().zip(&want).map(|(k, v)| format!("{k}={v}")).collect();
    assert_eq!(out.stdout.lines().collect::<Vec<_>>(), lines);

    let out = ClientRun::of(home.cmd_aws(&stub.url).args(["env", "--profile", "dev", "--format", "powershell"]));
    let lines: Vec<String> = VARS.iter().zip(&want).map(|(k, v)| format!("$Env:{k} = '{v}'")).collect();
    assert_eq!(out.stdout.lines().collect::<Vec<_>>(), lines);
    assert_eq!(stub.count(PORTAL), 1);

    let run = Run::of(home.cmd().args(["env", "--profile", "dev", "--format", "cmd"]));
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert!(run.stderr.contains("sh, fish, powershell, json, dotenv"), "{}", run.stderr);
}

#[test]
fn env_errors_are_credential_process_errors() {
    let home = Home::new();
    let stub = aws_stub(|_, _| Reply::token(NEW_ACCESS, None, 3600), numbered_roles);
    for (args, code, needle) in [
        (vec!["env", "--profile", "dev"], 3, "login"),
        (vec!["env", "--profile", "static"], 2, "no SSO settings"),
        (vec!["env", "--profile", "nope"], 2, "unknown profile"),
    ] {
        let run = Run::of(home.cmd_aws(&stub.url).args(&args));
        assert_eq!((run.code, run.stdout.as_str()), (code, ""), "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
    assert!(stub.requests().is_empty());
    assert!(home.role_cache_files().is_empty());
}

#[test]
fn configure_prints_a_block_with_the_absolute_path() {
    let home = Home::new();
    let run = Run::of(home.cmd().args(["configure", "credential-process", "--profile", "dev"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_ssofresh")).unwrap();
    // Windows canonicalizes to `\\?\Z:\…`; the block has the form people type and cmd takes.
    let exe = std::path::PathBuf::from(exe.to_string_lossy().trim_start_matches(r"\\?\"));
    assert!(run.stdout.starts_with('\n'), "starts on a line of its own when appended");
    let config: Vec<&str> = run.stdout.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect();
    assert_eq!(
        config,
        [
            "[profile dev-cp]".to_string(),
            format!("credential_process = {} credential-process --profile dev", exe.display()),
            "region = us-east-1".to_string(),
            "ssofresh_generated = true".to_string(),
        ]
    );
    assert!(exe.is_absolute());
    // The block is valid config: pasted in, it parses to the line we mean.
    let merged = format!("{}{}", CONFIG.trim_end(), run.stdout);
    let cfg = ssofresh::aws::config::AwsConfig::parse(&merged).unwrap();
    assert!(cfg.profile("dev-cp").is_some());

    let run = Run::of(
        home.cmd()
            .args(["configure", "credential-process", "--profile", "dev", "--name", "tf"])
            .env("AWS_PROFILE", "x"),
    );
    assert!(run.stdout.contains("[profile tf]\n"), "{}", run.stdout);
    // An existing name gets a note on stderr; the block still goes to stdout.
    home.config(&format!("{CONFIG}\n[profile tf]\nregion = eu-west-1\n"));
    let run = Run::of(home.cmd().args(["configure", "credential-process", "--profile", "dev", "--name", "tf"]));
    assert_eq!(run.code, 0);
    assert!(run.stderr.contains("already has [profile tf]"), "{}", run.stderr);
    // AWS_PROFILE names the source profile when --profile is not given.
    let run = Run::of(home.cmd().args(["configure", "credential-process"]).env("AWS_PROFILE", "dev"));
    assert!(run.stdout.contains("[profile dev-cp]"), "{}", run.stdout);

    for (profile, code, needle) in
        [("nope", 2, "unknown profile"), ("static", 2, "no SSO settings"), ("dev", 2, "other than")]
    {
        let mut c = home.cmd();
        c.args(["configure", "credential-process", "--profile", profile]);
        if needle == "other than" {
            c.args(["--name", "dev"]);
        }
        let run = Run::of(&mut c);
        assert_eq!((run.code, run.stdout.as_str()), (code, ""), "{profile}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{profile}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    }
}
