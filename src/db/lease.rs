//! Leased connections for the short statements every request makes (the
//! session's load and save): taken out of the sqlx pool once, then handed
//! from request to request here.
//!
//! NOTE: sqlx pings every connection it takes back into its pool, and
//! that cannot be turned off: one more round trip per statement — to the
//! connection's worker thread on SQLite, to the server on PostgreSQL — that
//! cost about as much as the statement itself. A [`Lease`] whose statement
//! completed gives its connection back without it. Only a lease dropped
//! before its statement completed (the request was cancelled, or the
//! statement failed) has its connection pinged in the background — which
//! drains whatever the statement left in flight — before it is reused, and
//! dropped if that fails: reconnecting (a new server process on PostgreSQL)
//! stalled requests for tens of milliseconds.
//!
//! On SQLite, writes lease the single writer connection, one at a time:
//! writers then queue here, in order and woken at once, instead of in
//! SQLite's busy handler, which sleeps 1, 2, 5, 10 … ms between tries and made
//! the slowest writes wait tens of milliseconds.
//!
//! On PostgreSQL, leased connections commit asynchronously (see
//! `Lanes::fresh`): leases are for state that may be lost in a crash of the
//! database server, like sessions — not for bookings.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::any::{AnyArguments, AnyQueryResult, AnyRow};
use sqlx::query::{Query, QueryAs};
use sqlx::{Any, AnyConnection, Connection, FromRow};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

use super::acquire::Acquirer;
use super::backend::Backend;

/// A connection idle longer than this is closed rather than reused (a server
/// or firewall may have dropped it meanwhile).
const MAX_IDLE: Duration = Duration::from_secs(60);
/// How long the background ping of an interrupted lease may take.
const RECOVER_WITHIN: Duration = Duration::from_secs(5);

type Idle = (AnyConnection, Instant);
type Writer = Arc<AsyncMutex<Option<Idle>>>;

/// The connections kept out of the pool, and the right to use them.
pub(crate) struct Lanes {
    idle: Mutex<Vec<Idle>>,
    permits: Arc<Semaphore>,
    /// SQLite only: the one connection that writes.
    writer: Option<Writer>,
    backend: Backend,
}

impl Lanes {
    /// Up to `shared` leased connections, plus the writer on SQLite.
    pub(crate) fn new(shared: usize, backend: Backend) -> Lanes {
        Lanes {
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(shared.max(1))),
            writer: (backend == Backend::Sqlite).then(|| Arc::new(AsyncMutex::new(None))),
            backend,
        }
    }

    /// A connection taken out of the pool for good.
    async fn fresh(&self, pool: &Acquirer) -> sqlx::Result<AnyConnection> {
        let mut conn = pool.acquire().await?.detach();
        if self.backend == Backend::Postgres {
            // NOTE: the session's commits do not wait for the server's log
            // flush. Other requests and instances see a change at once, as
            // before; only a crash of the PostgreSQL server itself can lose
            // the session changes of its last few hundred milliseconds
            // (never a booking or a code: those use the pool). It made a
            // session write 30% cheaper on the benchmark machine.
            sqlx::query("SET synchronous_commit = off").execute(&mut conn).await?;
        }
        Ok(conn)
    }

    /// Closes the kept connections; later leases fail as on a closed pool.
    pub(crate) async fn close(&self) {
        self.permits.close();
        let idle = std::mem::take(&mut *self.idle.lock().unwrap_or_else(|e| e.into_inner()));
        for (conn, _) in idle {
            let _ = conn.close().await;
        }
        if let Some(writer) = &self.writer {
            if let Some((conn, _)) = writer.lock().await.take() {
                let _ = conn.close().await;
            }
        }
    }

    /// A connection for one statement that only reads.
    pub(crate) async fn lease(self: &Arc<Self>, pool: &Acquirer) -> sqlx::Result<Lease> {
        let permit = self.permits.clone().acquire_owned().await.map_err(|_| sqlx::Error::PoolClosed)?;
        let cached = {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            // NOTE: the most recently used is the one most likely still warm.
            idle.retain(|(_, since)| since.elapsed() < MAX_IDLE);
            idle.pop()
        };
        let conn = match cached {
            Some((conn, _)) => conn,
            None => self.fresh(pool).await?,
        };
        Ok(Lease { conn: Some(conn), home: Some(Home::Shared(permit)), lanes: self.clone(), done: false })
    }

    /// A connection for one statement that writes: the writer on SQLite, a
    /// shared one elsewhere.
    pub(crate) async fn write_lease(self: &Arc<Self>, pool: &Acquirer) -> sqlx::Result<Lease> {
        let Some(writer) = &self.writer else { return self.lease(pool).await };
        let mut slot = writer.clone().lock_owned().await;
        let conn = match slot.take() {
            Some((conn, since)) if since.elapsed() < MAX_IDLE => conn,
            _ => self.fresh(pool).await?,
        };
        Ok(Lease { conn: Some(conn), home: Some(Home::Writer(slot)), lanes: self.clone(), done: false })
    }

    /// Drops the idle shared connections.
    fn forget_idle(&self) {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Takes `conn` back; `home` (the permit or the writer's slot) is
    /// released after it.
    fn give_back(&self, conn: AnyConnection, home: Home) {
        match home {
            Home::Shared(_permit) if !self.permits.is_closed() => {
                self.idle.lock().unwrap_or_else(|e| e.into_inner()).push((conn, Instant::now()));
            }
            Home::Shared(_) => {}
            Home::Writer(mut slot) => *slot = Some((conn, Instant::now())),
        }
    }
}

/// One connection on loan; use it as `&mut *lease`, then call
/// [`Lease::finish`].
pub struct Lease {
    conn: Option<AnyConnection>,
    home: Option<Home>,
    lanes: Arc<Lanes>,
    done: bool,
}

enum Home {
    Shared(OwnedSemaphorePermit),
    Writer(OwnedMutexGuard<Option<Idle>>),
}

impl Lease {
    /// The statement completed: the connection goes back for the next lease.
    pub fn finish(mut self) {
        self.done = true;
    }
}

impl Deref for Lease {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        self.conn.as_ref().expect("a lease holds its connection until dropped")
    }
}

