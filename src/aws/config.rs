//! The AWS shared config file: sso-sessions, the profiles that use them, legacy SSO profiles.

use crate::error::Error;
use ini::{Ini, ParseOption};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SsoSession {
    pub name: String,
    pub start_url: Option<String>,
    pub region: Option<String>,
    pub registration_scopes: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    pub name: String,
    pub sso_session: Option<String>,
    pub sso_start_url: Option<String>,
    pub sso_region: Option<String>,
    pub sso_account_id: Option<String>,
    pub sso_role_name: Option<String>,
    pub region: Option<String>,
    pub services: Option<String>,
    pub endpoint_url: Option<String>,
    pub ignore_configured_endpoint_urls: Option<String>,
    pub credential_process: Option<String>,
    /// `ssofresh_generated`: ssofresh wrote this profile (`configure profiles`, `configure
    /// credential-process --write`) and may update it; botocore ignores the key.
    pub generated: Option<String>,
}

/// The key that marks a profile ssofresh wrote, and may update; remove it and the profile is the
/// user's own, which ssofresh never changes.
pub const GENERATED_KEY: &str = "ssofresh_generated";

impl Profile {
    /// Whether ssofresh wrote this profile (and so may update it).
    pub fn is_generated(&self) -> bool {
        self.generated.as_deref().is_some_and(|v| !v.eq_ignore_ascii_case("false"))
    }

    /// A profile with its own start URL and no session: a fixed-lifetime token, never refreshable.
    pub(crate) fn is_legacy_sso(&self) -> bool {
        self.sso_session.is_none() && self.sso_start_url.is_some()
    }
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, `us-isob-east-1`: two letters,
/// words, a number.
pub fn valid_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts.last().is_some_and(|n| (1..=2).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
}

/// What `[services NAME]` says: service key (`sso_oidc`, `sso`) → its nested settings.
pub(crate) type Services = BTreeMap<String, BTreeMap<String, String>>;

#[derive(Debug, Clone, Default)]
pub struct AwsConfig {
    pub path: PathBuf,
    /// Whether the file existed; a missing file is an empty config, not an error.
    pub found: bool,
    /// In file order, so "the first profile that uses a session" is well defined.
    pub sessions: Vec<SsoSession>,
    pub profiles: Vec<Profile>,
    pub services: BTreeMap<String, Services>,
    /// Only some sections were read (`load_sessions`): other profiles and the services are
    /// missing, and whoever needs them loads the whole file (`full`).
    pub partial: bool,
    /// Where each name is in `sessions` and `profiles`: the parse builds these anyway (to merge
    /// duplicate sections), and a lookup per session through a list of 100k was the hook's
    /// 30 seconds. Trusted only while the lists keep the length they had then.
    session_index: BTreeMap<String, usize>,
    profile_index: BTreeMap<String, usize>,
    /// The profiles of each session (indexes into `profiles`), built at the first question
    /// about a config with more than a few profiles, with the length of `profiles` then.
    users: std::cell::OnceCell<(usize, BTreeMap<String, Vec<usize>>)>,
}

/// Up to this many profiles, `profiles_of` scans them: cheaper than building the index.
const SCAN_PROFILES: usize = 16;

impl AwsConfig {
    pub(crate) fn load(path: &Path) -> Result<AwsConfig, Error> {
        let Some(text) = read_text(path)? else {
            return Ok(AwsConfig { path: path.to_path_buf(), ..Default::default() });
        };
        let mut cfg = AwsConfig::parse(&text).map_err(|msg| Error::ConfigParse { path: path.to_path_buf(), msg })?;
        cfg.path = path.to_path_buf();
        cfg.found = true;
        Ok(cfg)
    }

    /// Reads only the `[sso-session]` sections and the named profiles. The hot path (a no-op
    /// tick at every prompt) needs nothing else, and big configs have hundreds of profiles that
    /// cost far more to parse than the rest of the tick.
    pub(crate) fn load_sessions(path: &Path, profiles: &[String]) -> Result<AwsConfig, Error> {
        let Some(text) = read_text(path)? else {
            return Ok(AwsConfig { path: path.to_path_buf(), partial: true, ..Default::default() });
        };
        let mut cfg = AwsConfig::parse_partial(&text, profiles)
            .map_err(|msg| Error::ConfigParse { path: path.to_path_buf(), msg })?;
        cfg.path = path.to_path_buf();
        cfg.found = true;
        cfg.partial = true;
        Ok(cfg)
    }

