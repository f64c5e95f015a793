//! Holding a time while the visitor enters their details (SPEC §2: a hold
//! counts against capacity for everyone else) and releasing it: under the
//! booking lock, with the client's limit, and with practitioners naming the
//! practitioner it occupies.

use chrono::{DateTime, Duration, Utc};
use sqlx::{AnyConnection, Connection};

use super::{Bookings, Held, Whom};
use crate::booking::availability;
use crate::booking::store;
use crate::config::Service;
use crate::db::Lane;

/// A flow's hold that has not lapsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveHold {
    /// The start it holds.
    pub start: DateTime<Utc>,
    /// When it lapses.
    pub until: DateTime<Utc>,
    /// With practitioners, whose time it occupies.
    pub practitioner: Option<String>,
}

impl Bookings<'_> {
    /// Holds `start` for `flow` of `client` (when holds are on): not when it
    /// is not free, its date is at a daily cap, or the client holds enough.
    pub async fn hold(&self, flow: &str, client: &str, service: &Service, start: DateTime<Utc>) -> sqlx::Result<Held> {
        self.hold_for(flow, client, (service, None), start).await
    }

    /// Holds `start` like [`Bookings::hold`], with practitioners for `whom`
    /// (`None`: anyone): the hold names the practitioner it occupies.
    pub async fn hold_for(
        &self,
        flow: &str,
        client: &str,
        (service, whom): (&Service, Option<Whom<'_>>),
        start: DateTime<Utc>,
    ) -> sqlx::Result<Held> {
        if self.config.hold_minutes == 0 {
            let seat =
                self.db.leased(Lane::Read, async |conn| self.seat(conn, (service, start), flow, (whom, None)).await);
            return Ok(if seat.await?.is_some() { Held::Placed(None) } else { Held::Taken });
        }
        // Whole milliseconds, as stored: the hold returned is the one kept.
        let expires = self.clock.now_ms() + Duration::minutes(self.config.hold_minutes.into()).num_milliseconds();
        let expires = DateTime::from_timestamp_millis(expires).unwrap_or_default();
        self.db.durably(async |conn| self.hold_on(conn, (flow, client), (service, whom), start, expires).await).await
    }

    async fn hold_on(
        &self,
        conn: &mut AnyConnection,
        (flow, client): (&str, &str),
        (service, whom): (&Service, Option<Whom<'_>>),
        start: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> sqlx::Result<Held> {
        let mut tx = conn.begin().await?;
        store::lock(&mut tx).await?;
        let limit = i64::from(self.holds_per_client);
        let seat = if limit > 0 && store::client_holds(&mut tx, client, flow, self.clock.now_ms()).await? >= limit {
            Err(Held::TooMany)
        } else {
            self.seat(&mut tx, (service, start), flow, (whom, None)).await?.ok_or(Held::Taken)
        };
        let seat = match seat {
            Ok(seat) => seat,
            Err(held) => {
                // NOTE: rolled back here, not on drop: the writer's next user must
                // not find the lock still taken.
                tx.rollback().await?;
                return Ok(held);
            }
        };
        let span = availability::busy_span(service, start);
        store::put_hold(&mut tx, (flow, client, seat.as_deref()), &service.id, start, span, expires).await?;
        tx.commit().await?;
        Ok(Held::Placed(Some(LiveHold { start, until: expires, practitioner: seat })))
    }

    /// `flow`'s hold while it lives (none once it lapsed, or with holds off).
    pub async fn live_hold(&self, flow: &str) -> sqlx::Result<Option<LiveHold>> {
        let now = self.clock.now_ms();
        let row = self.db.leased(Lane::Read, async |conn| store::live_hold(&mut *conn, flow, now).await).await?;
        Ok(row.map(|(start, until, practitioner)| LiveHold { start, until, practitioner }))
    }

    /// Releases `flow`'s hold, if any.
    pub async fn release(&self, flow: &str) -> sqlx::Result<()> {
        self.db.durably(async |conn| store::release(conn, flow).await).await
    }
}
