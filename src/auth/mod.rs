//! Signing in and out: `login` (the device-code and the authorization-code flow with `pkce`,
//! the `loopback` redirect listener and the `browser`), and `logout`.

pub mod browser;
pub mod login;
pub mod logout;
pub mod loopback;
pub mod pkce;