    /// The whole file, or `self` when it already is.
    pub(crate) fn full(&self) -> Result<std::borrow::Cow<'_, AwsConfig>, Error> {
        if self.partial {
            AwsConfig::load(&self.path).map(std::borrow::Cow::Owned)
        } else {
            Ok(std::borrow::Cow::Borrowed(self))
        }
    }

    /// The `[sso-session]` sections and the named profiles of `text`, parsed as `parse` would.
    pub fn parse_partial(text: &str, profiles: &[String]) -> Result<AwsConfig, String> {
        match sessions_text(text, profiles) {
            Some(part) => {
                let mut cfg = AwsConfig::parse(&part)?;
                cfg.partial = true;
                Ok(cfg)
            }
            None => AwsConfig::parse(text),
        }
    }

    /// Parses the text the way botocore reads it: raw values (no quotes, no escapes), nested
    /// indented values (`sso_oidc =` + `  endpoint_url = …`), the last of duplicate keys wins,
    /// duplicate sections merge.
    pub fn parse(text: &str) -> Result<AwsConfig, String> {
        let opt = ParseOption {
            enabled_quote: false,
            enabled_escape: false,
            enabled_indented_mutiline_value: true,
            enabled_preserve_key_leading_whitespace: false,
        };
        // A BOM or leading blank lines would otherwise make the first section unreadable.
        let text = text.trim_start_matches('\u{feff}');
        let text = header_comments_dropped(text);
        let ini = Ini::load_from_str_opt(&text, opt).map_err(|e| parse_error(&text, &e))?;

        let mut cfg = AwsConfig::default();
        let mut session_index = std::mem::take(&mut cfg.session_index);
        let mut profile_index = std::mem::take(&mut cfg.profile_index);

        for (section, props) in ini.iter() {
            let Some(section) = section else { continue };
            // A header botocore cannot split (an unclosed quote) names nothing, as there.
            let Some((kind, name)) = header(section) else { continue };
            let (kind, name) = (Some(kind.as_ref()), name.as_deref());
            // One pass over the keys (later duplicates win); lookups per key cost far more.
            let value = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
            match (kind, name) {
                (Some("sso-session"), Some(name)) => {
                    let i = *session_index.entry(name.to_string()).or_insert_with(|| {
                        cfg.sessions.push(SsoSession { name: name.to_string(), ..Default::default() });
                        cfg.sessions.len() - 1
                    });
                    let s = &mut cfg.sessions[i];
                    for (key, v) in props.iter() {
                        let slot = match key {
                            "sso_start_url" => &mut s.start_url,
                            "sso_region" => &mut s.region,
                            "sso_registration_scopes" => &mut s.registration_scopes,
                            _ => continue,
                        };
                        if let Some(v) = value(v) {
                            *slot = Some(v);
                        }
                    }
                }
                (Some("services"), Some(name)) => {
                    let entry = cfg.services.entry(name.to_string()).or_default();
                    for (key, value) in props.iter() {
                        entry.entry(key.trim().to_string()).or_default().extend(nested(value));
                    }
                }
                (Some("default"), None) | (Some("profile"), Some(_)) => {
                    let name = name.unwrap_or("default");
                    let i = *profile_index.entry(name.to_string()).or_insert_with(|| {
                        cfg.profiles.push(Profile { name: name.to_string(), ..Default::default() });
                        cfg.profiles.len() - 1
                    });
                    let p = &mut cfg.profiles[i];
                    for (key, v) in props.iter() {
                        let slot = match key {
                            "sso_session" => &mut p.sso_session,
                            "sso_start_url" => &mut p.sso_start_url,
                            "sso_region" => &mut p.sso_region,
                            "sso_account_id" => &mut p.sso_account_id,
                            "sso_role_name" => &mut p.sso_role_name,
                            "region" => &mut p.region,
                            "services" => &mut p.services,
                            "endpoint_url" => &mut p.endpoint_url,
                            "ignore_configured_endpoint_urls" => &mut p.ignore_configured_endpoint_urls,
                            "credential_process" => &mut p.credential_process,
                            GENERATED_KEY => &mut p.generated,
                            _ => continue,
                        };
                        if let Some(v) = value(v) {
                            *slot = Some(v);
                        }
                    }
                }
                _ => {}
            }
        }
        cfg.session_index = session_index;
        cfg.profile_index = profile_index;
        Ok(cfg)
    }

