//! `practitioners` (issue 24): the slot page — the hot path — on servers
//! with 0, 1 and 10 practitioners, 14 days of horizon, each visitor at the
//! slot step of the service (with practitioners, having asked for anyone,
//! the union of every calendar). The three take turns in rounds, so the
//! shared machine's drift hits them alike. Target: 10 practitioners cost at
//! most twice the single calendar (what is taken is read once for all).

use std::path::Path;

use crate::db::PgDatabase;
use crate::http::{self, field_values, Visitor};
use crate::report;
use crate::scenarios::Established;
use crate::server::Server;
use crate::wrk::{self, Load, Stats};

/// A started server: it, its database URL, and its PostgreSQL database.
pub type Started = (Server, String, Option<PgDatabase>);

/// The practitioner counts compared.
pub const COUNTS: [usize; 3] = [0, 1, 10];

/// Adds `n` practitioners (open whenever the practice is, capacity 1) to the
/// server's `ROCKET_BOOKING`.
pub fn with_practitioners(env: &mut [(String, String)], n: usize) {
    if n == 0 {
        return;
    }
    let list: Vec<String> = (0..n).map(|i| format!(r#"{{id="p{i}",name="P{i}"}}"#)).collect();
    let booking = env.iter_mut().find(|(k, _)| k == "ROCKET_BOOKING").expect("set by environment()");
    booking.1 = booking.1.replacen('{', &format!("{{practitioners=[{}],", list.join(",")), 1);
}

/// `n` sessions of visitors at the slot step; with practitioners, they
/// asked for anyone.
fn slot_readers(base: &str, n: usize, staffed: bool) -> Result<Vec<Established>, String> {
    let agent = http::agent();
    (0..n)
        .map(|_| {
            let mut v = Visitor::new(&agent, base);
            let anon = v.get("/book/service")?.expect(200, "GET /book/service")?.field("csrf_token")?;
            v.post("/book/service", &[("csrf_token", &anon), ("service", "consultation")])?
                .expect(303, "POST /book/service")?;
            if staffed {
                let token = v.get("/book/practitioner")?.expect(200, "GET /book/practitioner")?.field("csrf_token")?;
                v.post("/book/practitioner", &[("csrf_token", &token), ("practitioner", "any")])?
                    .expect(303, "POST /book/practitioner")?;
            }
            let page = v.get("/book/slot")?.expect(200, "GET /book/slot")?;
            if field_values(&page.body, "slot").is_empty() {
                return Err("the slot page offers no slot".into());
            }
            Ok((v.cookie().ok_or("no session cookie")?, page.field("csrf_token")?))
        })
        .collect()
}

/// Runs the scenario: `start(name, n)` starts a server with `n` practitioners.
pub fn run(
    dir: &Path,
    start: &dyn Fn(&str, usize) -> Result<Started, String>,
    (secs, rounds, sessions): (u64, u64, usize),
) -> Result<Vec<(usize, Stats)>, String> {
    let mut servers = Vec::new();
    for n in COUNTS {
        let (server, _, pg) = start(&format!("bench_p{n}"), n)?;
        let readers = slot_readers(&server.base, sessions, n > 0)?;
        servers.push((n, server, pg, readers));
    }
    let mut runs: Vec<Vec<Stats>> = vec![Vec::new(); servers.len()];
    for round in 0..rounds {
        for ((n, server, _, readers), runs) in servers.iter().zip(&mut runs) {
            let load = Load::Read { path: "/book/slot", sessions: readers };
            let name = format!("slot-{n}-practitioners");
            runs.push(wrk::run(dir, &name, server, &load, (secs / rounds).max(1), round == 0)?);
        }
    }
    let figures: Vec<(usize, Stats)> = COUNTS.iter().zip(&runs).map(|(n, runs)| (*n, Stats::merge(runs))).collect();
    let single = figures[0].1.requests as f64 / figures[0].1.secs.max(f64::EPSILON);
    for (n, stats) in &figures {
        let rate = stats.requests as f64 / stats.secs.max(f64::EPSILON);
        let cost = if rate > 0.0 { single / rate } else { f64::INFINITY };
        eprintln!(
            "slot, {n:>2} practitioners {}  cost {cost:.2}× the single calendar",
            report::line(stats, &Stats::default())
        );
        if stats.errors > 0 {
            return Err(format!("the slot page with {n} practitioners answered {} errors", stats.errors));
        }
    }
    Ok(figures)
}
