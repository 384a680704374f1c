//! Words and numbers as people read and type them: durations and sizes typed (`units`) and
//! shown (`duration`), timestamps
//! in the forms AWS tools write (`timefmt`), colour, symbols and column widths (`style`),
//! words quoted for a shell (`quote`), and names from a config shown without the control
//! characters a terminal would act on (`shown`).

pub mod duration;
pub mod quote;
pub mod shown;
pub mod style;
pub mod timefmt;
pub mod units;
