//! From zero to fresh tokens without the AWS CLI: on a clean HOME with no AWS CLI on PATH,
//! `configure sso-session --write` → `login` (device code) → `configure profiles --write` →
//! `exec` of a command that calls STS with the credentials; and a second `configure profiles
//! --write` changes no byte. One loopback stub plays SSO-OIDC, the portal and STS.

use crate::common::aws::*;
use crate::common::*;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const DEVICE_CODE: &str = "dc-SECRETMARK-device";
const PROD: &str = "111122223333";
const SANDBOX: &str = "444455556666";

/// Identity Center as a newcomer meets it: register, device authorization (one pending poll),
/// the account and role lists, role credentials for the token it issued, and STS.
fn identity_center() -> (Stub, Arc<AtomicUsize>) {
    let polls = Arc::new(AtomicUsize::new(0));
    let seen = polls.clone();
    let stub = Stub::start(move |req, _| {
        let path = req.path.split('?').next().unwrap_or("");
        let signed_in = req.bearer() == Some(NEW_ACCESS);
        match (req.method.as_str(), path) {
            ("POST", "/client/register") => Reply::json(
                200,
                json!({
                    "clientId": "client-1", "clientSecret": CLIENT_SECRET,
                    "clientIdIssuedAt": chrono::Utc::now().timestamp(),
                    "clientSecretExpiresAt": chrono::Utc::now().timestamp() + 90 * 86400,
                }),
            ),
            ("POST", "/device_authorization") => Reply::json(
                200,
                json!({
                    "deviceCode": DEVICE_CODE, "userCode": "ABCD-EFGH",
                    "verificationUri": "https://device.sso.us-east-1.amazonaws.com/",
                    "verificationUriComplete": "https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH",
                    "expiresIn": 600, "interval": 1,
                }),
            ),
            ("POST", "/token") => match seen.fetch_add(1, Ordering::SeqCst) {
                0 => Reply::oidc_error(400, "authorization_pending", "AuthorizationPendingException"),
                _ => Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600),
            },
            ("GET", "/assignment/accounts") if signed_in => Reply::json(
                200,
                json!({"accountList": [
                    {"accountId": PROD, "accountName": "Prod", "emailAddress": "prod@example.com"},
                    {"accountId": SANDBOX, "accountName": "Sandbox", "emailAddress": "sandbox@example.com"},
                ]}),
            ),
            ("GET", "/assignment/roles") if signed_in => {
                let roles = match req.query("account_id").as_deref() {
                    Some(PROD) => vec!["AdministratorAccess", "ReadOnly"],
                    _ => vec!["Developer"],
                };
                Reply::json(200, json!({"roleList": roles.iter().map(|r| json!({"roleName": r})).collect::<Vec<_>>()}))
            }
            ("GET", PORTAL) if signed_in => Reply::role_credentials(&RoleCreds::nth(0, 3600)),
            ("GET", _) => Reply::portal_error(401, "UnauthorizedException", "Session token not found or invalid"),
            _ if is_sts(req) => match req.signed_by() {
                Some(akid) => Reply::sts_caller_identity(PROD, &akid),
                None => Reply::sts_error(403, "MissingAuthenticationToken", "missing"),
            },
            _ => Reply::json(404, json!({"message": "no such route"})),
        }
    });
    (stub, polls)
}

/// What the exec'd command does: print the names (never the values) of the AWS variables it
/// got, then call STS with them through botocore.
const CHILD: &str = "import os, botocore.session\n\
names = sorted(k for k in os.environ if k.startswith('AWS_') and not k.startswith('AWS_ENDPOINT_URL'))\n\
print(' '.join(names))\n\
sts = botocore.session.get_session().create_client('sts')\n\
print('account', sts.get_caller_identity()['Account'])\n";

