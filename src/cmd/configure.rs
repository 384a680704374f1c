//! `ssofresh configure credential-process`: the `[profile X-cp]` block to paste into
//! ~/.aws/config, with the absolute path of this ssofresh.

use super::common::load_config;
use crate::cli::{ConfigureCommand, ConfigureCredentialProcessArgs};
use crate::context::Context;
use crate::engine::role::{RoleError, RoleSpec};
use crate::error::{EXIT_OK, EXIT_USAGE};
use crate::sys::stdio::{errln, out};

pub fn run(ctx: &Context, command: &ConfigureCommand) -> u8 {
    match command {
        ConfigureCommand::CredentialProcess(args) => credential_process(ctx, args),
    }
}

fn credential_process(ctx: &Context, args: &ConfigureCredentialProcessArgs) -> u8 {
    let cfg = match load_config(ctx) {
        Ok(c) => c,
        Err(e) => return super::common::fail(&e),
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
    if cfg.profile(&name).is_some() {
        errln!("ssofresh: note: {} already has [profile {name}]; replace it with this block", cfg.path.display());
    }
    let header = if name == "default" { "[default]".to_string() } else { format!("[profile {name}]") };
    let mut block = format!(
        // The blank line first: appended (>>) to a config without a final newline, the block
        // still starts on a line of its own.
        "\n# Role {} in account {}, through {}: ssofresh keeps it fresh.\n# Paste into {}\n{header}\ncredential_process = {} credential-process {}\n",
        spec.role_name,
        spec.account_id,
        spec.label(),
        cfg.path.display(),
        word(&exe.to_string_lossy()),
        // `--profile=-x`: a name that starts with `-` must not be taken for a flag.
        if source.starts_with('-') { word(&format!("--profile={source}")) } else { format!("--profile {}", word(&source)) },
    );
    if let Some(region) = cfg.profile(&source).and_then(|p| p.region.clone()) {
        block += &format!("region = {region}\n");
    }
    out!("{block}");
    EXIT_OK
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
}
