//! ssofresh's reading of the AWS config held to botocore's own (`botocore.configloader.load_config`,
//! what the AWS CLI and boto3 run), over a corpus of tricky configs: hand-written edge cases,
//! configs generated from a grammar of the shapes that matter (headers botocore takes or not,
//! keys in any case with `=` or `:`, continuation and nested lines, comments, blank lines,
//! Python's whitespace, LF, CRLF and lone CR, repeats, `[DEFAULT]`, a BOM), and those of the
//! property tests (`properties.rs`). For each, both refuse it, or both read the same
//! sso-sessions and profiles (in order, every key ssofresh reads) and `[services]` blocks; the
//! hot path's partial parse agrees. One Python process reads the whole corpus.

use crate::common::aws::{require_aws2, require_python_module};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value};
use ssofresh::aws::config::{AwsConfig, Profile, SsoSession};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Reads each file named on stdin (a JSON list) as the AWS CLI does: the sections it sorts
/// into profiles, sso-sessions and services, or `false` when it refuses the file. The argument
/// is the package: `botocore` (AWS CLI v1, boto3) or `awscli.botocore` (the AWS CLI v2's copy).
const BOTOCORE: &str = r#"
import importlib, json, sys
loader = importlib.import_module(sys.argv[1] + ".configloader")
load_config, ConfigParseError = loader.load_config, loader.botocore.exceptions.ConfigParseError
out = []
for path in json.load(sys.stdin):
    try:
        c = load_config(path)
        out.append({k: c[k] for k in ("profiles", "sso_sessions", "services")})
    except ConfigParseError:
        out.append(False)
json.dump(out, sys.stdout)
"#;

/// The edge cases, each one rule of configparser's or botocore's (checked against botocore 1.44
/// on Python 3.11: see the comments).
const EDGES: &[&str] = &[
    // Plain, and the same with CRLF, lone CR and no final newline.
    "[default]\nregion = eu-west-1\nsso_session = corp\n[sso-session corp]\nsso_start_url = https://c/start\nsso_region = us-east-1\n",
    "[default]\r\nregion = eu-west-1\r\n[sso-session corp]\r\nsso_region = us-east-1",
    "[default]\rregion = eu-west-1\r[sso-session corp]\rsso_region = us-east-1\r",
    "[default]\nregion = a\r\n\r[profile b]\rregion = b\n",
    // Comments start lines only, at any indentation; `#` after a value is part of it.
    "# c\n; c\n[profile a] # after a header\n  # indented\nregion = us-east-1 # not a comment\nsso_region = x ; nor this\n",
    // Keys without case, `:` as well as `=`, the first delimiter splits.
    "[profile a]\nREGION: us-east-1\nSso_Session=corp=x\nsso_account_id : 1:2\n",
    "[profile a]\nregion = 1\nRegion = 2\n",
    "[profile a]\nk\u{212a} = 1\nkk = 2\n",
    // Sections twice are refused; headers botocore maps to one name: the later wins whole.
    "[profile a]\n[profile a]\n",
    "[profile a]\nregion = 1\n[profile  a]\nsso_session = s\n",
    "[default]\nregion = 1\n[profile default]\nregion = 2\n",
    "[profile default]\nregion = 2\n[default]\nsso_session = s\n",
    "[sso-session s]\nsso_region = a\n[sso-session  s ]\nsso_start_url = https://s/start\n",
    // Which headers are which: prefixes, exact `default`, shlex words.
    "[ profile a]\nregion = x\n[profiles b]\nregion = y\n[profile]\n[profile c d]\n[default ]\n[Default]\n",
    "[sso-sessions s]\nsso_region = x\n[sso-session \"a b\"]\nsso_region = y\n[sso-session 'c\nsso_region = z\n",
    "[sso-session \"q\\\"r\"]\nsso_region = x\n[profile 'p q']\nsso_session = q\"r\n[services  \"s t\"]\n",
    "[profile a]]\nregion = x\n[profile b] ]\nregion = y\n[x] = 1\nregion = z\n",
    // `[DEFAULT]`: every section's keys unless the section sets them (even empty).
    "[DEFAULT]\nsso_region = eu-west-1\nregion = r\n[sso-session a]\n[sso-session b]\nsso_region =\n[profile p]\n",
    "[profile p]\n[DEFAULT]\nregion = late\n[DEFAULT]\nsso_session = s\n",
    "[DEFAULT]\nregion = 1\n[DEFAULT]\nREGION = 2\n[profile p]\n",
    // Continuations: deeper than the key's line in characters; blank lines kept inside.
    "[profile a]\nregion = us-east-1\n  more\n\n   still\n\n[profile b]\n  region = x\n  sso_session = y\n",
    "[profile a]\n  region = x\n\tsso_session = y\n",
    "[profile a]\n  region = x\n\u{3000}\u{3000}\u{3000}more\n",
    "[profile a]\n  region = x\n\u{3000}\u{3000}more\n",
    "[profile a]\nregion = x\n  [profile b]\nsso_session = y\n",
    // Nested blocks: after an empty value; a line without `=` is refused, in any section.
    "[profile a]\ns3 =\n  max_concurrent_requests = 20\n  addressing_style=path\nregion = x\n",
    "[profile a]\ns3 =\n  max_concurrent_requests\n",
    "[preview]\nx =\n  y\n",
    "[profile a]\nregion =\n  x = y\n",
    "[services s]\nsso_oidc =\n  endpoint_url = http://127.0.0.1:1\nsso =\n\n  endpoint_url = http://127.0.0.1:2\n  # c\nsts = plain\n",
    "[services s]\nSSO_OIDC =\n  Endpoint_URL = http://a\n  endpoint_url = http://b\n",
    "[services s]\nsso_oidc =\n  endpoint_url = a\u{1c}x = y\n",
    "[services s]\nsso_oidc =\n  endpoint_url = a\u{1c}x\n",
    "[DEFAULT]\nx =\n  y\n",
    "[DEFAULT]\nx =\n  y\n[profile a]\n",
    "[DEFAULT]\nx =\n  y\n[profile a]\nx = 1\n",
    // Python's whitespace: U+001C–U+001F, U+0085, U+00A0, U+3000 are; U+FEFF is not.
    "[profile a]\n\u{1c}region\u{1f}=\u{a0}x\u{2003}\n\u{85}\nsso_session = \u{feff}s\n",
    "\u{feff}[profile a]\nregion = x\n",
    "\u{feff}\n[profile a]\n",
    // What is refused: keys before a header, a line without a delimiter, an empty key.
    "region = x\n[profile a]\n",
    "  \n# c\n\n[profile a]\n",
    "[profile a]\njunk\n",
    "[profile a]\n= x\n",
    "[profile a]\n  : x\n",
    "[profile dev\nregion = x\n",
    "[profile dev = x\n",
    "[]\n",
    "[profile a]\n[]\n",
    "[profile a]\n[]]\nregion = x\n",
    // Raw values: no interpolation, quotes or escapes.
    "[profile a]\nregion = %(x)s\nsso_session = \"q\"\ncredential_process = a \\\n  b\n",
    // Empty.
    "",
    "\n\n",
];

