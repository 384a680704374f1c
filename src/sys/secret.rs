//! A string that must never reach output or logs.

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use std::fmt;

/// Access tokens, refresh tokens, client secrets and role credentials live in this type.
/// It has no `Display`, and its `Debug` prints a placeholder, so `{:?}` in a log line or an
/// error cannot leak the value; reading it takes an explicit `expose()`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A stable, non-reversible identifier, so state files can remember "this refresh token
    /// was rejected" without storing the token.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha1::new();
        h.update(b"ssofresh-fingerprint\0");
        h.update(self.0.as_bytes());
        hex(&h.finalize())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Replaces every occurrence of any secret in `text` with `***`, for text that came from
/// outside (an endpoint's error body may echo the request back).
pub(crate) fn redact(text: &str, secrets: &[&Secret]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        let v = s.expose();
        // Very short values would redact ordinary words; real tokens are long.
        if v.len() >= 8 {
            out = out.replace(v, "***");
        }
    }
    out
}

/// Makes untrusted text safe for one line of a terminal: control characters dropped,
/// length bounded.
pub(crate) fn one_line(text: &str, max: usize) -> String {
    let mut s: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if s.chars().count() > max {
        s = s.chars().take(max).collect::<String>() + "…";
    }
    s.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_value() {
        let s = Secret::new("aoaAAAsecretvalue");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"aoaAAAsecretvalue\"");
    }

    #[test]
    fn redacts_echoed_secrets() {
        let s = Secret::new("refresh-token-123456");
        let text = r#"{"error":"invalid_request","echo":"refresh-token-123456"}"#;
        assert!(!redact(text, &[&s]).contains("refresh-token-123456"));
    }

    #[test]
    fn fingerprint_is_stable_and_not_the_value() {
        let s = Secret::new("abcdefgh");
        assert_eq!(s.fingerprint(), Secret::new("abcdefgh").fingerprint());
        assert!(!s.fingerprint().contains("abcdefgh"));
        assert_ne!(s.fingerprint(), Secret::new("abcdefgi").fingerprint());
    }
}
