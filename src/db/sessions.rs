//! The app's pool as the session crate's connections.

use super::{Backend, DbPool, Lease};

/// The session crate's database stores run on the app's pool: a read on a
/// shared connection, a write on SQLite's writer, each statement leased.
impl rocket_db_session::Connections for DbPool {
    type Conn = Lease;

    fn backend(&self) -> Backend {
        self.backend
    }

    async fn acquire(&self, lane: rocket_db_session::Lane) -> sqlx::Result<Lease> {
        match lane {
            rocket_db_session::Lane::Read => self.lease().await,
            rocket_db_session::Lane::Write => self.write_lease().await,
        }
    }

    fn finished(conn: Lease) {
        conn.finish();
    }
}
