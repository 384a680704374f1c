//! `ssofresh configure sso-session NAME --start-url URL --region R`: the one section a login
//! needs, printed or (`--write`) added to the config — no AWS CLI required.

use crate::aws::config::valid_region;
use crate::aws::config::AwsConfig;
use crate::aws::config_edit::{self, Section};
use crate::cli::ConfigureSsoSessionArgs;
use crate::cmd::common::{region_error, write_config, written};
use crate::context::Context;
use crate::engine::target;
use crate::error::{EXIT_OK, EXIT_USAGE};
use crate::sys::stdio::{errln, out, outln};

/// What a login requests when nothing else is configured: the scope that gets a refresh token.
const DEFAULT_SCOPES: &str = "sso:account:access";

pub fn run(ctx: &Context, args: &ConfigureSsoSessionArgs) -> u8 {
    let name = args.name.trim();
    if let Err(msg) = check_session_name(name) {
        errln!("ssofresh: {msg}");
        return EXIT_USAGE;
    }
    // Printing needs the existing values for what was not given; writing reads them again
    // under the lock.
    let existing = match AwsConfig::load(&ctx.paths.config_file) {
        Ok(c) => c.session(name).cloned(),
        Err(e) => return crate::cmd::common::fail(&e),
    };
    let old = existing.map(|s| (s.start_url, s.region, s.registration_scopes));
    let keys = match section_keys(args, old) {
        Ok(k) => k,
        Err(msg) => {
            errln!("ssofresh: {msg}");
            return EXIT_USAGE;
        }
    };
    let section = Section::SsoSession(name.to_string());
    let pairs: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if !args.write {
        out!("{}", config_edit::render_section(&section, &pairs));
        errln!(
            "ssofresh: add it to {} with --write (or paste it there), then: {}",
            ctx.paths.config_file.display(),
            target::session_login_command(name)
        );
        return EXIT_OK;
    }
    let result = write_config(ctx, |text| {
        config_edit::set_keys(text, &section, &pairs)
            .map_err(|e| format!("cannot change {}: {e}", ctx.paths.config_file.display()))
    });
    match result {
        Ok((how, _)) => {
            outln!("[sso-session {name}]: {}.", written(&ctx.paths.config_file, &how, &ctx.paths.home));
            outln!("Next: {}", target::session_login_command(name));
            EXIT_OK
        }
        Err(code) => code,
    }
}

/// The keys to write, in the order the AWS CLI writes them: what was given, else what is
/// configured; a new session needs the URL and the region.
fn section_keys(
    args: &ConfigureSsoSessionArgs,
    existing: Option<(Option<String>, Option<String>, Option<String>)>,
) -> Result<Vec<(&'static str, String)>, String> {
    let (old_url, old_region, old_scopes) = existing.clone().unwrap_or_default();
    let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    let url = given(&args.start_url).or(old_url);
    let region = given(&args.region).or(old_region);
    let (Some(url), Some(region)) = (url, region) else {
        let what = if existing.is_some() { "this sso-session has no" } else { "a new sso-session needs" };
        let missing: Vec<&str> = [
            (args.start_url.is_none(), "--start-url URL (your AWS access portal URL)"),
            (args.region.is_none(), "--region REGION (where IAM Identity Center runs)"),
        ]
        .iter()
        .filter(|(m, _)| *m)
        .map(|(_, s)| *s)
        .collect();
        return Err(format!("{what} {}", missing.join(" and ")));
    };
    check_start_url(&url)?;
    if !valid_region(&region) {
        return Err(region_error("--region", &region));
    }
    let scopes: Vec<String> = args.scopes.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    let scopes = if scopes.is_empty() {
        old_scopes.unwrap_or_else(|| DEFAULT_SCOPES.to_string())
    } else {
        if let Some(bad) = scopes.iter().find(|s| s.chars().any(|c| c.is_whitespace() || c.is_control())) {
            return Err(format!("--scopes: {bad:?} is not a scope (such as sso:account:access)"));
        }
        scopes.join(",")
    };
    Ok(vec![("sso_start_url", url), ("sso_region", region), ("sso_registration_scopes", scopes)])
}

/// A name botocore reads back as one word in `[sso-session NAME]`.
fn check_session_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && !name.starts_with(['#', ';'])
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@+/".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!("{name:?} cannot be an sso-session name: use letters, digits and - _ . @ + /"))
    }
}

/// The AWS access portal URL: https, with a host, nothing a config line cannot hold.
fn check_start_url(url: &str) -> Result<(), String> {
    let hint = "use your AWS access portal URL, such as https://d-1234567890.awsapps.com/start \
                (IAM Identity Center console → Settings → AWS access portal URL)";
    let parsed = url::Url::parse(url).map_err(|_| format!("--start-url {url:?} is not a URL; {hint}"))?;
    if parsed.scheme() != "https" || parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("--start-url {url:?} is not an https URL; {hint}"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) || !parsed.username().is_empty() {
        return Err(format!("--start-url {url:?} cannot be a start URL; {hint}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(url: Option<&str>, region: Option<&str>, scopes: &[&str]) -> ConfigureSsoSessionArgs {
        ConfigureSsoSessionArgs {
            name: "corp".into(),
            start_url: url.map(str::to_string),
            region: region.map(str::to_string),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            write: false,
        }
    }

    #[test]
    fn new_sessions_need_url_and_region_and_get_the_refresh_scope() {
        let k = section_keys(&args(Some("https://d-1.awsapps.com/start"), Some("eu-west-1"), &[]), None).unwrap();
        assert_eq!(
            k,
            [
                ("sso_start_url", "https://d-1.awsapps.com/start".to_string()),
                ("sso_region", "eu-west-1".into()),
                ("sso_registration_scopes", "sso:account:access".into())
            ]
        );
        let e = section_keys(&args(None, None, &[]), None).unwrap_err();
        assert!(e.contains("--start-url") && e.contains("--region"), "{e}");
        let e = section_keys(&args(Some("https://x/start"), None, &[]), None).unwrap_err();
        assert!(e.contains("--region") && !e.contains("--start-url"), "{e}");
    }

    #[test]
    fn an_existing_session_keeps_what_is_not_given() {
        let old = Some((Some("https://old/start".to_string()), Some("us-east-1".to_string()), Some("a,b".to_string())));
        let k = section_keys(&args(None, Some("eu-west-1"), &[]), old).unwrap();
        assert_eq!(k[0].1, "https://old/start");
        assert_eq!(k[1].1, "eu-west-1");
        assert_eq!(k[2].1, "a,b");
        let k =
            section_keys(&args(None, Some("eu-west-1"), &["x", " y "]), Some((Some("https://o/s".into()), None, None)))
                .unwrap();
        assert_eq!(k[2].1, "x,y");
    }

    #[test]
    fn bad_urls_regions_and_names_are_refused_with_the_fix() {
        for bad in [
            "corp.awsapps.com/start",
            "http://corp.awsapps.com/start",
            "https://",
            "https://a b/start",
            "https://u@h/start",
        ] {
            let e = section_keys(&args(Some(bad), Some("us-east-1"), &[]), None).unwrap_err();
            assert!(e.contains("AWS access portal URL"), "{bad}: {e}");
        }
        let e = section_keys(&args(Some("https://x/start"), Some("Frankfurt"), &[]), None).unwrap_err();
        assert!(e.contains("\"Frankfurt\"") && e.contains("us-east-1"), "{e}");
        for bad in ["", "a b", "a]", "#x", "é"] {
            assert!(check_session_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_session_name("my-corp_2").is_ok());
    }
}
