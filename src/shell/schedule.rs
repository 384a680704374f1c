//! Scheduler entries that run `ssofresh tick` on machines nobody types on: a systemd user
//! timer, a launchd agent, a crontab line. Each runs the binary by absolute path (schedulers
//! have no useful PATH) with the environment it needs.

use crate::text::duration::{self, Form};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `ssofresh.service` and `ssofresh.timer`.
pub const SYSTEMD_UNIT: &str = "ssofresh";
/// The LaunchAgent's label and file name.
pub const LAUNCHD_LABEL: &str = "ssofresh.tick";

/// One periodic `ssofresh tick`.
#[derive(Debug, Clone)]
pub struct Job {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub interval: Duration,
}

/// `~/.config/systemd/user` (or under `$XDG_CONFIG_HOME`), where a user manager looks.
pub fn systemd_dir(home: &Path, xdg_config_home: Option<&str>) -> PathBuf {
    match xdg_config_home.filter(|p| Path::new(p).is_absolute()) {
        Some(x) => Path::new(x).join("systemd/user"),
        None => home.join(".config/systemd/user"),
    }
}

pub fn launchd_path(home: &Path) -> PathBuf {
    home.join("Library/LaunchAgents").join(format!("{LAUNCHD_LABEL}.plist"))
}

/// A wall-clock calendar expression for the interval, when one exists: unlike monotonic
/// timers, calendar timers catch up at once after the machine wakes from sleep.
pub fn calendar(interval: Duration) -> Option<String> {
    let n = interval.as_secs();
    match n {
        1..=59 if 60 % n == 0 => Some(format!("*:*:0/{n}")),
        60 => Some("*:*:00".into()),
        61..=3599 if n.is_multiple_of(60) && 60 % (n / 60) == 0 => Some(format!("*:0/{}:00", n / 60)),
        3600 => Some("*:00:00".into()),
        3601..=86399 if n.is_multiple_of(3600) && 24 % (n / 3600) == 0 => Some(format!("0/{}:00:00", n / 3600)),
        86400 => Some("*-*-* 00:00:00".into()),
        _ => None,
    }
}

