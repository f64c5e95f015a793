//! The Slotwise benchmark (issue 6, part 4). Run it with `bash bench/run`,
//! which installs wrk if needed and builds this driver and the release
//! binary.
//!
//! For each backend (SQLite in a temporary file; PostgreSQL in a fresh
//! database `slotwise_bench` on `BENCH_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`, dropped afterwards) it starts
//! `target/release/slotwise` on a loopback port and measures, with wrk at 32
//! connections:
//! `landing` (`GET /`, no session), `session-read` (`GET /book/details` with
//! established sessions), `session-write` (`POST /prefs`, theme dark/light by
//! turns), `flow` (whole bookings by 16 concurrent visitors, codes caught by
//! an SMTP sink), `session-read` again with a million stored sessions, and
//! the purge of a million expired sessions under `session-read` load; then
//! the server's peak RSS. It prints one table of figures, targets and
//! pass/miss. Nothing here is a test: the figures are reported, not asserted.
//!
//! Options: `--backend sqlite|postgres|both` (default both), `--secs N` per
//! scenario (default 10), `--sessions N` stored/expired sessions (default
//! 1000000), `--only landing,read,write,flow,million,purge` (a subset, for
//! quick comparisons while profiling). `BENCH_MAX_CONNECTIONS=N` sets the
//! server's `databases.slotwise.max_connections`; `BENCH_PURGE_CONTROL=1`
//! runs the purge scenario without the purge.

mod db;
mod http;
mod report;
mod scenarios;
mod server;
mod smtp;
mod wrk;

use std::path::Path;
use std::process::ExitCode;

use base64::Engine;

use report::Figures;
use server::Server;
use wrk::Load;

/// Established sessions the read and write scenarios spread their load over.
const SESSIONS: usize = 64;
/// Concurrent visitors of the flow scenario.
const VISITORS: usize = 16;

struct Options {
    backends: Vec<&'static str>,
    secs: u64,
    sessions: i64,
    only: Option<Vec<String>>,
    pg_admin: String,
}

impl Options {
    fn parse() -> Result<Options, String> {
        let mut options = Options {
            backends: vec!["sqlite", "postgres"],
            secs: 10,
            sessions: 1_000_000,
            only: None,
            pg_admin: std::env::var("BENCH_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into()),
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--backend" => {
                    options.backends = match value()?.as_str() {
                        "sqlite" => vec!["sqlite"],
                        "postgres" => vec!["postgres"],
                        "both" => vec!["sqlite", "postgres"],
                        other => return Err(format!("--backend {other}: use sqlite, postgres or both")),
                    }
                }
                "--secs" => options.secs = value()?.parse().map_err(|e| format!("--secs: {e}"))?,
                "--sessions" => options.sessions = value()?.parse().map_err(|e| format!("--sessions: {e}"))?,
                "--only" => options.only = Some(value()?.split(',').map(str::to_string).collect()),
                other => return Err(format!("unknown argument {other}")),
            }
        }
        Ok(options)
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let options = Options::parse()?;
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let bin = exe.parent().and_then(Path::parent).map(|d| d.join("slotwise")).ok_or("no target directory")?;
    if !bin.exists() {
        return Err(format!("{} is missing: cargo build --release --bin slotwise", bin.display()));
    }
    let sink = smtp::Sink::start()?;
    let mut all = Vec::new();
    for backend in &options.backends {
        eprintln!("== {backend}");
        all.push(bench(backend, &options, repo, &bin, &sink)?);
    }
    report::print(&all, options.sessions);
    Ok(())
}

