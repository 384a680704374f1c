//! The SSO token cache (`~/.aws/sso/cache/<sha1>.json`), read and written the way botocore does.

use crate::sys::fs;
use crate::sys::secret::{hex, Secret};
use crate::text::timefmt;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sha1::{Digest, Sha1};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Lowercase hex SHA-1: of the sso-session name, or of a legacy profile's start URL as written.
pub fn cache_key(name_or_start_url: &str) -> String {
    hex(&Sha1::digest(name_or_start_url.as_bytes()))
}

pub(crate) fn cache_path(dir: &Path, name_or_start_url: &str) -> PathBuf {
    dir.join(format!("{}.json", cache_key(name_or_start_url)))
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{path} is not valid JSON ({detail})")]
    NotJson { path: PathBuf, detail: String },
    #[error("{path} holds a JSON {found}, not an object")]
    WrongType { path: PathBuf, found: &'static str },
    #[error("{path} has no `{field}`")]
    MissingField { path: PathBuf, field: &'static str },
    #[error("{path}: `{field}` is not a string")]
    FieldType { path: PathBuf, field: &'static str },
    #[error("{path}: `{field}` is not a timestamp{value}")]
    BadTime { path: PathBuf, field: &'static str, value: String },
    /// Empty or cut short even after the pauses of [`CachedToken::read`]: a crashed writer left
    /// it so, or one that truncates and then writes is slower than that.
    #[error("{path} is {}", if *.len == 0 { "empty".to_string() } else { format!("truncated ({len} bytes)") })]
    Partial { path: PathBuf, len: usize },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    /// The file or its directory is not the user's own (`guard`).
    #[error("{0}")]
    Unsafe(crate::sys::guard::Unsafe),
}

impl CacheError {
    fn read(path: &Path, source: io::Error) -> CacheError {
        match crate::sys::guard::as_unsafe(&source) {
            Some(u) => CacheError::Unsafe(u.clone()),
            None => CacheError::Read { path: path.to_path_buf(), source },
        }
    }
    pub(crate) fn write(path: &Path, source: io::Error) -> CacheError {
        match crate::sys::guard::as_unsafe(&source) {
            Some(u) => CacheError::Unsafe(u.clone()),
            None => CacheError::Write { path: path.to_path_buf(), source },
        }
    }
}

/// One cached token. Known fields are typed (secrets as `Secret`); everything else is kept in
/// `extra`, in file order, and written back untouched.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedToken {
    pub start_url: Option<String>,
    pub region: Option<String>,
    pub access_token: Secret,
    /// Kept as written: status reports the cache's own string, and an untouched token is
    /// written back byte for byte.
    pub expires_at: String,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub registration_expires_at: Option<String>,
    pub refresh_token: Option<Secret>,
    pub extra: Map<String, Value>,
}

impl CachedToken {
    pub(crate) fn expires(&self) -> DateTime<Utc> {
        // Validated when read, and written by us only in a parseable form.
        timefmt::parse(&self.expires_at).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    pub(crate) fn registration_expires(&self) -> Option<DateTime<Utc>> {
        self.registration_expires_at.as_deref().and_then(timefmt::parse)
    }

    /// Parses a cache file's bytes. Errors name the field, never a value that could be secret.
    pub fn from_slice(path: &Path, bytes: &[u8]) -> Result<CachedToken, CacheError> {
        let not_json = |e: serde_json::Error| CacheError::NotJson {
            path: path.to_path_buf(),
            detail: match e.classify() {
                serde_json::error::Category::Eof => "truncated".to_string(),
                _ => format!("line {}, column {}", e.line(), e.column()),
            },
        };
        // An object, as every cache file is, straight into the fields: no JSON value of the
        // whole file and no hashing of its keys (this runs for every session at every prompt).
        // Anything else is read as a value, to say what it is.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            let value: Value = serde_json::from_slice(bytes).map_err(not_json)?;
            return Err(CacheError::WrongType { path: path.to_path_buf(), found: json_kind(&value) });
        }
        let Fields { known, extra } = serde_json::from_slice(bytes).map_err(not_json)?;
        // Taken in `FIELDS` order (the order of the fields below): the first bad one is named.
        let mut known = known.into_iter().zip(FIELDS).map(|(value, field)| match value {
            Field::Absent => Ok(None),
            Field::Text(s) => Ok(Some(s)),
            Field::Other => Err(CacheError::FieldType { path: path.to_path_buf(), field }),
        });
        let mut take = || known.next().unwrap_or(Ok(None));
        let missing = |field| CacheError::MissingField { path: path.to_path_buf(), field };
        let token = CachedToken {
            start_url: take()?,
            region: take()?,
            access_token: Secret::new(take()?.ok_or_else(|| missing("accessToken"))?),
            expires_at: take()?.ok_or_else(|| missing("expiresAt"))?,
            client_id: take()?,
            client_secret: take()?.map(Secret::new),
            registration_expires_at: take()?,
            refresh_token: take()?.map(Secret::new),
            extra,
        };
        let bad_time = |field: &'static str, value: &str| CacheError::BadTime {
            path: path.to_path_buf(),
            field,
            // Shown only when it looks like a date: a misplaced token must not be echoed.
            value: if value.len() <= 40 && value.chars().all(|c| c.is_ascii_digit() || "-:.+TZUC ".contains(c)) {
                format!(" ({value:?})")
            } else {
                String::new()
            },
        };
        if timefmt::parse(&token.expires_at).is_none() {
            return Err(bad_time("expiresAt", &token.expires_at));
        }
        if let Some(r) = &token.registration_expires_at {
            if timefmt::parse(r).is_none() {
                return Err(bad_time("registrationExpiresAt", r));
            }
        }
        Ok(token)
    }

    /// Reads a cache file; `Ok(None)` when there is none (never logged in). The JS and Rust
    /// SDKs (and older botocore) rewrite the file in place, truncating it first: a file found
    /// empty or cut short is read again after a few short pauses before it counts as broken.
    pub(crate) fn read(path: &Path) -> Result<Option<CachedToken>, CacheError> {
        read_settled(path, &SETTLE_PAUSES, std::thread::sleep)
    }

    /// How many bytes to reserve for a refreshed version of this token: new tokens may be
    /// longer than the old ones, so twice the file as it stands, plus 4 KiB.
    pub(crate) fn reserve(&self) -> usize {
        2 * self.to_bytes().len() + 4096
    }

    /// The file's bytes as botocore writes them: its field order, `json.dumps` spacing and
    /// ASCII escapes, one line; unknown fields follow in their original order.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut map = Map::new();
        let mut put = |k: &str, v: Option<&str>| {
            if let Some(v) = v {
                map.insert(k.to_string(), Value::String(v.to_string()));
            }
        };
        put("startUrl", self.start_url.as_deref());
        put("region", self.region.as_deref());
        put("accessToken", Some(self.access_token.expose()));
        put("expiresAt", Some(&self.expires_at));
        put("clientId", self.client_id.as_deref());
        put("clientSecret", self.client_secret.as_ref().map(Secret::expose));
        put("registrationExpiresAt", self.registration_expires_at.as_deref());
        put("refreshToken", self.refresh_token.as_ref().map(Secret::expose));
        for (k, v) in &self.extra {
            map.entry(k.clone()).or_insert_with(|| v.clone());
        }
        python_json(&Value::Object(map))
    }

    /// Writes a new login over whatever the cache holds: replaced atomically, or, when another
    /// program holds the file open (Windows), rewritten in place (`Staged::commit_or_rewrite`),
    /// since a login that is not saved must be done again.
    pub(crate) fn write(&self, path: &Path) -> Result<(), CacheError> {
        // Through the user's own symlink: a cache file kept in a dotfiles repository stays a link.
        fs::write_through_own_link_or_rewrite(path, &self.to_bytes())
            .map(|_| ())
            .map_err(|source| CacheError::write(path, source))
    }
}

/// Pauses before reading a cut-short cache again: 150 ms in all, ten times what an SDK takes
/// between truncating the file and writing it.
const SETTLE_PAUSES: [std::time::Duration; 4] = {
    use std::time::Duration;
    [Duration::from_millis(10), Duration::from_millis(20), Duration::from_millis(40), Duration::from_millis(80)]
};

fn read_settled(
    path: &Path,
    pauses: &[std::time::Duration],
    mut sleep: impl FnMut(std::time::Duration),
) -> Result<Option<CachedToken>, CacheError> {
    let mut pauses = pauses.iter();
    loop {
        let bytes = match crate::sys::guard::read(path) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Ok(None),
            Err(source) => return Err(CacheError::read(path, source)),
        };
        match CachedToken::from_slice(path, &bytes) {
            Err(_) if cut_short(&bytes) => match pauses.next() {
                Some(pause) => {
                    log::debug!("{} is empty or cut short; reading it again in {pause:?}", path.display());
                    sleep(*pause);
                }
                None => return Err(CacheError::Partial { path: path.to_path_buf(), len: bytes.len() }),
            },
            parsed => return parsed.map(Some),
        }
    }
}

