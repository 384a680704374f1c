//! Shared test support: a loopback stub of the AWS endpoints and a temporary HOME.
#![allow(dead_code)]

pub mod aws;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

/// Every secret in fixtures contains this marker, so "no secret in output" is one check.
pub const MARK: &str = "SECRETMARK";
pub const ACCESS: &str = "aoa-SECRETMARK-access-old";
pub const REFRESH: &str = "aor-SECRETMARK-refresh-old";
pub const CLIENT_SECRET: &str = "cs-SECRETMARK-client-secret";
pub const NEW_ACCESS: &str = "aoa-SECRETMARK-access-new";
pub const NEW_REFRESH: &str = "aor-SECRETMARK-refresh-new";
/// What `rotating_oidc` answers to `NEW_REFRESH`.
pub const NEWER_ACCESS: &str = "aoa-SECRETMARK-access-newer";

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
    /// Answer only once this gate is open.
    pub gate: Option<Gate>,
    /// Never answer (the connection stays open until the test ends).
    pub hang: bool,
    /// Send the headers, then the body one byte at a time with this pause before each.
    pub drip: Option<Duration>,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply::raw(status, "application/json", body.to_string())
    }
    pub fn raw(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
            delay: Duration::ZERO,
            gate: None,
            hang: false,
            drip: None,
        }
    }
    pub fn header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn delayed(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }
    /// Answers once `gate` is open: the request stays under way for as long as the test needs.
    pub fn until(mut self, gate: &Gate) -> Reply {
        self.gate = Some(gate.clone());
        self
    }
    /// Sends the headers at once and the body one byte per `pause`: a slow-loris endpoint.
    pub fn dripping(mut self, pause: Duration) -> Reply {
        self.drip = Some(pause);
        self
    }
    pub fn hang() -> Reply {
        Reply { hang: true, ..Reply::raw(200, "text/plain", "") }
    }
    /// A successful CreateToken answer.
    pub fn token(access: &str, refresh: Option<&str>, expires_in: i64) -> Reply {
        let mut v = json!({"accessToken": access, "tokenType": "Bearer", "expiresIn": expires_in});
        if let Some(r) = refresh {
            v["refreshToken"] = json!(r);
        }
        Reply::json(200, v)
    }
    /// An SSO-OIDC error as AWS sends it: JSON body and `x-amzn-ErrorType`.
    pub fn oidc_error(status: u16, error: &str, exception: &str) -> Reply {
        Reply::json(status, json!({"error": error, "error_description": format!("{exception} from the stub")}))
            .header("x-amzn-ErrorType", &format!("{exception}:http://internal.amazon.com/coral/com.amazonaws.ssooidc/"))
    }
}

/// Holds back the replies made with `Reply::until` until the test opens it: a request under
/// way while the test checks what happens meanwhile, without a delay that has to outlast those
/// checks (and then makes every run wait for it).
#[derive(Debug, Clone, Default)]
pub struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    pub fn new() -> Gate {
        Gate::default()
    }
    pub fn open(&self) {
        *self.0 .0.lock().unwrap() = true;
        self.0 .1.notify_all();
    }
    /// Waits until the gate is open; gives up after a minute (the test has failed by then).
    fn pass(&self) {
        let (open, changed) = &*self.0;
        let _ = changed.wait_timeout_while(open.lock().unwrap(), Duration::from_secs(60), |open| !*open);
    }
}

type Handler = dyn Fn(&Request, usize) -> Reply + Send + Sync;

