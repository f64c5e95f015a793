//! What a delivery says, as pure values: the body SPEC §7 gives, stored in
//! two sealed parts (the event, and the contact details apart so that an
//! erasure can drop them without a key), and its signature.

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The event, without contact details (stored sealed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The event's id: the same on every attempt and for every URL.
    pub id: String,
    /// `booking.created`, `booking.moved` or `booking.cancelled`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When it happened (RFC 3339, UTC, with its offset).
    pub created_at: String,
    /// The booking as it stands after the event.
    pub booking: Facts,
}

/// A booking as the body describes it, contact details aside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// The reference.
    pub reference: String,
    /// The service's id.
    pub service: String,
    /// The practitioner's id, or `null`.
    pub practitioner: Option<String>,
    /// Start, in the practice's time zone with its offset (RFC 3339).
    pub start: String,
    /// End of the appointment (buffers excluded), likewise.
    pub end: String,
    /// `booked` or `cancelled`.
    pub status: String,
}

/// The contact details of the body (sealed apart; empty once erased).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Name.
    pub name: String,
    /// Address.
    pub email: String,
    /// Phone or "".
    pub phone: String,
    /// Notes or "".
    pub notes: String,
}

/// The body's `booking` object: the facts, then the contact details.
#[derive(Serialize)]
struct Booking<'a> {
    #[serde(flatten)]
    facts: &'a Facts,
    #[serde(flatten)]
    contact: &'a Contact,
}

/// The body's outer object.
#[derive(Serialize)]
struct Body<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    created_at: &'a str,
    booking: Booking<'a>,
}

/// An instant as the body writes it in zone `tz`: RFC 3339, whole seconds,
/// with its offset (`+00:00` for UTC, never `Z`).
pub fn rfc3339(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// The JSON body of `event` with `contact`, in SPEC §7's key order.
pub fn body(event: &Event, contact: &Contact) -> Vec<u8> {
    let body = Body {
        id: &event.id,
        kind: &event.kind,
        created_at: &event.created_at,
        booking: Booking { facts: &event.booking, contact },
    };
    // NOTE: strings and an optional string only: serialising cannot fail.
    serde_json::to_vec(&body).unwrap_or_default()
}

/// `Slotwise-Signature`'s value: `sha256=` and the hex HMAC-SHA256 under
/// `secret` of `<timestamp>.<body>`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // NOTE: HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Event {
        Event {
            id: "evt_1".into(),
            kind: "booking.created".into(),
            created_at: "2031-03-03T08:50:00+00:00".into(),
            booking: Facts {
                reference: "ABCD-2345".into(),
                service: "consultation".into(),
                practitioner: None,
                start: "2031-03-03T10:00:00+01:00".into(),
                end: "2031-03-03T10:30:00+01:00".into(),
                status: "booked".into(),
            },
        }
    }

    #[test]
    fn the_body_has_the_spec_keys_in_order() {
        let contact = Contact { name: "Ann".into(), email: "ann@example.test".into(), ..Contact::default() };
        let body = String::from_utf8(body(&event(), &contact)).expect("UTF-8");
        assert_eq!(
            body,
            r#"{"id":"evt_1","type":"booking.created","created_at":"2031-03-03T08:50:00+00:00","booking":{"reference":"ABCD-2345","service":"consultation","practitioner":null,"start":"2031-03-03T10:00:00+01:00","end":"2031-03-03T10:30:00+01:00","status":"booked","name":"Ann","email":"ann@example.test","phone":"","notes":""}}"#
        );
    }

    #[test]
    fn times_carry_their_offset() {
        let at = DateTime::parse_from_rfc3339("2031-07-01T08:00:00Z").expect("valid").to_utc();
        assert_eq!(rfc3339(at, chrono_tz::Europe::Berlin), "2031-07-01T10:00:00+02:00");
        assert_eq!(rfc3339(at, chrono_tz::UTC), "2031-07-01T08:00:00+00:00");
    }

    #[test]
    fn the_signature_is_the_hmac_of_timestamp_dot_body() {
        // The MAC covers exactly "<timestamp>.<body>", under the secret's bytes.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"0123456789abcdef").expect("key");
        mac.update(b"1700000000.{\"a\":1}");
        let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(signature("0123456789abcdef", 1_700_000_000, b"{\"a\":1}"), expected);
        assert_ne!(signature("0123456789abcdeX", 1_700_000_000, b"{\"a\":1}"), expected);
        assert_ne!(signature("0123456789abcdef", 1_700_000_001, b"{\"a\":1}"), expected);
    }
}
