//! The variables AWS tools read that ssofresh honours too, as the resolver found them when the
//! invocation started: `AWS_PROFILE` (the active profile, whose endpoint settings apply) and
//! the endpoint overrides of botocore's precedence (`endpoint`).

/// A snapshot: nothing here reads the process environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsEnv {
    /// `AWS_PROFILE`, as set (possibly empty).
    pub profile: Option<String>,
    /// `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>` and
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` that are set, by name.
    pub endpoint_vars: Vec<(&'static str, String)>,
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
