//! `ssofresh init <shell>` prints the prompt hook; `ssofresh init <scheduler>` prints (or with
//! `--install` writes) an entry that runs `ssofresh tick` every `--interval`.

use super::common::fail;
use crate::cli::{duration_arg, resolve, Cli, InitArgs, InitTarget, THRESHOLD};
use crate::context::Context;
use crate::engine::target;
use crate::error::{Error, EXIT_OK, EXIT_USAGE};
use crate::shell::hook::Shell;
use crate::shell::schedule::{self, Job};
use crate::sys::stdio::{errln, out, outln};
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub fn run(ctx: &Context, args: &InitArgs) -> u8 {
    let shell = match args.target {
        InitTarget::Zsh => Some(Shell::Zsh),
        InitTarget::Bash => Some(Shell::Bash),
        InitTarget::Fish => Some(Shell::Fish),
        InitTarget::Powershell => Some(Shell::Powershell),
        _ => None,
    };
    match shell {
        Some(sh) => print_hook(ctx, args, sh),
        None => scheduler(ctx, args),
    }
}

/// Where init's settings came from: the shell hook bakes in only those given on the command
/// line (the environment is read again at every prompt anyway); a scheduler entry, which does
/// not start from this shell's environment, those from the environment too.
struct Sources(Option<ArgMatches>);

impl Sources {
    fn read() -> Sources {
        let matches = Cli::command().try_get_matches_from(std::env::args_os()).ok();
        Sources(matches.and_then(|m| m.subcommand_matches("init").cloned()))
    }

    /// Whether it was on the command line (when that cannot be told, everything counts).
    fn on_command_line(&self, id: &str) -> bool {
        self.0.as_ref().is_none_or(|m| matches!(m.value_source(id), Some(ValueSource::CommandLine)))
    }

    /// Whether the user set it, on the command line or in the environment (not a default).
    fn set(&self, id: &str) -> bool {
        self.0
            .as_ref()
            .is_none_or(|m| matches!(m.value_source(id), Some(ValueSource::CommandLine | ValueSource::EnvVariable)))
    }
}

fn print_hook(ctx: &Context, args: &InitArgs, sh: Shell) -> u8 {
    if args.install {
        let line = match sh {
            Shell::Zsh => "eval \"$(ssofresh init zsh)\"   in ~/.zshrc",
            Shell::Bash => "eval \"$(ssofresh init bash)\"   in ~/.bashrc",
            Shell::Fish => "ssofresh init fish | source   in ~/.config/fish/config.fish",
            Shell::Powershell => "ssofresh init powershell | Out-String | Invoke-Expression   in $PROFILE",
        };
        return fail(&Error::Usage(format!(
            "--install is for the schedulers (systemd, launchd, cron, schtasks); a shell loads its hook with: {line}"
        )));
    }
    let sources = Sources::read();
    let given = |id: &str| sources.on_command_line(id);
    let (paths, set) = (&ctx.paths, &ctx.paths.given);
    let mut hook: Vec<String> = Vec::new();
    let path_arg = |flag: &str, p: &Path, hook: &mut Vec<String>| {
        hook.push(flag.into());
        hook.push(absolute(p).to_string_lossy().into_owned());
    };
    if given("config_file") && set.config_file {
        path_arg("--config-file", &paths.config_file, &mut hook);
    }
    if given("cache_dir") && set.cache_dir {
        path_arg("--cache-dir", &paths.cache_dir, &mut hook);
    }
    if given("state_dir") && set.state_dir {
        path_arg("--state-dir", &paths.state_dir, &mut hook);
    }
    push_selection(args, &given, &mut hook);
    if given(THRESHOLD) {
        hook.extend(["--threshold".into(), duration_arg(args.threshold.value)]);
    }
    if given("no_hints") && args.no_hints {
        hook.push("--no-hints".into());
    }
    if given("durations") {
        for d in &args.session_end.durations {
            hook.extend(["--session-duration".into(), session_duration(d)]);
        }
    }
    if let (true, Some(d)) = (given("warn_before"), args.session_end.warn_before) {
        hook.extend(["--warn-before".into(), duration_arg(d)]);
    }
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("ssofresh"));
    let program = crate::shell::hook::program_word(sh, &exe, resolve::user_env().path.as_deref());
    out!("{}", crate::shell::hook::render(sh, &program, &hook));
    EXIT_OK
}

