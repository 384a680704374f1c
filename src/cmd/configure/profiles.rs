//! `ssofresh configure profiles [SESSION]`: after a login, one profile per account and role the
//! SSO portal lists, printed or (`--write`) added to the config. Profiles ssofresh writes carry
//! `ssofresh_generated = true`; those are the only ones it ever updates.

use crate::aws::config::valid_region;
use crate::aws::config::{AwsConfig, GENERATED_KEY};
use crate::aws::config_edit::{self, Section};
use crate::cli::{resolve, ConfigureProfilesArgs};
use crate::cmd::common::{notifier, region_error, write_config, written};
use crate::context::Context;
use crate::engine::assignments::{self, Assignment};
use crate::engine::target;
use crate::error::{EXIT_OK, EXIT_USAGE};
use crate::sys::secret::one_line;
use crate::sys::stdio::{errln, out, outln};
use std::cell::RefCell;

pub fn run(ctx: &Context, args: &ConfigureProfilesArgs) -> u8 {
    let paths = &ctx.paths;
    if let Err(code) = crate::cmd::common::refuse_unsafe_dirs(paths) {
        return code;
    }
    let cfg = match crate::cmd::common::load_config(ctx) {
        Ok(c) => c,
        Err(e) => return crate::cmd::common::fail(&e),
    };
    let session = args.session.as_deref().or(args.session_flag.as_deref());
    let target =
        match target::choose(&cfg, session, None, ctx.aws().profile.as_deref(), &paths.cache_dir, "configure profiles")
        {
            Ok(t) => t,
            Err(e) => return crate::cmd::common::fail(&e),
        };
    if target.is_legacy() {
        errln!(
            "ssofresh: {}: profiles are written for sso-sessions; move the legacy profile to one first (ssofresh doctor prints the lines)",
            target.label()
        );
        return EXIT_USAGE;
    }
    let region = match args.region.as_deref().map(str::trim) {
        Some(r) if !valid_region(r) => {
            errln!("ssofresh: {}", region_error("--region", r));
            return EXIT_USAGE;
        }
        Some(r) => Some(r.to_string()),
        None => None,
    };
    let template = args.template.as_str();
    if let Err(msg) = render(template, &sample(), "s") {
        errln!("ssofresh: {msg}");
        return EXIT_USAGE;
    }
    let settings = resolve::refresh(ctx, &args.refresh, false);
    let notify = resolve::notify(&args.refresh.notify);
    let notifier = notifier(&notify, &settings);
    let now = ctx.clock.now();
    let found = match assignments::list(&target, &cfg, &settings, &mut |r| notifier.report(&target, r, now)) {
        Ok(list) => list,
        Err(e) => {
            errln!("ssofresh: {e}");
            return e.exit_code();
        }
    };
    let mut usable = Vec::new();
    for a in found {
        match check(&a) {
            Ok(()) => usable.push(a),
            Err(why) => errln!("ssofresh: skipping {why}"),
        }
    }
    if usable.is_empty() {
        outln!("No account or role is assigned to you through sso-session {}.", target.name);
        return EXIT_OK;
    }
    let names = names(template, &usable, &target.name);
    let wanted = Wanted { session: &target.name, region: region.as_deref(), default_region: target.region.as_deref() };
    if !args.write {
        let plan = plan(&cfg, &usable, &names, &wanted);
        out!("{}", render_plan(&plan, &wanted));
        errln!(
            "ssofresh: {} account/role pair(s) through sso-session {}; add the profiles to {} with --write",
            plan.len(),
            target.name,
            paths.config_file.display()
        );
        return EXIT_OK;
    }
    // Planned again from the text under the lock, so a change made meanwhile is seen.
    let last: RefCell<Vec<Item>> = RefCell::new(Vec::new());
    let result = write_config(ctx, |text| {
        let cfg =
            AwsConfig::parse(text).map_err(|msg| format!("cannot parse {}: {msg}", paths.config_file.display()))?;
        let mut items = plan(&cfg, &usable, &names, &wanted);
        let mut out = text.to_string();
        for item in items.iter_mut() {
            if let Some(keys) = keys_for(item, &wanted) {
                let pairs: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let next = config_edit::set_keys(&out, &Section::Profile(item.name.clone()), &pairs)
                    .map_err(|e| format!("cannot change {}: {e}", paths.config_file.display()))?;
                if item.action == Action::Update && next == out {
                    item.action = Action::Current;
                }
                out = next;
            }
        }
        *last.borrow_mut() = items;
        Ok(out)
    });
    let how = match result {
        Ok((how, _)) => how,
        Err(code) => return code,
    };
    let items = last.into_inner();
    outln!("Profiles for sso-session {}:", target.name);
    for item in &items {
        outln!("  {}", summary(item));
    }
    let stale: Vec<String> = AwsConfig::load(&paths.config_file)
        .map(|cfg| {
            cfg.profiles
                .iter()
                .filter(|p| p.is_generated() && p.sso_session.as_deref() == Some(target.name.as_str()))
                .filter(|p| !items.iter().any(|i| i.name == p.name))
                .filter(|p| p.credential_process.is_none())
                .map(|p| p.name.clone())
                .collect()
        })
        .unwrap_or_default();
    for name in &stale {
        outln!(
            "  {:<8} {name}: written by ssofresh, but no longer assigned to you; remove it by hand if you like",
            "stale"
        );
    }
    outln!("{}.", capitalised(&written(&paths.config_file, &how, &paths.home)));
    EXIT_OK
}

