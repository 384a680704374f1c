//! SSO-OIDC (rest-json, unsigned): `CreateToken` with the refresh grant, and for `ssofresh login`
//! `RegisterClient`, `StartDeviceAuthorization` and the device-code and authorization-code grants.

use crate::aws::http::{self, Transient};
use crate::sys::secret::{one_line, redact, Secret};
use serde::{Deserialize, Serialize};

/// The longest token lifetime believed: an Identity Center session lasts at most 90 days.
pub(crate) const MAX_TOKEN_LIFETIME_SECS: i64 = 90 * 86400;

/// Failures the next login fixes, never worth retrying.
pub(crate) const RELOGIN_CODES: &[&str] =
    &["invalid_grant", "expired_token", "invalid_client", "unauthorized_client", "access_denied"];

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
    pub expires_in: i64,
    #[serde(default)]
    pub refresh_token: Option<Secret>,
    /// The answer's `Date` header: the endpoint's clock when it answered.
    #[serde(skip)]
    pub server_date: Option<chrono::DateTime<chrono::Utc>>,
}

/// `POST {endpoint}/token` with `grantType: refresh_token`.
pub(crate) fn refresh(
    client: &http::Client,
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
    let answer =
        post_json(client, &format!("{endpoint}/token"), body, &[client_secret, refresh_token]).map_err(|r| r.error)?;
    let mut parsed = parse_token_response(&answer.body)?;
    parsed.server_date = answer.date;
    Ok(parsed)
}

/// An answer that is not a success: the OAuth error code when the answer names one (the
/// device flow steers by it), and what it means.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Refusal {
    pub code: Option<String>,
    pub error: OidcError,
}

impl Refusal {
    fn transient(kind: Transient, message: String) -> Refusal {
        Refusal { code: None, error: OidcError::Transient { kind, message } }
    }
}

/// POSTs a JSON body and returns the successful answer. `secrets` are redacted from any error
/// text the endpoint sends back.
fn post_json(client: &http::Client, url: &str, body: Vec<u8>, secrets: &[&Secret]) -> Result<http::Answer, Refusal> {
    let answer = http::exchange(client.post(url).header("content-type", "application/json").body(body))
        .map_err(|(kind, message)| Refusal::transient(kind, message))?;
    if answer.is_success() {
        return Ok(answer);
    }
    Err(Refusal {
        code: error_code(answer.error_type.as_deref(), &answer.body),
        error: classify(answer.status, answer.error_type.as_deref(), &answer.body, secrets),
    })
}

/// A successful CreateToken answer, or why it is not one.
pub fn parse_token_response(bytes: &[u8]) -> Result<TokenResponse, OidcError> {
    let bad = |what: &str| OidcError::Transient {
        kind: Transient::BadResponse,
        message: format!("the endpoint answered 200 but {what}"),
    };
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| bad("not with JSON"))?;
    if value.get("accessToken").and_then(|v| v.as_str()).is_none_or(str::is_empty) {
        return Err(bad("without an accessToken"));
    }
    let mut parsed: TokenResponse = serde_json::from_value(value).map_err(|_| bad("with an unexpected token shape"))?;
    // An empty refresh token is no refresh token: replacing the working one with it would end
    // every later refresh.
    parsed.refresh_token = parsed.refresh_token.filter(|t| !t.expose().is_empty());
    // Both go back to AWS, in a header or a JSON string; a CR/LF stored now could never be sent.
    if !is_token(parsed.access_token.expose()) {
        return Err(bad("with an accessToken that is not a usable token (only visible ASCII is)"));
    }
    if parsed.refresh_token.as_ref().is_some_and(|t| !is_token(t.expose())) {
        return Err(bad("with a refreshToken that is not a usable token (only visible ASCII is)"));
    }
    // An access token lives about an hour; a legacy one as long as the session (at most 90
    // days). Anything else is a broken answer, not a token to keep for decades.
    if !(1..=MAX_TOKEN_LIFETIME_SECS).contains(&parsed.expires_in) {
        return Err(bad("with an expiresIn out of range"));
    }
    Ok(parsed)
}

/// What an AWS token, client ID or secret can be: visible ASCII (`!` to `~`), the characters a
/// header value carries without quoting. AWS's are base64-like (`aoa…`, `aor…`, with `:`, `=`,
/// `+`, `/`, `-`, `_`, `.`); spaces, controls and non-ASCII would break the header or the file.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic())
}

