//! Which SQL engine the app talks to, read from the database URL: the
//! session crate's [`Backend`], so that the pool it shares names its engine
//! the same way.

pub use rocket_db_session::Backend;
