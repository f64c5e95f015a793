//! Direct database work of the benchmark: a fresh PostgreSQL database per run
//! and a million sessions inserted by one SQL statement.
//!
//! Seeded ids are `hex8(x * 2654435761 mod 2^32) || hex56(x)`: unique, spread
//! over the whole key space like real SHA-256 hashes, and computable here, so
//! the purge can be watched through a few sampled rows.

use std::future::Future;

use slotwise::db::Backend;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;

/// Seeded rows are ids `first ..= first + count - 1`.
pub const LIVE_FIRST: i64 = 1;
/// The expired rows follow the live ones.
pub const EXPIRED_FIRST: i64 = 10_000_001;

/// Runs `future` on a small runtime of its own.
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime").block_on(future)
}

/// A plain sqlx pool, for what the benchmark does behind the app's back.
pub struct DbPool {
    /// The pool.
    pub pool: AnyPool,
    /// Its backend.
    pub backend: Backend,
}

/// Opens a one-connection pool.
pub async fn open(url: &str) -> Result<DbPool, String> {
    sqlx::any::install_default_drivers();
    let backend = Backend::from_url(url).ok_or_else(|| format!("{url}: neither sqlite:// nor postgres://"))?;
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(30))
        .connect(url)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    Ok(DbPool { pool, backend })
}

/// A fresh database on the PostgreSQL server at `admin_url`, dropped with
/// this value.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    /// URL of the fresh database.
    pub url: String,
}

impl PgDatabase {
    /// Drops a leftover of an interrupted run, then creates `name`.
    pub fn create(admin_url: &str, name: &str) -> Result<PgDatabase, String> {
        let (base, _) =
            admin_url.split('?').next().unwrap_or(admin_url).rsplit_once('/').ok_or("admin URL has no path")?;
        block_on(async {
            let admin = open(admin_url).await?;
            let mut statements =
                vec![format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"), format!("CREATE DATABASE {name}")];
            // Diagnostics: the server logs the app's statements slower than this.
            if let Ok(ms) = std::env::var("BENCH_PG_LOG_SLOW_MS") {
                let ms: u32 = ms.parse().map_err(|e| format!("BENCH_PG_LOG_SLOW_MS: {e}"))?;
                statements.push(format!("ALTER DATABASE {name} SET log_min_duration_statement = {ms}"));
            }
            for sql in statements {
                sqlx::query(&sql).execute(&admin.pool).await.map_err(|e| format!("{sql}: {e}"))?;
            }
            admin.pool.close().await;
            Ok::<_, String>(())
        })?;
        Ok(PgDatabase { admin_url: admin_url.into(), name: name.into(), url: format!("{base}/{name}") })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let dropped = block_on(async {
            let admin = open(&self.admin_url).await?;
            let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
            let done = sqlx::query(&sql).execute(&admin.pool).await.map_err(|e| e.to_string());
            admin.pool.close().await;
            done.map(|_| ())
        });
        if let Err(e) = dropped {
            eprintln!("bench: could not drop database {}: {e}", self.name);
        }
    }
}

/// The storage key of seeded row `x`.
pub fn seeded_key(x: i64) -> String {
    format!("{:08x}{:056x}", (x * 2_654_435_761) % 4_294_967_296, x)
}

/// Inserts `count` sessions with ids `first ..`, in one statement. Live rows
/// expire in a day; expired rows expired an hour ago, each a millisecond
/// apart (oldest first, the order the purge walks them).
pub async fn seed(url: &str, first: i64, count: i64, live: bool) -> Result<(), String> {
    let db = open(url).await?;
    let now = chrono::Utc::now().timestamp_millis();
    let (created, expires) = if live { (now, now + 86_400_000) } else { (now - 7_200_000, now - 3_600_000) };
    let data = r#"{"_csrf":"seeded-session-token-of-forty-three-characters","lang":"en","theme":"dark"}"#;
    let last = first + count - 1;
    // NOTE: the key formula must match `seeded_key`.
    let sql = match db.backend {
        Backend::Sqlite => {
            "WITH RECURSIVE n(x) AS (SELECT $1 UNION ALL SELECT x + 1 FROM n WHERE x < $2) \
             INSERT INTO sessions (id_hash, data, version, created_at, expires_at, absolute_expires_at) \
             SELECT printf('%08x%056x', (x * 2654435761) % 4294967296, x), $3, 1, $4, \
                    $5 - ($2 - x), $5 - ($2 - x) FROM n"
        }
        Backend::Postgres => {
            "INSERT INTO sessions (id_hash, data, version, created_at, expires_at, absolute_expires_at) \
             SELECT lpad(to_hex((x * 2654435761) % 4294967296), 8, '0') || lpad(to_hex(x), 56, '0'), $3, 1, $4, \
                    $5 - ($2 - x), $5 - ($2 - x) FROM generate_series($1::bigint, $2::bigint) AS x"
        }
    };
    let done = sqlx::query(sql).bind(first).bind(last).bind(data).bind(created).bind(expires).execute(&db.pool).await;
    let done = done.map_err(|e| format!("seeding sessions: {e}"))?;
    // NOTE: let the seeding settle before anything is measured: fresh
    // statistics on PostgreSQL (as autovacuum would gather soon after), and
    // the million rows written out of the log on both backends, so that the
    // app's next checkpoint does not copy them while wrk runs.
    let settle: &[&str] = match db.backend {
        Backend::Sqlite => &["PRAGMA wal_checkpoint(TRUNCATE)"],
        Backend::Postgres => &["ANALYZE sessions", "CHECKPOINT"],
    };
    for sql in settle {
        sqlx::query(sql).execute(&db.pool).await.map_err(|e| format!("{sql}: {e}"))?;
    }
    db.pool.close().await;
    if done.rows_affected() != count as u64 {
        return Err(format!("seeded {} sessions, wanted {count}", done.rows_affected()));
    }
    Ok(())
}

/// How many of `keys` are still stored.
pub async fn remaining(db: &DbPool, keys: &[String]) -> Result<usize, String> {
    let list = keys.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(",");
    let sql = format!("SELECT CAST(COUNT(*) AS TEXT) FROM sessions WHERE id_hash IN ({list})");
    let n: String = sqlx::query_scalar(&sql).fetch_one(&db.pool).await.map_err(|e| e.to_string())?;
    n.parse().map_err(|e| format!("{e}"))
}

/// Whether any session expired before `cutoff` (unix ms) is still stored.
pub async fn any_expired(db: &DbPool, cutoff: i64) -> Result<bool, String> {
    let row = sqlx::query("SELECT 1 FROM sessions WHERE expires_at <= $1 LIMIT 1")
        .bind(cutoff)
        .fetch_optional(&db.pool)
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.is_some())
}

/// Number of stored sessions.
pub async fn count(db: &DbPool) -> Result<i64, String> {
    let n: String = sqlx::query_scalar("SELECT CAST(COUNT(*) AS TEXT) FROM sessions")
        .fetch_one(&db.pool)
        .await
        .map_err(|e| e.to_string())?;
    n.parse().map_err(|e| format!("{e}"))
}
