//! The figures of a run and the one table that reports them against the
//! issue's targets (Markdown, so it can go into the README as printed).

use crate::scenarios::{Flow, Purge};
use crate::wrk::Stats;

/// Everything measured on one backend.
#[derive(Debug, Default)]
pub struct Figures {
    pub backend: &'static str,
    pub landing: Stats,
    /// `GET /` with a session: the same page, plus the session's load.
    pub landing_session: Stats,
    pub read: Stats,
    pub write: Stats,
    /// `session-write` with every connection on one session.
    pub write_shared: Stats,
    pub flow: Flow,
    pub stored: i64,
    /// `session-read` right before the million sessions are stored.
    pub read_empty: Stats,
    pub read_million: Stats,
    pub purge: Purge,
    pub rss_kib: u64,
    /// Peak RSS of the second server, the one holding the million sessions.
    pub rss_million_kib: u64,
}

/// One scenario on one line, for progress output.
pub fn line(s: &Stats) -> String {
    let counters = s.counters.map_or(String::new(), |switches| format!("  {switches:.1} context switches/req"));
    let counters =
        if s.db_cpu_us >= 1.0 { format!("  PostgreSQL CPU {:.0} µs/req{counters}", s.db_cpu_us) } else { counters };
    format!(
        "{:>8.0} req/s  p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  p99.9 {:.1} ms  max {:.1} ms  errors {}  server CPU {:.0} µs/req{counters}",
        s.rps(),
        s.p50_ms,
        s.p90_ms,
        s.p99_ms,
        s.p999_ms,
        s.max_ms,
        s.errors,
        s.cpu_us
    )
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "pass"
    } else {
        "**miss**"
    }
}

fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A row: its label, its target, and one cell (with pass/miss) per backend.
type Row = (String, &'static str, Vec<(String, Option<bool>)>);

fn rows(all: &[Figures], sessions: i64) -> Vec<Row> {
    // NOTE: a scenario left out with --only shows as not run, never as a pass.
    let cells = |ran: &dyn Fn(&Figures) -> bool, f: &dyn Fn(&Figures) -> (String, Option<bool>)| {
        all.iter().map(|fig| if ran(fig) { f(fig) } else { ("not run".to_string(), None) }).collect::<Vec<_>>()
    };
    let landing = |f: &Figures| f.landing.requests > 0;
    let read = |f: &Figures| f.read.requests > 0;
    let write = |f: &Figures| f.write.requests > 0;
    let share = |part: &Stats, whole: &Stats| part.rps() / whole.rps().max(1e-9);
    // A scenario's rate as a share of `landing`'s, against its target share.
    let share_of_landing = |label: &str, target_text: &'static str, target: f64, pick: fn(&Figures) -> &Stats| -> Row {
        let cells = cells(&|f| landing(f) && pick(f).requests > 0, &|f| {
            let r = share(pick(f), &f.landing);
            (format!("{} req/s = {:.0}%", thousands(pick(f).rps()), r * 100.0), Some(r >= target))
        });
        (label.to_string(), target_text, cells)
    };
    let n = thousands(sessions as f64);
    vec![
        (
            "`landing` GET /, no session (baseline)".into(),
            "—",
            cells(&landing, &|f| {
                (format!("{} req/s, p99 {:.1} ms", thousands(f.landing.rps()), f.landing.p99_ms), None)
            }),
        ),
        (
            "`landing` with a session cookie (the session's own cost)".into(),
            "—",
            cells(&|f| landing(f) && f.landing_session.requests > 0, &|f| {
                let r = share(&f.landing_session, &f.landing);
                (format!("{} req/s = {:.0}%", thousands(f.landing_session.rps()), r * 100.0), None)
            }),
        ),
        share_of_landing("`session-read` GET /book/details", "≥ 60% of landing", 0.60, |f| &f.read),
        (
            "`session-read` p99".into(),
            "< 10 ms",
            cells(&read, &|f| (format!("{:.1} ms", f.read.p99_ms), Some(f.read.p99_ms < 10.0))),
        ),
        share_of_landing("`session-write` POST /prefs", "≥ 40% of landing", 0.40, |f| &f.write),
        (
            "`session-write` p99".into(),
            "< 10 ms",
            cells(&write, &|f| (format!("{:.1} ms", f.write.p99_ms), Some(f.write.p99_ms < 10.0))),
        ),
        (
            "`write-shared` POST /prefs, 32 connections on one session (p99)".into(),
            "p99 < 10 ms",
            cells(&|f| f.write_shared.requests > 0, &|f| {
                let s = &f.write_shared;
                let text = format!("{} req/s, p99 {:.1} ms", thousands(s.rps()), s.p99_ms);
                (text, Some(s.p99_ms < 10.0 && s.errors == 0))
            }),
        ),
        (
            "`flow` bookings/s, 16 visitors (p99 per booking)".into(),
            "—",
            cells(&|f| f.flow.bookings + f.flow.errors > 0, &|f| {
                let errors = if f.flow.errors > 0 { format!(", {} failed", f.flow.errors) } else { String::new() };
                (format!("{:.1}/s ({:.0} ms){errors}", f.flow.per_sec(), f.flow.p99_ms), None)
            }),
        ),
        (
            format!("`session-read` with {n} stored sessions"),
            "≥ 90% of empty table",
            cells(&|f| f.read_million.requests > 0 && f.read_empty.requests > 0, &|f| {
                let r = share(&f.read_million, &f.read_empty);
                let text = format!(
                    "{} vs {} req/s = {:.0}%",
                    thousands(f.read_million.rps()),
                    thousands(f.read_empty.rps()),
                    r * 100.0
                );
                (text, Some(r >= 0.90))
            }),
        ),
        (
            format!("`session-read` p99.9 while the app purges {n} expired sessions"),
            "≤ 2 × without purge",
            cells(&|f| f.purge.load.requests > 0, &|f| {
                let p = &f.purge;
                let text = format!(
                    "p99.9 {:.1} ms (max {:.0} ms); purge took {:.0} s; same load without purge: p99.9 {:.1} ms (max {:.0} ms)",
                    p.load.p999_ms, p.load.max_ms, p.secs, p.control.p999_ms, p.control.max_ms
                );
                (text, Some(p.load.p999_ms <= 2.0 * p.control.p999_ms && p.load.errors == 0))
            }),
        ),
        (
            "peak RSS of the server (VmHWM)".into(),
            "< 64 MiB",
            cells(&|f| f.rss_kib.max(f.rss_million_kib) > 0, &|f| {
                let peak = f.rss_kib.max(f.rss_million_kib);
                let mib = peak as f64 / 1024.0;
                (format!("{mib:.1} MiB"), Some(peak > 0 && mib < 64.0))
            }),
        ),
    ]
}

/// Prints the table.
pub fn print(all: &[Figures], sessions: i64, store: &str) {
    let names: Vec<String> = all
        .iter()
        .map(|f| match f.backend {
            "sqlite" => "SQLite",
            "postgres" => "PostgreSQL",
            other => other,
        })
        .map(|name| if store == "database" { name.to_string() } else { format!("{name}, sessions in {store}") })
        .collect();
    println!();
    println!("| figure | target | {} |", names.join(" | "));
    println!("|---|---|{}", "---|".repeat(names.len()));
    let mut missed = 0;
    for (label, target, cells) in rows(all, sessions) {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|(text, ok)| match ok {
                Some(ok) => {
                    missed += usize::from(!ok);
                    format!("{text} · {}", verdict(ok))
                }
                None => text,
            })
            .collect();
        println!("| {label} | {target} | {} |", cells.join(" | "));
    }
    println!();
    println!(
        "wrk: {} connections, {} threads, loopback; {} CPUs. Targets missed: {missed}.",
        crate::wrk::CONNECTIONS,
        crate::wrk::THREADS,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
}
