//! Changing the AWS config file the way a careful person would in an editor: a few keys of one
//! section set in place, or a new section added at the end. Every other byte — comments, blank
//! lines, the order of sections and keys, keys ssofresh does not know, line endings — stays as
//! it was, so botocore, the SDKs and `aws configure` read the file as before, plus the change.
//!
//! The file's structure is read as botocore reads it (Python's `configparser`): comments are
//! lines starting with `#` or `;`, a key is `name = value` or `name: value` (names compare
//! without case), a line indented deeper than its key continues the key's value, and an
//! indented `[…]` there is such a continuation, not a header.

use crate::aws::ini::{self, Kind as SectionKind};
use crate::sys::{fs, guard, lock};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A section ssofresh writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Section {
    /// `[sso-session NAME]`.
    SsoSession(String),
    /// `[profile NAME]`, or `[default]` for the profile named `default`.
    Profile(String),
}

impl Section {
    /// The header line ssofresh writes for it.
    pub fn header(&self) -> String {
        match self {
            Section::SsoSession(n) => format!("[sso-session {n}]"),
            Section::Profile(n) if n == "default" => "[default]".into(),
            Section::Profile(n) => format!("[profile {n}]"),
        }
    }

    /// Whether a header's text (between `[` and `]`) names this section, as botocore and
    /// `AwsConfig::parse` read it (`aws::ini::section`: `[profile default]` is the default
    /// profile too, `[ profile x]` is no profile).
    fn is_named_by(&self, inner: &str) -> bool {
        match ini::section(inner) {
            Some((SectionKind::SsoSession, n)) => matches!(self, Section::SsoSession(s) if *s == n),
            Some((SectionKind::Profile, n)) => matches!(self, Section::Profile(s) if *s == n),
            _ => false,
        }
    }
}

/// Why a change cannot be made to the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("a value for {key} would not fit on one line of the config: {value:?}")]
    BadValue { key: String, value: String },
    #[error("a section or key name ssofresh cannot write safely: {0:?}")]
    BadName(String),
    #[error("it has a carriage return that does not end a line (line {0}); fix that line by hand first")]
    LoneCarriageReturn(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Blank,
    Comment,
    /// The text between `[` and the last `]`.
    Header(String),
    /// A key, lower-cased; `value_at` is where its value starts in the line.
    Key {
        name: String,
        value_at: usize,
    },
    /// A line of the previous key's value.
    Continuation,
    /// Something botocore would reject or skip (a line before any header, a line without `=`).
    Other,
}

#[derive(Debug)]
struct Line<'a> {
    /// The line with its ending (`\n`, `\r\n`, or none at the end of the file).
    raw: &'a str,
    kind: Kind,
}

impl Line<'_> {
    fn body(&self) -> &str {
        self.raw.trim_end_matches('\n').trim_end_matches('\r')
    }
}

/// The config's lines, each classified as configparser classifies it.
struct Doc<'a> {
    lines: Vec<Line<'a>>,
    eol: &'static str,
}

