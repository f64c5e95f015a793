//! The booking funnel: per local day and wizard step, how many flows reached
//! the step, counted once per flow and step in the shared database (no
//! personal data: a flow is an HMAC of its random id), and the table
//! `slotwise funnel` prints from it.
//!
//! The wizard tells a request's [`Telemetry`] which steps its flow reached;
//! a response fairing records them once the answer is settled.

use std::sync::Mutex;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Request, Response};

use super::families::{Metrics, STEPS};
use super::store;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{Db, DbPool, Lane};
use crate::secrets::Secrets;

/// Steps reached during one request, by flow id (request-local).
#[derive(Default)]
struct Reached(Mutex<Vec<(String, usize)>>);

/// What the wizard reports about one request: the app's [`Metrics`], and the
/// funnel steps its flow reached.
#[derive(Clone, Copy)]
pub struct Telemetry<'r> {
    /// The app's counters.
    pub metrics: &'r Metrics,
    reached: &'r Reached,
}

impl<'r> Telemetry<'r> {
    /// The telemetry of `req`; `None` when the metrics stage is not attached.
    pub fn of(req: &'r Request<'_>) -> Option<Telemetry<'r>> {
        let metrics = req.rocket().state::<Metrics>()?;
        Some(Telemetry { metrics, reached: req.local_cache(Reached::default) })
    }

    /// The flow `flow_id` reached `steps` (names of [`STEPS`]; others are
    /// ignored). Recorded when the response is ready, unless it is a `5xx`.
    pub fn reached<'s>(&self, flow_id: &str, steps: impl IntoIterator<Item = &'s str>) {
        let mut pending = self.reached.0.lock().unwrap_or_else(|e| e.into_inner());
        for step in steps {
            if let Some(i) = STEPS.iter().position(|s| *s == step) {
                pending.push((flow_id.to_string(), i));
            }
        }
    }

    /// The flow `flow_id` booked: it reached `done` (the booking service
    /// counts the booking).
    pub fn booked(&self, flow_id: &str) {
        self.reached(flow_id, ["done"]);
    }
}

/// Records the steps a request's flows reached (see [`Telemetry::reached`]).
pub(super) struct Recorder;

#[rocket::async_trait]
impl Fairing for Recorder {
    fn info(&self) -> Info {
        Info { name: "Booking funnel", kind: Kind::Response }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let pending =
            std::mem::take(&mut *req.local_cache(Reached::default).0.lock().unwrap_or_else(|e| e.into_inner()));
        // NOTE: a 5xx (e.g. the session could not be saved) did not move
        // the visitor on.
        if pending.is_empty() || res.status().code >= 500 {
            return;
        }
        let rocket = req.rocket();
        let (Some(settings), Some(db), Some(secrets), Some(metrics), Some(clock)) = (
            rocket.state::<Settings>(),
            rocket.state::<Db>(),
            rocket.state::<Secrets>(),
            rocket.state::<Metrics>(),
            rocket.state::<Clock>(),
        ) else {
            return;
        };
        let day = clock.now().with_timezone(&settings.booking.tz()).date_naive().to_string();
        if let Err(e) = record(db, secrets, metrics, &pending, &day).await {
            rocket::warn!("recording the booking funnel failed: {e}");
        }
    }
}

async fn record(
    db: &DbPool,
    secrets: &Secrets,
    metrics: &Metrics,
    pending: &[(String, usize)],
    day: &str,
) -> sqlx::Result<()> {
    let mut flows: Vec<&str> = pending.iter().map(|(flow, _)| flow.as_str()).collect();
    flows.sort_unstable();
    flows.dedup();
    for flow in flows {
        let steps: Vec<usize> = pending.iter().filter(|(f, _)| f == flow).map(|(_, s)| *s).collect();
        let hash = hex::encode(&secrets.mac("funnel", &[flow.as_bytes()])[..16]);
        // NOTE: like a session write: on the writer (SQLite), committed
        // without waiting for the log flush (PostgreSQL).
        let new = db.leased(Lane::Write, async |conn| store::record(conn, &hash, &steps, day).await).await?;
        for step in new {
            metrics.flows_reached(step, 1);
        }
    }
    Ok(())
}

