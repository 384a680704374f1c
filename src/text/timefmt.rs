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

/// A moment as the user's clock shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Local {
    /// `2026-01-02`
    pub date: String,
    /// `14:05`
    pub time: String,
    /// The zone's abbreviation: `CET`, `CEST`, `EST`, `UTC`, or `+03` where the zone database
    /// has no letters for it.
    pub zone: String,
}

/// `t` in the local time zone, as `date` shows it: on Unix from the C library (`localtime_r`,
/// which honours `TZ` and `/etc/localtime`), so the zone has its name (`CET`), not the
/// `+01:00` chrono's `Local` offers. Elsewhere chrono's `Local`, the zone as `UTC+01:00`.
pub fn local(t: DateTime<Utc>) -> Local {
    #[cfg(any(target_os = "linux", target_os = "macos", target_os = "freebsd", target_os = "netbsd"))]
    if let Some(l) = libc_local(t) {
        return l;
    }
    use chrono::Offset;
    let l = t.with_timezone(&chrono::Local);
    let secs = l.offset().fix().local_minus_utc();
    let zone = match secs {
        0 => "UTC".to_string(),
        s => {
            let (sign, s) = if s < 0 { ('-', -s) } else { ('+', s) };
            format!("UTC{sign}{:02}:{:02}", s / 3600, s / 60 % 60)
        }
    };
    Local { date: l.format("%Y-%m-%d").to_string(), time: l.format("%H:%M").to_string(), zone }
}

/// `localtime_r` and `tzset`. A dynamically linked glibc build looks them up when a time is
/// first shown (`dlsym`, which the binary imports anyway): imported, they would be two more
/// symbols the dynamic linker resolves at every start (full RELRO), paid by the no-op tick,
/// which shows no time. A static build (musl, the release archives) calls them directly: it
/// resolves nothing at start, and its `dlsym` finds nothing.
// The libc crate marks `time_t` deprecated on musl (its width changed in musl 1.2); here it is
// only what the C library's own `localtime_r` takes.
#[cfg(any(target_os = "linux", target_os = "macos", target_os = "freebsd", target_os = "netbsd"))]
#[allow(deprecated)]
mod c_time {
    pub type LocaltimeR = unsafe extern "C" fn(*const libc::time_t, *mut libc::tm) -> *mut libc::tm;
    pub type Tzset = unsafe extern "C" fn();

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    pub fn functions() -> Option<(Tzset, LocaltimeR)> {
        // SAFETY: dlsym with RTLD_DEFAULT and NUL-terminated names; a non-null result is the
        // C library's function of that name, whose C signature the types above spell out.
        unsafe {
            let tzset = libc::dlsym(libc::RTLD_DEFAULT, c"tzset".as_ptr());
            let localtime_r = libc::dlsym(libc::RTLD_DEFAULT, c"localtime_r".as_ptr());
            if tzset.is_null() || localtime_r.is_null() {
                return None;
            }
            Some((
                std::mem::transmute::<*mut libc::c_void, Tzset>(tzset),
                std::mem::transmute::<*mut libc::c_void, LocaltimeR>(localtime_r),
            ))
        }
    }

    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    pub fn functions() -> Option<(Tzset, LocaltimeR)> {
        extern "C" {
            /// POSIX (`time.h`); the libc crate does not bind it.
            fn tzset();
        }
        Some((tzset, libc::localtime_r))
    }
}

#[cfg(any(target_os = "linux", target_os = "macos", target_os = "freebsd", target_os = "netbsd"))]
#[allow(deprecated)] // `time_t` on musl: see `c_time`.
fn libc_local(t: DateTime<Utc>) -> Option<Local> {
    let secs = libc::time_t::try_from(t.timestamp()).ok()?;
    let (tzset, localtime_r) = c_time::functions()?;
    // SAFETY: tzset only reads the TZ variable and the zone files; localtime_r writes the
    // zeroed struct we own; tm_zone then points into the C library's static zone names (or
    // is null), read before any other time call.
    unsafe {
        tzset();
        let mut tm: libc::tm = std::mem::zeroed();
        if localtime_r(&secs, &mut tm).is_null() || tm.tm_zone.is_null() {
            return None;
        }
        let zone = std::ffi::CStr::from_ptr(tm.tm_zone).to_string_lossy().into_owned();
        if zone.is_empty() {
            return None;
        }
        Some(Local {
            date: format!("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday),
            time: format!("{:02}:{:02}", tm.tm_hour, tm.tm_min),
            zone,
        })
    }
}

/// `14:05 CET`: a local time of day with its zone, for sentences.
pub fn local_hm(t: DateTime<Utc>) -> String {
    let l = local(t);
    format!("{} {}", l.time, l.zone)
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
    fn local_times_name_their_zone() {
        // The test process's own zone: whatever it is, it has a name and agrees with chrono.
        let t = at();
        let l = local(t);
        let chrono_local = t.with_timezone(&chrono::Local);
        assert_eq!(l.time, chrono_local.format("%H:%M").to_string());
        assert_eq!(l.date, chrono_local.format("%Y-%m-%d").to_string());
        assert!(!l.zone.is_empty() && !l.zone.contains(':') || l.zone.starts_with("UTC"), "{l:?}");
    }

    #[test]
    fn writes_botocore_form() {
        assert_eq!(format(at()), "2026-01-01T00:00:00Z");
        assert_eq!(format(parse("2026-01-01T00:00:00.9Z").unwrap()), "2026-01-01T00:00:00Z");
    }
}
