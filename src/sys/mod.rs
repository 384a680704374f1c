//! The operating system, for files that hold secrets: private atomic files (`fs`), refusing
//! what another user could have planted (`guard`), file locks (`lock`), where files live
//! (`paths`), files the user names that may be anything (`bounded`), processes that outlive
//! the prompt (`detach`), Ctrl-C while a login writes (`interrupt`), secrets that never print
//! (`secret`), the time an invocation runs at (`clock`), no core dumps (`coredump`), and stdout
//! and stderr that never panic (`stdio`). Nothing here knows about AWS.

pub(crate) mod bounded;
pub(crate) mod clock;
pub(crate) mod coredump;
pub(crate) mod detach;
pub(crate) mod fs;
pub(crate) mod guard;
pub(crate) mod interrupt;
pub mod lock;
pub(crate) mod paths;
pub mod secret;
pub(crate) mod stdio;
