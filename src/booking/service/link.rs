//! A booking's reference and the token of its link: drawn, stored as a keyed
//! hash, checked in constant time, and the link itself.

use subtle::ConstantTimeEq;

use crate::booking::store::Booking;
use crate::secrets::{random_chars, sha256_hex, Secrets};

/// Letters of a reference: no 0/O/1/I/L/U, so it reads aloud unambiguously.
pub(super) const REFERENCE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTVWXYZ23456789";

/// A short, unambiguous booking reference: `XXXX-XXXX`.
pub fn new_reference() -> String {
    let chars = random_chars(REFERENCE_ALPHABET, 8);
    format!("{}-{}", &chars[..4], &chars[4..])
}

/// How a stored link hash made under a key begins.
const KEYED: &str = "k1:";

/// The stored form of a link's token: its MAC under the current key, so
/// that the link ends when that key is no longer listed (SPEC §3a).
pub(super) fn link_hash(secrets: &Secrets, token: &str) -> String {
    format!("{KEYED}{}", hex::encode(secrets.mac("link", &[token.as_bytes()])))
}

/// Whether `token` is the token of `booking`'s link (constant time), under
/// the current key or a fallback.
pub(super) fn token_matches(secrets: &Secrets, booking: &Booking, token: &str) -> bool {
    let stored = booking.cancel_token_hash.as_bytes();
    match booking.cancel_token_hash.strip_prefix(KEYED) {
        Some(keyed) => {
            let macs = secrets.macs("link", &[token.as_bytes()]);
            macs.iter().any(|mac| bool::from(hex::encode(mac).as_bytes().ct_eq(keyed.as_bytes())))
        }
        // NOTE: a link mailed before links were keyed (a plain SHA-256): no
        // key made it, so no rotation ends it.
        None => bool::from(sha256_hex(token).as_bytes().ct_eq(stored)),
    }
}

/// The booking's own page, `<base>/booking/<reference>?token=<token>`.
pub fn manage_url(base: &str, reference: &str, token: &str) -> String {
    format!("{}/booking/{reference}?token={token}", base.trim_end_matches('/'))
}
