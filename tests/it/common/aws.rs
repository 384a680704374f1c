//! The other AWS endpoints in play once role credentials are involved: the SSO portal
//! (`GetRoleCredentials`) and STS (`GetCallerIdentity`), answered as AWS answers them; one stub
//! serving them next to SSO-OIDC; and commands running the real AWS CLI or botocore against it.

use super::{Home, Reply, Request, Stub};
use serde_json::json;
use std::path::PathBuf;
use std::process::Command;

/// Role credentials in fixtures carry this marker (not `MARK`: they rightly reach the stdout of
/// `credential-process`, and nowhere else).
pub const ROLE_MARK: &str = "ROLEMARK";
pub const ACCOUNT: &str = "111122223333";
/// botocore's role-cache key of profile `dev` (sso-session corp, 111122223333, Dev):
/// sha1 of `{"accountId":"111122223333","roleName":"Dev","sessionName":"corp"}`.
pub const DEV_ROLE_KEY: &str = "20985b56d713cfd135648cadc68a6115ca80d9a5";

/// The n-th set of role credentials the portal stub hands out.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleCreds {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// Epoch milliseconds, as the portal sends it.
    pub expiration_ms: i64,
}

/// "Now" for fixtures, fixed once per test process so that the stub and the assertions agree.
fn base_time() -> i64 {
    static BASE: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *BASE.get_or_init(|| chrono::Utc::now().timestamp())
}

impl RoleCreds {
    /// Deterministic per `n`; expiring `expires_in_secs` after the first fixture was made.
    pub fn nth(n: usize, expires_in_secs: i64) -> RoleCreds {
        RoleCreds {
            access_key_id: format!("ASIA{ROLE_MARK}{n:08}"),
            secret_access_key: format!("rs-{ROLE_MARK}-secret-{n}"),
            session_token: format!("st-{ROLE_MARK}-session-{n}"),
            expiration_ms: (base_time() + expires_in_secs) * 1000 + 123,
        }
    }
    /// Like `nth`, but expiring `expires_in_secs` from now: for a cache file whose time left
    /// matters to the test, however long the test process has run before it.
    pub fn nth_from_now(n: usize, expires_in_secs: i64) -> RoleCreds {
        RoleCreds { expiration_ms: (chrono::Utc::now().timestamp() + expires_in_secs) * 1000 + 123, ..Self::nth(n, 0) }
    }
    /// `Expiration` as botocore and ssofresh write it (whole seconds, `Z`).
    pub fn expiration(&self) -> String {
        chrono::DateTime::from_timestamp(self.expiration_ms / 1000, 0).unwrap().format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }
}

impl Reply {
    /// A `GetRoleCredentials` answer.
    pub fn role_credentials(c: &RoleCreds) -> Reply {
        Reply::json(
            200,
            json!({"roleCredentials": {
                "accessKeyId": c.access_key_id,
                "secretAccessKey": c.secret_access_key,
                "sessionToken": c.session_token,
                "expiration": c.expiration_ms,
            }}),
        )
    }
    /// A portal error: `{"message"}` and `x-amzn-ErrorType` (401 UnauthorizedException,
    /// 403 ForbiddenException, 429 TooManyRequestsException, …).
    pub fn portal_error(status: u16, exception: &str, message: &str) -> Reply {
        Reply::json(status, json!({"message": message})).header(
            "x-amzn-ErrorType",
            &format!("{exception}:http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/"),
        )
    }
    /// STS `GetCallerIdentity` (query protocol, XML). The user id ends with the access key the
    /// request was signed with, so a test can see which credentials the client used.
    pub fn sts_caller_identity(account: &str, access_key_id: &str) -> Reply {
        let xml = format!(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  \
             <GetCallerIdentityResult>\n    \
             <Arn>arn:aws:sts::{account}:assumed-role/AWSReservedSSO_Dev_0123456789abcdef/dev@example.com</Arn>\n    \
             <UserId>AROAEXAMPLEROLEID:{access_key_id}</UserId>\n    \
             <Account>{account}</Account>\n  \
             </GetCallerIdentityResult>\n  \
             <ResponseMetadata>\n    <RequestId>5ad1c1a0-0000-4000-8000-000000000001</RequestId>\n  </ResponseMetadata>\n\
             </GetCallerIdentityResponse>\n"
        );
        Reply::raw(200, "text/xml", xml).header("x-amzn-RequestId", "5ad1c1a0-0000-4000-8000-000000000001")
    }
    /// An STS error as the query protocol sends it.
    pub fn sts_error(status: u16, code: &str, message: &str) -> Reply {
        let xml = format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
             <Code>{code}</Code><Message>{message}</Message></Error>\
             <RequestId>5ad1c1a0-0000-4000-8000-000000000002</RequestId></ErrorResponse>"
        );
        Reply::raw(status, "text/xml", xml)
    }
}

impl Request {
    /// `x-amz-sso_bearer_token`: the access token a portal request carried.
    pub fn bearer(&self) -> Option<&str> {
        self.header("x-amz-sso_bearer_token")
    }
    /// The access key of a SigV4 `Authorization` header (`Credential=AKID/date/…`).
    pub fn signed_by(&self) -> Option<String> {
        let auth = self.header("authorization")?;
        let cred = auth.split("Credential=").nth(1)?;
        Some(cred.split('/').next()?.to_string())
    }
    /// A query-string parameter, percent-decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        let q = self.path.split_once('?')?.1;
        url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }
}

pub const PORTAL: &str = "/federation/credentials";
pub const TOKEN: &str = "/token";

