//! The SSO-OIDC client registration (`RegisterClient`), kept where and how the AWS CLI v2 keeps
//! it: `~/.aws/sso/cache/<key>.json`, key = SHA-1 of
//! `{"region": …, "scopes": […]|null, "session_name": …|null, "startUrl": …, "tool": "botocore"}`
//! (Python `json.dumps(sort_keys=True)`), content
//! `{"clientId", "clientSecret", "expiresAt", "scopes"?, "grantTypes"?}`. Sharing the file means
//! ssofresh and `aws sso login` reuse each other's registration instead of piling up new ones.

use crate::aws::token_cache::python_json;
use crate::sys::fs::write_atomic;
use crate::sys::secret::{hex, Secret};
use crate::text::timefmt;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use sha1::{Digest, Sha1};
use std::path::{Path, PathBuf};

/// What the authorization-code flow registers; a registration without them (the device flow's)
/// cannot be used for it, and the other way round — the AWS CLI keeps the same rule.
pub const AUTH_CODE_GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token"];

/// Scopes when `sso_registration_scopes` is absent: without one there is no refresh token.
pub const DEFAULT_SCOPE: &str = "sso:account:access";

/// Reused only with more than this left, so a login never writes a token whose registration
/// runs out within the day (after which no refresh works).
pub const MIN_LEFT: chrono::Duration = chrono::Duration::days(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    DeviceCode,
    AuthCode,
}

/// `sso_registration_scopes` as the AWS CLI parses it: comma-separated, trimmed, empties dropped.
pub fn parse_scopes(raw: &str) -> Vec<String> {
    raw.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// The AWS CLI v2's registration cache key. `scopes` is `None` when the config has no
/// `sso_registration_scopes`, `session_name` is `None` for a legacy profile.
pub fn cache_key(start_url: &str, region: &str, scopes: Option<&[String]>, session_name: Option<&str>) -> String {
    // Inserted in sorted key order; python_json gives json.dumps's spacing and escapes.
    let mut m = Map::new();
    m.insert("region".into(), json!(region));
    m.insert("scopes".into(), json!(scopes));
    m.insert("session_name".into(), json!(session_name));
    m.insert("startUrl".into(), json!(start_url));
    m.insert("tool".into(), json!("botocore"));
    hex(&Sha1::digest(python_json(&Value::Object(m))))
}

pub fn cache_path(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{key}.json"))
}

#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    pub client_id: String,
    pub client_secret: Secret,
    pub expires_at: DateTime<Utc>,
    pub scopes: Option<Vec<String>>,
    pub grant_types: Option<Vec<String>>,
}

impl Registration {
    /// A cached registration; anything unreadable counts as none (a new one is registered).
    pub fn load(path: &Path) -> Option<Registration> {
        // Null when unreadable: every field below is then missing.
        let v: Value = crate::sys::fs::load_json(path);
        let s = |k: &str| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
        let list = |k: &str| {
            v.get(k).and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        };
        Some(Registration {
            client_id: s("clientId")?.to_string(),
            client_secret: Secret::new(s("clientSecret")?),
            expires_at: timefmt::parse(s("expiresAt")?)?,
            scopes: list("scopes"),
            grant_types: list("grantTypes"),
        })
    }

    pub fn is_for(&self, flow: Flow) -> bool {
        let auth_code = self.grant_types.as_ref().is_some_and(|g| g.iter().any(|t| t == "authorization_code"));
        auth_code == (flow == Flow::AuthCode)
    }

    /// Usable for this flow with more than a day left.
    pub fn reusable(&self, flow: Flow, now: DateTime<Utc>) -> bool {
        self.is_for(flow) && self.expires_at - now > MIN_LEFT
    }

    /// The AWS CLI's bytes: its field order, `…SSZ` time, `json.dumps` spacing.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut m = Map::new();
        m.insert("clientId".into(), json!(self.client_id));
        m.insert("clientSecret".into(), json!(self.client_secret.expose()));
        m.insert("expiresAt".into(), json!(timefmt::format(self.expires_at)));
        if let Some(s) = &self.scopes {
            m.insert("scopes".into(), json!(s));
        }
        if let Some(g) = &self.grant_types {
            m.insert("grantTypes".into(), json!(g));
        }
        python_json(&Value::Object(m))
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        write_atomic(path, &self.to_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_matches_the_aws_cli() {
        // sha1 of the exact bytes json.dumps(args, sort_keys=True) gives.
        let text = r#"{"region": "us-east-1", "scopes": ["sso:account:access"], "session_name": "corp", "startUrl": "https://corp.awsapps.com/start", "tool": "botocore"}"#;
        let scopes = vec!["sso:account:access".to_string()];
        assert_eq!(
            cache_key("https://corp.awsapps.com/start", "us-east-1", Some(&scopes), Some("corp")),
            hex(&Sha1::digest(text.as_bytes()))
        );
        let legacy = r#"{"region": "eu-west-1", "scopes": null, "session_name": null, "startUrl": "https://old/start", "tool": "botocore"}"#;
        assert_eq!(cache_key("https://old/start", "eu-west-1", None, None), hex(&Sha1::digest(legacy.as_bytes())));
    }

    #[test]
    fn scopes_parse_like_the_cli() {
        assert_eq!(
            parse_scopes(" sso:account:access, ,codewhisperer:completions,"),
            ["sso:account:access", "codewhisperer:completions"]
        );
    }

    #[test]
    fn round_trip_and_flow_rules() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.json");
        let now = Utc::now();
        let r = Registration {
            client_id: "cid".into(),
            client_secret: Secret::new("csecret"),
            expires_at: timefmt::parse(&timefmt::format(now + chrono::Duration::days(90))).unwrap(),
            scopes: Some(vec!["sso:account:access".into()]),
            grant_types: Some(AUTH_CODE_GRANT_TYPES.iter().map(|s| s.to_string()).collect()),
        };
        r.save(&p).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.starts_with(r#"{"clientId": "cid", "clientSecret": "csecret", "expiresAt": ""#), "{text}");
        assert!(
            text.ends_with(
                r#"Z", "scopes": ["sso:account:access"], "grantTypes": ["authorization_code", "refresh_token"]}"#
            ),
            "{text}"
        );
        let back = Registration::load(&p).unwrap();
        assert_eq!(back, r);
        assert!(back.reusable(Flow::AuthCode, now) && !back.reusable(Flow::DeviceCode, now));
        let device = Registration { grant_types: None, ..r.clone() };
        assert!(device.reusable(Flow::DeviceCode, now) && !device.reusable(Flow::AuthCode, now));
        let short = Registration { expires_at: now + chrono::Duration::hours(23), ..device };
        assert!(!short.reusable(Flow::DeviceCode, now));
        std::fs::write(&p, b"{\"clientId\": \"x\"}").unwrap();
        assert!(Registration::load(&p).is_none());
    }
}