/// The sessions and profiles `init` was given, named so that the hook or the scheduled tick
/// reads exactly these names (`selection_args`: a comma or a leading `-` survives).
fn push_selection(args: &InitArgs, given: &dyn Fn(&str) -> bool, out: &mut Vec<String>) {
    let sel = &args.selection;
    let clean = |v: Vec<String>, id: &str| -> Vec<String> {
        if !given(id) {
            return Vec::new();
        }
        v.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
    };
    out.extend(target::selection_args(&clean(sel.sessions(), "sessions"), &clean(sel.profiles(), "profiles")));
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().map(|d| d.join(p)).unwrap_or_else(|_| p.to_path_buf())
    }
}

/// The scheduled tick: the settings in effect now (flags and environment alike), since a
/// scheduler does not start it from this shell's environment.
fn job(ctx: &Context, args: &InitArgs) -> Result<Job, Error> {
    if args.interval < Duration::from_secs(1) || args.interval.subsec_nanos() != 0 {
        return Err(Error::Usage(format!(
            "--interval {} is not a whole number of seconds of at least 1s (examples: 60s, 5m)",
            duration_arg(args.interval)
        )));
    }
    let program = std::env::current_exe().map_err(|e| {
        Error::Usage(format!("cannot tell where the ssofresh binary is ({e}); schedulers need its absolute path"))
    })?;
    let mut run: Vec<String> = vec!["tick".into(), "--auto".into(), "--quiet".into()];
    push_selection(args, &|_| true, &mut run);
    if Sources::read().set(THRESHOLD) {
        run.extend(["--threshold".into(), duration_arg(args.threshold.value)]);
    }
    let (paths, set) = (&ctx.paths, &ctx.paths.given);
    let mut env: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, set: bool, p: &Path| {
        if set {
            env.push((k.into(), absolute(p).to_string_lossy().into_owned()));
        }
    };
    put("AWS_CONFIG_FILE", set.config_file, &paths.config_file);
    put("SSOFRESH_CACHE_DIR", set.cache_dir, &paths.cache_dir);
    put("SSOFRESH_STATE_DIR", set.state_dir, &paths.state_dir);
    put("SSOFRESH_LOG_FILE", set.log_file, &paths.log_file);
    // The session lengths and warning in effect now: a scheduler does not start the tick from
    // this shell's environment, and its session_ending notification needs them.
    if !args.session_end.durations.is_empty() {
        let all: Vec<String> = args.session_end.durations.iter().map(session_duration).collect();
        env.push(("SSOFRESH_SESSION_DURATION".into(), all.join(",")));
    }
    if let Some(d) = args.session_end.warn_before {
        env.push(("SSOFRESH_WARN_BEFORE".into(), duration_arg(d)));
    }
    Ok(Job { program, args: run, env, interval: args.interval })
}

/// `corp=12h` or `8h`, as `--session-duration` reads it back.
fn session_duration(d: &crate::cli::SessionDuration) -> String {
    match &d.session {
        Some(name) => format!("{name}={}", duration_arg(d.duration)),
        None => duration_arg(d.duration),
    }
}

