//! The SSO portal's `GetRoleCredentials` (rest-json, unsigned: the access token is the credential).

use crate::aws::http::{self, Transient};
use crate::aws::oidc::normalize_code;
use crate::sys::secret::{one_line, redact, Secret};
use chrono::{DateTime, TimeZone, Utc};

/// Temporary credentials of one role. Every part but the account is a secret.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleCredentials {
    pub access_key_id: Secret,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    /// Whole seconds: botocore stores it so, and an SDK needs no more.
    pub expiration: DateTime<Utc>,
    pub account_id: String,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PortalError {
    /// 401: the access token is not (or no longer) accepted; only a login helps.
    #[error("the SSO portal rejected the access token ({code}{})", detail(.description))]
    Unauthorized { code: String, description: Option<String> },
    /// 400/403/404: this account or role is not available to the user; a login does not help.
    #[error("the SSO portal refused role {role} in account {account} ({code}{})", detail(.description))]
    Refused { account: String, role: String, code: String, description: Option<String> },
    #[error("{message}")]
    Transient { kind: Transient, message: String },
}

fn detail(d: &Option<String>) -> String {
    d.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
}

/// `GET {endpoint}/federation/credentials?role_name=R&account_id=A` with the access token in
/// `x-amz-sso_bearer_token`.
pub(crate) fn get_role_credentials(
    client: &http::Client,
    endpoint: &str,
    account_id: &str,
    role_name: &str,
    access_token: &Secret,
) -> Result<RoleCredentials, PortalError> {
    let mut url =
        reqwest::Url::parse(&format!("{endpoint}/federation/credentials")).map_err(|_| PortalError::Transient {
            kind: Transient::Other,
            message: format!("the portal endpoint {endpoint:?} is not a valid URL"),
        })?;
    url.query_pairs_mut().append_pair("role_name", role_name).append_pair("account_id", account_id);
    let token = http::secret_header(access_token).ok_or_else(|| PortalError::Unauthorized {
        code: "invalid_token".into(),
        description: Some("the cached access token is not a valid header value".into()),
    })?;
    let answer = http::exchange(client.get(url).header("x-amz-sso_bearer_token", token))
        .map_err(|(kind, message)| PortalError::Transient { kind, message })?;
    if answer.is_success() {
        return parse_success(&answer.body, account_id);
    }
    Err(classify(answer.status, answer.error_type.as_deref(), &answer.body, account_id, role_name, access_token))
}

/// `{"roleCredentials":{"accessKeyId","secretAccessKey","sessionToken","expiration":<epoch ms>}}`.
pub fn parse_success(bytes: &[u8], account_id: &str) -> Result<RoleCredentials, PortalError> {
    let bad = |what: &str| PortalError::Transient {
        kind: Transient::BadResponse,
        message: format!("the SSO portal answered 200 but {what}"),
    };
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| bad("not with JSON"))?;
    let rc = value.get("roleCredentials").filter(|v| v.is_object()).ok_or_else(|| bad("without roleCredentials"))?;
    let text = |k: &str| rc.get(k).and_then(|v| v.as_str()).filter(|s| !s.is_empty()).map(Secret::new);
    let ms = rc.get("expiration").and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)));
    let (Some(access_key_id), Some(secret_access_key), Some(session_token), Some(ms)) =
        (text("accessKeyId"), text("secretAccessKey"), text("sessionToken"), ms)
    else {
        return Err(bad("without complete roleCredentials"));
    };
    let expiration =
        Utc.timestamp_opt(ms.div_euclid(1000), 0).single().ok_or_else(|| bad("with an impossible expiration"))?;
    Ok(RoleCredentials {
        access_key_id,
        secret_access_key,
        session_token,
        expiration,
        account_id: account_id.to_string(),
    })
}

/// The AWS error an answer names (`x-amzn-ErrorType`, else the body's `__type`), in OAuth
/// spelling: `UnauthorizedException` → `unauthorized`. `None` when it names none, so
/// something other than AWS may have answered.
pub(crate) fn error_name(error_type: Option<&str>, body: &[u8]) -> Option<String> {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let type_field = json.as_ref().and_then(|j| j.get("__type")).and_then(|v| v.as_str());
    error_type
        .map(normalize_code)
        .or_else(|| type_field.map(|t| normalize_code(t.split(':').next().unwrap_or(t))))
        .filter(|c| !c.is_empty())
}

