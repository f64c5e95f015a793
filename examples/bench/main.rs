//! The Slotwise benchmark (issue 6, part 4). Run it with `bash bench/run`,
//! which installs wrk if needed and builds this driver and the release
//! binary.
//!
//! For each backend (SQLite in a temporary file; PostgreSQL in a fresh
//! database `slotwise_bench` on `BENCH_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`, dropped afterwards) it starts
//! `target/release/slotwise` on a loopback port and measures, with wrk at 32
//! connections:
//! `bare` (a bare Rocket page of the landing page's bytes, `examples/bare.rs`:
//! the yardstick every rate is also printed as a share of),
//! `landing` (`GET /`, no session), `session-read` (`GET /book/details` with
//! established sessions), `session-write` (`POST /prefs`, theme dark/light by
//! turns), `write-shared` (the same, every connection on one session), `flow` (whole bookings by 16 concurrent visitors, codes caught by
//! an SMTP sink), `session-read` again with a million stored sessions, and
//! the purge of a million expired sessions under `session-read` load; then
//! the server's peak RSS. It prints one table of figures, targets and
//! pass/miss. Nothing here is a test: the figures are reported, not asserted.
//!
//! Options: `--backend sqlite|postgres|both` (default both), `--secs N` per
//! scenario (default 10), `--sessions N` stored/expired sessions (default
//! 1000000), `--only landing,read,write,write-shared,flow,practitioners,million,purge` (a
//! subset, for quick comparisons while profiling), `--session-store
//! database|redis|cached_database` (`session.store`; the Redis stores use
//! `BENCH_REDIS_URL`, default `redis://127.0.0.1:6379/9`, emptied first). `BENCH_MAX_CONNECTIONS=N` sets the
//! server's `databases.slotwise.max_connections`; `BENCH_PURGE_CONTROL=1`
//! runs the purge scenario without the purge; `BENCH_PG_LOG_SLOW_MS=N` has
//! PostgreSQL log the app's statements slower than N ms;
//! `BENCH_SERVER_DIR=<checkout>` benchmarks that checkout's
//! `target/release/slotwise` instead (to compare two builds);
//! `BENCH_KEEP=1` keeps the temporary folder with the server logs.

mod bare;
mod db;
mod http;
mod report;
mod scenarios;
mod server;
mod staffed;
mod wrk;

// NOTE: the test kit's cookie jar, mail reader, SMTP sink and spawn helper,
// shared rather than copied; the driver uses a part of each.
#[allow(dead_code)]
#[path = "../../tests/it/support/jar.rs"]
mod jar;
#[allow(dead_code)]
#[path = "../../tests/it/support/mail.rs"]
mod mail;
#[allow(dead_code)]
#[path = "../../tests/it/support/process.rs"]
mod process;
#[allow(dead_code)]
#[path = "../../tests/it/support/smtp.rs"]
mod smtp;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use base64::Engine;

use report::Figures;
use server::Server;
use wrk::Load;

/// Established sessions the read and write scenarios spread their load over.
const SESSIONS: usize = 64;
/// Rounds the compared scenarios take turns in (each runs `secs / ROUNDS`
/// per round).
const ROUNDS: u64 = 2;
/// Concurrent visitors of the flow scenario.
const VISITORS: usize = 16;

struct Options {
    backends: Vec<&'static str>,
    secs: u64,
    sessions: i64,
    only: Option<Vec<String>>,
    pg_admin: String,
    store: String,
    redis_url: String,
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
            store: "database".into(),
            redis_url: std::env::var("BENCH_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/9".into()),
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
                "--session-store" => {
                    options.store = value()?;
                    if !["database", "redis", "cached_database"].contains(&options.store.as_str()) {
                        return Err(format!(
                            "--session-store {}: use database, redis or cached_database",
                            options.store
                        ));
                    }
                }
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
    // NOTE: BENCH_SERVER_DIR runs another checkout's release binary (with
    // its own Rocket.toml and templates), to compare two builds.
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let (repo, bin) = match std::env::var("BENCH_SERVER_DIR") {
        Ok(dir) => (PathBuf::from(&dir), Path::new(&dir).join("target/release/slotwise")),
        Err(_) => {
            let target = exe.parent().and_then(Path::parent).ok_or("no target directory")?;
            (PathBuf::from(env!("CARGO_MANIFEST_DIR")), target.join("slotwise"))
        }
    };
    let repo = repo.as_path();
    if !bin.exists() {
        return Err(format!("{} is missing: cargo build --release --bin slotwise", bin.display()));
    }
    let sink = smtp::SmtpServer::try_start().map_err(|e| format!("SMTP sink: {e}"))?;
    let mut all = Vec::new();
    for backend in &options.backends {
        eprintln!("== {backend}");
        all.push(bench(backend, &options, repo, &bin, &sink)?);
    }
    report::print(&all, options.sessions, &options.store);
    Ok(())
}