#[derive(Debug, PartialEq)]
struct View {
    sessions: Vec<SsoSession>,
    profiles: Vec<Profile>,
    services: BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>,
}

/// What ssofresh's model holds of a botocore value: text, none when empty or a nested block.
fn text(section: &Map<String, Value>, key: &str) -> Option<String> {
    match section.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn botocore_view(v: &Value) -> Option<View> {
    let sections = |k: &str| v[k].as_object().cloned().unwrap_or_default();
    let sessions = sections("sso_sessions")
        .iter()
        .map(|(name, s)| {
            let s = s.as_object().cloned().unwrap_or_default();
            SsoSession {
                name: name.clone(),
                start_url: text(&s, "sso_start_url"),
                region: text(&s, "sso_region"),
                registration_scopes: text(&s, "sso_registration_scopes"),
            }
        })
        .collect();
    let profiles = sections("profiles")
        .iter()
        .map(|(name, p)| {
            let p = p.as_object().cloned().unwrap_or_default();
            Profile {
                name: name.clone(),
                sso_session: text(&p, "sso_session"),
                sso_start_url: text(&p, "sso_start_url"),
                sso_region: text(&p, "sso_region"),
                sso_account_id: text(&p, "sso_account_id"),
                sso_role_name: text(&p, "sso_role_name"),
                region: text(&p, "region"),
                services: text(&p, "services"),
                endpoint_url: text(&p, "endpoint_url"),
                ignore_configured_endpoint_urls: text(&p, "ignore_configured_endpoint_urls"),
                credential_process: text(&p, "credential_process"),
                generated: text(&p, "ssofresh_generated"),
            }
        })
        .collect();
    let services = sections("services")
        .iter()
        .map(|(name, s)| {
            let blocks = s
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| {
                    let nested = v.as_object()?;
                    Some((
                        k.clone(),
                        nested.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string())).collect(),
                    ))
                })
                .collect();
            (name.clone(), blocks)
        })
        .collect();
    Some(View { sessions, profiles, services })
}

