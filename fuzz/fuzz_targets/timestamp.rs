//! Timestamp parsing: no panic; every time it reads, it writes in a form it reads back.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ssofresh::text::timefmt;

fuzz_target!(|s: &str| {
    if let Some(t) = timefmt::parse(s) {
        let written = timefmt::format(t);
        let back = timefmt::parse(&written).expect("our own format reads back");
        assert_eq!(back.timestamp(), t.timestamp());
    }
});