/// What the profiles should say besides their account and role.
struct Wanted<'a> {
    session: &'a str,
    /// `--region`: set on new profiles and on those ssofresh wrote before.
    region: Option<&'a str>,
    /// The session's `sso_region`: new profiles' region without `--region`.
    default_region: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// No profile for this role yet: add one.
    Add,
    /// ssofresh wrote the profile for this role: bring it up to date.
    Update,
    /// ssofresh wrote it and it is up to date.
    Current,
    /// The user's own profile already uses this role: never touched.
    Theirs,
    /// The name is taken by a profile for something else: not written.
    Taken,
}

#[derive(Debug, Clone)]
struct Item {
    assignment: Assignment,
    /// The profile's name: the existing one for `Update`/`Current`/`Theirs`.
    name: String,
    action: Action,
}

/// Any assignment: the template is checked on one before anything is fetched.
fn sample() -> Assignment {
    Assignment { account_id: "111122223333".into(), account_name: Some("a".into()), role_name: "r".into() }
}

/// What each role gets, against the profiles in `cfg`.
fn plan(cfg: &AwsConfig, list: &[Assignment], names: &[String], wanted: &Wanted) -> Vec<Item> {
    let mut taken: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (a, name) in list.iter().zip(names) {
        let same_role = |p: &&crate::aws::config::Profile| {
            p.sso_session.as_deref() == Some(wanted.session)
                && p.sso_account_id.as_deref() == Some(a.account_id.as_str())
                && p.sso_role_name.as_deref() == Some(a.role_name.as_str())
        };
        let (name, action) = if let Some(p) = cfg.profiles.iter().filter(same_role).find(|p| p.is_generated()) {
            (p.name.clone(), Action::Update)
        } else if let Some(p) = cfg.profiles.iter().find(same_role) {
            (p.name.clone(), Action::Theirs)
        } else if cfg.profile(name).is_some() || taken.contains(name) {
            (name.clone(), Action::Taken)
        } else {
            (name.clone(), Action::Add)
        };
        taken.push(name.clone());
        out.push(Item { assignment: a.clone(), name, action });
    }
    out
}

