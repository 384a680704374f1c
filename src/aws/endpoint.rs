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

    fn default_url(self, region: &str) -> String {
        let suffix = if region.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
        match self {
            Service::SsoOidc => format!("https://oidc.{region}.{suffix}"),
            Service::Sso => format!("https://portal.sso.{region}.{suffix}"),
        }
    }
}

/// The SSO region an endpoint is built for, and where it was found (for the message when it is
/// not a region name). `resolve` checks it, so no endpoint is built from an unchecked one.
#[derive(Debug, Clone, PartialEq)]
pub struct Region<'a> {
    pub name: &'a str,
    /// `sso_region of [sso-session corp] in ~/.aws/config`, …
    pub origin: String,
}

impl<'a> Region<'a> {
    pub fn new(name: &'a str, origin: impl Into<String>) -> Region<'a> {
        Region { name, origin: origin.into() }
    }
}

/// botocore's `validate_region_name`: a host-name label (`^(?![0-9]+$)(?!-)[a-zA-Z0-9-]{,63}(?<!-)$`),
/// not empty. The region becomes part of a host name (`oidc.{region}.amazonaws.com`): anything
/// else could name another host (`evil.example/x?` sends the refresh token there).
pub fn is_region_name(name: &str) -> bool {
    let b = name.as_bytes();
    (1..=63).contains(&b.len())
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && !b.iter().all(u8::is_ascii_digit)
}

/// `resolve`'s check of the region, for a command that must know before it changes anything.
pub fn check_region(region: &Region) -> Result<(), EndpointError> {
    if is_region_name(region.name) {
        Ok(())
    } else {
        Err(EndpointError::BadRegion { origin: region.origin.clone(), value: shown(region.name) })
    }
}

/// A value from a file, quoted and escaped for a message: control characters cannot reach the
/// terminal, and a long one is cut.
fn shown(value: &str) -> String {
    let cut: String = value.chars().take(64).collect();
    let more = if cut.len() < value.len() { "…" } else { "" };
    format!("{cut:?}{more}")
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EndpointError {
    #[error("{origin} is {value}, which is not a region name (a host-name label such as us-east-1: letters, digits and hyphens); fix it")]
    BadRegion { origin: String, value: String },
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
    region: &Region,
    profile: Option<&Profile>,
    config: &AwsConfig,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(String, String), EndpointError> {
    // Checked even when an override names the endpoint, as botocore does: the setting is wrong
    // either way, and the next run without the override would use it.
    check_region(region)?;
    let region = region.name;
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
        let region = Region::new("eu-west-1", "test");
        resolve(service, &region, c.profile(profile), &c, |k| env.get(k).cloned()).map(|r| r.0)
    }

    #[test]
    fn region_names_are_checked_as_botocore_does() {
        for ok in ["us-east-1", "cn-north-1", "us-gov-west-1", "eu-isoe-west-1", "a", "A1", &"x".repeat(63)] {
            assert!(is_region_name(ok), "{ok}");
        }
        for bad in [
            "",
            "attacker.example/x?",
            "evil.example",
            "us-east-1.",
            "-us-east-1",
            "us-east-1-",
            "12345",
            "us east 1",
            "us-east-1\n",
            "ü-east-1",
            &"x".repeat(64),
        ] {
            assert!(!is_region_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_bad_region_is_refused_even_with_an_override() {
        let c = cfg();
        for env in [vec![], vec![("AWS_ENDPOINT_URL", "http://127.0.0.1:2")]] {
            let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            let region = Region::new("attacker.example/x?\u{1b}[31m", "sso_region of [sso-session corp] in /c");
            let e = resolve(Service::SsoOidc, &region, c.profile("dev"), &c, |k| env.get(k).cloned()).unwrap_err();
            let text = e.to_string();
            assert!(
                text.starts_with("sso_region of [sso-session corp] in /c is \"attacker.example/x?\\u{1b}[31m\""),
                "{text}"
            );
            assert!(!text.contains('\u{1b}'), "{text}");
        }
        let long = "a.".repeat(100);
        let e = resolve(Service::Sso, &Region::new(&long, "x"), None, &c, |_| None).unwrap_err().to_string();
        assert!(e.contains("…") && e.len() < 250, "{e}");
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