impl<'a> Doc<'a> {
    fn parse(text: &'a str) -> Result<Doc<'a>, EditError> {
        let mut lines = Vec::new();
        let mut in_section = false;
        let mut key_indent: Option<usize> = None;
        for (i, raw) in text.split_inclusive('\n').enumerate() {
            let mut body = raw.trim_end_matches('\n').trim_end_matches('\r');
            if body.contains('\r') {
                // Python reads a lone CR as a line end; a line-based edit would disagree with it.
                return Err(EditError::LoneCarriageReturn(i + 1));
            }
            if i == 0 {
                body = body.trim_start_matches('\u{feff}');
            }
            let stripped = body.trim();
            let kind = if stripped.starts_with('#') || stripped.starts_with(';') {
                Kind::Comment
            } else if stripped.is_empty() {
                Kind::Blank
            } else {
                let indent = body.len() - body.trim_start().len();
                match key_indent {
                    Some(k) if in_section && indent > k => Kind::Continuation,
                    _ => {
                        let header = stripped
                            .strip_prefix('[')
                            .and_then(|rest| rest.rfind(']').filter(|&end| end > 0).map(|end| rest[..end].to_string()));
                        match header {
                            Some(inner) => {
                                in_section = true;
                                key_indent = None;
                                Kind::Header(inner)
                            }
                            None if !in_section => Kind::Other,
                            None => match body.find(['=', ':']) {
                                Some(at) if !body[..at].trim().is_empty() => {
                                    key_indent = Some(indent);
                                    let after = &body[at + 1..];
                                    let value_at = at + 1 + (after.len() - after.trim_start().len());
                                    Kind::Key { name: body[..at].trim().to_ascii_lowercase(), value_at }
                                }
                                _ => {
                                    key_indent = None;
                                    Kind::Other
                                }
                            },
                        }
                    }
                }
            };
            lines.push(Line { raw, kind });
        }
        // New lines end as the file's first line does.
        let eol = match lines.first() {
            Some(l) if l.raw.ends_with("\r\n") => "\r\n",
            _ => "\n",
        };
        Ok(Doc { lines, eol })
    }

    /// Indices of the header lines that name `section`.
    fn headers(&self, section: &Section) -> Vec<usize> {
        (0..self.lines.len())
            .filter(|&i| matches!(&self.lines[i].kind, Kind::Header(inner) if section.is_named_by(inner)))
            .collect()
    }

    /// The lines after header `h` up to the next header.
    fn extent(&self, h: usize) -> std::ops::Range<usize> {
        let end = (h + 1..self.lines.len()).find(|&i| matches!(self.lines[i].kind, Kind::Header(_)));
        h + 1..end.unwrap_or(self.lines.len())
    }

    /// The continuation lines of the key at `k`: through the last line indented under it
    /// (comments and blank lines between them included, as configparser reads them).
    fn continuation_end(&self, k: usize) -> usize {
        let mut end = k + 1;
        let mut i = k + 1;
        while i < self.lines.len() {
            match self.lines[i].kind {
                Kind::Continuation => {
                    i += 1;
                    end = i;
                }
                Kind::Blank | Kind::Comment => i += 1,
                _ => break,
            }
        }
        end
    }
}

fn check_name(name: &str) -> Result<(), EditError> {
    let ok = !name.is_empty()
        && !name.starts_with(['#', ';', '['])
        && name.chars().all(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, ']' | '=' | ':' | '"' | '\''));
    if ok {
        Ok(())
    } else {
        Err(EditError::BadName(name.to_string()))
    }
}

fn check_value(key: &str, value: &str) -> Result<(), EditError> {
    if value.trim().is_empty() || value.trim() != value || value.chars().any(char::is_control) {
        return Err(EditError::BadValue { key: key.to_string(), value: value.to_string() });
    }
    Ok(())
}

