//! What crosses the wire, and what ssofresh believes of it (issue #14): one deadline per
//! request, answers whose tokens could not be sent back, 401s that AWS did not name, regions
//! that are not host names, proxies, and clocks that disagree with the endpoint's.

use crate::common::aws::*;
use crate::common::*;
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn due_home() -> Home {
    let home = Home::new();
    home.write_token("corp", &token(4 * 60));
    home
}

/// Runs `args` against `stub` and checks the token cache is byte-identical afterwards.
fn unchanged(home: &Home, stub_url: &str, args: &[&str]) -> Run {
    unchanged_by(home, home.cmd_at(stub_url).args(args))
}

/// Runs `cmd` and checks the token cache is byte-identical afterwards.
fn unchanged_by(home: &Home, cmd: &mut std::process::Command) -> Run {
    let before = std::fs::read(home.token_path("corp")).unwrap();
    let run = Run::of(cmd.env("SSOFRESH_LOG", "trace"));
    assert_eq!(std::fs::read(home.token_path("corp")).unwrap(), before, "cache changed: {}", run.stderr);
    run
}

#[test]
fn a_dripping_answer_is_cut_off_at_the_timeout() {
    let home = due_home();
    // Headers at once, then one byte a second: a per-read timeout never fires.
    let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600).dripping(Duration::from_secs(1)));
    let started = Instant::now();
    let run = unchanged(&home, &stub.url, &["tick", "--timeout", "2s", "--max-retry-attempts", "0"]);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "a 2 s deadline took {took:?}");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("corp") && run.stderr.contains("timed out"), "{}", run.stderr);
    // The lock is free again: the next tick makes its own attempt.
    let stub2 = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600));
    assert_eq!(Run::of(home.cmd_at(&stub2.url).arg("tick")).code, 0);
    assert_eq!(home.read_token("corp")["accessToken"], NEW_ACCESS);
}

