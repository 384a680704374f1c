//! The AWS CLI v2's role-credential cache (`~/.aws/cli/cache/<sha1>.json`): sharing it means
//! ssofresh and the CLI fetch a role's credentials once between them.

use crate::aws::portal::RoleCredentials;
use crate::sys::secret::{hex, Secret};
use crate::text::timefmt;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use sha1::{Digest, Sha1};
use std::path::{Path, PathBuf};

/// What names the token the credentials came from: an sso-session, or a legacy profile's
/// start URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin<'a> {
    Session(&'a str),
    StartUrl(&'a str),
}

/// botocore's key: SHA-1 of `json.dumps({"accountId", "roleName", "sessionName" | "startUrl"},
/// sort_keys=True, separators=(",", ":"))`. The keys are written in sorted order by hand.
pub(crate) fn cache_key(account_id: &str, role_name: &str, origin: Origin) -> String {
    let (k, v) = match origin {
        Origin::Session(s) => ("sessionName", s),
        Origin::StartUrl(u) => ("startUrl", u),
    };
    let text = format!(
        "{{\"accountId\":{},\"roleName\":{},\"{k}\":{}}}",
        py_string(account_id),
        py_string(role_name),
        py_string(v)
    );
    hex(&Sha1::digest(text.as_bytes()))
}

/// A JSON string as Python's `json.dumps` writes it (`ensure_ascii`: all but printable ASCII
/// escaped, `\uXXXX` in lowercase hex).
fn py_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut buf = [0u16; 2];
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

pub(crate) fn path(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{key}.json"))
}

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "Credentials")]
    credentials: Credentials,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Credentials {
    access_key_id: Secret,
    secret_access_key: Secret,
    session_token: Secret,
    expiration: String,
    #[serde(default)]
    account_id: Option<String>,
}

/// The cached credentials, when there are any that parse. A missing or unusable entry is a
/// miss: the cache only ever saves a request, and the next fetch replaces it.
pub(crate) fn read(path: &Path, account_id: &str) -> Option<RoleCredentials> {
    let bytes = match crate::sys::guard::read(path) {
        Ok(Some(b)) => b,
        Ok(None) => return None,
        Err(e) => {
            log::debug!("cannot read {}: {e}", path.display());
            return None;
        }
    };
    let parsed = parse(&bytes, account_id);
    if parsed.is_none() {
        log::debug!("{} is not a usable role-credential cache entry; ignoring it", path.display());
    }
    parsed
}

/// A cache entry's credentials; `None` when the bytes are not one (serde's message could
/// quote a value, and values here are secrets, so there is no message).
pub fn parse(bytes: &[u8], account_id: &str) -> Option<RoleCredentials> {
    let entry = serde_json::from_slice::<Entry>(bytes).ok()?;
    let c = entry.credentials;
    let expiration = timefmt::parse(&c.expiration)?;
    Some(RoleCredentials {
        access_key_id: c.access_key_id,
        secret_access_key: c.secret_access_key,
        session_token: c.session_token,
        expiration,
        account_id: c.account_id.filter(|a| !a.is_empty()).unwrap_or_else(|| account_id.to_string()),
    })
}

/// Whether credentials still have at least `window` left at `now`.
pub(crate) fn usable(creds: &RoleCredentials, window: std::time::Duration, now: DateTime<Utc>) -> bool {
    let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
    creds.expiration - now >= window
}

/// The bytes botocore's `JSONFileCache` writes for an SSO role: `json.dumps` of
/// `{"ProviderType": "sso", "Credentials": {…}}`, in its key order.
pub(crate) fn to_bytes(creds: &RoleCredentials) -> Vec<u8> {
    let v: Value = json!({
        "ProviderType": "sso",
        "Credentials": {
            "AccessKeyId": creds.access_key_id.expose(),
            "SecretAccessKey": creds.secret_access_key.expose(),
            "SessionToken": creds.session_token.expose(),
            "Expiration": timefmt::format(creds.expiration),
            "AccountId": creds.account_id,
        }
    });
    crate::aws::token_cache::python_json(&v)
}

/// Atomic, 0600, in a 0700 directory (as `sys::fs::write_atomic` does for tokens).
pub(crate) fn write(path: &Path, creds: &RoleCredentials) -> std::io::Result<()> {
    crate::sys::fs::write_atomic(path, &to_bytes(creds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> RoleCredentials {
        RoleCredentials {
            access_key_id: Secret::new("ASIAEXAMPLE"),
            secret_access_key: Secret::new("secret/key+1"),
            session_token: Secret::new("token=="),
            expiration: timefmt::parse("2026-01-01T00:00:00Z").unwrap(),
            account_id: "111122223333".into(),
        }
    }

    #[test]
    fn key_matches_botocore() {
        // hashlib.sha1(json.dumps({...}, sort_keys=True, separators=(',', ':')).encode()).hexdigest()
        assert_eq!(
            cache_key("111122223333", "Dev", Origin::Session("corp")),
            "20985b56d713cfd135648cadc68a6115ca80d9a5"
        );
        assert_eq!(
            cache_key("111122223333", "Dev", Origin::StartUrl("https://old.awsapps.com/start")),
            "9de373c7ded8d5068d274f80baf9525ac988bb52"
        );
        assert_eq!(
            cache_key("111122223333", "Dév\"\\", Origin::Session("ü\n")),
            "a44623341ddbb8dc5dcad31268fde7948336a594"
        );
    }

    #[test]
    fn writes_botocore_bytes_and_reads_them_back() {
        let bytes = String::from_utf8(to_bytes(&creds())).unwrap();
        assert_eq!(
            bytes,
            r#"{"ProviderType": "sso", "Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "secret/key+1", "SessionToken": "token==", "Expiration": "2026-01-01T00:00:00Z", "AccountId": "111122223333"}}"#
        );
        let dir = tempfile::tempdir().unwrap();
        let p = path(dir.path(), "k");
        write(&p, &creds()).unwrap();
        assert_eq!(read(&p, "999999999999"), Some(creds()));
    }

    #[test]
    fn unusable_entries_are_misses() {
        let dir = tempfile::tempdir().unwrap();
        let p = path(dir.path(), "k");
        assert_eq!(read(&p, "1"), None);
        for bad in [
            "",
            "{",
            "[]",
            r#"{"Credentials": {"AccessKeyId": "a"}}"#,
            r#"{"Credentials": {"AccessKeyId": "a", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "soon"}}"#,
        ] {
            std::fs::write(&p, bad).unwrap();
            assert_eq!(read(&p, "1"), None, "{bad}");
        }
        // Older entries have no AccountId: the request's account fills it in.
        std::fs::write(&p, r#"{"Credentials": {"AccessKeyId": "a", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2026-01-01T00:00:00+00:00"}}"#).unwrap();
        assert_eq!(read(&p, "123456789012").unwrap().account_id, "123456789012");
    }

    #[test]
    fn window() {
        let c = creds();
        let w = std::time::Duration::from_secs(900);
        assert!(usable(&c, w, c.expiration - chrono::Duration::seconds(900)));
        assert!(!usable(&c, w, c.expiration - chrono::Duration::seconds(899)));
    }
}