/// A loopback HTTP/1.1 server that records every request and answers through a handler that
/// also gets the request's number (0-based) among those with the same path.
pub struct Stub {
    pub url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Stub {
    pub fn start(handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests: Arc<Mutex<Vec<Request>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let recorded = requests.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (handler, recorded) = (handler.clone(), recorded.clone());
                thread::spawn(move || serve(stream, &*handler, &recorded));
            }
        });
        Stub { url, requests }
    }

    /// Answers every request with the same reply.
    pub fn always(reply: Reply) -> Stub {
        Stub::start(move |_, _| reply.clone())
    }

    /// Answers the n-th request with `replies[n]`, and the last one after that.
    pub fn sequence(replies: Vec<Reply>) -> Stub {
        Stub::start(move |_, n| replies[n.min(replies.len() - 1)].clone())
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    pub fn count(&self, path_prefix: &str) -> usize {
        self.requests().iter().filter(|r| r.path.starts_with(path_prefix)).count()
    }

    /// SSO-OIDC that rotates the refresh token and retires the old one, as the service may:
    /// the first refresh with `REFRESH` answers `NEW_ACCESS` and `NEW_REFRESH`, and `REFRESH`
    /// is rejected (`invalid_grant`) from then on, as is any token it never issued;
    /// `NEW_REFRESH` keeps working (`NEWER_ACCESS`, the refresh token kept).
    pub fn rotating_oidc() -> Stub {
        let spent = std::sync::atomic::AtomicBool::new(false);
        Stub::start(move |req, _| {
            let sent = req.json()["refreshToken"].as_str().map(str::to_string);
            match sent.as_deref() {
                Some(REFRESH) if !spent.swap(true, std::sync::atomic::Ordering::SeqCst) => {
                    Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600)
                }
                Some(NEW_REFRESH) => Reply::token(NEWER_ACCESS, None, 3600),
                _ => Reply::oidc_error(400, "invalid_grant", "InvalidGrantException"),
            }
        })
    }

    /// The refresh tokens sent to `/token`, in order.
    pub fn refresh_tokens_sent(&self) -> Vec<String> {
        self.requests()
            .iter()
            .filter(|r| r.path.starts_with("/token"))
            .filter_map(|r| r.json()["refreshToken"].as_str().map(str::to_string))
            .collect()
    }
}

fn serve(stream: TcpStream, handler: &Handler, recorded: &Mutex<Vec<Request>>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut writer = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("").to_string());
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let len = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let req = Request { method, path, headers, body };
        let n = {
            let mut all = recorded.lock().unwrap();
            let n = all.iter().filter(|r| r.path.split('?').next() == req.path.split('?').next()).count();
            all.push(req.clone());
            n
        };
        let reply = handler(&req, n);
        if reply.hang {
            thread::sleep(Duration::from_secs(3600));
            return;
        }
        if let Some(gate) = &reply.gate {
            gate.pass();
        }
        thread::sleep(reply.delay);
        let mut out = format!("HTTP/1.1 {} Stub\r\nContent-Length: {}\r\n", reply.status, reply.body.len());
        for (k, v) in &reply.headers {
            out += &format!("{k}: {v}\r\n");
        }
        out += "\r\n";
        if let Some(pause) = reply.drip {
            if writer.write_all(out.as_bytes()).and_then(|_| writer.flush()).is_err() {
                return;
            }
            for b in &reply.body {
                thread::sleep(pause);
                if writer.write_all(&[*b]).and_then(|_| writer.flush()).is_err() {
                    return;
                }
            }
            continue;
        }
        if writer.write_all(out.as_bytes()).and_then(|_| writer.write_all(&reply.body)).is_err() {
            return;
        }
        let _ = writer.flush();
    }
}

/// A port nothing listens on.
pub fn refused_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

pub fn sha1_hex(s: &str) -> String {
    ssofresh::aws::token_cache::cache_key(s)
}

/// The fingerprint ssofresh keeps of a token (never the token).
pub fn fingerprint(secret: &str) -> String {
    ssofresh::sys::secret::Secret::new(secret).fingerprint()
}

/// Whether `name` is one of ssofresh's lock files, which sit beside the caches they guard
/// (`.<key>.ssofresh.lock`, always empty): not a cache entry.
pub fn is_lock_file(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".ssofresh.lock")
}

/// The file names in a cache directory, sorted, without ssofresh's lock files (empty when the
/// directory does not exist).
pub fn cache_entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    v.retain(|n| !is_lock_file(n));
    v.sort();
    v
}

/// Every path under `dir` with its bytes: to show a command changed nothing.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                out.push((p.clone(), Vec::new()));
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap_or_default()));
            }
        }
    }
    out.sort();
    out
}

pub fn iso(offset_secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(offset_secs)).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A token as botocore writes it, expiring `expires_in` seconds from now, plus an unknown field.
pub fn token(expires_in: i64) -> Value {
    json!({
        "startUrl": "https://corp.awsapps.com/start",
        "region": "us-east-1",
        "accessToken": ACCESS,
        "expiresAt": iso(expires_in),
        "clientId": "client-id-1",
        "clientSecret": CLIENT_SECRET,
        "registrationExpiresAt": iso(80 * 86400),
        "refreshToken": REFRESH,
        "someToolField": {"kept": true},
    })
}

