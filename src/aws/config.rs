//! The AWS shared config file: sso-sessions, the profiles that use them, legacy SSO profiles.

use crate::aws::ini::{self, Entry, Ini, Kind};
use crate::error::Error;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SsoSession {
    pub name: String,
    pub start_url: Option<String>,
    pub region: Option<String>,
    pub registration_scopes: Option<String>,
}

impl SsoSession {
    /// The field a key of its section sets (the key in lower case).
    fn field<'s>(&'s mut self, key: &str) -> Option<&'s mut Option<String>> {
        Some(match key {
            "sso_start_url" => &mut self.start_url,
            "sso_region" => &mut self.region,
            "sso_registration_scopes" => &mut self.registration_scopes,
            _ => return None,
        })
    }
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
    /// The field a key of its section sets (the key in lower case).
    fn field<'p>(&'p mut self, key: &str) -> Option<&'p mut Option<String>> {
        Some(match key {
            "sso_session" => &mut self.sso_session,
            "sso_start_url" => &mut self.sso_start_url,
            "sso_region" => &mut self.sso_region,
            "sso_account_id" => &mut self.sso_account_id,
            "sso_role_name" => &mut self.sso_role_name,
            "region" => &mut self.region,
            "services" => &mut self.services,
            "endpoint_url" => &mut self.endpoint_url,
            "ignore_configured_endpoint_urls" => &mut self.ignore_configured_endpoint_urls,
            "credential_process" => &mut self.credential_process,
            GENERATED_KEY => &mut self.generated,
            _ => return None,
        })
    }

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
    /// The whole text is read all the same (so the hot path refuses what `status` refuses);
    /// only the other profiles and the services are not built.
    pub fn parse_partial(text: &str, profiles: &[String]) -> Result<AwsConfig, String> {
        let mut cfg = AwsConfig::build(text, Some(profiles))?;
        cfg.partial = true;
        Ok(cfg)
    }

    /// Parses the text the way botocore reads it (`aws::ini`): raw values, keys without case,
    /// nested indented values (`sso_oidc =` + `  endpoint_url = …`), `[DEFAULT]`'s keys in every
    /// section; a file botocore refuses (a section or a key twice, a line it cannot place) is
    /// refused, in words. Sections botocore takes for the same profile or session (`[default]`
    /// and `[profile default]`, `[profile a]` and `[profile  a]`): the later one wins whole.
    pub fn parse(text: &str) -> Result<AwsConfig, String> {
        AwsConfig::build(text, None)
    }

    /// `parse`, or with `only`, only the sessions and the profiles it names.
    fn build(text: &str, only: Option<&[String]>) -> Result<AwsConfig, String> {
        // The sessions view keeps the keys of the sessions and the named profiles only.
        let keep = |header: &str| match (only, ini::kind(header)) {
            (None, _) | (_, Some(Kind::SsoSession)) => true,
            (Some(only), Some(Kind::Profile)) if !only.is_empty() => {
                ini::section(header).is_some_and(|(_, name)| only.iter().any(|p| *p == name))
            }
            _ => false,
        };
        let ini = Ini::parse_keeping(text, &keep).map_err(|e| e.to_string())?;
        // [DEFAULT]'s keys that can matter, once: each section takes them (and a big
        // [DEFAULT] times many sections must not be a product).
        let (mut probe_session, mut probe_profile) = (SsoSession::default(), Profile::default());
        let for_sessions: Vec<&Entry<'_>> =
            ini.defaults().iter().filter(|e| probe_session.field(&ini::lower(e.key)).is_some()).collect();
        let for_profiles: Vec<&Entry<'_>> =
            ini.defaults().iter().filter(|e| probe_profile.field(&ini::lower(e.key)).is_some()).collect();
        let for_services: Vec<&Entry<'_>> = ini.defaults().iter().filter(|e| ini.is_nested(e)).collect();
        let mut cfg = AwsConfig::default();
        for (section, entries) in ini.sections() {
            let Some((kind, name)) = ini::section(section.header) else { continue };
            match kind {
                Kind::SsoSession => {
                    let s = slot(&mut cfg.sessions, &mut cfg.session_index, &name, |name| SsoSession {
                        name,
                        ..Default::default()
                    });
                    fill(&ini, &for_sessions, entries, s, SsoSession::field);
                }
                Kind::Profile => {
                    let p = slot(&mut cfg.profiles, &mut cfg.profile_index, &name, |name| Profile {
                        name,
                        ..Default::default()
                    });
                    fill(&ini, &for_profiles, entries, p, Profile::field);
                }
                Kind::Services if only.is_none() => {
                    // A later section of the same name replaces the earlier one, as in botocore.
                    let mut services = Services::new();
                    for e in for_services.iter().copied().chain(entries) {
                        let key = ini::lower(e.key).into_owned();
                        match ini.nested(e).filter(|_| ini.is_nested(e)) {
                            Some(pairs) => {
                                let map = pairs.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
                                services.insert(key, map);
                            }
                            // A plain value where botocore expects settings: none.
                            None => {
                                services.remove(&key);
                            }
                        }
                    }
                    cfg.services.insert(name.into_owned(), services);
                }
                Kind::Services => {}
            }
        }
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

/// The config file's text, `None` when it does not exist. Only a
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
    // botocore reads it as UTF-8 and refuses anything else; so does ssofresh, saying where.
    String::from_utf8(bytes).map(Some).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        // Lines end at LF, CRLF or a lone CR, as Python counts them.
        let before = &e.as_bytes()[..at];
        let line = 1 + before
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && before.get(i + 1) != Some(&b'\n')))
            .count();
        let msg =
            format!("line {line}: not UTF-8 (botocore reads the config as UTF-8 and refuses it too); save it as UTF-8");
        Error::ConfigParse { path: path.to_path_buf(), msg }
    })
}

