//! The loopback redirect listener of the authorization-code flow (RFC 8252 §7.3): bound to
//! 127.0.0.1 on a port the OS picks, it waits for the browser to bring back `code` and `state`.

use crate::auth::pkce::CALLBACK_PATH;
use crate::sys::secret::{one_line, Secret};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    #[error("no sign-in arrived in time")]
    TimedOut,
    /// The authorization server redirected with `error=…` (the user declined, or it refused).
    #[error("the sign-in was refused ({error}{})", .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Refused { error: String, description: Option<String> },
    #[error("the loopback listener failed: {0}")]
    Io(#[from] std::io::Error),
}

pub struct Listener {
    listener: TcpListener,
    port: u16,
}

impl Listener {
    pub fn bind() -> std::io::Result<Listener> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let port = listener.local_addr()?.port();
        // Polled, so the overall deadline holds however long no one connects.
        listener.set_nonblocking(true)?;
        Ok(Listener { listener, port })
    }

    /// The redirect URI sent in the authorize request and in CreateToken.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{CALLBACK_PATH}", self.port)
    }

    /// Waits until `deadline` for the redirect that carries `expected_state`. A callback with
    /// another state (an old tab, or another page poking at the port) is answered with an
    /// error page and ignored: its code is never exchanged. `on_ignored` hears about it.
    pub fn wait(
        &self,
        expected_state: &str,
        deadline: Instant,
        on_ignored: &mut dyn FnMut(&str),
    ) -> Result<Secret, WaitError> {
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    if let Some(result) = handle(stream, expected_state, on_ignored) {
                        return result;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if Instant::now() >= deadline {
                        return Err(WaitError::TimedOut);
                    }
                    std::thread::sleep(Duration::from_millis(25));
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// Serves one request; `Some` when it ends the wait.
fn handle(
    mut stream: TcpStream,
    expected_state: &str,
    on_ignored: &mut dyn FnMut(&str),
) -> Option<Result<Secret, WaitError>> {
    let _ = stream.set_nonblocking(false);
    // A local client that connects and says nothing must not hold the login up for long.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let Some(target) = read_request_target(&mut stream) else {
        reply(&mut stream, 400, "Bad request", "ssofresh did not understand this request.");
        return None;
    };
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    if path != CALLBACK_PATH {
        // Browsers also ask for /favicon.ico.
        reply(&mut stream, 404, "Not found", "Nothing here.");
        return None;
    }
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match &*k {
            "code" => code = Some(Secret::new(v.into_owned())),
            "state" => state = Some(v.into_owned()),
            "error" => error = Some(one_line(&v, 80)),
            "error_description" => description = Some(one_line(&v, 200)),
            _ => {}
        }
    }
    if state.as_deref() != Some(expected_state) {
        reply(
            &mut stream,
            400,
            "Sign-in not accepted",
            "This sign-in does not belong to the ssofresh login that is waiting (it may come from an older tab). \
             Use the newest sign-in page, or run <code>ssofresh login</code> again.",
        );
        on_ignored(if state.is_some() { "a callback with the wrong state" } else { "a callback without a state" });
        return None;
    }
    if let Some(error) = error {
        let text = format!(
            "The sign-in was not completed: {}. You can close this tab.",
            html_escape(&description.clone().unwrap_or_else(|| error.clone()))
        );
        reply(&mut stream, 200, "Sign-in not completed", &text);
        return Some(Err(WaitError::Refused { error, description }));
    }
    match code.filter(|c| !c.expose().is_empty()) {
        Some(code) => {
            reply(
                &mut stream,
                200,
                "Signed in",
                "ssofresh has received the sign-in. You can close this tab and return to the terminal.",
            );
            Some(Ok(code))
        }
        None => {
            reply(&mut stream, 400, "Sign-in not accepted", "The redirect carried no authorization code.");
            on_ignored("a callback without a code");
            None
        }
    }
}

/// The request target of a GET, from at most 16 KiB of request head.
fn read_request_target(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && !head.windows(2).any(|w| w == b"\n\n") {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
        if head.len() > 16 * 1024 {
            return None;
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut words = text.lines().next()?.split_whitespace();
    match (words.next(), words.next()) {
        (Some("GET"), Some(target)) => Some(target.to_string()),
        _ => None,
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn reply(stream: &mut TcpStream, status: u16, title: &str, text: &str) {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>ssofresh: {title}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:34em;margin:4em auto;padding:0 1em;line-height:1.5}}</style>\
         </head><body><h1>{title}</h1><p>{text}</p></body></html>"
    );
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ =
        stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body.as_bytes())).and_then(|_| stream.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(port: u16, target: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(s, "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn waits_for_the_right_state_and_ignores_the_rest() {
        let l = Listener::bind().unwrap();
        let port = l.redirect_uri().split(':').nth(2).unwrap().split('/').next().unwrap().parse().unwrap();
        let browser = std::thread::spawn(move || {
            let a = get(port, "/favicon.ico");
            let b = get(port, "/oauth/callback?code=evil&state=wrong");
            let c = get(port, "/oauth/callback?code=good%2Fcode&state=s-1");
            (a, b, c)
        });
        let mut ignored = vec![];
        let code =
            l.wait("s-1", Instant::now() + Duration::from_secs(10), &mut |w| ignored.push(w.to_string())).unwrap();
        assert_eq!(code.expose(), "good/code");
        let (a, b, c) = browser.join().unwrap();
        assert!(a.starts_with("HTTP/1.1 404"), "{a}");
        assert!(b.starts_with("HTTP/1.1 400") && b.contains("older tab"), "{b}");
        assert!(c.starts_with("HTTP/1.1 200") && c.contains("close this tab"), "{c}");
        assert_eq!(ignored, ["a callback with the wrong state"]);
    }

    #[test]
    fn refusal_and_timeout() {
        let l = Listener::bind().unwrap();
        let uri = l.redirect_uri();
        let port: u16 = uri[17..].split('/').next().unwrap().parse().unwrap();
        std::thread::spawn(move || {
            get(port, "/oauth/callback?error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E&state=s")
        });
        match l.wait("s", Instant::now() + Duration::from_secs(10), &mut |_| {}) {
            Err(WaitError::Refused { error, description }) => {
                assert_eq!(error, "access_denied");
                assert_eq!(description.as_deref(), Some("<b>no</b>"));
            }
            other => panic!("{other:?}"),
        }
        let t = Instant::now();
        assert!(matches!(
            l.wait("s", Instant::now() + Duration::from_millis(200), &mut |_| {}),
            Err(WaitError::TimedOut)
        ));
        assert!(t.elapsed() >= Duration::from_millis(200));
    }
}
