//! SQL of practitioners' calendars (SPEC §2e): who each busy span and each
//! start belongs to, the practitioner a flow's hold names, and giving a
//! booking of no practitioner to one. The same lock and transactions as the
//! rest of `store` (see its module docs).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Any, AnyConnection, FromRow};

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

/// Gives the bookings of no practitioner among `references` to
/// `practitioner`; how many it gave.
pub async fn assign(conn: &mut AnyConnection, references: &[String], practitioner: &str) -> sqlx::Result<u64> {
    let mut given = 0;
    for reference in references {
        let done =
            sqlx::query("UPDATE bookings SET practitioner_id = $1 WHERE reference = $2 AND practitioner_id IS NULL")
                .bind(practitioner)
                .bind(reference)
                .execute(&mut *conn)
                .await?;
        given += done.rows_affected();
    }
    Ok(given)
}

/// Standing bookings of `practitioner` starting at or after `from`.
pub async fn future_of(conn: &mut AnyConnection, practitioner: &str, from: DateTime<Utc>) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM bookings WHERE practitioner_id = $1 AND cancelled_at IS NULL AND starts_at >= $2",
    )
    .bind(practitioner)
    .bind(ms(from))
    .fetch_one(conn)
    .await
}
