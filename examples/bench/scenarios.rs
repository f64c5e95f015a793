//! Scenario setup and the two scenarios wrk cannot drive: `flow` (whole
//! bookings by 16 concurrent visitors) and the purge of a million expired
//! sessions under `session-read` load.

use std::path::Path;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use rand::Rng;

use crate::db;
use crate::http::{self, field_values, Visitor};
use crate::mail::Mail;
use crate::smtp::SmtpServer;
use crate::wrk::{self, Load, Stats};

/// The service every visitor books (from `Rocket.toml`).
const SERVICE: &str = "consultation";

/// `(cookie, csrf_token)` of an established session.
pub type Established = (String, String);

/// A visitor who chose a service and a slot: `/book/details` renders for it.
fn reader(visitor: &mut Visitor, pick: usize) -> Result<String, String> {
    let anon = visitor.get("/book/service")?.expect(200, "GET /book/service")?.field("csrf_token")?;
    visitor.post("/book/service", &[("csrf_token", &anon), ("service", SERVICE)])?.expect(303, "POST /book/service")?;
    let page = visitor.get("/book/slot")?.expect(200, "GET /book/slot")?;
    let token = page.field("csrf_token")?;
    let slots = field_values(&page.body, "slot");
    let slot = slots.get(pick % slots.len().max(1)).ok_or("the slot page offers no slot")?;
    visitor.post("/book/slot", &[("csrf_token", &token), ("slot", slot)])?.expect(303, "POST /book/slot")?;
    Ok(token)
}

/// `n` sessions of visitors who reached the details step.
pub fn readers(base: &str, n: usize) -> Result<Vec<Established>, String> {
    let agent = http::agent();
    (0..n)
        .map(|i| {
            let mut visitor = Visitor::new(&agent, base);
            let token = reader(&mut visitor, i)?;
            let page = visitor.get("/book/details")?.expect(200, "GET /book/details")?;
            if !page.body.contains("name=\"email\"") {
                return Err("/book/details shows no details form".into());
            }
            Ok((visitor.cookie().ok_or("no session cookie")?, token))
        })
        .collect()
}

/// `n` sessions created by the theme switcher of the landing page.
pub fn writers(base: &str, n: usize) -> Result<Vec<Established>, String> {
    let agent = http::agent();
    (0..n)
        .map(|_| {
            let mut visitor = Visitor::new(&agent, base);
            let anon = visitor.get("/")?.expect(200, "GET /")?.field("csrf_token")?;
            let pairs = [("csrf_token", anon.as_str()), ("theme", "light"), ("next", "/")];
            visitor.post("/prefs", &pairs)?.expect(303, "POST /prefs")?;
            let page = visitor.get("/")?.expect(200, "GET / with a session")?;
            if !page.body.contains("data-theme=\"light\"") {
                return Err("POST /prefs did not store the theme".into());
            }
            Ok((visitor.cookie().ok_or("no session cookie")?, page.field("csrf_token")?))
        })
        .collect()
}

/// Size in bytes of one `GET /book/details` answer, to check wrk's answers
/// were real pages and not redirects.
pub fn details_size(base: &str, session: &Established) -> Result<u64, String> {
    let answer = http::agent()
        .get(&format!("{base}/book/details"))
        .set("Cookie", &session.0)
        .call()
        .map_err(|e| format!("GET /book/details: {e}"))?;
    let body = answer.into_string().map_err(|e| e.to_string())?;
    Ok(body.len() as u64)
}

