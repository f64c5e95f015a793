//! Limits that span sessions, flows and instances (SPEC §2d): code emails
//! per address per day and per client per hour (counted here), and slots
//! held per client (checked by the booking service inside its own locked
//! transaction, with the client this module names).
//!
//! Owns the `abuse_events` and `abuse_keys` tables. Each limit is a sliding
//! window over counted events in the database, so every instance sees every
//! other's sends. Check and count happen in one transaction that first
//! updates the key's row: concurrent checks of one key queue on that row
//! (PostgreSQL) or on the single writer (SQLite), so none slips past.
//! Must not know about the wizard: callers hand in an address and a client.

mod client;
mod store;

use std::time::Duration;

use rocket::fairing::AdHoc;
use sqlx::{AnyConnection, Connection};

pub use client::{client_address, Client};

use crate::clock::Clock;
use crate::config::{AbuseConfig, Settings};
use crate::db::{self, Db, DbPool};
use crate::periodic::{self, Next};
use crate::secrets::sha256_hex;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Rows deleted per purge statement.
const PURGE_BATCH: i64 = 500;

/// Which limit refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// `abuse.sends_per_address_per_day`.
    Address,
    /// `abuse.sends_per_client_per_hour`.
    Client,
}

/// The answer to counting a code email.
#[derive(Debug, PartialEq, Eq)]
pub enum Counted {
    /// Counted: the ticket takes it back if the email is not sent after all.
    Counted(Ticket),
    /// Refused: nothing was counted; the limit allows one more in this many
    /// seconds.
    Refused {
        /// The limit that refused.
        limit: Limit,
        /// Seconds until the window has room again.
        retry_after_secs: u64,
    },
}

/// The events one counted send added.
#[derive(Debug, PartialEq, Eq)]
pub struct Ticket(Vec<i64>);

/// The limits service; a request guard.
pub struct Limits<'a> {
    config: &'a AbuseConfig,
    db: &'a DbPool,
    clock: &'a Clock,
}

/// The stored key of a limited thing: no address or IP in the clear.
fn key(kind: &str, value: &str) -> String {
    sha256_hex(&format!("{kind}:{value}"))
}

impl<'a> Limits<'a> {
    /// The limits of `config` over `db`, counted at `clock`'s time.
    pub fn new(config: &'a AbuseConfig, db: &'a DbPool, clock: &'a Clock) -> Limits<'a> {
        Limits { config, db, clock }
    }

    /// Counts a code email to `email` requested by `client`, unless the
    /// address's or the client's window is full.
    pub async fn count_send(&self, client: &Client, email: &str) -> sqlx::Result<Counted> {
        let mut checks: Vec<(String, Limit, i64, u32)> = [
            (
                key("address", &email.trim().to_lowercase()),
                Limit::Address,
                DAY_MS,
                self.config.sends_per_address_per_day,
            ),
            (key("client", &client.0), Limit::Client, HOUR_MS, self.config.sends_per_client_per_hour),
        ]
        .into_iter()
        .filter(|check| check.3 > 0)
        .collect();
        if checks.is_empty() {
            return Ok(Counted::Counted(Ticket(Vec::new())));
        }
        // NOTE: keys are locked in one order by every request, so two
        // requests locking the same two keys cannot deadlock.
        checks.sort_by(|a, b| a.0.cmp(&b.0));
        let now = self.clock.now_ms();
        self.db.durably(async |conn| count_on(conn, &checks, now).await).await
    }

    /// Takes back a counted send whose email did not go out.
    pub async fn refund(&self, ticket: Ticket) -> sqlx::Result<()> {
        if ticket.0.is_empty() {
            return Ok(());
        }
        self.db.durably(async |conn| store::uncount(conn, &ticket.0).await).await
    }
}

async fn count_on(conn: &mut AnyConnection, checks: &[(String, Limit, i64, u32)], now: i64) -> sqlx::Result<Counted> {
    let mut tx = conn.begin().await?;
    for (key, ..) in checks {
        store::lock_key(&mut tx, key, now).await?;
    }
    for (key, limit, window, max) in checks {
        let (count, oldest) = store::window(&mut tx, key, now - window).await?;
        if count >= i64::from(*max) {
            tx.rollback().await?;
            let free_at = oldest.unwrap_or(now) + window;
            let retry_after_secs = u64::try_from((free_at - now).max(1000)).unwrap_or(1000).div_ceil(1000);
            return Ok(Counted::Refused { limit: *limit, retry_after_secs });
        }
    }
    let mut ids = Vec::with_capacity(checks.len());
    for (key, ..) in checks {
        ids.push(store::count(&mut tx, key, now).await?);
    }
    tx.commit().await?;
    Ok(Counted::Counted(Ticket(ids)))
}

/// Deletes events and keys older than the longest window, in small batches
/// on the writer, pausing as long as each batch took.
async fn purge(db: &DbPool, now: i64) -> sqlx::Result<u64> {
    let before = now - DAY_MS;
    db::paced(|| async move {
        let (events, keys) = db
            .durably(async |conn| {
                let events = store::purge_events(&mut *conn, before, PURGE_BATCH).await?;
                Ok::<_, sqlx::Error>((events, store::purge_keys(conn, before, PURGE_BATCH).await?))
            })
            .await?;
        Ok((events, events == PURGE_BATCH as u64 || keys == PURGE_BATCH as u64))
    })
    .await
}

/// Purges old counter rows every `session.purge_interval_secs` while the
/// app runs.
pub fn stage() -> AdHoc {
    AdHoc::on_liftoff("Abuse limits", |rocket| {
        Box::pin(async move {
            let (Some(settings), Some(db), Some(clock)) =
                (rocket.state::<Settings>(), rocket.state::<Db>(), rocket.state::<Clock>())
            else {
                return;
            };
            let (db, clock): (DbPool, Clock) = ((**db).clone(), clock.clone());
            let every = Duration::from_secs(settings.session.purge_interval_secs.get());
            periodic::repeat(rocket, every, None, move || {
                let (db, now) = (db.clone(), clock.now_ms());
                async move {
                    if let Err(e) = purge(&db, now).await {
                        rocket::warn!("purging old abuse counters failed: {e}");
                    }
                    Next::Wait
                }
            });
        })
    })
}

#[cfg(test)]
mod tests;
