//! The AWS config file's syntax, exactly as botocore reads it: Python's
//! `configparser.RawConfigParser()` with its defaults (`botocore/configloader.py`,
//! `raw_config_parse`), then botocore's own steps — indented blocks after an empty value as
//! `name = value` settings (`_parse_nested`) and section names split like a shell line
//! (`_parse_section`, `shlex.split`). One pass over the text; sections, keys and values borrow
//! from it, and a value is copied only when it spans lines.
//!
//! configparser's rules, as it applies them line by line:
//! - Lines end at `\n`, `\r\n` or a lone `\r` (Python's universal newlines). The file is UTF-8
//!   and nothing else: a byte-order mark starts the first line with U+FEFF, which is not
//!   whitespace, so that line is neither a header nor a comment and the file is refused.
//! - "Whitespace" is Python's (`str.strip`, `\s`): Unicode's White_Space plus U+001C–U+001F.
//! - A line that is blank after stripping belongs to the value being read (a blank line inside
//!   a value); a line whose first non-blank character is `#` or `;` is a comment, wherever it is.
//!   Nothing after a value is a comment: `region = x # y` is the value `x # y`.
//! - A line indented deeper (in characters) than the line of the key being read continues its
//!   value, whatever it looks like (`  [profile x]` there is text, not a header).
//! - Otherwise `[` … the line's last `]` (at least one character between) is a header; what
//!   follows the `]` is ignored. `[DEFAULT]` is special: its keys are every section's keys
//!   unless the section sets them itself.
//! - Otherwise the line is `key = value` or `key: value`, split at its first `=` or `:`;
//!   keys compare without case (`str.lower`), values are raw (no quotes, escapes or `%`).
//! - Refused: a line that is none of these, a key before any header, a line starting with `=`
//!   or `:`, a section twice, a key twice in a section (configparser's `strict`), and a
//!   nested block with a line without `=`.

use std::borrow::Cow;

/// A section as configparser reads it: the text between `[` and the last `]` of its header.
#[derive(Debug)]
pub(crate) struct Section<'a> {
    pub header: &'a str,
    /// Its keys: `entries[start..end]`.
    start: usize,
    end: usize,
}

/// One `key = value` of a section, with its continuation lines.
#[derive(Debug)]
pub(crate) struct Entry<'a> {
    /// As written, stripped; configparser's name for it is `lower(key)`.
    pub key: &'a str,
    /// The value on the key's own line, stripped.
    first: &'a str,
    /// Its continuation lines (stripped, `""` for a blank line): `pieces[more.0..more.1]`.
    more: (usize, usize),
    pub line: usize,
    /// Whether the key is ASCII: then keys compare by length and bytes, without `to_lowercase`.
    ascii: bool,
}

/// A parsed config file: its sections in file order and `[DEFAULT]`'s keys.
#[derive(Debug, Default)]
pub(crate) struct Ini<'a> {
    sections: Vec<Section<'a>>,
    entries: Vec<Entry<'a>>,
    defaults: Vec<Entry<'a>>,
    pieces: Vec<&'a str>,
}

/// What a section header names, as botocore sorts sections (`build_profile_map`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Profile,
    SsoSession,
    Services,
}

/// Why the file cannot be read; `Display` says it in words, with the line. Only header text
/// and key names are quoted: a value may be a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParseError {
    Bom,
    BeforeHeader { line: usize },
    UnclosedHeader { line: usize, text: String },
    NoDelimiter { line: usize },
    NoKey { line: usize },
    DuplicateSection { line: usize, header: String, first: usize },
    DuplicateKey { line: usize, key: String, header: String, first: usize },
    NestedWithoutEquals { line: usize, key: String },
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseError::Bom => f.write_str(
                "line 1: the file starts with a byte-order mark (U+FEFF), which botocore (the AWS CLI) cannot read \
                 either; save it as UTF-8 without a BOM",
            ),
            ParseError::BeforeHeader { line } => {
                write!(f, "line {line}: a setting before the first [section] header")
            }
            ParseError::UnclosedHeader { line, text } => {
                write!(f, "line {line}: the section header {} has no closing `]`", shown(text))
            }
            ParseError::NoDelimiter { line } => write!(
                f,
                "line {line}: neither a [section] header, a `key = value` setting nor a comment \
                 (continuation lines must be indented deeper than their key)"
            ),
            ParseError::NoKey { line } => {
                write!(f, "line {line}: a line starts with `=` or `:`, a value without a key")
            }
            ParseError::DuplicateSection { line, header, first } => write!(
                f,
                "line {line}: the section [{}] again (first on line {first}); botocore refuses a repeated \
                 section: merge the two",
                shown_inner(header)
            ),
            ParseError::DuplicateKey { line, key, header, first } => write!(
                f,
                "line {line}: {} again in [{}] (first on line {first}); botocore refuses a repeated key: keep one",
                shown(key),
                shown_inner(header)
            ),
            ParseError::NestedWithoutEquals { line, key } => write!(
                f,
                "line {line}: the indented block under {} has a line without `=` (after an empty value, \
                 botocore reads each indented line as `name = value`)",
                shown(key)
            ),
        }
    }
}

