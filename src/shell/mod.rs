//! What ssofresh puts into the user's shell and scheduler: prompt hooks rendered from the
//! scripts in the top-level `shell/` folder (`hook`), the hook's re-login hints (`hint`),
//! systemd, launchd and cron entries (`schedule`), what of those is installed (`installed`),
//! and role credentials as shell exports (`export`).

pub mod export;
pub mod hint;
pub mod hook;
pub mod installed;
pub mod schedule;
