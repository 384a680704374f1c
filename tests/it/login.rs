//! `ssofresh login` and `ssofresh logout` end to end, against a loopback stub of SSO-OIDC (and of
//! the portal and STS for the AWS CLI check), with a temporary HOME. The test plays the user:
//! it reads what login prints, and for the browser flow it is the browser.

use crate::common::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

const DEVICE_CODE: &str = "dc-SECRETMARK-device-code";
const AUTH_CODE: &str = "ac-SECRETMARK-auth-code";
const USER_CODE: &str = "WDJB-MJHT";
const VERIFY_URI: &str = "https://device.sso.us-east-1.amazonaws.com/";
const START_URL: &str = "https://corp.awsapps.com/start";
const ROLE_AKID: &str = "ASIASTUBROLEKEY";
const ROLE_SECRET: &str = "rs-SECRETMARK-role-secret";
const ROLE_SESSION: &str = "rt-SECRETMARK-role-session";
/// Polling waits are multiplied by this (SSOFRESH_TEST_WAIT_SCALE): interval 1 s → 100 ms.
const SCALE: f64 = 0.1;

/// What the fake Identity Center knows and saw.
#[derive(Default)]
struct Idc {
    /// Answers to successive device-code polls: pending, slow_down, ok, expired, denied.
    polls: Mutex<Vec<&'static str>>,
    poll_count: AtomicUsize,
    poll_times: Mutex<Vec<Instant>>,
    interval: Mutex<i64>,
    device_expires_in: Mutex<i64>,
    /// The PKCE challenge the browser saw in the authorize URL, and the redirect it used.
    challenge: Mutex<Option<String>>,
    redirect_uri: Mutex<Option<String>>,
    registrations: AtomicUsize,
    /// 200 or 401 for the portal's logout.
    logout_status: Mutex<u16>,
}

fn idc(polls: Vec<&'static str>) -> Arc<Idc> {
    let i = Idc::default();
    *i.polls.lock().unwrap() = polls;
    *i.interval.lock().unwrap() = 1;
    *i.device_expires_in.lock().unwrap() = 600;
    *i.logout_status.lock().unwrap() = 200;
    Arc::new(i)
}

fn epoch(offset: i64) -> i64 {
    chrono::Utc::now().timestamp() + offset
}

fn pkce_challenge(verifier: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// SSO-OIDC, the portal and STS on one loopback port.
fn stub(state: &Arc<Idc>) -> Stub {
    let s = state.clone();
    Stub::start(move |req, _| {
        let path = req.path.split('?').next().unwrap_or("");
        match (req.method.as_str(), path) {
            ("POST", "/client/register") => {
                let n = s.registrations.fetch_add(1, Ordering::SeqCst);
                Reply::json(200, json!({
                    "clientId": format!("client-{n}"),
                    "clientSecret": format!("cs-SECRETMARK-{n}"),
                    "clientIdIssuedAt": epoch(0),
                    "clientSecretExpiresAt": epoch(90 * 86400),
                }))
            }
            ("POST", "/device_authorization") => Reply::json(200, json!({
                "deviceCode": DEVICE_CODE,
                "userCode": USER_CODE,
                "verificationUri": VERIFY_URI,
                "verificationUriComplete": format!("{VERIFY_URI}?user_code={USER_CODE}"),
                "expiresIn": *s.device_expires_in.lock().unwrap(),
                "interval": *s.interval.lock().unwrap(),
            })),
            ("POST", "/token") => {
                let body = req.json();
                match body["grantType"].as_str().unwrap_or("") {
                    "urn:ietf:params:oauth:grant-type:device_code" => {
                        assert_eq!(body["deviceCode"], DEVICE_CODE);
                        s.poll_times.lock().unwrap().push(Instant::now());
                        let n = s.poll_count.fetch_add(1, Ordering::SeqCst);
                        let polls = s.polls.lock().unwrap();
                        match polls[n.min(polls.len() - 1)] {
                            "pending" => Reply::oidc_error(400, "authorization_pending", "AuthorizationPendingException"),
                            "slow_down" => Reply::oidc_error(400, "slow_down", "SlowDownException"),
                            "expired" => Reply::oidc_error(400, "expired_token", "ExpiredTokenException"),
                            "denied" => Reply::oidc_error(400, "access_denied", "AccessDeniedException"),
                            _ => Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600),
                        }
                    }
                    "authorization_code" => {
                        // The authorization server's check: the verifier hashes to the
                        // challenge the browser brought, for the code it issued.
                        let verifier = body["codeVerifier"].as_str().unwrap_or("");
                        let ok = body["code"] == AUTH_CODE
                            && Some(pkce_challenge(verifier)) == *s.challenge.lock().unwrap()
                            && body["redirectUri"].as_str() == s.redirect_uri.lock().unwrap().as_deref();
                        if ok {
                            Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600)
                        } else {
                            Reply::oidc_error(400, "invalid_grant", "InvalidGrantException")
                        }
                    }
                    "refresh_token" => Reply::token("aoa-SECRETMARK-refreshed", Some("aor-SECRETMARK-refreshed"), 3600),
                    other => panic!("unexpected grant {other}"),
                }
            }
            ("GET", "/federation/credentials") => {
                if req.header("x-amz-sso_bearer_token") != Some(NEW_ACCESS) {
                    return Reply::portal_error(401, "UnauthorizedException", "Session token not found or invalid");
                }
                Reply::json(200, json!({"roleCredentials": {
                    "accessKeyId": ROLE_AKID,
                    "secretAccessKey": ROLE_SECRET,
                    "sessionToken": ROLE_SESSION,
                    "expiration": epoch(3600) * 1000,
                }}))
            }
            ("POST", "/logout") => match *s.logout_status.lock().unwrap() {
                // As the portal says it: UnauthorizedException.
                401 => Reply::portal_error(401, "UnauthorizedException", "Session token not found or invalid"),
                status => Reply::json(status, json!({})),
            },
            ("POST", "/") => Reply::raw(
                200,
                "text/xml",
                "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>\
                 <Arn>arn:aws:sts::111122223333:assumed-role/Dev/stub-user</Arn><UserId>AROASTUB:stub-user</UserId>\
                 <Account>111122223333</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId>\
                 </ResponseMetadata></GetCallerIdentityResponse>",
            ),
            _ => Reply::json(404, json!({"message": "no such path in the stub"})),
        }
    })
}