/// Every scenario on one backend.
fn bench(
    backend: &'static str,
    options: &Options,
    repo: &Path,
    bin: &Path,
    sink: &smtp::SmtpServer,
) -> Result<Figures, String> {
    let mut dir = tempfile::Builder::new().prefix("slotwise-bench-").tempdir().map_err(|e| e.to_string())?;
    // BENCH_KEEP=1 keeps the folder (databases, server logs, wrk scripts).
    if std::env::var("BENCH_KEEP").ok().as_deref() == Some("1") {
        dir.disable_cleanup(true);
        eprintln!("keeping {}", dir.path().display());
    }
    let start = |name: &str, practitioners: usize| -> Result<(Server, String, Option<db::PgDatabase>), String> {
        let pg = match backend {
            "postgres" => Some(db::PgDatabase::create(&options.pg_admin, &format!("slotwise_{name}"))?),
            _ => None,
        };
        let url = match &pg {
            Some(pg) => pg.url.clone(),
            None => format!("sqlite://{}?mode=rwc", dir.path().join(format!("{name}.db")).display()),
        };
        if options.store != "database" {
            empty_redis(&options.redis_url)?;
        }
        // NOTE: the default store is left unsaid, so that BENCH_SERVER_DIR
        // can run a build older than `session.store`.
        let env = |port| {
            let mut env = environment(&url, port, sink.port());
            if options.store != "database" {
                let session = env.iter_mut().find(|(k, _)| k == "ROCKET_SESSION").expect("set by environment()");
                let store = format!("{{store=\"{}\",redis_url=\"{}\",", options.store, options.redis_url);
                session.1 = session.1.replacen('{', &store, 1);
            }
            staffed::with_practitioners(&mut env, practitioners);
            env
        };
        let server = Server::start(bin, repo, env, dir.path().join(format!("{name}.log")))?;
        Ok((server, url, pg))
    };
    let (server, url, pg) = start("bench", 0)?;
    let base = server.base.clone();
    let bare = bare::start(bin, &base, dir.path())?;
    let secs = options.secs;
    let mut figures = Figures { backend, ..Figures::default() };

    let wants = |scenario: &str| options.only.as_ref().is_none_or(|only| only.iter().any(|s| s == scenario));
    let rss = |after: &str| {
        eprintln!(
            "               peak RSS after {after}: {:.1} MiB",
            server.peak_rss_kib().unwrap_or(0) as f64 / 1024.0
        )
    };

    // NOTE: the machine is shared and its load drifts; the scenarios whose
    // figures are compared take turns in rounds, so drift hits all alike.
    let readers = scenarios::readers(&base, SESSIONS)?;
    let read = Load::Read { path: "/book/details", sessions: &readers };
    let page_size = scenarios::details_size(&base, &readers[0])?;
    let writers = scenarios::writers(&base, SESSIONS)?;
    let landing_with_session = Load::Read { path: "/", sessions: &writers };
    let write = Load::Write { sessions: &writers };
    let shared = Load::Write { sessions: &writers[..1] };
    // NOTE: the bare page takes its turn with the others: it is the
    // yardstick every share is taken of, so it must see the same drift.
    let turns: Vec<(&str, &str, &Server, &Load<'_>)> = [
        ("bare", "bare", &bare, &Load::Plain("/")),
        ("landing", "landing", &server, &Load::Plain("/")),
        ("read", "session-read", &server, &read),
        ("landing", "landing-session", &server, &landing_with_session),
        ("write", "session-write", &server, &write),
        ("write-shared", "write-shared", &server, &shared),
    ]
    .into_iter()
    .filter(|(scenario, _, _, _)| *scenario == "bare" || wants(scenario))
    .collect();
    let mut runs: Vec<Vec<wrk::Stats>> = vec![Vec::new(); turns.len()];
    for round in 0..ROUNDS {
        for ((_, name, server, load), runs) in turns.iter().zip(&mut runs) {
            runs.push(wrk::run(dir.path(), name, server, load, (secs / ROUNDS).max(1), round == 0)?);
        }
    }
    for ((_, name, _, _), runs) in turns.iter().zip(&runs) {
        let stats = wrk::Stats::merge(runs);
        eprintln!("{name:<15}{}", report::line(&stats, &figures.bare));
        match *name {
            "bare" => figures.bare = stats,
            "landing" => figures.landing = stats,
            "session-read" => {
                check_pages(&stats, page_size)?;
                figures.read = stats;
            }
            "landing-session" => figures.landing_session = stats,
            "write-shared" => figures.write_shared = stats,
            _ => figures.write = stats,
        }
    }
    drop(turns);
    drop(bare);
    rss("landing, session-read, session-write and write-shared");

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
        // NOTE: a second server on a second database holds the million
        // sessions; the two take turns in rounds, like the scenarios above.
        let (million, url2, pg2) = start("bench_million", 0)?;
        let readers2 = scenarios::readers(&million.base, SESSIONS)?;
        db::block_on(db::seed(&url2, db::LIVE_FIRST, options.sessions, true))?;
        figures.stored = db::block_on(async {
            let pool = db::open(&url2).await?;
            let n = db::count(&pool).await;
            pool.pool.close().await;
            n
        })?;
        let read2 = Load::Read { path: "/book/details", sessions: &readers2 };
        let (mut empty, mut full) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let per_round = (secs / ROUNDS).max(1);
            empty.push(wrk::run(dir.path(), "session-read-empty", &server, &read, per_round, round == 0)?);
            full.push(wrk::run(dir.path(), "session-read-million", &million, &read2, per_round, round == 0)?);
        }
        figures.read_empty = wrk::Stats::merge(&empty);
        figures.read_million = wrk::Stats::merge(&full);
        eprintln!("read, empty    {}", report::line(&figures.read_empty, &figures.bare));
        eprintln!("read, {} stored  {}", figures.stored, report::line(&figures.read_million, &figures.bare));
        check_pages(&figures.read_empty, page_size)?;
        check_pages(&figures.read_million, page_size)?;
        figures.rss_million_kib = million.peak_rss_kib().unwrap_or(0);
        eprintln!(
            "               peak RSS of the server holding them: {:.1} MiB",
            figures.rss_million_kib as f64 / 1024.0
        );
        drop(million);
        drop(pg2);
    }

    if wants("practitioners") {
        staffed::run(dir.path(), &start, (secs, ROUNDS, SESSIONS))?;
    }

    if wants("purge") {
        figures.purge = scenarios::purge(dir.path(), &base, &url, &readers, options.sessions)?;
        eprintln!("purge          {:.1} s, {}", figures.purge.secs, report::line(&figures.purge.load, &figures.bare));
        eprintln!("no purge       {}", report::line(&figures.purge.control, &figures.bare));
        rss("the purge");
    }

    figures.rss_kib = server.peak_rss_kib().unwrap_or(0);
    drop(server);
    drop(pg);
    Ok(figures)
}

/// Empties the Redis database the Redis stores will use.
fn empty_redis(url: &str) -> Result<(), String> {
    let done = std::process::Command::new("redis-cli")
        .args(["-u", url, "flushdb"])
        .output()
        .map_err(|e| format!("redis-cli (for --session-store): {e}"))?;
    if !done.status.success() || !String::from_utf8_lossy(&done.stdout).contains("OK") {
        return Err(format!("emptying {url}: {}", String::from_utf8_lossy(&done.stderr).trim()));
    }
    Ok(())
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
        // Every simulated visitor comes from one loopback address: the limits
        // across sessions (SPEC §2d) would refuse all but the first few.
        (
            "ROCKET_ABUSE",
            "{sends_per_address_per_day=0,sends_per_client_per_hour=0,holds_per_client=0,min_fill_secs=0}".into(),
        ),
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