    pub(crate) fn session(&self, name: &str) -> Option<&SsoSession> {
        if self.session_index.len() == self.sessions.len() {
            return self.session_index.get(name).and_then(|&i| self.sessions.get(i)).filter(|s| s.name == name);
        }
        self.sessions.iter().find(|s| s.name == name)
    }

    pub fn profile(&self, name: &str) -> Option<&Profile> {
        if self.profile_index.len() == self.profiles.len() {
            return self.profile_index.get(name).and_then(|&i| self.profiles.get(i)).filter(|p| p.name == name);
        }
        self.profiles.iter().find(|p| p.name == name)
    }

    /// Profiles that use a session, in file order.
    pub(crate) fn profiles_of(&self, session: &str) -> Vec<&Profile> {
        let uses = |p: &&Profile| p.sso_session.as_deref() == Some(session);
        if self.profiles.len() <= SCAN_PROFILES {
            return self.profiles.iter().filter(uses).collect();
        }
        let (len, users) = self.users.get_or_init(|| {
            let mut m: BTreeMap<String, Vec<usize>> = BTreeMap::new();
            for (i, p) in self.profiles.iter().enumerate() {
                if let Some(s) = &p.sso_session {
                    m.entry(s.clone()).or_default().push(i);
                }
            }
            (self.profiles.len(), m)
        });
        if *len == self.profiles.len() {
            return users
                .get(session)
                .into_iter()
                .flatten()
                .filter_map(|&i| self.profiles.get(i))
                .filter(uses)
                .collect();
        }
        self.profiles.iter().filter(uses).collect()
    }

    pub(crate) fn legacy_profiles(&self) -> impl Iterator<Item = &Profile> {
        self.profiles.iter().filter(|p| p.is_legacy_sso())
    }
}

/// The most of a config file ssofresh reads: generous (the largest real configs, thousands of
/// profiles, are a few MiB), and small enough that a wrong file cannot exhaust memory.
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// The config file's text (invalid UTF-8 replaced), `None` when it does not exist. Only a
/// regular file of at most `MAX_CONFIG_BYTES` is read (`/dev/null` reads as empty): a FIFO, a
/// device or a directory is named in the error without blocking or reading it.
fn read_text(path: &Path) -> Result<Option<String>, Error> {
    use crate::sys::bounded::{self, ReadError};
    let bytes = match bounded::read(path, MAX_CONFIG_BYTES) {
        Ok(Some(b)) => b,
        Ok(None) => return Ok(None),
        Err(ReadError::NotRegular(kind)) => return Err(Error::ConfigNotFile { path: path.to_path_buf(), kind }),
        Err(ReadError::TooBig(size)) => {
            return Err(Error::ConfigTooBig { path: path.to_path_buf(), size, max: "16 MiB" })
        }
        Err(ReadError::Io(source)) => return Err(Error::ConfigRead { path: path.to_path_buf(), source }),
    };
    Ok(Some(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())))
}

