//! Where the database stores get their connections: the [`Connections`]
//! trait, implemented here for a plain [`sqlx::AnyPool`] and by an app for a
//! pool of its own.

use std::future::Future;
use std::ops::DerefMut;
use std::time::{Duration, Instant};

use sqlx::any::{AnyArguments, AnyQueryResult, AnyRow};
use sqlx::pool::PoolConnection;
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::{Any, AnyConnection, AnyPool, FromRow};

/// Which SQL engine a database speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// Reads the backend from a database URL's scheme (`sqlite:`,
    /// `postgres:` or `postgresql:`).
    pub fn from_url(url: &str) -> Option<Backend> {
        match url.split_once(':')?.0 {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            _ => None,
        }
    }
}

/// What a statement does, so a pool can route it (on SQLite an app may keep
/// one connection for every write, so writers queue instead of failing with
/// `SQLITE_BUSY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// The statement only reads.
    Read,
    /// The statement writes.
    Write,
}

/// A source of database connections for the database stores.
///
/// Implemented for [`sqlx::AnyPool`]; implement it for your own pool to
/// share it with the sessions (the stores run one statement per
/// connection they take, and never hold one across an `await` of anything
/// but that statement).
pub trait Connections: Clone + Send + Sync + 'static {
    /// A connection on loan.
    type Conn: DerefMut<Target = AnyConnection> + Send;

    /// The engine behind the connections.
    fn backend(&self) -> Backend;

    /// A connection for one statement on `lane`.
    fn acquire(&self, lane: Lane) -> impl Future<Output = sqlx::Result<Self::Conn>> + Send;

    /// The statement on `conn` completed; the connection may serve the next
    /// one. (A connection dropped without this call was interrupted
    /// mid-statement.) Dropping it is the default.
    fn finished(conn: Self::Conn) {
        drop(conn);
    }
}

/// A plain pool; its backend is read from the pool's connect options.
impl Connections for AnyPool {
    type Conn = PoolConnection<Any>;

    fn backend(&self) -> Backend {
        // NOTE: `AnyConnectOptions` keeps the URL it was parsed from.
        Backend::from_url(self.connect_options().database_url.as_str()).unwrap_or(Backend::Sqlite)
    }

    fn acquire(&self, _lane: Lane) -> impl Future<Output = sqlx::Result<Self::Conn>> + Send {
        self.acquire()
    }
}

/// One statement on a connection of `db`, taken and given back inside each
/// call.
pub(crate) struct On<'a, C: Connections> {
    pub(crate) db: &'a C,
    pub(crate) lane: Lane,
}

/// Runs statements of `lane` on `db`.
pub(crate) fn on<C: Connections>(db: &C, lane: Lane) -> On<'_, C> {
    On { db, lane }
}

impl<C: Connections> On<'_, C> {
    /// Runs `query`.
    pub(crate) async fn execute<'q>(self, query: Query<'q, Any, AnyArguments<'q>>) -> sqlx::Result<AnyQueryResult> {
        let mut conn = self.db.acquire(self.lane).await?;
        let done = query.execute(&mut *conn).await?;
        C::finished(conn);
        Ok(done)
    }

    /// Runs `query`; the first column of every row.
    pub(crate) async fn fetch_all<'q, O>(self, query: QueryScalar<'q, Any, O, AnyArguments<'q>>) -> sqlx::Result<Vec<O>>
    where
        O: Send + Unpin + sqlx::Type<Any> + for<'r> sqlx::Decode<'r, Any>,
    {
        let mut conn = self.db.acquire(self.lane).await?;
        let rows = query.fetch_all(&mut *conn).await?;
        C::finished(conn);
        Ok(rows)
    }

    /// Runs `query`; its row, if any.
    pub(crate) async fn fetch_optional<'q, O>(
        self,
        query: QueryAs<'q, Any, O, AnyArguments<'q>>,
    ) -> sqlx::Result<Option<O>>
    where
        O: Send + Unpin + for<'r> FromRow<'r, AnyRow>,
    {
        let mut conn = self.db.acquire(self.lane).await?;
        let row = query.fetch_optional(&mut *conn).await?;
        C::finished(conn);
        Ok(row)
    }
}

/// The shortest pause between two purge batches.
const MIN_PAUSE: Duration = Duration::from_millis(2);

/// Runs `batch` until it says no work is left, and returns the sum of what
/// the batches counted. `batch` answers `(counted, more)`.
///
/// NOTE: after each batch it pauses as long as the batch took, so purging
/// a big backlog (a million expired sessions) never takes more than half of
/// the writer away from requests.
pub(crate) async fn paced<E, F, Fut>(mut batch: F) -> Result<u64, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(u64, bool), E>>,
{
    let mut total = 0;
    loop {
        let started = Instant::now();
        let (counted, more) = batch().await?;
        total += counted;
        if !more {
            return Ok(total);
        }
        tokio::time::sleep(started.elapsed().max(MIN_PAUSE)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_from_url() {
        assert_eq!(Backend::from_url("sqlite://x.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::from_url("postgresql://h/db"), Some(Backend::Postgres));
        assert_eq!(Backend::from_url("mysql://h/db"), None);
    }

    #[tokio::test]
    async fn paced_sums_the_batches_until_one_says_done() {
        let mut left = 5;
        let total = paced(|| {
            left -= 1;
            std::future::ready(Ok::<_, ()>((10, left > 0)))
        })
        .await;
        assert_eq!((total, left), (Ok(50), 0));
    }
}
