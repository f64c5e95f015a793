//! SQL of the funnel (`funnel_steps`, migration 6).

use sqlx::{Any, AnyConnection, Executor};

use crate::db::big_int;

/// Records that the flow `flow_hash` reached `steps` on local `day`
/// (`YYYY-MM-DD`); returns the steps it had not reached before.
///
/// NOTE: the primary key counts each flow once per step, whichever
/// instance records it and however often; `RETURNING` names only the rows
/// this statement inserted.
pub async fn record(conn: &mut AnyConnection, flow_hash: &str, steps: &[usize], day: &str) -> sqlx::Result<Vec<usize>> {
    if steps.is_empty() {
        return Ok(Vec::new());
    }
    let values: Vec<String> = (0..steps.len()).map(|i| format!("($1, $2, ${})", i + 3)).collect();
    let sql = format!(
        "INSERT INTO funnel_steps (flow_hash, day, step) VALUES {} \
         ON CONFLICT (flow_hash, step) DO NOTHING RETURNING CAST(step AS TEXT)",
        values.join(", ")
    );
    let mut query = sqlx::query(&sql).bind(flow_hash).bind(day);
    for step in steps {
        query = query.bind(i32::try_from(*step).unwrap_or(i32::MAX));
    }
    let rows = query.fetch_all(conn).await?;
    rows.iter().map(|r| Ok(usize::try_from(big_int(r, 0)?).unwrap_or(usize::MAX))).collect()
}

/// For the flows seen on local days from `since` (`YYYY-MM-DD`) on: how
/// many got no further than each step, as `(step, flows)`.
pub async fn furthest<'e, E: Executor<'e, Database = Any>>(exec: E, since: &str) -> sqlx::Result<Vec<(usize, u64)>> {
    let rows = sqlx::query(
        "SELECT CAST(top AS TEXT), CAST(COUNT(*) AS TEXT) FROM \
         (SELECT MAX(step) AS top FROM funnel_steps WHERE day >= $1 GROUP BY flow_hash) AS flows \
         GROUP BY top",
    )
    .bind(since)
    .fetch_all(exec)
    .await?;
    rows.iter()
        .map(|r| {
            let (step, flows) = (big_int(r, 0)?, big_int(r, 1)?);
            Ok((usize::try_from(step).unwrap_or(usize::MAX), u64::try_from(flows).unwrap_or(0)))
        })
        .collect()
}