fn scheduler(ctx: &Context, args: &InitArgs) -> u8 {
    let job = match job(ctx, args) {
        Ok(j) => j,
        Err(e) => return fail(&e),
    };
    let threshold = args.threshold.value;
    if job.interval >= threshold {
        errln!(
            "ssofresh: warning: --interval {} is not shorter than the threshold ({}), so a token can expire between two runs",
            crate::text::duration::show(job.interval, crate::text::duration::Form::Flag),
            crate::text::duration::show(threshold, crate::text::duration::Form::Flag)
        );
    }
    let home = &ctx.paths.home;
    // (file, contents) pairs and the command that enables them.
    let (files, enable): (Vec<(PathBuf, String)>, String) = match args.target {
        InitTarget::Systemd => {
            let dir = schedule::systemd_dir(home, resolve::user_env().xdg_config_home.as_deref());
            let unit = schedule::SYSTEMD_UNIT;
            (
                vec![
                    (dir.join(format!("{unit}.service")), schedule::systemd_service(&job)),
                    (dir.join(format!("{unit}.timer")), schedule::systemd_timer(&job)),
                ],
                format!("systemctl --user daemon-reload && systemctl --user enable --now {unit}.timer"),
            )
        }
        InitTarget::Launchd => {
            let path = schedule::launchd_path(home);
            let q = crate::shell::hook::quote(Shell::Bash, &path.to_string_lossy());
            let uid = uid();
            (
                vec![(path, schedule::launchd_plist(&job))],
                // bootout first, so that installing again loads the new file.
                format!(
                    "launchctl bootout gui/{uid}/{label} 2>/dev/null; launchctl bootstrap gui/{uid} {q}",
                    label = schedule::LAUNCHD_LABEL
                ),
            )
        }
        InitTarget::Cron => {
            let lines = match schedule::cron_lines(&job) {
                Ok(l) => l,
                Err(msg) => return fail(&Error::Usage(msg)),
            };
            if args.install {
                return fail(&Error::Usage(
                    "cron keeps no file of ours to write; add the line with: (crontab -l 2>/dev/null; ssofresh init cron) | crontab -".into(),
                ));
            }
            out!("{lines}");
            return EXIT_OK;
        }
        InitTarget::Schtasks => {
            let account = resolve::user_env().windows_account;
            let text = match schedule::schtasks_xml(&job, account.as_deref()) {
                Ok(t) => t,
                Err(msg) => return fail(&Error::Usage(msg)),
            };
            let path = schedule::schtasks_path(&ctx.paths.state_dir);
            let q = crate::text::quote::windows_arg(&path.to_string_lossy());
            (vec![(path, text)], format!("schtasks /Create /TN {} /XML {q} /F", schedule::SCHTASKS_NAME))
        }
        InitTarget::Zsh | InitTarget::Bash | InitTarget::Fish | InitTarget::Powershell => {
            unreachable!("shells are handled by print_hook")
        }
    };
    if !args.install {
        if let [(_, text)] = files.as_slice() {
            // One file (the plist): exactly its contents, ready to redirect.
            out!("{text}");
        } else {
            for (path, text) in &files {
                outln!("# {}\n{text}", crate::text::style::home_path(path, home));
            }
        }
        let paths: Vec<String> = files.iter().map(|(p, _)| crate::text::style::home_path(p, home)).collect();
        errln!(
            "ssofresh: to write {} and enable it: ssofresh init {} --install",
            paths.join(" and "),
            target_name(args.target)
        );
        return EXIT_OK;
    }
    for (path, text) in &files {
        let bytes = match args.target {
            // UTF-16 with a byte-order mark: what schtasks reads without fail (the XML names no
            // encoding, so the mark decides).
            InitTarget::Schtasks => {
                [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect()
            }
            _ => text.as_bytes().to_vec(),
        };
        let same = std::fs::read(path).map(|b| b == bytes).unwrap_or(false);
        if same {
            errln!("ssofresh: {} is up to date", path.display());
            continue;
        }
        if let Err(e) = crate::sys::fs::write_atomic(path, &bytes) {
            errln!("ssofresh: cannot write {}: {e}", path.display());
            return EXIT_USAGE;
        }
        errln!("ssofresh: wrote {}", path.display());
    }
    errln!("ssofresh: enable it with:");
    outln!("{enable}");
    EXIT_OK
}

fn target_name(t: InitTarget) -> &'static str {
    match t {
        InitTarget::Systemd => "systemd",
        InitTarget::Launchd => "launchd",
        InitTarget::Cron => "cron",
        InitTarget::Schtasks => "schtasks",
        InitTarget::Zsh => "zsh",
        InitTarget::Bash => "bash",
        InitTarget::Fish => "fish",
        InitTarget::Powershell => "powershell",
    }
}

fn uid() -> u32 {
    #[cfg(unix)]
    {
        // SAFETY: getuid cannot fail and has no side effects.
        unsafe { libc::getuid() }
    }
    #[cfg(not(unix))]
    {
        0
    }
}