pub const CONFIG: &str = "[default]\nregion = us-east-1\n\n\
[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\nregion = us-east-1\n\n\
[profile old]\nsso_start_url = https://old.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 111122223333\nsso_role_name = Dev\n\n\
[profile static]\nregion = us-east-1\n\n\
[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n";

/// What the tests prefix the binary under test with (`SSOFRESH_TEST_RUNNER`, words split on
/// spaces): an emulator such as `qemu-aarch64` when the suite is cross-built. Cargo runs the
/// test binary itself through its runner (`CARGO_TARGET_<TRIPLE>_RUNNER`), but the `ssofresh`
/// that test binary starts is foreign code too, and without binfmt_misc (containers, most CI
/// machines) the kernel cannot start it by itself.
pub fn runner() -> Vec<String> {
    std::env::var("SSOFRESH_TEST_RUNNER").unwrap_or_default().split_whitespace().map(str::to_string).collect()
}

/// How many times longer the default timeouts are: 10 under an emulator. Emulated code runs
/// many times slower, and a test that starts two dozen emulated processes on a small machine
/// (tick::concurrent_ticks_make_one_request) left the waiters' 3 s too little for the holder to
/// finish, though nothing was wrong. Tests that are about a timeout set their own.
pub fn patience() -> u32 {
    if runner().is_empty() {
        1
    } else {
        10
    }
}

/// The binary under test, through the runner if there is one.
pub fn ssofresh_cmd() -> std::process::Command {
    let mut words = runner();
    words.push(env!("CARGO_BIN_EXE_ssofresh").to_string());
    let mut c = std::process::Command::new(&words[0]);
    c.args(&words[1..]);
    c
}

/// The command line that starts the binary under test, for a shell (no quoting: neither the
/// runner nor cargo's target directory has spaces in CI).
pub fn ssofresh_line() -> String {
    let mut words = runner();
    words.push(env!("CARGO_BIN_EXE_ssofresh").to_string());
    words.join(" ")
}

/// Signals the test runner was started with ignored (a background job of a script, `nohup`) stay
/// ignored in every child, and a shell cannot even trap them: the tests that interrupt a command
/// would hang. Every command the tests start gets the default actions, as from a terminal.
pub fn default_signals() {
    #[cfg(unix)]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            for sig in [libc::SIGINT, libc::SIGQUIT, libc::SIGTERM] {
                // SAFETY: restoring the default action of a standard signal.
                unsafe { libc::signal(sig, libc::SIG_DFL) };
            }
        });
    }
}

