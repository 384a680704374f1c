//! Timestamps in the token cache: read every form other tools write, write botocore's.

use chrono::{DateTime, Datelike, NaiveDateTime, Utc};

/// The form botocore writes and every SDK reads (smithy-rs rejects offsets, Go rejects `UTC`).
pub fn format(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Parses `2026-01-01T00:00:00Z`, fractional seconds, `+00:00`/`+0000` offsets, the old
/// `2026-01-01T00:00:00UTC` and a bare local-less time (taken as UTC).
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    // Four-digit years only: anything else is not a token time, and could not be written back.
    parse_any(s).filter(|t| (1..=9999).contains(&t.year()))
}

fn parse_any(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(t.with_timezone(&Utc));
    }
    let naive = s.strip_suffix("UTC").or_else(|| s.strip_suffix("utc")).unwrap_or(s).trim_end();
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(naive, fmt) {
            return Some(t.and_utc());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn reads_every_form_tools_write() {
        for s in [
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:00.000Z",
            "2026-01-01T00:00:00.000000000Z",
            "2026-01-01T00:00:00UTC",
            "2026-01-01T00:00:00+00:00",
            "2026-01-01T00:00:00+0000",
            "2026-01-01T01:00:00+01:00",
            "2026-01-01T00:00:00",
            "2026-01-01 00:00:00Z",
            " 2026-01-01T00:00:00Z\n",
        ] {
            assert_eq!(parse(s), Some(at()), "{s}");
        }
    }

    #[test]
    fn keeps_fractions() {
        let t = parse("2026-01-01T00:00:00.5Z").unwrap();
        assert_eq!(t.timestamp_subsec_millis(), 500);
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "tomorrow",
            "2026-13-01T00:00:00Z",
            "1767225600",
            "2026-01-01",
            "-777-07-07T01:01:07Z",
            "+10000-01-01T00:00:00Z",
        ] {
            assert_eq!(parse(s), None, "{s}");
        }
    }

    #[test]
    fn writes_botocore_form() {
        assert_eq!(format(at()), "2026-01-01T00:00:00Z");
        assert_eq!(format(parse("2026-01-01T00:00:00.9Z").unwrap()), "2026-01-01T00:00:00Z");
    }
}
