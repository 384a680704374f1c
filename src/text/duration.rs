//! Durations as ssofresh shows them, in one function with a named form for each place: prose
//! (`1h 5m`), the prompt (`1h5m`), a setting read back as typed (`1h30m`) and a flag value a
//! generated command passes on (`90m`). The last two read back through
//! `units::parse_duration` to the same duration; the first two round down to what people
//! need to know.

/// Which way a duration is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `1d 2h`, `1h 5m`, `42m`, `30s`, `-30s`: the two largest units, for messages.
    Message,
    /// `2d3h`, `1h5m`, `42m`, `30s`: as `Message` without spaces, for a prompt; what is past
    /// is `0s`.
    Compact,
    /// `1d1h`, `1h30m`, `5s`, `500ms`: every unit that is not zero, as a user types a setting;
    /// under a second in milliseconds.
    Setting,
    /// `2h`, `90m`, `1200s`, `1500ms`: the largest unit that holds it whole, for a flag value
    /// and for intervals in scheduler entries; milliseconds when it has a fraction of a second.
    Flag,
}

/// A signed length of time, from either clock library's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    negative: bool,
    secs: u64,
    nanos: u32,
}

impl From<std::time::Duration> for Span {
    fn from(d: std::time::Duration) -> Span {
        Span { negative: false, secs: d.as_secs(), nanos: d.subsec_nanos() }
    }
}

impl From<chrono::Duration> for Span {
    fn from(d: chrono::Duration) -> Span {
        // Whole seconds towards zero, with the fraction's size beside them.
        Span {
            negative: d < chrono::Duration::zero(),
            secs: d.num_seconds().unsigned_abs(),
            nanos: d.subsec_nanos().unsigned_abs(),
        }
    }
}

/// `d` written in `form`.
pub fn show(d: impl Into<Span>, form: Form) -> String {
    let Span { negative, secs, nanos } = d.into();
    let millis = u128::from(secs) * 1000 + u128::from(nanos / 1_000_000);
    let (days, hours, minutes, seconds) = (secs / 86400, secs % 86400 / 3600, secs % 3600 / 60, secs % 60);
    let (body, zero) = match form {
        Form::Compact if negative => ("0s".to_string(), true),
        Form::Message | Form::Compact => {
            let gap = if form == Form::Message { " " } else { "" };
            let body = match secs {
                86400.. => format!("{days}d{gap}{hours}h"),
                3600.. => format!("{}h{gap}{minutes}m", secs / 3600),
                60.. => format!("{}m", secs / 60),
                _ => format!("{secs}s"),
            };
            (body, secs == 0)
        }
        Form::Setting if secs == 0 => (format!("{millis}ms"), millis == 0),
        Form::Setting => {
            let units = [(days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")];
            (units.iter().filter(|(n, _)| *n > 0).map(|(n, u)| format!("{n}{u}")).collect(), false)
        }
        Form::Flag if nanos >= 1_000_000 => (format!("{millis}ms"), false),
        Form::Flag => {
            let body = match secs {
                3600.. if secs.is_multiple_of(3600) => format!("{}h", secs / 3600),
                60.. if secs.is_multiple_of(60) => format!("{}m", secs / 60),
                _ => format!("{secs}s"),
            };
            (body, secs == 0)
        }
    };
    // No `-0s`: what rounds to nothing has no sign.
    if negative && !zero {
        format!("-{body}")
    } else {
        body
    }
}

/// `1h 5m`, `42m`, `30s`: short human form for messages (`duration::Form::Message`, by the
/// short name its many callers use).
pub fn human(d: chrono::Duration) -> String {
    show(d, Form::Message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::units::parse_duration;
    use std::time::Duration;

    fn secs(s: i64) -> chrono::Duration {
        chrono::Duration::seconds(s)
    }

    #[test]
    fn message() {
        assert_eq!(show(secs(42 * 60 + 5), Form::Message), "42m");
        assert_eq!(show(secs(3900), Form::Message), "1h 5m");
        assert_eq!(show(secs(2 * 86400), Form::Message), "2d 0h");
        assert_eq!(show(secs(-30), Form::Message), "-30s");
        assert_eq!(show(secs(-3900), Form::Message), "-1h 5m");
        assert_eq!(show(chrono::Duration::milliseconds(-500), Form::Message), "0s");
        assert_eq!(show(Duration::from_secs(59), Form::Message), "59s");
    }

    #[test]
    fn compact() {
        assert_eq!(show(secs(42 * 60 + 59), Form::Compact), "42m");
        assert_eq!(show(secs(3600 + 5 * 60), Form::Compact), "1h5m");
        assert_eq!(show(secs(2 * 86400 + 3 * 3600 + 1), Form::Compact), "2d3h");
        assert_eq!(show(secs(30), Form::Compact), "30s");
        assert_eq!(show(secs(-5), Form::Compact), "0s");
        assert_eq!(show(secs(-5000), Form::Compact), "0s");
    }

    #[test]
    fn setting() {
        let s = |n| show(Duration::from_secs(n), Form::Setting);
        assert_eq!((s(3600), s(5400), s(5), s(90000)), ("1h".into(), "1h30m".into(), "5s".into(), "1d1h".into()));
        assert_eq!(s(86400 + 3600 + 60 + 1), "1d1h1m1s");
        assert_eq!(show(Duration::from_millis(500), Form::Setting), "500ms");
        assert_eq!(show(Duration::ZERO, Form::Setting), "0ms");
        // Whole seconds drop the fraction, as the notification settings always have.
        assert_eq!(show(Duration::from_millis(1500), Form::Setting), "1s");
    }

    #[test]
    fn flag() {
        let f = |d| show(d, Form::Flag);
        assert_eq!(f(Duration::from_secs(7200)), "2h");
        assert_eq!(f(Duration::from_secs(5400)), "90m");
        assert_eq!(f(Duration::from_secs(1200)), "20m");
        assert_eq!(f(Duration::from_secs(90)), "90s");
        assert_eq!(f(Duration::from_secs(30)), "30s");
        assert_eq!(f(Duration::ZERO), "0s");
        assert_eq!(f(Duration::from_millis(500)), "500ms");
        assert_eq!(f(Duration::from_millis(1500)), "1500ms");
        // Below a millisecond nothing a flag can carry is lost.
        assert_eq!(f(Duration::from_micros(60_000_500)), "1m");
    }

    #[test]
    fn settings_and_flags_read_back() {
        for ms in [0, 1, 500, 1000, 1500, 59_000, 60_000, 61_000, 5_400_000, 7_200_000, 90_061_000, 31_536_000_000] {
            let d = Duration::from_millis(ms);
            assert_eq!(parse_duration(&show(d, Form::Flag)), Ok(d), "{ms}");
            // A setting shows milliseconds only below a second.
            if ms < 1000 || ms.is_multiple_of(1000) {
                assert_eq!(parse_duration(&show(d, Form::Setting)), Ok(d), "{ms}");
            }
        }
    }

    #[test]
    fn human_form() {
        assert_eq!(human(chrono::Duration::seconds(42 * 60 + 5)), "42m");
        assert_eq!(human(chrono::Duration::seconds(3900)), "1h 5m");
        assert_eq!(human(chrono::Duration::seconds(-30)), "-30s");
    }
}
