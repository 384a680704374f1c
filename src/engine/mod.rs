//! What ssofresh decides: which token caches a command works on (`target`, `watch`), whether a
//! token is due and refreshing it once under a lock (`refresh`), a refreshed token kept for the
//! next run when the cache could not take it (`pending`), role credentials (`role`), the
//! accounts and roles a login reaches (`assignments`), retrying requests after transient
//! failures (`retry`), what it remembers between runs (`state`), when the Identity Center
//! session ends (`horizon`), how each session stands (`session_status`), and the activity log
//! (`activity`).

pub mod activity;
pub(crate) mod assignments;
pub(crate) mod horizon;
pub(crate) mod pending;
pub(crate) mod refresh;
pub(crate) mod retry;
pub(crate) mod role;
pub(crate) mod session_status;
pub(crate) mod state;
pub(crate) mod target;
pub(crate) mod watch;
