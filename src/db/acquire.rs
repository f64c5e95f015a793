//! Taking a connection from the pool, in bounded time.
//!
//! NOTE: sqlx retries a connection the server refuses (PostgreSQL at
//! `max_connections`, or restarting) until the pool's acquire timeout, 5 s by
//! default: requests then stalled 5 s and answered `500`. A connection to be
//! made is waited for [`CONNECT_WAIT`]; only a request queued behind the
//! app's own busy connections waits up to `connect_timeout`, since those come
//! back in milliseconds. Past either, the request fails with
//! [`sqlx::Error::PoolTimedOut`], which pages answer with `503` and
//! `Retry-After` ([`unavailable`]).

use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool};

/// How long a request waits for a new connection to the server.
pub const CONNECT_WAIT: Duration = Duration::from_secs(1);

/// The pool and how long to wait on it.
#[derive(Clone)]
pub(crate) struct Acquirer {
    pub(crate) pool: AnyPool,
    max_connections: u32,
    queue_wait: Duration,
}

impl Acquirer {
    pub(crate) fn new(pool: AnyPool, max_connections: u32, queue_wait: Duration) -> Acquirer {
        Acquirer { pool, max_connections, queue_wait }
    }

    /// A pool connection, or `PoolTimedOut` once the wait is over.
    pub(crate) async fn acquire(&self) -> sqlx::Result<PoolConnection<Any>> {
        let must_connect = self.pool.num_idle() == 0 && self.pool.size() < self.max_connections;
        let wait = if must_connect { CONNECT_WAIT } else { self.queue_wait.max(CONNECT_WAIT) };
        match tokio::time::timeout(wait, self.pool.acquire()).await {
            Ok(conn) => conn,
            Err(_) => Err(sqlx::Error::PoolTimedOut),
        }
    }
}

/// Whether `e` says the database cannot be reached right now (no connection
/// to be had, the server shutting down or refusing), rather than a bug: the
/// visitor is asked to try again.
pub fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed => true,
        // PostgreSQL: too many connections (53300), shutting down or
        // starting (57P01-57P03), connection exceptions (08…).
        sqlx::Error::Database(db) => {
            db.code().is_some_and(|code| code == "53300" || code.starts_with("57P0") || code.starts_with("08"))
        }
        _ => false,
    }
}
