//! The pieces of the authorization-code flow with PKCE (RFC 7636) that are pure data: the
//! verifier and its S256 challenge, the `state`, and the authorize URL, built the way the AWS
//! CLI v2 builds them.

use crate::sys::secret::Secret;
use base64::Engine;
use sha2::{Digest, Sha256};

/// RFC 7636 "unreserved" characters, the verifier's alphabet.
const UNRESERVED: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

/// The redirect URI registered with the client: the port is not part of it (RFC 8252 §7.3 lets
/// a loopback redirect use any port), so one registration serves every login.
pub const REGISTERED_REDIRECT_URI: &str = "http://127.0.0.1/oauth/callback";
pub const CALLBACK_PATH: &str = "/oauth/callback";

/// Random bytes from the OS; `getrandom` fails only on a broken platform.
fn random_bytes(buf: &mut [u8]) -> std::io::Result<()> {
    getrandom::fill(buf).map_err(|e| std::io::Error::other(format!("no randomness from the OS: {e}")))
}

pub struct Pkce {
    pub verifier: Secret,
    pub challenge: String,
}

impl Pkce {
    /// A 64-character verifier (as the AWS CLI makes), 6 bits of entropy per character.
    pub fn new() -> std::io::Result<Pkce> {
        let mut verifier = String::with_capacity(64);
        let mut buf = [0u8; 128];
        while verifier.len() < 64 {
            random_bytes(&mut buf)?;
            // Rejection sampling keeps every character equally likely.
            let limit = (256 / UNRESERVED.len() * UNRESERVED.len()) as u8;
            for b in buf.iter().filter(|b| **b < limit) {
                if verifier.len() == 64 {
                    break;
                }
                verifier.push(UNRESERVED[*b as usize % UNRESERVED.len()] as char);
            }
        }
        let challenge = challenge(&verifier);
        Ok(Pkce { verifier: Secret::new(verifier), challenge })
    }
}

/// S256: base64url without padding of SHA-256 of the verifier.
pub fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A random UUID (version 4), the AWS CLI's `state`.
pub fn new_state() -> std::io::Result<String> {
    let mut b = [0u8; 16];
    random_bytes(&mut b)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = crate::sys::secret::hex(&b);
    Ok(format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..]))
}

/// Percent-encodes everything but the unreserved characters (spaces as `%20`, like the CLI).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if UNRESERVED.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `{oidc}/authorize?response_type=code&client_id&redirect_uri&state&code_challenge_method=S256&scopes&code_challenge`,
/// scopes space-separated in one `scopes` parameter.
pub fn authorize_url(
    oidc: &str,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    challenge: &str,
    scopes: &[String],
) -> String {
    let params = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("state", state),
        ("code_challenge_method", "S256"),
        ("scopes", &scopes.join(" ")),
        ("code_challenge", challenge),
    ];
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    format!("{}/authorize?{}", oidc.trim_end_matches('/'), query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_challenge() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_are_long_random_and_unreserved() {
        let a = Pkce::new().unwrap();
        let b = Pkce::new().unwrap();
        assert_eq!(a.verifier.expose().len(), 64);
        assert!(a.verifier.expose().bytes().all(|c| UNRESERVED.contains(&c)));
        assert_ne!(a.verifier, b.verifier);
        assert_eq!(a.challenge, challenge(a.verifier.expose()));
        assert_eq!(a.challenge.len(), 43);
    }

    #[test]
    fn state_is_a_v4_uuid() {
        let s = new_state().unwrap();
        assert_eq!(s.len(), 36);
        assert_eq!(&s[14..15], "4");
        assert!("89ab".contains(&s[19..20]));
        assert_ne!(s, new_state().unwrap());
    }

    #[test]
    fn authorize_url_shape() {
        let u = authorize_url(
            "http://127.0.0.1:9/",
            "cid/1",
            "http://127.0.0.1:5000/oauth/callback",
            "st",
            "ch_-",
            &["sso:account:access".into(), "codewhisperer:x".into()],
        );
        assert_eq!(
            u,
            "http://127.0.0.1:9/authorize?response_type=code&client_id=cid%2F1\
             &redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Foauth%2Fcallback&state=st&code_challenge_method=S256\
             &scopes=sso%3Aaccount%3Aaccess%20codewhisperer%3Ax&code_challenge=ch_-"
        );
    }
}
