//! Leased connections for the short statements every request makes (the
//! session's load and save): taken out of the sqlx pool once, then handed
//! from request to request here.
//!
//! NOTE: sqlx 0.7 pings every connection it takes back into its pool, and
//! that cannot be turned off: one more round trip per statement — to the
//! connection's worker thread on SQLite, to the server on PostgreSQL — that
//! cost about as much as the statement itself. A [`Lease`] whose statement
//! completed gives its connection back without it; one whose statement failed
//! or was cancelled drops the connection, and a later lease opens a fresh one.
//!
//! On SQLite, writes lease the single writer connection, one at a time:
//! writers then queue here, in order and woken at once, instead of in
//! SQLite's busy handler, which sleeps 1, 2, 5, 10 … ms between tries and made
//! the slowest writes wait tens of milliseconds.

use std::ops::{Deref, DerefMut};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::AnyConnection;
use sqlx::AnyPool;
use tokio::sync::{Mutex as AsyncMutex, MutexGuard, Semaphore, SemaphorePermit};

/// A connection idle longer than this is closed rather than reused (a server
/// or firewall may have dropped it meanwhile).
const MAX_IDLE: Duration = Duration::from_secs(60);

type Idle = (AnyConnection, Instant);

/// The connections kept out of the pool, and the right to use them.
pub(crate) struct Lanes {
    idle: Mutex<Vec<Idle>>,
    permits: Semaphore,
    /// SQLite only: the one connection that writes.
    writer: Option<AsyncMutex<Option<Idle>>>,
}

impl Lanes {
    /// Up to `shared` leased readers (and, with `writer`, one writer).
    pub(crate) fn new(shared: usize, writer: bool) -> Lanes {
        Lanes {
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(shared.max(1)),
            writer: writer.then(|| AsyncMutex::new(None)),
        }
    }

    /// A connection for one statement that only reads.
    pub(crate) async fn lease<'a>(&'a self, pool: &AnyPool) -> sqlx::Result<Lease<'a>> {
        let permit = self.permits.acquire().await.map_err(|_| sqlx::Error::PoolClosed)?;
        let cached = {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            // NOTE: the most recently used is the one most likely still warm.
            idle.retain(|(_, since)| since.elapsed() < MAX_IDLE);
            idle.pop()
        };
        let conn = match cached {
            Some((conn, _)) => conn,
            None => pool.acquire().await?.detach(),
        };
        Ok(Lease { conn: Some(conn), home: Home::Shared { lanes: self, _permit: permit }, done: false })
    }

    /// A connection for one statement that writes: the writer on SQLite, a
    /// shared one elsewhere.
    pub(crate) async fn write_lease<'a>(&'a self, pool: &AnyPool) -> sqlx::Result<Lease<'a>> {
        let Some(writer) = &self.writer else { return self.lease(pool).await };
        let mut slot = writer.lock().await;
        let conn = match slot.take() {
            Some((conn, since)) if since.elapsed() < MAX_IDLE => conn,
            _ => pool.acquire().await?.detach(),
        };
        Ok(Lease { conn: Some(conn), home: Home::Writer(slot), done: false })
    }
}

/// One connection on loan; use it as `&mut *lease`, then call
/// [`Lease::finish`]. Dropped unfinished, it closes the connection.
pub struct Lease<'a> {
    conn: Option<AnyConnection>,
    home: Home<'a>,
    done: bool,
}

enum Home<'a> {
    Shared { lanes: &'a Lanes, _permit: SemaphorePermit<'a> },
    Writer(MutexGuard<'a, Option<Idle>>),
}

impl Lease<'_> {
    /// The statement completed: the connection goes back for the next lease.
    pub fn finish(mut self) {
        self.done = true;
    }
}

impl Deref for Lease<'_> {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        self.conn.as_ref().expect("a lease holds its connection until dropped")
    }
}

impl DerefMut for Lease<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.conn.as_mut().expect("a lease holds its connection until dropped")
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take().filter(|_| self.done) else { return };
        match &mut self.home {
            Home::Shared { lanes, .. } => {
                lanes.idle.lock().unwrap_or_else(|e| e.into_inner()).push((conn, Instant::now()));
            }
            Home::Writer(slot) => **slot = Some((conn, Instant::now())),
        }
    }
}