/// A temporary HOME with an AWS config; commands run with a clean environment.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Home {
        default_signals();
        let h = Home { dir: tempfile::tempdir().unwrap() };
        h.config(CONFIG);
        h
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn config(&self, text: &str) {
        let p = self.path().join(".aws").join("config");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    pub fn cache_dir(&self) -> PathBuf {
        self.path().join(".aws").join("sso").join("cache")
    }
    pub fn token_path(&self, session_or_url: &str) -> PathBuf {
        self.cache_dir().join(format!("{}.json", sha1_hex(session_or_url)))
    }
    pub fn write_token(&self, session_or_url: &str, v: &Value) -> PathBuf {
        self.write_token_bytes(session_or_url, v.to_string().as_bytes())
    }
    pub fn write_token_bytes(&self, session_or_url: &str, bytes: &[u8]) -> PathBuf {
        let p = self.token_path(session_or_url);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }
    /// Where ssofresh keeps a refreshed token it could not write to the session's cache.
    pub fn kept_path(&self, session_or_url: &str) -> PathBuf {
        self.cache_dir().join(format!(".{}.ssofresh.pending", sha1_hex(session_or_url)))
    }
    /// The lock ssofresh takes beside a session's token cache.
    pub fn lock_path(&self, session_or_url: &str) -> PathBuf {
        self.cache_dir().join(format!(".{}.ssofresh.lock", sha1_hex(session_or_url)))
    }
    pub fn read_token(&self, session_or_url: &str) -> Value {
        serde_json::from_slice(&std::fs::read(self.token_path(session_or_url)).unwrap()).unwrap()
    }
    /// ssofresh's state directory under this HOME (XDG default on Linux, `%LOCALAPPDATA%` on
    /// Windows, which `cmd` points inside this HOME).
    pub fn state_dir(&self) -> PathBuf {
        if cfg!(windows) {
            self.local_app_data().join("ssofresh")
        } else {
            self.path().join(".local/state/ssofresh")
        }
    }
    /// `%LOCALAPPDATA%` for the commands on Windows: inside this HOME, as it is in a profile.
    pub fn local_app_data(&self) -> PathBuf {
        self.path().join("AppData").join("Local")
    }
    /// The activity log's default place under this HOME.
    pub fn activity_log(&self) -> PathBuf {
        if cfg!(target_os = "macos") {
            self.path().join("Library/Logs/ssofresh/activity.log")
        } else {
            self.state_dir().join("activity.log")
        }
    }
    /// Writes ssofresh's per-session state file for a session name or legacy start URL.
    pub fn write_state(&self, session_or_url: &str, v: &Value) {
        let p = self.state_dir().join("sessions").join(format!("{}.json", sha1_hex(session_or_url)));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, v.to_string()).unwrap();
    }
    /// `ssofresh` with only PATH and HOME from outside: no proxy, no AWS variables.
    pub fn cmd(&self) -> std::process::Command {
        let mut c = ssofresh_cmd();
        c.env_clear()
            .envs(self.os_env())
            .env("SSOFRESH_RETRY_BACKOFF", "0")
            .env("SSOFRESH_TIMEOUT", format!("{}s", 3 * patience()))
            .env("SSOFRESH_CONNECT_TIMEOUT", format!("{}s", 2 * patience()))
            .env("NO_COLOR", "1")
            // No desktop notifications from tests, even on a developer's desktop: tests that
            // want them choose a backend (tests/it/notify.rs).
            .env("SSOFRESH_NOTIFY", "none")
            .env("XDG_RUNTIME_DIR", self.path().join("run"))
            .stdin(std::process::Stdio::null());
        c
    }
    /// What a process needs from outside to find this HOME: `HOME` and `PATH`; on Windows also
    /// the profile (`USERPROFILE`, where Windows programs find HOME), `LOCALAPPDATA` inside it,
    /// and `SystemRoot`, without which Winsock cannot start (no loopback requests).
    pub fn os_env(&self) -> Vec<(String, std::ffi::OsString)> {
        let mut env = vec![
            ("HOME".to_string(), self.path().into()),
            ("PATH".to_string(), std::env::var_os("PATH").unwrap_or_default()),
        ];
        if cfg!(windows) {
            env.push(("USERPROFILE".into(), self.path().into()));
            env.push(("LOCALAPPDATA".into(), self.local_app_data().into()));
            env.extend(std::env::var_os("SystemRoot").map(|v| ("SystemRoot".into(), v)));
        }
        env
    }
    pub fn cmd_at(&self, stub_url: &str) -> std::process::Command {
        let mut c = self.cmd();
        c.env("AWS_ENDPOINT_URL_SSO_OIDC", stub_url);
        c
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn of(cmd: &mut std::process::Command) -> Run {
        Run::from(started(|| cmd.output()).expect("run ssofresh"))
    }

    /// What a finished process printed; it must not contain a secret.
    pub fn from(out: std::process::Output) -> Run {
        let r = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert!(
            !r.stdout.contains(MARK) && !r.stderr.contains(MARK),
            "a secret reached the output:\nstdout: {}\nstderr: {}",
            r.stdout,
            r.stderr
        );
        r
    }
}

impl Run {
    /// `Run::of`, then waits until every process the command started has exited too: a test
    /// that shows the hook started no refresh (or sent no request) asserts after this, not
    /// after a pause. See `Exits`.
    pub fn of_all(cmd: &mut std::process::Command) -> Run {
        let (run, exits) = Exits::run(cmd);
        assert!(exits.wait(Duration::from_secs(20)), "a process it started was still running after 20 s");
        run
    }
}

/// Tells when a command and every process it started have exited, detached ones included (the
/// refresh `ssofresh hook` starts in a session of its own). Anything they did (a request to a
/// stub, a line in the activity log) has happened by then.
///
/// On Unix each of them inherits the write end of a pipe, and the read end sees end-of-file
/// once the last of them is gone. On Windows the command starts suspended, joins a job object
/// of its own before it runs, and everything it starts joins that job too (detached or not);
/// the job counts its live processes.
pub struct Exits {
    /// Sends (or hangs up) once the read end has seen end-of-file.
    #[cfg(unix)]
    gone: std::sync::mpsc::Receiver<()>,
    #[cfg(windows)]
    job: job::Job,
}

