//! The variables AWS tools read that ssofresh honours too, as the resolver found them when the
//! invocation started: `AWS_PROFILE` (the active profile, whose endpoint settings apply), the
//! endpoint overrides of botocore's precedence (`endpoint`), and the proxy variables.

use crate::sys::secret::Secret;
use std::sync::{Arc, OnceLock};

/// A snapshot: nothing here reads the process environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsEnv {
    /// `AWS_PROFILE`, as set (possibly empty).
    pub profile: Option<String>,
    /// `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>` and
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` that are set, by name.
    pub endpoint_vars: Vec<(&'static str, String)>,
    pub proxy: ProxyEnv,
}

impl AwsEnv {
    /// The endpoint variables `endpoint::resolve` asks for; the resolver snapshots these.
    pub const ENDPOINT_VARS: [&'static str; 4] = [
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_SSO_OIDC",
        "AWS_ENDPOINT_URL_SSO",
    ];

    /// One of the endpoint variables, for `endpoint::resolve`.
    pub fn var(&self, name: &str) -> Option<String> {
        self.endpoint_vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
    }
}

/// The proxy for HTTPS endpoints, as curl, botocore and reqwest read it: `HTTPS_PROXY` (else
/// `https_proxy`), else `ALL_PROXY` (`all_proxy`); hosts in `NO_PROXY` (`no_proxy`) go direct.
/// `HTTP_PROXY` has nothing to do: plain http goes only to loopback, which never uses a proxy.
/// Values are secrets: a proxy URL may carry a user name and password.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    /// The variable that names the proxy, and its value (set and not empty).
    pub proxy: Option<(&'static str, Secret)>,
    pub no_proxy: Option<String>,
}

impl ProxyEnv {
    /// In the order they are looked at: the first one set names the proxy.
    pub const PROXY_VARS: [&'static str; 4] = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"];
    pub const NO_PROXY_VARS: [&'static str; 2] = ["NO_PROXY", "no_proxy"];
}

/// The snapshot, taken when first asked for: the no-op tick at every prompt needs none of it.
/// Clones share it.
#[derive(Clone)]
pub struct AwsEnvCell {
    cell: Arc<OnceLock<AwsEnv>>,
    read: fn() -> AwsEnv,
}

impl AwsEnvCell {
    /// `read` runs once, when the variables are first needed.
    pub fn new(read: fn() -> AwsEnv) -> AwsEnvCell {
        AwsEnvCell { cell: Arc::new(OnceLock::new()), read }
    }

    /// A snapshot taken already (tests, callers that built one).
    pub fn of(env: AwsEnv) -> AwsEnvCell {
        let cell = OnceLock::new();
        let _ = cell.set(env);
        AwsEnvCell { cell: Arc::new(cell), read: AwsEnv::default }
    }

    pub fn get(&self) -> &AwsEnv {
        self.cell.get_or_init(self.read)
    }
}

impl Default for AwsEnvCell {
    fn default() -> AwsEnvCell {
        AwsEnvCell::of(AwsEnv::default())
    }
}

impl std::fmt::Debug for AwsEnvCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Printing must not read the environment.
        match self.cell.get() {
            Some(env) => env.fmt(f),
            None => f.write_str("AwsEnv(not read yet)"),
        }
    }
}
