//! Ending a session: the SSO portal's `Logout` (which ends the Identity Center session, so the
//! refresh token stops working everywhere), and the cached role credentials that came from it.

use crate::secret::{one_line, redact, Secret};
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub enum Portal {
    SignedOut,
    /// 401: the portal no longer knew the token; the session had already ended.
    AlreadyEnded,
    Failed(String),
}

/// `POST {portal}/logout` with the access token in `x-amz-sso_bearer_token`.
pub fn portal_logout(client: &reqwest::blocking::Client, portal: &str, access_token: &Secret) -> Portal {
    let response = client
        .post(format!("{portal}/logout"))
        .header("x-amz-sso_bearer_token", access_token.expose())
        .send();
    let response = match response {
        Ok(r) => r,
        Err(e) => return Portal::Failed(crate::http::describe(&e).1),
    };
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        return Portal::SignedOut;
    }
    if status == 401 {
        return Portal::AlreadyEnded;
    }
    let mut body = Vec::new();
    let _ = response.take(64 * 1024).read_to_end(&mut body);
    let message = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("message").or_else(|| v.get("Message")).and_then(|m| m.as_str()).map(str::to_string))
        .map(|m| format!(": {}", one_line(&redact(&m, &[access_token]), 160)))
        .unwrap_or_default();
    Portal::Failed(format!("the portal answered HTTP {status}{message}"))
}

/// The AWS CLI v2's cache of SSO role credentials (and ssofresh's credential-process cache).
pub fn role_cache_dir() -> PathBuf {
    dirs::home_dir().unwrap_or_else(|| PathBuf::from(".")).join(".aws").join("cli").join("cache")
}

/// Whose role credentials: an sso-session by name, or a legacy profile by start URL.
#[derive(Debug, Clone, Copy)]
pub enum Owner<'a> {
    Session(&'a str),
    StartUrl(&'a str),
}

/// A JSON string as Python's `json.dumps` writes it (non-ASCII as `\uXXXX`).
fn py_string(s: &str) -> String {
    let mut out = String::new();
    for c in serde_json::to_string(s).unwrap_or_default().chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// SHA-1 of `json.dumps({"accountId", "roleName", "sessionName"|"startUrl"}, sort_keys=True,
/// separators=(',', ':'))`: the AWS CLI v2's file name for these role credentials.
pub fn role_cache_key(account_id: &str, role_name: &str, owner: Owner) -> String {
    let last = match owner {
        Owner::Session(s) => format!("\"sessionName\":{}", py_string(s)),
        Owner::StartUrl(u) => format!("\"startUrl\":{}", py_string(u)),
    };
    let text = format!("{{\"accountId\":{},\"roleName\":{},{last}}}", py_string(account_id), py_string(role_name));
    crate::cache::cache_key(&text)
}

/// Whether a file holds SSO role credentials (`"ProviderType": "sso"`), the only kind removed.
fn is_sso_credentials(path: &Path) -> bool {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .is_some_and(|v| v.get("ProviderType").and_then(|p| p.as_str()) == Some("sso"))
}

/// Removes the SSO role credentials cached under these keys; returns the files removed.
pub fn remove_role_credentials(dir: &Path, keys: &[String]) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    for key in keys {
        let path = dir.join(format!("{key}.json"));
        if is_sso_credentials(&path) && std::fs::remove_file(&path).is_ok() {
            removed.push(path);
        }
    }
    removed
}

/// Removes every SSO role credential in the cache (what `aws sso logout` does).
pub fn sweep_role_credentials(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut removed = Vec::new();
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().is_some_and(|x| x == "json") && is_sso_credentials(&path) && std::fs::remove_file(&path).is_ok() {
            removed.push(path);
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_the_aws_cli() {
        let text = r#"{"accountId":"111122223333","roleName":"Dev","sessionName":"corp"}"#;
        assert_eq!(role_cache_key("111122223333", "Dev", Owner::Session("corp")), crate::cache::cache_key(text));
        let text = r#"{"accountId":"1","roleName":"R","startUrl":"https://x/start"}"#;
        assert_eq!(role_cache_key("1", "R", Owner::StartUrl("https://x/start")), crate::cache::cache_key(text));
        let text = r#"{"accountId":"1","roleName":"R","sessionName":"caf\u00e9"}"#;
        assert_eq!(role_cache_key("1", "R", Owner::Session("café")), crate::cache::cache_key(text));
    }

    #[test]
    fn removes_only_sso_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let sso = dir.path().join("a.json");
        let other = dir.path().join("b.json");
        std::fs::write(&sso, r#"{"ProviderType": "sso", "Credentials": {}}"#).unwrap();
        std::fs::write(&other, r#"{"Credentials": {}}"#).unwrap();
        assert_eq!(remove_role_credentials(dir.path(), &["a".into(), "b".into(), "c".into()]), std::slice::from_ref(&sso));
        assert!(other.exists());
        std::fs::write(&sso, r#"{"ProviderType": "sso"}"#).unwrap();
        assert_eq!(sweep_role_credentials(dir.path()), [sso]);
        assert!(other.exists());
    }
}
