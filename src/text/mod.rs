//! Words and numbers as people read and type them: durations and sizes typed (`units`) and
//! shown (`duration`), timestamps
//! in the forms AWS tools write (`timefmt`), colour, symbols and column widths (`style`), and
//! words quoted for a shell (`quote`).

pub mod duration;
pub mod quote;
pub mod style;
pub mod timefmt;
pub mod units;