/// Names an AWS error the way the OAuth body does: `InvalidGrantException` → `invalid_grant`.
pub(crate) fn normalize_code(name: &str) -> String {
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

/// The OAuth error code of an error answer (`authorization_pending`, `slow_down`, …): the body's
/// `error`, else the `x-amzn-ErrorType` header, else the body's `__type`, in OAuth spelling.
pub fn error_code(error_type: Option<&str>, body: &[u8]) -> Option<String> {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |k: &str| json.as_ref().and_then(|j| j.get(k)).and_then(|v| v.as_str()).map(str::to_string);
    field("error")
        .map(|c| c.trim().to_ascii_lowercase())
        .or_else(|| error_type.map(normalize_code))
        .or_else(|| field("__type").map(|t| normalize_code(&t)))
        // It reaches messages, state and logs: only a plain code, never echoed text.
        .filter(|c| {
            (1..=64).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

/// Sorts an error answer into "log in again" and "try later", from the status, the
/// `x-amzn-ErrorType` header and the JSON body (`error`/`error_description`, or `__type`/`message`).
pub fn classify(status: u16, error_type: Option<&str>, body: &[u8], secrets: &[&Secret]) -> OidcError {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |k: &str| json.as_ref().and_then(|j| j.get(k)).and_then(|v| v.as_str()).map(str::to_string);
    let code = error_code(error_type, body);
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
        // AWS names its 401 (InvalidClientException); a bare one comes from something in the
        // way. Calling it invalid_client would bury a working refresh token for good.
        (401, None) => {
            return OidcError::Transient {
                kind: Transient::NotAws,
                message: format!(
                    "the endpoint answered HTTP 401 without naming an AWS error: a proxy, firewall or captive portal in the way?{}",
                    description.map(|d| format!(" ({d})")).unwrap_or_default()
                ),
            }
        }
        _ => Transient::Other,
    };
    let detail = description.map(|d| format!(": {d}")).unwrap_or_default();
    OidcError::Transient { kind, message: format!("the endpoint answered HTTP {status} ({code_str}){detail}") }
}

// ---- Login: RegisterClient, StartDeviceAuthorization, the device and authorization-code grants.

/// `RegisterClient` input. Only what ssofresh sends; AWS ignores absent optional members.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RegisterRequest<'a> {
    pub client_name: &'a str,
    /// Always `public`: a CLI cannot keep a secret from its user.
    pub client_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_types: Option<&'a [&'a str]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_uris: Option<&'a [&'a str]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_url: Option<&'a str>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RegisterResponse {
    pub client_id: String,
    pub client_secret: Secret,
    /// Epoch seconds.
    pub client_secret_expires_at: i64,
}

/// `StartDeviceAuthorization` output. `device_code` is a bearer secret until it is used.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeviceAuthorization {
    pub device_code: Secret,
    pub user_code: String,
    pub verification_uri: String,
    #[serde(default)]
    pub verification_uri_complete: Option<String>,
    pub expires_in: i64,
    #[serde(default)]
    pub interval: Option<i64>,
}

