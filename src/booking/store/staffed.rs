//! SQL of practitioners' calendars (SPEC §2e): who each busy span and each
//! start belongs to, the practitioner a flow's hold names, and giving a
//! booking of no practitioner to one. The same lock and transactions as the
//! rest of `store` (see its module docs).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Any, AnyConnection, FromRow, Transaction};

use super::{count_starts, ms, utc};
use crate::booking::availability::staffed::Staffed;
use crate::booking::availability::{Busy, DayCounts};

/// What other flows' standing bookings and live holds take between `from`
/// and `to`, by practitioner, with the starts on each of `days` (bounds as
/// in [`super::day_counts`]) by service and by practitioner.
pub async fn taken(
    conn: &mut AnyConnection,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    days: &[(NaiveDate, DateTime<Utc>, DateTime<Utc>)],
    except_flow: &str,
    now: i64,
) -> sqlx::Result<Staffed> {
    #[derive(FromRow)]
    struct Span {
        busy_from: i64,
        busy_until: i64,
        practitioner_id: Option<String>,
    }
    let rows: Vec<Span> = sqlx::query_as(
        "SELECT busy_from, busy_until, practitioner_id FROM bookings \
         WHERE cancelled_at IS NULL AND flow_id <> $3 AND busy_from < $1 AND busy_until > $2 \
         UNION ALL \
         SELECT busy_from, busy_until, practitioner_id FROM holds \
         WHERE flow_id <> $3 AND expires_at > $4 AND busy_from < $1 AND busy_until > $2",
    )
    .bind(ms(to))
    .bind(ms(from))
    .bind(except_flow)
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    let (mut shared, mut own) = (Vec::new(), BTreeMap::<String, Vec<Busy>>::new());
    for row in rows {
        let span = Busy { start: utc(row.busy_from), end: utc(row.busy_until) };
        match row.practitioner_id {
            Some(id) => own.entry(id).or_default().push(span),
            None => shared.push(span),
        }
    }
    let (mut starts, mut by) = (DayCounts::default(), DayCounts::default());
    for (date, service_id, practitioner_id, n) in count_starts(&mut *conn, days, except_flow, now).await? {
        starts.add(date, &service_id, n);
        // NOTE: a start of no practitioner counts for nobody's own cap, as
        // it blocks everyone's time alike.
        if let Some(id) = practitioner_id {
            by.add(date, &id, n);
        }
    }
    Ok(Staffed { shared, own, starts, by })
}

/// The practitioner `flow`'s live hold names, if it has one that names one.
pub async fn held_by<'e, E>(exec: E, flow: &str, now: i64) -> sqlx::Result<Option<String>>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let id: Option<Option<String>> =
        sqlx::query_scalar("SELECT practitioner_id FROM holds WHERE flow_id = $1 AND expires_at > $2")
            .bind(flow)
            .bind(now)
            .fetch_optional(exec)
            .await?;
    Ok(id.flatten())
}

/// Gives the standing booking `reference` of no practitioner to
/// `practitioner`; false when it has one, is cancelled or does not exist.
pub async fn give(tx: &mut Transaction<'_, Any>, reference: &str, practitioner: &str) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE bookings SET practitioner_id = $1 \
         WHERE reference = $2 AND practitioner_id IS NULL AND cancelled_at IS NULL",
    )
    .bind(practitioner)
    .bind(reference)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Standing bookings starting at or after `from`, by practitioner id.
pub async fn future_by_practitioner(conn: &mut AnyConnection, from: DateTime<Utc>) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as(
        "SELECT practitioner_id, COUNT(*) FROM bookings \
         WHERE practitioner_id IS NOT NULL AND cancelled_at IS NULL AND starts_at >= $1 \
         GROUP BY practitioner_id ORDER BY practitioner_id",
    )
    .bind(ms(from))
    .fetch_all(conn)
    .await
}

/// Whether any booking, ever, belongs to `practitioner`.
pub async fn has_bookings(conn: &mut AnyConnection, practitioner: &str) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bookings WHERE practitioner_id = $1")
        .bind(practitioner)
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}
