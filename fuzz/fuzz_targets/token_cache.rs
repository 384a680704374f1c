//! The token cache reader: no panic; whatever it accepts, it writes back and reads the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ssofresh::aws::token_cache::CachedToken;
use std::path::Path;

fuzz_target!(|bytes: &[u8]| {
    let Ok(token) = CachedToken::from_slice(Path::new("fuzz.json"), bytes) else { return };
    let again = CachedToken::from_slice(Path::new("fuzz.json"), &token.to_bytes()).expect("our own output reads back");
    assert_eq!(again, token);
    assert_eq!(again.to_bytes(), token.to_bytes());
});
