//! Role credentials as environment variables, written for one shell or file format.

use crate::aws::portal::RoleCredentials;
use crate::text::quote::{quoted, Dialect};
use crate::text::timefmt;

/// How the variables are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `export NAME='value'` (bash, zsh, dash, ksh).
    Sh,
    /// `set -gx NAME 'value'`.
    Fish,
    /// `$Env:NAME = 'value'`.
    Powershell,
    /// `{"NAME": "value", …}`.
    Json,
    /// `NAME=value` lines (docker --env-file, .env files).
    Dotenv,
}

/// The variables every SDK reads, in the order `aws configure export-credentials` prints them,
/// then the profile's region (when it has one) as both the SDKs' `AWS_REGION` and the AWS
/// CLI's `AWS_DEFAULT_REGION`.
pub fn variables(c: &RoleCredentials, region: Option<&str>) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("AWS_ACCESS_KEY_ID", c.access_key_id.expose().to_string()),
        ("AWS_SECRET_ACCESS_KEY", c.secret_access_key.expose().to_string()),
        ("AWS_SESSION_TOKEN", c.session_token.expose().to_string()),
        ("AWS_CREDENTIAL_EXPIRATION", timefmt::format(c.expiration)),
        ("AWS_ACCOUNT_ID", c.account_id.clone()),
    ];
    if let Some(r) = region {
        vars.push(("AWS_REGION", r.to_string()));
        vars.push(("AWS_DEFAULT_REGION", r.to_string()));
    }
    vars
}

pub fn render(format: Format, c: &RoleCredentials, region: Option<&str>) -> String {
    let vars = variables(c, region);
    if format == Format::Json {
        let map: serde_json::Map<String, serde_json::Value> =
            vars.into_iter().map(|(k, v)| (k.to_string(), serde_json::Value::String(v))).collect();
        let mut s = serde_json::to_string_pretty(&map).expect("serializing strings cannot fail");
        s.push('\n');
        return s;
    }
    let mut out = String::new();
    for (k, v) in &vars {
        let line = match format {
            Format::Sh => format!("export {k}={}", quoted(Dialect::Posix, v)),
            Format::Fish => format!("set -gx {k} {}", quoted(Dialect::Fish, v)),
            Format::Powershell => format!("$Env:{k} = {}", quoted(Dialect::PowerShell, v)),
            Format::Dotenv => format!("{k}={}", dotenv_value(v)),
            Format::Json => unreachable!("handled above"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Bare when safe (docker's `--env-file` takes values literally, quotes included), else
/// double-quoted for dotenv parsers.
fn dotenv_value(v: &str) -> String {
    if v.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=:._-".contains(&b)) {
        v.to_string()
    } else {
        let escaped = v.replace('\\', r"\\").replace('"', "\\\"").replace('\n', r"\n").replace('$', r"\$");
        format!("\"{escaped}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::secret::Secret;

    fn creds(secret: &str) -> RoleCredentials {
        RoleCredentials {
            access_key_id: Secret::new("ASIAEXAMPLE"),
            secret_access_key: Secret::new(secret),
            session_token: Secret::new("tok/en+=="),
            expiration: timefmt::parse("2026-01-01T00:00:00Z").unwrap(),
            account_id: "111122223333".into(),
        }
    }

    #[test]
    fn every_format() {
        let c = creds("it's");
        let sh = render(Format::Sh, &c, None);
        assert!(
            sh.starts_with("export AWS_ACCESS_KEY_ID='ASIAEXAMPLE'\nexport AWS_SECRET_ACCESS_KEY='it'\\''s'\n"),
            "{sh}"
        );
        assert!(sh.contains("export AWS_CREDENTIAL_EXPIRATION='2026-01-01T00:00:00Z'\n"), "{sh}");
        assert!(render(Format::Fish, &c, None).contains("set -gx AWS_SECRET_ACCESS_KEY 'it\\'s'\n"));
        assert!(render(Format::Powershell, &c, None).contains("$Env:AWS_SECRET_ACCESS_KEY = 'it''s'\n"));
        let dotenv = render(Format::Dotenv, &creds("plain/value+="), None);
        assert!(dotenv.contains("AWS_SECRET_ACCESS_KEY=plain/value+=\nAWS_SESSION_TOKEN=tok/en+==\n"), "{dotenv}");
        assert!(render(Format::Dotenv, &c, None).contains("AWS_SECRET_ACCESS_KEY=\"it's\"\n"));
        let json: serde_json::Value = serde_json::from_str(&render(Format::Json, &c, None)).unwrap();
        assert_eq!(json["AWS_SECRET_ACCESS_KEY"], "it's");
        assert_eq!(json["AWS_ACCOUNT_ID"], "111122223333");
        assert_eq!(json.as_object().unwrap().len(), 5);
        let with_region = render(Format::Sh, &c, Some("eu-west-1"));
        assert!(with_region.ends_with("export AWS_REGION='eu-west-1'\nexport AWS_DEFAULT_REGION='eu-west-1'\n"));
    }
}
