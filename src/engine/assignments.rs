//! What the user can reach through an sso-session: every account and role the SSO portal lists
//! (`ListAccounts`, then `ListAccountRoles` per account, every page), with a token made fresh
//! first and each page retried as role credentials are.

use crate::aws::config::AwsConfig;
use crate::aws::endpoint::{self, Region, Service};
use crate::aws::http;
use crate::aws::portal::{self, Page, PortalError};
use crate::engine::refresh::{Report, Settings};
use crate::engine::retry;
use crate::engine::role::{self, RoleError};
use crate::engine::target::Target;
use crate::sys::secret::Secret;

/// A hostile or broken portal must not keep us paging for ever.
const MAX_PAGES: usize = 1000;

/// One role in one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub account_id: String,
    /// As the administrator named it (untrusted text: sanitise before use).
    pub account_name: Option<String>,
    pub role_name: String,
}

/// Every account and role `target`'s login reaches, sorted by account name, account and role.
/// A token refresh on the way goes to `refreshed`.
pub fn list(
    target: &Target,
    cfg: &AwsConfig,
    settings: &Settings,
    refreshed: &mut dyn FnMut(&Report),
) -> Result<Vec<Assignment>, RoleError> {
    let label = role::session_label(target);
    let token = role::fresh_token(target, &label, cfg, settings, refreshed)?;
    let region = target.sso_region(&cfg.path, None).unwrap_or_else(|| Region::new("us-east-1", "the default region"));
    let cfg = cfg.full().map_err(|e| RoleError::Broken { label: label.clone(), reason: e.to_string() })?;
    let aws = settings.aws.get();
    let context = target.context_in(&cfg, aws.profile.as_deref());
    let (url, source) = endpoint::resolve(Service::Sso, &region, context, &cfg, |k| aws.var(k))
        .map_err(|e| RoleError::Broken { label: label.clone(), reason: e.to_string() })?;
    log::debug!("{label}: listing accounts and roles at {url} ({source})");
    let client = http::client(settings.http, &aws.proxy).map_err(|e| match e {
        http::ClientError::Proxy { .. } => RoleError::Broken { label: label.clone(), reason: e.to_string() },
        http::ClientError::Setup(_) => RoleError::Transient { label: label.clone(), reason: e.to_string() },
    })?;
    let fail = |e: PortalError| match e {
        PortalError::Unauthorized { .. } => RoleError::Relogin {
            label: label.clone(),
            reason: format!("{e} for the {label}"),
            login: target.login_command(),
        },
        PortalError::Refused { .. } => RoleError::Broken { label: label.clone(), reason: e.to_string() },
        PortalError::Transient { message, .. } => RoleError::Transient { label: label.clone(), reason: message },
    };
    let s = settings;
    let listing = |token: &Secret| -> Result<Vec<Assignment>, PortalError> {
        let accounts = all_pages(|next| {
            retry::run(&label, s.max_retry_attempts, s.retry_backoff, s.on_retry, || {
                portal::list_accounts(&client, &url, token, next)
            })
            .0
        })?;
        let mut out = Vec::new();
        for account in accounts {
            let roles = all_pages(|next| {
                retry::run(&label, s.max_retry_attempts, s.retry_backoff, s.on_retry, || {
                    portal::list_account_roles(&client, &url, token, &account.account_id, next)
                })
                .0
            })?;
            for role_name in roles {
                out.push(Assignment {
                    account_id: account.account_id.clone(),
                    account_name: account.account_name.clone(),
                    role_name,
                });
            }
        }
        Ok(out)
    };
    let mut result = listing(&token);
    if matches!(result, Err(PortalError::Unauthorized { .. })) {
        // As for role credentials: the cache calls the token valid, yet the portal refused it
        // (revoked early, a clock that is off): one forced refresh and one more try before
        // asking for a login.
        if let Some(new) = role::refresh_refused(target, &label, &cfg, settings, &token, refreshed) {
            result = listing(&new);
        }
    }
    let mut out = result.map_err(fail)?;
    out.sort_by(|a, b| {
        let name = |x: &Assignment| x.account_name.clone().unwrap_or_default().to_lowercase();
        (name(a), &a.account_id, &a.role_name).cmp(&(name(b), &b.account_id, &b.role_name))
    });
    out.dedup();
    Ok(out)
}

/// Follows `nextToken` until the last page; a token seen before, or too many pages, ends it.
fn all_pages<T>(mut page: impl FnMut(Option<&str>) -> Result<Page<T>, PortalError>) -> Result<Vec<T>, PortalError> {
    let mut items = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let p = page(next.as_deref())?;
        items.extend(p.items);
        match p.next_token {
            Some(t) if !seen.contains(&t) => {
                seen.push(t.clone());
                next = Some(t);
            }
            Some(t) => {
                log::warn!("the SSO portal sent the page token {t:?} twice; stopping there");
                break;
            }
            None => break,
        }
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_followed_to_the_end_and_a_repeated_token_stops() {
        let pages = |tokens: Vec<Option<&'static str>>| {
            let mut calls = Vec::new();
            let r = all_pages(|next| {
                calls.push(next.map(str::to_string));
                let n = calls.len() - 1;
                Ok(Page { items: vec![n], next_token: tokens[n].map(str::to_string) })
            });
            (r.unwrap(), calls)
        };
        let (items, calls) = pages(vec![Some("a"), Some("b"), None]);
        assert_eq!(items, [0, 1, 2]);
        assert_eq!(calls, [None, Some("a".into()), Some("b".into())]);
        let (items, _) = pages(vec![Some("a"), Some("a"), Some("a")]);
        assert_eq!(items, [0, 1], "the repeated token is not asked for again");
    }
}