#[test]
fn an_empty_refresh_token_in_the_answer_keeps_the_old_one() {
    let home = due_home();
    let stub = Stub::always(Reply::token(NEW_ACCESS, Some(""), 3600));
    let run = Run::of(home.cmd_at(&stub.url).arg("tick"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let t = home.read_token("corp");
    assert_eq!((t["accessToken"].as_str(), t["refreshToken"].as_str()), (Some(NEW_ACCESS), Some(REFRESH)));
}

/// Tokens go back to AWS in a header or a JSON string: anything but visible ASCII is a broken
/// answer, and a broken answer changes nothing.
#[test]
fn tokens_that_could_not_be_sent_back_are_refused() {
    let cases = [
        ("CR/LF in the access token", Reply::token("aoa-SECRETMARK\r\nX-Injected: 1", Some(NEW_REFRESH), 3600)),
        ("space in the access token", Reply::token("aoa-SECRETMARK two", None, 3600)),
        ("non-ASCII access token", Reply::token("aoa-SECRETMARK-é", None, 3600)),
        ("LF in the refresh token", Reply::token(NEW_ACCESS, Some("aor-SECRETMARK\nx"), 3600)),
        ("NUL in the refresh token", Reply::token(NEW_ACCESS, Some("aor-SECRETMARK\u{0}"), 3600)),
    ];
    for (what, reply) in cases {
        let home = due_home();
        let stub = Stub::always(reply);
        let run = unchanged(&home, &stub.url, &["tick", "--max-retry-attempts", "0"]);
        assert_eq!(run.code, 1, "{what}: {}", run.stderr);
        assert!(run.stderr.contains("corp") && run.stderr.contains("not a usable token"), "{what}: {}", run.stderr);
        let state =
            std::fs::read_to_string(home.state_dir().join("sessions").join(format!("{}.json", sha1_hex("corp"))))
                .unwrap();
        assert!(state.contains("bad_response") && !state.contains("rejected"), "{what}: {state}");
    }
}

/// The same rule for what a login is handed: a client registration or a first token.
#[test]
fn login_refuses_registrations_and_tokens_that_could_not_be_sent_back() {
    for bad in ["register", "token"] {
        let home = Home::new();
        let stub = Stub::start(move |req, _| match req.path.as_str() {
            "/client/register" => Reply::json(
                200,
                json!({
                    "clientId": "client-1",
                    "clientSecret": if bad == "register" { "cs-SECRETMARK\r\nx" } else { CLIENT_SECRET },
                    "clientIdIssuedAt": 1,
                    "clientSecretExpiresAt": chrono::Utc::now().timestamp() + 90 * 86400,
                }),
            ),
            "/device_authorization" => Reply::json(
                200,
                json!({
                    "deviceCode": "dc-SECRETMARK", "userCode": "ABCD-EFGH",
                    "verificationUri": "https://device.sso.us-east-1.amazonaws.com/", "expiresIn": 600, "interval": 1,
                }),
            ),
            _ => Reply::token("aoa-SECRETMARK\nx", Some(NEW_REFRESH), 3600),
        });
        let run = Run::of(
            home.cmd_at(&stub.url)
                .args(["login", "--use-device-code", "--no-browser"])
                .env("SSOFRESH_TEST_WAIT_SCALE", "0.01"),
        );
        assert_eq!(run.code, 1, "{bad}: {}", run.stderr);
        assert!(run.stderr.contains("not a usable"), "{bad}: {}", run.stderr);
        assert!(!home.token_path("corp").exists(), "{bad}: a token was written");
        if bad == "register" {
            assert_eq!(stub.count("/device_authorization"), 0, "the bad registration was used");
            assert!(tree(&home.cache_dir()).is_empty(), "{:?}", tree(&home.cache_dir()));
        }
    }
}

/// A 401 that names no AWS error came from a proxy, firewall or captive portal: transient, and
/// the refresh token stays in use.
#[test]
fn a_bare_401_from_the_oidc_endpoint_is_transient() {
    for (what, reply) in [
        ("captive portal", Reply::raw(401, "text/html", "<html>Sign in to the hotel Wi-Fi</html>")),
        ("empty", Reply::raw(401, "text/plain", "")),
        ("JSON without an error", Reply::json(401, json!({"message": "Unauthorized"}))),
    ] {
        let home = due_home();
        let stub = Stub::always(reply);
        let run = unchanged(&home, &stub.url, &["tick", "--max-retry-attempts", "0"]);
        assert_eq!(run.code, 1, "{what}: {}", run.stderr);
        assert!(run.stderr.contains("corp") && run.stderr.contains("HTTP 401"), "{what}: {}", run.stderr);
        assert!(run.stderr.contains("proxy"), "{what}: {}", run.stderr);
        // The refresh token is not remembered as rejected: the next tick sends it again.
        let again = unchanged(&home, &stub.url, &["tick", "--max-retry-attempts", "0"]);
        assert_eq!(again.code, 1, "{what}: {}", again.stderr);
        assert_eq!(stub.count("/token"), 2, "{what}");
    }
}

#[test]
fn a_bare_401_from_the_portal_asks_for_no_login() {
    let home = Home::new();
    home.write_token("corp", &token(3600));
    let stub = aws_stub(
        |_, _| Reply::token(NEW_ACCESS, None, 3600),
        |_, _| Reply::raw(401, "text/html", "<html>Proxy authentication required</html>"),
    );
    let run = Run::of(home.cmd_aws(&stub.url).args(["credential-process", "--profile", "dev"]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("HTTP 401") && run.stderr.contains("proxy"), "{}", run.stderr);
    assert!(!run.stderr.contains("login"), "{}", run.stderr);
    assert_eq!(stub.count(TOKEN), 0, "no refresh for a token nobody rejected");

    // logout: a bare 401 does not mean the session has ended; AWS's own 401 does.
    let bare = Stub::always(Reply::raw(401, "text/html", "<html>Proxy authentication required</html>"));
    let run = Run::of(home.cmd_aws(&bare.url).args(["logout", "corp"]));
    assert_eq!(bare.count("/logout"), 1);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("could not sign out at the portal"), "{}", run.stderr);
    assert!(!run.stdout.contains("already ended"), "{}", run.stdout);
    home.write_token("corp", &token(3600));
    let aws = Stub::always(Reply::portal_error(401, "UnauthorizedException", "Session token not found or invalid"));
    let run = Run::of(home.cmd_aws(&aws.url).args(["logout", "corp"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("already ended"), "{}", run.stdout);
}

/// The region becomes part of a host name: one that is not a host-name label (as botocore
/// checks) is a configuration error in every command that builds an endpoint, before any
/// request, even when an override names the endpoint.
#[test]
fn a_region_that_is_not_a_host_label_is_refused_everywhere() {
    const BAD: &str = "attacker.example/x?";
    let home = Home::new();
    home.config(&CONFIG.replace(
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1",
        &format!("[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = {BAD}"),
    ));
    home.write_token("corp", &token(4 * 60));
    let stub = aws_stub(|_, _| Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600), numbered_roles);
    let config = home.path().join(".aws").join("config").display().to_string();
    // The AWS files (token cache, role cache, registrations); ssofresh's own state may note the login.
    let aws_files = || snapshot(&home.path().join(".aws"));
    for args in [
        vec!["tick"],
        vec!["tick", "--session", "corp"],
        vec!["credential-process", "--profile", "dev"],
        vec!["env", "--profile", "dev"],
        vec!["login", "corp", "--use-device-code", "--no-browser"],
        vec!["logout", "corp"],
    ] {
        let before = aws_files();
        let run = Run::of(home.cmd_aws(&stub.url).args(&args));
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        for needle in ["corp", &config, &format!("{BAD:?}"), "not a region name"] {
            assert!(run.stderr.contains(needle), "{args:?}: no {needle:?} in {}", run.stderr);
        }
        assert_eq!(stub.requests().len(), 0, "{args:?}: a request was made");
        assert_eq!(aws_files(), before, "{args:?}: files changed");
    }
    let run = Run::of(home.cmd_aws(&stub.url).arg("doctor"));
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("not a region name") && !run.stdout.contains("AWS defaults"), "{}", run.stdout);
    assert_eq!(run.stdout.matches("not a region name").count(), 1, "{}", run.stdout);

    // Without sso_region in the config, the token cache's region is used: checked the same way.
    home.config(&CONFIG.replace("sso_region = us-east-1\nsso_registration_scopes", "sso_registration_scopes"));
    let mut t = token(4 * 60);
    t["region"] = json!("evil.example\u{1b}[2J");
    home.write_token("corp", &t);
    let before = aws_files();
    let run = Run::of(home.cmd_aws(&stub.url).arg("tick"));
    assert_eq!(run.code, 2, "{}", run.stderr);
    let cache = home.token_path("corp").display().to_string();
    assert!(run.stderr.contains(&cache) && run.stderr.contains("\\u{1b}"), "{}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}'), "an escape sequence reached the terminal: {:?}", run.stderr);
    assert_eq!(stub.requests().len(), 0);
    assert_eq!(aws_files(), before);
}

/// A loopback HTTP proxy that records every connection's bytes. `CONNECT host:port` is answered
/// 200 and what follows (a TLS ClientHello) recorded, then the tunnel closes: nothing real is
/// reached. A plain-http request through it is recorded and answered 502.
struct Proxy {
    url: String,
    /// One entry per connection: everything the client sent on it.
    seen: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Proxy {
    fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let record = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let record = record.clone();
                std::thread::spawn(move || {
                    let i = {
                        let mut all = record.lock().unwrap();
                        all.push(Vec::new());
                        all.len() - 1
                    };
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                    let mut buf = [0u8; 4096];
                    let mut answered = false;
                    while let Ok(n) = stream.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        let mut all = record.lock().unwrap();
                        all[i].extend_from_slice(&buf[..n]);
                        let head = String::from_utf8_lossy(&all[i]).into_owned();
                        drop(all);
                        if answered {
                            // The ClientHello arrived through the tunnel: enough seen.
                            break;
                        }
                        if head.contains("\r\n\r\n") {
                            answered = true;
                            let reply: &[u8] = if head.starts_with("CONNECT ") {
                                b"HTTP/1.1 200 Connection established\r\n\r\n"
                            } else {
                                b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"
                            };
                            if stream.write_all(reply).is_err() {
                                break;
                            }
                        }
                    }
                });
            }
        });
        Proxy { url, seen }
    }

    fn connections(&self) -> Vec<String> {
        self.seen.lock().unwrap().iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect()
    }
}