impl Exits {
    /// Runs `cmd` as `Run::of` does, watching it and whatever it starts.
    #[cfg(unix)]
    pub fn run(cmd: &mut std::process::Command) -> (Run, Exits) {
        use std::os::fd::AsRawFd;
        use std::os::unix::process::CommandExt;
        let (read, write) = std::io::pipe().expect("a pipe");
        // The pipe is close-on-exec, so the children of other tests in this process never
        // keep it; only this child clears the flag on its own copy, between fork and exec,
        // and whatever it starts inherits the descriptor from it.
        let fd = write.as_raw_fd();
        // SAFETY: fcntl is async-signal-safe; fd is open in the child (a copy of the parent's).
        unsafe {
            cmd.pre_exec(move || match libc::fcntl(fd, libc::F_SETFD, 0) {
                -1 => Err(std::io::Error::last_os_error()),
                _ => Ok(()),
            });
        }
        let run = Run::of(cmd);
        drop(write);
        let (tx, gone) = std::sync::mpsc::channel();
        let mut read = read;
        thread::spawn(move || {
            let _ = read.read_to_end(&mut Vec::new());
            let _ = tx.send(());
        });
        (run, Exits { gone })
    }

    /// Runs `cmd` as `Run::of` does, watching it and whatever it starts.
    #[cfg(windows)]
    pub fn run(cmd: &mut std::process::Command) -> (Run, Exits) {
        let (out, job) = job::output(cmd);
        (Run::from(out), Exits { job })
    }

    /// Whether the command and everything it started exited within `timeout`.
    #[cfg(unix)]
    pub fn wait(&self, timeout: Duration) -> bool {
        // Disconnected: an earlier wait already took the news.
        !matches!(self.gone.recv_timeout(timeout), Err(std::sync::mpsc::RecvTimeoutError::Timeout))
    }

    /// Whether the command and everything it started exited within `timeout`.
    #[cfg(windows)]
    pub fn wait(&self, timeout: Duration) -> bool {
        wait_until(timeout, || self.job.active() == 0)
    }
}

#[cfg(windows)]
mod job {
    use std::os::windows::io::AsRawHandle;
    use std::os::windows::process::CommandExt;
    use std::process::{Command, Output, Stdio};
    use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};
    use windows_sys::Win32::System::JobObjects::{
        AssignProcessToJobObject, CreateJobObjectW, JobObjectBasicAccountingInformation, QueryInformationJobObject,
        JOBOBJECT_BASIC_ACCOUNTING_INFORMATION,
    };

    // Not in windows-sys: resumes every thread of a process (here its only one, still suspended
    // at its start). In ntdll since Windows XP; Wine has it.
    #[link(name = "ntdll", kind = "raw-dylib")]
    extern "system" {
        fn NtResumeProcess(process: HANDLE) -> i32;
    }

    const CREATE_SUSPENDED: u32 = 0x0000_0004;

    pub struct Job(HANDLE);

    // SAFETY: a job handle may be used from any thread.
    unsafe impl Send for Job {}
    // SAFETY: the calls on it (query) are safe from several threads at once.
    unsafe impl Sync for Job {}

    impl Job {
        /// How many processes in the job are still running.
        pub fn active(&self) -> u32 {
            // SAFETY: a zeroed plain-data struct is a valid out-parameter of its own size.
            let mut info: JOBOBJECT_BASIC_ACCOUNTING_INFORMATION = unsafe { std::mem::zeroed() };
            // SAFETY: self.0 is a job handle we own; info is writable for its size.
            let ok = unsafe {
                QueryInformationJobObject(
                    self.0,
                    JobObjectBasicAccountingInformation,
                    (&raw mut info).cast(),
                    size_of_val(&info) as u32,
                    std::ptr::null_mut(),
                )
            };
            assert!(ok != 0, "QueryInformationJobObject: {}", std::io::Error::last_os_error());
            info.ActiveProcesses
        }
    }

    impl Drop for Job {
        fn drop(&mut self) {
            // SAFETY: closes the handle CreateJobObjectW gave us, once.
            unsafe { CloseHandle(self.0) };
        }
    }

    /// `cmd.output()`, with the process in a new job before it runs its first instruction, so
    /// nothing it starts can escape the count.
    pub fn output(cmd: &mut Command) -> (Output, Job) {
        // SAFETY: no security attributes, no name: a new private job.
        let job = Job(unsafe { CreateJobObjectW(std::ptr::null(), std::ptr::null()) });
        assert!(!job.0.is_null(), "CreateJobObjectW: {}", std::io::Error::last_os_error());
        cmd.creation_flags(CREATE_SUSPENDED).stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = super::started(|| cmd.spawn()).expect("run ssofresh");
        let process = child.as_raw_handle() as HANDLE;
        // SAFETY: both handles are open; the process is ours and suspended.
        let assigned = unsafe { AssignProcessToJobObject(job.0, process) };
        assert!(assigned != 0, "AssignProcessToJobObject: {}", std::io::Error::last_os_error());
        // SAFETY: the process handle is open and has PROCESS_SUSPEND_RESUME (we created it).
        let status = unsafe { NtResumeProcess(process) };
        assert!(status >= 0, "NtResumeProcess: {status:#x}");
        (child.wait_with_output().expect("wait for ssofresh"), job)
    }
}

