//! `ssofresh configure sso-session | profiles | credential-process`: printed, and written into
//! the config in place (every other byte kept, a backup, the file's mode), read back by the
//! real AWS CLI v1 and botocore; profiles from a stub of the SSO portal's account and role
//! lists, paginated and throttled.

use crate::common::aws::*;
use crate::common::*;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A config with what real ones have: comments, a profile with keys ssofresh does not know,
/// a nested `s3` block, odd spacing, no final newline.
const MINE: &str = "# my config\n; keep me\n[default]\nregion = eu-west-1\noutput=json\n\n\
# the dev account\n[profile dev]  # trailing note\nsso_session = corp\nsso_account_id = 111122223333\n\
sso_role_name = Dev\ns3 =\n  max_concurrent_requests = 20\ncli_pager=\n\n\
[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region   =  us-east-1\n\
sso_registration_scopes = sso:account:access";

/// `~/.aws/config` as ssofresh shows it (`~\.aws\config` on Windows).
fn shown_config() -> String {
    let s = std::path::MAIN_SEPARATOR;
    format!("~{s}.aws{s}config")
}

fn config_path(home: &Home) -> std::path::PathBuf {
    home.path().join(".aws/config")
}

fn read_config(home: &Home) -> String {
    std::fs::read_to_string(config_path(home)).unwrap()
}

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// botocore's reading of the config in `home`: its sso-sessions and profiles.
#[cfg(not(windows))]
fn botocore_view(home: &Home) -> Value {
    let script = "import json, botocore.session\n\
        c = botocore.session.Session().full_config\n\
        print(json.dumps({'sessions': c.get('sso_sessions', {}), 'profiles': c.get('profiles', {})}))";
    let run = ClientRun::of(home.client("python3", "http://127.0.0.1:9").args(["-c", script]));
    assert_eq!(run.code, 0, "botocore could not read the config:\n{}\n{}", run.stdout, run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn sso_session_prints_the_section_and_writes_nothing() {
    let home = Home::new();
    home.config(MINE);
    let before = snapshot(home.path());
    let run = Run::of(home.cmd().args([
        "configure",
        "sso-session",
        "acme",
        "--start-url",
        "https://d-1234567890.awsapps.com/start",
        "--region",
        "eu-central-1",
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "[sso-session acme]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = eu-central-1\n\
         sso_registration_scopes = sso:account:access\n"
    );
    assert!(run.stderr.contains("--write") && run.stderr.contains("ssofresh login acme"), "{}", run.stderr);
    assert_eq!(snapshot(home.path()), before, "printing wrote a file");
}

// Not on Windows: reads the result with botocore from the CI's Linux virtual environment.
#[cfg(not(windows))]
#[test]
fn sso_session_write_keeps_every_other_byte_the_mode_and_a_backup() {
    if !require_python_module("botocore") {
        return;
    }
    let home = Home::new();
    home.config(MINE);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(config_path(&home), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    // A new session goes at the end, after one blank line (and the missing final newline).
    let run = Run::of(home.cmd().args([
        "configure",
        "sso-session",
        "acme",
        "--sso-start-url",
        "https://d-1234567890.awsapps.com/start",
        "--sso-region",
        "eu-central-1",
        "--write",
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("[sso-session acme]: updated ~/.aws/config"), "{}", run.stdout);
    assert!(run.stdout.contains("Next: ssofresh login acme"), "{}", run.stdout);
    let added = "\n\n[sso-session acme]\nsso_start_url = https://d-1234567890.awsapps.com/start\n\
                 sso_region = eu-central-1\nsso_registration_scopes = sso:account:access\n";
    assert_eq!(read_config(&home), format!("{MINE}{added}"));
    let backup = home.path().join(".aws/config.ssofresh.bak");
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), MINE, "the backup is the previous file");
    #[cfg(unix)]
    {
        assert_eq!(mode(&config_path(&home)), 0o644, "the config keeps its mode");
        assert_eq!(mode(&backup), 0o600);
    }

    // An existing session: its keys change in place, with their spacing; nothing else does.
    let run = Run::of(home.cmd().args(["configure", "sso-session", "corp", "--region", "eu-west-2", "--write"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let want = format!("{MINE}{added}").replace("sso_region   =  us-east-1", "sso_region   =  eu-west-2");
    assert_eq!(read_config(&home), want);

    // The AWS CLI's engine reads both sessions and every profile key as before.
    let view = botocore_view(&home);
    assert_eq!(view["sessions"]["corp"]["sso_region"], "eu-west-2");
    assert_eq!(view["sessions"]["corp"]["sso_start_url"], "https://corp.awsapps.com/start");
    assert_eq!(view["sessions"]["acme"]["sso_region"], "eu-central-1");
    assert_eq!(view["sessions"]["acme"]["sso_registration_scopes"], "sso:account:access");
    assert_eq!(view["profiles"]["dev"]["s3"]["max_concurrent_requests"], "20");
    assert_eq!(view["profiles"]["default"]["output"], "json");

    // The same again changes no byte and makes no backup.
    let before = snapshot(home.path());
    let run = Run::of(home.cmd().args(["configure", "sso-session", "corp", "--region", "eu-west-2", "--write"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("already says so; nothing changed"), "{}", run.stdout);
    assert_eq!(snapshot(home.path()), before);
}

#[test]
fn sso_session_write_creates_a_private_config_where_there_was_none() {
    let home = Home::new();
    std::fs::remove_dir_all(home.path().join(".aws")).unwrap();
    let run = Run::of(home.cmd().args([
        "configure",
        "sso-session",
        "corp",
        "--start-url",
        "https://corp.awsapps.com/start",
        "--region",
        "us-east-1",
        "--scopes",
        "sso:account:access,codewhisperer:completions",
        "--write",
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(&format!("created {}", shown_config())), "{}", run.stdout);
    assert_eq!(
        read_config(&home),
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n\
         sso_registration_scopes = sso:account:access,codewhisperer:completions\n"
    );
    assert!(!home.path().join(".aws/config.ssofresh.bak").exists(), "nothing to back up");
    #[cfg(unix)]
    {
        assert_eq!(mode(&config_path(&home)), 0o600);
        assert_eq!(mode(&home.path().join(".aws")), 0o700);
    }
}

#[test]
fn sso_session_refuses_bad_input_and_changes_nothing() {
    let home = Home::new();
    home.config(MINE);
    let before = snapshot(home.path());
    for (args, needle) in [
        (vec!["acme", "--start-url", "corp.awsapps.com/start", "--region", "us-east-1"], "AWS access portal URL"),
        (vec!["acme", "--start-url", "http://corp.awsapps.com/start", "--region", "us-east-1"], "not an https URL"),
        (vec!["acme", "--start-url", "https://corp.awsapps.com/start", "--region", "Frankfurt"], "not an AWS region"),
        (vec!["acme", "--region", "us-east-1"], "a new sso-session needs --start-url"),
        (
            vec!["my corp", "--start-url", "https://x.awsapps.com/start", "--region", "us-east-1"],
            "cannot be an sso-session name",
        ),
    ] {
        let mut c = home.cmd();
        c.args(["configure", "sso-session"]).args(&args).arg("--write");
        let run = Run::of(&mut c);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        assert_eq!(snapshot(home.path()), before, "{args:?} changed a file");
    }
}

#[test]
fn a_write_that_cannot_finish_leaves_the_config_as_it_was() {
    let home = Home::new();
    home.config(MINE);
    // The backup cannot be written (a directory is in its place): the config is not replaced.
    std::fs::create_dir(home.path().join(".aws/config.ssofresh.bak")).unwrap();
    let aws = home.path().join(".aws");
    let before = snapshot(&aws);
    let run = Run::of(home.cmd().args(["configure", "sso-session", "corp", "--region", "eu-west-2", "--write"]));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("cannot write") && run.stderr.contains("config.ssofresh.bak"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    assert_eq!(snapshot(&aws), before);

    // A config that is not UTF-8 text is not rewritten either.
    std::fs::remove_dir(home.path().join(".aws/config.ssofresh.bak")).unwrap();
    std::fs::write(config_path(&home), b"[profile x]\nregion = \xff\n").unwrap();
    let before = snapshot(&aws);
    let run = Run::of(home.cmd().args([
        "configure",
        "sso-session",
        "corp",
        "--start-url",
        "https://corp.awsapps.com/start",
        "--region",
        "eu-west-2",
        "--write",
    ]));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("not UTF-8"), "{}", run.stderr);
    assert_eq!(snapshot(&aws), before);
}

#[cfg(unix)]
#[test]
fn a_symlinked_config_is_written_where_the_link_points() {
    let home = Home::new();
    let dots = home.path().join("dotfiles");
    std::fs::create_dir(&dots).unwrap();
    std::fs::write(dots.join("aws-config"), MINE).unwrap();
    std::fs::remove_file(config_path(&home)).unwrap();
    std::os::unix::fs::symlink(dots.join("aws-config"), config_path(&home)).unwrap();
    let run = Run::of(home.cmd().args(["configure", "sso-session", "corp", "--region", "eu-west-2", "--write"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(std::fs::symlink_metadata(config_path(&home)).unwrap().file_type().is_symlink(), "the link was replaced");
    assert!(std::fs::read_to_string(dots.join("aws-config")).unwrap().contains("sso_region   =  eu-west-2"));
    assert_eq!(std::fs::read_to_string(dots.join("aws-config.ssofresh.bak")).unwrap(), MINE);
}

// ---- configure profiles ----

/// What the stub portal knows: accounts (id, name) with their roles, in pages of `page`.
struct Portal {
    accounts: Vec<(&'static str, &'static str, Vec<&'static str>)>,
    page: usize,
    /// Throttle this many requests first (429 TooManyRequestsException).
    throttle: AtomicUsize,
    /// The access token the portal accepts.
    token: &'static str,
}

fn portal(p: Portal) -> Stub {
    let p = Arc::new(p);
    Stub::start(move |req, _| {
        let path = req.path.split('?').next().unwrap_or("");
        if path == TOKEN {
            return Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600);
        }
        if !path.starts_with("/assignment/") {
            return Reply::json(404, json!({"message": "no such path"}));
        }
        if p.throttle.load(Ordering::SeqCst) > 0 {
            p.throttle.fetch_sub(1, Ordering::SeqCst);
            return Reply::portal_error(429, "TooManyRequestsException", "Rate exceeded");
        }
        if req.bearer() != Some(p.token) {
            return Reply::portal_error(401, "UnauthorizedException", "Session token not found or invalid");
        }
        assert_eq!(req.query("max_result").as_deref(), Some("100"), "{}", req.path);
        let start: usize = req.query("next_token").map(|t| t.trim_start_matches("page-").parse().unwrap()).unwrap_or(0);
        let (list, key): (Vec<Value>, &str) = if path == "/assignment/accounts" {
            let l = p
                .accounts
                .iter()
                .map(|(id, name, _)| json!({"accountId": id, "accountName": name, "emailAddress": "aws@example.com"}));
            (l.collect(), "accountList")
        } else {
            let id = req.query("account_id").unwrap();
            let roles = &p.accounts.iter().find(|(a, _, _)| *a == id).unwrap().2;
            (roles.iter().map(|r| json!({"roleName": r, "accountId": id})).collect(), "roleList")
        };
        let end = (start + p.page).min(list.len());
        let mut body = json!({ key: list[start..end] });
        if end < list.len() {
            body["nextToken"] = json!(format!("page-{end}"));
        }
        Reply::json(200, body)
    })
}

fn accounts() -> Vec<(&'static str, &'static str, Vec<&'static str>)> {
    vec![
        ("111122223333", "Prod", vec!["AdministratorAccess", "Dev", "ReadOnly"]),
        ("444455556666", "Sandbox (EU)", vec!["AdministratorAccess"]),
        ("777788889999", "Audit", vec!["ReadOnly"]),
    ]
}

fn profiles(home: &Home, stub: &Stub, args: &[&str]) -> Run {
    let mut c = home.cmd_aws(&stub.url);
    c.args(["configure", "profiles"]).args(args);
    Run::of(&mut c)
}

#[test]
fn profiles_for_every_account_and_role_through_pages_and_throttling() {
    let home = Home::new();
    home.write_token("corp", &token(3600));
    // Pages of one: every list takes several requests; the first two are throttled.
    let stub = portal(Portal { accounts: accounts(), page: 1, throttle: AtomicUsize::new(2), token: ACCESS });
    let before = snapshot(home.path());
    let run = profiles(&home, &stub, &["corp"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        snapshot(home.path()).iter().filter(|(p, _)| p.ends_with("config")).collect::<Vec<_>>(),
        before.iter().filter(|(p, _)| p.ends_with("config")).collect::<Vec<_>>(),
        "printing changed the config"
    );
    // Sorted by account name; the profile the user has for Prod/Dev is theirs.
    let blocks: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("[profile ")).collect();
    assert_eq!(
        blocks,
        [
            "[profile Audit-ReadOnly]",
            "[profile Prod-AdministratorAccess]",
            "[profile Prod-ReadOnly]",
            "[profile Sandbox-EU-AdministratorAccess]"
        ]
    );
    assert!(run.stdout.contains("# kept     dev"), "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "[profile Prod-AdministratorAccess]\nsso_session = corp\nsso_account_id = 111122223333\n\
         sso_role_name = AdministratorAccess\nregion = us-east-1\nssofresh_generated = true\n"
        ),
        "{}",
        run.stdout
    );
    let paths: Vec<String> = stub.requests().iter().map(|r| r.path.split('?').next().unwrap().to_string()).collect();
    assert_eq!(paths.iter().filter(|p| *p == "/assignment/accounts").count(), 3 + 2, "3 pages, 2 throttled");
    assert_eq!(paths.iter().filter(|p| *p == "/assignment/roles").count(), 5, "3 + 1 + 1 pages");
}

// Not on Windows: reads the result with the AWS CLI from the CI's Linux virtual environment.
#[cfg(not(windows))]
#[test]
fn profiles_write_adds_updates_its_own_and_is_idempotent() {
    if !require_tool("aws") {
        return;
    }
    let home = Home::new();
    home.write_token("corp", &token(3600));
    // A profile ssofresh wrote before (region to update), and one of the user's with a name
    // the template would produce for another role.
    let mine = format!(
        "{CONFIG}\n[profile Audit-ReadOnly]\nregion = us-west-2\n# kept as is\n\n\
         [profile old-gen]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\n\
         region = us-east-1\nssofresh_generated = true\n"
    );
    home.config(&mine);
    let stub = portal(Portal { accounts: accounts(), page: 100, throttle: AtomicUsize::new(0), token: ACCESS });
    let run = profiles(&home, &stub, &["--sso-session", "corp", "--region", "eu-west-1", "--write"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for line in [
        "added    Prod-AdministratorAccess",
        "kept     dev ",
        "updated  old-gen",
        "skipped  Audit-ReadOnly",
        "added    Sandbox-EU-AdministratorAccess",
    ] {
        assert!(run.stdout.contains(line), "{line}: {}", run.stdout);
    }
    let after = read_config(&home);
    // Everything before is there, byte for byte, except the updated region of old-gen.
    let want_prefix = mine.replace(
        "sso_role_name = ReadOnly\nregion = us-east-1\nssofresh_generated = true\n",
        "sso_role_name = ReadOnly\nregion = eu-west-1\nssofresh_generated = true\n",
    );
    assert!(after.starts_with(&want_prefix), "{after}");
    assert!(
        after.ends_with(
            "\n[profile Sandbox-EU-AdministratorAccess]\nsso_session = corp\nsso_account_id = 444455556666\n\
         sso_role_name = AdministratorAccess\nregion = eu-west-1\nssofresh_generated = true\n"
        ),
        "{after}"
    );

    // The AWS CLI reads them: v1 gets a key, v2 lists every profile.
    let get = ClientRun::of(home.client("aws", &stub.url).args([
        "configure",
        "get",
        "sso_account_id",
        "--profile",
        "Sandbox-EU-AdministratorAccess",
    ]));
    assert_eq!((get.code, get.stdout.trim()), (0, "444455556666"), "{}", get.stderr);
    if let Some(aws2) = require_aws2() {
        let list = ClientRun::of(home.client(&aws2.to_string_lossy(), &stub.url).args(["configure", "list-profiles"]));
        assert_eq!(list.code, 0, "{}", list.stderr);
        let mut got: Vec<&str> = list.stdout.lines().collect();
        got.sort();
        let mut want = vec!["default", "dev", "old", "static", "Audit-ReadOnly", "old-gen"];
        want.extend(["Prod-AdministratorAccess", "Prod-ReadOnly", "Sandbox-EU-AdministratorAccess"]);
        want.retain(|p| *p != "Prod-ReadOnly"); // old-gen is that role's profile
        want.sort();
        assert_eq!(got, want);
    }

    // Again: not a byte changes, and the backup is not rewritten either.
    let before = snapshot(home.path().join(".aws").as_path());
    let run = profiles(&home, &stub, &["--session", "corp", "--region", "eu-west-1", "--write"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("current  Prod-AdministratorAccess"), "{}", run.stdout);
    assert!(run.stdout.contains("nothing changed"), "{}", run.stdout);
    assert_eq!(snapshot(home.path().join(".aws").as_path()), before);
}

#[test]
fn profiles_need_a_login_and_say_so() {
    let home = Home::new();
    let stub = portal(Portal { accounts: accounts(), page: 100, throttle: AtomicUsize::new(0), token: ACCESS });
    let before = snapshot(home.path());
    let run = profiles(&home, &stub, &["corp", "--write"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("not logged in") && run.stderr.contains("ssofresh login corp"), "{}", run.stderr);
    assert!(stub.requests().is_empty());
    assert_eq!(snapshot(home.path()), before);

    // A token the portal rejects: a new login is the fix; the config is untouched.
    home.write_token("corp", &token(3600));
    let stub = portal(Portal { accounts: accounts(), page: 100, throttle: AtomicUsize::new(0), token: "other" });
    let cfg = read_config(&home);
    let run = profiles(&home, &stub, &["corp", "--write"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("rejected the access token") && run.stderr.contains("ssofresh login corp"),
        "{}",
        run.stderr
    );
    assert_eq!(read_config(&home), cfg);
}

/// A token the cache calls valid but the portal refuses (revoked early, a clock that is off):
/// one forced refresh and one more try, as for role credentials, before asking for a login.
#[test]
fn profiles_refresh_a_refused_token_once_then_list() {
    let home = Home::new();
    home.write_token("corp", &token(3600));
    // The portal knows only the token a refresh gives.
    let stub = portal(Portal { accounts: accounts(), page: 100, throttle: AtomicUsize::new(0), token: NEW_ACCESS });
    let run = profiles(&home, &stub, &["corp"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("[profile "), "{}", run.stdout);
    let token_calls = stub.requests().iter().filter(|r| r.path.split('?').next() == Some(TOKEN)).count();
    assert_eq!(token_calls, 1, "one forced refresh");
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS, "the refreshed token is kept");
}

#[test]
fn hostile_portal_names_never_reach_the_config_raw() {
    let home = Home::new();
    home.write_token("corp", &token(3600));
    let stub = Stub::start(|req, _| {
        let path = req.path.split('?').next().unwrap_or("");
        match path {
            "/assignment/accounts" => Reply::json(
                200,
                json!({"accountList": [
                    {"accountId": "111122223333", "accountName": "Evil]\n[default]\ncredential_process = rm -rf ~"},
                    {"accountId": "../../etc", "accountName": "x"},
                ]}),
            ),
            "/assignment/roles" => Reply::json(
                200,
                json!({"roleList": [
                    {"roleName": "Admin"},
                    {"roleName": "Bad\nregion = x"},
                ]}),
            ),
            _ => Reply::json(404, json!({})),
        }
    });
    let run = profiles(&home, &stub, &["corp", "--write"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("skipping account \"../../etc\""), "{}", run.stderr);
    assert!(run.stderr.contains("not an IAM role name"), "{}", run.stderr);
    let cfg = read_config(&home);
    assert!(cfg.ends_with(
        "\n[profile Evil-default-credential_process-rm-rf-Admin]\nsso_session = corp\nsso_account_id = 111122223333\n\
         sso_role_name = Admin\nregion = us-east-1\nssofresh_generated = true\n"
    ), "{cfg}");
    assert!(!cfg.contains("rm -rf") && !cfg.contains("Bad"), "{cfg}");
}

// ---- configure credential-process --write ----

#[test]
fn credential_process_write_replaces_its_own_block() {
    let home = Home::new();
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_ssofresh")).unwrap();
    // Windows canonicalizes to `\\?\Z:\…`; the block has the form people type and cmd takes.
    let exe = std::path::PathBuf::from(exe.to_string_lossy().trim_start_matches(r"\\?\"));
    let block = format!(
        "\n[profile dev-cp]\ncredential_process = {} credential-process --profile dev\nregion = us-east-1\nssofresh_generated = true\n",
        exe.display()
    );
    for n in 0..2 {
        let run = Run::of(home.cmd().args(["configure", "credential-process", "--profile", "dev", "--write"]));
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(read_config(&home), format!("{CONFIG}{block}"), "run {n}");
    }
    // A block an older ssofresh printed (appended by hand, no mark) is its own too.
    home.config(&format!(
        "{CONFIG}\n# Role Dev …\n[profile dev-cp]\ncredential_process = /old/bin/ssofresh credential-process --profile dev\n"
    ));
    let run = Run::of(home.cmd().args(["configure", "credential-process", "--profile", "dev", "--write"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let cfg = read_config(&home);
    assert_eq!(cfg.matches("[profile dev-cp]").count(), 1, "{cfg}");
    assert!(cfg.contains(&format!("credential_process = {} credential-process", exe.display())), "{cfg}");
    assert!(cfg.contains("# Role Dev …\n[profile dev-cp]\n"), "the comment stays: {cfg}");

    // A profile of the user's own by that name is refused, and nothing changes.
    home.config(&format!("{CONFIG}\n[profile dev-cp]\nregion = eu-west-1\n"));
    let before = snapshot(home.path());
    let run = Run::of(home.cmd().args(["configure", "credential-process", "--profile", "dev", "--write"]));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("which ssofresh did not write") && run.stderr.contains("--name"), "{}", run.stderr);
    assert_eq!(snapshot(home.path()), before);
}