/// Sets `keys` in `section`, in place where a key is already there (its continuation lines go
/// with its old value), else after the section's last key; adds the section at the end of the
/// text if there is none. Everything else is kept byte for byte. Setting what is already there
/// returns the text unchanged.
pub fn set_keys(text: &str, section: &Section, keys: &[(&str, &str)]) -> Result<String, EditError> {
    match section {
        Section::SsoSession(n) | Section::Profile(n) => check_name(n)?,
    }
    for (k, v) in keys {
        check_name(k)?;
        if *k != k.to_ascii_lowercase() {
            return Err(EditError::BadName(k.to_string()));
        }
        check_value(k, v)?;
    }
    let doc = Doc::parse(text)?;
    let eol = doc.eol;
    let headers = doc.headers(section);
    let Some(&last_header) = headers.last() else {
        return Ok(append_section(text, section, keys, eol));
    };
    // Per line: replaced (None = dropped, for continuation lines of a replaced value).
    let mut replaced: Vec<Option<Option<String>>> = vec![None; doc.lines.len()];
    let mut missing: Vec<(&str, &str)> = Vec::new();
    for (key, value) in keys {
        let mut found = false;
        for &h in &headers {
            for i in doc.extent(h) {
                let Kind::Key { name, value_at } = &doc.lines[i].kind else { continue };
                if name != key {
                    continue;
                }
                found = true;
                let line = &doc.lines[i];
                let body = line.body();
                let end = doc.continuation_end(i);
                let has_continuation = (i + 1..end).any(|j| doc.lines[j].kind == Kind::Continuation);
                if body[*value_at..].trim_end() == *value && !has_continuation {
                    continue;
                }
                let ending = &line.raw[body.len()..];
                let prefix = &body[..*value_at];
                let space = if prefix.ends_with(char::is_whitespace) { "" } else { " " };
                replaced[i] = Some(Some(format!("{prefix}{space}{value}{ending}")));
                // The old value's other lines go with it; comments among them stay.
                for (j, l) in doc.lines.iter().enumerate().take(end).skip(i + 1) {
                    if matches!(l.kind, Kind::Continuation | Kind::Blank) {
                        replaced[j] = Some(None);
                    }
                }
            }
        }
        if !found {
            missing.push((key, value));
        }
    }
    // New keys go after the last key (or value line) of the section's last occurrence.
    let range = doc.extent(last_header);
    let insert_after = range
        .clone()
        .rev()
        .find(|&i| matches!(doc.lines[i].kind, Kind::Key { .. } | Kind::Continuation | Kind::Other))
        .unwrap_or(last_header);
    let mut out = String::with_capacity(text.len() + 64 * missing.len());
    for (i, line) in doc.lines.iter().enumerate() {
        match &replaced[i] {
            Some(Some(new)) => out.push_str(new),
            Some(None) => {}
            None => out.push_str(line.raw),
        }
        if i == insert_after && !missing.is_empty() {
            if !out.ends_with('\n') {
                out.push_str(eol);
            }
            for (k, v) in &missing {
                out.push_str(&format!("{k} = {v}{eol}"));
            }
        }
    }
    Ok(out)
}

fn append_section(text: &str, section: &Section, keys: &[(&str, &str)], eol: &str) -> String {
    let mut out = text.to_string();
    if !out.is_empty() {
        if !out.ends_with('\n') {
            out.push_str(eol);
        }
        // A blank line before the new section, unless there is one already.
        let body = out.strip_suffix('\n').unwrap_or(&out);
        let last_line = body.rsplit('\n').next().unwrap_or("");
        if !last_line.trim().is_empty() {
            out.push_str(eol);
        }
    }
    out.push_str(&section.header());
    out.push_str(eol);
    for (k, v) in keys {
        out.push_str(&format!("{k} = {v}{eol}"));
    }
    out
}

/// The section as ssofresh would add it: for printing instead of writing.
pub fn render_section(section: &Section, keys: &[(&str, &str)]) -> String {
    append_section("", section, keys, "\n")
}

/// What writing the config came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// The change was already there: the file was not touched.
    Unchanged,
    /// There was no config: it was created (0600).
    Created,
    /// The file was replaced; its previous content is in `backup`.
    Updated { backup: PathBuf },
}

/// Why the config could not be changed. The file is as it was in every case.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not UTF-8 text; ssofresh edits only text it can keep byte for byte")]
    NotUtf8 { path: PathBuf },
    #[error("cannot change {path}: {source}")]
    Edit { path: PathBuf, source: EditError },
    #[error("{path} changed while ssofresh was changing it (another program wrote it); nothing was written, run the command again")]
    Raced { path: PathBuf },
    #[error("another ssofresh is changing {path}; nothing was written, run the command again")]
    Busy { path: PathBuf },
    #[error(
        "cannot write {path}: {source}; nothing was changed (check free space and the directory's owner and mode)"
    )]
    Write { path: PathBuf, source: std::io::Error },
}

/// The backup of the config's previous content, beside it.
pub fn backup_path(config: &Path) -> PathBuf {
    let mut name = config.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "config".into());
    name.push(".ssofresh.bak");
    config.with_file_name(name)
}