/// Every scenario on one backend.
fn bench(
    backend: &'static str,
    options: &Options,
    repo: &Path,
    bin: &Path,
    sink: &smtp::Sink,
) -> Result<Figures, String> {
    let dir = tempfile::Builder::new().prefix("slotwise-bench-").tempdir().map_err(|e| e.to_string())?;
    let pg = match backend {
        "postgres" => Some(db::PgDatabase::create(&options.pg_admin, "slotwise_bench")?),
        _ => None,
    };
    let url = match &pg {
        Some(pg) => pg.url.clone(),
        None => format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display()),
    };
    let port = server::free_port()?;
    let server = Server::start(bin, repo, port, &environment(&url, port, sink.port), dir.path().join("server.log"))?;
    let base = server.base.clone();
    let secs = options.secs;
    let mut figures = Figures { backend, ..Figures::default() };

    let wants = |scenario: &str| options.only.as_ref().is_none_or(|only| only.iter().any(|s| s == scenario));
    let rss = |after: &str| {
        eprintln!(
            "               peak RSS after {after}: {:.1} MiB",
            server.peak_rss_kib().unwrap_or(0) as f64 / 1024.0
        )
    };

    if wants("landing") {
        figures.landing = wrk::run(dir.path(), "landing", &server, &Load::Plain("/"), secs)?;
        eprintln!("landing        {}", report::line(&figures.landing));
    }

    let readers = scenarios::readers(&base, SESSIONS)?;
    let read = Load::Read { path: "/book/details", sessions: &readers };
    let page_size = scenarios::details_size(&base, &readers[0])?;
    if wants("read") {
        figures.read = wrk::run(dir.path(), "session-read", &server, &read, secs)?;
        eprintln!("session-read   {}", report::line(&figures.read));
        check_pages(&figures.read, page_size)?;
    }

    let writers = scenarios::writers(&base, SESSIONS)?;
    if wants("landing") {
        let landing_with_session = Load::Read { path: "/", sessions: &writers };
        figures.landing_session = wrk::run(dir.path(), "landing-session", &server, &landing_with_session, secs)?;
        eprintln!("landing+session {}", report::line(&figures.landing_session));
    }
    if wants("write") {
        figures.write = wrk::run(dir.path(), "session-write", &server, &Load::Write { sessions: &writers }, secs)?;
        eprintln!("session-write  {}", report::line(&figures.write));
    }
    rss("landing, session-read and session-write");

    if wants("flow") {
        figures.flow = scenarios::flow(&base, sink, VISITORS, secs);
        let flow = &figures.flow;
        eprintln!(
            "flow           {:.1} bookings/s  p50 {:.0} ms  p99 {:.0} ms per booking  errors {} {:?}",
            flow.per_sec(),
            flow.p50_ms,
            flow.p99_ms,
            flow.errors,
            flow.first_error
        );
        rss("flow");
    }

    if wants("million") {
        db::block_on(db::seed(&url, db::LIVE_FIRST, options.sessions, true))?;
        figures.stored = db::block_on(async {
            let pool = db::open(&url).await?;
            let n = db::count(&pool).await;
            pool.pool.close().await;
            n
        })?;
        figures.read_million = wrk::run(dir.path(), "session-read-million", &server, &read, secs)?;
        eprintln!("read, {} stored  {}", figures.stored, report::line(&figures.read_million));
        check_pages(&figures.read_million, page_size)?;
        rss("session-read with stored sessions");
    }

    if wants("purge") {
        figures.purge = scenarios::purge(dir.path(), &base, &url, &readers, options.sessions)?;
        eprintln!("purge          {:.1} s, {}", figures.purge.secs, report::line(&figures.purge.load));
        rss("the purge");
    }

    figures.rss_kib = server.peak_rss_kib().unwrap_or(0);
    drop(server);
    drop(pg);
    Ok(figures)
}

/// The server's configuration: everything else comes from `Rocket.toml`.
fn environment(url: &str, port: u16, smtp_port: u16) -> Vec<(String, String)> {
    let key: [u8; 32] = rand::random();
    let pool = std::env::var("BENCH_MAX_CONNECTIONS").map_or(String::new(), |n| format!(",max_connections={n}"));
    let all_day = r#"["00:00-24:00"]"#;
    let hours = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map(|d| format!("{d}={all_day}")).join(",");
    [
        ("ROCKET_SECRET_KEY", base64::engine::general_purpose::STANDARD.encode(key)),
        ("ROCKET_LOG_LEVEL", "off".into()),
        ("ROCKET_DATABASES", format!(r#"{{slotwise={{url="{url}"{pool}}}}}"#)),
        (
            "ROCKET_MAIL",
            format!(
                r#"{{transport="smtp",smtp_url="smtp://127.0.0.1:{smtp_port}",public_url="http://127.0.0.1:{port}"}}"#
            ),
        ),
        (
            "ROCKET_BOOKING",
            format!("{{capacity=1000000,hold_minutes=60,min_notice_minutes=0,horizon_days=14,hours={{{hours}}}}}"),
        ),
        ("ROCKET_OTP", "{max_sends=100,resend_cooldown_secs=1,max_attempts=100,ttl_secs=3600}".into()),
        ("ROCKET_SESSION", format!("{{purge_interval_secs={}}}", if control() { 86_400 } else { 3 })),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// `BENCH_PURGE_CONTROL=1`: the purge scenario seeds the expired sessions
/// but the app never purges them; wrk runs 30 s. A control for telling the
/// purge's stalls from the machine's.
pub fn control() -> bool {
    std::env::var("BENCH_PURGE_CONTROL").ok().as_deref() == Some("1")
}

/// Fails when wrk's answers were errors or too small to be the details page.
fn check_pages(stats: &wrk::Stats, page_size: u64) -> Result<(), String> {
    let average = stats.bytes / stats.requests.max(1);
    if stats.errors > 0 || average < page_size {
        return Err(format!(
            "session-read got {} errors, {average} bytes per answer (page: {page_size})",
            stats.errors
        ));
    }
    Ok(())
}