fn login(home: &Home, url: &str) -> std::process::Command {
    let mut c = home.cmd_at(url);
    c.arg("login").env("SSOFRESH_TEST_WAIT_SCALE", SCALE.to_string());
    c
}

/// A login running in the background; its stderr is read line by line as it comes.
struct Live {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: Arc<Mutex<String>>,
    stdout: Arc<Mutex<String>>,
    /// The threads reading stderr and stdout: they end with the pipes.
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Live {
    fn spawn(cmd: &mut std::process::Command) -> Live {
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let (tx, lines) = mpsc::channel();
        let stderr = Arc::new(Mutex::new(String::new()));
        let stdout = Arc::new(Mutex::new(String::new()));
        let (err, all) = (child.stderr.take().unwrap(), stderr.clone());
        let err_reader = std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                all.lock().unwrap().push_str(&(line.clone() + "\n"));
                let _ = tx.send(line);
            }
        });
        let (mut out, all) = (child.stdout.take().unwrap(), stdout.clone());
        let out_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            all.lock().unwrap().push_str(&s);
        });
        Live { child, lines, stderr, stdout, readers: vec![err_reader, out_reader] }
    }

    /// The first stderr line that satisfies `pred`.
    fn line(&self, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) if pred(&l) => return l,
                Ok(_) => {}
                Err(_) => panic!("no such line; stderr so far:\n{}", self.stderr.lock().unwrap()),
            }
        }
    }

    fn finish(mut self) -> (std::process::ExitStatus, Run) {
        let status = self.child.wait().unwrap();
        for reader in self.readers.drain(..) {
            reader.join().unwrap();
        }
        let run = Run {
            code: status.code().unwrap_or(-1),
            stdout: self.stdout.lock().unwrap().clone(),
            stderr: self.stderr.lock().unwrap().clone(),
        };
        assert!(
            !run.stdout.contains(MARK) && !run.stderr.contains(MARK),
            "a secret reached the output:\n{}\n{}",
            run.stdout,
            run.stderr
        );
        (status, run)
    }
}