/// One word of a systemd command line or assignment: `%` is a specifier and `$` a variable
/// in ExecStart=, so both are doubled; anything unusual goes in C-style double quotes.
fn systemd_word(s: &str, exec: bool) -> String {
    let mut v = s.replace('%', "%%");
    if exec {
        v = v.replace('$', "$$");
    }
    let plain = !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || "%$@+=:,./_-".contains(c));
    if plain {
        v
    } else {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

pub fn systemd_service(job: &Job) -> String {
    let exec: Vec<String> = std::iter::once(job.program.to_string_lossy().into_owned())
        .chain(job.args.iter().cloned())
        .map(|w| systemd_word(&w, true))
        .collect();
    let mut s = format!(
        "# ssofresh: refreshes AWS SSO tokens before they expire; started by {SYSTEMD_UNIT}.timer.\n\
         [Unit]\n\
         Description=Refresh AWS SSO tokens (ssofresh tick)\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         ExecStart={}\n\
         # 1 is a transient failure (offline, endpoint down): the next run retries, so the unit\n\
         # is not marked failed. 3 (a new login is needed) still is.\n\
         SuccessExitStatus=1\n",
        exec.join(" ")
    );
    for (k, v) in &job.env {
        s += &format!("Environment={}\n", systemd_word(&format!("{k}={v}"), false));
    }
    s
}

pub fn systemd_timer(job: &Job) -> String {
    let every = duration::show(job.interval, Form::Flag);
    // Each run lands within this window; a wider one lets the machine batch wake-ups.
    let accuracy = (job.interval / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
    let schedule = match calendar(job.interval) {
        Some(cal) => format!(
            "# Wall-clock schedule: a run missed while the machine slept happens as soon as it wakes,\n\
             # and Persistent= catches up on runs missed while the user manager was not running.\n\
             OnCalendar={cal}\n\
             Persistent=true\n"
        ),
        None => format!(
            "# {every} is no calendar interval, so this timer is monotonic: it pauses while the machine\n\
             # sleeps and runs at most {every} after it wakes. Intervals that divide a minute, an hour\n\
             # or a day (30s, 1m, 5m, 1h) get a calendar timer that runs at once on wake.\n\
             OnStartupSec=1s\n\
             OnUnitActiveSec={}s\n",
            job.interval.as_secs()
        ),
    };
    format!(
        "# ssofresh: runs {SYSTEMD_UNIT}.service every {every}.\n\
         [Unit]\n\
         Description=Refresh AWS SSO tokens every {every} (ssofresh)\n\
         \n\
         [Timer]\n\
         {schedule}\
         AccuracySec={}s\n\
         \n\
         [Install]\n\
         WantedBy=timers.target\n",
        accuracy.as_secs()
    )
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

pub fn launchd_plist(job: &Job) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n",
    );
    s += &format!(
        "<!-- ssofresh: refreshes AWS SSO tokens every {}, and once at login. -->\n",
        duration::show(job.interval, Form::Flag)
    );
    s += "<plist version=\"1.0\">\n<dict>\n";
    s += &format!("\t<key>Label</key>\n\t<string>{LAUNCHD_LABEL}</string>\n");
    s += "\t<key>ProgramArguments</key>\n\t<array>\n";
    for w in std::iter::once(job.program.to_string_lossy().into_owned()).chain(job.args.iter().cloned()) {
        s += &format!("\t\t<string>{}</string>\n", xml(&w));
    }
    s += "\t</array>\n";
    if !job.env.is_empty() {
        s += "\t<key>EnvironmentVariables</key>\n\t<dict>\n";
        for (k, v) in &job.env {
            s += &format!("\t\t<key>{}</key>\n\t\t<string>{}</string>\n", xml(k), xml(v));
        }
        s += "\t</dict>\n";
    }
    s += &format!("\t<key>StartInterval</key>\n\t<integer>{}</integer>\n", job.interval.as_secs());
    s += "\t<key>RunAtLoad</key>\n\t<true/>\n";
    s += "\t<key>ProcessType</key>\n\t<string>Background</string>\n";
    s += "</dict>\n</plist>\n";
    s
}

/// The task's name, in Task Scheduler's root folder (`\ssofresh`).
pub const SCHTASKS_NAME: &str = "ssofresh";

/// Where `init schtasks --install` leaves the task's XML for `schtasks /Create /XML`: Task
/// Scheduler keeps its own copy once the task is created, so the file only feeds that command.
pub fn schtasks_path(state_dir: &Path) -> PathBuf {
    state_dir.join("schtasks.xml")
}

/// The setting a scheduler entry passes through the environment, as the flag a Task Scheduler
/// action (which has no environment of its own) gives instead.
fn flag_for(var: &str) -> Option<&'static str> {
    match var {
        "AWS_CONFIG_FILE" => Some("--config-file"),
        "SSOFRESH_CACHE_DIR" => Some("--cache-dir"),
        "SSOFRESH_STATE_DIR" => Some("--state-dir"),
        "SSOFRESH_LOG_FILE" => Some("--log-file"),
        _ => None,
    }
}

