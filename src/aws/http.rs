//! The HTTP client, built only when a request is due (it costs far more than a no-op tick).

use crate::aws::env::ProxyEnv;
use std::time::Duration;

/// Time limits for requests; the defaults are the command line's (`cli::Timeouts`).
#[derive(Debug, Clone, Copy)]
pub struct HttpSettings {
    pub connect_timeout: Duration,
    pub timeout: Duration,
}

/// The HTTP client: every request it makes has one deadline for all of it.
#[derive(Debug, Clone)]
pub struct Client {
    inner: reqwest::blocking::Client,
    /// From the start of a request to the last byte of its answer: connecting, sending, the
    /// headers and the whole body. reqwest's client-wide timeout is per read in its blocking
    /// API, so an endpoint sending a byte a second would hold the lock for ever; a request's
    /// own timeout is one deadline over the body too.
    deadline: Duration,
}

impl Client {
    pub fn post(&self, url: impl reqwest::IntoUrl) -> reqwest::blocking::RequestBuilder {
        self.inner.post(url).timeout(self.deadline)
    }

    pub fn get(&self, url: impl reqwest::IntoUrl) -> reqwest::blocking::RequestBuilder {
        self.inner.get(url).timeout(self.deadline)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A setting to fix: exit 2.
    #[error("{var} is not a proxy ssofresh can use ({what}); fix or unset it")]
    Proxy { var: &'static str, what: String },
    #[error("cannot set up HTTPS: {0}")]
    Setup(String),
}

/// Never through a proxy, whatever NO_PROXY says: plain http goes only here, in clear text.
const LOOPBACK: &str = "localhost,127.0.0.0/8,::1";

pub fn client(settings: HttpSettings, proxy: &ProxyEnv) -> Result<Client, ClientError> {
    // reqwest is built without a crypto provider of its own; ring is ours. An error only means
    // one is already installed (a second client in this process).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::blocking::Client::builder()
        .connect_timeout(settings.connect_timeout)
        .timeout(settings.timeout)
        .user_agent(concat!("ssofresh/", env!("CARGO_PKG_VERSION")))
        // An AWS endpoint never redirects; following one could send a request elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        // reqwest would read the proxy variables itself, HTTP_PROXY and ALL_PROXY for plain
        // http too; the proxy is ours to choose.
        .no_proxy();
    if let Some((var, url)) = &proxy.proxy {
        builder = builder.proxy(https_proxy(var, url.expose(), proxy.no_proxy.as_deref())?);
    }
    let inner = builder.build().map_err(|e| ClientError::Setup(e.to_string()))?;
    Ok(Client { inner, deadline: settings.timeout })
}

/// The proxy for https requests (the only ones that may leave the machine), bypassed for
/// `no_proxy` and loopback. A proxy without a scheme is an http one, as curl has it.
fn https_proxy(var: &'static str, value: &str, no_proxy: Option<&str>) -> Result<reqwest::Proxy, ClientError> {
    let value = value.trim();
    let with_scheme = if value.contains("://") { value.to_string() } else { format!("http://{value}") };
    let bad = |what: String| ClientError::Proxy { var, what };
    let url = reqwest::Url::parse(&with_scheme).map_err(|e| bad(format!("not a URL: {e}")))?;
    // Only the scheme, host and port are shown: the URL may carry a password.
    let shown = format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.port().map(|p| format!(":{p}")).unwrap_or_default()
    );
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad(format!("{shown}: only http:// and https:// proxies are supported")));
    }
    let bypass = match no_proxy {
        Some(list) => format!("{list},{LOOPBACK}"),
        None => LOOPBACK.to_string(),
    };
    Ok(reqwest::Proxy::https(url.as_str())
        .map_err(|e| bad(format!("{shown}: {e}")))?
        .no_proxy(reqwest::NoProxy::from_string(&bypass)))
}

/// Why a request failed in a way that may pass: the transport's failures here, and the
/// endpoints' own (`oidc`, `portal`) classified the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transient {
    Connect,
    Timeout,
    Network,
    Server,
    Throttled,
    BadResponse,
    /// A 401 that names no AWS error: a proxy, firewall or captive portal answered, not AWS.
    NotAws,
    Other,
}