/// Plain http goes only to loopback, in clear text: it never takes a proxy, whichever variable
/// names one.
#[test]
fn loopback_endpoints_never_go_through_a_proxy() {
    let proxy = Proxy::start();
    let home = due_home();
    let stub = Stub::always(Reply::token(NEW_ACCESS, Some(NEW_REFRESH), 3600));
    let mut cmd = home.cmd_at(&stub.url);
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"] {
        cmd.env(var, &proxy.url);
    }
    let run = Run::of(cmd.arg("tick"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(stub.count("/token"), 1, "the endpoint got the request directly");
    assert_eq!(proxy.connections(), Vec::<String>::new(), "the proxy saw the refresh");
}

/// An https endpoint goes through HTTPS_PROXY (else ALL_PROXY) with CONNECT, naming the host;
/// the token stays inside TLS. (The tunnel leads nowhere, so the request itself fails.)
#[test]
fn https_endpoints_go_through_the_proxy_with_connect() {
    for var in ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"] {
        let proxy = Proxy::start();
        let home = due_home();
        let run = unchanged_by(&home, home.cmd().args(["tick", "--max-retry-attempts", "0"]).env(var, &proxy.url));
        assert_eq!(run.code, 1, "{var}: {}", run.stderr);
        let seen = proxy.connections();
        assert_eq!(seen.len(), 1, "{var}: {seen:?}");
        assert!(seen[0].starts_with("CONNECT oidc.us-east-1.amazonaws.com:443 HTTP/1.1\r\n"), "{var}: {:?}", seen[0]);
        assert!(!seen[0].contains(MARK), "{var}: a secret crossed the proxy in clear");
        // The TLS handshake started inside the tunnel, for the endpoint's name.
        assert!(seen[0].contains("oidc.us-east-1.amazonaws.com") && seen[0].len() > 200, "{var}: {:?}", seen[0]);
    }
}