/// Header text or a key name for a message: escaped, at most 60 characters.
fn shown(s: &str) -> String {
    let cut: String = s.chars().take(60).collect();
    let more = if cut.len() < s.len() { "…" } else { "" };
    format!("{cut:?}{more}")
}

/// A header's inner text for `[…]` in a message: escaped as `shown` has it, without its quotes.
fn shown_inner(s: &str) -> String {
    let cut: String = s.chars().take(60).collect();
    let more = if cut.len() < s.len() { "…" } else { "" };
    let quoted = format!("{cut:?}");
    // Debug output of a string is its escaped text between two ASCII quotes.
    let inner = quoted.get(1..quoted.len() - 1).unwrap_or_default();
    format!("{inner}{more}")
}

/// Python's `str.isspace` (and `re`'s `\s`): Unicode White_Space and the four separators
/// U+001C–U+001F.
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// The ASCII bytes `is_space` holds: tab, LF, VT, FF, CR, U+001C–U+001F, space.
fn is_ascii_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | 0x1c..=0x20)
}

/// `s.lstrip()`, with the ASCII case first: nearly every line starts with ASCII.
#[inline]
fn trim_start(s: &str) -> &str {
    let b = s.as_bytes();
    // Most lines start with a letter or `[`: nothing to strip.
    if b.first().is_some_and(|&c| c > b' ' && c < 0x80) {
        return s;
    }
    let mut i = 0;
    while i < b.len() && is_ascii_space(b[i]) {
        i += 1;
    }
    if b.get(i).is_some_and(|&c| c >= 0x80) {
        return s[i..].trim_start_matches(is_space);
    }
    &s[i..]
}

/// `s.rstrip()`.
#[inline]
fn trim_end(s: &str) -> &str {
    let b = s.as_bytes();
    if b.last().is_some_and(|&c| c > b' ' && c < 0x80) {
        return s;
    }
    let mut i = b.len();
    while i > 0 && is_ascii_space(b[i - 1]) {
        i -= 1;
    }
    if i > 0 && b[i - 1] >= 0x80 {
        return s[..i].trim_end_matches(is_space);
    }
    &s[..i]
}

fn strip(s: &str) -> &str {
    trim_end(trim_start(s))
}

/// The key as configparser stores it (`str.lower`); borrowed when it already is.
pub(crate) fn lower(key: &str) -> Cow<'_, str> {
    if key.bytes().any(|b| b.is_ascii_uppercase() || b >= 0x80) {
        Cow::Owned(key.to_lowercase())
    } else {
        Cow::Borrowed(key)
    }
}

/// Two keys that configparser takes for one.
#[inline(always)]
fn same_key(a: &Entry<'_>, b: &Entry<'_>) -> bool {
    if a.ascii && b.ascii {
        a.key.len() == b.key.len() && a.key.eq_ignore_ascii_case(b.key)
    } else {
        a.key.to_lowercase() == b.key.to_lowercase()
    }
}

