//! Interop with the real AWS CLI v1 and botocore (installed from PyPI by `.ci/run`), against
//! one loopback stub of SSO-OIDC, the SSO portal and STS, in a temporary HOME.

use crate::common::aws::*;
use crate::common::*;
use serde_json::Value;

/// `aws sts get-caller-identity --profile P`; returns the parsed answer.
fn caller_identity(home: &Home, stub: &Stub, profile: &str) -> Value {
    let run = ClientRun::of(home.client("aws", &stub.url).args([
        "sts",
        "get-caller-identity",
        "--profile",
        profile,
        "--output",
        "json",
    ]));
    assert_eq!(
        run.code,
        0,
        "aws failed:\nstdout: {}\nstderr: {}\nrequests: {:#?}",
        run.stdout,
        run.stderr,
        stub.requests()
    );
    assert!(!run.stderr.contains(MARK) && !run.stderr.contains(ROLE_MARK), "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("aws printed no JSON ({e}): {}", run.stdout))
}

fn sts_requests(stub: &Stub) -> Vec<Request> {
    stub.requests().into_iter().filter(is_sts).collect()
}

/// The core promise: after `ssofresh tick` refreshed a due token, the AWS CLI uses the new
/// token as it is and does not refresh it again itself.
#[test]
fn aws_cli_uses_the_token_tick_refreshed() {
    if !require_tool("aws") {
        return;
    }
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    let stub = aws_stub(|_, _| Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600), numbered_roles);

    let run = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(stub.count(TOKEN), 1);
    let after_tick = std::fs::read(home.token_path("corp")).unwrap();

    let id = caller_identity(&home, &stub, "dev");
    assert_eq!(id["Account"], ACCOUNT);
    let creds = RoleCreds::nth(0, 3600);
    assert_eq!(id["UserId"], format!("AROAEXAMPLEROLEID:{}", creds.access_key_id));

    let portal: Vec<Request> = stub.requests().into_iter().filter(|r| r.path.starts_with(PORTAL)).collect();
    assert_eq!(portal.len(), 1);
    assert_eq!(portal[0].bearer(), Some(NEW_ACCESS), "botocore sent the token ssofresh wrote");
    assert_eq!(portal[0].query("account_id").as_deref(), Some(ACCOUNT));
    assert_eq!(portal[0].query("role_name").as_deref(), Some("Dev"));
    assert_eq!(stub.count(TOKEN), 1, "botocore did not refresh the token again");
    assert_eq!(std::fs::read(home.token_path("corp")).unwrap(), after_tick, "nor rewrite the cache");

    let sts = sts_requests(&stub);
    assert_eq!(sts.len(), 1);
    assert_eq!(sts[0].signed_by().as_deref(), Some(creds.access_key_id.as_str()));
    assert_eq!(sts[0].header("x-amz-security-token"), Some(creds.session_token.as_str()));
}

/// A `credential_process` profile written by `ssofresh configure credential-process`: the
/// AWS CLI gets credentials through ssofresh, which refreshes the token first when due, and
/// later calls come from ssofresh's cache.
#[test]
fn aws_cli_runs_ssofresh_as_credential_process() {
    if !require_tool("aws") {
        return;
    }
    let home = Home::new();
    // Inside the 20-minute threshold, outside botocore's own 15 minutes.
    home.write_token("corp", &token(18 * 60));
    let stub = aws_stub(|_, _| Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600), numbered_roles);

    let block = Run::of(home.cmd().args(["configure", "credential-process", "--profile", "dev", "--name", "cp"]));
    assert_eq!(block.code, 0, "{}", block.stderr);
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_ssofresh")).unwrap();
    assert!(
        block.stdout.contains(&format!("credential_process = {} credential-process --profile dev\n", exe.display())),
        "{}",
        block.stdout
    );
    home.config(&format!("{CONFIG}\n{}", block.stdout));

    let id = caller_identity(&home, &stub, "cp");
    let creds = RoleCreds::nth(0, 3600);
    assert_eq!(id["Account"], ACCOUNT);
    assert_eq!(id["UserId"], format!("AROAEXAMPLEROLEID:{}", creds.access_key_id));
    let paths: Vec<String> = stub.requests().iter().map(|r| r.path.split('?').next().unwrap().to_string()).collect();
    assert_eq!(paths, [TOKEN, PORTAL, "/"], "refresh, fetch, then the STS call");
    let portal = stub.requests().into_iter().find(|r| r.path.starts_with(PORTAL)).unwrap();
    assert_eq!(portal.bearer(), Some(NEW_ACCESS), "the token was refreshed before the fetch");
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS);

    // Two more CLI runs: credentials from ssofresh's cache, no further GetRoleCredentials.
    for _ in 0..2 {
        caller_identity(&home, &stub, "cp");
    }
    assert_eq!(stub.count(PORTAL), 1);
    assert_eq!(stub.count(TOKEN), 1);
    let sts = sts_requests(&stub);
    assert_eq!(sts.len(), 3);
    for r in &sts {
        assert_eq!(r.signed_by().as_deref(), Some(creds.access_key_id.as_str()));
        assert_eq!(r.header("x-amz-security-token"), Some(creds.session_token.as_str()));
    }
}

