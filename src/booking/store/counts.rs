//! SQL counting the starts of bookings and live holds on local dates: what
//! the daily caps (and, with practitioners, whom "anyone" goes to) count.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Any, FromRow};

use super::ms;
use crate::booking::availability::DayCounts;

/// Bookings and live holds of other flows starting on each of `days`, by
/// service. Each day is `(date, first instant, next date's first instant)`,
/// the bounds in UTC of a local date of the practice's zone.
pub async fn day_counts<'e, E>(
    exec: E,
    days: &[(NaiveDate, DateTime<Utc>, DateTime<Utc>)],
    except_flow: &str,
    now: i64,
) -> sqlx::Result<DayCounts>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let mut counts = DayCounts::default();
    for (date, service_id, _, n) in count_starts(exec, days, except_flow, now).await? {
        counts.add(date, &service_id, n);
    }
    Ok(counts)
}

/// Starts of other flows' bookings and live holds on each of `days` (see
/// [`day_counts`]), as `(date, service id, practitioner id, count)`.
pub(in crate::booking::store) async fn count_starts<'e, E>(
    exec: E,
    days: &[(NaiveDate, DateTime<Utc>, DateTime<Utc>)],
    except_flow: &str,
    now: i64,
) -> sqlx::Result<Vec<(NaiveDate, String, Option<String>, u32)>>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let (Some(from), Some(to)) = (days.iter().map(|d| d.1).min(), days.iter().map(|d| d.2).max()) else {
        return Ok(Vec::new());
    };
    // NOTE: one row of bounds per day, numbered, so one statement counts them
    // all; $1..$4 bound the scan to the whole window, so it stays an index
    // range on `starts_at` however old the table grows. The placeholders are
    // numbered here because `QueryBuilder<Any>` writes `?`, which PostgreSQL
    // rejects.
    let values: Vec<String> =
        (0..days.len()).map(|i| format!("(${}, ${}, ${})", 5 + 3 * i, 6 + 3 * i, 7 + 3 * i)).collect();
    let sql = format!(
        "WITH days (i, lo, hi) AS (VALUES {}) \
         SELECT days.i AS day, s.service_id AS service_id, s.practitioner_id AS practitioner_id, COUNT(*) AS n \
         FROM days JOIN ( \
             SELECT starts_at, service_id, practitioner_id FROM bookings \
             WHERE cancelled_at IS NULL AND flow_id <> $3 AND starts_at >= $1 AND starts_at < $2 \
             UNION ALL \
             SELECT starts_at, service_id, practitioner_id FROM holds \
             WHERE flow_id <> $3 AND expires_at > $4 AND starts_at >= $1 AND starts_at < $2 \
         ) s ON s.starts_at >= days.lo AND s.starts_at < days.hi \
         GROUP BY days.i, s.service_id, s.practitioner_id",
        values.join(", ")
    );
    #[derive(FromRow)]
    struct Count {
        day: i64,
        service_id: String,
        practitioner_id: Option<String>,
        n: i64,
    }
    let mut query = sqlx::query_as::<_, Count>(&sql).bind(ms(from)).bind(ms(to)).bind(except_flow).bind(now);
    for (i, (_, lo, hi)) in days.iter().enumerate() {
        query = query.bind(i as i64).bind(ms(*lo)).bind(ms(*hi));
    }
    let rows = query.fetch_all(exec).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let (date, _, _) = usize::try_from(row.day).ok().and_then(|i| days.get(i))?;
            Some((*date, row.service_id, row.practitioner_id, u32::try_from(row.n).unwrap_or(u32::MAX)))
        })
        .collect())
}