/// A Task Scheduler task (schema 1.2, Windows 7 and later) for `schtasks /Create /XML`: the
/// user's own, with no elevation (their interactive logon, least privilege), running the tick
/// every interval, at their logon and when the machine wakes (Power-Troubleshooter event 1); a
/// run missed meanwhile starts as soon as it can, on battery too. `account` (`DOMAIN\user`)
/// names whose logon starts it; without it the task names nobody and takes its registrant.
/// Task Scheduler repeats a trigger every whole minute at the most, up to 31 days.
pub fn schtasks_xml(job: &Job, account: Option<&str>) -> Result<String, String> {
    let n = job.interval.as_secs();
    if n < 60 || !n.is_multiple_of(60) || job.interval.subsec_nanos() != 0 || n > 31 * 86400 {
        return Err(format!(
            "Task Scheduler repeats a task every whole number of minutes from 1m to 31 days, so it cannot run one every {}; use --interval 1m, 5m, 1h …",
            duration::show(job.interval, Form::Flag)
        ));
    }
    let mut args: Vec<String> = job.args.clone();
    for (k, v) in &job.env {
        let flag = flag_for(k).ok_or_else(|| format!("{k} cannot be passed to a scheduled task"))?;
        args.extend([flag.to_string(), v.clone()]);
    }
    let arguments: Vec<String> = args.iter().map(|a| crate::text::quote::windows_arg(a)).collect();
    let every = duration::show(job.interval, Form::Flag);
    let user = account.map(|a| format!("\n      <UserId>{}</UserId>", xml(a))).unwrap_or_default();
    // The event log query, itself XML, goes in as text.
    let wake = xml("<QueryList><Query Id=\"0\" Path=\"System\"><Select Path=\"System\">\
         *[System[Provider[@Name='Microsoft-Windows-Power-Troubleshooter'] and EventID=1]]\
         </Select></Query></QueryList>");
    Ok(format!(
        r#"<?xml version="1.0"?>
<!-- ssofresh: refreshes AWS SSO tokens every {every}, at logon and after the machine wakes. -->
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>Refresh AWS SSO tokens before they expire (ssofresh tick), every {every}</Description>
    <URI>\{name}</URI>
  </RegistrationInfo>
  <Triggers>
    <TimeTrigger>
      <Repetition>
        <Interval>PT{minutes}M</Interval>
        <StopAtDurationEnd>false</StopAtDurationEnd>
      </Repetition>
      <StartBoundary>2000-01-01T00:00:00</StartBoundary>
      <Enabled>true</Enabled>
    </TimeTrigger>
    <LogonTrigger>
      <Enabled>true</Enabled>{user}
    </LogonTrigger>
    <EventTrigger>
      <Enabled>true</Enabled>
      <Subscription>{wake}</Subscription>
    </EventTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">{user}
      <LogonType>InteractiveToken</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable>
    <IdleSettings>
      <StopOnIdleEnd>false</StopOnIdleEnd>
      <RestartOnIdle>false</RestartOnIdle>
    </IdleSettings>
    <AllowStartOnDemand>true</AllowStartOnDemand>
    <Enabled>true</Enabled>
    <Hidden>false</Hidden>
    <RunOnlyIfIdle>false</RunOnlyIfIdle>
    <WakeToRun>false</WakeToRun>
    <ExecutionTimeLimit>PT5M</ExecutionTimeLimit>
    <Priority>7</Priority>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>{command}</Command>
      <Arguments>{arguments}</Arguments>
    </Exec>
  </Actions>
</Task>
"#,
        name = SCHTASKS_NAME,
        minutes = n / 60,
        command = xml(&job.program.to_string_lossy()),
        arguments = xml(&arguments.join(" ")),
    ))
}