/// Whether `bytes` could be the start of a file still being written: nothing but blanks, or
/// JSON that ends too early.
fn cut_short(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
        || serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_err_and(|e| e.is_eof())
}

/// The fields botocore writes, in its order.
const FIELDS: [&str; 8] = [
    "startUrl",
    "region",
    "accessToken",
    "expiresAt",
    "clientId",
    "clientSecret",
    "registrationExpiresAt",
    "refreshToken",
];

/// A known field as read: missing or `null`, a string, or anything else (an error, named when
/// the token is built).
#[derive(Default)]
enum Field {
    #[default]
    Absent,
    Text(String),
    Other,
}

/// A cache file's object: the known fields by their place in `FIELDS`, the rest as they were
/// (in file order; a key given twice keeps its first place and its last value, as a JSON
/// value's map has it).
#[derive(Default)]
struct Fields {
    known: [Field; 8],
    extra: Map<String, Value>,
}

impl<'de> serde::Deserialize<'de> for Fields {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Fields, D::Error> {
        d.deserialize_map(FieldsVisitor)
    }
}

struct FieldsVisitor;

impl<'de> serde::de::Visitor<'de> for FieldsVisitor {
    type Value = Fields;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
        let mut out = Fields::default();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Known(i) => {
                    out.known[i] = match map.next_value::<Value>()? {
                        Value::Null => Field::Absent,
                        Value::String(s) => Field::Text(s),
                        _ => Field::Other,
                    }
                }
                Key::Other(k) => {
                    out.extra.insert(k, map.next_value()?);
                }
            }
        }
        Ok(out)
    }
}