/// What the flow scenario measured.
#[derive(Debug, Clone, Default)]
pub struct Flow {
    pub bookings: u64,
    pub secs: f64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl Flow {
    /// Completed bookings per second.
    pub fn per_sec(&self) -> f64 {
        self.bookings as f64 / self.secs.max(1e-9)
    }
}

/// One whole booking: service → slot → details → verify → confirm → done.
fn book(agent: &ureq::Agent, base: &str, sink: &SmtpServer, email: &str, pick: usize) -> Result<(), String> {
    let mut visitor = Visitor::new(agent, base);
    let token = reader(&mut visitor, pick)?;
    visitor.get("/book/details")?.expect(200, "GET /book/details")?;
    let details = [("csrf_token", token.as_str()), ("name", "Bench Visitor"), ("email", email), ("phone", "")];
    visitor.post("/book/details", &details)?.expect(303, "POST /book/details")?;
    let mail = sink.take_to(email, Duration::from_secs(15)).ok_or("no code email within 15 s")?;
    let code = Mail::try_parse(&mail.data).and_then(|mail| mail.code()).ok_or("no code in the code email")?;
    visitor.get("/book/verify")?.expect(200, "GET /book/verify")?;
    visitor.post("/book/verify", &[("csrf_token", &token), ("code", &code)])?.expect(303, "POST /book/verify")?;
    visitor.get("/book/confirm")?.expect(200, "GET /book/confirm")?;
    visitor.post("/book/confirm", &[("csrf_token", &token)])?.expect(303, "POST /book/confirm")?;
    let done = visitor.get("/book/done")?.expect(200, "GET /book/done")?;
    if !done.body.contains("id=\"booking-ref\"") {
        return Err("/book/done shows no booking reference".into());
    }
    Ok(())
}

/// `visitors` threads book one appointment after another for `secs`.
pub fn flow(base: &str, sink: &SmtpServer, visitors: usize, secs: u64) -> Flow {
    let started = Instant::now();
    let until = started + Duration::from_secs(secs);
    let times = Mutex::new(Vec::new());
    let errors = Mutex::new(Vec::new());
    // NOTE: addresses differ from run to run: a confirmation the outbox
    // delivers after `forget_to` stays in the shared sink, and the next
    // backend's visitor of the same address took it for its code email.
    let run: u32 = rand::random();
    thread::scope(|scope| {
        for v in 0..visitors {
            let (times, errors) = (&times, &errors);
            scope.spawn(move || {
                let agent = http::agent();
                let mut rng = rand::thread_rng();
                let mut n = 0;
                while Instant::now() < until {
                    let email = format!("visitor{v}-{n}-{run:08x}@bench.test");
                    n += 1;
                    let t0 = Instant::now();
                    match book(&agent, base, sink, &email, rng.gen_range(0..10_000)) {
                        Ok(()) => times.lock().unwrap_or_else(|e| e.into_inner()).push(t0.elapsed()),
                        Err(e) => errors.lock().unwrap_or_else(|e| e.into_inner()).push(e),
                    }
                    // NOTE: the sink keeps every message until taken; the
                    // confirmation is never read, so it goes here, untimed.
                    sink.forget_to(&email);
                }
            });
        }
    });
    let secs = started.elapsed().as_secs_f64();
    let mut times = times.into_inner().unwrap_or_else(|e| e.into_inner());
    let errors = errors.into_inner().unwrap_or_else(|e| e.into_inner());
    times.sort();
    let at = |q: f64| times.get(((times.len() as f64 * q) as usize).min(times.len().saturating_sub(1)));
    let ms = |d: Option<&Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1e3);
    Flow {
        bookings: times.len() as u64,
        secs,
        errors: errors.len() as u64,
        first_error: errors.first().cloned(),
        p50_ms: ms(at(0.5)),
        p99_ms: ms(at(0.99)),
    }
}

/// What the purge scenario measured.
#[derive(Debug, Clone, Default)]
pub struct Purge {
    /// From the first sampled row gone to the last expired row gone.
    pub secs: f64,
    /// session-read under the purge (the window covers it).
    pub load: Stats,
    /// session-read right after, as long, without a purge: the noise floor.
    pub control: Stats,
}

/// Seeds `count` expired sessions, then measures `session-read` with wrk
/// until the app's periodic purge has deleted them all.
pub fn purge(dir: &Path, base: &str, url: &str, sessions: &[Established], count: i64) -> Result<Purge, String> {
    db::block_on(db::seed(url, db::EXPIRED_FIRST, count, false))?;
    let cutoff = chrono::Utc::now().timestamp_millis() - 60_000;
    // Sixteen rows spread over the seeded range, and its last one: the purge
    // walks the rows by deadline, so that one goes last.
    let mut samples: Vec<String> = (0..16).map(|k| db::seeded_key(db::EXPIRED_FIRST + k * (count / 16))).collect();
    samples.push(db::seeded_key(db::EXPIRED_FIRST + count - 1));
    let load = wrk::spawn(dir, "purge", base, &Load::Read { path: "/book/details", sessions }, 900)?;
    if crate::control() {
        thread::sleep(Duration::from_secs(30));
        wrk::interrupt(&load);
        return Ok(Purge { secs: 0.0, load: wrk::finish(load)?, control: Stats::default() });
    }
    // NOTE: only primary-key probes while wrk measures: on PostgreSQL a range
    // query over the deadlines walks every dead index entry the purge leaves.
    let watched = db::block_on(async {
        let pool = db::open(url).await?;
        let limit = Instant::now() + Duration::from_secs(600);
        let mut began = None;
        while Instant::now() < limit {
            let now = Instant::now();
            let left = db::remaining(&pool, &samples).await?;
            began = began.or((left < samples.len()).then_some(now));
            if let (Some(began), 0) = (began, left) {
                pool.pool.close().await;
                return Ok(now - began);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err("the purge did not finish within 10 minutes".to_string())
    });
    thread::sleep(Duration::from_millis(500));
    wrk::interrupt(&load);
    let load = wrk::finish(load)?;
    let secs = watched?.as_secs_f64();
    let all_gone = db::block_on(async {
        let pool = db::open(url).await?;
        let any = db::any_expired(&pool, cutoff).await;
        pool.pool.close().await;
        any.map(|any| !any)
    })?;
    if !all_gone {
        return Err("expired sessions were left after the purge".into());
    }
    let window = (load.secs.round() as u64).clamp(10, 30);
    let control =
        wrk::finish(wrk::spawn(dir, "purge-control", base, &Load::Read { path: "/book/details", sessions }, window)?)?;
    Ok(Purge { secs, load, control })
}
