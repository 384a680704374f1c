//! What ssofresh decides: which token caches a command works on (`target`, `watch`), whether a
//! token is due and refreshing it once under a lock (`refresh`), role credentials (`role`),
//! retrying both after transient failures (`retry`), what it remembers between runs (`state`),
//! how each session stands (`session_status`), and the activity log (`activity`).

pub mod activity;
pub mod refresh;
pub mod retry;
pub mod role;
pub mod session_status;
pub mod state;
pub mod target;
pub mod watch;
