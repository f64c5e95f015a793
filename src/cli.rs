//! The maintenance subcommands: they read the same configuration as the
//! server and talk to the same database. Each validates its input first and
//! answers one line on bad input.

use rocket::figment::Figment;

use crate::clock::Clock;
use crate::db::{self, DbPool};

/// Opens the configured database (without launching the server).
pub async fn open(figment: &Figment) -> Result<DbPool, String> {
    let config: rocket_db_pools::Config = figment
        .focus("databases.slotwise")
        .join(rocket::figment::providers::Serialized::default("url", db::DEFAULT_URL))
        .merge(rocket::figment::providers::Serialized::default("max_connections", 2))
        .merge(rocket::figment::providers::Serialized::default("connect_timeout", 5))
        .extract()
        .map_err(|e| format!("databases.slotwise: {e}"))?;
    db::connect(&config.url, config.max_connections as u32, config.connect_timeout)
        .await
        .map_err(|e| format!("databases.slotwise.url `{}`: {e}", crate::config::redact_url(&config.url)))
}

/// `slotwise migrate`: applies pending migrations.
pub async fn migrate(figment: &Figment) -> Result<String, String> {
    let settings = crate::config::Settings::from_figment(figment).map_err(|e| e.to_string())?;
    let db = open(figment).await?;
    db::migrate(&db).await.map_err(|e| format!("migrations failed: {e}"))?;
    rocket_db_session::migrate(&db, &settings.session.table).await.map_err(|e| format!("migrations failed: {e}"))?;
    Ok("migrations applied".into())
}

/// `slotwise clear-sessions`: deletes expired sessions and says how many.
pub async fn clear_sessions(figment: &Figment) -> Result<String, String> {
    let settings = crate::config::Settings::from_figment(figment).map_err(|e| e.to_string())?;
    let db = open(figment).await?;
    db::migrate(&db).await.map_err(|e| format!("migrations failed: {e}"))?;
    let store = crate::session::store::open(&settings.session, Some(db)).await.map_err(|e| e.to_string())?;
    let n = crate::session::clear_expired(&store, Clock::system().now_ms()).await.map_err(|e| e.to_string())?;
    Ok(format!("removed {n} expired session{}", if n == 1 { "" } else { "s" }))
}

/// `slotwise bookings [--date] [--practitioner]`: a table of bookings (from
/// today, or of one local day; of one practitioner), in the practice's time
/// zone; with practitioners, each line names the booking's.
pub async fn bookings(
    figment: &Figment,
    date: Option<chrono::NaiveDate>,
    practitioner: Option<&str>,
) -> Result<String, String> {
    use chrono::{Duration, TimeZone, Utc};
    let settings = crate::config::Settings::from_figment(figment).map_err(|e| e.to_string())?;
    let tz = settings.booking.tz();
    let db = open(figment).await?;
    db::migrate(&db).await.map_err(|e| format!("migrations failed: {e}"))?;
    let clock = Clock::system();
    let first = date.unwrap_or_else(|| clock.now().with_timezone(&tz).date_naive());
    let last =
        if date.is_some() { first } else { first + Duration::days(i64::from(settings.booking.horizon_days.get())) };
    let start_of = |d: chrono::NaiveDate| {
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default()).earliest().map(|t| t.with_timezone(&Utc))
    };
    let (Some(from), Some(to)) = (start_of(first), start_of(last + Duration::days(1))) else {
        return Err("that date does not exist in the configured time zone".into());
    };
    let secrets = crate::secrets::Secrets::from_figment(figment).map_err(|e| e.to_string())?;
    let service = crate::booking::service::Bookings::new(&settings.booking, &db, &clock, &secrets);
    if let Some(id) = practitioner {
        if !service.knows(id).await.map_err(|e| e.to_string())? {
            return Err(format!("--practitioner `{id}`: no such practitioner (not configured, no bookings)"));
        }
    }
    let mut rows = service.between(from, to).await.map_err(|e| e.to_string())?;
    rows.retain(|b| practitioner.is_none_or(|id| b.practitioner_id.as_deref() == Some(id)));
    let staffed = settings.booking.staffed() || practitioner.is_some();
    let who = |id: &str| if staffed { format!("{id:<16} ") } else { String::new() };
    let mut out = format!(
        "{:<10} {:<11} {:<5} {:<20} {}{:<30} {:<28} {}\n",
        "REFERENCE",
        "DATE",
        "TIME",
        "SERVICE",
        who("PRACTITIONER"),
        "NAME",
        "EMAIL",
        "STATUS"
    );
    for b in &rows {
        let local = b.starts_at.with_timezone(&tz);
        out.push_str(&format!(
            "{:<10} {:<11} {:<5} {:<20} {}{:<30} {:<28} {}\n",
            b.reference,
            local.format("%Y-%m-%d"),
            local.format("%H:%M"),
            b.service_id,
            who(b.practitioner_id.as_deref().unwrap_or("-")),
            b.name.chars().take(30).collect::<String>(),
            b.email.chars().take(28).collect::<String>(),
            if b.cancelled { "cancelled" } else { "booked" }
        ));
    }
    out.push_str(&format!("{} booking{}", rows.len(), if rows.len() == 1 { "" } else { "s" }));
    Ok(out)
}

