//! SSO-OIDC and portal answers and the role-credential cache: no panic, and a secret that the
//! endpoint echoes never reaches an error message.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ssofresh::aws::{oidc, portal, role_cache as rolecache};
use ssofresh::sys::secret::Secret;

fuzz_target!(|input: (u16, Option<String>, Vec<u8>)| {
    let (status, header, body) = input;
    let secret = Secret::new("aor-FUZZSECRET-refresh-token");
    let _ = oidc::parse_token_response(&body);
    let _ = oidc::error_code(header.as_deref(), &body);
    let e = oidc::classify(status, header.as_deref(), &body, &[&secret]);
    assert!(!e.to_string().contains(secret.expose()));
    let _ = portal::parse_success(&body, "111122223333");
    let _ = portal::parse_page(&body, "accountList", |v| v.get("accountId").and_then(|x| x.as_str()).map(str::len));
    let e = portal::classify(status, header.as_deref(), &body, "role Dev in account 111122223333", &secret);
    assert!(!e.to_string().contains(secret.expose()));
    let _ = rolecache::parse(&body, "111122223333");
});