/// `start()`, tried again when Wine failed to create the process: its CreateProcess now and then
/// returns ERROR_INTERNAL_ERROR under load (3 times in some 10,000 starts here). Nothing ran
/// then, so a second try changes nothing a test looks at; any other error, and a third such
/// failure, is returned.
pub fn started<T>(mut start: impl FnMut() -> std::io::Result<T>) -> std::io::Result<T> {
    let mut tries = 0;
    loop {
        match start() {
            Err(e) if cfg!(windows) && e.raw_os_error() == Some(1359) && tries < 2 => {
                tries += 1;
                thread::sleep(Duration::from_millis(100));
            }
            result => return result,
        }
    }
}

/// Whether a tool the tests drive is installed. In CI a missing tool fails the run; on a
/// developer's machine the test is skipped with a notice.
pub fn require_tool(name: &str) -> bool {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var_os("CI").is_some() {
            panic!("{name} is not installed; .ci/run must install it");
        }
        eprintln!("notice: {name} not installed; skipping this test (CI fails instead)");
    }
    found
}

/// Polls `done` every 20 ms until it holds or `timeout` passes; returns whether it held.
pub fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    loop {
        if done() {
            return true;
        }
        if start.elapsed() >= timeout {
            return false;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Every file under `dir`, relative to it, sorted: to show a command wrote nothing else.
pub fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() && !p.is_symlink() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// `Exits` is what the tests of absence stand on: it must see a background process through.
#[cfg(unix)]
#[test]
fn exits_waits_for_the_background_processes_a_command_starts() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("marker");
    let mut sh = std::process::Command::new("sh");
    // Not holding stdout or stderr, which Run::of would wait for anyway.
    sh.args(["-c", "(sleep 0.3; touch \"$1\") >/dev/null 2>&1 &", "sh"]).arg(&marker);
    let run = Run::of_all(&mut sh);
    assert_eq!(run.code, 0);
    assert!(marker.exists(), "returned before the background process ended");

    let mut sh = std::process::Command::new("sh");
    sh.args(["-c", "sleep 2 >/dev/null 2>&1 &"]);
    let (run, exits) = Exits::run(&mut sh);
    assert_eq!(run.code, 0);
    assert!(!exits.wait(Duration::from_millis(200)), "did not wait for the background process");
}

/// The same through the refresh `ssofresh hook` starts detached (on Windows too, where it has
/// no console and its own process group): still running while the stub holds its answer,
/// gone once it has written the token.
#[test]
fn exits_waits_for_the_refresh_the_hook_starts() {
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    let answer = Gate::new();
    let stub = Stub::always(Reply::token(NEW_ACCESS, None, 3600).until(&answer));
    let (run, exits) = Exits::run(home.cmd_at(&stub.url).arg("hook"));
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    assert!(wait_until(Duration::from_secs(10), || stub.count("/token") == 1), "no refresh started");
    assert!(!exits.wait(Duration::from_millis(200)), "did not wait for the detached refresh");
    answer.open();
    assert!(exits.wait(Duration::from_secs(20)), "the refresh did not end");
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS, "ended before it wrote the token");
}
