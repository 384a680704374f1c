//! Ending a session: the SSO portal's `Logout` (which ends the Identity Center session, so the
//! refresh token stops working everywhere), and the cached role credentials that came from it.

use crate::sys::secret::{one_line, redact, Secret};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub enum Portal {
    SignedOut,
    /// 401: the portal no longer knew the token; the session had already ended.
    AlreadyEnded,
    Failed(String),
}

/// `POST {portal}/logout` with the access token in `x-amz-sso_bearer_token`.
pub fn portal_logout(client: &crate::aws::http::Client, portal: &str, access_token: &Secret) -> Portal {
    let Some(bearer) = crate::aws::http::secret_header(access_token) else {
        return Portal::Failed("the cached access token is not a valid header value".into());
    };
    let answer =
        crate::aws::http::exchange(client.post(format!("{portal}/logout")).header("x-amz-sso_bearer_token", bearer));
    let (status, body) = match answer {
        Ok(a) if a.is_success() => return Portal::SignedOut,
        // Only AWS's own 401 (UnauthorizedException) says the session is over; a bare one
        // came from something in the way, and the session may well be alive.
        Ok(a) if a.status == 401 && crate::aws::portal::error_name(a.error_type.as_deref(), &a.body).is_some() => {
            return Portal::AlreadyEnded
        }
        Ok(a) => (a.status, a.body),
        Err((_, message)) => return Portal::Failed(message),
    };
    let message = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("message").or_else(|| v.get("Message")).and_then(|m| m.as_str()).map(str::to_string))
        .map(|m| format!(": {}", one_line(&redact(&m, &[access_token]), 160)))
        .unwrap_or_default();
    Portal::Failed(format!("the portal answered HTTP {status}{message}"))
}

/// Whether a file holds SSO role credentials (`"ProviderType": "sso"`), the only kind removed.
fn is_sso_credentials(path: &Path) -> bool {
    let v: serde_json::Value = crate::sys::fs::load_json(path);
    v.get("ProviderType").and_then(|p| p.as_str()) == Some("sso")
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
        if path.extension().is_some_and(|x| x == "json")
            && is_sso_credentials(&path)
            && std::fs::remove_file(&path).is_ok()
        {
            removed.push(path);
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_only_sso_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let sso = dir.path().join("a.json");
        let other = dir.path().join("b.json");
        std::fs::write(&sso, r#"{"ProviderType": "sso", "Credentials": {}}"#).unwrap();
        std::fs::write(&other, r#"{"Credentials": {}}"#).unwrap();
        assert_eq!(
            remove_role_credentials(dir.path(), &["a".into(), "b".into(), "c".into()]),
            std::slice::from_ref(&sso)
        );
        assert!(other.exists());
        std::fs::write(&sso, r#"{"ProviderType": "sso"}"#).unwrap();
        assert_eq!(sweep_role_credentials(dir.path()), [sso]);
        assert!(other.exists());
    }
}
