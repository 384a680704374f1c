//! Retrying a request to AWS after a transient failure, the same way for a token refresh
//! (SSO-OIDC) and for role credentials (the SSO portal): up to `max_retries` more attempts, the
//! n-th after a pause of n times `backoff`, and each retry logged with the failure's message.
//! Only failures the same request may get past at once are retried (`http::Transient::
//! retry_now`); every other answer ends the loop.

use crate::aws::oidc::OidcError;
use crate::aws::portal::PortalError;
use std::time::Duration;

/// A failure that trying again at once may get past, and its message for the log.
pub trait Retryable {
    fn retry_message(&self) -> Option<&str>;
}

impl Retryable for OidcError {
    fn retry_message(&self) -> Option<&str> {
        match self {
            OidcError::Transient { kind, message } if kind.retry_now() => Some(message),
            _ => None,
        }
    }
}

impl Retryable for PortalError {
    fn retry_message(&self) -> Option<&str> {
        match self {
            PortalError::Transient { kind, message } if kind.retry_now() => Some(message),
            _ => None,
        }
    }
}

/// Told of each failed attempt that will be retried: what is fetched (`label`), the attempt's
/// number, the failure's message and the pause before the next one. The engine only reports;
/// a command with a person watching (`tick` on a terminal) prints it.
pub type Notice = fn(label: &str, attempt: u32, message: &str, pause: Duration);

/// Runs `attempt` until it succeeds, fails for good, or has been retried `max_retries` times;
/// returns the last result and how many attempts were made. `label` names what is fetched in
/// the log and in `notice`.
pub fn run<T, E: Retryable>(
    label: &str,
    max_retries: u32,
    backoff: Duration,
    notice: Option<Notice>,
    attempt: impl FnMut() -> Result<T, E>,
) -> (Result<T, E>, u32) {
    run_with(label, max_retries, backoff, notice, attempt, std::thread::sleep)
}

fn run_with<T, E: Retryable>(
    label: &str,
    max_retries: u32,
    backoff: Duration,
    notice: Option<Notice>,
    mut attempt: impl FnMut() -> Result<T, E>,
    mut sleep: impl FnMut(Duration),
) -> (Result<T, E>, u32) {
    let mut n = 0u32;
    loop {
        n += 1;
        let result = attempt();
        match result.as_ref().err().and_then(Retryable::retry_message) {
            Some(message) if n <= max_retries => {
                let pause = backoff * n;
                log::info!("{label}: attempt {n} failed ({message}); retrying in {pause:?}");
                if let Some(tell) = notice {
                    tell(label, n, message, pause);
                }
                sleep(pause);
            }
            _ => return (result, n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::http::Transient;

    fn transient(kind: Transient) -> OidcError {
        OidcError::Transient { kind, message: "down".into() }
    }

    /// Runs with `answers` in turn (the last one repeated), recording the pauses.
    fn trace(max_retries: u32, answers: &[Result<u8, OidcError>]) -> (Result<u8, OidcError>, u32, Vec<Duration>) {
        let mut pauses = Vec::new();
        let mut calls = 0u32;
        let (result, attempts) = run_with(
            "corp",
            max_retries,
            Duration::from_millis(100),
            None,
            || {
                calls += 1;
                answers[(calls as usize - 1).min(answers.len() - 1)].clone()
            },
            |p| pauses.push(p),
        );
        assert_eq!(calls, attempts, "every attempt is counted once");
        (result, attempts, pauses)
    }

    #[test]
    fn transient_failures_are_retried_with_growing_pauses() {
        let ms = Duration::from_millis;
        let (r, n, pauses) = trace(2, &[Err(transient(Transient::Server))]);
        assert_eq!((r, n), (Err(transient(Transient::Server)), 3), "one attempt, then two retries");
        assert_eq!(pauses, [ms(100), ms(200)]);
        let (r, n, pauses) = trace(3, &[Err(transient(Transient::Timeout)), Ok(7)]);
        assert_eq!((r, n, pauses), (Ok(7), 2, vec![ms(100)]));
        assert_eq!(trace(0, &[Err(transient(Transient::Connect))]).1, 1, "no retries configured");
    }

    #[test]
    fn each_retried_attempt_is_told() {
        use std::sync::Mutex;
        static TOLD: Mutex<Vec<(String, u32, String, Duration)>> = Mutex::new(Vec::new());
        fn tell(label: &str, n: u32, message: &str, pause: Duration) {
            TOLD.lock().unwrap().push((label.into(), n, message.into(), pause));
        }
        let answers = [Err(transient(Transient::Connect)), Err(transient(Transient::Connect)), Ok(1)];
        let mut calls = 0;
        let (r, n) = run_with(
            "corp",
            3,
            Duration::from_secs(2),
            Some(tell),
            || {
                calls += 1;
                answers[calls - 1].clone()
            },
            |_| {},
        );
        assert_eq!((r, n), (Ok(1), 3));
        let told = TOLD.lock().unwrap().clone();
        assert_eq!(
            told,
            [
                ("corp".to_string(), 1, "down".to_string(), Duration::from_secs(2)),
                ("corp".to_string(), 2, "down".to_string(), Duration::from_secs(4))
            ]
        );
    }

    #[test]
    fn other_failures_end_at_once() {
        let refused = OidcError::Relogin { code: "invalid_grant".into(), description: None };
        assert_eq!(trace(5, &[Err(refused.clone())]), (Err(refused), 1, vec![]));
        let unexpected = transient(Transient::Other);
        assert_eq!(trace(5, &[Err(unexpected.clone())]), (Err(unexpected), 1, vec![]));
    }

    #[test]
    fn portal_failures_retry_like_oidc_ones() {
        let t = |kind| PortalError::Transient { kind, message: "m".into() };
        assert_eq!(t(Transient::Throttled).retry_message(), Some("m"));
        assert_eq!(t(Transient::Other).retry_message(), None);
        let refused = PortalError::Refused { what: "role r in account 1".into(), code: "x".into(), description: None };
        assert_eq!(refused.retry_message(), None);
    }
}
