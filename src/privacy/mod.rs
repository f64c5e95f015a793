//! Personal data that does not outstay its welcome (SPEC §7, §5): retention
//! erases the contact details of bookings whose appointment ended more than
//! `booking.retention_days` ago; `slotwise erase` and `slotwise export` act
//! on one address.
//!
//! Erasing blanks name, email, phone and notes and stamps `erased_at`; the
//! reference, service and times stay for the staff's records. Code rows
//! (which hold an address) of an erased address go too.
//!
//! Imports `clock`, `config`, `db`, `periodic`, the outbox's store and the
//! webhooks' store (`blank_contact`); nothing imports it but `cli`.

mod store;

use std::time::Duration;

use chrono::DateTime;
use rocket::fairing::AdHoc;
use serde::Serialize;
use sqlx::Connection;

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, Db, DbPool, Lane};
use crate::periodic::{self, Next};

/// Rows one retention batch touches: the writer is never held for long.
const BATCH: i64 = 200;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// An address to erase or export: checked like the wizard's email field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address(String);

impl Address {
    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses `raw`, or says in one line why it is not an address.
    pub fn parse(raw: &str) -> Result<Address, String> {
        let raw = raw.trim();
        if raw.chars().count() > 254 || raw.parse::<lettre::Address>().is_err() {
            return Err(format!("`{raw}` is not an email address"));
        }
        Ok(Address(raw.to_string()))
    }
}

/// Erases the contact details of every booking of `address` (without
/// regard to case) and deletes its code rows and its stored emails not yet
/// sent, and blanks its contact details in webhook deliveries not yet made,
/// at `now` (unix ms); returns the bookings erased.
pub async fn erase(db: &DbPool, address: &Address, now: i64) -> sqlx::Result<u64> {
    db.durably(async |conn| {
        let mut tx = conn.begin().await?;
        store::lock(&mut tx).await?;
        // NOTE: before the bookings are blanked: they name the deliveries' bookings.
        crate::webhooks::store::blank_contact(&mut tx, &address.0).await?;
        let erased = store::erase_address(&mut tx, &address.0, now).await?;
        store::forget_codes_of(&mut tx, &address.0).await?;
        crate::outbox::store::forget_recipient(&mut tx, &address.0).await?;
        tx.commit().await?;
        Ok(erased)
    })
    .await
}

/// One booking as `slotwise export` prints it.
#[derive(Debug, Serialize)]
pub struct Exported {
    reference: String,
    service: String,
    start: String,
    end: String,
    /// `booked`, `cancelled` or `past`.
    state: &'static str,
    name: String,
    email: String,
    phone: String,
    notes: String,
    language: String,
    /// (rev 3) The practitioner's name, when the booking has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    practitioner: Option<String>,
}

/// Every booking of `address` (without regard to case), by start, as JSON;
/// times in UTC (RFC 3339), the service by its configured name; `past`
/// judged at `now` (unix ms).
pub async fn export(db: &DbPool, settings: &Settings, address: &Address, now: i64) -> sqlx::Result<String> {
    let rfc3339 = |ms: i64| {
        DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let bookings: Vec<Exported> = db
        .leased(Lane::Read, async |conn| store::bookings_of(conn, &address.0).await)
        .await?
        .into_iter()
        .map(|b| Exported {
            practitioner: settings.booking.practitioner_name(b.practitioner_id.as_deref()).map(str::to_string),
            service: settings
                .booking
                .service(&b.service_id)
                .map_or(b.service_id.clone(), |s| s.name_in(&b.lang).into()),
            start: rfc3339(b.starts_at),
            end: rfc3339(b.ends_at),
            state: match (b.cancelled_at.is_some(), b.ends_at <= now) {
                (true, _) => "cancelled",
                (false, true) => "past",
                (false, false) => "booked",
            },
            reference: b.reference,
            name: b.name,
            email: b.email,
            phone: b.phone,
            notes: b.notes,
            language: b.lang,
        })
        .collect();
    serde_json::to_string_pretty(&bookings).map_err(|e| sqlx::Error::Protocol(e.to_string()))
}

/// Erases what retention allows, in batches of [`BATCH`] rows on the writer;
/// returns the bookings erased.
///
/// NOTE: each batch is one short transaction; after it the task pauses as
/// long as it took (as the session purge does), so a backlog of years never
/// takes more than half of the writer from visitors.
pub async fn retain(db: &DbPool, retention_days: u32, now: i64) -> sqlx::Result<u64> {
    let cutoff = now - i64::from(retention_days) * DAY_MS;
    db::paced(|| async move {
        let (bookings, codes) = db
            .durably(async |conn| {
                let mut tx = conn.begin().await?;
                store::lock(&mut tx).await?;
                let bookings = store::erase_ended_before(&mut tx, cutoff, now, BATCH).await?;
                crate::outbox::store::forget_erased(&mut tx, now).await?;
                crate::webhooks::store::blank_erased(&mut tx, now).await?;
                let codes = store::forget_codes_sent_before(&mut tx, cutoff, BATCH).await?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>((bookings, codes))
            })
            .await?;
        Ok((bookings, bookings == BATCH as u64 || codes == BATCH as u64))
    })
    .await
}

/// With `booking.retention_days` > 0, runs [`retain`] at launch and then
/// every `session.purge_interval_secs` while the app runs.
pub fn stage() -> AdHoc {
    AdHoc::on_liftoff("Retention", |rocket| {
        Box::pin(async move {
            let (Some(settings), Some(db), Some(clock)) =
                (rocket.state::<Settings>(), rocket.state::<Db>(), rocket.state::<Clock>())
            else {
                return;
            };
            let days = settings.booking.retention_days;
            if days == 0 {
                return;
            }
            let (db, clock): (DbPool, Clock) = ((**db).clone(), clock.clone());
            let every = Duration::from_secs(settings.session.purge_interval_secs.get());
            periodic::repeat(rocket, every, None, move || {
                let (db, now) = (db.clone(), clock.now_ms());
                async move {
                    match retain(&db, days, now).await {
                        Ok(0) => {}
                        Ok(n) => rocket::info!("retention erased the contact details of {n} bookings"),
                        Err(e) => rocket::warn!("retention failed: {e}"),
                    }
                    Next::Wait
                }
            });
        })
    })
}

#[cfg(test)]
mod tests {
    use super::Address;

    #[test]
    fn addresses_parse_like_the_wizards_email_field() {
        assert!(Address::parse(" Ann@Example.test ").is_ok());
        let err = Address::parse("not-an-address").expect_err("malformed");
        assert_eq!(err, "`not-an-address` is not an email address");
        assert!(Address::parse(&format!("{}@example.test", "a".repeat(250))).is_err());
    }
}
