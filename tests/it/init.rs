//! `ssofresh init`: the hook scripts pass each shell's own checker, and the scheduler entries
//! are what systemd, launchd and cron accept.
// Helpers of the tests that need a POSIX shell or Unix tool go unused on Windows.
#![cfg_attr(windows, allow(dead_code, unused_imports))]

use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The binary's path as the platform writes it (under Wine, cargo's `/work/…` is `Z:\work\…`).
fn exe() -> PathBuf {
    std::path::absolute(env!("CARGO_BIN_EXE_ssofresh")).unwrap()
}

fn bin_dir() -> PathBuf {
    exe().parent().unwrap().to_path_buf()
}

/// `ssofresh` with its own directory first on PATH, as after an install.
fn init(home: &Home) -> Command {
    let mut c = home.cmd();
    let path = std::env::join_paths(
        std::iter::once(bin_dir()).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    c.env("PATH", path).arg("init");
    c
}

fn write_script(home: &Home, name: &str, text: &str) -> PathBuf {
    let p = home.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn check(tool: &str, args: &[&str], file: &Path) {
    let out = Command::new(tool).args(args).arg(file).output().unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "{tool} {args:?} {}:\n{}{}\n--- script ---\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(file).unwrap()
    );
}

/// Options with every character that needs quoting, so the checkers see the quoting too.
const AWKWARD: &[&str] = &["--session", "o'brien \"x\" $HOME \\n", "--threshold", "30m", "--no-hints"];

// Not on Windows: runs shellcheck on the bash hook: no POSIX shells on Windows.
#[cfg(not(windows))]
#[test]
fn shellcheck_passes_on_the_bash_hook() {
    if !require_tool("shellcheck") {
        return;
    }
    let home = Home::new();
    check("shellcheck", &["-s", "bash"], &Path::new(env!("CARGO_MANIFEST_DIR")).join("shell/ssofresh.bash"));
    let run = Run::of(init(&home).arg("bash"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    check("shellcheck", &["-s", "bash"], &write_script(&home, "hook.bash", &run.stdout));
    // SC2016 is an info that `$HOME` stays literal in single quotes: here that is the point.
    let run = Run::of(init(&home).arg("bash").args(AWKWARD));
    check("shellcheck", &["-s", "bash", "-e", "SC2016"], &write_script(&home, "hook.bash", &run.stdout));
}

// Not on Windows: runs zsh, which Windows does not have.
#[cfg(not(windows))]
#[test]
fn zsh_parses_the_zsh_hook() {
    if !require_tool("zsh") {
        return;
    }
    let home = Home::new();
    check("zsh", &["-n"], &Path::new(env!("CARGO_MANIFEST_DIR")).join("shell/ssofresh.zsh"));
    for args in [&[][..], AWKWARD] {
        let run = Run::of(init(&home).arg("zsh").args(args));
        check("zsh", &["-n"], &write_script(&home, "hook.zsh", &run.stdout));
    }
}

// Not on Windows: runs fish, which Windows does not have.
#[cfg(not(windows))]
#[test]
fn fish_parses_the_fish_hook() {
    if !require_tool("fish") {
        return;
    }
    let home = Home::new();
    check("fish", &["--no-execute"], &Path::new(env!("CARGO_MANIFEST_DIR")).join("shell/ssofresh.fish"));
    for args in [&[][..], AWKWARD] {
        let run = Run::of(init(&home).arg("fish").args(args));
        check("fish", &["--no-execute"], &write_script(&home, "hook.fish", &run.stdout));
    }
}

// Not on Windows: the POSIX shells' hooks; the PowerShell hook has its own test.
#[cfg(not(windows))]
#[test]
fn hooks_name_the_binary_by_path_only_when_path_does_not_find_it() {
    let home = Home::new();
    for sh in ["bash", "zsh", "fish"] {
        let run = Run::of(init(&home).arg(sh));
        assert_eq!(hook_line(&run.stdout), format!("command ssofresh hook --shell {sh}"));
        let run = Run::of(home.cmd().env("PATH", "/usr/bin:/bin").args(["init", sh]));
        assert_eq!(hook_line(&run.stdout), format!("command {} hook --shell {sh}", env!("CARGO_BIN_EXE_ssofresh")));
    }
}

/// The command in a hook script that runs the binary, without what the shell wraps around it,
/// without `--print-next` (which bash and zsh add to skip prompts) and without the shell's id
/// (every hook passes it; `shell::each_shell_hears_the_relogin_hint_once_and_again_at_expiry`).
fn hook_line(script: &str) -> String {
    let line =
        script.lines().find(|l| l.contains(" hook --shell ")).unwrap_or_else(|| panic!("no hook line:\n{script}"));
    let start = line.find("command ").unwrap();
    let end = line[start..].find(')').map(|i| start + i).unwrap_or(line.len());
    let line = line[start..end].trim().replace(" --print-next", "");
    assert!(line.contains(" --shell-id "), "no shell id: {line}");
    line.replace(" --shell-id \"$_ssofresh_shell\"", "").replace(" --shell-id $_ssofresh_shell", "")
}

// Not on Windows: reads the POSIX shells' hooks; the PowerShell hook has its own test.
#[cfg(not(windows))]
#[test]
fn init_bakes_in_options_given_on_the_command_line_but_not_the_environment() {
    let home = Home::new();
    let run =
        Run::of(init(&home).args(["zsh", "--session", "corp", "--profile", "dev", "--threshold", "30m", "--no-hints"]));
    assert_eq!(
        hook_line(&run.stdout),
        "command ssofresh hook --shell zsh --session=corp --profile=dev --threshold 30m --no-hints"
    );
    // Read again at every prompt; baking them in would pin today's values.
    let run = Run::of(
        init(&home)
            .arg("zsh")
            .env("SSOFRESH_SESSION", "corp")
            .env("SSOFRESH_THRESHOLD", "30m")
            .env("AWS_CONFIG_FILE", "/x"),
    );
    assert_eq!(hook_line(&run.stdout), "command ssofresh hook --shell zsh");
    let run = Run::of(init(&home).args(["bash", "--config-file", "cfg"]).current_dir(home.path()));
    let abs = home.path().join("cfg");
    assert!(run.stdout.contains(&format!("--config-file {}", abs.display())), "{}", run.stdout);
    // The session's length and the warning before its end, likewise.
    let run = Run::of(init(&home).args(["zsh", "--session-duration", "8h,corp=12h", "--warn-before", "45m"]));
    assert_eq!(
        hook_line(&run.stdout),
        "command ssofresh hook --shell zsh --session-duration 8h --session-duration corp=12h --warn-before 45m"
    );
    let run = Run::of(init(&home).arg("zsh").env("SSOFRESH_SESSION_DURATION", "8h"));
    assert_eq!(hook_line(&run.stdout), "command ssofresh hook --shell zsh");
}

/// A timer's tick does not start from this shell's environment: the session lengths and the
/// warning in effect go into its entry, so its session_ending notification uses them.
#[test]
fn scheduler_entries_carry_the_session_duration() {
    let home = Home::new();
    let run = Run::of(
        init(&home).arg("cron").env("SSOFRESH_SESSION_DURATION", "corp=12h,8h").env("SSOFRESH_WARN_BEFORE", "45m"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("SSOFRESH_SESSION_DURATION=") && run.stdout.contains("corp=12h,8h"), "{}", run.stdout);
    assert!(run.stdout.contains("SSOFRESH_WARN_BEFORE=") && run.stdout.contains("45m"), "{}", run.stdout);
    let run = Run::of(init(&home).args(["systemd", "--session-duration", "corp=12h"]));
    let service = run.stdout.split("# ~/.config/systemd/user/ssofresh.timer").next().unwrap();
    let units = parse_units(service);
    let env: Vec<&str> = units.iter().filter(|(_, k, _)| k == "Environment").map(|(_, _, v)| v.as_str()).collect();
    assert!(env.iter().any(|v| v.contains("SSOFRESH_SESSION_DURATION=corp=12h")), "{env:?}");
    // Nothing stated, nothing added.
    let run = Run::of(init(&home).arg("cron"));
    assert!(!run.stdout.contains("SSOFRESH_SESSION_DURATION"), "{}", run.stdout);
}

#[test]
fn install_is_for_schedulers() {
    let home = Home::new();
    let before = tree(home.path());
    let run = Run::of(init(&home).args(["zsh", "--install"]));
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert!(run.stderr.contains("eval \"$(ssofresh init zsh)\""), "{}", run.stderr);
    assert_eq!(tree(home.path()), before);
}

// ---- schedulers ----

fn parse_units(text: &str) -> Vec<(String, String, String)> {
    // (section, key, value) of every assignment, the way systemd reads the file.
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';')) {
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s.to_string();
        } else {
            let (k, v) = line.split_once('=').unwrap_or_else(|| panic!("not an assignment: {line}"));
            out.push((section.clone(), k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

fn get<'a>(units: &'a [(String, String, String)], section: &str, key: &str) -> Option<&'a str> {
    units.iter().find(|(s, k, _)| s == section && k == key).map(|(_, _, v)| v.as_str())
}

fn has(tool: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().is_ok_and(|o| o.status.success())
}

fn systemd_verify(dir: &Path) {
    if !has("systemd-analyze") {
        eprintln!("notice: systemd-analyze not installed; the units were checked by the key parser only");
        return;
    }
    // Without a session bus the user manager needs a runtime directory of its own.
    let runtime = tempfile::tempdir().unwrap();
    let out = Command::new("systemd-analyze")
        .args(["verify", "--user"])
        .arg(dir.join("ssofresh.timer"))
        .arg(dir.join("ssofresh.service"))
        .env("XDG_RUNTIME_DIR", runtime.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // verify reports unknown keys and bad values as warnings with exit 0: any output fails.
    assert!(out.status.success() && stderr.trim().is_empty(), "systemd-analyze verify:\n{stderr}");
}

// Not on Windows: systemd is Unix only (Windows: init schtasks).
#[cfg(not(windows))]
#[test]
fn systemd_units_verify_and_install_writes_exactly_them() {
    let home = Home::new();
    let config = home.path().join("my config/aws%1");
    let before = tree(home.path());
    let run = Run::of(init(&home).arg("systemd").env("AWS_CONFIG_FILE", &config));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(tree(home.path()), before, "printing writes nothing");
    assert!(
        run.stdout.contains("# ~/.config/systemd/user/ssofresh.service\n")
            && run.stdout.contains("# ~/.config/systemd/user/ssofresh.timer\n")
    );
    assert!(run.stderr.contains("--install"), "{}", run.stderr);

    let run = Run::of(init(&home).args(["systemd", "--install", "--session", "corp"]).env("AWS_CONFIG_FILE", &config));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "systemctl --user daemon-reload && systemctl --user enable --now ssofresh.timer\n");
    let mut expected = before.clone();
    expected.extend([
        ".config/systemd/user/ssofresh.service".to_string(),
        ".config/systemd/user/ssofresh.timer".to_string(),
    ]);
    expected.sort();
    assert_eq!(tree(home.path()), expected);
    let dir = home.path().join(".config/systemd/user");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(dir.join("ssofresh.timer")).unwrap().permissions().mode() & 0o777, 0o600);
    }

    let service = parse_units(&std::fs::read_to_string(dir.join("ssofresh.service")).unwrap());
    let timer = parse_units(&std::fs::read_to_string(dir.join("ssofresh.timer")).unwrap());
    assert_eq!(get(&service, "Service", "Type"), Some("oneshot"));
    assert_eq!(
        get(&service, "Service", "ExecStart"),
        Some(format!("{} tick --auto --quiet --session=corp", env!("CARGO_BIN_EXE_ssofresh")).as_str())
    );
    assert_eq!(
        get(&service, "Service", "Environment"),
        Some(format!("\"AWS_CONFIG_FILE={}\"", config.display().to_string().replace('%', "%%")).as_str())
    );
    assert_eq!(get(&timer, "Timer", "OnCalendar"), Some("*:*:00"));
    assert_eq!(get(&timer, "Timer", "Persistent"), Some("true"));
    assert_eq!(get(&timer, "Install", "WantedBy"), Some("timers.target"));
    systemd_verify(&dir);

    // Installing the same again changes nothing; other settings rewrite the files.
    let run = Run::of(init(&home).args(["systemd", "--install", "--session", "corp"]).env("AWS_CONFIG_FILE", &config));
    assert!(run.stderr.contains("up to date"), "{}", run.stderr);
    let run = Run::of(init(&home).args(["systemd", "--install", "--interval", "90s"]));
    assert_eq!(run.code, 0);
    let timer = parse_units(&std::fs::read_to_string(dir.join("ssofresh.timer")).unwrap());
    assert_eq!(get(&timer, "Timer", "OnUnitActiveSec"), Some("90s"));
    assert_eq!(get(&timer, "Timer", "OnCalendar"), None);
    let service = parse_units(&std::fs::read_to_string(dir.join("ssofresh.service")).unwrap());
    assert_eq!(get(&service, "Service", "Environment"), None, "no AWS_CONFIG_FILE, no Environment=");
    systemd_verify(&dir);
}

// Not on Windows: systemd is Unix only (Windows: init schtasks).
#[cfg(not(windows))]
#[test]
fn systemd_calendar_expressions_are_valid() {
    if !has("systemd-analyze") {
        eprintln!("notice: systemd-analyze not installed; skipping");
        return;
    }
    let home = Home::new();
    for (interval, next_within) in [("15s", 15), ("1m", 60), ("5m", 300), ("1h", 3600), ("6h", 6 * 3600)] {
        let run = Run::of(init(&home).args(["systemd", "--interval", interval]));
        let units = parse_units(run.stdout.split("# ~/.config/systemd/user/ssofresh.timer").nth(1).unwrap());
        let cal =
            get(&units, "Timer", "OnCalendar").unwrap_or_else(|| panic!("{interval}: {}", run.stdout)).to_string();
        let out = Command::new("systemd-analyze").args(["calendar", "--iterations", "3", &cal]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{cal}: {}", String::from_utf8_lossy(&out.stderr));
        // Consecutive elapses are one interval apart.
        let times: Vec<chrono::NaiveDateTime> = text
            .lines()
            .filter(|l| l.contains("Next elapse") || l.contains("Iter. #"))
            .map(|l| {
                let v = l.split_once(": ").unwrap().1.trim();
                let parts: Vec<&str> = v.split_whitespace().collect();
                chrono::NaiveDateTime::parse_from_str(&format!("{} {}", parts[1], parts[2]), "%Y-%m-%d %H:%M:%S")
                    .unwrap()
            })
            .collect();
        assert_eq!(times.len(), 3, "{text}");
        assert_eq!((times[2] - times[1]).num_seconds(), next_within, "{cal}: {text}");
    }
}

// Not on Windows: launchd is macOS only, checked with python3 (Windows: init schtasks).
#[cfg(not(windows))]
#[test]
fn launchd_plist_is_well_formed_with_the_expected_keys() {
    if !require_tool("python3") {
        return;
    }
    let home = Home::new();
    let config = home.path().join("a&b <c>/config");
    let before = tree(home.path());
    let run = Run::of(init(&home).args(["launchd", "--interval", "2m"]).env("AWS_CONFIG_FILE", &config));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(tree(home.path()), before);
    let printed = run.stdout.clone();

    let run = Run::of(init(&home).args(["launchd", "--interval", "2m", "--install"]).env("AWS_CONFIG_FILE", &config));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let plist = home.path().join("Library/LaunchAgents/ssofresh.tick.plist");
    let mut expected = before.clone();
    expected.push("Library/LaunchAgents/ssofresh.tick.plist".into());
    expected.sort();
    assert_eq!(tree(home.path()), expected);
    assert_eq!(std::fs::read_to_string(&plist).unwrap(), printed, "what is printed is what is installed");
    assert!(
        run.stdout.starts_with("launchctl bootout gui/") && run.stdout.contains("launchctl bootstrap gui/"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.trim_end().ends_with(&format!("{}", plist.display()))
            || run.stdout.contains(&format!("'{}'", plist.display())),
        "{}",
        run.stdout
    );

    let script = r#"
import plistlib, sys, json
with open(sys.argv[1], "rb") as f:
    p = plistlib.load(f)
print(json.dumps(p))
"#;
    let out = Command::new("python3").args(["-c", script]).arg(&plist).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let p: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(p["Label"], "ssofresh.tick");
    assert_eq!(p["ProgramArguments"], serde_json::json!([env!("CARGO_BIN_EXE_ssofresh"), "tick", "--auto", "--quiet"]));
    assert_eq!(p["StartInterval"], 120);
    assert_eq!(p["RunAtLoad"], true);
    assert_eq!(p["EnvironmentVariables"]["AWS_CONFIG_FILE"], config.to_string_lossy().as_ref());
}

// Not on Windows: cron is Unix only and the line runs in sh (Windows: init schtasks).
#[cfg(not(windows))]
#[test]
fn cron_line_parses_and_its_command_runs() {
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600));
    let config = home.path().join("100% mine/config");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::copy(home.path().join(".aws/config"), &config).unwrap();
    let before = tree(home.path());
    let run = Run::of(init(&home).args(["cron", "--interval", "5m"]).env("AWS_CONFIG_FILE", &config));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(tree(home.path()), before);
    let lines: Vec<&str> = run.stdout.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    let fields: Vec<&str> = lines[0].splitn(6, ' ').collect();
    assert_eq!(fields[..5], ["*/5", "*", "*", "*", "*"]);
    for f in &fields[..5] {
        assert!(f.chars().all(|c| c.is_ascii_digit() || "*/,-".contains(c)), "{f}");
    }
    // What cron hands to /bin/sh: `\%` becomes `%`. It must run a real tick.
    let command = fields[5].replace("\\%", "%");
    assert!(command.contains(env!("CARGO_BIN_EXE_ssofresh")) && command.contains("tick --auto --quiet"), "{command}");
    let out = Command::new("/bin/sh")
        .args(["-c", &command])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", "/usr/bin:/bin")
        .env("AWS_ENDPOINT_URL_SSO_OIDC", &stub.url)
        .output()
        .unwrap();
    assert!(out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS);

    for (interval, when) in [("1m", "* * * * *"), ("30m", "*/30 * * * *"), ("1h", "0 * * * *"), ("2h", "0 */2 * * *")] {
        let run = Run::of(init(&home).args(["cron", "--interval", interval]));
        assert!(run.stdout.lines().nth(1).unwrap().starts_with(&format!("{when} ")), "{interval}: {}", run.stdout);
    }
    for bad in ["30s", "90s", "7m"] {
        let run = Run::of(init(&home).args(["cron", "--interval", bad]));
        assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{bad}");
        assert!(run.stderr.contains("whole minutes"), "{}", run.stderr);
    }
    let before = tree(home.path());
    let run = Run::of(init(&home).args(["cron", "--install"]));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("crontab -"), "{}", run.stderr);
    assert_eq!(tree(home.path()), before);
}

#[test]
fn intervals_are_checked() {
    let home = Home::new();
    for bad in ["0", "500ms", "1.5s"] {
        let run = Run::of(init(&home).args(["systemd", "--interval", bad]));
        assert_eq!(run.code, 2, "{bad}: {}", run.stderr);
        assert!(run.stderr.contains("--interval"), "{}", run.stderr);
    }
    let run = Run::of(init(&home).args(["launchd", "--interval", "30m"]));
    assert_eq!(run.code, 0);
    assert!(run.stderr.contains("warning") && run.stderr.contains("threshold"), "{}", run.stderr);
    let run = Run::of(init(&home).args(["launchd"]).env("SSOFRESH_INTERVAL", "2m"));
    assert!(run.stdout.contains("<integer>120</integer>"), "{}", run.stdout);
}

// ---- PowerShell ----

/// PowerShell cannot be installed here (docs/shell.md says what was tried), so the script's
/// text is checked, and the command it runs at a prompt is run.
#[test]
fn powershell_hook_wraps_the_prompt_once_and_keeps_the_last_status() {
    let home = Home::new();
    let run = Run::of(init(&home).arg("powershell"));
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let script = run.stdout;
    // PATH finds this binary first, so the hook names it plainly (as a string: PowerShell's
    // Get-Command then finds only a program of that name, never an alias or function).
    let name = Path::new(env!("CARGO_BIN_EXE_ssofresh")).file_name().unwrap().to_str().unwrap();
    assert!(script.contains(&format!("$global:_ssofresh_program = '{name}'\n")), "{script}");
    assert!(script.contains("-CommandType Application"), "{script}");
    assert!(
        script.contains(
            "$global:_ssofresh_args = @('hook', '--shell', 'powershell', '--shell-id', $global:_ssofresh_shell, '--print-next')\n"
        ),
        "{script}"
    );
    // The prompt it finds is wrapped once, however often the script is loaded.
    assert_eq!(script.matches("function global:prompt").count(), 1);
    let guard = script.find("if (-not (Test-Path Variable:\\global:_ssofresh_inner))").expect("a guard");
    let saved = script.find("$global:_ssofresh_inner = $function:prompt").expect("the old prompt kept");
    let defined = script.find("function global:prompt").unwrap();
    assert!(guard < saved && saved < defined);
    // Its first statement saves $? and $LASTEXITCODE; both are put back before the wrapped
    // prompt runs, and again at the very end, for the next command line.
    let body: Vec<&str> = script[defined..]
        .lines()
        .skip(1)
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .take_while(|l| *l != "}")
        .collect();
    assert_eq!(body[..3], ["$ok = $global:?", "$code = $global:LASTEXITCODE", "_ssofresh_hook"], "{body:#?}");
    let inner = body.iter().position(|l| l.contains("& $global:_ssofresh_inner")).expect("the wrapped prompt runs");
    assert_eq!(
        body[inner - 2..inner],
        ["$global:LASTEXITCODE = $code", "if (-not $ok) { Write-Error '' -ErrorAction Ignore }"]
    );
    assert_eq!(body[inner + 1], "$global:LASTEXITCODE = $code");
    assert!(body.last().unwrap().starts_with("if ($global:? -ne $ok)"), "{body:#?}");
    // A missing binary never breaks the prompt.
    assert!(script.contains("try {") && script.contains("} catch {"), "{script}");

    // Not what PATH finds: the absolute path, quoted for PowerShell.
    let elsewhere = std::env::join_paths([home.path()]).unwrap();
    let run = Run::of(home.cmd().env("PATH", &elsewhere).args(["init", "powershell"]));
    let exe = exe().to_str().unwrap().replace('\'', "''");
    assert!(run.stdout.contains(&format!("$global:_ssofresh_program = '{exe}'\n")), "{}", run.stdout);

    // Options given to init join the array, each quoted; `pwsh` names the same hook.
    let run = Run::of(init(&home).arg("pwsh").args(AWKWARD));
    assert!(
        run.stdout.contains(
            "@('hook', '--shell', 'powershell', '--shell-id', $global:_ssofresh_shell, '--print-next', '--session=o''brien \"x\" $HOME \\n', '--threshold', '30m', '--no-hints')\n"
        ),
        "{}",
        run.stdout
    );

    // A profile loads it; --install is for schedulers.
    let run = Run::of(init(&home).args(["powershell", "--install"]));
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert!(run.stderr.contains("ssofresh init powershell | Out-String | Invoke-Expression"), "{}", run.stderr);

    // What the script runs at a prompt: a number of seconds on stdout, nothing else.
    home.write_token("corp", &token(3600));
    let run = Run::of(home.cmd().args(["hook", "--shell", "powershell", "--print-next"]));
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let quiet: u64 = run.stdout.trim().parse().unwrap_or_else(|_| panic!("not a number: {:?}", run.stdout));
    assert!((1..=60).contains(&quiet), "{quiet}");
}

// ---- Task Scheduler ----

/// The parts of Task Scheduler's schema (taskschd's Task element, version 1.2) the task uses:
/// for each element, the children it may have and those it must have. An element not listed
/// here has text only.
const TASK_SCHEMA: &str = r#"
import json, re, sys, xml.etree.ElementTree as ET
from botocore.compat import compat_shell_split
NS = "{http://schemas.microsoft.com/windows/2004/02/mit/task}"
TRIGGER = ["Enabled", "StartBoundary", "EndBoundary", "Repetition", "ExecutionTimeLimit"]
SCHEMA = {
    "Task": (["RegistrationInfo", "Triggers", "Settings", "Data", "Principals", "Actions"], ["Actions"]),
    "RegistrationInfo": (["URI", "SecurityDescriptor", "Source", "Date", "Author", "Version", "Description", "Documentation"], []),
    "Triggers": (["BootTrigger", "RegistrationTrigger", "IdleTrigger", "TimeTrigger", "EventTrigger", "LogonTrigger", "SessionStateChangeTrigger", "CalendarTrigger"], []),
    "TimeTrigger": (TRIGGER + ["RandomDelay"], ["StartBoundary"]),
    "LogonTrigger": (TRIGGER + ["UserId", "Delay"], []),
    "EventTrigger": (TRIGGER + ["Subscription", "Delay", "PeriodOfOccurrence", "NumberOfOccurrences", "MatchingElement", "ValueQueries"], ["Subscription"]),
    "Repetition": (["Interval", "Duration", "StopAtDurationEnd"], ["Interval"]),
    "Principals": (["Principal"], ["Principal"]),
    "Principal": (["UserId", "LogonType", "GroupId", "DisplayName", "RunLevel", "ProcessTokenSidType", "RequiredPrivileges"], []),
    "Settings": (["AllowStartOnDemand", "RestartOnFailure", "MultipleInstancesPolicy", "DisallowStartIfOnBatteries", "StopIfGoingOnBatteries", "AllowHardTerminate", "StartWhenAvailable", "NetworkProfileName", "RunOnlyIfNetworkAvailable", "WakeToRun", "Enabled", "Hidden", "DeleteExpiredTaskAfter", "IdleSettings", "NetworkSettings", "ExecutionTimeLimit", "Priority", "RunOnlyIfIdle", "UseUnifiedSchedulingEngine", "DisallowStartOnRemoteAppSession"], []),
    "IdleSettings": (["Duration", "WaitTimeout", "StopOnIdleEnd", "RestartOnIdle"], []),
    "Actions": (["Exec", "ComHandler", "SendEmail", "ShowMessage"], ["Exec"]),
    "Exec": (["Command", "Arguments", "WorkingDirectory"], ["Command"]),
}
BOOLS = {"Enabled", "StopAtDurationEnd", "AllowStartOnDemand", "DisallowStartIfOnBatteries", "StopIfGoingOnBatteries", "AllowHardTerminate", "StartWhenAvailable", "RunOnlyIfNetworkAvailable", "WakeToRun", "Hidden", "RunOnlyIfIdle", "StopOnIdleEnd", "RestartOnIdle"}
DURATION = re.compile(r"^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
problems = []
root = ET.fromstring(sys.stdin.buffer.read())
if root.tag != NS + "Task" or root.get("version") != "1.2":
    problems.append("root: %s version %s" % (root.tag, root.get("version")))
def walk(e):
    name = e.tag[len(NS):] if e.tag.startswith(NS) else "?" + e.tag
    kids = [c.tag[len(NS):] if c.tag.startswith(NS) else "?" + c.tag for c in e]
    if name in SCHEMA:
        allowed, required = SCHEMA[name]
        problems.extend("%s may not hold %s" % (name, k) for k in kids if k not in allowed)
        problems.extend("%s lacks %s" % (name, r) for r in required if r not in kids)
    elif kids:
        problems.append("%s holds %s" % (name, kids))
    if name in BOOLS and e.text not in ("true", "false"):
        problems.append("%s is %r, not a boolean" % (name, e.text))
    if name in ("Interval", "ExecutionTimeLimit", "Duration") and not DURATION.match(e.text or ""):
        problems.append("%s is %r, not a duration" % (name, e.text))
    for c in e:
        walk(c)
walk(root)
ids = [p.get("id") for p in root.iter(NS + "Principal")]
if root.find(NS + "Actions").get("Context") not in ids:
    problems.append("the actions' context names no principal")
ET.fromstring(root.find(".//%sSubscription" % NS).text)
print(json.dumps({
    "problems": problems,
    "interval": root.find(".//%sInterval" % NS).text,
    "users": [u.text for u in root.iter(NS + "UserId")],
    "logon": root.find(".//%sLogonType" % NS).text,
    "run_level": root.find(".//%sRunLevel" % NS).text,
    "command": root.find(".//%sCommand" % NS).text,
    "arguments": compat_shell_split(root.find(".//%sArguments" % NS).text, "win32"),
    "wake": root.find(".//%sSubscription" % NS).text,
}))
"#;

#[test]
fn schtasks_task_is_valid_and_runs_the_tick_as_this_user() {
    let home = Home::new();
    let config = home.path().join("100% mine").join("config");
    let schtasks = |args: &[&str]| {
        let mut c = init(&home);
        c.arg("schtasks").args(args).env("USERDOMAIN", "CORP").env("USERNAME", "ana").env("AWS_CONFIG_FILE", &config);
        Run::of(&mut c)
    };
    let run = schtasks(&["--interval", "5m", "--session", "corp"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("ssofresh init schtasks --install"), "{}", run.stderr);
    let task = run.stdout;
    if cfg!(windows) {
        // No python3 under Wine; Task Scheduler itself reads it below.
    } else if require_tool("python3") {
        let mut py = Command::new("python3");
        py.args(["-c", TASK_SCHEMA]).stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
        let mut child = py.stderr(std::process::Stdio::piped()).spawn().unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), task.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}\n{task}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["problems"], serde_json::json!([]), "{task}");
        assert_eq!(v["interval"], "PT5M");
        assert_eq!(v["users"], serde_json::json!([r"CORP\ana", r"CORP\ana"]), "the logon trigger and the principal");
        assert_eq!((v["logon"].as_str(), v["run_level"].as_str()), (Some("InteractiveToken"), Some("LeastPrivilege")));
        assert!(v["wake"].as_str().unwrap().contains("Microsoft-Windows-Power-Troubleshooter"));
        assert_eq!(v["command"], env!("CARGO_BIN_EXE_ssofresh"));
        // The settings a task cannot take from an environment come as flags, whole.
        assert_eq!(
            v["arguments"],
            serde_json::json!([
                "tick",
                "--auto",
                "--quiet",
                "--session=corp",
                "--config-file",
                config.to_str().unwrap()
            ])
        );
    }

    // --install leaves the XML for schtasks (UTF-16, marked) and prints the command that creates
    // the task; a second time it is up to date.
    let run = schtasks(&["--interval", "5m", "--session", "corp", "--install"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let file = home.state_dir().join("schtasks.xml");
    let bytes = std::fs::read(&file).unwrap();
    let units: Vec<u16> = bytes[2..].chunks(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect();
    assert_eq!((&bytes[..2], String::from_utf16(&units).unwrap()), (&[0xFF, 0xFE][..], task.clone()));
    let command = run.stdout.trim();
    assert!(command.starts_with("schtasks /Create /TN ssofresh /XML ") && command.ends_with(" /F"), "{command}");
    assert!(command.contains(file.to_str().unwrap()), "{command}");
    assert!(schtasks(&["--interval", "5m", "--session", "corp", "--install"]).stderr.contains("up to date"));

    // Under .ci/wine-test, Wine's Task Scheduler (a throwaway prefix's) creates the task from
    // the file, and refuses a damaged one.
    if cfg!(windows) && std::env::var_os("SSOFRESH_TEST_WINE").is_some() {
        let name = format!("ssofresh-test-{}", std::process::id());
        let create = |xml: &Path| {
            Command::new("schtasks").args(["/Create", "/TN", &name, "/XML"]).arg(xml).arg("/F").output().unwrap()
        };
        let out = create(&file);
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let stored = Path::new(&std::env::var("SystemRoot").unwrap()).join("system32").join("tasks").join(&name);
        assert!(stored.exists(), "no task {}", stored.display());
        let _ = Command::new("schtasks").args(["/Delete", "/TN", &name, "/F"]).output();
        let bad = home.path().join("bad.xml");
        std::fs::write(&bad, task.replace("<Hidden>false</Hidden>", "<Hidden>maybe</Hidden>")).unwrap();
        assert!(!create(&bad).status.success(), "a damaged task was accepted: the check proves nothing");
    }

    // Task Scheduler repeats every whole minute at the most.
    for bad in ["30s", "90s"] {
        let run = schtasks(&["--interval", bad]);
        assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{bad}");
        assert!(run.stderr.contains("whole number of minutes"), "{}", run.stderr);
    }
}