/// Sorts an error answer: 401 needs a login, 400/403/404 need other settings, the rest is
/// worth another try.
pub fn classify(
    status: u16,
    error_type: Option<&str>,
    body: &[u8],
    account_id: &str,
    role_name: &str,
    access_token: &Secret,
) -> PortalError {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |k: &str| json.as_ref().and_then(|j| j.get(k)).and_then(|v| v.as_str()).map(str::to_string);
    let code = error_name(error_type, body);
    let description = field("message")
        .or_else(|| field("Message"))
        .map(|d| one_line(&redact(&d, &[access_token]), 200))
        .filter(|d| !d.is_empty());
    let code_str = code.clone().unwrap_or_else(|| format!("HTTP {status}"));
    match (status, code.as_deref()) {
        (_, Some("too_many_requests" | "throttling" | "slow_down")) | (429, _) => PortalError::Transient {
            kind: Transient::Throttled,
            message: format!("the SSO portal is throttling requests ({code_str}){}", detail(&description)),
        },
        (500..=599, _) => PortalError::Transient {
            kind: Transient::Server,
            message: format!("the SSO portal answered HTTP {status} ({code_str}){}", detail(&description)),
        },
        // AWS names its 401 (UnauthorizedException); a bare one comes from something in the
        // way, and a login would not get past it.
        (401, None) => PortalError::Transient {
            kind: Transient::NotAws,
            message: format!(
                "the SSO portal answered HTTP 401 without naming an AWS error: a proxy, firewall or captive portal in the way?{}",
                description.map(|d| format!(" ({d})")).unwrap_or_default()
            ),
        },
        (401, _) | (_, Some("unauthorized")) => PortalError::Unauthorized { code: code_str, description },
        (400 | 403 | 404, _) | (_, Some("forbidden" | "resource_not_found" | "access_denied")) => {
            PortalError::Refused { account: account_id.into(), role: role_name.into(), code: code_str, description }
        }
        _ => PortalError::Transient {
            kind: Transient::Other,
            message: format!("the SSO portal answered HTTP {status} ({code_str}){}", detail(&description)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "access-token-secret-1";

    fn c(status: u16, header: Option<&str>, body: &str) -> PortalError {
        classify(status, header, body.as_bytes(), "111122223333", "Dev", &Secret::new(TOKEN))
    }

    #[test]
    fn parses_role_credentials() {
        let body = br#"{"roleCredentials":{"accessKeyId":"ASIA1","secretAccessKey":"s","sessionToken":"t","expiration":1767225600999}}"#;
        let r = parse_success(body, "111122223333").unwrap();
        assert_eq!(r.access_key_id.expose(), "ASIA1");
        assert_eq!(crate::text::timefmt::format(r.expiration), "2026-01-01T00:00:00Z");
        assert_eq!(r.account_id, "111122223333");
        assert!(!format!("{r:?}").contains("ASIA1"), "Debug shows no secret");
        for bad in [
            &b"<html>"[..],
            br#"{}"#,
            br#"{"roleCredentials":{"accessKeyId":"a","secretAccessKey":"s","expiration":1}}"#,
        ] {
            assert!(matches!(
                parse_success(bad, "1"),
                Err(PortalError::Transient { kind: Transient::BadResponse, .. })
            ));
        }
    }

    #[test]
    fn classifies_errors() {
        let h = |n: &str| format!("{n}:http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/");
        assert!(matches!(
            c(401, Some(&h("UnauthorizedException")), r#"{"message":"Session token not found or invalid"}"#),
            PortalError::Unauthorized { .. }
        ));
        assert!(matches!(c(401, None, r#"{"__type":"UnauthorizedException"}"#), PortalError::Unauthorized { .. }));
        for bare in ["", "<html>Sign in to continue</html>", r#"{"message":"Unauthorized"}"#] {
            assert!(matches!(c(401, None, bare), PortalError::Transient { kind: Transient::NotAws, .. }), "{bare}");
        }
        assert!(matches!(
            c(403, Some(&h("ForbiddenException")), r#"{"message":"No access"}"#),
            PortalError::Refused { .. }
        ));
        assert!(matches!(
            c(404, None, r#"{"__type":"ResourceNotFoundException","message":"x"}"#),
            PortalError::Refused { .. }
        ));
        assert!(matches!(
            c(429, Some("TooManyRequestsException"), "{}"),
            PortalError::Transient { kind: Transient::Throttled, .. }
        ));
        assert!(matches!(c(503, None, "<html>"), PortalError::Transient { kind: Transient::Server, .. }));
        let e = c(403, Some("ForbiddenException"), r#"{"message":"No access"}"#).to_string();
        assert!(
            e.contains("Dev") && e.contains("111122223333") && e.contains("No access") && e.contains("forbidden"),
            "{e}"
        );
    }

    #[test]
    fn echoed_token_is_redacted() {
        let e = c(401, None, &format!(r#"{{"message":"bad token {TOKEN}"}}"#)).to_string();
        assert!(!e.contains(TOKEN), "{e}");
    }
}