/// NO_PROXY still sends a host past the proxy. 0.0.0.0 is not loopback by name, yet connects to
/// this machine: a direct connection is seen by a listener here, without any network.
#[test]
fn no_proxy_hosts_go_direct() {
    let direct = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = direct.local_addr().unwrap().port();
    let endpoint = format!("https://0.0.0.0:{port}");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for s in direct.incoming().flatten() {
            let _ = tx.send(());
            drop(s);
        }
    });
    for (no_proxy, through_proxy) in [(None, true), (Some("0.0.0.0"), false), (Some("example.com, 0.0.0.0/32"), false)]
    {
        let proxy = Proxy::start();
        let home = due_home();
        let mut cmd = home.cmd_at(&endpoint);
        cmd.args(["tick", "--max-retry-attempts", "0"]).env("HTTPS_PROXY", &proxy.url);
        if let Some(v) = no_proxy {
            cmd.env("NO_PROXY", v);
        }
        let run = unchanged_by(&home, &mut cmd);
        assert_eq!(run.code, 1, "{no_proxy:?}: {}", run.stderr);
        let seen = proxy.connections();
        let direct_hits = rx.try_iter().count();
        if through_proxy {
            assert!(seen.len() == 1 && seen[0].starts_with(&format!("CONNECT 0.0.0.0:{port} ")), "{seen:?}");
            assert_eq!(direct_hits, 0);
        } else {
            assert!(seen.is_empty(), "{no_proxy:?}: {seen:?}");
            assert_eq!(direct_hits, 1, "{no_proxy:?}: {}", run.stderr);
        }
    }
}

#[test]
fn a_proxy_setting_that_is_no_proxy_is_a_configuration_error() {
    for value in ["socks5://user:pw-SECRETMARK@127.0.0.1:1080", "http://user:pw-SECRETMARK@", "::"] {
        let home = due_home();
        let run = unchanged_by(&home, home.cmd().arg("tick").env("HTTPS_PROXY", value));
        assert_eq!(run.code, 2, "{value}: {}", run.stderr);
        assert!(run.stderr.contains("HTTPS_PROXY") && run.stderr.contains("corp"), "{value}: {}", run.stderr);
    }
}

/// A config the parser cannot read: the file, the line and what is wrong, in words.
#[test]
fn config_parse_errors_name_the_file_the_line_and_the_problem() {
    let home = due_home();
    home.config("[default]\nregion = us-east-1\n[profile dev\nsso_session = corp\n");
    let config = home.path().join(".aws").join("config").display().to_string();
    for args in [vec!["tick"], vec!["status"], vec!["credential-process", "--profile", "dev"]] {
        let run = unchanged(&home, &refused_url(), &args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        let line = run.stderr.lines().find(|l| l.starts_with("ssofresh:")).unwrap_or_default();
        assert!(
            line.contains(&config) && line.contains("line 3: the section header \"[profile dev\" has no closing `]`"),
            "{args:?}: {line}"
        );
        assert!(!line.contains("Some(") && !line.contains("expecting"), "{args:?}: {line}");
    }
}