fn ssofresh_view(text: &str) -> Option<View> {
    let cfg = AwsConfig::parse(text).ok()?;
    Some(View { sessions: cfg.sessions, profiles: cfg.profiles, services: cfg.services })
}

// ---- the generated corpus ----

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-d]".prop_map(String::from),
        1 => Just("default".to_string()),
        1 => Just("\"x y\"".to_string()),
        1 => Just("'p q'".to_string()),
        1 => Just("\"open".to_string()),
    ]
}

fn header() -> impl Strategy<Value = String> {
    let kind = prop_oneof![
        4 => Just("profile "),
        3 => Just("sso-session "),
        1 => Just("services "),
        1 => Just("profile  "),
        1 => Just(" profile "),
        1 => Just("profiles "),
        1 => Just("sso-sessionx "),
        1 => Just("other "),
    ];
    let plain = (kind, name(), prop_oneof![6 => Just(""), 1 => Just(" "), 1 => Just(" extra")])
        .prop_map(|(k, n, tail)| format!("{k}{n}{tail}"));
    let inner = prop_oneof![
        10 => plain,
        2 => Just("default".to_string()),
        1 => Just("default ".to_string()),
        2 => Just("DEFAULT".to_string()),
        1 => Just("Default".to_string()),
    ];
    let tail = prop_oneof![8 => Just(""), 1 => Just(" # note"), 1 => Just("]"), 1 => Just(" ; x = y")];
    let indent = prop_oneof![8 => Just(""), 1 => Just(" "), 1 => Just("\t")];
    (indent, inner, tail).prop_map(|(i, h, t)| format!("{i}[{h}]{t}"))
}

fn key() -> impl Strategy<Value = String> {
    let base = prop_oneof![
        Just("sso_session"),
        Just("sso_start_url"),
        Just("sso_region"),
        Just("sso_registration_scopes"),
        Just("sso_account_id"),
        Just("sso_role_name"),
        Just("region"),
        Just("services"),
        Just("endpoint_url"),
        Just("credential_process"),
        Just("ssofresh_generated"),
        Just("ignore_configured_endpoint_urls"),
        Just("sso_oidc"),
        Just("sso"),
        Just("s3"),
        Just("x_y"),
        Just("a b"),
    ];
    (base, 0usize..6).prop_map(|(k, case)| match case {
        0 => k.to_uppercase(),
        1 => {
            let mut c = k.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
        }
        _ => k.to_string(),
    })
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(String::new()),
        3 => "[a-z0-9:/.-]{1,12}",
        1 => Just("a # b".to_string()),
        1 => Just("; c".to_string()),
        1 => Just("%(x)s".to_string()),
        1 => Just("\"q\"".to_string()),
        1 => Just("a\\".to_string()),
        1 => Just("x = y".to_string()),
        1 => Just("k: v".to_string()),
        1 => Just(" spaced  ".to_string()),
        1 => Just("é\u{a0}ü".to_string()),
        1 => Just("\u{1c}fs\u{1c}".to_string()),
        1 => Just("a\u{1c}b = c".to_string()),
        1 => Just("\u{feff}".to_string()),
    ]
}

fn key_line() -> impl Strategy<Value = String> {
    let sep = prop_oneof![
        4 => Just(" = "),
        2 => Just("="),
        1 => Just(":"),
        1 => Just(" : "),
        1 => Just("\t=\t"),
        1 => Just("  ="),
        1 => Just(" :="),
        1 => Just("=="),
    ];
    (key(), sep, value()).prop_map(|(k, s, v)| format!("{k}{s}{v}"))
}

fn line() -> impl Strategy<Value = String> {
    let indent = prop_oneof![
        3 => Just("  "),
        1 => Just(" "),
        1 => Just("\t"),
        1 => Just("    "),
        1 => Just("\u{3000}"),
        1 => Just("\u{a0}\u{a0}\u{a0}"),
        1 => Just("\u{c}"),
        1 => Just("\u{1c}"),
    ];
    let continued = prop_oneof![
        3 => key_line(),
        1 => "[a-z]{1,8}".prop_map(String::from),
        1 => Just("[profile z]".to_string()),
        1 => Just("# c".to_string()),
    ];
    prop_oneof![
        20 => header(),
        45 => key_line(),
        15 => (indent, continued).prop_map(|(i, l)| format!("{i}{l}")),
        10 => prop_oneof![Just(""), Just("  "), Just("\t"), Just("\u{b}")].prop_map(String::from),
        8 => prop_oneof![Just("# x"), Just("; y"), Just("  # z"), Just("\t;w"), Just("#")].prop_map(String::from),
        2 => prop_oneof![Just("junk"), Just("= x"), Just(": y"), Just("[unclosed"), Just("[]"), Just("]")]
            .prop_map(String::from),
    ]
}

