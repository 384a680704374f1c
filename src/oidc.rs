//! SSO-OIDC `CreateToken` with the refresh grant (rest-json, unsigned).

use crate::http;
use crate::secret::{one_line, redact, Secret};
use serde::{Deserialize, Serialize};
use std::io::Read;

/// Failures the next login fixes, never worth retrying.
pub const RELOGIN_CODES: &[&str] =
    &["invalid_grant", "expired_token", "invalid_client", "unauthorized_client", "access_denied"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transient {
    Connect,
    Timeout,
    Network,
    Server,
    Throttled,
    BadResponse,
    Other,
}

impl Transient {
    pub fn as_str(self) -> &'static str {
        match self {
            Transient::Connect => "connect",
            Transient::Timeout => "timeout",
            Transient::Network => "network",
            Transient::Server => "server_error",
            Transient::Throttled => "throttled",
            Transient::BadResponse => "bad_response",
            Transient::Other => "rejected",
        }
    }

    /// `Other` is an unexpected 4xx: retrying the same request now would get the same answer.
    pub fn retry_now(self) -> bool {
        self != Transient::Other
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OidcError {
    /// The endpoint refused the refresh token or the client: only a new login helps.
    #[error("refresh rejected ({code}){}", .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Relogin { code: String, description: Option<String> },
    #[error("{message}")]
    Transient { kind: Transient, message: String },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RefreshRequest<'a> {
    client_id: &'a str,
    client_secret: &'a str,
    grant_type: &'a str,
    refresh_token: &'a str,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    pub access_token: Secret,
    #[serde(default)]
    pub token_type: Option<String>,
    pub expires_in: i64,
    #[serde(default)]
    pub refresh_token: Option<Secret>,
    #[serde(default)]
    pub id_token: Option<Secret>,
}

/// `POST {endpoint}/token` with `grantType: refresh_token`.
pub fn refresh(
    client: &reqwest::blocking::Client,
    endpoint: &str,
    client_id: &str,
    client_secret: &Secret,
    refresh_token: &Secret,
) -> Result<TokenResponse, OidcError> {
    let body = serde_json::to_vec(&RefreshRequest {
        client_id,
        client_secret: client_secret.expose(),
        grant_type: "refresh_token",
        refresh_token: refresh_token.expose(),
    })
    .expect("serializing strings cannot fail");
    let secrets = [client_secret, refresh_token];
    let response = client
        .post(format!("{endpoint}/token"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .map_err(|e| {
            let (kind, message) = http::describe(&e);
            OidcError::Transient { kind, message }
        })?;
    let status = response.status().as_u16();
    let error_type = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(':').next().unwrap_or(v).trim().to_string());
    // Bounded: a misbehaving endpoint cannot make us read without end.
    let mut bytes = Vec::new();
    let read = response.take(1 << 20).read_to_end(&mut bytes);
    if let Err(e) = read {
        let kind = if e.kind() == std::io::ErrorKind::TimedOut { Transient::Timeout } else { Transient::Network };
        return Err(OidcError::Transient { kind, message: format!("reading the response failed: {}", one_line(&e.to_string(), 120)) });
    }
    if (200..300).contains(&status) {
        return parse_success(&bytes);
    }
    Err(classify(status, error_type.as_deref(), &bytes, &secrets))
}

fn parse_success(bytes: &[u8]) -> Result<TokenResponse, OidcError> {
    let bad = |what: &str| OidcError::Transient {
        kind: Transient::BadResponse,
        message: format!("the endpoint answered 200 but {what}"),
    };
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| bad("not with JSON"))?;
    if value.get("accessToken").and_then(|v| v.as_str()).is_none_or(str::is_empty) {
        return Err(bad("without an accessToken"));
    }
    let parsed: TokenResponse = serde_json::from_value(value).map_err(|_| bad("with an unexpected token shape"))?;
    if parsed.expires_in <= 0 {
        return Err(bad("with a non-positive expiresIn"));
    }
    Ok(parsed)
}

/// Names an AWS error the way the OAuth body does: `InvalidGrantException` → `invalid_grant`.
pub fn normalize_code(name: &str) -> String {
    let name = name.rsplit('#').next().unwrap_or(name);
    let name = name.strip_suffix("Exception").unwrap_or(name);
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Sorts an error answer into "log in again" and "try later", from the status, the
/// `x-amzn-ErrorType` header and the JSON body (`error`/`error_description`, or `__type`/`message`).
pub fn classify(status: u16, error_type: Option<&str>, body: &[u8], secrets: &[&Secret]) -> OidcError {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |k: &str| json.as_ref().and_then(|j| j.get(k)).and_then(|v| v.as_str()).map(str::to_string);
    let code = field("error")
        .map(|c| c.trim().to_ascii_lowercase())
        .or_else(|| error_type.map(normalize_code))
        .or_else(|| field("__type").map(|t| normalize_code(&t)))
        .filter(|c| !c.is_empty());
    let description = field("error_description")
        .or_else(|| field("message"))
        .or_else(|| field("Message"))
        .map(|d| one_line(&redact(&d, secrets), 200))
        .filter(|d| !d.is_empty());
    let code_str = code.clone().unwrap_or_else(|| format!("HTTP {status}"));
    if let Some(c) = code.as_deref() {
        if RELOGIN_CODES.contains(&c) {
            return OidcError::Relogin { code: c.to_string(), description };
        }
    }
    let kind = match (status, code.as_deref()) {
        (_, Some("slow_down" | "throttling" | "too_many_requests")) | (429, _) => Transient::Throttled,
        (500..=599, _) | (_, Some("internal_server")) => Transient::Server,
        (401, None) => return OidcError::Relogin { code: "invalid_client".into(), description },
        _ => Transient::Other,
    };
    let detail = description.map(|d| format!(": {d}")).unwrap_or_default();
    OidcError::Transient { kind, message: format!("the endpoint answered HTTP {status} ({code_str}){detail}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(status: u16, header: Option<&str>, body: &str) -> OidcError {
        classify(status, header, body.as_bytes(), &[&Secret::new("refresh-secret-123")])
    }

    #[test]
    fn normalizes_exception_names() {
        assert_eq!(normalize_code("InvalidGrantException"), "invalid_grant");
        assert_eq!(normalize_code("UnauthorizedClientException"), "unauthorized_client");
        assert_eq!(normalize_code("com.amazonaws.ssooidc#ExpiredTokenException"), "expired_token");
        assert_eq!(normalize_code("SlowDownException"), "slow_down");
    }

    #[test]
    fn relogin_errors() {
        for (status, header, body, code) in [
            (400, None, r#"{"error":"invalid_grant","error_description":"Invalid grant provided"}"#, "invalid_grant"),
            (400, Some("InvalidGrantException"), "", "invalid_grant"),
            (401, Some("InvalidClientException"), r#"{"error":"invalid_client"}"#, "invalid_client"),
            (400, None, r#"{"error":"unauthorized_client"}"#, "unauthorized_client"),
            (400, None, r#"{"error":"expired_token"}"#, "expired_token"),
            (400, None, r#"{"__type":"AccessDeniedException","message":"no"}"#, "access_denied"),
            (401, None, "", "invalid_client"),
        ] {
            match c(status, header, body) {
                OidcError::Relogin { code: got, .. } => assert_eq!(got, code),
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn transient_errors() {
        for (status, header, body, kind) in [
            (500, Some("InternalServerException"), r#"{"error":"server_error"}"#, Transient::Server),
            (503, None, "<html>busy</html>", Transient::Server),
            (400, Some("SlowDownException"), r#"{"error":"slow_down"}"#, Transient::Throttled),
            (429, None, "", Transient::Throttled),
            (400, None, r#"{"error":"invalid_request"}"#, Transient::Other),
        ] {
            match c(status, header, body) {
                OidcError::Transient { kind: got, .. } => assert_eq!(got, kind, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn echoed_secrets_are_redacted() {
        let e = c(400, None, r#"{"error":"invalid_request","error_description":"bad token refresh-secret-123"}"#);
        assert!(!e.to_string().contains("refresh-secret-123"), "{e}");
        let e = c(400, None, r#"{"error":"invalid_grant","error_description":"refresh-secret-123 is bad"}"#);
        assert!(!e.to_string().contains("refresh-secret-123"), "{e}");
    }

    #[test]
    fn success_shapes() {
        assert!(parse_success(br#"{"accessToken":"a","tokenType":"Bearer","expiresIn":3600}"#).is_ok());
        assert!(parse_success(b"<html>").is_err());
        assert!(parse_success(br#"{"tokenType":"Bearer","expiresIn":3600}"#).is_err());
        assert!(parse_success(br#"{"accessToken":"a","expiresIn":0}"#).is_err());
        assert!(parse_success(br#"[1]"#).is_err());
    }
}
