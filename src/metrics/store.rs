//! SQL of the funnel (`funnel_steps`, migration 6).

use sqlx::{Any, AnyConnection, Executor, FromRow};

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
         ON CONFLICT (flow_hash, step) DO NOTHING RETURNING step",
        values.join(", ")
    );
    let mut query = sqlx::query_scalar::<_, i64>(&sql).bind(flow_hash).bind(day);
    for step in steps {
        query = query.bind(i32::try_from(*step).unwrap_or(i32::MAX));
    }
    let steps = query.fetch_all(conn).await?;
    Ok(steps.into_iter().map(|step| usize::try_from(step).unwrap_or(usize::MAX)).collect())
}

/// For the flows seen on local days from `since` (`YYYY-MM-DD`) on: how
/// many got no further than each step, as `(step, flows)`.
pub async fn furthest<'e, E: Executor<'e, Database = Any>>(exec: E, since: &str) -> sqlx::Result<Vec<(usize, u64)>> {
    #[derive(FromRow)]
    struct Furthest {
        top: i64,
        flows: i64,
    }
    let rows: Vec<Furthest> = sqlx::query_as(
        "SELECT top, COUNT(*) AS flows FROM \
         (SELECT MAX(step) AS top FROM funnel_steps WHERE day >= $1 GROUP BY flow_hash) AS flows \
         GROUP BY top",
    )
    .bind(since)
    .fetch_all(exec)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (usize::try_from(r.top).unwrap_or(usize::MAX), u64::try_from(r.flows).unwrap_or(0)))
        .collect())
}
