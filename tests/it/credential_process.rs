//! `ssofresh credential-process` end to end, against loopback stubs of SSO-OIDC and the SSO
//! portal with a temporary HOME.

use crate::common::aws::*;
use crate::common::*;
use serde_json::{json, Value};
use std::process::Command;
use std::time::Duration;

fn home_with_token(expires_in: i64) -> Home {
    let home = Home::new();
    home.write_token("corp", &token(expires_in));
    home
}

fn portal_stub() -> Stub {
    aws_stub(|_, _| Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600), numbered_roles)
}

fn cp(home: &Home, stub: &Stub) -> Command {
    let mut c = home.cmd_aws(&stub.url);
    c.args(["credential-process", "--profile", "dev"]);
    c
}

/// Parses and checks the credential_process contract; returns the JSON.
fn process_output(stdout: &str) -> Value {
    let v: Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"));
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "AccountId"]);
    assert!(v["Version"].is_u64() && v["Version"] == 1, "Version is the integer 1: {stdout}");
    let exp = v["Expiration"].as_str().unwrap();
    assert!(exp.len() == 20 && exp.ends_with('Z'), "{exp}");
    assert!(chrono::DateTime::parse_from_rfc3339(exp).is_ok(), "{exp}");
    v
}

fn assert_creds(v: &Value, c: &RoleCreds) {
    assert_eq!(v["AccessKeyId"], c.access_key_id);
    assert_eq!(v["SecretAccessKey"], c.secret_access_key);
    assert_eq!(v["SessionToken"], c.session_token);
    assert_eq!(v["Expiration"], c.expiration());
    assert_eq!(v["AccountId"], ACCOUNT);
}

/// A failed call: the exit code, empty stdout, one stderr line naming `who`, no secret of any
/// kind, nothing cached and the token cache as it was. Returns stderr.
fn fails(home: &Home, cmd: &mut Command, code: i32, who: &str) -> String {
    let token_before = std::fs::read(home.token_path("corp")).ok();
    let run = Run::of(cmd.env("SSOFRESH_LOG", "trace"));
    // The trace log goes to stderr too; the message is the line ssofresh itself prints.
    let lines: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("ssofresh: ")).collect();
    assert_eq!(run.code, code, "{}", run.stderr);
    assert_eq!(run.stdout, "", "stdout stays empty on failure");
    assert!(!run.stderr.contains(ROLE_MARK), "role credentials in stderr: {}", run.stderr);
    assert_eq!(lines.len(), 1, "one message line: {}", run.stderr);
    assert!(lines[0].contains(who), "names {who}: {}", lines[0]);
    assert!(home.role_cache_files().is_empty(), "nothing cached: {:?}", home.role_cache_files());
    assert_eq!(std::fs::read(home.token_path("corp")).ok(), token_before, "token cache unchanged");
    // Without the trace log, that line is all there is.
    let quiet = Run::of(cmd.env_remove("SSOFRESH_LOG"));
    assert_eq!(quiet.stderr.lines().count(), 1, "{}", quiet.stderr);
    assert_eq!((quiet.code, quiet.stdout.as_str()), (code, ""));
    lines[0].to_string()
}