/// The place for `name` in `list` (found through `index`): a new one at the end, or the
/// earlier one's place, emptied — a later section botocore takes for the same name replaces
/// the earlier one whole, where it stood.
fn slot<'l, T>(
    list: &'l mut Vec<T>,
    index: &mut BTreeMap<String, usize>,
    name: &str,
    new: impl FnOnce(String) -> T,
) -> &'l mut T {
    let i = match index.get(name) {
        Some(&i) => {
            list[i] = new(name.to_string());
            i
        }
        None => {
            index.insert(name.to_string(), list.len());
            list.push(new(name.to_string()));
            list.len() - 1
        }
    };
    &mut list[i]
}

/// Sets the fields `field` names for each key of the section, `[DEFAULT]`'s first: a value is
/// the text botocore reads, none when empty or a nested block (botocore's dictionary, no
/// string). Keys are matched in lower case, as configparser stores them.
fn fill<T>(
    ini: &Ini<'_>,
    defaults: &[&Entry<'_>],
    entries: &[Entry<'_>],
    target: &mut T,
    field: for<'t> fn(&'t mut T, &str) -> Option<&'t mut Option<String>>,
) {
    for e in defaults.iter().copied().chain(entries) {
        let Some(slot) = field(target, &ini::lower(e.key)) else { continue };
        *slot = if ini.is_nested(e) { None } else { Some(ini.text(e).into_owned()).filter(|v| !v.is_empty()) };
    }
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
    fn comments_spacing_crlf_and_case() {
        let text = "# top comment\r\n; another\r\n[profile   spaced]\r\n  sso_session   =   corp  \r\n\
                    REGION=us-east-1\r\n\r\n[sso-session corp]\r\n\
                    sso_region = us-east-1\r\n  # inside\r\nSso_Start_Url: https://a/start\r\n";
        let cfg = AwsConfig::parse(text).unwrap();
        let p = cfg.profile("spaced").unwrap();
        assert_eq!(p.sso_session.as_deref(), Some("corp"));
        assert_eq!(p.region.as_deref(), Some("us-east-1"), "keys without case, as configparser");
        assert_eq!(cfg.session("corp").unwrap().start_url.as_deref(), Some("https://a/start"));
        assert_eq!(cfg.profiles.len(), 1);
    }

    #[test]
    fn repeats_are_refused_or_replace_as_in_botocore() {
        // configparser (strict) refuses a section or a key twice…
        let e = AwsConfig::parse("[profile a]\nregion = x\n\n[profile a]\nregion = y\n").unwrap_err();
        assert_eq!(e, "line 4: the section [profile a] again (first on line 1); botocore refuses a repeated section: merge the two");
        let e = AwsConfig::parse("[profile a]\nregion = x\nRegion: y\n").unwrap_err();
        assert!(e.starts_with("line 3: \"Region\" again in [profile a] (first on line 2)"), "{e}");
        // …but two headers botocore maps to one profile are two sections: the later wins whole,
        // in the earlier one's place.
        let cfg = AwsConfig::parse(
            "[default]\nregion = x\nsso_session = s\n[profile b]\n[profile  default]\nregion = y\n\
             [sso-session s]\nsso_region = eu-west-1\n[sso-session  s]\nsso_start_url = https://s/start\n",
        )
        .unwrap();
        let names: Vec<&str> = cfg.profiles.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["default", "b"]);
        let d = cfg.profile("default").unwrap();
        assert_eq!((d.region.as_deref(), d.sso_session.as_deref()), (Some("y"), None));
        let s = cfg.session("s").unwrap();
        assert_eq!((s.region.as_deref(), s.start_url.as_deref()), (None, Some("https://s/start")));
        assert_eq!(cfg.sessions.len(), 1);
    }

    #[test]
    fn default_section_keys_are_every_sections() {
        let cfg = AwsConfig::parse(
            "[DEFAULT]\nsso_region = eu-west-1\nregion = us-east-2\n[sso-session a]\nsso_start_url = https://a/start\n\
             [sso-session b]\nsso_region =\n[profile p]\nsso_session = a\n[DEFAULT]\nsso_role_name = R\n",
        )
        .unwrap();
        assert_eq!(cfg.session("a").unwrap().region.as_deref(), Some("eu-west-1"));
        assert_eq!(cfg.session("b").unwrap().region, None, "the section's own empty value wins");
        let p = cfg.profile("p").unwrap();
        assert_eq!((p.region.as_deref(), p.sso_role_name.as_deref()), (Some("us-east-2"), Some("R")));
        assert!(cfg.profile("DEFAULT").is_none() && cfg.profiles.len() == 1);
        let part = AwsConfig::parse_partial("[DEFAULT]\nsso_region = x\n[sso-session a]\n", &[]).unwrap();
        assert_eq!(part.session("a").unwrap().region.as_deref(), Some("x"));
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
        let text = "[profile a]\nsso_session = s\n[sso-session s]\r\nsso_region = eu-west-1\nsso_start_url = https://s/start\n\
                    [services x]\nsso_oidc =\n  endpoint_url = http://127.0.0.1:1\n[sso-session t]\nsso_region = us-east-1\n\
                    [ sso-session u ]\nsso_region = us-east-1\n";
        let full = AwsConfig::parse(text).unwrap();
        let view = AwsConfig::parse_partial(text, &[]).unwrap();
        assert_eq!(view.sessions, full.sessions);
        let names: Vec<&str> = view.sessions.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["s", "t"], "`[ sso-session u ]` does not start with `sso-session`: no session to botocore");
        assert!(view.partial && view.profiles.is_empty() && view.services.is_empty());
        let view = AwsConfig::parse_partial(text, &["a".into()]).unwrap();
        assert_eq!(view.profiles, full.profiles);
    }

    #[test]
    fn the_sessions_view_agrees_with_the_whole_parse_on_odd_shapes() {
        for text in [
            "[][default]rr:\0",
            "[\n\n](\n[\x0csso-session\x0cPL\x0c]+`=\n",
            "[profile q]\nx =\n [sso-session s]\nsso_region = us-east-1\n",
            "[sso-session a]\rsso_region = x\r[profile b]\n",
            "[profile b]\nregion = x\n  [sso-session c]\n[sso-session d] ]\n",
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
        // A lone CR ends a line, as in Python; an indented header under a key is part of its value.
        let cfg =
            AwsConfig::parse("[sso-session a]\rsso_region = x\r[profile b]\rregion = y\r  [sso-session c]\n").unwrap();
        assert_eq!(cfg.session("a").unwrap().region.as_deref(), Some("x"));
        assert_eq!(cfg.profile("b").unwrap().region.as_deref(), Some("y\n[sso-session c]"));
        assert!(cfg.session("c").is_none());
    }

    #[test]
    fn the_sessions_view_rejects_what_the_whole_parse_rejects() {
        // A bad line in a section the view leaves out: `status` (the whole file) refuses the
        // file, so the prompt hook and `tick` (the view) must too.
        for text in [
            "[sso-session a]\nsso_region = us-east-1\n[profile x]\n\"q\n",
            "[sso-session a]\nsso_region = us-east-1\n[services s]\n= x\n",
            "[profile x]\nsso_session = a\n[sso-session a]\nsso_region=us-east-1\n[services s]\nx\n",
            "[profile x]\nfoo\n[sso-session a]\nsso_region = us-east-1\n",
            "[sso-session a]\n[profile x]\n[profile x]\n",
            "[sso-session a]\n[profile x]\ns3 =\n  max_concurrent_requests\n",
            "[sso-session a]\n[profile x]\nA = 1\na = 2\n",
        ] {
            let full = AwsConfig::parse(text);
            assert!(full.is_err(), "{text:?}");
            assert_eq!(AwsConfig::parse_partial(text, &[]).map(|c| c.sessions), full.map(|c| c.sessions), "{text:?}");
        }
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
        let e = AwsConfig::parse("region = x\n[default]\n").unwrap_err();
        assert_eq!(e, "line 1: a setting before the first [section] header");
        let e = AwsConfig::parse("\u{feff}[default]\nregion = x\n").unwrap_err();
        assert!(e.starts_with("line 1: the file starts with a byte-order mark"), "{e}");
        let e = AwsConfig::parse("[default]\nregion = x\nnonsense\n").unwrap_err();
        assert!(e.starts_with("line 3: neither a [section] header"), "{e}");
        let e = AwsConfig::parse("[default]\ns3 =\n  addressing_style\n").unwrap_err();
        assert!(e.starts_with("line 2: the indented block under \"s3\" has a line without `=`"), "{e}");
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