/// The `[sso-session …]` sections and those of the named profiles, for `load_sessions`; `None`
/// when the text has a shape where a line-by-line split might not match the parser's (an
/// indented `[`, two headers on a line, a header without its `]`, a line that is not plain, a
/// lone CR or other control characters): the caller then parses it all, so what the whole
/// file's parse rejects is rejected on the hot path too.
fn sessions_text(text: &str, profiles: &[String]) -> Option<String> {
    let text = text.trim_start_matches('\u{feff}');
    if has_odd_control(text.as_bytes()) {
        return None;
    }
    let mut out = String::new();
    let mut keep = false;
    // Line by line as `lines()` splits, but by a byte search: `lines()` looks for each `\n`
    // through a char searcher that cost some 180 instructions a line, at every prompt.
    let bytes = text.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        let end = bytes[start..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| start + i);
        let line = &text[start..end];
        let line = line.strip_suffix('\r').unwrap_or(line);
        start = end + 1;
        // Most lines start with a letter or `[`: nothing to trim.
        let t = match line.as_bytes().first() {
            Some(b) if b.is_ascii() && !b.is_ascii_whitespace() => line,
            _ => line.trim_start(),
        };
        if t.starts_with('[') && t.len() != line.len() {
            return None;
        }
        if let Some(rest) = t.strip_prefix('[') {
            // The parser reads a header up to its `]`, across lines if need be.
            let (name, after) = rest.split_once(']')?;
            if after.contains('[') {
                return None;
            }
            // Every [sso-session …] is kept, as the parse judges it; a profile only when named.
            // Most configs name no profile here: then one prefix test per header decides.
            // Trimmed only when it has to be: a char-wise trim per header shows in the no-op tick.
            let t = if name.starts_with([' ', '\t']) { name.trim_start() } else { name };
            keep = t.starts_with("sso-session")
                || (!profiles.is_empty()
                    && match header(name) {
                        Some((kind, None)) => kind == "default" && profiles.iter().any(|p| p == "default"),
                        Some((kind, Some(name))) => kind == "profile" && profiles.iter().any(|p| *p == name),
                        None => false,
                    });
        } else if !plain(t, line) {
            // Judged as the whole file is, so `tick` and the hook refuse what `status` refuses.
            return None;
        }
        if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    Some(out)
}

/// The kind and the name of a section header (`sso-session`, `corp`; `default`, none), its
/// words split as botocore splits them (`header_words`); `None` for a header of no words or
/// more than two, or one shlex refuses. Headers without quotes or backslashes, nearly all of
/// them, are split without copying or allocating: this runs for every header at every prompt.
fn header(s: &str) -> Option<(Cow<'_, str>, Option<Cow<'_, str>>)> {
    // One pass over the bytes: up to three words split at shlex's whitespace (space, tab, CR,
    // LF), or the general split as soon as a quote or a backslash shows.
    let mut words: [&str; 3] = [""; 3];
    let mut n = 0;
    let mut start = None;
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'\'' | b'"' | b'\\' => {
                n = usize::MAX;
                break;
            }
            b' ' | b'\t' | b'\r' | b'\n' => {
                if let Some(st) = start.take() {
                    if n == 3 {
                        return None;
                    }
                    words[n] = &s[st..i];
                    n += 1;
                }
            }
            _ if start.is_none() => start = Some(i),
            _ => {}
        }
    }
    if n != usize::MAX {
        if let Some(st) = start {
            if n == 3 {
                return None;
            }
            words[n] = &s[st..];
            n += 1;
        }
        return match n {
            1 => Some((Cow::Borrowed(words[0]), None)),
            2 => Some((Cow::Borrowed(words[0]), Some(Cow::Borrowed(words[1])))),
            _ => None,
        };
    }
    let mut words = header_words(s)?.into_iter();
    let (kind, name) = (words.next()?, words.next());
    match words.next() {
        Some(_) => None,
        None => Some((kind, name)),
    }
}

/// The words of a section header as botocore splits them (Python's `shlex.split`): whitespace
/// (space, tab, CR, LF: shlex's) separates words, `'…'` and `"…"` group them (`[sso-session "x y"]` is the session `x y`), a
/// backslash escapes the next character (inside double quotes only `"` and `\\`). `None` for
/// what shlex refuses: an unclosed quote, a trailing backslash.
fn header_words(s: &str) -> Option<Vec<Cow<'_, str>>> {
    let mut words: Vec<Cow<'_, str>> = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => words.extend(word.take().map(Cow::Owned)),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => w.push(c),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            c @ ('"' | '\\') => w.push(c),
                            c => {
                                w.push('\\');
                                w.push(c);
                            }
                        },
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).push(chars.next()?),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word.map(Cow::Owned));
    Some(words)
}

/// A line (not a header) whose meaning does not depend on the lines around it: blank, a comment
/// at the start of the line, or `key = value` / `key: value`, indented (a nested setting) or
/// not. The parser reads anything else across line ends (a word without `=` swallows the lines
/// up to the next `=`) or rejects it (a line that starts with `=`). One byte test and a search
/// for `=`/`:` per line: this runs over the whole config at every prompt.
fn plain(trimmed: &str, line: &str) -> bool {
    match trimmed.as_bytes().first() {
        None => true,
        Some(b'#' | b';') => trimmed.len() == line.len(),
        // Byte searches (memchr): `:` is looked for only in the rare line without `=`.
        Some(b) => {
            (b.is_ascii_alphanumeric() || *b == b'_')
                && (trimmed.as_bytes().contains(&b'=') || trimmed.as_bytes().contains(&b':'))
        }
    }
}

