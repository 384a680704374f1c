//! A refreshed token that could not be put in the token cache, kept beside it for the next run:
//! `.<key>.ssofresh.pending` for `<key>.json`.
//!
//! A refresh may rotate the refresh token, and then the one in the cache may be dead: a result
//! that was thrown away could cost the user a login. When the cache can be neither replaced nor
//! rewritten in place (on Windows: another program holds it open and shares neither delete nor
//! write), the new token is kept here instead, and the next run that finds the token due puts
//! it in place before anything else, without a request, provided the cache still holds the
//! very token it was refreshed from. Anything else in the cache (a new login, another
//! program's refresh, no file after a logout) is newer, and the kept token is removed unused.
//!
//! The file is the token cache's JSON with one more field, so it is private like the cache,
//! and `aws sso logout` (which removes every file in the cache directory that holds an
//! `accessToken`) removes it with the cache. Hidden and not `*.json`: no SDK reads it.

use crate::aws::token_cache::{CacheError, CachedToken};
use crate::text::timefmt;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The field that marks a kept token and names the token it replaces.
const FIELD: &str = "ssofreshPending";

/// Where the token refreshed from `cache_file`'s token waits when it cannot be saved there.
pub fn path(cache_file: &Path) -> PathBuf {
    let stem = cache_file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    crate::sys::guard::parent(cache_file).join(format!(".{stem}.ssofresh.pending"))
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// The refreshed token, exactly as the cache is to hold it.
    pub token: CachedToken,
    /// Fingerprint of the refresh token it was refreshed from.
    replaces: String,
    /// That token's `expiresAt`, as the cache had it: with the fingerprint, the very token.
    replaces_expires_at: String,
    /// When the refresh was made.
    pub refreshed_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PendingError {
    #[error("{0}")]
    Cache(#[from] CacheError),
    #[error("{} has no valid `{FIELD}` field", .0.display())]
    Unmarked(PathBuf),
}

impl Pending {
    /// `token`, refreshed at `at` from `from`; `None` when `from` had no refresh token (then
    /// nothing was refreshed).
    pub fn new(token: CachedToken, from: &CachedToken, at: DateTime<Utc>) -> Option<Pending> {
        Some(Pending {
            token,
            replaces: from.refresh_token.as_ref()?.fingerprint(),
            replaces_expires_at: from.expires_at.clone(),
            refreshed_at: timefmt::format(at),
        })
    }

    /// Whether `current` (what the cache holds now) is the token this one was refreshed from,
    /// so that putting this one in its place loses nothing newer.
    pub fn replaces(&self, current: &CachedToken) -> bool {
        current.expires_at == self.replaces_expires_at
            && current.refresh_token.as_ref().is_some_and(|r| r.fingerprint() == self.replaces)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut token = self.token.clone();
        token.extra.insert(
            FIELD.into(),
            json!({
                "replaces": self.replaces,
                "replacesExpiresAt": self.replaces_expires_at,
                "refreshedAt": self.refreshed_at,
            }),
        );
        token.to_bytes()
    }

    /// The kept token at `path`; `Ok(None)` when there is none.
    pub fn read(path: &Path) -> Result<Option<Pending>, PendingError> {
        let bytes = match crate::sys::guard::read(path) {
            Ok(Some(b)) => b,
            Ok(None) => return Ok(None),
            Err(source) => return Err(CacheError::Read { path: path.to_path_buf(), source }.into()),
        };
        let mut token = CachedToken::from_slice(path, &bytes)?;
        let unmarked = || PendingError::Unmarked(path.to_path_buf());
        let Some(Value::Object(mark)) = token.extra.shift_remove(FIELD) else { return Err(unmarked()) };
        let field = |k: &str| mark.get(k).and_then(Value::as_str).map(str::to_string).ok_or_else(unmarked);
        Ok(Some(Pending {
            replaces: field("replaces")?,
            replaces_expires_at: field("replacesExpiresAt")?,
            refreshed_at: field("refreshedAt")?,
            token,
        }))
    }
}

/// What `status` and `doctor` say about the token kept beside `cache_file`, judged by what the
/// cache holds now; `None` when there is none (one `stat`).
pub fn describe(cache_file: &Path) -> Option<Kept> {
    let path = path(cache_file);
    // Not followed: a link there is nothing ssofresh kept.
    std::fs::symlink_metadata(&path).ok()?;
    let current = CachedToken::read(cache_file).ok().flatten();
    Some(match Pending::read(&path) {
        Ok(Some(p)) if current.as_ref().is_some_and(|c| p.replaces(c)) => {
            Kept::Waiting { path, refreshed_at: p.refreshed_at }
        }
        Ok(Some(_)) => Kept::Superseded { path },
        Ok(None) => return None,
        Err(e) => Kept::Unreadable { path, reason: e.to_string() },
    })
}

/// A kept token, as `describe` finds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Kept {
    /// The cache still holds the token it was refreshed from: the next due run puts it in place.
    Waiting {
        path: PathBuf,
        refreshed_at: String,
    },
    /// The cache has moved on (or is gone): the next due run, or a logout, removes it unused.
    Superseded {
        path: PathBuf,
    },
    Unreadable {
        path: PathBuf,
        reason: String,
    },
}

impl Kept {
    pub fn path(&self) -> &Path {
        match self {
            Kept::Waiting { path, .. } | Kept::Superseded { path } | Kept::Unreadable { path, .. } => path,
        }
    }

    /// The stable name in `status --json`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Kept::Waiting { .. } => "waiting",
            Kept::Superseded { .. } => "superseded",
            Kept::Unreadable { .. } => "unreadable",
        }
    }

    /// In words, naming the file; never a token.
    pub fn words(&self) -> String {
        match self {
            Kept::Waiting { path, refreshed_at } => format!(
                "the token refreshed at {refreshed_at} could not be written to the cache; it waits in {} and the next tick puts it in place",
                path.display()
            ),
            Kept::Superseded { path } => format!(
                "{} holds a refreshed token that could not be written, but the cache no longer holds the token it was refreshed from (a newer login or refresh, or none); the next refresh or logout removes it unused",
                path.display()
            ),
            Kept::Unreadable { reason, .. } => format!("unusable kept token: {reason}; the next refresh removes it"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(access: &str, refresh: Option<&str>, expires: &str) -> CachedToken {
        let mut v = json!({"startUrl": "https://corp.awsapps.com/start", "accessToken": access, "expiresAt": expires, "clientId": "c", "clientSecret": "s", "zeta": [1, 2.50]});
        if let Some(r) = refresh {
            v["refreshToken"] = json!(r);
        }
        CachedToken::from_slice(Path::new("k.json"), v.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn kept_beside_the_cache_hidden_and_not_json() {
        assert_eq!(path(Path::new("/c/abc.json")), Path::new("/c/.abc.ssofresh.pending"));
    }

    #[test]
    fn round_trips_and_gives_back_the_cache_bytes_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let old = token("a1", Some("r1"), "2026-01-01T00:00:00Z");
        let new = token("a2", Some("r2"), "2026-01-01T01:00:00Z");
        let p = Pending::new(new.clone(), &old, chrono::Utc::now()).unwrap();
        let file = dir.path().join(".k.ssofresh.pending");
        std::fs::write(&file, p.to_bytes()).unwrap();
        let back = Pending::read(&file).unwrap().unwrap();
        assert_eq!(back, p);
        assert_eq!(back.token.to_bytes(), new.to_bytes(), "the mark is gone, everything else is byte for byte");
        let text = String::from_utf8(p.to_bytes()).unwrap();
        assert!(!text.contains("\"r1\""), "the old refresh token is kept as a fingerprint only: {text}");
        assert!(Pending::read(&dir.path().join("none")).unwrap().is_none());
    }

    #[test]
    fn replaces_only_the_very_token_it_was_refreshed_from() {
        let old = token("a1", Some("r1"), "2026-01-01T00:00:00Z");
        let p = Pending::new(token("a2", Some("r2"), "2026-01-01T01:00:00Z"), &old, chrono::Utc::now()).unwrap();
        assert!(p.replaces(&old));
        // Another client's refresh that kept the refresh token: a later expiry.
        assert!(!p.replaces(&token("a3", Some("r1"), "2026-01-01T01:05:00Z")));
        // A new login, or another client's rotation.
        assert!(!p.replaces(&token("a4", Some("r4"), "2026-01-01T00:00:00Z")));
        assert!(!p.replaces(&token("a1", None, "2026-01-01T00:00:00Z")));
        assert!(!p.replaces(&p.token), "itself: already in place");
        assert!(Pending::new(p.token.clone(), &token("a1", None, "2026-01-01T00:00:00Z"), chrono::Utc::now()).is_none());
    }

    #[test]
    fn a_cache_file_without_the_mark_is_no_kept_token() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".k.ssofresh.pending");
        std::fs::write(&file, token("a", Some("r"), "2026-01-01T00:00:00Z").to_bytes()).unwrap();
        assert!(matches!(Pending::read(&file), Err(PendingError::Unmarked(_))));
        std::fs::write(&file, b"{").unwrap();
        assert!(matches!(Pending::read(&file), Err(PendingError::Cache(_))));
    }
}
