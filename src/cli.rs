//! The maintenance subcommands: they read the same configuration as the
//! server and talk to the same database.

use rocket::figment::Figment;

use crate::db::{self, DbPool};

/// Opens the configured database (without launching the server).
pub async fn open(figment: &Figment) -> Result<DbPool, String> {
    let config: rocket_db_pools::Config = figment
        .focus("databases.slotwise")
        .merge(rocket::figment::providers::Serialized::default("max_connections", 2))
        .merge(rocket::figment::providers::Serialized::default("connect_timeout", 5))
        .extract()
        .map_err(|e| format!("databases.slotwise: {e}"))?;
    db::connect(&config.url, config.max_connections as u32, config.connect_timeout).await.map_err(|e| e.to_string())
}

/// `slotwise migrate`: applies pending migrations.
pub async fn migrate(figment: &Figment) -> Result<String, String> {
    let db = open(figment).await?;
    db::migrate(&db).await.map_err(|e| format!("migrations failed: {e}"))?;
    Ok("migrations applied".into())
}

/// `slotwise clear-sessions`: deletes expired sessions and says how many.
pub async fn clear_sessions(figment: &Figment) -> Result<String, String> {
    let db = open(figment).await?;
    db::migrate(&db).await.map_err(|e| format!("migrations failed: {e}"))?;
    let n = crate::session::clear_expired(&db.pool).await.map_err(|e| e.to_string())?;
    Ok(format!("removed {n} expired session{}", if n == 1 { "" } else { "s" }))
}

/// `slotwise bookings [--date]`: a table of bookings.
pub async fn bookings(figment: &Figment, date: Option<chrono::NaiveDate>) -> Result<String, String> {
    let _ = (figment, date);
    Err("bookings: not available yet".into())
}