/// How `CreateToken` is asked for a first token.
#[derive(Debug)]
pub(crate) enum Grant<'a> {
    DeviceCode { device_code: &'a Secret },
    AuthorizationCode { code: &'a Secret, code_verifier: &'a Secret, redirect_uri: &'a str },
}

fn bad_answer(what: &str) -> Refusal {
    Refusal::transient(Transient::BadResponse, format!("the endpoint answered 200 but {what}"))
}

/// `POST {endpoint}/client/register`.
pub(crate) fn register_client(
    client: &http::Client,
    endpoint: &str,
    request: &RegisterRequest,
) -> Result<RegisterResponse, Refusal> {
    let body = serde_json::to_vec(request).expect("serializing strings cannot fail");
    let bytes = post_json(client, &format!("{endpoint}/client/register"), body, &[])?.body;
    let parsed: RegisterResponse =
        serde_json::from_slice(&bytes).map_err(|_| bad_answer("without a client registration"))?;
    if !is_token(&parsed.client_id) || !is_token(parsed.client_secret.expose()) {
        return Err(bad_answer("with a clientId or clientSecret that is not a usable token (only visible ASCII is)"));
    }
    Ok(parsed)
}

/// `POST {endpoint}/device_authorization`.
pub(crate) fn start_device_authorization(
    client: &http::Client,
    endpoint: &str,
    client_id: &str,
    client_secret: &Secret,
    start_url: &str,
) -> Result<DeviceAuthorization, Refusal> {
    let body = serde_json::to_vec(&serde_json::json!({
        "clientId": client_id,
        "clientSecret": client_secret.expose(),
        "startUrl": start_url,
    }))
    .expect("serializing strings cannot fail");
    let bytes = post_json(client, &format!("{endpoint}/device_authorization"), body, &[client_secret])?.body;
    let parsed: DeviceAuthorization =
        serde_json::from_slice(&bytes).map_err(|_| bad_answer("without a device authorization"))?;
    if parsed.user_code.is_empty() || parsed.verification_uri.is_empty() || parsed.expires_in <= 0 {
        return Err(bad_answer("with an incomplete device authorization"));
    }
    Ok(parsed)
}

/// `POST {endpoint}/token` for a first token: the device-code or the authorization-code grant.
pub(crate) fn create_token(
    client: &http::Client,
    endpoint: &str,
    client_id: &str,
    client_secret: &Secret,
    grant: &Grant,
) -> Result<TokenResponse, Refusal> {
    let (body, secrets): (serde_json::Value, Vec<&Secret>) = match grant {
        Grant::DeviceCode { device_code } => (
            serde_json::json!({
                "clientId": client_id,
                "clientSecret": client_secret.expose(),
                "grantType": "urn:ietf:params:oauth:grant-type:device_code",
                "deviceCode": device_code.expose(),
            }),
            vec![client_secret, device_code],
        ),
        Grant::AuthorizationCode { code, code_verifier, redirect_uri } => (
            serde_json::json!({
                "clientId": client_id,
                "clientSecret": client_secret.expose(),
                "grantType": "authorization_code",
                "code": code.expose(),
                "codeVerifier": code_verifier.expose(),
                "redirectUri": redirect_uri,
            }),
            vec![client_secret, code, code_verifier],
        ),
    };
    let body = serde_json::to_vec(&body).expect("serializing strings cannot fail");
    let answer = post_json(client, &format!("{endpoint}/token"), body, &secrets)?;
    let mut parsed = parse_token_response(&answer.body).map_err(|error| Refusal { code: None, error })?;
    parsed.server_date = answer.date;
    Ok(parsed)
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
            (401, None, r#"{"error":"invalid_client"}"#, "invalid_client"),
            (401, None, r#"{"__type":"InvalidClientException"}"#, "invalid_client"),
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
            (401, None, "", Transient::NotAws),
            (401, None, "<html>Log in to the hotel Wi-Fi</html>", Transient::NotAws),
            (401, None, r#"{"message":"Unauthorized"}"#, Transient::NotAws),
        ] {
            match c(status, header, body) {
                OidcError::Transient { kind: got, .. } => assert_eq!(got, kind, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn only_plain_codes_are_kept() {
        assert_eq!(error_code(None, br#"{"error":"invalid_grant"}"#).as_deref(), Some("invalid_grant"));
        assert_eq!(error_code(None, br#"{"error":"refresh-secret-123 [31m"}"#), None);
        assert_eq!(error_code(None, format!(r#"{{"error":"{}"}}"#, "a".repeat(65)).as_bytes()), None);
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
        assert!(parse_token_response(br#"{"accessToken":"a","tokenType":"Bearer","expiresIn":3600}"#).is_ok());
        assert!(parse_token_response(b"<html>").is_err());
        assert!(parse_token_response(br#"{"tokenType":"Bearer","expiresIn":3600}"#).is_err());
        assert!(parse_token_response(br#"{"accessToken":"a","expiresIn":0}"#).is_err());
        assert!(parse_token_response(br#"{"accessToken":"a","expiresIn":9000000000000}"#).is_err());
        assert!(parse_token_response(br#"{"accessToken":"a","expiresIn":7776000}"#).is_ok());
        assert!(parse_token_response(br#"[1]"#).is_err());
    }

    #[test]
    fn an_empty_refresh_token_is_none() {
        let r = parse_token_response(br#"{"accessToken":"a","expiresIn":3600,"refreshToken":""}"#).unwrap();
        assert!(r.refresh_token.is_none());
        let r = parse_token_response(br#"{"accessToken":"a","expiresIn":3600,"refreshToken":null}"#).unwrap();
        assert!(r.refresh_token.is_none());
    }

    #[test]
    fn tokens_are_visible_ascii() {
        let ok = "aoaAAAAAGhZ+/x=:y-z_.~!";
        assert!(is_token(ok));
        for bad in ["", "a b", "a\r\nb", "a\tb", "é", "a\u{7f}", "a\u{0}"] {
            assert!(!is_token(bad), "{bad:?}");
        }
        let body = |a: &str, r: &str| {
            serde_json::to_vec(&serde_json::json!({"accessToken": a, "expiresIn": 60, "refreshToken": r})).unwrap()
        };
        assert!(parse_token_response(&body(ok, ok)).is_ok());
        for (a, r) in [("a\r\nb", ok), (ok, "r\nb"), ("a b", ok), (ok, "ü")] {
            match parse_token_response(&body(a, r)) {
                Err(OidcError::Transient { kind: Transient::BadResponse, message }) => {
                    assert!(!message.contains(a) && !message.contains(r), "{message}")
                }
                other => panic!("{a:?} {r:?}: {other:?}"),
            }
        }
    }
}
