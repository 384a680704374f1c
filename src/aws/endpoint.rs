//! Which URL to call for SSO-OIDC and the SSO portal, with botocore's override precedence.

use crate::aws::config::{AwsConfig, Profile};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    SsoOidc,
    Sso,
}

impl Service {
    /// The suffix of `AWS_ENDPOINT_URL_<ID>` and the key inside a `[services]` section.
    fn ids(self) -> (&'static str, &'static str) {
        match self {
            Service::SsoOidc => ("SSO_OIDC", "sso_oidc"),
            Service::Sso => ("SSO", "sso"),
        }
    }

    pub fn default_url(self, region: &str) -> String {
        let suffix = if region.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
        match self {
            Service::SsoOidc => format!("https://oidc.{region}.{suffix}"),
            Service::Sso => format!("https://portal.sso.{region}.{suffix}"),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EndpointError {
    #[error("endpoint {url:?} ({source_name}) is not a valid URL")]
    Invalid { url: String, source_name: String },
    #[error("endpoint {url} ({source_name}) uses plain http to a host that is not loopback; use https")]
    Insecure { url: String, source_name: String },
}

/// Resolves the endpoint: `AWS_ENDPOINT_URL_<SERVICE>` > `AWS_ENDPOINT_URL` > the
/// `[services NAME]` section the profile names > the profile's `endpoint_url` > the regional
/// default; `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` (or the profile's
/// `ignore_configured_endpoint_urls`) disables every override. Returns the URL without a
/// trailing slash, and where it came from (for messages).
pub fn resolve(
    service: Service,
    region: &str,
    profile: Option<&Profile>,
    config: &AwsConfig,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(String, String), EndpointError> {
    let (env_id, services_key) = service.ids();
    let is_true = |v: Option<String>| v.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let ignore = match env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") {
        Some(v) if !v.trim().is_empty() => is_true(Some(v)),
        _ => is_true(profile.and_then(|p| p.ignore_configured_endpoint_urls.clone())),
    };
    let nonempty = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let mut found: Option<(String, String)> = None;
    if !ignore {
        let specific = format!("AWS_ENDPOINT_URL_{env_id}");
        found = nonempty(env(&specific))
            .map(|u| (u, specific))
            .or_else(|| nonempty(env("AWS_ENDPOINT_URL")).map(|u| (u, "AWS_ENDPOINT_URL".into())))
            .or_else(|| {
                let p = profile?;
                let section = p.services.as_deref()?;
                let url = config.services.get(section)?.get(services_key)?.get("endpoint_url")?;
                Some((url.clone(), format!("[services {section}] {services_key}")))
            })
            .or_else(|| {
                let p = profile?;
                Some((p.endpoint_url.clone()?, format!("endpoint_url of profile {}", p.name)))
            });
    }
    let (url, source_name) = found.unwrap_or_else(|| (service.default_url(region), "default".into()));
    check(&url, &source_name)?;
    Ok((url.trim_end_matches('/').to_string(), source_name))
}

/// Only https, or http to a loopback host (local emulators and tests).
fn check(url: &str, source_name: &str) -> Result<(), EndpointError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|_| EndpointError::Invalid { url: url.into(), source_name: source_name.into() })?;
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(()),
        "http" if is_loopback(&parsed) => Ok(()),
        "http" => Err(EndpointError::Insecure { url: url.into(), source_name: source_name.into() }),
        _ => Err(EndpointError::Invalid { url: url.into(), source_name: source_name.into() }),
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg() -> AwsConfig {
        AwsConfig::parse(
            "[profile dev]\nsso_session = corp\nservices = local\nendpoint_url = https://profile.example\n\
             [profile plain]\nsso_session = corp\nendpoint_url = https://profile.example/\n\
             [profile ignoring]\nsso_session = corp\nendpoint_url = https://profile.example\nignore_configured_endpoint_urls = true\n\
             [services local]\nsso_oidc =\n  endpoint_url = http://127.0.0.1:9000\nsso =\n  endpoint_url = https://portal.example\n",
        )
        .unwrap()
    }

    fn run(service: Service, profile: &str, env: &[(&str, &str)]) -> Result<String, EndpointError> {
        let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let c = cfg();
        resolve(service, "eu-west-1", c.profile(profile), &c, |k| env.get(k).cloned()).map(|r| r.0)
    }

    #[test]
    fn precedence() {
        use Service::*;
        let all = [("AWS_ENDPOINT_URL_SSO_OIDC", "http://127.0.0.1:1"), ("AWS_ENDPOINT_URL", "http://127.0.0.1:2")];
        assert_eq!(run(SsoOidc, "dev", &all).unwrap(), "http://127.0.0.1:1");
        assert_eq!(run(Sso, "dev", &all).unwrap(), "http://127.0.0.1:2", "SSO_OIDC is not SSO");
        assert_eq!(run(SsoOidc, "dev", &all[1..]).unwrap(), "http://127.0.0.1:2");
        assert_eq!(run(SsoOidc, "dev", &[]).unwrap(), "http://127.0.0.1:9000");
        assert_eq!(run(Sso, "dev", &[]).unwrap(), "https://portal.example");
        assert_eq!(run(SsoOidc, "plain", &[]).unwrap(), "https://profile.example");
        assert_eq!(run(SsoOidc, "nobody", &[]).unwrap(), "https://oidc.eu-west-1.amazonaws.com");
        assert_eq!(run(Sso, "nobody", &[]).unwrap(), "https://portal.sso.eu-west-1.amazonaws.com");
    }

    #[test]
    fn ignore_configured_endpoints() {
        let env = [("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"), ("AWS_ENDPOINT_URL", "http://127.0.0.1:2")];
        assert_eq!(run(Service::SsoOidc, "dev", &env).unwrap(), "https://oidc.eu-west-1.amazonaws.com");
        assert_eq!(run(Service::SsoOidc, "ignoring", &[]).unwrap(), "https://oidc.eu-west-1.amazonaws.com");
        let env = [("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false")];
        assert_eq!(run(Service::SsoOidc, "ignoring", &env).unwrap(), "https://profile.example");
    }

    #[test]
    fn china_regions() {
        assert_eq!(Service::SsoOidc.default_url("cn-north-1"), "https://oidc.cn-north-1.amazonaws.com.cn");
    }

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:2", "http://127.8.9.1"] {
            assert!(run(Service::SsoOidc, "x", &[("AWS_ENDPOINT_URL", ok)]).is_ok(), "{ok}");
        }
        for bad in ["http://example.com", "http://10.0.0.1", "ftp://127.0.0.1", "not a url"] {
            assert!(run(Service::SsoOidc, "x", &[("AWS_ENDPOINT_URL", bad)]).is_err(), "{bad}");
        }
    }
}