/// The first of the bytes `a` or `b` in `hay`, eight bytes at a time: lines and keys are short,
/// and a call per line to a vectorized search costs more in setting up than it saves.
#[inline]
fn find2(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let (va, vb) = (LO * u64::from(a), LO * u64::from(b));
    let mut words = hay.chunks_exact(8);
    let mut at = 0;
    for w in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(w);
        let w = u64::from_le_bytes(bytes);
        let (xa, xb) = (w ^ va, w ^ vb);
        // A zero byte of `xa` or `xb` is a match; the lowest flagged byte is the first one (a
        // borrow can only flag bytes above a real match).
        let z = (xa.wrapping_sub(LO) & !xa | xb.wrapping_sub(LO) & !xb) & HI;
        if z != 0 {
            return Some(at + (z.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words.remainder().iter().position(|&c| c == a || c == b).map(|i| at + i)
}

/// The lines of a text as Python's universal newlines split them (at LF, CRLF or a lone CR),
/// without their ends.
struct Lines<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let (start, bytes) = (self.at, self.text.as_bytes());
        if start >= bytes.len() {
            return None;
        }
        // Searched in the rest of the text, not the line: whole words but at the very end.
        let end = find2(&bytes[start..], b'\n', b'\r').map_or(bytes.len(), |i| start + i);
        self.at = end + 1;
        if bytes.get(end) == Some(&b'\r') && bytes.get(end + 1) == Some(&b'\n') {
            self.at += 1;
        }
        Some(&self.text[start..end])
    }
}

/// How many keys of a section are compared each with each to find a repeat; past them a set
/// takes over, so a section of thousands of keys costs no square.
const SCAN_KEYS: usize = 32;

/// Finds a key that is already in `keys` (configparser's `DuplicateOptionError`).
#[derive(Default)]
struct KeySet {
    /// Filled once the section has more than `SCAN_KEYS` keys: their lower-case forms.
    big: Option<std::collections::HashSet<String>>,
}

impl KeySet {
    /// The index in `keys` of an earlier key equal to `key`'s, recording it.
    #[inline]
    fn check(&mut self, keys: &[Entry<'_>], key: &Entry<'_>) -> Option<usize> {
        if let Some(set) = &mut self.big {
            if set.insert(key.key.to_lowercase()) {
                return None;
            }
            return keys.iter().position(|e| same_key(e, key));
        }
        if let Some(i) = keys.iter().position(|e| same_key(e, key)) {
            return Some(i);
        }
        if keys.len() >= SCAN_KEYS {
            let mut set: std::collections::HashSet<String> = keys.iter().map(|e| e.key.to_lowercase()).collect();
            set.insert(key.key.to_lowercase());
            self.big = Some(set);
        }
        None
    }

    fn clear(&mut self) {
        self.big = None;
    }
}

/// Where the parse is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Current {
    /// Before the first header.
    Nothing,
    Defaults,
    /// A section whose keys start at `entries[start]`; `kept` when the caller wants them.
    Section {
        start: usize,
        kept: bool,
    },
}

impl<'a> Ini<'a> {
    /// Parses `text` as configparser (then botocore) does, refusing what they refuse.
    #[cfg(test)]
    pub(crate) fn parse(text: &'a str) -> Result<Ini<'a>, ParseError> {
        Ini::parse_keeping(text, &|_| true)
    }

    /// `parse`, keeping only the sections whose header `keep` accepts: every line is read
    /// and judged all the same (a file is refused for any section), but the keys of the others
    /// are dropped at the section's end (the hot path wants the sso-sessions only).
    pub(crate) fn parse_keeping(text: &'a str, keep: &dyn Fn(&str) -> bool) -> Result<Ini<'a>, ParseError> {
        if text.starts_with('\u{feff}') {
            return Err(ParseError::Bom);
        }
        let mut ini = Ini::default();
        let mut current = Current::Nothing;
        // Whether a key was the last header or key line: then blank lines and deeper-indented
        // lines belong to its value (configparser's `optname`).
        let mut in_value = false;
        let mut indent_level = 0usize;
        let mut keys = KeySet::default();
        let mut default_keys = KeySet::default();
        let mut dropped = false;
        // Sized by a guess (a header per 64 bytes, more than real configs have) that spares
        // them rehashing.
        let mut headers = HeaderSet::with_capacity((text.len() / 64).min(1 << 14));
        for (i, line) in (Lines { text, at: 0 }).enumerate() {
            let line_no = i + 1;
            let rest = trim_start(line);
            let value = trim_end(rest);
            let Some(&first) = value.as_bytes().first() else {
                if in_value {
                    // A blank line inside a value (configparser's `empty_lines_in_values`):
                    // kept if more of the value follows, dropped at its end.
                    ini.push_piece("", current);
                }
                continue;
            };
            if first == b'#' || first == b';' {
                continue;
            }
            let lead = &line.as_bytes()[..line.len() - rest.len()];
            // Indentation counts characters, as Python's does.
            let indent = if lead.is_ascii() { lead.len() } else { line[..lead.len()].chars().count() };
            if in_value && indent > indent_level {
                ini.push_piece(value, current);
                continue;
            }
            indent_level = indent;
            if first == b'[' {
                if let Some(end) = value.bytes().rposition(|b| b == b']').filter(|&end| end >= 2) {
                    let header = &value[1..end];
                    in_value = false;
                    ini.close(current)?;
                    if header == "DEFAULT" {
                        current = Current::Defaults;
                        continue;
                    }
                    if let Some(first) = headers.insert(header, line_no) {
                        return Err(ParseError::DuplicateSection { line: line_no, header: header.to_string(), first });
                    }
                    let start = ini.entries.len();
                    let kept = keep(header);
                    dropped |= !kept;
                    if kept {
                        ini.sections.push(Section { header, start, end: start });
                    }
                    keys.clear();
                    current = Current::Section { start, kept };
                    continue;
                }
            }
            if current == Current::Nothing {
                return Err(ParseError::BeforeHeader { line: line_no });
            }
            // Searched from the value on into the text, for whole words (`find2`).
            let from = value.as_ptr() as usize - text.as_ptr() as usize;
            let d = find2(&text.as_bytes()[from..], b'=', b':').filter(|&d| d < value.len());
            let Some(d) = d else {
                return Err(if first == b'[' && !value.contains(']') {
                    ParseError::UnclosedHeader { line: line_no, text: value.to_string() }
                } else {
                    ParseError::NoDelimiter { line: line_no }
                });
            };
            if d == 0 {
                return Err(ParseError::NoKey { line: line_no });
            }
            let key = trim_end(&value[..d]);
            let at = ini.pieces.len();
            let entry =
                Entry { key, first: trim_start(&value[d + 1..]), more: (at, at), line: line_no, ascii: key.is_ascii() };
            let duplicate = |earlier: &Entry<'_>, header: &str| ParseError::DuplicateKey {
                line: line_no,
                key: key.to_string(),
                header: header.to_string(),
                first: earlier.line,
            };
            match current {
                Current::Defaults => {
                    if let Some(i) = default_keys.check(&ini.defaults, &entry) {
                        return Err(duplicate(&ini.defaults[i], "DEFAULT"));
                    }
                    ini.defaults.push(entry);
                }
                Current::Section { start, kept } => {
                    if let Some(i) = keys.check(&ini.entries[start..], &entry) {
                        let header = headers.last.unwrap_or_default();
                        return Err(duplicate(&ini.entries[start + i], header));
                    }
                    ini.entries.push(entry);
                    if kept {
                        if let Some(s) = ini.sections.last_mut() {
                            s.end = ini.entries.len();
                        }
                    }
                }
                Current::Nothing => return Err(ParseError::BeforeHeader { line: line_no }),
            }
            in_value = true;
        }
        ini.close(current)?;
        if ini.defaults.iter().any(|d| ini.is_nested(d) && ini.nested(d).is_none()) {
            // Rare: which sections take the bad value needs every section's keys.
            if dropped {
                Ini::parse_keeping(text, &|_| true)?;
            }
            ini.check_nested_defaults()?;
        }
        Ok(ini)
    }

    /// The end of a section: botocore reads every value that starts with a line break as
    /// `name = value` lines and refuses the file if one has no `=`. A section the caller does
    /// not keep then loses its keys.
    fn close(&mut self, current: Current) -> Result<(), ParseError> {
        let Current::Section { start, kept } = current else { return Ok(()) };
        for e in &self.entries[start..] {
            if self.is_nested(e) && self.nested(e).is_none() {
                return Err(ParseError::NestedWithoutEquals { line: e.line, key: e.key.to_string() });
            }
        }
        if !kept {
            if let Some(e) = self.entries.get(start) {
                self.pieces.truncate(e.more.0);
            }
            self.entries.truncate(start);
        }
        Ok(())
    }

    /// A continuation line (or a blank one) of the value being read.
    fn push_piece(&mut self, piece: &'a str, current: Current) {
        self.pieces.push(piece);
        let entry = match current {
            Current::Defaults => self.defaults.last_mut(),
            _ => self.entries.last_mut(),
        };
        if let Some(e) = entry {
            e.more.1 = self.pieces.len();
        }
    }

    /// A `[DEFAULT]` value is every section's that does not set the key itself: botocore
    /// refuses a nested one with a line without `=` when a section takes it.
    fn check_nested_defaults(&self) -> Result<(), ParseError> {
        for d in &self.defaults {
            if self.is_nested(d)
                && self.nested(d).is_none()
                && self.sections.iter().any(|s| !self.entries[s.start..s.end].iter().any(|e| same_key(e, d)))
            {
                return Err(ParseError::NestedWithoutEquals { line: d.line, key: d.key.to_string() });
            }
        }
        Ok(())
    }

    /// The sections in file order (not `[DEFAULT]`), each with its keys.
    pub(crate) fn sections(&self) -> impl Iterator<Item = (&Section<'a>, &[Entry<'a>])> {
        self.sections.iter().map(|s| (s, &self.entries[s.start..s.end]))
    }

    /// `[DEFAULT]`'s keys: every section has them unless it sets them itself.
    pub(crate) fn defaults(&self) -> &[Entry<'a>] {
        &self.defaults
    }

    /// The continuation lines that are part of the value: trailing blank ones are not.
    fn more(&self, e: &Entry<'a>) -> &[&'a str] {
        let more = &self.pieces[e.more.0..e.more.1];
        let kept = more.iter().rposition(|p| !p.is_empty()).map_or(0, |i| i + 1);
        &more[..kept]
    }

    /// Whether botocore reads the value as nested settings: empty on the key's line, more below.
    pub(crate) fn is_nested(&self, e: &Entry<'a>) -> bool {
        e.first.is_empty() && !self.more(e).is_empty()
    }

    /// The value as configparser has it: its lines joined by `\n`. A nested value is text here
    /// too (starting with `\n`); `nested` reads it as settings.
    pub(crate) fn text(&self, e: &Entry<'a>) -> Cow<'a, str> {
        let more = self.more(e);
        if more.is_empty() {
            return Cow::Borrowed(e.first);
        }
        let mut s = String::with_capacity(e.first.len() + more.iter().map(|p| p.len() + 1).sum::<usize>());
        s.push_str(e.first);
        for p in more {
            s.push('\n');
            s.push_str(p);
        }
        Cow::Owned(s)
    }

    /// A nested value's settings as botocore's `_parse_nested` reads them (each line split at
    /// its first `=`, both sides stripped; a later name wins); `None` when a line has no `=`.
    pub(crate) fn nested(&self, e: &Entry<'a>) -> Option<Vec<(&'a str, &'a str)>> {
        let mut out = Vec::new();
        for piece in self.more(e) {
            // `str.splitlines` also breaks at characters that do not end a line in the file.
            for line in piece.split(['\u{b}', '\u{c}', '\u{1c}', '\u{1d}', '\u{1e}', '\u{85}', '\u{2028}', '\u{2029}'])
            {
                let line = strip(line);
                if line.is_empty() {
                    continue;
                }
                let (k, v) = line.split_once('=')?;
                out.push((strip(k), strip(v)));
            }
        }
        Some(out)
    }
}

/// Headers seen so far, to refuse one seen twice. Hashed with a multiply-rotate of the bytes,
/// not SipHash: the keys are the file's own headers, and this runs at every prompt.
#[derive(Default)]
struct HeaderSet<'a> {
    seen: std::collections::HashMap<&'a str, usize, std::hash::BuildHasherDefault<FxHasher>>,
    /// The last one: the section being read.
    last: Option<&'a str>,
}

impl<'a> HeaderSet<'a> {
    fn with_capacity(n: usize) -> HeaderSet<'a> {
        HeaderSet { seen: std::collections::HashMap::with_capacity_and_hasher(n, Default::default()), last: None }
    }

    /// The line of an earlier `header`, or records this one.
    fn insert(&mut self, header: &'a str, line: usize) -> Option<usize> {
        self.last = Some(header);
        match self.seen.entry(header) {
            std::collections::hash_map::Entry::Occupied(o) => Some(*o.get()),
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(line);
                None
            }
        }
    }
}