#[test]
fn prints_credentials_and_caches_them_where_the_aws_cli_does() {
    let home = home_with_token(3600);
    let stub = portal_stub();
    let run = Run::of(&mut cp(&home, &stub));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let v = process_output(&run.stdout);
    let first = RoleCreds::nth(0, 3600);
    assert_creds(&v, &first);

    let reqs = stub.requests();
    assert_eq!(reqs.len(), 1, "no token refresh for a fresh token: {reqs:?}");
    let r = &reqs[0];
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, "/federation/credentials?role_name=Dev&account_id=111122223333");
    assert_eq!(r.query("role_name").as_deref(), Some("Dev"));
    assert_eq!(r.bearer(), Some(ACCESS));
    assert!(r.header("authorization").is_none(), "GetRoleCredentials is unsigned");

    // The AWS CLI v2's file, byte for byte as botocore's JSONFileCache writes it.
    let path = home.role_cache_path(DEV_ROLE_KEY);
    assert_eq!(home.role_cache_files(), [format!("{DEV_ROLE_KEY}.json")]);
    let expected = format!(
        r#"{{"ProviderType": "sso", "Credentials": {{"AccessKeyId": "{}", "SecretAccessKey": "{}", "SessionToken": "{}", "Expiration": "{}", "AccountId": "{ACCOUNT}"}}}}"#,
        first.access_key_id,
        first.secret_access_key,
        first.session_token,
        first.expiration()
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&home.role_cache_dir()), 0o700);
        assert_eq!(mode(&home.path().join(".aws/cli")), 0o700);
    }

    // Cached: the same credentials, no request.
    for _ in 0..3 {
        let again = Run::of(&mut cp(&home, &stub));
        assert_eq!(again.code, 0, "{}", again.stderr);
        assert_eq!(again.stdout, run.stdout);
    }
    assert_eq!(stub.requests().len(), 1);

    // The activity log has the fetch, without secrets.
    let log = std::fs::read_to_string(home.activity_log()).unwrap();
    assert_eq!(log.matches("\"role_credentials\"").count(), 1, "{log}");
    assert!(!log.contains(ROLE_MARK) && !log.contains(MARK), "{log}");
}

