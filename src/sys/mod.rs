//! The operating system, for files that hold secrets: private atomic files (`fs`), refusing
//! what another user could have planted (`guard`), file locks (`lock`), where files live
//! (`paths`), processes that outlive the prompt (`detach`), Ctrl-C while a login writes
//! (`interrupt`), secrets that never print (`secret`), and the time an invocation runs at
//! (`clock`). Nothing here knows about AWS.

pub mod clock;
pub mod detach;
pub mod fs;
pub mod guard;
pub mod interrupt;
pub mod lock;
pub mod paths;
pub mod secret;