/// A key of the object: one of `FIELDS` (by place) or another.
enum Key {
    Known(usize),
    Other(String),
}

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct KeyVisitor;
        impl serde::de::Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: serde::de::Error>(self, k: &str) -> Result<Key, E> {
                Ok(FIELDS.iter().position(|f| *f == k).map_or_else(|| Key::Other(k.to_string()), Key::Known))
            }
            fn visit_string<E: serde::de::Error>(self, k: String) -> Result<Key, E> {
                Ok(FIELDS.iter().position(|f| *f == k).map_or(Key::Other(k), Key::Known))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Python's `json.dumps` defaults: `", "` and `": "` separators, non-ASCII as `\uXXXX`.
pub(crate) fn python_json(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
    serde::Serialize::serialize(value, &mut ser).expect("serializing a Value into memory cannot fail");
    out
}

struct PythonFormatter;

impl serde_json::ser::Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
    fn write_string_fragment<W: ?Sized + Write>(&mut self, w: &mut W, fragment: &str) -> io::Result<()> {
        if fragment.bytes().all(|b| b < 0x7f) {
            return w.write_all(fragment.as_bytes());
        }
        let mut buf = [0u16; 2];
        for c in fragment.chars() {
            if (c as u32) < 0x7f {
                w.write_all(&[c as u8])?;
            } else {
                for unit in c.encode_utf16(&mut buf) {
                    write!(w, "\\u{:04x}", unit)?;
                }
            }
        }
        Ok(())
    }
}

impl CacheError {
    /// Empty or cut short: possibly another program's write in progress, so never advice to
    /// delete it.
    pub fn is_partial(&self) -> bool {
        matches!(self, CacheError::Partial { .. })
    }

