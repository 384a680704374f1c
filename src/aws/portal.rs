//! The SSO portal (rest-json, unsigned: the access token is the credential): `GetRoleCredentials`,
//! and `ListAccounts` / `ListAccountRoles`, one page per call (botocore's `sso` model:
//! `GET /assignment/accounts` and `/assignment/roles`, query `max_result` (1–100), `next_token`,
//! `account_id`).

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
    /// `what` names the request: `role Dev in account 111122223333`, `the account list`.
    #[error("the SSO portal refused {what} ({code}{})", detail(.description))]
    Refused { what: String, code: String, description: Option<String> },
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
    let what = format!("role {role_name} in account {account_id}");
    let query = [("role_name", role_name), ("account_id", account_id)];
    let body = get(client, endpoint, "/federation/credentials", &query, access_token, &what)?;
    parse_success(&body, account_id)
}

/// An account the user is assigned to. The name and address come from the portal as the
/// administrator typed them: callers sanitise them before printing or writing them anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub account_id: String,
    pub account_name: Option<String>,
    pub email_address: Option<String>,
}

/// One page of a list, and the token for the next one (`None` on the last page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

/// The largest page the portal gives (`MaxResultType`: 1–100).
pub const MAX_RESULTS: u32 = 100;

/// `ListAccounts`: `GET {endpoint}/assignment/accounts?max_result=100[&next_token=…]` →
/// `{"accountList":[{"accountId","accountName","emailAddress"}],"nextToken"}`.
pub(crate) fn list_accounts(
    client: &http::Client,
    endpoint: &str,
    access_token: &Secret,
    next_token: Option<&str>,
) -> Result<Page<Account>, PortalError> {
    let body = list(client, endpoint, "/assignment/accounts", &[], next_token, access_token, "the account list")?;
    parse_page(&body, "accountList", |v| {
        let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        Some(Account {
            account_id: text("accountId")?,
            account_name: text("accountName"),
            email_address: text("emailAddress"),
        })
    })
}

/// `ListAccountRoles`: `GET {endpoint}/assignment/roles?account_id=A&max_result=100[&next_token=…]`
/// → `{"roleList":[{"roleName","accountId"}],"nextToken"}`; returns the role names.
pub(crate) fn list_account_roles(
    client: &http::Client,
    endpoint: &str,
    access_token: &Secret,
    account_id: &str,
    next_token: Option<&str>,
) -> Result<Page<String>, PortalError> {
    let what = format!("the role list of account {account_id}");
    let query = [("account_id", account_id)];
    let body = list(client, endpoint, "/assignment/roles", &query, next_token, access_token, &what)?;
    parse_page(&body, "roleList", |v| v.get("roleName").and_then(|x| x.as_str()).map(str::to_string))
}

fn list(
    client: &http::Client,
    endpoint: &str,
    path: &str,
    query: &[(&str, &str)],
    next_token: Option<&str>,
    access_token: &Secret,
    what: &str,
) -> Result<Vec<u8>, PortalError> {
    let max = MAX_RESULTS.to_string();
    let mut query = query.to_vec();
    query.push(("max_result", &max));
    if let Some(t) = next_token {
        query.push(("next_token", t));
    }
    get(client, endpoint, path, &query, access_token, what)
}

/// `GET {endpoint}{path}?query` with the access token in `x-amz-sso_bearer_token`: the body of
/// a success, else the portal's answer classified for `what`.
fn get(
    client: &http::Client,
    endpoint: &str,
    path: &str,
    query: &[(&str, &str)],
    access_token: &Secret,
    what: &str,
) -> Result<Vec<u8>, PortalError> {
    let mut url = reqwest::Url::parse(&format!("{endpoint}{path}")).map_err(|_| PortalError::Transient {
        kind: Transient::Other,
        message: format!("the portal endpoint {endpoint:?} is not a valid URL"),
    })?;
    url.query_pairs_mut().extend_pairs(query);
    let token = http::secret_header(access_token).ok_or_else(|| PortalError::Unauthorized {
        code: "invalid_token".into(),
        description: Some("the cached access token is not a valid header value".into()),
    })?;
    let answer = http::exchange(client.get(url).header("x-amz-sso_bearer_token", token))
        .map_err(|(kind, message)| PortalError::Transient { kind, message })?;
    if answer.is_success() {
        return Ok(answer.body);
    }
    Err(classify(answer.status, answer.error_type.as_deref(), &answer.body, what, access_token))
}

/// The items under `key` (entries `item` cannot read are skipped) and a non-empty `nextToken`.
pub fn parse_page<T>(
    bytes: &[u8],
    key: &str,
    item: impl Fn(&serde_json::Value) -> Option<T>,
) -> Result<Page<T>, PortalError> {
    let bad = |what: &str| PortalError::Transient {
        kind: Transient::BadResponse,
        message: format!("the SSO portal answered 200 but {what}"),
    };
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| bad("not with JSON"))?;
    let items = match value.get(key) {
        Some(serde_json::Value::Array(list)) => list.iter().filter_map(item).collect(),
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(_) => return Err(bad(&format!("with a {key} that is not a list"))),
    };
    let next_token = value.get("nextToken").and_then(|v| v.as_str()).filter(|t| !t.is_empty()).map(str::to_string);
    Ok(Page { items, next_token })
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
pub fn classify(status: u16, error_type: Option<&str>, body: &[u8], what: &str, access_token: &Secret) -> PortalError {
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
            PortalError::Refused { what: what.into(), code: code_str, description }
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
        classify(status, header, body.as_bytes(), "role Dev in account 111122223333", &Secret::new(TOKEN))
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
    fn parses_pages_of_accounts_and_roles() {
        let body = br#"{"accountList":[{"accountId":"111122223333","accountName":"Prod","emailAddress":"a@x"},{"accountName":"no id"}],"nextToken":"n1"}"#;
        let p = parse_page(body, "accountList", |v| v.get("accountId").and_then(|x| x.as_str()).map(str::to_string))
            .unwrap();
        assert_eq!(p.items, ["111122223333"], "an entry without an id is skipped");
        assert_eq!(p.next_token.as_deref(), Some("n1"));
        let last = parse_page(br#"{"roleList":[],"nextToken":""}"#, "roleList", |_| Some(())).unwrap();
        assert_eq!((last.items.len(), last.next_token), (0, None), "an empty nextToken ends the list");
        let none = parse_page(br#"{"nextToken":null}"#, "roleList", |_| Some(())).unwrap();
        assert!(none.items.is_empty() && none.next_token.is_none());
        assert!(matches!(
            parse_page(br#"{"roleList":{}}"#, "roleList", |_| Some(())),
            Err(PortalError::Transient { kind: Transient::BadResponse, .. })
        ));
    }

    #[test]
    fn echoed_token_is_redacted() {
        let e = c(401, None, &format!(r#"{{"message":"bad token {TOKEN}"}}"#)).to_string();
        assert!(!e.contains(TOKEN), "{e}");
    }
}