impl Transient {
    pub fn as_str(self) -> &'static str {
        match self {
            Transient::Connect => "connect",
            Transient::Timeout => "timeout",
            Transient::Network => "network",
            Transient::Server => "server_error",
            Transient::Throttled => "throttled",
            Transient::BadResponse => "bad_response",
            Transient::NotAws => "not_aws",
            Transient::Other => "rejected",
        }
    }

    /// `Other` is an unexpected 4xx, `NotAws` whatever stands in the way: retrying the same
    /// request now would get the same answer.
    pub fn retry_now(self) -> bool {
        !matches!(self, Transient::Other | Transient::NotAws)
    }
}

/// An endpoint's answer, read in full.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// `x-amzn-ErrorType`, up to the first `:` (`InvalidGrantException`).
    pub error_type: Option<String>,
    /// The `Date` header: the endpoint's clock, to compare ours with.
    pub date: Option<chrono::DateTime<chrono::Utc>>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Sends a request and reads the answer. The body is bounded: a misbehaving endpoint cannot
/// make us read without end.
pub fn exchange(request: reqwest::blocking::RequestBuilder) -> Result<Answer, (Transient, String)> {
    use std::io::Read;
    let response = request.send().map_err(|e| describe(&e))?;
    let status = response.status().as_u16();
    let error_type = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(':').next().unwrap_or(v).trim().to_string());
    // IMF-fixdate (`Tue, 01 Dec 2026 08:51:06 GMT`) is RFC 2822's form.
    let date = response
        .headers()
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| chrono::DateTime::parse_from_rfc2822(v.trim()).ok())
        .map(|d| d.with_timezone(&chrono::Utc));
    let mut body = Vec::new();
    if let Err(e) = response.take(1 << 20).read_to_end(&mut body) {
        // The request's deadline ends a slow body with reqwest's error inside the io::Error.
        let timed_out = e.kind() == std::io::ErrorKind::TimedOut
            || e.get_ref().and_then(|inner| inner.downcast_ref::<reqwest::Error>()).is_some_and(|r| r.is_timeout());
        if timed_out {
            return Err((Transient::Timeout, "the request timed out while the answer was arriving".into()));
        }
        return Err((
            Transient::Network,
            format!("reading the answer failed: {}", crate::sys::secret::one_line(&e.to_string(), 120)),
        ));
    }
    Ok(Answer { status, error_type, date, body })
}

/// A header carrying a token, marked sensitive so no HTTP library's header dump shows it;
/// `None` when the token is not a valid header value.
pub fn secret_header(token: &crate::sys::secret::Secret) -> Option<reqwest::header::HeaderValue> {
    let mut value = reqwest::header::HeaderValue::from_str(token.expose()).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// Describes a transport failure in words without the request's contents.
pub fn describe(e: &reqwest::Error) -> (Transient, String) {
    if e.is_timeout() {
        (Transient::Timeout, "the request timed out".into())
    } else if e.is_connect() {
        // The innermost cause says what happened ("Connection refused", "dns error").
        let mut cause: &dyn std::error::Error = e;
        while let Some(next) = cause.source() {
            cause = next;
        }
        let host = e.url().and_then(|u| u.host_str().map(|h| format!(" to {h}"))).unwrap_or_default();
        (Transient::Connect, crate::sys::secret::one_line(&format!("cannot connect{host}: {cause}"), 160))
    } else {
        (Transient::Network, crate::sys::secret::one_line(&format!("network error: {e}"), 160))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_settings_are_checked_without_showing_a_password() {
        for ok in ["http://proxy.corp:3128", "proxy.corp:3128", "https://u:p@proxy.corp", " http://10.0.0.1:8080 "] {
            assert!(https_proxy("HTTPS_PROXY", ok, Some("corp.example")).is_ok(), "{ok}");
        }
        for bad in ["socks5://user:hunter2@proxy:1080", "http://user:hunter2@", "http://[::1", "ftp://proxy"] {
            let e = https_proxy("ALL_PROXY", bad, None).unwrap_err().to_string();
            assert!(e.starts_with("ALL_PROXY is not a proxy") && e.contains("fix or unset"), "{bad}: {e}");
            assert!(!e.contains("hunter2"), "{bad}: {e}");
        }
    }
}