    /// What to do about it, in a few words (`None`: the message says it already).
    pub fn advice(&self) -> Option<&'static str> {
        match self {
            CacheError::Unsafe(_) => None,
            CacheError::Read { .. } | CacheError::Write { .. } => Some("check the file's owner and mode"),
            CacheError::Partial { .. } => {
                Some("another program may be writing it: try again in a moment; if it stays so, log in again")
            }
            _ => Some("delete it and log in again"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTOCORE: &str = r#"{"startUrl": "https://corp.awsapps.com/start", "region": "us-east-1", "accessToken": "aoaAAAA", "expiresAt": "2026-01-01T00:00:00Z", "clientId": "cid", "clientSecret": "csecret", "registrationExpiresAt": "2026-03-01T00:00:00Z", "refreshToken": "aorAAAA"}"#;

    #[test]
    fn key_is_sha1_of_session_name() {
        assert_eq!(cache_key("admin"), "d033e22ae348aeb5660fc2140aec35850c4da997");
    }

    #[test]
    fn botocore_file_round_trips_byte_for_byte() {
        let t = CachedToken::from_slice(Path::new("x"), BOTOCORE.as_bytes()).unwrap();
        assert_eq!(String::from_utf8(t.to_bytes()).unwrap(), BOTOCORE);
    }

    #[test]
    fn unknown_fields_kept_in_order() {
        let text = r#"{"zeta": 1, "accessToken": "a", "expiresAt": "2026-01-01T00:00:00UTC", "alpha": {"n": [1, 2.5, null]}, "name": "é"}"#;
        let t = CachedToken::from_slice(Path::new("x"), text.as_bytes()).unwrap();
        let out = String::from_utf8(t.to_bytes()).unwrap();
        assert_eq!(
            out,
            r#"{"accessToken": "a", "expiresAt": "2026-01-01T00:00:00UTC", "zeta": 1, "alpha": {"n": [1, 2.5, null]}, "name": "\u00e9"}"#
        );
    }

    #[test]
    fn a_file_caught_mid_write_is_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        let whole = BOTOCORE.as_bytes();
        std::fs::write(&path, &whole[..40]).unwrap();
        let mut pauses = 0;
        let t = read_settled(&path, &SETTLE_PAUSES, |_| {
            pauses += 1;
            // The other writer finishes during the second pause.
            if pauses == 2 {
                std::fs::write(&path, whole).unwrap();
            }
        })
        .unwrap()
        .unwrap();
        assert_eq!((t.access_token.expose(), pauses), ("aoaAAAA", 2));
        for stuck in [&b""[..], b"  \n", &whole[..40]] {
            std::fs::write(&path, stuck).unwrap();
            let mut pauses = 0;
            let e = read_settled(&path, &SETTLE_PAUSES, |_| pauses += 1).unwrap_err();
            assert!(e.is_partial() && pauses == SETTLE_PAUSES.len(), "{e}");
            assert!(!e.advice().unwrap().contains("delete"), "{e}");
        }
        // Garbage is not a write in progress: no pause, and it may be deleted.
        std::fs::write(&path, b"{\"accessToken\": 5}").unwrap();
        let e = read_settled(&path, &SETTLE_PAUSES, |_| panic!("no pause for a complete file")).unwrap_err();
        assert!(!e.is_partial() && e.advice().unwrap().contains("delete"), "{e}");
    }

    #[test]
    fn read_as_a_json_value_reads_it() {
        // A key twice: its last value, in its first place, as a JSON value's map has it.
        let text = r#" {"x": 1, "accessToken": 5, "expiresAt": "2026-01-01T00:00:00Z", "x": [2], "accessToken": "b", "startUrl": null}"#;
        let t = CachedToken::from_slice(Path::new("x"), text.as_bytes()).unwrap();
        assert_eq!((t.access_token.expose(), t.start_url.as_deref()), ("b", None));
        assert_eq!(serde_json::to_string(&t.extra).unwrap(), r#"{"x":[2]}"#);
        let p = Path::new("c.json");
        for (text, what) in [
            (" [1]", "a JSON array"),
            ("5", "a JSON number"),
            ("\"s\"", "a JSON string"),
            ("null", "a JSON null"),
            ("true", "a JSON boolean"),
            ("", "not valid JSON (truncated)"),
            ("{} x", "not valid JSON (line 1, column 4)"),
            ("{\"a\": }", "not valid JSON (line 1, column 7)"),
        ] {
            let e = CachedToken::from_slice(p, text.as_bytes()).unwrap_err().to_string();
            assert!(e.contains(what), "{text:?}: {e}");
        }
    }

    #[test]
    fn numbers_in_unknown_fields_are_kept_exactly() {
        let text = r#"{"accessToken": "a", "expiresAt": "2026-01-01T00:00:00Z", "n": [12345678901234567890123, 0.10000000000000000555, -0, 18446744073709551616, 2.50]}"#;
        let t = CachedToken::from_slice(Path::new("x"), text.as_bytes()).unwrap();
        assert_eq!(String::from_utf8(t.to_bytes()).unwrap(), text);
    }

    #[test]
    fn clear_errors_without_values() {
        let p = Path::new("c.json");
        let err = |s: &str| CachedToken::from_slice(p, s.as_bytes()).unwrap_err().to_string();
        assert!(err(r#"{"accessToken": "sekrit-value"#).contains("truncated"));
        assert!(err(r#"["sekrit-value"]"#).contains("array"));
        assert!(err(r#"{"expiresAt": "2026-01-01T00:00:00Z"}"#).contains("`accessToken`"));
        let e = err(r#"{"accessToken": 5, "expiresAt": "x", "refreshToken": "sekrit-value"}"#);
        assert!(e.contains("`accessToken` is not a string"), "{e}");
        let e = err(r#"{"accessToken": "sekrit-value", "expiresAt": "soon"}"#);
        assert!(e.contains("expiresAt") && !e.contains("sekrit"), "{e}");
    }
}
