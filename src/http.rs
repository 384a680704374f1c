//! The HTTP client, built only when a request is due (it costs far more than a no-op tick).

use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct HttpSettings {
    pub connect_timeout: Duration,
    pub timeout: Duration,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings { connect_timeout: Duration::from_secs(5), timeout: Duration::from_secs(15) }
    }
}

pub fn client(settings: HttpSettings) -> Result<reqwest::blocking::Client, String> {
    reqwest::blocking::Client::builder()
        .connect_timeout(settings.connect_timeout)
        .timeout(settings.timeout)
        .user_agent(concat!("ssofresh/", env!("CARGO_PKG_VERSION")))
        // An AWS endpoint never redirects; following one could send a request elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot set up HTTPS: {e}"))
}

/// Describes a transport failure in words without the request's contents.
pub fn describe(e: &reqwest::Error) -> (crate::oidc::Transient, String) {
    use crate::oidc::Transient;
    if e.is_timeout() {
        (Transient::Timeout, "the request timed out".into())
    } else if e.is_connect() {
        // The innermost cause says what happened ("Connection refused", "dns error").
        let mut cause: &dyn std::error::Error = e;
        while let Some(next) = cause.source() {
            cause = next;
        }
        let host = e.url().and_then(|u| u.host_str().map(|h| format!(" to {h}"))).unwrap_or_default();
        (Transient::Connect, crate::secret::one_line(&format!("cannot connect{host}: {cause}"), 160))
    } else {
        (Transient::Network, crate::secret::one_line(&format!("network error: {e}"), 160))
    }
}