fn generated_config() -> impl Strategy<Value = String> {
    let end = prop_oneof![20 => Just("\n"), 2 => Just("\r\n"), 1 => Just("\r")];
    let lines = prop::collection::vec((line(), end), 0..24);
    (lines, any::<bool>(), prop::bool::weighted(0.02)).prop_map(|(lines, last_newline, bom)| {
        let n = lines.len();
        let mut out = if bom { "\u{feff}".to_string() } else { String::new() };
        // Most start with a header: a key before one refuses the whole file.
        if !lines.first().is_some_and(|(l, _)| l.trim_start().starts_with('[')) && n % 4 != 0 {
            out += "[profile first]\n";
        }
        for (i, (l, e)) in lines.into_iter().enumerate() {
            out += &l;
            if i + 1 < n || last_newline {
                out += e;
            }
        }
        out
    })
}

fn sample<S: Strategy>(strategy: S, runner: &mut TestRunner, n: usize) -> Vec<S::Value> {
    (0..n).map(|_| strategy.new_tree(runner).expect("a value").current()).collect()
}

/// The corpus: the edge cases, generated configs, and the property tests' configs.
fn corpus() -> Vec<String> {
    // Deterministic: a failure names its case and comes back on the next run.
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        proptest::test_runner::TestRng::deterministic_rng(proptest::test_runner::RngAlgorithm::ChaCha),
    );
    let mut out: Vec<String> = EDGES.iter().map(|s| s.to_string()).collect();
    out.extend(sample(generated_config(), &mut runner, 2000));
    out.extend(crate::properties::sample_configs(&mut runner, 200));
    out
}

/// Runs `BOTOCORE` with `python` over the files.
fn botocore(python: &Path, package: &str, paths: &[String]) -> Vec<Value> {
    // UTF-8 whatever the locale, as on every desktop the AWS CLI runs on.
    let mut child = Command::new(python)
        .args(["-c", BOTOCORE, package])
        .env("PYTHONUTF8", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
    child.stdin.take().unwrap().write_all(serde_json::to_string(paths).unwrap().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{package} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn ssofresh_reads_every_config_as_botocore_does() {
    if !require_python_module("botocore.configloader") {
        return;
    }
    let corpus = corpus();
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<String> = corpus
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let p = dir.path().join(format!("config-{i}"));
            std::fs::write(&p, text).unwrap();
            p.display().to_string()
        })
        .collect();
    let theirs = botocore(Path::new("python3"), "botocore", &paths);
    assert_eq!(theirs.len(), corpus.len());
    // The AWS CLI v2 carries its own copy of botocore: it reads them all the same.
    if let Some(aws2) = require_aws2() {
        let python = aws2.parent().expect("the venv's bin").join("python3");
        let v2 = botocore(&python, "awscli.botocore", &paths);
        for (i, (v1, v2)) in theirs.iter().zip(&v2).enumerate() {
            assert_eq!(v1, v2, "case {i}: the AWS CLI v1 and v2 disagree on {:?}", corpus[i]);
        }
    }

    let (mut read, mut refused) = (0, 0);
    for (i, (text, botocore)) in corpus.iter().zip(&theirs).enumerate() {
        let expected = if botocore == &Value::Bool(false) { None } else { botocore_view(botocore) };
        let ours = ssofresh_view(text);
        assert_eq!(ours, expected, "case {i} ({}): {text:?}", if expected.is_some() { "read" } else { "refused" });
        if expected.is_some() {
            read += 1;
        } else {
            refused += 1;
        }
        // The hot path's view: the same sessions and named profiles, or the same refusal.
        let named: Vec<String> = ours.iter().flat_map(|v| v.profiles.iter().take(2).map(|p| p.name.clone())).collect();
        let part = AwsConfig::parse_partial(text, &named);
        assert_eq!(part.is_ok(), ours.is_some(), "case {i}, partial: {text:?}");
        if let (Ok(part), Some(full)) = (part, &ours) {
            assert_eq!(part.sessions, full.sessions, "case {i}, partial: {text:?}");
            let want: Vec<&Profile> = full.profiles.iter().filter(|p| named.contains(&p.name)).collect();
            assert_eq!(part.profiles.iter().collect::<Vec<_>>(), want, "case {i}, partial: {text:?}");
        }
    }
    // Both kinds, in numbers: a corpus botocore refuses wholesale would prove little.
    eprintln!("{read} configs read and {refused} refused alike");
    assert!(read >= corpus.len() / 4 && refused >= corpus.len() / 10, "{read} read, {refused} refused");
}
