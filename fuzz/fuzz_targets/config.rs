//! The AWS config parser: no panic, and the hot path's partial parse agrees with the full one,
//! refusing what it refuses with the same words.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ssofresh::aws::config::AwsConfig;

fuzz_target!(|text: &str| {
    let full = AwsConfig::parse(text);
    let names: Vec<String> = full.iter().flat_map(|c| c.profiles.iter().take(3).map(|p| p.name.clone())).collect();
    let partial = AwsConfig::parse_partial(text, &names);
    match (&partial, &full) {
        (Ok(partial), Ok(full)) => {
            assert_eq!(partial.sessions, full.sessions, "sessions differ for {text:?}");
            for n in &names {
                assert_eq!(partial.profile(n), full.profile(n), "profile {n} differs for {text:?}");
            }
        }
        (Err(p), Err(f)) => assert_eq!(p, f, "the refusals differ for {text:?}"),
        _ => panic!("one parse refuses {text:?}: partial {:?}, full {:?}", partial.is_ok(), full.is_ok()),
    }
});
