//! The AWS config parser: no panic, and the hot path's partial parse agrees with the full one.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ssofresh::aws::config::AwsConfig;

fuzz_target!(|text: &str| {
    let Ok(full) = AwsConfig::parse(text) else { return };
    let names: Vec<String> = full.profiles.iter().take(3).map(|p| p.name.clone()).collect();
    if let Ok(partial) = AwsConfig::parse_partial(text, &names) {
        assert_eq!(partial.sessions, full.sessions, "sessions differ for {text:?}");
        for n in &names {
            assert_eq!(partial.profile(n), full.profile(n), "profile {n} differs for {text:?}");
        }
    }
});