/// The funnel over the local days `today − (days − 1) … today` in `tz`: per
/// step, flows that reached it, flows that went no further, and the share
/// that went on — as a table for staff. The `practitioner` row only when
/// the practice is `staffed` (a flow that skipped it counts as through it).
pub async fn report(db: &DbPool, tz: Tz, days: u32, now: DateTime<Utc>, staffed: bool) -> sqlx::Result<String> {
    let today = now.with_timezone(&tz).date_naive();
    let since = today - Duration::days(i64::from(days.max(1)) - 1);
    let since_day = since.to_string();
    let furthest = db.leased(Lane::Read, async |conn| store::furthest(conn, &since_day).await).await?;
    let mut stopped = [0u64; STEPS.len()];
    for (step, flows) in furthest {
        if let Some(n) = stopped.get_mut(step) {
            *n += flows;
        }
    }
    Ok(table(&stopped, (since, today, tz), staffed))
}

/// The table of [`report`] from the flows that got no further than each step.
fn table(stopped: &[u64; STEPS.len()], (since, today, tz): (NaiveDate, NaiveDate, Tz), staffed: bool) -> String {
    let mut out = format!("Booking funnel, {since} to {today} ({tz}); a flow starts when a service is chosen\n");
    out.push_str(&format!("{:<12} {:>8} {:>8} {:>8}\n", "STEP", "REACHED", "STOPPED", "WENT ON"));
    for (i, step) in STEPS.iter().enumerate() {
        if *step == "practitioner" && !staffed {
            continue;
        }
        let reached: u64 = stopped[i..].iter().sum();
        let (stopped_here, went_on) = if i + 1 == STEPS.len() {
            ("-".to_string(), "-".to_string())
        } else if reached == 0 {
            ("0".to_string(), "-".to_string())
        } else {
            let share = (reached - stopped[i]) as f64 * 100.0 / reached as f64;
            (stopped[i].to_string(), format!("{share:.1}%"))
        };
        out.push_str(&format!("{step:<12} {reached:>8} {stopped_here:>8} {went_on:>8}\n"));
    }
    let flows: u64 = stopped.iter().sum();
    out.push_str(&format!("{flows} flow{}", if flows == 1 { "" } else { "s" }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_counts_reached_from_where_flows_stopped() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("a date");
        let text = table(&[0, 0, 2, 1, 0, 1, 4], (day, day, chrono_tz::Europe::Berlin), false);
        let rows: Vec<Vec<&str>> = text.lines().skip(2).take(6).map(|l| l.split_whitespace().collect()).collect();
        assert_eq!(rows[0], ["service", "8", "0", "100.0%"]);
        assert_eq!(rows[1], ["slot", "8", "2", "75.0%"]);
        assert_eq!(rows[2], ["details", "6", "1", "83.3%"]);
        assert_eq!(rows[4], ["confirm", "5", "1", "80.0%"]);
        assert_eq!(rows[5], ["done", "4", "-", "-"]);
        assert!(!text.contains("practitioner"), "no such step without practitioners: {text}");
        assert!(text.ends_with("8 flows"), "{text}");
    }

    #[test]
    fn with_practitioners_the_table_has_their_step() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("a date");
        let text = table(&[1, 3, 2, 0, 0, 0, 4], (day, day, chrono_tz::Europe::Berlin), true);
        let rows: Vec<Vec<&str>> = text.lines().skip(2).take(3).map(|l| l.split_whitespace().collect()).collect();
        assert_eq!(rows[0], ["service", "10", "1", "90.0%"]);
        assert_eq!(rows[1], ["practitioner", "9", "3", "66.7%"]);
        assert_eq!(rows[2], ["slot", "6", "2", "66.7%"]);
    }
}