/// The keys to set for an item; `None` for the profiles ssofresh leaves alone.
fn keys_for(item: &Item, wanted: &Wanted) -> Option<Vec<(&'static str, String)>> {
    let a = &item.assignment;
    let mut keys = vec![
        ("sso_session", wanted.session.to_string()),
        ("sso_account_id", a.account_id.clone()),
        ("sso_role_name", a.role_name.clone()),
    ];
    match item.action {
        Action::Add => {
            if let Some(r) = wanted.region.or(wanted.default_region) {
                keys.push(("region", r.to_string()));
            }
        }
        Action::Update | Action::Current => {
            if let Some(r) = wanted.region {
                keys.push(("region", r.to_string()));
            }
        }
        Action::Theirs | Action::Taken => return None,
    }
    keys.push((GENERATED_KEY, "true".into()));
    Some(keys)
}

/// What printing without --write shows: the block for every profile ssofresh would write, and
/// a comment for those it leaves alone.
fn render_plan(items: &[Item], wanted: &Wanted) -> String {
    let mut out = String::new();
    for item in items {
        if !out.is_empty() {
            out.push('\n');
        }
        out += &format!("# {}\n", describe(&item.assignment));
        match keys_for(item, wanted) {
            Some(keys) => {
                let pairs: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (*k, v.as_str())).collect();
                out += &config_edit::render_section(&Section::Profile(item.name.clone()), &pairs);
            }
            None => out += &format!("# {}\n", summary(item)),
        }
    }
    out
}

/// `Prod (111122223333), role AdministratorAccess`.
fn describe(a: &Assignment) -> String {
    let name = a.account_name.as_deref().map(|n| one_line(n, 60)).filter(|n| !n.is_empty());
    match name {
        Some(n) => format!("{n} ({}), role {}", a.account_id, a.role_name),
        None => format!("account {}, role {}", a.account_id, a.role_name),
    }
}

fn summary(item: &Item) -> String {
    let (word, note) = match item.action {
        Action::Add => ("added", String::new()),
        Action::Update => ("updated", String::new()),
        Action::Current => ("current", String::new()),
        Action::Theirs => ("kept", " — your own profile (not written by ssofresh) already uses this role".into()),
        Action::Taken => {
            ("skipped", format!(" — [profile {}] exists for something else; choose names with --template", item.name))
        }
    };
    format!("{word:<8} {:<32} {}{note}", item.name, describe(&item.assignment))
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// An account ID and role name that can go into the config as they are; anything else from
/// the portal is skipped, never written.
fn check(a: &Assignment) -> Result<(), String> {
    if a.account_id.len() != 12 || !a.account_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("account {:?}: not a 12-digit account ID", one_line(&a.account_id, 40)));
    }
    let role_ok = (1..=64).contains(&a.role_name.len())
        && a.role_name.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    if !role_ok {
        return Err(format!("role {:?} in account {}: not an IAM role name", one_line(&a.role_name, 80), a.account_id));
    }
    Ok(())
}

/// The profile name for each assignment: the template, sanitised; names two assignments would
/// share get `-ACCOUNT_ID` appended.
fn names(template: &str, list: &[Assignment], session: &str) -> Vec<String> {
    let first: Vec<String> = list.iter().map(|a| render(template, a, session).unwrap_or_default()).collect();
    first
        .iter()
        .zip(list)
        .map(|(n, a)| {
            let shared = first.iter().zip(list).filter(|(m, b)| *m == n && b.account_id != a.account_id).count() > 0;
            if shared {
                sanitise(&format!("{n}-{}", a.account_id))
            } else {
                n.clone()
            }
        })
        .collect()
}

/// The template with its placeholders filled, sanitised into a profile name.
fn render(template: &str, a: &Assignment, session: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| format!("--template {template:?}: `{{` without `}}`"))?;
        let value = match &after[..close] {
            "account_name" => a.account_name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| a.account_id.clone()),
            "account_id" => a.account_id.clone(),
            "role_name" => a.role_name.clone(),
            "session" => session.to_string(),
            other => {
                return Err(format!(
                    "--template {template:?}: unknown placeholder {{{other}}} (known: {{account_name}}, {{account_id}}, {{role_name}}, {{session}})"
                ))
            }
        };
        out.push_str(&value);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    let name = sanitise(&out);
    Ok(if name.is_empty() { sanitise(&format!("{}-{}", a.account_id, a.role_name)) } else { name })
}