/// A comment line and the crontab entry. Cron starts jobs on whole minutes only.
pub fn cron_lines(job: &Job) -> Result<String, String> {
    let n = job.interval.as_secs();
    let bad = || {
        format!(
            "cron starts jobs on whole minutes that divide an hour or a day, so it cannot run one every {}; use --interval 1m, 2m, 5m, 10m, 15m, 30m or 1h (or systemd/launchd for other intervals)",
            duration::show(job.interval, Form::Flag)
        )
    };
    if n < 60 || !n.is_multiple_of(60) || job.interval.subsec_nanos() != 0 {
        return Err(bad());
    }
    let m = n / 60;
    let when = match m {
        1 => "* * * * *".to_string(),
        2..=59 if 60 % m == 0 => format!("*/{m} * * * *"),
        60 => "0 * * * *".to_string(),
        _ if m.is_multiple_of(60) && m / 60 < 24 && 24 % (m / 60) == 0 => format!("0 */{} * * *", m / 60),
        _ => return Err(bad()),
    };
    let q = |w: &str| crate::text::quote::word(crate::text::quote::Dialect::Posix, w);
    let mut cmd: Vec<String> = job.env.iter().map(|(k, v)| format!("{k}={}", q(v))).collect();
    cmd.push(q(&job.program.to_string_lossy()));
    cmd.extend(job.args.iter().map(|a| q(a)));
    // Cron mails any output; the activity log has the record. `%` means newline to cron.
    let command = format!("{} >/dev/null 2>&1", cmd.join(" ")).replace('%', "\\%");
    Ok(format!(
        "# ssofresh: refresh AWS SSO tokens every {}\n{when} {command}\n",
        duration::show(job.interval, Form::Flag)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(secs: u64) -> Job {
        Job {
            program: "/opt/x y/ssofresh".into(),
            args: vec!["tick".into(), "--auto".into()],
            env: vec![("AWS_CONFIG_FILE".into(), "/a%b/$c \"d\"".into())],
            interval: Duration::from_secs(secs),
        }
    }

    #[test]
    fn calendar_expressions() {
        let c = |s| calendar(Duration::from_secs(s));
        assert_eq!(c(30).as_deref(), Some("*:*:0/30"));
        assert_eq!(c(60).as_deref(), Some("*:*:00"));
        assert_eq!(c(300).as_deref(), Some("*:0/5:00"));
        assert_eq!(c(3600).as_deref(), Some("*:00:00"));
        assert_eq!(c(7200).as_deref(), Some("0/2:00:00"));
        for odd in [0, 7, 90, 420, 5400, 36000, 172800] {
            assert_eq!(c(odd), None, "{odd}");
        }
    }

    #[test]
    fn systemd_escapes_specifiers_and_quotes() {
        let s = systemd_service(&job(60));
        assert!(s.contains("ExecStart=\"/opt/x y/ssofresh\" tick --auto\n"), "{s}");
        assert!(s.contains("Environment=\"AWS_CONFIG_FILE=/a%%b/$c \\\"d\\\"\"\n"), "{s}");
        assert!(systemd_timer(&job(90)).contains("OnUnitActiveSec=90s\n"));
    }

    #[test]
    fn schtasks_task_runs_the_tick_with_its_settings_as_flags() {
        let mut j = job(300);
        j.program = r"C:\Program Files\ssofresh\ssofresh.exe".into();
        let x = schtasks_xml(&j, Some(r"CORP\ana")).unwrap();
        assert!(x.contains("<Interval>PT5M</Interval>"), "{x}");
        assert!(x.contains(r"<Command>C:\Program Files\ssofresh\ssofresh.exe</Command>"), "{x}");
        // The variable becomes its flag, quoted for the C runtime, then escaped for XML.
        assert!(
            x.contains(r#"<Arguments>tick --auto --config-file &quot;/a%b/$c \&quot;d\&quot;&quot;</Arguments>"#),
            "{x}"
        );
        assert_eq!(x.matches(r"<UserId>CORP\ana</UserId>").count(), 2, "the logon trigger and the principal");
        assert!(x.contains("Microsoft-Windows-Power-Troubleshooter&apos;] and EventID=1"), "{x}");
        assert!(!schtasks_xml(&j, None).unwrap().contains("<UserId>"));
        for bad in [30, 90, 32 * 86400] {
            let e = schtasks_xml(&job(bad), None).unwrap_err();
            assert!(e.contains("whole number of minutes"), "{bad}: {e}");
        }
    }

    #[test]
    fn cron_fields() {
        let line = |s| cron_lines(&job(s)).map(|l| l.lines().nth(1).unwrap().to_string());
        assert!(line(60).unwrap().starts_with(
            "* * * * * AWS_CONFIG_FILE='/a\\%b/$c \"d\"' '/opt/x y/ssofresh' tick --auto >/dev/null 2>&1"
        ));
        assert!(line(300).unwrap().starts_with("*/5 * * * * "));
        assert!(line(3600).unwrap().starts_with("0 * * * * "));
        assert!(line(21600).unwrap().starts_with("0 */6 * * * "));
        for bad in [30, 90, 420, 36000] {
            assert!(line(bad).unwrap_err().contains("whole minutes"), "{bad}");
        }
    }
}