#[test]
fn from_nothing_to_a_command_with_role_credentials_without_the_aws_cli() {
    if !require_python_module("botocore") {
        return;
    }
    // The interpreter itself, not a shim: the command exec runs is found by its path.
    let python = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap();
    let home = Home::new();
    std::fs::remove_dir_all(home.path().join(".aws")).unwrap();
    let (stub, polls) = identity_center();
    // Only the system's directories on PATH: no AWS CLI.
    let path = "/usr/bin:/bin";
    let no_aws = std::process::Command::new("sh").args(["-c", "command -v aws"]).env_clear().env("PATH", path).output();
    assert!(!no_aws.unwrap().status.success(), "an AWS CLI is on {path}");
    let ssofresh = |args: &[&str]| {
        let mut c = home.cmd_aws(&stub.url);
        c.env("PATH", path)
            .env("SSOFRESH_TEST_WAIT_SCALE", "0.01")
            .env("HTTPS_PROXY", refused_url())
            .env("NO_PROXY", "127.0.0.1")
            .args(args);
        c
    };

    // 1. The sso-session, into a config that does not exist yet.
    let run = Run::of(&mut ssofresh(&[
        "configure",
        "sso-session",
        "corp",
        "--start-url",
        "https://corp.awsapps.com/start",
        "--region",
        "us-east-1",
        "--write",
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Next: ssofresh login corp"), "{}", run.stdout);

    // 2. The login it points to: the device code, against the stub.
    let run = Run::of(&mut ssofresh(&["login", "corp", "--use-device-code"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("ABCD-EFGH"), "the code to enter: {}", run.stderr);
    assert!(run.stdout.contains("Logged in to corp"), "{}", run.stdout);
    assert_eq!(polls.load(Ordering::SeqCst), 2, "one pending poll, then the token");
    assert_eq!(home.read_token("corp")["refreshToken"], NEW_REFRESH);

    // 3. A profile for every account and role.
    let run = Run::of(&mut ssofresh(&["configure", "profiles", "--write"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    for p in ["Prod-AdministratorAccess", "Prod-ReadOnly", "Sandbox-Developer"] {
        assert!(run.stdout.contains(&format!("added    {p}")), "{p}: {}", run.stdout);
    }

    // 4. A command with a generated profile's credentials, calling STS.
    let run = Run::of(&mut ssofresh(&["exec", "--profile", "Prod-AdministratorAccess", "--", &python, "-c", CHILD]));
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "AWS_ACCESS_KEY_ID AWS_ACCOUNT_ID AWS_CREDENTIAL_EXPIRATION AWS_DEFAULT_REGION AWS_REGION \
             AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_SSOFRESH_PROFILE",
            &format!("account {PROD}"),
        ]
    );
    let creds = RoleCreds::nth(0, 3600);
    let sts: Vec<Request> = stub.requests().into_iter().filter(is_sts).collect();
    assert_eq!(sts.len(), 1);
    assert_eq!(sts[0].signed_by().as_deref(), Some(creds.access_key_id.as_str()), "signed with the role's key");
    assert_eq!(sts[0].header("x-amz-security-token"), Some(creds.session_token.as_str()));
    let portal = stub.requests().into_iter().find(|r| r.path.starts_with(PORTAL)).unwrap();
    assert_eq!(portal.query("account_id").as_deref(), Some(PROD));
    assert_eq!(portal.query("role_name").as_deref(), Some("AdministratorAccess"));
    assert!(!run.stderr.contains(ROLE_MARK), "{}", run.stderr);

    // 5. Again: not a byte of the config (or its backup) changes.
    let aws = home.path().join(".aws");
    let config_before: Vec<_> = snapshot(&aws).into_iter().filter(|(p, _)| !p.starts_with(aws.join("sso"))).collect();
    let run = Run::of(&mut ssofresh(&["configure", "profiles", "corp", "--write"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("nothing changed"), "{}", run.stdout);
    let config_after: Vec<_> = snapshot(&aws).into_iter().filter(|(p, _)| !p.starts_with(aws.join("sso"))).collect();
    assert_eq!(config_after, config_before);
}