/// Letters, digits and `._-/+@`; every other run of characters becomes one `-`, and the ends
/// lose `-` and `.`. Such a name is one word for botocore's `[profile NAME]` and for shells.
fn sanitise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let keep = c.is_ascii_alphanumeric() || "._-/+@".contains(c);
        if keep {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut collapsed = String::with_capacity(out.len());
    for c in out.chars() {
        if !(c == '-' && collapsed.ends_with('-')) {
            collapsed.push(c);
        }
    }
    collapsed.trim_matches(|c| c == '-' || c == '.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(id: &str, name: Option<&str>, role: &str) -> Assignment {
        Assignment { account_id: id.into(), account_name: name.map(str::to_string), role_name: role.into() }
    }

    #[test]
    fn names_from_the_template_are_sanitised_and_unique() {
        let t = "{account_name}-{role_name}";
        assert_eq!(render(t, &a("111122223333", Some("My Prod (EU)"), "Admin"), "s").unwrap(), "My-Prod-EU-Admin");
        assert_eq!(render(t, &a("111122223333", None, "Admin"), "s").unwrap(), "111122223333-Admin");
        assert_eq!(
            render("{session}/{account_id}:{role_name}", &a("111122223333", None, "R"), "corp").unwrap(),
            "corp/111122223333-R"
        );
        assert_eq!(render(" ]]{account_name}[[ ", &a("111122223333", Some("\n#x"), "R"), "s").unwrap(), "x");
        assert_eq!(render("***", &a("111122223333", None, "R"), "s").unwrap(), "111122223333-R");
        assert!(render("{acount}", &a("1", None, "R"), "s").unwrap_err().contains("{account_name}"));
        assert!(render("{account_id", &a("1", None, "R"), "s").unwrap_err().contains("without"));
        let list = [
            a("111122223333", Some("Prod"), "Admin"),
            a("444455556666", Some("Prod"), "Admin"),
            a("777788889999", Some("Dev"), "Admin"),
        ];
        assert_eq!(names(t, &list, "s"), ["Prod-Admin-111122223333", "Prod-Admin-444455556666", "Dev-Admin"]);
    }

    #[test]
    fn only_what_ssofresh_wrote_is_updated() {
        let cfg = AwsConfig::parse(
            "[profile mine]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Admin\n\
             [profile gen]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Read\nssofresh_generated = true\n\
             [profile Dev-Admin]\nregion = x\n",
        )
        .unwrap();
        let list = [
            a("111122223333", Some("Prod"), "Admin"),
            a("111122223333", Some("Prod"), "Read"),
            a("444455556666", Some("Dev"), "Admin"),
            a("777788889999", Some("New"), "Admin"),
        ];
        let names = names("{account_name}-{role_name}", &list, "corp");
        let w = Wanted { session: "corp", region: None, default_region: Some("eu-west-1") };
        let p: Vec<(String, Action)> = plan(&cfg, &list, &names, &w).into_iter().map(|i| (i.name, i.action)).collect();
        assert_eq!(
            p,
            [
                ("mine".to_string(), Action::Theirs),
                ("gen".into(), Action::Update),
                ("Dev-Admin".into(), Action::Taken),
                ("New-Admin".into(), Action::Add)
            ]
        );
    }

    #[test]
    fn hostile_portal_values_are_refused() {
        assert!(check(&a("111122223333", None, "Admin")).is_ok());
        assert!(check(&a("1111", None, "Admin")).is_err());
        assert!(check(&a("111122223333", None, "Admin\n[default]")).is_err());
        assert!(check(&a("111122223333", None, "")).is_err());
    }
}
