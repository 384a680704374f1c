//! Property tests of everything that reads untrusted-ish input: the token cache, timestamps and
//! the AWS config (structure-aware: generated configs with the shapes real ones have).

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use ssofresh::aws::config::AwsConfig;
use ssofresh::aws::token_cache::CachedToken;
use ssofresh::sys::secret::Secret;
use ssofresh::text::timefmt;
use std::path::Path;

fn text() -> impl Strategy<Value = String> {
    // Any Unicode, with the characters JSON must escape and non-ASCII well represented.
    prop_oneof![".{0,40}", "[a-zA-Z0-9:/._-]{1,60}", "[\"\\\\\u{0}-\u{1f}é€😀]{0,8}"]
}

fn timestamp() -> impl Strategy<Value = String> {
    (0i64..4_000_000_000, 0u32..1_000_000_000, 0usize..4).prop_map(|(secs, nanos, form)| {
        let t = chrono::DateTime::from_timestamp(secs, nanos).unwrap();
        match form {
            0 => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            1 => t.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string(),
            2 => t.format("%Y-%m-%dT%H:%M:%SUTC").to_string(),
            _ => t.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        }
    })
}

fn extra_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..3).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

prop_compose! {
    fn token()(
        start_url in proptest::option::of(text()),
        region in proptest::option::of(text()),
        access in text(),
        expires_at in timestamp(),
        client_id in proptest::option::of(text()),
        client_secret in proptest::option::of(text()),
        registration in proptest::option::of(timestamp()),
        refresh in proptest::option::of(text()),
        extra in prop::collection::vec(("x[a-zA-Z]{0,8}", extra_value()), 0..4),
    ) -> CachedToken {
        CachedToken {
            start_url,
            region,
            access_token: Secret::new(access),
            expires_at,
            client_id,
            client_secret: client_secret.map(Secret::new),
            registration_expires_at: registration,
            refresh_token: refresh.map(Secret::new),
            extra: extra.into_iter().collect::<Map<String, Value>>(),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Read → write → read keeps every field, and the bytes are a fixed point.
    #[test]
    fn cache_round_trip_keeps_every_field(t in token()) {
        let bytes = t.to_bytes();
        prop_assert!(bytes.is_ascii(), "botocore writes ASCII (json.dumps ensure_ascii)");
        prop_assert!(!bytes.contains(&b'\n'), "one line");
        let back = CachedToken::from_slice(Path::new("p.json"), &bytes).unwrap();
        prop_assert_eq!(&back, &t);
        prop_assert_eq!(back.to_bytes(), bytes);
    }

    /// Whatever JSON another tool wrote, every field survives our read and write.
    #[test]
    fn foreign_json_fields_survive(t in token(), order in any::<u64>()) {
        let mut v: Map<String, Value> = serde_json::from_slice::<Value>(&t.to_bytes()).unwrap().as_object().unwrap().clone();
        // Another tool's field order and spacing.
        let mut pairs: Vec<(String, Value)> = std::mem::take(&mut v).into_iter().collect();
        pairs.sort_by_key(|(k, _)| (k.len() as u64).wrapping_mul(order) % 7);
        let foreign = serde_json::to_vec_pretty(&Value::Object(pairs.into_iter().collect())).unwrap();
        let read = CachedToken::from_slice(Path::new("p.json"), &foreign).unwrap();
        let ours: Value = serde_json::from_slice(&read.to_bytes()).unwrap();
        let theirs: Value = serde_json::from_slice(&foreign).unwrap();
        prop_assert_eq!(ours, theirs);
    }

    /// Every form we read comes back through our own format at the same second.
    #[test]
    fn timestamps_round_trip(s in timestamp()) {
        let t = timefmt::parse(&s).unwrap();
        let written = timefmt::format(t);
        prop_assert_eq!(written.len(), 20);
        prop_assert_eq!(timefmt::parse(&written).unwrap().timestamp(), t.timestamp());
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_readers(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = CachedToken::from_slice(Path::new("p.json"), &bytes);
        let s = String::from_utf8_lossy(&bytes);
        let _ = timefmt::parse(&s);
        let _ = AwsConfig::parse(&s);
        let _ = ssofresh::text::units::parse_duration(&s);
        let _ = ssofresh::text::units::parse_size(&s);
    }
}

#[derive(Debug, Clone)]
struct GenProfile {
    name: String,
    session: Option<usize>,
    account: String,
}

/// Per section: spacing style, comment style, CRLF, keys in upper case (configparser folds them).
type Style = (usize, usize, bool, bool);

fn config_case() -> impl Strategy<Value = (Vec<String>, Vec<GenProfile>, Vec<Style>)> {
    let sessions =
        prop::collection::btree_set("[a-z][a-z0-9-]{0,10}", 1..6).prop_map(|s| s.into_iter().collect::<Vec<_>>());
    sessions.prop_flat_map(|sessions| {
        let n = sessions.len();
        let profiles =
            prop::collection::btree_map("[a-z][a-z0-9_.-]{0,10}", (proptest::option::of(0..n), "[0-9]{12}"), 0..12)
                .prop_map(|m| {
                    m.into_iter()
                        .map(|(name, (session, account))| GenProfile { name, session, account })
                        .collect::<Vec<_>>()
                });
        let styles = prop::collection::vec((0usize..4, 0usize..3, any::<bool>(), any::<bool>()), 20);
        (Just(sessions), profiles, styles)
    })
}

fn render(sessions: &[String], profiles: &[GenProfile], styles: &[Style]) -> String {
    let mut out = String::new();
    let mut sections: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for s in sessions {
        sections.push((
            format!("sso-session {s}"),
            vec![
                ("sso_start_url".into(), format!("https://{s}.awsapps.com/start")),
                ("sso_region".into(), "eu-west-1".into()),
            ],
        ));
    }
    for p in profiles {
        let mut keys = vec![("sso_account_id".to_string(), p.account.clone()), ("region".into(), "us-east-1".into())];
        if let Some(i) = p.session {
            keys.push(("sso_session".into(), sessions[i].clone()));
        }
        let header = if p.name == "default" { "default".to_string() } else { format!("profile {}", p.name) };
        sections.push((header, keys));
    }
    for (i, (header, keys)) in sections.iter().enumerate() {
        let (spacing, comment, crlf, upper) = styles[i % styles.len()];
        let nl = if crlf { "\r\n" } else { "\n" };
        match comment {
            1 => out += &format!("# about {header}{nl}"),
            2 => out += &format!("; about {header}{nl}"),
            _ => {}
        }
        let header = if spacing == 3 { header.replacen(' ', "   ", 1) } else { header.clone() };
        out += &format!("[{header}]{nl}");
        for (k, v) in keys {
            let k = if upper { k.to_uppercase() } else { k.clone() };
            out += &match spacing {
                0 => format!("{k} = {v}{nl}"),
                1 => format!("{k}={v}{nl}"),
                _ => format!("{k}   =\t{v}  {nl}"),
            };
        }
        out += nl;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Generated configs with comments, odd spacing, CRLF and keys in any case parse to what
    /// was written, and the hot path's partial parse agrees with the full one; the same config
    /// with a key repeated in a section is refused by both, as botocore refuses it.
    #[test]
    fn generated_configs_parse_to_what_was_written((sessions, profiles, styles) in config_case()) {
        let text = render(&sessions, &profiles, &styles);
        let cfg = AwsConfig::parse(&text).unwrap();
        prop_assert_eq!(cfg.sessions.iter().map(|s| s.name.clone()).collect::<Vec<_>>(), sessions.clone());
        for s in &cfg.sessions {
            prop_assert_eq!(s.region.as_deref(), Some("eu-west-1"));
        }
        prop_assert_eq!(cfg.profiles.len(), profiles.len());
        for p in &profiles {
            let got = cfg.profile(&p.name).unwrap();
            prop_assert_eq!(got.sso_account_id.as_deref(), Some(p.account.as_str()));
            prop_assert_eq!(got.sso_session.as_deref(), p.session.map(|i| sessions[i].as_str()));
        }
        let named: Vec<String> = profiles.iter().take(2).map(|p| p.name.clone()).collect();
        let part = AwsConfig::parse_partial(&text, &named).unwrap();
        prop_assert!(part.partial);
        prop_assert_eq!(&part.sessions, &cfg.sessions);
        for n in &named {
            prop_assert_eq!(part.profile(n), cfg.profile(n));
        }
        let first_key = text.find("sso_start_url").or_else(|| text.find("SSO_START_URL")).unwrap();
        let repeated = format!("{}sso_Start_Url = again\n{}", &text[..first_key], &text[first_key..]);
        prop_assert!(AwsConfig::parse(&repeated).is_err(), "{}", repeated);
        prop_assert!(AwsConfig::parse_partial(&repeated, &named).is_err(), "{}", repeated);
    }
}

// ---- config edits (`configure … --write`) ----

use ssofresh::aws::config_edit::{set_keys, Section};

/// One line of a generated config, and whether an edit of `target` may change it (a key the
/// edit sets, inside one of the target's sections).
#[derive(Debug, Clone)]
enum Gen {
    Blank(String),
    Comment(String),
    Header(String),
    Key {
        key: String,
        sep: String,
        value: String,
    },
    /// An indented line under the previous (unmanaged) key: `s3 =` / `  max = 20`.
    Nested(String),
}

const MANAGED: [&str; 3] = ["sso_start_url", "sso_region", "sso_registration_scopes"];

fn gen_line() -> impl Strategy<Value = Gen> {
    let names = prop_oneof![Just("corp".to_string()), Just("other".to_string()), "[a-z][a-z0-9-]{0,6}"];
    let header = (0usize..6, names, "[ ]{0,2}", prop_oneof![Just(String::new()), Just("  # note".to_string())])
        .prop_map(|(kind, name, pad, trail)| match kind {
            0 | 1 => format!("[sso-session{pad} {name}]{trail}"),
            2 | 3 => format!("[profile {name}]{trail}"),
            4 => "[default]".to_string(),
            _ => format!("[services {name}]"),
        });
    let key = prop_oneof![
        Just("sso_start_url".to_string()),
        Just("sso_region".to_string()),
        Just("sso_registration_scopes".to_string()),
        Just("region".to_string()),
        Just("sso_session".to_string()),
        "x_[a-z]{1,6}",
        "Unknown_[A-Za-z]{1,4}",
    ];
    let sep = prop_oneof![Just(" = ".to_string()), Just("=".to_string()), Just("  =\t".to_string())];
    // Printable values, never ending in blanks (configparser strips them) nor starting with one.
    let value = "[!-~]([ -~]{0,16}[!-~])?";
    prop_oneof![
        3 => (key, sep, value).prop_map(|(key, sep, value)| Gen::Key { key, sep, value }),
        2 => header.prop_map(Gen::Header),
        1 => "[ \t]{0,2}".prop_map(Gen::Blank),
        1 => "[#;][ -~]{0,20}".prop_map(Gen::Comment),
        1 => "  [a-z_]{1,8} = [a-z0-9]{1,6}".prop_map(Gen::Nested),
    ]
}

/// Lines that make a config both configparser and ssofresh read: nested lines only right after
/// an unmanaged key or another nested line; no key before the first header; no key twice in a
/// section (botocore refuses duplicates).
fn well_formed(lines: Vec<Gen>) -> Vec<Gen> {
    let mut out: Vec<Gen> = Vec::new();
    let mut in_section = false;
    let mut keys: Vec<String> = Vec::new();
    let mut headers: Vec<String> = Vec::new();
    for l in lines {
        match &l {
            Gen::Header(h) => {
                let inner = h[1..h.rfind(']').unwrap()].split_whitespace().collect::<Vec<_>>().join(" ");
                if headers.contains(&inner) {
                    continue;
                }
                headers.push(inner);
                in_section = true;
                keys.clear();
            }
            Gen::Key { key, .. } => {
                let k = key.to_lowercase();
                if !in_section || keys.contains(&k) {
                    continue;
                }
                keys.push(k);
            }
            Gen::Nested(_) => match out.last() {
                Some(Gen::Key { key, .. }) if !MANAGED.contains(&key.as_str()) => {}
                Some(Gen::Nested(_)) => {}
                _ => continue,
            },
            Gen::Blank(_) | Gen::Comment(_) => {}
        }
        out.push(l);
    }
    out
}

fn gen_config() -> impl Strategy<Value = (Vec<Gen>, bool, bool)> {
    (prop::collection::vec(gen_line(), 0..40).prop_map(well_formed), any::<bool>(), any::<bool>())
}

fn config_text(lines: &[Gen], crlf: bool, final_newline: bool) -> Vec<String> {
    let nl = if crlf { "\r\n" } else { "\n" };
    let n = lines.len();
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let body = match l {
                Gen::Blank(s) | Gen::Comment(s) | Gen::Header(s) | Gen::Nested(s) => s.clone(),
                Gen::Key { key, sep, value } => format!("{key}{sep}{value}"),
            };
            let end = if i + 1 == n && !final_newline { "" } else { nl };
            body + end
        })
        .collect()
}

/// Which lines an edit of `target` may touch: the keys it sets, inside the target's sections.
fn managed_lines(lines: &[Gen], target: &str, set: &[&str]) -> Vec<bool> {
    let mut inside = false;
    lines
        .iter()
        .map(|l| match l {
            Gen::Header(h) => {
                let inner: Vec<&str> = h[1..h.rfind(']').unwrap()].split_whitespace().collect();
                inside = inner == ["sso-session", target];
                false
            }
            Gen::Key { key, .. } => inside && set.contains(&key.as_str()),
            _ => false,
        })
        .collect()
}

fn split_lines(text: &str) -> Vec<String> {
    text.split_inclusive('\n').map(str::to_string).collect()
}

/// A config (lines, CRLF, final newline), the session to edit, and which keys get which value.
type EditCase = ((Vec<Gen>, bool, bool), String, Vec<(usize, String)>);

fn edit_case() -> impl Strategy<Value = EditCase> {
    let target = prop_oneof![Just("corp".to_string()), Just("other".to_string()), Just("new".to_string())];
    let keys = prop::collection::btree_map(0usize..3, "[a-z0-9:/.-]{1,24}", 1..4)
        .prop_map(|m| m.into_iter().collect::<Vec<_>>());
    (gen_config(), target, keys)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Setting keys of one sso-session keeps every other line byte for byte and in order (a
    /// comment, a key ssofresh does not know, another session's keys, the line endings); what
    /// changes is only the managed keys of that session, a header and a blank line when it is
    /// new. The result reads back with the new values and everything else as it was, and a
    /// second edit changes nothing.
    #[test]
    fn config_edits_keep_every_other_byte(((lines, crlf, final_nl), target, keys) in edit_case()) {
        let orig_lines = config_text(&lines, crlf, final_nl);
        let orig: String = orig_lines.concat();
        let keys: Vec<(&str, &str)> = keys.iter().map(|(i, v)| (MANAGED[*i], v.as_str())).collect();
        let section = Section::SsoSession(target.clone());
        let out = set_keys(&orig, &section, &keys).unwrap();

        // Kept: every unmanaged line, in order, byte for byte (the last one may gain a newline).
        let set: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
        let managed = managed_lines(&lines, &target, &set);
        let kept: Vec<String> = orig_lines
            .iter()
            .zip(&managed)
            // A last line that is empty and unterminated is no line at all.
            .filter(|(l, m)| !**m && !l.is_empty())
            .map(|(l, _)| l.trim_end_matches(['\r', '\n']).to_string())
            .collect();
        let got = split_lines(&out);
        let mut it = got.iter().map(|l| l.trim_end_matches(['\r', '\n']).to_string()).peekable();
        let mut extra: Vec<String> = Vec::new();
        for want in &kept {
            loop {
                match it.next() {
                    Some(l) if &l == want => break,
                    Some(l) => extra.push(l),
                    None => return Err(TestCaseError::fail(format!("line {want:?} lost:\n{orig}\n---\n{out}"))),
                }
            }
        }
        extra.extend(it);
        // Added or changed: only `key = value` of the keys set, the new header, one blank line.
        let header = format!("[sso-session {target}]");
        for l in &extra {
            let ok = l.is_empty() || *l == header || keys.iter().any(|(k, v)| {
                l.to_lowercase().starts_with(k) && l.ends_with(v) && l[k.len()..l.len() - v.len()].trim() == "="
            });
            prop_assert!(ok, "unexpected line {:?}:\n{}\n---\n{}", l, orig, out);
        }
        // Line endings: every line the edit wrote ends like the file's first line.
        if orig.contains("\r\n") {
            prop_assert!(!out.replace("\r\n", "").contains('\n'), "a bare LF in a CRLF file:\n{:?}", out);
        }

        // Read back: the session has the new values; every other section is as it was.
        let before = AwsConfig::parse(&orig).unwrap();
        let after = AwsConfig::parse(&out).unwrap();
        let s = after.sessions.iter().find(|s| s.name == target).expect("the session exists");
        for (k, v) in &keys {
            let got = match *k {
                "sso_start_url" => &s.start_url,
                "sso_region" => &s.region,
                _ => &s.registration_scopes,
            };
            prop_assert_eq!(got.as_deref(), Some(*v));
        }
        let others = |c: &AwsConfig| c.sessions.iter().filter(|s| s.name != target).cloned().collect::<Vec<_>>();
        prop_assert_eq!(others(&before), others(&after));
        prop_assert_eq!(&before.profiles, &after.profiles);
        prop_assert_eq!(&before.services, &after.services);

        // Idempotent.
        prop_assert_eq!(set_keys(&out, &section, &keys).unwrap(), out);
    }
}

/// `n` configs from each of this file's config generators, for the comparison with botocore
/// (`botocore_config`, which does not run on Windows).
#[cfg(not(windows))]
pub(crate) fn sample_configs(runner: &mut proptest::test_runner::TestRunner, n: usize) -> Vec<String> {
    use proptest::strategy::ValueTree;
    let mut out = Vec::new();
    for _ in 0..n {
        let (sessions, profiles, styles) = config_case().new_tree(runner).expect("a value").current();
        out.push(render(&sessions, &profiles, &styles));
        let (lines, crlf, final_newline) = gen_config().new_tree(runner).expect("a value").current();
        out.push(config_text(&lines, crlf, final_newline).concat());
    }
    out
}
