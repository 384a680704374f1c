//! `ssofresh init`: the hook scripts pass each shell's own checker, and the scheduler entries
//! are what systemd, launchd and cron accept.

use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_ssofresh")).parent().unwrap().to_path_buf()
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
