//! `ssofresh configure credential-process`: the `[profile X-cp]` block whose
//! `credential_process` runs this ssofresh (by its absolute path), printed or (`--write`) added
//! to the config, replacing the block ssofresh wrote before rather than adding a second one.

use crate::aws::config::{AwsConfig, Profile, GENERATED_KEY};
use crate::aws::config_edit::{self, Section};
use crate::cli::ConfigureCredentialProcessArgs;
use crate::cmd::common::{write_config, written};
use crate::context::Context;
use crate::engine::role::{RoleError, RoleSpec};
use crate::error::{EXIT_OK, EXIT_USAGE};
use crate::sys::stdio::{errln, out, outln};

pub fn run(ctx: &Context, args: &ConfigureCredentialProcessArgs) -> u8 {
    let cfg = match crate::cmd::common::load_config(ctx) {
        Ok(c) => c,
        Err(e) => return crate::cmd::common::fail(&e),
    };
    let profile = args.profile.clone().or_else(|| ctx.aws().profile.clone());
    // The same checks credential-process makes, so the block never points at a profile that
    // cannot work.
    let spec = match RoleSpec::resolve(&cfg, profile.as_deref(), None, None, None, &ctx.paths.cache_dir) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let source = spec.profile.clone().unwrap_or_default();
    let name = args.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| format!("{source}-cp"));
    if name == source {
        errln!("ssofresh: the new profile needs a name other than '{source}' (--name)");
        return EXIT_USAGE;
    }
    let exe = match std::env::current_exe().and_then(|p| p.canonicalize()) {
        Ok(p) => crate::sys::paths::plain(p),
        Err(e) => {
            errln!("ssofresh: cannot tell where this ssofresh is installed: {e}");
            return EXIT_USAGE;
        }
    };
    // `--profile=-x`: a name that starts with `-` must not be taken for a flag.
    let profile_arg = if source.starts_with('-') {
        word(&format!("--profile={source}"))
    } else {
        format!("--profile {}", word(&source))
    };
    let command = format!("{} credential-process {profile_arg}", word(&exe.to_string_lossy()));
    let region = cfg.profile(&source).and_then(|p| p.region.clone());
    let mut keys: Vec<(&str, &str)> = vec![("credential_process", &command)];
    if let Some(r) = &region {
        keys.push(("region", r));
    }
    keys.push((GENERATED_KEY, "true"));
    let section = Section::Profile(name.clone());
    if !args.write {
        if let Some(p) = cfg.profile(&name) {
            let what = if is_ours(p) { "from an earlier run" } else { "of your own" };
            errln!(
                "ssofresh: note: {} already has [profile {name}] ({what}); --write replaces ssofresh's own block",
                cfg.path.display()
            );
        }
        // The blank line first: appended (>>) to a config without a final newline, the block
        // still starts on a line of its own.
        out!(
            "\n# Role {} in account {}, through {}: ssofresh keeps it fresh.\n# Paste into {} (or run this with --write)\n{}",
            spec.role_name,
            spec.account_id,
            spec.label(),
            cfg.path.display(),
            config_edit::render_section(&section, &keys)
        );
        return EXIT_OK;
    }
    let result = write_config(ctx, |text| {
        let now = AwsConfig::parse(text).map_err(|msg| format!("cannot parse {}: {msg}", cfg.path.display()))?;
        if now.profile(&name).is_some_and(|p| !is_ours(p)) {
            return Err(format!(
                "{} already has [profile {name}], which ssofresh did not write; choose another --name, or remove that profile first",
                cfg.path.display()
            ));
        }
        config_edit::set_keys(text, &section, &keys).map_err(|e| format!("cannot change {}: {e}", cfg.path.display()))
    });
    match result {
        Ok((how, _)) => {
            outln!("[profile {name}]: {}.", written(&ctx.paths.config_file, &how, &ctx.paths.home));
            outln!("Use it with: aws --profile {name} …  (or AWS_PROFILE={name})");
            EXIT_OK
        }
        Err(code) => code,
    }
}

/// A profile ssofresh wrote: marked so, or (written before the mark existed) one whose
/// credential_process runs `ssofresh credential-process`.
fn is_ours(p: &Profile) -> bool {
    p.is_generated()
        || p.credential_process.as_deref().is_some_and(|c| c.contains("ssofresh") && c.contains(" credential-process "))
}

fn fail(e: &RoleError) -> u8 {
    errln!("ssofresh: {e}");
    e.exit_code()
}

/// One word of the `credential_process` line, as the AWS clients of this platform split it.
fn word(s: &str) -> String {
    if cfg!(windows) {
        // botocore splits it by the C runtime's rules there, and the JS and Rust SDKs hand the
        // line to `cmd /C`, which reads `"…"` alike.
        crate::text::quote::windows_arg(s)
    } else {
        posix_word(s)
    }
}

/// botocore splits the line like a POSIX shell (shlex), so anything unusual goes in double
/// quotes with `"` and `\` escaped.
fn posix_word(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_./:@%+=,-".contains(&b)) {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('\\', r"\\").replace('"', "\\\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_shlex_would_split() {
        assert_eq!(posix_word("/usr/local/bin/ssofresh"), "/usr/local/bin/ssofresh");
        assert_eq!(posix_word("/home/a b/ssofresh"), "\"/home/a b/ssofresh\"");
        assert_eq!(posix_word("we\"ird\\"), "\"we\\\"ird\\\\\"");
    }

    /// Both forms split back into the same words by botocore's own splitter for each platform.
    #[cfg(unix)]
    #[test]
    fn botocore_splits_each_form_back_into_the_words() {
        let words = ["/opt/x y/ssofresh", r"C:\Program Files\ssofresh.exe", r#"we"ird\"#, r"a\\b c\", "dev's", "plain"];
        for (platform, form) in
            [("linux", posix_word as fn(&str) -> String), ("win32", crate::text::quote::windows_arg)]
        {
            let line: Vec<String> = words.iter().map(|w| form(w)).collect();
            let script = "import json, sys; from botocore.compat import compat_shell_split; \
                          print(json.dumps(compat_shell_split(sys.argv[1], sys.argv[2])))";
            let out = std::process::Command::new("python3")
                .args(["-c", script, &line.join(" "), platform])
                .output()
                .expect("python3 with botocore (CI installs it)");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let split: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(split, words, "{platform}: {}", line.join(" "));
        }
    }

    #[test]
    fn its_own_blocks_are_recognised() {
        let cfg = AwsConfig::parse(
            "[profile a]\ncredential_process = /x/ssofresh credential-process --profile dev\n\
             [profile b]\ncredential_process = /x/other credential-process --profile dev\n\
             [profile c]\nregion = x\nssofresh_generated = true\n[profile d]\nregion = x\n",
        )
        .unwrap();
        let ours: Vec<bool> = ["a", "b", "c", "d"].iter().map(|n| is_ours(cfg.profile(n).unwrap())).collect();
        assert_eq!(ours, [true, false, true, false]);
    }
}
