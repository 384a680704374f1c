//! Durations and sizes as people type them in flags and environment variables.

use std::time::Duration;

/// No setting needs more, and a bound keeps arithmetic on durations from overflowing.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 86400);

/// Accepts `1200` (seconds), `90s`, `20m`, `1h`, `1h30m`, `500ms`, `1d`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(secs) = s.parse::<u64>() {
        return Some(Duration::from_secs(secs))
            .filter(|d| *d <= MAX_DURATION)
            .ok_or_else(|| format!("duration '{s}' is too long (at most 365d)"));
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("invalid duration '{s}' (examples: 1200, 90s, 20m, 1h)"));
        }
        let number: f64 =
            rest[..digits].parse().map_err(|_| format!("invalid duration '{s}' (examples: 1200, 90s, 20m, 1h)"))?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let seconds = match unit {
            "ms" => 0.001,
            "s" | "sec" | "secs" => 1.0,
            "m" | "min" | "mins" => 60.0,
            "h" | "hr" | "hrs" => 3600.0,
            "d" => 86400.0,
            "" => 1.0,
            _ => return Err(format!("invalid duration unit '{unit}' in '{s}' (use ms, s, m, h, d)")),
        };
        total = Duration::try_from_secs_f64(number * seconds)
            .ok()
            .and_then(|d| total.checked_add(d))
            .filter(|t| *t <= MAX_DURATION)
            .ok_or_else(|| format!("duration '{s}' is too long (at most 365d)"))?;
    }
    Ok(total)
}

/// Accepts `10485760`, `10M`, `10MB`, `512K`, `1G` (powers of 1024, like the old daemon's `10M`).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let upper = t.to_ascii_uppercase();
    let body = upper.strip_suffix('B').filter(|b| !b.is_empty()).unwrap_or(&upper);
    let (num, mult) = match body.chars().last() {
        Some('K') => (&body[..body.len() - 1], 1u64 << 10),
        Some('M') => (&body[..body.len() - 1], 1 << 20),
        Some('G') => (&body[..body.len() - 1], 1 << 30),
        _ => (body, 1),
    };
    num.trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("invalid size '{t}' (examples: 10M, 512K, 1048576)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1200"), Ok(Duration::from_secs(1200)));
        assert_eq!(parse_duration("20m"), Ok(Duration::from_secs(1200)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("0.5"), Ok(Duration::from_millis(500)));
        for bad in ["", "m", "20x", "-5", "h1", "99999999999999999999d", "366d", "40000000"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10M"), Ok(10 << 20));
        assert_eq!(parse_size("10MB"), Ok(10 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }
}