/// rustc's FxHash: a word at a time (the last one padded), a rotate, a xor and a multiply.
#[derive(Default)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
    }

    fn write_u8(&mut self, b: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// What a header names, as botocore sorts sections: a header that *starts* with `profile`,
/// `sso-session` or `services` (in that order) and splits into exactly two words names the
/// second (`[profile dev]`, also `[profiles dev]`; `[ profile dev]` is none of them), and
/// `[default]`, exactly, is the profile `default`.
pub(crate) fn section(header: &str) -> Option<(Kind, Cow<'_, str>)> {
    match kind(header)? {
        Kind::Profile if header == "default" => Some((Kind::Profile, Cow::Borrowed("default"))),
        k => second_word(header).map(|name| (k, name)),
    }
}

/// The kind of section a header would name, before its words are split: what `section` says
/// when it says anything.
pub(crate) fn kind(header: &str) -> Option<Kind> {
    if header.starts_with("profile") || header == "default" {
        Some(Kind::Profile)
    } else if header.starts_with("sso-session") {
        Some(Kind::SsoSession)
    } else if header.starts_with("services") {
        Some(Kind::Services)
    } else {
        None
    }
}

/// The second of exactly two words of a header, split as botocore splits it (`header_words`).
/// Headers without quotes or backslashes, nearly all of them, are split without copying: this
/// runs for every header at every prompt.
fn second_word(s: &str) -> Option<Cow<'_, str>> {
    // One pass over the bytes: word bounds at shlex's whitespace (ASCII, so byte offsets are
    // char boundaries), or the general split as soon as a quote or a backslash shows.
    let mut words: [&str; 2] = [""; 2];
    let mut n = 0;
    let mut start = None;
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'\'' | b'"' | b'\\' => return general_second_word(s),
            b' ' | b'\t' | b'\r' | b'\n' => {
                if let Some(st) = start.take() {
                    if n == 2 {
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
    if let Some(st) = start {
        if n == 2 {
            return None;
        }
        words[n] = &s[st..];
        n += 1;
    }
    (n == 2).then_some(Cow::Borrowed(words[1]))
}

fn general_second_word(s: &str) -> Option<Cow<'_, str>> {
    let mut words = header_words(s)?.into_iter();
    let (_, second) = (words.next()?, words.next()?);
    match words.next() {
        None => Some(second),
        Some(_) => None,
    }
}

/// The words of a section header as botocore splits them (Python's `shlex.split`): whitespace
/// (space, tab, CR, LF: shlex's) separates words, `'…'` and `"…"` group them (`[sso-session "x
/// y"]` is the session `x y`), a backslash escapes the next character (inside double quotes
/// only `"` and `\\`). `None` for what shlex refuses: an unclosed quote, a trailing backslash.
pub(crate) fn header_words(s: &str) -> Option<Vec<Cow<'_, str>>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A section's keys and values, as text.
    type Pairs = Vec<(String, String)>;

    /// Every section's keys and values as text, `[DEFAULT]` first.
    fn dump(text: &str) -> Result<Vec<(String, Pairs)>, ParseError> {
        let ini = Ini::parse(text)?;
        let pairs = |es: &[Entry<'_>]| es.iter().map(|e| (e.key.to_string(), ini.text(e).into_owned())).collect();
        let mut out = vec![("DEFAULT".to_string(), pairs(ini.defaults()))];
        out.extend(ini.sections().map(|(s, es)| (s.header.to_string(), pairs(es))));
        Ok(out)
    }

    fn section_of(text: &str, header: &str) -> Pairs {
        dump(text).unwrap().into_iter().find(|(h, _)| h == header).map(|(_, kv)| kv).unwrap_or_default()
    }

    fn kv(pairs: &[(&str, &str)]) -> Pairs {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn find2_finds_the_first_of_either_byte() {
        let hay: Vec<u8> = (0..40u8).map(|i| b'a' + i % 20).collect();
        for len in 0..hay.len() {
            for (a, b) in [(b'c', b'q'), (b'q', b'c'), (b'z', b'Z'), (b'a', b'a'), (b'\x80', b'e')] {
                let want = hay[..len].iter().position(|&c| c == a || c == b);
                assert_eq!(find2(&hay[..len], a, b), want, "{len} {a} {b}");
            }
        }
        // A byte just above a match must not hide it (the borrow of the zero-byte test).
        assert_eq!(find2(b"x\n\x0b\x0b\x0b\x0b\x0b\x0b\x0b", b'\n', b'\r'), Some(1));
        assert_eq!(find2(b"\x01\x00\x01\x01\x01\x01\x01\x01", 0, 0xff), Some(1));
    }

    #[test]
    fn values_are_the_rest_of_the_line_comments_only_start_lines() {
        let text = "[a] ; after the header\nx = 1 # not a comment\ny: 2 ; nor this\n  # a comment\n;x = 3\n\
                    z = %(x)s \"q\" \\\nw=a=b:c\nv :=x\n";
        assert_eq!(
            section_of(text, "a"),
            kv(&[
                ("x", "1 # not a comment"),
                ("y", "2 ; nor this"),
                ("z", "%(x)s \"q\" \\"),
                ("w", "a=b:c"),
                ("v", "=x")
            ])
        );
    }

    #[test]
    fn continuation_lines_are_deeper_in_characters_and_keep_blank_lines() {
        let text = "[a]\n  x = 1\n   more\n\n\t[not a header]\n\n  y = 2\n\u{3000}\u{3000}z\n   w = 3\n\n\n";
        // A tab is one character, not deeper than `  x`: `\t[…]` is a header. `\u{3000}\u{3000}`
        // is 2 characters (6 bytes): not deeper than `  y`.
        assert_eq!(dump(text).unwrap_err(), ParseError::NoDelimiter { line: 8 });
        let text = "[a]\n  x = 1\n   more\n\n    [not a header]\n\n  y = 2\n\u{3000}\u{3000}\u{3000}z\n   w = 3\n\n\n";
        assert_eq!(section_of(text, "a"), kv(&[("x", "1\nmore\n\n[not a header]"), ("y", "2\nz\nw = 3")]));
        // A comment inside a value neither ends it nor joins it.
        assert_eq!(section_of("[a]\nx =\n  # c\n  k = v\n", "a"), kv(&[("x", "\nk = v")]));
    }

    #[test]
    fn whitespace_is_pythons() {
        // U+001C–U+001F are whitespace to Python (not to Rust's `trim`); U+FEFF is not.
        let text = "[a]\n\u{1c}x\u{1f}=\u{a0}1\u{2003}\n\u{85}\n";
        assert_eq!(section_of(text, "a"), kv(&[("x", "1")]));
        assert_eq!(section_of("[a]\nx = \u{feff}\n", "a"), kv(&[("x", "\u{feff}")]));
        assert_eq!(dump("\u{feff}[a]\n").unwrap_err(), ParseError::Bom);
    }

    #[test]
    fn lines_end_at_lf_crlf_and_a_lone_cr() {
        let text = "[a]\r\nx = 1\ry = 2\r\n\r[b]\nz = \u{85}3\u{2028}4\n";
        assert_eq!(section_of(text, "a"), kv(&[("x", "1"), ("y", "2")]));
        assert_eq!(section_of(text, "b"), kv(&[("z", "3\u{2028}4")]));
    }

    #[test]
    fn headers_end_at_the_last_bracket() {
        let d = dump("[a]b]c\n[]]\n[x] = 1\n[DEFAULT]\nk = v\n").unwrap();
        let headers: Vec<&str> = d.iter().map(|(h, _)| h.as_str()).collect();
        assert_eq!(headers, ["DEFAULT", "a]b", "]", "x"]);
        // `[]` has nothing inside: not a header, and no key either.
        assert_eq!(dump("[a]\n[]\n").unwrap_err(), ParseError::NoDelimiter { line: 2 });
        // An unclosed `[` with a delimiter is a key.
        assert_eq!(section_of("[a]\n[b = c\n", "a"), kv(&[("[b", "c")]));
    }

    #[test]
    fn nested_blocks_split_as_botocore_splits_them() {
        let ini = Ini::parse("[a]\ns3 =\n\n  x = 1\n  y=2\u{1c}z =3\n\n[b]\nk = 1\n  n = 2\n").unwrap();
        let (_, a) = ini.sections().next().unwrap();
        assert!(ini.is_nested(&a[0]));
        assert_eq!(ini.nested(&a[0]), Some(vec![("x", "1"), ("y", "2"), ("z", "3")]));
        let (_, b) = ini.sections().nth(1).unwrap();
        assert!(!ini.is_nested(&b[0]), "a value on the key's line is text");
        // Refused for any section; for [DEFAULT], only when a section takes the value.
        assert!(Ini::parse("[a]\nx =\n  y\n").is_err());
        assert!(Ini::parse("[DEFAULT]\nx =\n  y\n").is_ok());
        assert!(Ini::parse("[DEFAULT]\nx =\n  y\n[a]\nx = 1\n").is_ok());
        assert!(Ini::parse("[DEFAULT]\nx =\n  y\n[a]\n").is_err());
        // Also when the section that takes it is one the caller does not keep.
        let sessions = |h: &str| h.starts_with("sso-session");
        assert!(Ini::parse_keeping("[DEFAULT]\nx =\n  y\n[a]\n[sso-session s]\nx = 1\n", &sessions).is_err());
        assert!(Ini::parse_keeping("[DEFAULT]\nx =\n  y\n[a]\nx = 2\n[sso-session s]\nx = 1\n", &sessions).is_ok());
        assert!(Ini::parse_keeping("[a]\nx = 1\n[b]\ns3 =\n  z\n", &|h| h == "a").is_err());
    }

    #[test]
    fn repeats() {
        assert_eq!(
            dump("[a]\n[b]\n[a]\n").unwrap_err(),
            ParseError::DuplicateSection { line: 3, header: "a".into(), first: 1 }
        );
        // Two [DEFAULT]s merge, but their keys are one set.
        assert!(dump("[DEFAULT]\nx = 1\n[DEFAULT]\ny = 2\n").is_ok());
        assert!(matches!(dump("[DEFAULT]\nx = 1\n[DEFAULT]\nX = 2\n"), Err(ParseError::DuplicateKey { line: 4, .. })));
        // Keys compare as `str.lower` has them: the Kelvin sign is a k.
        assert!(matches!(dump("[a]\nk = 1\n\u{212a} = 2\n"), Err(ParseError::DuplicateKey { line: 3, .. })));
        // Past the linear scan's size, a set finds them.
        let many: String = (0..100).map(|i| format!("k{i} = {i}\n")).collect();
        assert!(dump(&format!("[a]\n{many}")).is_ok());
        assert!(matches!(
            dump(&format!("[a]\n{many}K7 = x\n")),
            Err(ParseError::DuplicateKey { line: 102, first: 9, .. })
        ));
    }

    #[test]
    fn sections_are_sorted_as_botocore_sorts_them() {
        let cases = [
            ("profile dev", Some((Kind::Profile, "dev"))),
            ("profiles dev", Some((Kind::Profile, "dev"))),
            ("profile   dev ", Some((Kind::Profile, "dev"))),
            ("profile \"a b\"", Some((Kind::Profile, "a b"))),
            ("profile default", Some((Kind::Profile, "default"))),
            ("default", Some((Kind::Profile, "default"))),
            ("sso-session corp", Some((Kind::SsoSession, "corp"))),
            ("sso-sessionx corp", Some((Kind::SsoSession, "corp"))),
            ("services local", Some((Kind::Services, "local"))),
            (" profile dev", None),
            ("default ", None),
            ("Default", None),
            ("profile", None),
            ("profile a b", None),
            ("sso-session \"open", None),
            ("preview", None),
        ];
        for (header, want) in cases {
            let got = section(header);
            assert_eq!(got.as_ref().map(|(k, n)| (*k, n.as_ref())), want, "{header:?}");
        }
    }

    #[test]
    fn header_words_split_as_shlex() {
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
            let general = header_words(h).filter(|w| w.len() == 2).map(|w| w[1].to_string());
            assert_eq!(second_word(h).map(|w| w.into_owned()), general, "{h:?}");
        }
    }

    #[test]
    fn messages_quote_names_never_values() {
        let e = Ini::parse("[sso-session \"a b\"]\n[sso-session \"a b\"]\n").unwrap_err().to_string();
        assert!(e.starts_with("line 2: the section [sso-session \\\"a b\\\"] again (first on line 1)"), "{e}");
        let e = Ini::parse("[a]\nsecret_thing SECRETMARK\n").unwrap_err().to_string();
        assert!(!e.contains("SECRETMARK"), "{e}");
        let e = Ini::parse("[a]\nx =\n  SECRETMARK\n").unwrap_err().to_string();
        assert!(!e.contains("SECRETMARK") && e.contains("\"x\""), "{e}");
        let e = Ini::parse("[a]\nx = SECRETMARK\nx = SECRETMARK\n").unwrap_err().to_string();
        assert!(!e.contains("SECRETMARK"), "{e}");
    }
}