impl DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.conn.as_mut().expect("a lease holds its connection until dropped")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let (Some(mut conn), Some(home)) = (self.conn.take(), self.home.take()) else { return };
        if self.done {
            self.lanes.give_back(conn, home);
            return;
        }
        // Interrupted: recover the connection in the background, keeping the
        // permit (or the writer's slot) until then; without a runtime (at
        // shutdown) it is simply closed.
        let lanes = self.lanes.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                match tokio::time::timeout(RECOVER_WITHIN, conn.ping()).await {
                    Ok(Ok(())) => lanes.give_back(conn, home),
                    // NOTE: the connection is lost, and so most likely are
                    // the idle ones beside it (the server restarted): the
                    // next leases open fresh ones instead of failing once each.
                    _ => lanes.forget_idle(),
                }
            });
        }
    }
}

/// Which leased connection a statement runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// A shared connection, for a statement that only reads.
    Read,
    /// On SQLite the single writer; elsewhere a shared connection.
    Write,
}

/// One statement on a leased connection (see [`super::DbPool::on`]): the
/// lease is taken, used and given back inside each call.
pub struct OnLease<'a> {
    pub(super) lanes: &'a Arc<Lanes>,
    pub(super) pool: &'a Acquirer,
    pub(super) lane: Lane,
}

impl OnLease<'_> {
    async fn lease(&self) -> sqlx::Result<Lease> {
        match self.lane {
            Lane::Read => self.lanes.lease(self.pool).await,
            Lane::Write => self.lanes.write_lease(self.pool).await,
        }
    }

    /// Runs `query`.
    pub async fn execute<'q>(self, query: Query<'q, Any, AnyArguments<'q>>) -> sqlx::Result<AnyQueryResult> {
        let mut conn = self.lease().await?;
        let done = query.execute(&mut *conn).await?;
        conn.finish();
        Ok(done)
    }

    /// Runs `query`; its row, if any.
    pub async fn fetch_optional<'q, O>(self, query: QueryAs<'q, Any, O, AnyArguments<'q>>) -> sqlx::Result<Option<O>>
    where
        O: Send + Unpin + for<'r> FromRow<'r, AnyRow>,
    {
        let mut conn = self.lease().await?;
        let row = query.fetch_optional(&mut *conn).await?;
        conn.finish();
        Ok(row)
    }
}

#[cfg(test)]
mod tests;