/// A credential_process failure reaches the AWS CLI user as ssofresh's one line.
#[test]
fn aws_cli_shows_the_login_hint_of_a_failed_credential_process() {
    if !require_tool("aws") {
        return;
    }
    let home = Home::new();
    let stub = aws_stub(|_, _| Reply::token(NEW_ACCESS, None, 3600), numbered_roles);
    let block = Run::of(home.cmd().args(["configure", "credential-process", "--profile", "dev", "--name", "cp"]));
    home.config(&format!("{CONFIG}\n{}", block.stdout));
    let run = ClientRun::of(home.client("aws", &stub.url).args(["sts", "get-caller-identity", "--profile", "cp"]));
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("not logged in") && run.stderr.contains("login"), "{}", run.stderr);
    assert!(stub.requests().is_empty());
}

/// botocore, set up as the AWS CLI v2 sets it up (a `JSONFileCache` in ~/.aws/cli/cache for
/// the SSO provider), prints the credentials it resolved for `profile`.
const BOTOCORE: &str = r#"
import json, os, sys
import botocore.session
from botocore.credentials import JSONFileCache
session = botocore.session.Session(profile=sys.argv[1])
resolver = session.get_component('credential_provider')
resolver.get_provider('sso').cache = JSONFileCache(os.path.expanduser(os.path.join('~', '.aws', 'cli', 'cache')))
c = session.get_credentials().get_frozen_credentials()
print(json.dumps({'AccessKeyId': c.access_key, 'SecretAccessKey': c.secret_key, 'SessionToken': c.token}))
"#;

fn botocore_credentials(home: &Home, stub: &Stub) -> Value {
    let run = ClientRun::of(home.client("python3", &stub.url).args(["-c", BOTOCORE, "dev"]));
    assert_eq!(run.code, 0, "botocore failed:\n{}\n{}", run.stdout, run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn botocore_and_ssofresh_share_the_role_credential_cache() {
    if !require_python_module("botocore") {
        return;
    }
    // ssofresh fetches and caches; botocore finds the entry and makes no request.
    let home = Home::new();
    home.write_token("corp", &token(3600));
    let stub = aws_stub(|_, _| Reply::token(NEW_ACCESS, None, 3600), numbered_roles);
    let run = Run::of(home.cmd_aws(&stub.url).args(["credential-process", "--profile", "dev"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ours: Value = serde_json::from_str(&run.stdout).unwrap();
    let entry = std::fs::read(home.role_cache_path(DEV_ROLE_KEY)).unwrap();
    let theirs = botocore_credentials(&home, &stub);
    for k in ["AccessKeyId", "SecretAccessKey", "SessionToken"] {
        assert_eq!(theirs[k], ours[k], "{k}");
    }
    assert_eq!(stub.count(PORTAL), 1, "botocore used ssofresh's entry");
    assert_eq!(std::fs::read(home.role_cache_path(DEV_ROLE_KEY)).unwrap(), entry);

    // botocore fetches and caches; ssofresh finds the entry and makes no request.
    let home = Home::new();
    home.write_token("corp", &token(3600));
    let stub = aws_stub(|_, _| Reply::token(NEW_ACCESS, None, 3600), numbered_roles);
    let theirs = botocore_credentials(&home, &stub);
    assert_eq!(stub.count(PORTAL), 1);
    assert_eq!(home.role_cache_files(), [format!("{DEV_ROLE_KEY}.json")], "the same file name");
    let run = Run::of(home.cmd_aws(&stub.url).args(["credential-process", "--profile", "dev"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ours: Value = serde_json::from_str(&run.stdout).unwrap();
    for k in ["AccessKeyId", "SecretAccessKey", "SessionToken"] {
        assert_eq!(ours[k], theirs[k], "{k}");
    }
    assert_eq!(ours["Expiration"], RoleCreds::nth(0, 3600).expiration());
    assert_eq!(stub.count(PORTAL), 1, "ssofresh used botocore's entry");
    // And the bytes botocore wrote are the bytes ssofresh writes for the same credentials.
    let botocore_bytes = std::fs::read(home.role_cache_path(DEV_ROLE_KEY)).unwrap();
    let home2 = Home::new();
    home2.write_token("corp", &token(3600));
    let stub2 = aws_stub(|_, _| Reply::token(NEW_ACCESS, None, 3600), numbered_roles);
    assert_eq!(Run::of(home2.cmd_aws(&stub2.url).args(["credential-process", "--profile", "dev"])).code, 0);
    assert_eq!(std::fs::read(home2.role_cache_path(DEV_ROLE_KEY)).unwrap(), botocore_bytes);
}