/// botocore (Python's configparser) reads a header up to its last `]` and ignores the rest of
/// the line, so `[profile dev]  # dev account` is a header there; rust-ini calls the comment an
/// error. Such lines lose what follows the `]` before parsing.
fn header_comments_dropped(text: &str) -> std::borrow::Cow<'_, str> {
    let trailing = |line: &str| {
        // Cheap test first: this runs over every line of the config at every prompt.
        line.starts_with('[') && {
            let t = line.trim();
            t.rfind(']').is_some_and(|i| i + 1 < t.len())
        }
    };
    if !text.lines().any(trailing) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if trailing(line) {
            let t = line.trim();
            out.push_str(&t[..=t.rfind(']').unwrap_or(t.len() - 1)]);
            out.push('\n');
        } else {
            out.push_str(line);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A control character other than tab and line ends, or a CR without its LF. One pass over
/// the bytes: this runs at every prompt over the whole config.
fn has_odd_control(bytes: &[u8]) -> bool {
    // Branch-free folds over the bytes: the compiler vectorizes them.
    let c0 =
        bytes.iter().fold(false, |acc, &b| acc | ((b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r') | (b == 0x7f)));
    // A CR is odd unless an LF follows; C1 controls (U+0080..U+009F) are 0xC2 0x80..0x9F.
    let lone_cr = bytes.contains(&b'\r')
        && bytes.iter().enumerate().any(|(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
    let c1 = bytes.contains(&0xc2) && bytes.windows(2).any(|w| w[0] == 0xc2 && (0x80..=0x9f).contains(&w[1]));
    c0 || lone_cr || c1
}

/// The parser's complaint in words, with the line: rust-ini's own ("3:1 expecting
/// \"[Some(']')]\" but found EOF.") names its internals and, for an unclosed header, the
/// line where it gave up (the end of the file) rather than the header's. Only a header line is
/// quoted: other lines may hold a secret (`aws_secret_access_key` is allowed here too).
fn parse_error(text: &str, e: &ini::ParseError) -> String {
    let msg: &str = &e.msg;
    if msg.contains("Some(']')") || msg.starts_with("section must be ended") {
        let open = text.lines().enumerate().find(|(_, l)| {
            let t = l.trim_start();
            t.starts_with('[') && !t.contains(']')
        });
        return match open {
            Some((i, line)) => {
                let line = line.trim();
                let cut: String = line.chars().take(60).collect();
                let more = if cut.len() < line.len() { "…" } else { "" };
                format!("line {}: the section header {cut:?}{more} has no closing `]`", i + 1)
            }
            None => format!("line {}: a section header has no closing `]`", e.line),
        };
    }
    let what = match msg {
        "missing key" => "a line starts with `=` or `:`, a value without a key".to_string(),
        "doesn't support inline comment" => {
            "a comment that does not start its line (`#` or `;` must come first on the line)".to_string()
        }
        m if m.starts_with("\\r is not followed") => "a carriage return (\\r) without a line feed after it".to_string(),
        m if m.ends_with("but found EOF.") => "the file ends inside an entry".to_string(),
        m => crate::sys::secret::one_line(m, 120),
    };
    // rust-ini's columns are one off at times; the line is what helps.
    format!("line {}: {what}", e.line)
}

/// `endpoint_url = http://x` lines of a nested value.
fn nested(value: &str) -> BTreeMap<String, String> {
    value
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_profiles_and_legacy() {
        let cfg = AwsConfig::parse(
            "[default]\nsso_session = corp\nregion = eu-west-1\n\n\
             [profile dev]\nsso_session=corp\nsso_account_id = 111122223333\nsso_role_name = Dev\n\
             [profile old]\nsso_start_url = https://old.awsapps.com/start\nsso_region = us-west-2\n\
             [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-central-1\n\
             sso_registration_scopes = sso:account:access\n",
        )
        .unwrap();
        let corp = cfg.session("corp").unwrap();
        assert_eq!(corp.start_url.as_deref(), Some("https://corp.awsapps.com/start"));
        assert_eq!(corp.region.as_deref(), Some("eu-central-1"));
        let users: Vec<_> = cfg.profiles_of("corp").iter().map(|p| p.name.as_str()).collect();
        assert_eq!(users, ["default", "dev"]);
        assert!(cfg.profile("old").unwrap().is_legacy_sso());
        assert!(!cfg.profile("dev").unwrap().is_legacy_sso());
        assert_eq!(cfg.profile("dev").unwrap().sso_account_id.as_deref(), Some("111122223333"));
    }

    #[test]
    fn comments_spacing_crlf_duplicates() {
        let text = "# top comment\r\n; another\r\n[profile   spaced]\r\n  sso_session   =   corp  \r\n\
                    region=us-east-1\r\nregion = us-east-2\r\n\r\n[sso-session corp]\r\n\
                    sso_region = us-east-1\r\n# inside\r\nsso_start_url = https://a/start\r\n\
                    [profile spaced]\r\nsso_role_name = Admin\r\n";
        let cfg = AwsConfig::parse(text).unwrap();
        let p = cfg.profile("spaced").unwrap();
        assert_eq!(p.sso_session.as_deref(), Some("corp"));
        assert_eq!(p.region.as_deref(), Some("us-east-2"), "last duplicate wins");
        assert_eq!(p.sso_role_name.as_deref(), Some("Admin"), "duplicate sections merge");
        assert_eq!(cfg.session("corp").unwrap().start_url.as_deref(), Some("https://a/start"));
        assert_eq!(cfg.profiles.len(), 1);
    }

    #[test]
    fn nested_services_and_s3_blocks() {
        let text = "[profile dev]\nsso_session = corp\nservices = local\ns3 =\n  max_concurrent_requests = 20\n\
                    region = us-east-1\n\n[services local]\nsso_oidc =\n  endpoint_url = http://127.0.0.1:9000\n\
                    sso =\n  endpoint_url = http://127.0.0.1:9001\n";
        let cfg = AwsConfig::parse(text).unwrap();
        let dev = cfg.profile("dev").unwrap();
        assert_eq!(dev.region.as_deref(), Some("us-east-1"));
        assert_eq!(dev.services.as_deref(), Some("local"));
        let svc = &cfg.services["local"];
        assert_eq!(svc["sso_oidc"]["endpoint_url"], "http://127.0.0.1:9000");
        assert_eq!(svc["sso"]["endpoint_url"], "http://127.0.0.1:9001");
    }

    #[test]
    fn big_config_parses() {
        let mut text = String::new();
        for s in 0..30 {
            text += &format!(
                "[sso-session s{s}]\nsso_start_url = https://s{s}.awsapps.com/start\nsso_region = us-east-1\n\n"
            );
        }
        for p in 0..300 {
            text += &format!(
                "# profile {p}\n[profile p{p}]\nsso_session = s{}\nsso_account_id = {p:012}\nsso_role_name = R\n\n",
                p % 30
            );
        }
        let cfg = AwsConfig::parse(&text).unwrap();
        assert_eq!(cfg.sessions.len(), 30);
        assert_eq!(cfg.profiles.len(), 300);
        assert_eq!(cfg.profiles_of("s7").len(), 10);
        assert_eq!(cfg.session("s7").map(|s| s.name.as_str()), Some("s7"));
        assert_eq!(cfg.profile("p299").map(|p| p.sso_session.as_deref()), Some(Some("s29")));
        assert!(cfg.session("nope").is_none() && cfg.profile("nope").is_none());
    }

    #[test]
    fn sessions_only_view_matches_the_full_parse() {
        let text = "[profile a]\nsso_session = s\n[ sso-session s ]\r\nsso_region = eu-west-1\nsso_start_url = https://s/start\n\
                    [services x]\nsso_oidc =\n  endpoint_url = http://127.0.0.1:1\n[sso-session t]\nsso_region = us-east-1\n";
        let full = AwsConfig::parse(text).unwrap();
        let view = AwsConfig::parse_partial(text, &[]).unwrap();
        assert_eq!(view.sessions, full.sessions);
        assert_eq!(view.sessions.len(), 2);
        assert!(view.profiles.is_empty() && view.services.is_empty());
        let view = AwsConfig::parse_partial(text, &["a".into()]).unwrap();
        assert_eq!(view.profiles, full.profiles);
    }

    #[test]
    fn odd_shapes_fall_back_to_the_full_parse() {
        for text in [
            "[][default]rr:\0",
            "[\n\n](\n[\x0csso-session\x0cPL\x0c]+`=\n",
            "[profile q]\nx =\n [sso-session s]\nsso_region = us-east-1\n",
            "[sso-session a]\rsso_region = x\n[profile b]\n",
        ] {
            let full = AwsConfig::parse(text);
            let part = AwsConfig::parse_partial(text, &["default".into(), "b".into()]);
            assert_eq!(
                part.as_ref().map(|c| c.sessions.clone()),
                full.as_ref().map(|c| c.sessions.clone()),
                "{text:?}"
            );
            assert_eq!(part.map(|c| c.profiles), full.map(|c| c.profiles), "{text:?}");
        }
        // Spacing inside a header is an ordinary shape.
        let c = AwsConfig::parse_partial("[profile   a ]\nsso_session = s\n[profile z]\n", &["a".into()]).unwrap();
        assert!(c.partial);
        assert_eq!(c.profile("a").and_then(|p| p.sso_session.as_deref()), Some("s"));
    }

    #[test]
    fn the_sessions_view_rejects_what_the_whole_parse_rejects() {
        // A bad line in a section the view leaves out: `status` (the whole file) refuses the
        // file, so the prompt hook and `tick` (the view) must too.
        for text in [
            "[sso-session a]\nsso_region = us-east-1\n[profile x]\n\"q\n",
            "[sso-session a]\nsso_region = us-east-1\n[services s]\n= x\n",
            "[profile x]\nsso_session = a\n[sso-session a]\nsso_region=us-east-1\n[services s]\nx\n",
        ] {
            let full = AwsConfig::parse(text);
            assert!(full.is_err(), "{text:?}");
            assert_eq!(AwsConfig::parse_partial(text, &[]).map(|c| c.sessions), full.map(|c| c.sessions), "{text:?}");
        }
        // A word without `=` swallows what follows it: the view says what the whole parse says.
        let text = "[profile x]\nfoo\n[sso-session a]\nsso_region = us-east-1\n";
        let full = AwsConfig::parse(text).map(|c| c.sessions);
        assert_eq!(AwsConfig::parse_partial(text, &[]).map(|c| c.sessions), full);
        // Plain shapes keep the fast view.
        let text = "# c\n; c\n\n[profile x]\nregion: us-east-1\ns3 =\n  max_concurrent_requests = 2\n[sso-session a]\nsso_region = us-east-1\n";
        assert!(AwsConfig::parse_partial(text, &[]).unwrap().partial);
    }

    #[test]
    fn comments_after_a_header_are_ignored_as_botocore_does() {
        let cfg = AwsConfig::parse("[profile dev]  # the dev account\r\nsso_session = corp\n[sso-session corp] ; ours\nsso_region = eu-west-1\n").unwrap();
        assert_eq!(cfg.profile("dev").unwrap().sso_session.as_deref(), Some("corp"));
        assert_eq!(cfg.session("corp").unwrap().region.as_deref(), Some("eu-west-1"));
        let part = AwsConfig::parse_partial(
            "[profile dev] # x\nsso_session = corp\n[sso-session corp] # y\nsso_region = eu-west-1\n",
            &["dev".into()],
        )
        .unwrap();
        assert_eq!(part.sessions, cfg.sessions);
        assert_eq!(part.profile("dev"), cfg.profile("dev"));
    }

    #[test]
    fn odd_controls_are_found_by_bytes_as_by_chars() {
        for text in ["a\r\nb\tc\n", "a\rb", "a\u{0}b", "x\u{7f}", "é\u{85}", "€\u{9f}", "\u{a0}ü"] {
            let by_chars = text.replace("\r\n", "").contains('\r')
                || text.contains(|c: char| c.is_control() && c != '\n' && c != '\t' && c != '\r');
            assert_eq!(has_odd_control(text.as_bytes()), by_chars, "{text:?}");
        }
    }

    #[test]
    fn regions() {
        for ok in ["us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1", "us-isob-east-1", "ap-southeast-10"] {
            assert!(valid_region(ok), "{ok}");
        }
        for bad in
            ["", "us-east", "useast1", "US-EAST-1", "us-east-1 ", "u-east-1", "us--1", "us-east-100", "eu-west-1\n"]
        {
            assert!(!valid_region(bad), "{bad:?}");
        }
    }

    #[test]
    fn header_names_are_split_as_botocore_splits_them() {
        let words = |s: &str| header_words(s).map(|w| w.into_iter().map(|w| w.into_owned()).collect::<Vec<_>>());
        for (header, expected) in [
            ("sso-session corp", Some(vec!["sso-session", "corp"])),
            ("  profile   dev ", Some(vec!["profile", "dev"])),
            ("profile\tdev", Some(vec!["profile", "dev"])),
            ("sso-session a b", Some(vec!["sso-session", "a", "b"])),
            ("sso-session \"x y\"", Some(vec!["sso-session", "x y"])),
            ("sso-session 'a b'c", Some(vec!["sso-session", "a bc"])),
            ("sso-session a\\ b", Some(vec!["sso-session", "a b"])),
            ("sso-session \"q\\\"\\\\\\n\"", Some(vec!["sso-session", "q\"\\\\n"])),
            ("sso-session $(id)", Some(vec!["sso-session", "$(id)"])),
            ("sso-session \"\"", Some(vec!["sso-session", ""])),
            ("sso-session \"open", None),
            ("sso-session x\\", None),
        ] {
            let expected = expected.map(|v| v.into_iter().map(str::to_string).collect::<Vec<_>>());
            assert_eq!(words(header), expected, "{header}");
        }
        // The copy-free path says what the general split says.
        for h in [
            "sso-session corp",
            " profile\tdev ",
            "default",
            "",
            "  ",
            "a b c",
            "sso-session é ü",
            "x\u{a0}y",
            "p 'q r'",
        ] {
            let general = header_words(h).filter(|w| (1..=2).contains(&w.len())).map(|w| {
                let mut w = w.into_iter();
                (w.next().unwrap_or_default(), w.next())
            });
            assert_eq!(header(h), general, "{h:?}");
        }
        let text = "[sso-session \"x y\"]\nsso_region = eu-west-1\n[sso-session -x]\nsso_region = us-east-1\n\
                    [sso-session a,b]\n[sso-session $(id)]\n[profile 'p q']\nsso_session = x y\n[sso-session \"bad]\n";
        let cfg = AwsConfig::parse(text).unwrap();
        let names: Vec<&str> = cfg.sessions.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["x y", "-x", "a,b", "$(id)"]);
        assert_eq!(cfg.session("x y").unwrap().region.as_deref(), Some("eu-west-1"));
        assert_eq!(cfg.profiles_of("x y").iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["p q"]);
        let view = AwsConfig::parse_partial(text, &["p q".into()]).unwrap();
        assert_eq!(view.sessions, cfg.sessions);
        assert_eq!(view.profiles, cfg.profiles);
    }

    #[test]
    fn parse_errors_say_where_and_what_in_words() {
        let e = AwsConfig::parse("[default]\nregion = us-east-1\n[profile dev\nsso_session = corp\n").unwrap_err();
        assert_eq!(e, "line 3: the section header \"[profile dev\" has no closing `]`");
        let e = AwsConfig::parse("[default]\n= orphan\n").unwrap_err();
        assert_eq!(e, "line 2: a line starts with `=` or `:`, a value without a key");
        for text in ["[profile dev\n", "[a]\n= x\n", "[a]\nx = 1\n[b"] {
            let e = AwsConfig::parse(text).unwrap_err();
            assert!(!e.contains("Some(") && !e.contains("expecting"), "{text:?}: {e}");
        }
    }

    #[test]
    fn values_are_raw() {
        let cfg =
            AwsConfig::parse("[sso-session q]\nsso_start_url = \"https://q/start\"\nsso_region = a\\b\n").unwrap();
        let q = cfg.session("q").unwrap();
        assert_eq!(q.start_url.as_deref(), Some("\"https://q/start\""));
        assert_eq!(q.region.as_deref(), Some("a\\b"));
    }
}