/// Applies `edit` to the config at `path` under a lock in `state_dir`: reads it (refused as
/// the token cache is when another user could have planted it), and, if the text changes,
/// saves the previous content to [`backup_path`] and replaces the file atomically with the
/// same permissions (0600 when it is created). A config that is a symlink (a dotfiles
/// repository) is written where the link points, so the link stays. `edit` gets the current
/// text ("" when there is no file) and returns the new one.
pub fn update<E>(
    path: &Path,
    state_dir: &Path,
    edit: impl Fn(&str) -> Result<String, E>,
) -> Result<Result<(Written, String), E>, WriteError> {
    let _lock = match lock::acquire(&lock::lock_path(state_dir, "aws-config"), Duration::from_secs(10)) {
        Ok(Some(l)) => l,
        Ok(None) => return Err(WriteError::Busy { path: path.to_path_buf() }),
        Err(source) => return Err(WriteError::Write { path: lock::lock_path(state_dir, "aws-config"), source }),
    };
    let read = |p: &Path| guard::read(p).map_err(|source| WriteError::Read { path: p.to_path_buf(), source });
    let before = read(path)?;
    // Where the bytes live: through the user's own symlink (guard::read has refused any other).
    let real = guard::own_link_target(path).unwrap_or_else(|| path.to_path_buf());
    let old = match &before {
        Some(bytes) => {
            std::str::from_utf8(bytes).map_err(|_| WriteError::NotUtf8 { path: path.to_path_buf() })?.to_string()
        }
        None => String::new(),
    };
    let new = match edit(&old) {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    if before.is_some() && new == old {
        return Ok(Ok((Written::Unchanged, new)));
    }
    let write_err = |p: &Path, source| WriteError::Write { path: p.to_path_buf(), source };
    let written = match &before {
        Some(bytes) => {
            let backup = backup_path(&real);
            fs::write_atomic(&backup, bytes).map_err(|e| write_err(&backup, e))?;
            Written::Updated { backup }
        }
        None => Written::Created,
    };
    // The last look before the rename: a program that wrote meanwhile keeps its change.
    if read(path)? != before {
        return Err(WriteError::Raced { path: path.to_path_buf() });
    }
    let mode = existing_mode(&real);
    fs::write_through_own_link_with_mode(path, new.as_bytes(), mode).map_err(|e| write_err(&real, e))?;
    Ok(Ok((written, new)))
}

#[cfg(unix)]
fn existing_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).ok().map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn existing_mode(_path: &Path) -> Option<u32> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(n: &str) -> Section {
        Section::SsoSession(n.into())
    }

    #[test]
    fn adds_a_section_at_the_end_with_one_blank_line() {
        let keys = [("sso_start_url", "https://corp.awsapps.com/start"), ("sso_region", "eu-west-1")];
        let want = "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n";
        assert_eq!(set_keys("", &session("corp"), &keys).unwrap(), want);
        assert_eq!(
            set_keys("[default]\nregion = x", &session("corp"), &keys).unwrap(),
            format!("[default]\nregion = x\n\n{want}")
        );
        assert_eq!(set_keys("[default]\n\n", &session("corp"), &keys).unwrap(), format!("[default]\n\n{want}"));
        let crlf = set_keys("[default]\r\nregion = x\r\n", &session("corp"), &keys).unwrap();
        assert_eq!(crlf, format!("[default]\r\nregion = x\r\n\r\n{}", want.replace('\n', "\r\n")));
    }

    #[test]
    fn sets_keys_in_place_and_adds_missing_ones_after_the_last_key() {
        let text = "# mine\n[sso-session corp]  ; the company\nSSO_Region: us-east-1\n# note\nsso_registration_scopes =\n  a\n\n  b\nfoo = bar\n\n# about dev\n[profile dev]\nregion=x\n";
        let got = set_keys(
            text,
            &session("corp"),
            &[
                ("sso_region", "eu-west-1"),
                ("sso_registration_scopes", "sso:account:access"),
                ("sso_start_url", "https://s/start"),
            ],
        )
        .unwrap();
        assert_eq!(
            got,
            "# mine\n[sso-session corp]  ; the company\nSSO_Region: eu-west-1\n# note\nsso_registration_scopes = sso:account:access\nfoo = bar\nsso_start_url = https://s/start\n\n# about dev\n[profile dev]\nregion=x\n"
        );
        // Once set, setting again changes nothing.
        let again = set_keys(
            &got,
            &session("corp"),
            &[
                ("sso_region", "eu-west-1"),
                ("sso_registration_scopes", "sso:account:access"),
                ("sso_start_url", "https://s/start"),
            ],
        )
        .unwrap();
        assert_eq!(again, got);
    }

    #[test]
    fn an_indented_header_is_a_value_not_a_section() {
        let text = "[profile a]\nnote =\n  [sso-session corp]\n  sso_region = x\n";
        let got = set_keys(text, &session("corp"), &[("sso_region", "y")]).unwrap();
        assert!(got.starts_with(text) && got.ends_with("\n\n[sso-session corp]\nsso_region = y\n"), "{got}");
    }

    #[test]
    fn the_section_edited_is_the_one_botocore_reads() {
        // `[ sso-session corp]` is no session to botocore (nor to `AwsConfig::parse`): the edit
        // adds the real one rather than changing a section nothing reads.
        let text = "[ sso-session corp]\nsso_region = x\n";
        let got = set_keys(text, &session("corp"), &[("sso_region", "eu-west-1")]).unwrap();
        assert_eq!(got, format!("{text}\n[sso-session corp]\nsso_region = eu-west-1\n"));
        let cfg = crate::aws::config::AwsConfig::parse(&got).unwrap();
        assert_eq!(cfg.session("corp").and_then(|s| s.region.as_deref()), Some("eu-west-1"));
        // A quoted name is the name botocore splits out.
        let text = "[sso-session \"corp\"]\nsso_region = x\n";
        let got = set_keys(text, &session("corp"), &[("sso_region", "eu-west-1")]).unwrap();
        assert_eq!(got, "[sso-session \"corp\"]\nsso_region = eu-west-1\n");
    }

    #[test]
    fn a_file_without_a_final_newline_gets_one_before_new_lines() {
        let got = set_keys("[profile a]\nregion = x", &Section::Profile("a".into()), &[("output", "json")]).unwrap();
        assert_eq!(got, "[profile a]\nregion = x\noutput = json\n");
        let got = set_keys("[profile a]", &Section::Profile("a".into()), &[("output", "json")]).unwrap();
        assert_eq!(got, "[profile a]\noutput = json\n");
    }

    #[test]
    fn default_is_written_as_default() {
        let got = set_keys("", &Section::Profile("default".into()), &[("region", "x")]).unwrap();
        assert_eq!(got, "[default]\nregion = x\n");
        let got = set_keys("[profile default]\nregion = a\n", &Section::Profile("default".into()), &[("region", "x")])
            .unwrap();
        assert_eq!(got, "[profile default]\nregion = x\n");
    }

    #[test]
    fn refuses_what_would_break_the_file() {
        for bad in ["a b", "a]b", "", "#a", "a\nb"] {
            assert!(set_keys("", &session(bad), &[("k", "v")]).is_err(), "{bad:?}");
        }
        for bad in ["", " v", "v\n[x]", "a\rb"] {
            assert!(matches!(set_keys("", &session("s"), &[("k", bad)]), Err(EditError::BadValue { .. })), "{bad:?}");
        }
        assert_eq!(set_keys("[a]\rb\n", &session("s"), &[("k", "v")]), Err(EditError::LoneCarriageReturn(1)));
    }

    #[test]
    fn backup_sits_beside_the_config() {
        assert_eq!(backup_path(Path::new("/h/.aws/config")), Path::new("/h/.aws/config.ssofresh.bak"));
    }
}