/// `slotwise assign --practitioner ID REFERENCE...`: gives bookings made
/// before practitioners were configured (they block their time for every
/// practitioner) to one practitioner, each only when that practitioner has
/// room then; one line per booking.
pub async fn assign(figment: &Figment, practitioner: &str, references: &[String]) -> Result<String, String> {
    use crate::booking::service::Assigned;
    let settings = crate::config::Settings::from_figment(figment).map_err(|e| e.to_string())?;
    let Some(to) = settings.booking.practitioner(practitioner) else {
        return Err(format!("--practitioner `{practitioner}`: not a configured practitioner"));
    };
    let db = open(figment).await?;
    db::migrate(&db).await.map_err(|e| format!("migrations failed: {e}"))?;
    let (clock, secrets) =
        (Clock::system(), crate::secrets::Secrets::from_figment(figment).map_err(|e| e.to_string())?);
    let service = crate::booking::service::Bookings::new(&settings.booking, &db, &clock, &secrets);
    let mut lines = Vec::new();
    for reference in references {
        let line = match service.assign(reference, to).await.map_err(|e| e.to_string())? {
            Assigned::Given => format!("{reference}: given to {practitioner}"),
            Assigned::NotFound => format!("{reference}: no such booking"),
            Assigned::Not(Some(owner)) => format!("{reference}: already {owner}'s"),
            Assigned::Not(None) => format!("{reference}: cancelled"),
            Assigned::Busy => format!("{reference}: {practitioner} has no room then"),
        };
        lines.push(line);
    }
    Ok(lines.join("\n"))
}

/// `slotwise outbox [--failed] [--retry]`: the stored emails not yet
/// delivered (or, with `failed`, given up on), with their attempts and last
/// error, and then the webhook deliveries likewise (when webhooks are
/// configured or any is stored); `retry` puts the failed ones back in the
/// queue.
pub async fn outbox(figment: &Figment, failed: bool, retry: bool) -> Result<String, String> {
    let settings = crate::config::Settings::from_figment(figment).map_err(|e| e.to_string())?;
    let tz = settings.booking.tz();
    let db = open(figment).await?;
    db::migrate(&db).await.map_err(|e| format!("migrations failed: {e}"))?;
    let hooked = !settings.webhooks.0.is_empty();
    if retry {
        let now = Clock::system().now_ms();
        let n = crate::outbox::QUEUE.retry_failed(&db, now).await.map_err(|e| e.to_string())?;
        let mut out = format!("requeued {n} failed email{}", if n == 1 { "" } else { "s" });
        let hooks = crate::webhooks::QUEUE.retry_failed(&db, now).await.map_err(|e| e.to_string())?;
        if hooked || hooks > 0 {
            out.push_str(&format!(" and {hooks} failed webhook deliver{}", if hooks == 1 { "y" } else { "ies" }));
        }
        return Ok(out);
    }
    let status = if failed { "failed" } else { "pending" };
    let rows: Vec<crate::outbox::store::Stored> =
        crate::outbox::QUEUE.list(&db, status).await.map_err(|e| e.to_string())?;
    let mut out = format!(
        "{:<6} {:<13} {:<10} {:<30} {:<16} {:>8}  {}\n",
        "ID", "KIND", "REFERENCE", "TO", "DUE", "ATTEMPTS", "LAST ERROR"
    );
    for e in &rows {
        let due = chrono::DateTime::from_timestamp_millis(e.due_at).unwrap_or_default().with_timezone(&tz);
        out.push_str(&format!(
            "{:<6} {:<13} {:<10} {:<30} {:<16} {:>8}  {}\n",
            e.id,
            e.kind,
            e.reference,
            e.recipient.chars().take(30).collect::<String>(),
            due.format("%Y-%m-%d %H:%M"),
            e.attempts,
            e.last_error.chars().take(80).collect::<String>()
        ));
    }
    out.push_str(&format!("{} {status} email{}", rows.len(), if rows.len() == 1 { "" } else { "s" }));
    let hooks = crate::webhooks::QUEUE.list(&db, status).await.map_err(|e| e.to_string())?;
    if hooked || !hooks.is_empty() {
        out.push_str("\n\n");
        out.push_str(&deliveries(&hooks, status, tz));
    }
    Ok(out)
}

