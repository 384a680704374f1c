//! Words and numbers as people read and type them: durations and sizes (`units`), timestamps
//! in the forms AWS tools write (`timefmt`), colour, symbols and column widths (`style`), and
//! words quoted for a shell (`quote`).

pub mod quote;
pub mod style;
pub mod timefmt;
pub mod units;
