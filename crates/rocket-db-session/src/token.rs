//! [`AnonToken`]: the signed CSRF token of a visitor who has no session yet.

use crate::runtime::Signer;

/// Lifetime of a token bound to no session.
const ANON_TOKEN_SECS: i64 = 2 * 3600;

/// A CSRF token for pages shown to a visitor who has no session yet:
/// `expiry.mac`, signed with the stage's signing key
/// ([`crate::SessionStage::signing_key`]), bound to no session. Pages get
/// one from [`Session::form_token`](crate::Session::form_token).
pub struct AnonToken;

impl AnonToken {
    /// Mints a token valid for two hours from `now` (unix ms).
    pub(crate) fn issue(signer: &Signer, now: i64) -> String {
        let expires = (now / 1000 + ANON_TOKEN_SECS).to_string();
        format!("{expires}.{}", hex::encode(&signer.sign(&Self::message(&expires))[..16]))
    }

    /// Whether `token` was minted under one of the keys and has not expired
    /// at `now` (unix ms).
    pub(crate) fn verify(signer: &Signer, token: &str, now: i64) -> bool {
        let Some((expires, mac)) = token.split_once('.') else { return false };
        let Ok(expiry) = expires.parse::<i64>() else { return false };
        if expiry < now / 1000 || expiry > now / 1000 + ANON_TOKEN_SECS {
            return false;
        }
        let Ok(tag) = hex::decode(mac) else { return false };
        tag.len() == 16 && signer.verify(&Self::message(expires), &tag)
    }

    fn message(expires: &str) -> Vec<u8> {
        [b"anon-csrf\0".as_slice(), expires.as_bytes()].concat()
    }
}