/// The webhook deliveries of `slotwise outbox`: kind, URL host, attempts,
/// last error.
fn deliveries(rows: &[crate::webhooks::store::Stored], status: &str, tz: chrono_tz::Tz) -> String {
    let mut out = format!(
        "{:<6} {:<18} {:<10} {:<30} {:<16} {:>8}  {}\n",
        "ID", "WEBHOOK", "REFERENCE", "HOST", "STORED", "ATTEMPTS", "LAST ERROR"
    );
    for d in rows {
        let stored = chrono::DateTime::from_timestamp_millis(d.due_at).unwrap_or_default().with_timezone(&tz);
        let host = url::Url::parse(&d.url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default();
        out.push_str(&format!(
            "{:<6} {:<18} {:<10} {:<30} {:<16} {:>8}  {}\n",
            d.id,
            d.event,
            d.reference,
            host.chars().take(30).collect::<String>(),
            stored.format("%Y-%m-%d %H:%M"),
            d.attempts,
            d.last_error.chars().take(80).collect::<String>()
        ));
    }
    let n = rows.len();
    out.push_str(&format!("{n} {status} webhook deliver{}", if n == 1 { "y" } else { "ies" }));
    out
}

/// `slotwise funnel [--days N]`: per wizard step, flows that reached it,
/// that stopped there, and the share that went on, over the last `days`
/// local days.
pub async fn funnel(figment: &Figment, days: u32) -> Result<String, String> {
    let settings = crate::config::Settings::from_figment(figment).map_err(|e| e.to_string())?;
    let db = open(figment).await?;
    db::migrate(&db).await.map_err(|e| format!("migrations failed: {e}"))?;
    let now = Clock::system().now();
    crate::metrics::funnel::report(&db, settings.booking.tz(), days, now, settings.booking.staffed())
        .await
        .map_err(|e| e.to_string())
}

/// `slotwise erase --email ADDRESS`: erases the contact details of every
/// booking of that address, and its codes; says how many bookings.
pub async fn erase(figment: &Figment, email: &str) -> Result<String, String> {
    let address = crate::privacy::Address::parse(email)?;
    let settings = crate::config::Settings::from_figment(figment).map_err(|e| e.to_string())?;
    let db = open(figment).await?;
    db::migrate(&db).await.map_err(|e| format!("migrations failed: {e}"))?;
    let n = crate::privacy::erase(&db, &address, Clock::system().now_ms()).await.map_err(|e| e.to_string())?;
    // The sessions that hold the address end (a finished booking's record,
    // a flow at its code step), wherever sessions are kept.
    let sessions = crate::session::store::open(&settings.session, Some(db.clone())).await.map_err(|e| e.to_string())?;
    sessions.delete_holding(address.as_str()).await.map_err(|e| e.to_string())?;
    db.truncate_log().await.map_err(|e| e.to_string())?;
    Ok(format!("erased {n} booking{}", if n == 1 { "" } else { "s" }))
}

/// `slotwise export --email ADDRESS`: every booking of that address as JSON.
pub async fn export(figment: &Figment, email: &str) -> Result<String, String> {
    let address = crate::privacy::Address::parse(email)?;
    let settings = crate::config::Settings::from_figment(figment).map_err(|e| e.to_string())?;
    let db = open(figment).await?;
    db::migrate(&db).await.map_err(|e| format!("migrations failed: {e}"))?;
    crate::privacy::export(&db, &settings, &address, Clock::system().now_ms()).await.map_err(|e| e.to_string())
}