#[test]
fn reuses_cached_credentials_until_less_than_the_window_is_left() {
    let home = home_with_token(3600);
    let stub = portal_stub();
    // Written by the AWS CLI v2 (compact JSON is fine too): 20 minutes left → reused.
    let cli = RoleCreds { access_key_id: format!("ASIA{ROLE_MARK}CLI"), ..RoleCreds::nth_from_now(99, 20 * 60) };
    home.write_role_cache(DEV_ROLE_KEY, &cli);
    let run = Run::of(&mut cp(&home, &stub));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_creds(&process_output(&run.stdout), &cli);
    assert_eq!(stub.count(PORTAL), 0);

    // 10 minutes left: inside the default 15-minute window → fetched anew and replaced.
    let short = RoleCreds::nth_from_now(98, 10 * 60);
    home.write_role_cache(DEV_ROLE_KEY, &short);
    let run = Run::of(cp(&home, &stub).args(["--window", "5m"]));
    assert_creds(&process_output(&run.stdout), &short);
    assert_eq!(stub.count(PORTAL), 0, "outside a 5-minute window: still good");
    let run = Run::of(&mut cp(&home, &stub));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_creds(&process_output(&run.stdout), &RoleCreds::nth(0, 3600));
    assert_eq!(stub.count(PORTAL), 1);
    let cached: Value = serde_json::from_slice(&std::fs::read(home.role_cache_path(DEV_ROLE_KEY)).unwrap()).unwrap();
    assert_eq!(cached["Credentials"]["AccessKeyId"], RoleCreds::nth(0, 3600).access_key_id);

    // SSOFRESH_WINDOW works like --window.
    let run = Run::of(cp(&home, &stub).env("SSOFRESH_WINDOW", "2h"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(stub.count(PORTAL), 2, "a 2h window makes 1h credentials too short");
}

#[test]
fn unusable_cache_entries_are_replaced() {
    for bytes in [&b"{not json"[..], b"[]", br#"{"Credentials": {"AccessKeyId": "x"}}"#, b""] {
        let home = home_with_token(3600);
        let stub = portal_stub();
        let p = home.role_cache_path(DEV_ROLE_KEY);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        let run = Run::of(&mut cp(&home, &stub));
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(stub.count(PORTAL), 1);
        let cached: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        assert_eq!(cached["ProviderType"], "sso");
    }
}

/// A role-credential cache entry that cannot be replaced (Windows: the AWS CLI v2 reading it
/// with Python's sharing; here elsewhere: a directory in its place) costs only the caching:
/// the credentials are printed, a warning says why and that nothing is lost, and the next call
/// fetches new ones.
#[test]
fn credentials_that_cannot_be_cached_are_served_all_the_same() {
    let home = home_with_token(3600);
    let stub = portal_stub();
    let entry = home.role_cache_path(DEV_ROLE_KEY);
    #[cfg(windows)]
    let _held = {
        use std::os::windows::fs::OpenOptionsExt;
        home.write_role_cache(DEV_ROLE_KEY, &RoleCreds::nth(9, 60));
        std::fs::OpenOptions::new().read(true).share_mode(0x1 | 0x2).open(&entry).unwrap()
    };
    #[cfg(not(windows))]
    std::fs::create_dir_all(&entry).unwrap();
    for n in 0..2 {
        let run = Run::of(&mut cp(&home, &stub));
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_creds(&process_output(&run.stdout), &RoleCreds::nth(n, 3600));
        assert!(!run.stderr.contains(ROLE_MARK), "{}", run.stderr);
        assert!(
            run.stderr.contains("cannot cache the credentials")
                && run.stderr.contains("delivered all the same, and the next call fetches new ones"),
            "{}",
            run.stderr
        );
        #[cfg(windows)]
        assert!(run.stderr.contains("it is open in another program"), "{}", run.stderr);
    }
    assert_eq!(stub.count(PORTAL), 2);
}

#[test]
fn no_cache_neither_reads_nor_writes() {
    let home = home_with_token(3600);
    let stub = portal_stub();
    home.write_role_cache(DEV_ROLE_KEY, &RoleCreds::nth(99, 3600));
    let before = std::fs::read(home.role_cache_path(DEV_ROLE_KEY)).unwrap();
    let run = Run::of(cp(&home, &stub).arg("--no-cache"));
    assert_creds(&process_output(&run.stdout), &RoleCreds::nth(0, 3600));
    let run = Run::of(cp(&home, &stub).env("SSOFRESH_NO_CACHE", "1"));
    assert_creds(&process_output(&run.stdout), &RoleCreds::nth(1, 3600));
    assert_eq!(stub.count(PORTAL), 2);
    assert_eq!(std::fs::read(home.role_cache_path(DEV_ROLE_KEY)).unwrap(), before);
    // And with nothing cached, nothing appears.
    let home = home_with_token(3600);
    assert_eq!(Run::of(cp(&home, &stub).arg("--no-cache")).code, 0);
    assert!(home.role_cache_files().is_empty());
}

#[test]
fn refreshes_a_token_inside_the_threshold_first() {
    let home = home_with_token(5 * 60);
    let stub = portal_stub();
    let run = Run::of(cp(&home, &stub).env("SSOFRESH_LOG", "trace"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains(ROLE_MARK), "{}", run.stderr);
    process_output(&run.stdout);
    let reqs = stub.requests();
    let paths: Vec<&str> = reqs.iter().map(|r| r.path.split('?').next().unwrap()).collect();
    assert_eq!(paths, [TOKEN, PORTAL], "refresh, then fetch");
    assert_eq!(reqs[0].json()["refreshToken"], REFRESH);
    assert_eq!(reqs[1].bearer(), Some(NEW_ACCESS), "the portal gets the new token");
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS);
    assert_eq!(home.read_token("corp")["someToolField"], json!({"kept": true}));

    // A custom threshold: 30 minutes left is fresh for 20m, due for 1h.
    let home = home_with_token(30 * 60);
    let stub = portal_stub();
    assert_eq!(Run::of(cp(&home, &stub).arg("--no-cache")).code, 0);
    assert_eq!(stub.count(TOKEN), 0);
    assert_eq!(Run::of(cp(&home, &stub).args(["--no-cache", "--threshold", "1h"])).code, 0);
    assert_eq!(stub.count(TOKEN), 1);
}

#[test]
fn a_failed_refresh_of_a_token_that_still_works_is_not_fatal() {
    // 12 minutes left, inside the threshold; the refresh fails, the token still works.
    for reply in [
        Reply::oidc_error(500, "server_error", "InternalServerException"),
        Reply::oidc_error(400, "invalid_grant", "InvalidGrantException"),
    ] {
        let home = home_with_token(12 * 60);
        let stub = aws_stub(move |_, _| reply.clone(), numbered_roles);
        let run = Run::of(cp(&home, &stub).args(["--max-retry-attempts", "0"]));
        assert_eq!(run.code, 0, "{}", run.stderr);
        process_output(&run.stdout);
        assert_eq!(stub.count(TOKEN), 1);
        assert_eq!(stub.requests().last().unwrap().bearer(), Some(ACCESS));
        assert_eq!(home.read_token("corp")["accessToken"], ACCESS);
    }
    // Once backing off (or rejected), later calls do not hammer /token while the token works.
    let home = home_with_token(12 * 60);
    let stub = aws_stub(|_, _| Reply::raw(503, "text/plain", "down"), numbered_roles);
    for _ in 0..3 {
        assert_eq!(Run::of(cp(&home, &stub).args(["--no-cache", "--max-retry-attempts", "0"])).code, 0);
    }
    assert_eq!(stub.count(TOKEN), 1);
    assert_eq!(stub.count(PORTAL), 3);
}

#[test]
fn login_needed_exits_3_naming_the_profile_and_the_command() {
    // Never logged in.
    let home = Home::new();
    let stub = portal_stub();
    let msg = fails(&home, &mut cp(&home, &stub), 3, "profile dev");
    assert!(msg.contains("not logged in") && msg.contains("corp") && msg.contains("login"), "{msg}");
    assert!(stub.requests().is_empty());

    // Expired, and the refresh token is rejected.
    let home = home_with_token(-60);
    let stub = aws_stub(|_, _| Reply::oidc_error(400, "invalid_grant", "InvalidGrantException"), numbered_roles);
    let before = std::fs::read(home.token_path("corp")).unwrap();
    let run = Run::of(&mut cp(&home, &stub));
    assert_eq!((run.code, run.stdout.as_str()), (3, ""), "{}", run.stderr);
    assert!(
        run.stderr.contains("invalid_grant") && run.stderr.contains("corp") && run.stderr.contains("login"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1);
    assert_eq!(std::fs::read(home.token_path("corp")).unwrap(), before);
    assert_eq!(stub.count(PORTAL), 0, "no portal call with an expired token");
    // The rejected refresh token is not sent again.
    let msg = fails(&home, &mut cp(&home, &stub), 3, "profile dev");
    assert!(msg.contains("login"), "{msg}");
    assert_eq!(stub.count(TOKEN), 1);

    // The portal rejects the token (401).
    let home = home_with_token(3600);
    let stub = aws_stub(
        |_, _| Reply::token(NEW_ACCESS, None, 3600),
        |_, _| Reply::portal_error(401, "UnauthorizedException", "Session token not found or invalid"),
    );
    // The cache called it valid: one forced refresh and one more portal call, then a login.
    let run = Run::of(&mut cp(&home, &stub));
    assert_eq!((run.code, run.stdout.as_str()), (3, ""), "{}", run.stderr);
    let msg = run.stderr.trim();
    assert!(msg.contains("rejected the access token") && msg.contains("corp") && msg.contains("login"), "{msg}");
    assert_eq!((stub.count(TOKEN), stub.count(PORTAL)), (1, 2), "one refresh, no loop");
    assert!(home.role_cache_files().is_empty());

    // Legacy profile whose fixed token expired: no refresh possible.
    let home = Home::new();
    let mut t = token(-60);
    t.as_object_mut().unwrap().remove("refreshToken");
    home.write_token("https://old.awsapps.com/start", &t);
    let stub = portal_stub();
    let msg = fails(&home, home.cmd_aws(&stub.url).args(["credential-process", "--profile", "old"]), 3, "profile old");
    assert!(msg.contains("legacy") && msg.contains("login --profile old"), "{msg}");
    assert!(stub.requests().is_empty());
}

#[test]
fn configuration_errors_exit_2_before_any_request() {
    let home = home_with_token(3600);
    home.config(&format!(
        "{CONFIG}\n[profile half]\nsso_session = corp\nsso_role_name = Dev\n\n[profile norole]\nsso_session = corp\nsso_account_id = {ACCOUNT}\n\n\
         [profile ghost]\nsso_session = nowhere\nsso_account_id = {ACCOUNT}\nsso_role_name = Dev\n"
    ));
    let stub = portal_stub();
    for (args, who, needle) in [
        (vec!["--profile", "nope"], "'nope'", "unknown profile"),
        (vec!["--profile", "static"], "'static'", "ssofresh configure profiles"),
        (vec!["--profile", "half"], "profile half", "sso_account_id"),
        (vec!["--profile", "norole"], "profile norole", "sso_role_name"),
        (vec!["--profile", "ghost"], "'ghost'", "nowhere"),
        (vec!["--profile", "dev", "--account-id", "12"], "profile dev", "12 digits"),
        (vec!["--session", "corp", "--role-name", "Dev"], "sso-session corp", "--account-id"),
        (vec!["--session", "nope", "--account-id", ACCOUNT, "--role-name", "Dev"], "'nope'", "unknown sso-session"),
        (vec![], "--profile", "name a profile"),
    ] {
        let mut c = home.cmd_aws(&stub.url);
        c.arg("credential-process").args(&args);
        let msg = fails(&home, &mut c, 2, who);
        assert!(msg.contains(needle), "{args:?}: {msg}");
    }
    let run = Run::of(home.cmd().args(["credential-process", "--profile", "dev", "--session", "corp"]));
    assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{}", run.stderr);
    assert!(stub.requests().is_empty());
}

#[test]
fn portal_refusals_and_faults() {
    // 403: this role is not assigned; a login would not help.
    let home = home_with_token(3600);
    let stub = aws_stub(
        |_, _| Reply::token(NEW_ACCESS, None, 3600),
        |_, _| Reply::portal_error(403, "ForbiddenException", "No access"),
    );
    let msg = fails(&home, &mut cp(&home, &stub), 2, "profile dev");
    assert!(
        msg.contains("No access") && msg.contains("Dev") && msg.contains(ACCOUNT) && msg.contains("sso_role_name"),
        "{msg}"
    );

    // 500 and 429 are retried, then reported as transient.
    for reply in [
        Reply::raw(500, "text/html", "<html>oops</html>"),
        Reply::portal_error(429, "TooManyRequestsException", "Rate exceeded"),
    ] {
        let home = home_with_token(3600);
        let stub = aws_stub(|_, _| Reply::token(NEW_ACCESS, None, 3600), move |_, _| reply.clone());
        let msg = fails(
            &home,
            cp(&home, &stub).args(["--max-retry-attempts", "2", "--retry-backoff", "0"]),
            1,
            "profile dev",
        );
        assert!(msg.contains("try again") && msg.contains("3 attempts"), "{msg}");
        assert_eq!(stub.count(PORTAL), 6, "two runs of three attempts");
    }

    // A 503 then success: the retry works.
    let home = home_with_token(3600);
    let stub = aws_stub(
        |_, _| Reply::token(NEW_ACCESS, None, 3600),
        |req, n| if n == 0 { Reply::raw(503, "text/plain", "busy") } else { numbered_roles(req, n) },
    );
    let run = Run::of(cp(&home, &stub).args(["--retry-backoff", "0"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_creds(&process_output(&run.stdout), &RoleCreds::nth(1, 3600));

    // A 200 without credentials, a refused connection.
    let home = home_with_token(3600);
    let stub =
        aws_stub(|_, _| Reply::token(NEW_ACCESS, None, 3600), |_, _| Reply::json(200, json!({"roleCredentials": {}})));
    let msg = fails(&home, cp(&home, &stub).args(["--max-retry-attempts", "0"]), 1, "profile dev");
    assert!(msg.contains("roleCredentials"), "{msg}");
    let url = refused_url();
    let mut c = home.cmd_at(&url);
    c.env("AWS_ENDPOINT_URL_SSO", &url).args(["credential-process", "--profile", "dev", "--max-retry-attempts", "0"]);
    let msg = fails(&home, &mut c, 1, "profile dev");
    assert!(msg.contains("connect"), "{msg}");

    // An echoing portal does not get the token printed.
    let home = home_with_token(3600);
    let stub = aws_stub(
        |_, _| Reply::token(NEW_ACCESS, None, 3600),
        |req, _| {
            Reply::portal_error(401, "UnauthorizedException", &format!("bad token {}", req.bearer().unwrap_or("")))
        },
    );
    // Run::of checks that no secret reached the output.
    let run = Run::of(cp(&home, &stub).env("SSOFRESH_LOG", "trace"));
    assert_eq!(run.code, 3, "{}", run.stderr);
}

#[test]
fn ten_concurrent_calls_make_one_request() {
    let home = home_with_token(3600);
    let stub = aws_stub(
        |_, _| Reply::token(NEW_ACCESS, None, 3600),
        |req, n| numbered_roles(req, n).delayed(Duration::from_millis(300)),
    );
    let children: Vec<_> = (0..10)
        .map(|_| {
            cp(&home, &stub).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert_eq!(stderr, "");
        assert_creds(&process_output(&stdout), &RoleCreds::nth(0, 3600));
    }
    assert_eq!(stub.count(PORTAL), 1);
    // No stray temp files next to the entry.
    assert_eq!(home.role_cache_files(), [format!("{DEV_ROLE_KEY}.json")]);
}

#[test]
fn session_account_and_role_without_a_profile_share_the_profiles_cache_entry() {
    let home = home_with_token(3600);
    let stub = portal_stub();
    let run = Run::of(home.cmd_aws(&stub.url).args([
        "credential-process",
        "--session",
        "corp",
        "--account-id",
        ACCOUNT,
        "--role-name",
        "Dev",
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_creds(&process_output(&run.stdout), &RoleCreds::nth(0, 3600));
    assert_eq!(home.role_cache_files(), [format!("{DEV_ROLE_KEY}.json")], "botocore's key has no profile in it");
    let run = Run::of(&mut cp(&home, &stub));
    assert_creds(&process_output(&run.stdout), &RoleCreds::nth(0, 3600));
    assert_eq!(stub.count(PORTAL), 1);

    // Another role of the same profile: its own entry.
    let run = Run::of(cp(&home, &stub).args(["--role-name", "Admin"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(stub.requests().last().unwrap().query("role_name").as_deref(), Some("Admin"));
    assert_eq!(home.role_cache_files().len(), 2);
}

#[test]
fn the_active_profile_is_the_default() {
    let home = home_with_token(3600);
    let stub = portal_stub();
    let run = Run::of(home.cmd_aws(&stub.url).arg("credential-process").env("AWS_PROFILE", "dev"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    process_output(&run.stdout);
}

#[test]
fn legacy_profiles_use_their_start_url_key() {
    let home = Home::new();
    let mut t = token(3600);
    t.as_object_mut().unwrap().remove("refreshToken");
    home.write_token("https://old.awsapps.com/start", &t);
    let stub = portal_stub();
    let run = Run::of(home.cmd_aws(&stub.url).args(["credential-process", "--profile", "old"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    process_output(&run.stdout);
    // sha1 of {"accountId":"111122223333","roleName":"Dev","startUrl":"https://old.awsapps.com/start"}
    assert_eq!(home.role_cache_files(), ["9de373c7ded8d5068d274f80baf9525ac988bb52.json"]);
    // Inside the threshold but valid: used as it is, never refreshed.
    let mut t = token(10 * 60);
    t.as_object_mut().unwrap().remove("refreshToken");
    home.write_token("https://old.awsapps.com/start", &t);
    let run = Run::of(home.cmd_aws(&stub.url).args(["credential-process", "--profile", "old", "--no-cache"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(stub.count(TOKEN), 0);
}

#[test]
fn no_secret_in_the_trace_log() {
    let home = home_with_token(5 * 60);
    let stub = portal_stub();
    let run = Run::of(cp(&home, &stub).env("SSOFRESH_LOG", "trace"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("GetRoleCredentials"), "the trace log is on: {}", run.stderr);
    assert!(!run.stderr.contains(ROLE_MARK), "{}", run.stderr);
    // Cached path too.
    let run = Run::of(cp(&home, &stub).env("SSOFRESH_LOG", "trace"));
    assert!(!run.stderr.contains(ROLE_MARK), "{}", run.stderr);
}

#[test]
fn endpoint_from_the_profiles_services_section() {
    let home = home_with_token(3600);
    let stub = portal_stub();
    home.config(
        &format!("{CONFIG}\n[services local]\nsso =\n  endpoint_url = {}\n", stub.url)
            .replace("[profile dev]\n", "[profile dev]\nservices = local\n"),
    );
    let run = Run::of(home.cmd().args(["credential-process", "--profile", "dev"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(stub.count(PORTAL), 1);
    // Plain http to anything but loopback is refused.
    let home = home_with_token(3600);
    let mut c = home.cmd();
    c.env("AWS_ENDPOINT_URL_SSO", "http://example.com").args(["credential-process", "--profile", "dev"]);
    let msg = fails(&home, &mut c, 2, "profile dev");
    assert!(msg.contains("plain http"), "{msg}");
}