/// One GET as a browser sends it; returns the whole answer.
fn browse(url: &str) -> String {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/html\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn query(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(url).unwrap().query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// The AWS CLI v2's registration file for sso-session corp with sso:account:access.
fn registration_path(home: &Home) -> std::path::PathBuf {
    let key_text = format!(
        r#"{{"region": "us-east-1", "scopes": ["sso:account:access"], "session_name": "corp", "startUrl": "{START_URL}", "tool": "botocore"}}"#
    );
    home.cache_dir().join(format!("{}.json", sha1_hex(&key_text)))
}

fn cache_files(home: &Home) -> Vec<String> {
    cache_entries(&home.cache_dir())
}

fn activity(home: &Home) -> Vec<Value> {
    let p = home.activity_log();
    std::fs::read_to_string(p).unwrap_or_default().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn device_flow_through_pending_and_slow_down() {
    let home = Home::new();
    let idc = idc(vec!["pending", "slow_down", "pending", "ok"]);
    let stub = stub(&idc);
    let started = chrono::Utc::now();
    let run = Run::of(login(&home, &stub.url).args(["corp", "--use-device-code"]).env("SSOFRESH_LOG", "trace"));
    assert_eq!(run.code, 0, "{}", run.stderr);

    // What the user sees: the page, the code, then the result.
    assert!(run.stderr.contains(VERIFY_URI) && run.stderr.contains(USER_CODE), "{}", run.stderr);
    assert!(run.stdout.contains("Logged in to corp") && run.stdout.contains("Profiles: dev"), "{}", run.stdout);
    assert!(run.stdout.contains("valid until") && run.stdout.contains("session ends ~"), "{}", run.stdout);
    // Nothing here runs ssofresh: no promise to keep it fresh, but the line that sets it up.
    assert!(!run.stdout.contains("keeps the token fresh"), "{}", run.stdout);
    assert!(run.stdout.contains("Nothing runs ssofresh automatically"), "{}", run.stdout);

    // The requests, in AWS's shapes.
    let reqs = stub.requests();
    let paths: Vec<&str> = reqs.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/client/register", "/device_authorization", "/token", "/token", "/token", "/token"]);
    assert_eq!(
        reqs[0].json(),
        json!({"clientName": "ssofresh-corp", "clientType": "public", "scopes": ["sso:account:access"]})
    );
    assert_eq!(
        reqs[1].json(),
        json!({"clientId": "client-0", "clientSecret": "cs-SECRETMARK-0", "startUrl": START_URL})
    );
    assert_eq!(
        reqs[2].json(),
        json!({"clientId": "client-0", "clientSecret": "cs-SECRETMARK-0", "grantType": "urn:ietf:params:oauth:grant-type:device_code", "deviceCode": DEVICE_CODE})
    );

    // interval 1 s (×0.1), and 5 s more after slow_down.
    let t = idc.poll_times.lock().unwrap().clone();
    let gaps: Vec<u128> = t.windows(2).map(|w| (w[1] - w[0]).as_millis()).collect();
    assert!((90..590).contains(&gaps[0]), "before slow_down: {gaps:?}");
    assert!(gaps[1] >= 590 && gaps[2] >= 590, "after slow_down: {gaps:?}");

    // The cache as the AWS CLI writes it: eight fields, botocore bytes, 0600.
    let path = home.token_path("corp");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with(&format!(r#"{{"startUrl": "{START_URL}", "region": "us-east-1", "accessToken": ""#)),
        "{text}"
    );
    let t = home.read_token("corp");
    let keys: Vec<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "startUrl",
            "region",
            "accessToken",
            "expiresAt",
            "clientId",
            "clientSecret",
            "registrationExpiresAt",
            "refreshToken"
        ]
    );
    assert_eq!((t["accessToken"].as_str(), t["refreshToken"].as_str()), (Some(NEW_ACCESS), Some(NEW_REFRESH)));
    assert_eq!((t["clientId"].as_str(), t["clientSecret"].as_str()), (Some("client-0"), Some("cs-SECRETMARK-0")));
    for k in ["expiresAt", "registrationExpiresAt"] {
        let s = t[k].as_str().unwrap();
        assert!(s.len() == 20 && s.ends_with('Z'), "{k}: {s}");
    }
    let expires = chrono::DateTime::parse_from_rfc3339(t["expiresAt"].as_str().unwrap()).unwrap();
    assert!((3590..=3610).contains(&(expires.with_timezone(&chrono::Utc) - started).num_seconds()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // The registration, where and how the AWS CLI v2 keeps it; its expiry is the token's.
    let reg: Value = serde_json::from_slice(&std::fs::read(registration_path(&home)).unwrap()).unwrap();
    assert_eq!(reg["clientId"], "client-0");
    assert_eq!(reg["expiresAt"], t["registrationExpiresAt"]);
    assert_eq!(reg["scopes"], json!(["sso:account:access"]));
    assert!(reg.get("grantTypes").is_none(), "a device-flow registration has no grantTypes");
    assert_eq!(cache_files(&home).len(), 2, "{:?}", cache_files(&home));

    // The new login is recorded once: tick afterwards does not count it again.
    let logins = |h: &Home| activity(h).iter().filter(|e| e["event"] == "login_detected").count();
    assert_eq!(logins(&home), 1);
    assert_eq!(Run::of(home.cmd_at(&stub.url).arg("tick")).code, 0);
    assert_eq!(logins(&home), 1);
}

#[test]
fn a_login_clears_the_rejected_token_and_the_back_off() {
    let home = Home::new();
    home.write_token("corp", &token(-60));
    let state = home.state_dir().join(format!("sessions/{}.json", sha1_hex("corp")));
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    std::fs::write(
        &state,
        json!({"session": "corp", "failures": 3, "backoff_until": iso(3600),
               "rejected": {"refresh_token_fingerprint": "x", "error": "invalid_grant", "at": iso(-60)}})
        .to_string(),
    )
    .unwrap();
    let stub = stub(&idc(vec!["ok"]));
    assert_eq!(Run::of(login(&home, &stub.url).args(["--use-device-code"])).code, 0);
    let st: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(st["failures"], 0);
    assert!(st.get("backoff_until").is_none() && st.get("rejected").is_none(), "{st}");
    assert!(st["seen_login"].is_string() && st["login_at"].is_string(), "{st}");
    // The prompt hook's tick no longer backs off: it refreshes the new login when due.
    let run = Run::of(home.cmd_at(&stub.url).args(["tick", "--auto", "--threshold", "2h"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("refreshed"), "{}", run.stdout);
}

#[test]
fn the_registration_is_reused_until_a_day_before_it_expires() {
    let home = Home::new();
    let idc = idc(vec!["ok"]);
    let stub = stub(&idc);
    for _ in 0..2 {
        let run = Run::of(login(&home, &stub.url).args(["--use-device-code", "--force"]));
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    assert_eq!(stub.count("/client/register"), 1);
    let auths: Vec<Value> =
        stub.requests().iter().filter(|r| r.path == "/device_authorization").map(|r| r.json()).collect();
    assert_eq!(auths.len(), 2);
    assert!(auths.iter().all(|a| a["clientId"] == "client-0"));

    // Less than a day left: a new registration, which the token then carries.
    let path = registration_path(&home);
    let mut reg: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    reg["expiresAt"] = json!(iso(20 * 3600));
    std::fs::write(&path, reg.to_string()).unwrap();
    assert_eq!(Run::of(login(&home, &stub.url).args(["--use-device-code", "--force"])).code, 0);
    assert_eq!(stub.count("/client/register"), 2);
    assert_eq!(home.read_token("corp")["clientId"], "client-1");
}

#[test]
fn the_new_token_is_refreshed_by_tick() {
    let home = Home::new();
    let stub = stub(&idc(vec!["ok"]));
    assert_eq!(Run::of(login(&home, &stub.url).args(["--use-device-code"])).code, 0);
    // An hour left is inside a 2 h threshold: due.
    let run = Run::of(home.cmd_at(&stub.url).args(["tick", "--threshold", "2h"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("corp: refreshed"), "{}", run.stdout);
    let refresh = stub.requests().into_iter().rfind(|r| r.path == "/token").unwrap().json();
    assert_eq!(
        refresh,
        json!({"clientId": "client-0", "clientSecret": "cs-SECRETMARK-0", "grantType": "refresh_token", "refreshToken": NEW_REFRESH})
    );
    assert_eq!(home.read_token("corp")["accessToken"], "aoa-SECRETMARK-refreshed");
}

#[test]
fn expired_and_denied_authorizations_write_nothing() {
    for (polls, expires_in, needle) in [
        (vec!["pending", "expired"], 600, "expired"),
        (vec!["denied"], 600, "denied"),
        // The authorization runs out on our side too (3 s ×0.1), without the endpoint saying so.
        (vec!["pending"], 3, "expired"),
    ] {
        let home = Home::new();
        // Expired, and no refresh token: only a login helps (login would refresh one first).
        let mut old = token(-60);
        old.as_object_mut().unwrap().remove("refreshToken");
        let before = home.write_token("corp", &old);
        let before_bytes = std::fs::read(&before).unwrap();
        let idc = idc(polls.clone());
        *idc.device_expires_in.lock().unwrap() = expires_in;
        let stub = stub(&idc);
        let run = Run::of(login(&home, &stub.url).args(["--use-device-code"]));
        assert_eq!(run.code, 3, "{polls:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(needle) && run.stderr.contains("corp") && run.stderr.contains("not changed"),
            "{polls:?}: {}",
            run.stderr
        );
        assert_eq!(std::fs::read(&before).unwrap(), before_bytes, "{polls:?}");
        // Only the (complete) registration was added; no temp files.
        let files = cache_files(&home);
        assert_eq!(files.len(), 2, "{files:?}");
        assert!(!activity(&home).iter().any(|e| e["event"] == "login_detected"), "{polls:?}");
        assert!(idc.poll_count.load(Ordering::SeqCst) < 10, "{polls:?}: kept polling");
    }
}

// Not on Windows: the fake browser ($BROWSER) is a sh script; Windows logs in with the device code here.
#[cfg(not(windows))]
#[test]
fn browser_flow_with_pkce() {
    let home = Home::new();
    let idc = idc(vec![]);
    let stub = stub(&idc);
    // $BROWSER is how the user names their browser; here it hands the URL to the test.
    let opened = home.path().join("opened-url");
    let script = home.path().join("browser.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}.tmp' && mv '{0}.tmp' '{0}'\n", opened.display()),
    )
    .unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();

    let live = Live::spawn(login(&home, &stub.url).env("BROWSER", &script).env("SSOFRESH_LOG", "trace"));
    live.line(|l| l.contains("Waiting for the sign-in"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !opened.exists() {
        assert!(Instant::now() < deadline, "the browser was not started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = std::fs::read_to_string(&opened).unwrap();
    assert!(url.starts_with(&format!("{}/authorize?", stub.url)), "{url}");
    let q = query(&url);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], "client-0");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["scopes"], "sso:account:access");
    assert_eq!(q["code_challenge"].len(), 43);
    assert!(!url.contains("code_challenge=") || !url.contains("%3D"), "no padding: {url}");
    let redirect = &q["redirect_uri"];
    assert!(redirect.starts_with("http://127.0.0.1:") && redirect.ends_with("/oauth/callback"), "{redirect}");
    assert_ne!(redirect, "http://127.0.0.1:0/oauth/callback");
    assert_eq!(q["state"].len(), 36);

    // The user signs in; the authorization server redirects back with a code.
    *idc.challenge.lock().unwrap() = Some(q["code_challenge"].clone());
    *idc.redirect_uri.lock().unwrap() = Some(redirect.clone());
    let page = browse(&format!("{redirect}?code={AUTH_CODE}&state={}", q["state"]));
    assert!(page.starts_with("HTTP/1.1 200") && page.contains("close this tab"), "{page}");
    let (_, run) = live.finish();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Logged in to corp"), "{}", run.stdout);

    let reqs = stub.requests();
    let register = reqs.iter().find(|r| r.path == "/client/register").unwrap().json();
    assert_eq!(
        register,
        json!({"clientName": "ssofresh-corp", "clientType": "public", "scopes": ["sso:account:access"],
               "grantTypes": ["authorization_code", "refresh_token"], "redirectUris": ["http://127.0.0.1/oauth/callback"],
               "issuerUrl": START_URL})
    );
    let exchange = reqs.iter().find(|r| r.path == "/token").unwrap().json();
    assert_eq!(exchange["grantType"], "authorization_code");
    assert_eq!(exchange["redirectUri"], json!(redirect));
    assert_eq!(pkce_challenge(exchange["codeVerifier"].as_str().unwrap()), q["code_challenge"]);
    assert_eq!(stub.count("/device_authorization"), 0);
    let t = home.read_token("corp");
    assert_eq!((t["accessToken"].as_str(), t["refreshToken"].as_str()), (Some(NEW_ACCESS), Some(NEW_REFRESH)));
    let reg: Value = serde_json::from_slice(&std::fs::read(registration_path(&home)).unwrap()).unwrap();
    assert_eq!(reg["grantTypes"], json!(["authorization_code", "refresh_token"]));

    // A device-code login after it needs a registration of its own (as with the AWS CLI).
    *idc.polls.lock().unwrap() = vec!["ok"];
    assert_eq!(Run::of(login(&home, &stub.url).args(["--use-device-code", "--force"])).code, 0);
    assert_eq!(stub.count("/client/register"), 2);
}

#[test]
fn a_callback_with_the_wrong_state_is_rejected() {
    let home = Home::new();
    let idc = idc(vec![]);
    let stub = stub(&idc);
    // --no-browser prints the URL: the hook for a browser elsewhere on this machine.
    let live = Live::spawn(login(&home, &stub.url).args(["--flow", "auth-code", "--no-browser"]));
    let url = live.line(|l| l.contains("/authorize?")).trim().to_string();
    let q = query(&url);
    *idc.challenge.lock().unwrap() = Some(q["code_challenge"].clone());
    *idc.redirect_uri.lock().unwrap() = Some(q["redirect_uri"].clone());

    let page = browse(&format!("{}?code={AUTH_CODE}&state=forged-state", q["redirect_uri"]));
    assert!(page.starts_with("HTTP/1.1 400"), "{page}");
    live.line(|l| l.contains("ignored a callback with the wrong state"));
    assert_eq!(stub.count("/token"), 0, "the forged callback's code was not exchanged");
    assert!(!home.token_path("corp").exists());

    // The real redirect still completes the login.
    let page = browse(&format!("{}?code={AUTH_CODE}&state={}", q["redirect_uri"], q["state"]));
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    let (_, run) = live.finish();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(stub.count("/token"), 1);
}

#[test]
fn browser_flow_denied_or_timed_out_writes_nothing() {
    let home = Home::new();
    let stub = stub(&idc(vec![]));
    let live = Live::spawn(login(&home, &stub.url).args(["--flow", "auth-code", "--no-browser"]));
    let q = query(live.line(|l| l.contains("/authorize?")).trim());
    let page = browse(&format!(
        "{}?error=access_denied&error_description=User+said+no&state={}",
        q["redirect_uri"], q["state"]
    ));
    assert!(page.contains("not completed"), "{page}");
    let (_, run) = live.finish();
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("denied") && run.stderr.contains("User said no"), "{}", run.stderr);

    let started = Instant::now();
    let run = Run::of(login(&home, &stub.url).args(["--flow", "auth-code", "--no-browser", "--login-timeout", "1s"]));
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("no sign-in arrived within 1s") && run.stderr.contains("--use-device-code"),
        "{}",
        run.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(8));
    assert!(!home.token_path("corp").exists());
    assert_eq!(stub.count("/token"), 0);
}

#[test]
fn concurrent_logins_make_one_device_authorization() {
    let home = Home::new();
    let idc = idc([vec!["pending"; 15], vec!["ok"]].concat());
    let stub = stub(&idc);
    let first = Live::spawn(login(&home, &stub.url).args(["--use-device-code"]));
    first.line(|l| l.contains(USER_CODE));
    let second = Live::spawn(login(&home, &stub.url).args(["--use-device-code"]));
    second.line(|l| l.contains("another ssofresh login is in progress"));
    let (_, a) = first.finish();
    let (_, b) = second.finish();
    assert_eq!((a.code, b.code), (0, 0), "{}\n{}", a.stderr, b.stderr);
    assert!(b.stdout.contains("Logged in to corp by the other ssofresh login"), "{}", b.stdout);
    assert!(!b.stderr.contains(USER_CODE), "the second login sent nobody to the browser");
    assert_eq!(stub.count("/device_authorization"), 1);
    assert_eq!(stub.count("/client/register"), 1);
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS);
}

#[cfg(unix)]
#[test]
fn ctrl_c_leaves_nothing_behind() {
    use std::os::unix::process::ExitStatusExt;
    let home = Home::new();
    let stub = stub(&idc(vec!["pending"]));
    let live = Live::spawn(login(&home, &stub.url).args(["--use-device-code"]));
    live.line(|l| l.contains(USER_CODE));
    // Interrupted while it polls.
    assert!(wait_until(Duration::from_secs(5), || stub.count("/token") > 0), "no poll");
    assert!(std::process::Command::new("kill")
        .args(["-INT", &live.child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let (status, run) = live.finish();
    assert_eq!(status.signal(), Some(2), "ended by the signal: {status:?} {}", run.stderr);
    assert!(run.stderr.contains("login cancelled"), "{}", run.stderr);
    assert!(!home.token_path("corp").exists());
    assert_eq!(cache_files(&home), [registration_path(&home).file_name().unwrap().to_string_lossy().into_owned()]);
    // The login lock went with the process.
    let stub = stub_ok();
    assert_eq!(Run::of(login(&home, &stub.url).args(["--use-device-code"])).code, 0);
}

/// A login started with SIGINT ignored (`nohup`, a script's background job) keeps ignoring it:
/// that Ctrl-C was meant for the foreground.
#[cfg(unix)]
#[test]
fn an_ignored_ctrl_c_stays_ignored() {
    use std::os::unix::process::CommandExt;
    let home = Home::new();
    let stub = stub(&idc(vec!["pending", "pending", "ok"]));
    let mut cmd = login(&home, &stub.url);
    cmd.arg("--use-device-code");
    // SAFETY: only signal(), which is async-signal-safe, between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_IGN);
            Ok(())
        });
    }
    let live = Live::spawn(&mut cmd);
    live.line(|l| l.contains(USER_CODE));
    assert!(wait_until(Duration::from_secs(5), || stub.count("/token") > 0), "no poll");
    // SAFETY: kill with our own child's pid and a valid signal.
    assert_eq!(unsafe { libc::kill(live.child.id() as i32, libc::SIGINT) }, 0);
    let (status, run) = live.finish();
    assert_eq!(status.code(), Some(0), "{}", run.stderr);
    assert!(!run.stderr.contains("login cancelled"), "{}", run.stderr);
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS);
}

/// A Ctrl-C after the sign-in succeeded waits until the token, state and log are all saved.
#[cfg(unix)]
#[test]
fn ctrl_c_while_saving_lets_the_save_finish() {
    use std::os::unix::process::ExitStatusExt;
    let home = Home::new();
    let stub = stub_ok();
    // A refresh holds the session's lock, so the login has to wait for it before writing.
    let held = ssofresh::sys::lock::acquire(&home.lock_path("corp"), Duration::ZERO).unwrap().unwrap();
    let mut live =
        Live::spawn(login(&home, &stub.url).args(["--use-device-code"]).env("SSOFRESH_LOG", "ssofresh=debug"));
    // Logged once the Ctrl-C guard is up, right before the lock is taken.
    live.line(|l| l.contains("taking the refresh lock"));
    assert!(std::process::Command::new("kill")
        .args(["-INT", &live.child.id().to_string()])
        .status()
        .unwrap()
        .success());
    assert!(signal_taken(live.child.id(), 2), "SIGINT still pending");
    assert!(live.child.try_wait().unwrap().is_none(), "still saving");
    assert!(!home.token_path("corp").exists());
    drop(held);
    let (status, run) = live.finish();
    assert_eq!(status.signal(), Some(2), "{status:?}: {}", run.stderr);
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS);
    assert!(activity(&home).iter().any(|e| e["event"] == "login_detected"));
    assert_eq!(cache_files(&home).len(), 2, "no temp file: {:?}", cache_files(&home));
}

/// Waits until process `pid` has taken delivery of signal `sig` (it is no longer pending): its
/// handler has run, or is running. Linux shows a process's pending signals in /proc; elsewhere
/// a pause stands in.
#[cfg(unix)]
fn signal_taken(pid: u32, sig: u32) -> bool {
    if cfg!(target_os = "linux") {
        let pending = |line: &str| u64::from_str_radix(line[7..].trim(), 16).map_or(true, |m| m & 1 << (sig - 1) != 0);
        // A process that is gone (and reaped) has no status: nothing is pending for it.
        return wait_until(Duration::from_secs(5), || {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            !status.lines().any(|l| (l.starts_with("SigPnd:") || l.starts_with("ShdPnd:")) && pending(l))
        });
    }
    std::thread::sleep(Duration::from_millis(300));
    true
}

fn stub_ok() -> Stub {
    stub(&idc(vec!["ok"]))
}

/// A login is not lost to a cache file that Python's `open()` (botocore reading the token)
/// holds: Windows refuses the rename, and the new token is written in place instead.
#[cfg(windows)]
#[test]
fn a_login_into_a_cache_another_program_holds_open_is_saved() {
    use std::os::windows::fs::OpenOptionsExt;
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    let stub = stub_ok();
    // FILE_SHARE_READ | FILE_SHARE_WRITE: CPython's sharing.
    let held = std::fs::OpenOptions::new().read(true).share_mode(0x1 | 0x2).open(home.token_path("corp")).unwrap();
    let run = Run::of(login(&home, &stub.url).args(["--use-device-code", "--force"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS);
    assert_eq!(cache_files(&home).iter().filter(|f| f.ends_with(".tmp")).count(), 0, "{:?}", cache_files(&home));
    drop(held);
}

/// `ssofresh login | head -c0`: the login is saved, then the summary meets a closed pipe, which
/// ends the command quietly with exit 0 (it used to panic, and abort in release builds).
#[test]
fn a_reader_that_is_gone_does_not_undo_or_crash_a_login() {
    let home = Home::new();
    let stub = stub_ok();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out =
        login(&home, &stub.url).args(["--use-device-code"]).stdout(writer).stderr(Stdio::piped()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("failed printing") && !stderr.contains(MARK), "{stderr}");
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS);
}

#[test]
fn which_session_to_log_in_to() {
    let home = Home::new();
    home.config(&format!(
        "{CONFIG}\n[profile other-dev]\nsso_session = other\nsso_account_id = 1\nsso_role_name = R\n\
         [sso-session other]\nsso_start_url = https://other.awsapps.com/start\nsso_region = eu-west-1\n\
         [sso-session broken]\nsso_region = eu-west-1\n"
    ));
    let stub = stub_ok();
    let run = Run::of(&mut login(&home, &stub.url));
    assert_eq!(run.code, 2, "{}", run.stderr);
    for name in ["ssofresh login corp", "ssofresh login other", "ssofresh login --profile old", "profiles: dev"] {
        assert!(run.stderr.contains(name), "{name}: {}", run.stderr);
    }
    for (args, env, needle) in [
        (vec!["nope"], None, "unknown sso-session 'nope'"),
        (vec!["dev"], None, "--profile dev"),
        (vec!["--profile", "static"], None, "no SSO settings"),
        (vec!["broken"], None, "no sso_start_url"),
        (vec![], Some("nobody"), "AWS_PROFILE=nobody"),
    ] {
        let mut c = login(&home, &stub.url);
        c.args(&args);
        if let Some(p) = env {
            c.env("AWS_PROFILE", p);
        }
        let run = Run::of(&mut c);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
    assert!(stub.requests().is_empty(), "no request before the session is known");

    // AWS_PROFILE picks the session; --profile too.
    let run = Run::of(login(&home, &stub.url).args(["--use-device-code"]).env("AWS_PROFILE", "other-dev"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Logged in to other") && run.stdout.contains("other-dev"), "{}", run.stdout);
    assert!(home.token_path("other").exists() && !home.token_path("corp").exists());
    let run = Run::of(login(&home, &stub.url).args(["--use-device-code", "--profile", "dev"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(home.token_path("corp").exists());
}

#[test]
fn legacy_profiles_log_in_with_the_device_code() {
    let home = Home::new();
    let stub = stub_ok();
    let run = Run::of(login(&home, &stub.url).args(["--profile", "old", "--flow", "auth-code", "--no-browser"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("device code") && run.stderr.contains(USER_CODE), "{}", run.stderr);
    assert!(run.stdout.contains("Legacy profile") && run.stdout.contains("sso-session"), "{}", run.stdout);
    let register = stub.requests()[0].json();
    assert!(register.get("scopes").is_none(), "legacy registrations have no scopes: {register}");
    let t = home.read_token("https://old.awsapps.com/start");
    assert_eq!(t["startUrl"], "https://old.awsapps.com/start");
    assert_eq!(t["accessToken"], NEW_ACCESS);
    // The refresh engine still leaves it alone, and names the login command.
    let run = Run::of(home.cmd_at(&stub.url).args(["tick", "--profile", "old", "--threshold", "2h"]));
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("ssofresh login --profile old"), "{}", run.stderr);
}

/// The role-credential cache file the AWS CLI v2 would write for profile dev.
fn role_cache_file(home: &Home, session: &str) -> std::path::PathBuf {
    let key = sha1_hex(&format!(r#"{{"accountId":"111122223333","roleName":"Dev","sessionName":"{session}"}}"#));
    home.path().join(format!(".aws/cli/cache/{key}.json"))
}

fn role_cache_entry() -> String {
    json!({"ProviderType": "sso", "Credentials": {"AccessKeyId": ROLE_AKID, "SecretAccessKey": ROLE_SECRET,
        "SessionToken": ROLE_SESSION, "Expiration": iso(3600), "AccountId": "111122223333"}})
    .to_string()
}

#[test]
fn logout_signs_out_and_removes_what_the_session_left() {
    let home = Home::new();
    let idc = idc(vec!["ok"]);
    let stub = stub(&idc);
    assert_eq!(Run::of(login(&home, &stub.url).args(["--use-device-code"])).code, 0);
    let mine = role_cache_file(&home, "corp");
    let others = role_cache_file(&home, "elsewhere");
    let not_sso = home.path().join(".aws/cli/cache/assume-role.json");
    std::fs::create_dir_all(mine.parent().unwrap()).unwrap();
    std::fs::write(&mine, role_cache_entry()).unwrap();
    std::fs::write(&others, role_cache_entry()).unwrap();
    std::fs::write(&not_sso, r#"{"Credentials": {}}"#).unwrap();

    let run = Run::of(home.cmd().arg("logout").env("AWS_ENDPOINT_URL_SSO", &stub.url).env("SSOFRESH_LOG", "trace"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("Logged out of corp") && run.stdout.contains("signed out at the portal"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("1 cached role credential"), "{}", run.stdout);
    let portal = stub.requests().into_iter().find(|r| r.path == "/logout").expect("portal logout");
    assert_eq!((portal.method.as_str(), portal.header("x-amz-sso_bearer_token")), ("POST", Some(NEW_ACCESS)));
    assert!(!home.token_path("corp").exists() && !mine.exists());
    assert!(others.exists() && not_sso.exists(), "only this session's credentials go");
    assert!(registration_path(&home).exists(), "the client registration stays for the next login");
    assert!(activity(&home).iter().any(|e| e["event"] == "logout"));

    let run = Run::of(home.cmd_at(&stub.url).args(["tick", "--session", "corp"]));
    assert!(run.stderr.contains("not logged in") && run.stderr.contains("ssofresh login corp"), "{}", run.stderr);
    let run = Run::of(home.cmd().arg("logout").env("AWS_ENDPOINT_URL_SSO", &stub.url));
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("not logged in"), "{}", run.stdout);
    assert_eq!(stub.count("/logout"), 1, "no token, no portal call");

    // --all: every token, and every cached SSO role credential, as `aws sso logout` does.
    *idc.logout_status.lock().unwrap() = 401;
    assert_eq!(Run::of(login(&home, &stub.url).args(["--use-device-code"])).code, 0);
    let run = Run::of(home.cmd().args(["logout", "--all"]).env("AWS_ENDPOINT_URL_SSO", &stub.url));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("already ended"), "{}", run.stdout);
    assert!(!home.token_path("corp").exists() && !others.exists() && not_sso.exists());
}

#[test]
fn logout_without_the_portal_still_removes_the_token() {
    let home = Home::new();
    home.write_token("corp", &token(3600));
    let run = Run::of(home.cmd().args(["logout", "corp"]).env("AWS_ENDPOINT_URL_SSO", refused_url()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("could not sign out at the portal"), "{}", run.stderr);
    assert!(!home.token_path("corp").exists());
}

#[test]
fn nothing_else_starts_a_login() {
    let home = Home::new();
    let mut t = token(-60);
    t.as_object_mut().unwrap().remove("refreshToken");
    home.write_token("corp", &t);
    let stub = stub_ok();
    let opened = home.path().join("opened");
    let browser = format!("touch {}", opened.display());
    for args in [vec!["tick"], vec!["tick", "--auto"], vec!["tick", "--session", "corp"]] {
        let run = Run::of(home.cmd_at(&stub.url).args(&args).env("BROWSER", &browser).env("DISPLAY", ":0"));
        assert_eq!(run.code, 3, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("run: ssofresh login corp"), "{args:?}: {}", run.stderr);
    }
    assert!(stub.requests().is_empty());
    assert!(!opened.exists(), "no browser was opened");
}

/// `--no-browser`, as the AWS CLI v2 has it: the URL and the code are printed, and nothing is
/// opened, even where a browser could be (a desktop and $BROWSER).
// Not on Windows: the stand-in browser is `touch`.
#[cfg(not(windows))]
#[test]
fn no_browser_prints_the_url_and_code_and_opens_nothing() {
    let home = Home::new();
    let opened = home.path().join("opened");
    let browser = format!("touch {}", opened.display());
    for (args, env) in [(vec!["--no-browser"], None), (vec![], Some("true"))] {
        let stub = stub(&idc(vec!["pending", "ok"]));
        let mut c = login(&home, &stub.url);
        c.args(&args).args(["--sso-session", "corp"]).env("BROWSER", &browser).env("DISPLAY", ":0");
        if let Some(v) = env {
            c.env("SSOFRESH_NO_BROWSER", v);
        }
        let run = Run::of(&mut c);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(VERIFY_URI) && run.stderr.contains(USER_CODE), "{}", run.stderr);
        assert!(!run.stderr.contains("Opened the page"), "{}", run.stderr);
        assert_eq!(stub.count("/device_authorization"), 1, "the device code, which works from any device");
        assert!(!opened.exists(), "a browser was opened");
        std::fs::remove_file(home.token_path("corp")).unwrap();
    }
    // Without it, on the same desktop, the browser is opened (so the test above means something).
    let stub = stub(&idc(vec!["ok"]));
    let run =
        Run::of(login(&home, &stub.url).args(["--use-device-code"]).env("BROWSER", &browser).env("DISPLAY", ":0"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(opened.exists(), "{}", run.stderr);
}

/// The real AWS CLI (v1, botocore) reads the token login wrote: portal and STS are stubbed.
// Not on Windows: runs the AWS CLI, the Linux one from the CI virtual environment.
#[cfg(not(windows))]
#[test]
fn the_aws_cli_uses_the_new_token() {
    if !require_tool("aws") {
        return;
    }
    let home = Home::new();
    let stub = stub_ok();
    assert_eq!(Run::of(login(&home, &stub.url).args(["--use-device-code"])).code, 0);
    let out = std::process::Command::new("aws")
        .args(["sts", "get-caller-identity", "--profile", "dev", "--output", "json"])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_ENDPOINT_URL_SSO", &stub.url)
        .env("AWS_ENDPOINT_URL_STS", &stub.url)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "aws failed: {}", String::from_utf8_lossy(&out.stderr));
    let identity: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(identity["Account"], "111122223333");
    let reqs = stub.requests();
    let portal = reqs.iter().find(|r| r.path.starts_with("/federation/credentials")).expect("the portal was asked");
    assert_eq!(portal.header("x-amz-sso_bearer_token"), Some(NEW_ACCESS));
    assert!(
        portal.path.contains("account_id=111122223333") && portal.path.contains("role_name=Dev"),
        "{}",
        portal.path
    );
    let sts = reqs.iter().find(|r| r.path == "/").expect("STS was called");
    assert!(sts.header("authorization").unwrap_or("").contains(ROLE_AKID), "signed with the role credentials");
}

/// Sets a file's modification time `ago` seconds back, as a login that long ago left it.
fn written_ago(path: &std::path::Path, ago: u64) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(std::time::SystemTime::now() - Duration::from_secs(ago)).unwrap();
}

/// Issue #12: `login` on a valid session opens nothing, sends nothing, changes nothing and
/// exits 0, saying when the session ends; `--force` signs in.
#[test]
fn a_valid_session_needs_no_login_and_force_signs_in() {
    let home = Home::new();
    let idc = idc(vec!["ok"]);
    let stub = stub(&idc);
    // Another tool's login two hours ago; the token was refreshed since.
    written_ago(&home.write_token("corp", &token(50 * 60)), 2 * 3600);
    let opened = home.path().join("opened");
    let browser = format!("touch {}", opened.display());
    let before = snapshot(home.path());
    for args in [vec!["corp"], vec![], vec!["--profile", "dev"], vec!["corp", "--flow", "auth-code"]] {
        let run = Run::of(login(&home, &stub.url).args(&args).env("BROWSER", &browser).env("DISPLAY", ":0"));
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(
            run.stdout.starts_with("corp: already logged in; session ends ~")
                && run.stdout.contains("in 5h 59m (assumed: AWS's default of 8h); --force signs in again"),
            "{args:?}: {}",
            run.stdout
        );
    }
    assert!(stub.requests().is_empty(), "no request");
    assert!(!opened.exists(), "no browser");
    assert!(snapshot(home.path()) == before, "no file changed");
    // A stated duration is what it says.
    let run = Run::of(login(&home, &stub.url).arg("corp").env("SSOFRESH_SESSION_DURATION", "corp=12h"));
    assert!(run.stdout.contains("in 9h 59m (configured: 12h)"), "{}", run.stdout);

    let run = Run::of(login(&home, &stub.url).args(["corp", "--force", "--use-device-code"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Logged in to corp"), "{}", run.stdout);
    assert_eq!(stub.count("/device_authorization"), 1);
    assert_eq!(home.read_token("corp")["refreshToken"], NEW_REFRESH);
}

fn corp_status(home: &Home) -> Value {
    let run = Run::of(home.cmd().args(["status", "--json", "--session", "corp"]));
    serde_json::from_str::<Value>(&run.stdout).unwrap()["sessions"][0].clone()
}

/// Inside the warning window before the estimated end, `login` signs in again without
/// `--force` (the early login the warning asks for), and the estimate restarts from it.
#[test]
fn near_the_end_login_signs_in_again_and_the_estimate_restarts() {
    let home = Home::new();
    let stub = stub(&idc(vec!["ok"]));
    let old = home.write_token("corp", &token(50 * 60));
    written_ago(&old, 7 * 3600 + 45 * 60);
    let before = corp_status(&home);
    assert!(before["session_ends_in_seconds"].as_i64().unwrap() < 16 * 60, "{before}");
    let run = Run::of(login(&home, &stub.url).args(["corp", "--use-device-code"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("signing in again to start a new one"), "{}", run.stderr);
    assert!(run.stdout.contains("Logged in to corp") && run.stdout.contains("session ends ~"), "{}", run.stdout);
    let after = corp_status(&home);
    assert_eq!(after["login_at_basis"], "ssofresh_login");
    let left = after["session_ends_in_seconds"].as_i64().unwrap();
    assert!((8 * 3600 - 60..=8 * 3600).contains(&left), "8 hours from now: {after}");
    // A shorter warning window: the same session is not near its end yet.
    written_ago(&home.token_path("corp"), 0);
    let state = home.state_dir().join(format!("sessions/{}.json", sha1_hex("corp")));
    let mut st: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    st["login_at"] = json!(iso(-(7 * 3600 + 45 * 60)));
    std::fs::write(&state, st.to_string()).unwrap();
    let run = Run::of(login(&home, &stub.url).args(["corp", "--warn-before", "10m"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("already logged in"), "{}", run.stdout);
}

/// An access token that has expired, of a session still alive: login refreshes it instead of
/// sending the user to the browser.
#[test]
fn an_expired_token_of_a_live_session_is_refreshed_not_signed_in_again() {
    let home = Home::new();
    let stub = stub(&idc(vec!["ok"]));
    home.write_token("corp", &token(-10 * 60));
    let run = Run::of(login(&home, &stub.url).args(["corp", "--use-device-code"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("already logged in"), "{}", run.stdout);
    let paths: Vec<String> = stub.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/token"], "one refresh, no sign-in");
    assert_eq!(home.read_token("corp")["accessToken"], "aoa-SECRETMARK-refreshed");
}

/// After a login, what keeps the token fresh; when nothing does, the one line that sets it up
/// for the user's shell, not a promise. (Not on Windows: runs the line with `sh`.)
#[cfg(unix)]
#[test]
fn after_a_login_the_setup_line_for_the_users_shell() {
    let home = Home::new();
    let stub = stub(&idc(vec!["ok"]));
    let run_with = |shell: &str| {
        let run = Run::of(login(&home, &stub.url).args(["corp", "--use-device-code", "--force"]).env("SHELL", shell));
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
    };
    for (shell, line) in [
        ("/bin/zsh", r#"echo 'eval "$(ssofresh init zsh)"' >> ~/.zshrc"#),
        ("/usr/bin/bash", r#"echo 'eval "$(ssofresh init bash)"' >> ~/.bashrc"#),
        ("/usr/bin/fish", "echo 'ssofresh init fish | source' >> ~/.config/fish/config.fish"),
    ] {
        let out = run_with(shell);
        assert!(out.contains("Nothing runs ssofresh automatically") && out.contains(line), "{shell}: {out}");
        assert!(!out.contains("keeps the token fresh"), "{out}");
    }
    // The line works: after it, login says what keeps the token fresh.
    let line = r#"echo 'eval "$(ssofresh init zsh)"' >> ~/.zshrc"#;
    let sh = std::process::Command::new("sh").arg("-c").arg(line).env("HOME", home.path()).status().unwrap();
    assert!(sh.success());
    let out = run_with("/bin/zsh");
    assert!(out.contains("ssofresh keeps the token fresh until then (prompt hook in ~/.zshrc)"), "{out}");
    assert!(!out.contains("Nothing runs"), "{out}");
}