/// Whether a request is STS `GetCallerIdentity` (`POST /`, form body).
pub fn is_sts(req: &Request) -> bool {
    req.method == "POST" && req.path == "/" && String::from_utf8_lossy(&req.body).contains("Action=GetCallerIdentity")
}

/// One loopback stub for SSO-OIDC (`/token`), the SSO portal and STS. `token` and `role` get
/// the request's number among those to the same path; STS answers for whoever signed.
pub fn aws_stub(
    token: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static,
    role: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static,
) -> Stub {
    Stub::start(move |req, n| {
        if req.path.starts_with(TOKEN) {
            token(req, n)
        } else if req.path.starts_with(PORTAL) {
            role(req, n)
        } else if is_sts(req) {
            match req.signed_by() {
                Some(akid) => Reply::sts_caller_identity(ACCOUNT, &akid),
                None => Reply::sts_error(403, "MissingAuthenticationToken", "Request is missing Authentication Token"),
            }
        } else {
            Reply::json(404, json!({"message": format!("stub: no route for {} {}", req.method, req.path)}))
        }
    })
}

/// The portal hands out `RoleCreds::nth(n, 3600)` to the n-th request.
pub fn numbered_roles(req: &Request, n: usize) -> Reply {
    let _ = req;
    Reply::role_credentials(&RoleCreds::nth(n, 3600))
}

/// Where the AWS CLI v2 (and ssofresh) cache role credentials.
impl Home {
    pub fn role_cache_dir(&self) -> PathBuf {
        self.path().join(".aws/cli/cache")
    }
    pub fn role_cache_path(&self, key: &str) -> PathBuf {
        self.role_cache_dir().join(format!("{key}.json"))
    }
    /// File names in the role cache, without ssofresh's lock files (empty when it does not
    /// exist).
    pub fn role_cache_files(&self) -> Vec<String> {
        super::cache_entries(&self.role_cache_dir())
    }
    /// A role-cache entry as botocore's `JSONFileCache` writes it.
    pub fn write_role_cache(&self, key: &str, c: &RoleCreds) -> PathBuf {
        let p = self.role_cache_path(key);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let v = json!({"ProviderType": "sso", "Credentials": {
            "AccessKeyId": c.access_key_id, "SecretAccessKey": c.secret_access_key,
            "SessionToken": c.session_token, "Expiration": c.expiration(), "AccountId": ACCOUNT}});
        std::fs::write(&p, v.to_string()).unwrap();
        p
    }

    /// `ssofresh` with every AWS endpoint at the stub.
    pub fn cmd_aws(&self, stub_url: &str) -> Command {
        let mut c = self.cmd_at(stub_url);
        c.env("AWS_ENDPOINT_URL_SSO", stub_url).env("AWS_ENDPOINT_URL_STS", stub_url);
        c
    }

    /// An external AWS client (the `aws` CLI, `python3` with botocore) in this HOME: config and
    /// credentials files inside it, every endpoint at the stub, no instance metadata, no proxy.
    /// ssofresh started by it as a credential_process inherits the same environment.
    pub fn client(&self, program: &str, stub_url: &str) -> Command {
        let blackhole = super::refused_url();
        let mut c = Command::new(program);
        c.env_clear()
            .current_dir(self.path())
            .env("HOME", self.path())
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_CONFIG_FILE", self.path().join(".aws/config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.path().join(".aws/credentials"))
            .env("AWS_ENDPOINT_URL_SSO", stub_url)
            .env("AWS_ENDPOINT_URL_SSO_OIDC", stub_url)
            .env("AWS_ENDPOINT_URL_STS", stub_url)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_MAX_ATTEMPTS", "1")
            .env("AWS_PAGER", "")
            .env("SSOFRESH_RETRY_BACKOFF", "0")
            .env("SSOFRESH_TIMEOUT", "3s")
            // Anything that is not the loopback stub goes to a closed port: no real network.
            .env("HTTPS_PROXY", &blackhole)
            .env("HTTP_PROXY", &blackhole)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .stdin(std::process::Stdio::null());
        c
    }
}

/// Output of an external client; unlike `Run`, its stdout may rightly hold role credentials.
pub struct ClientRun {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl ClientRun {
    pub fn of(cmd: &mut Command) -> ClientRun {
        let out = cmd.output().expect("run the client");
        ClientRun {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Whether `python3` can import `module`: like `require_tool`, a failure in CI, a notice locally.
pub fn require_python_module(module: &str) -> bool {
    if !super::require_tool("python3") {
        return false;
    }
    let ok = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("python3 cannot import {module}; .ci/run must install it");
        }
        eprintln!("notice: python3 cannot import {module}; skipping this test (CI fails instead)");
    }
    ok
}

/// The AWS CLI v2 (`SSOFRESH_TEST_AWS2`: .ci/run installs it from ../shared/wheels). Like
/// `require_tool`: in CI a missing one fails the test; elsewhere the test is skipped.
pub fn require_aws2() -> Option<PathBuf> {
    match std::env::var_os("SSOFRESH_TEST_AWS2").map(PathBuf::from).filter(|p| p.exists()) {
        Some(p) => Some(p),
        None if std::env::var_os("CI").is_some() => {
            panic!("SSOFRESH_TEST_AWS2 does not name the AWS CLI v2; .ci/run must install it")
        }
        None => {
            eprintln!("notice: SSOFRESH_TEST_AWS2 is not set; skipping the AWS CLI v2 checks (CI fails instead)");
            None
        }
    }
}
