//! The figures of a run and the one table that reports them against the
//! issue's targets (Markdown, so it can go into the README as printed).

use crate::scenarios::{Flow, Purge};
use crate::wrk::Stats;

/// Everything measured on one backend.
#[derive(Debug, Default)]
pub struct Figures {
    pub backend: &'static str,
    /// The bare Rocket page of the landing page's bytes: the yardstick.
    pub bare: Stats,
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

/// One scenario on one line, for progress output; with its share of `bare`
/// when that ran.
pub fn line(s: &Stats, bare: &Stats) -> String {
    let counters = s.counters.map_or(String::new(), |switches| format!("  {switches:.1} context switches/req"));
    let counters =
        if s.db_cpu_us >= 1.0 { format!("  PostgreSQL CPU {:.0} µs/req{counters}", s.db_cpu_us) } else { counters };
    let of_bare =
        if bare.requests > 0 { format!(" = {:>3.0}% of bare", share(s, bare) * 100.0) } else { String::new() };
    format!(
        "{:>8.0} req/s{of_bare}  p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  p99.9 {:.1} ms  max {:.1} ms  errors {}  server CPU {:.0} µs/req{counters}",
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

/// `part`'s rate as a share of `whole`'s.
fn share(part: &Stats, whole: &Stats) -> f64 {
    part.rps() / whole.rps().max(1e-9)
}

/// One backend's cell: its text, the rate's share of the bare page (rates
/// only), and pass/miss where the row has a target.
type Cell = (String, Option<f64>, Option<bool>);
/// A row: its label, its target, and one cell per backend.
type Row = (String, &'static str, Vec<Cell>);

fn rows(all: &[Figures], sessions: i64) -> Vec<Row> {
    // NOTE: a scenario left out with --only shows as not run, never as a pass.
    let cells = |ran: &dyn Fn(&Figures) -> bool, f: &dyn Fn(&Figures) -> Cell| {
        all.iter().map(|fig| if ran(fig) { f(fig) } else { ("not run".to_string(), None, None) }).collect::<Vec<_>>()
    };
    let of_bare = |f: &Figures, s: &Stats| (f.bare.requests > 0).then(|| share(s, &f.bare));
    // A rate row, with its share of the bare page against `target` (issue 29)
    // and, where asked, a p99 bound.
    let rate = |label: &str, target_text: &'static str, target: f64, p99: Option<f64>, pick: fn(&Figures) -> &Stats| {
        let cells = cells(&|f| pick(f).requests > 0, &|f| {
            let s = pick(f);
            let r = of_bare(f, s);
            let ok = r.map(|r| r >= target && p99.is_none_or(|bound| s.p99_ms <= bound) && s.errors == 0);
            (format!("{} req/s, p99 {:.1} ms", thousands(s.rps()), s.p99_ms), r, ok.filter(|_| target > 0.0))
        });
        (label.to_string(), target_text, cells)
    };
    let n = thousands(sessions as f64);
    vec![
        rate("bare Rocket page, the landing page's bytes (the limit)", "—", 0.0, None, |f| &f.bare),
        rate("`landing` GET /, no session", "≥ 70% of bare", 0.70, None, |f| &f.landing),
        rate("`landing` with a session cookie (the session's own cost)", "—", 0.0, None, |f| &f.landing_session),
        rate("`session-read` GET /book/details", "≥ 45% of bare", 0.45, None, |f| &f.read),
        rate("`session-write` POST /prefs, 64 sessions", "≥ 30% of bare", 0.30, None, |f| &f.write),
        rate(
            "`write-shared` POST /prefs, 32 connections on one session",
            "≥ 30% of bare, p99 ≤ 15 ms",
            0.30,
            Some(15.0),
            |f| &f.write_shared,
        ),
        (
            "`flow` bookings/s, 16 visitors (p99 per booking)".into(),
            "—",
            cells(&|f| f.flow.bookings + f.flow.errors > 0, &|f| {
                let errors = if f.flow.errors > 0 { format!(", {} failed", f.flow.errors) } else { String::new() };
                (format!("{:.1}/s ({:.0} ms){errors}", f.flow.per_sec(), f.flow.p99_ms), None, None)
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
                (text, of_bare(f, &f.read_million), Some(r >= 0.90))
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
                (text, None, Some(p.load.p999_ms <= 2.0 * p.control.p999_ms && p.load.errors == 0))
            }),
        ),
        (
            "peak RSS of the server (VmHWM)".into(),
            "< 64 MiB",
            cells(&|f| f.rss_kib.max(f.rss_million_kib) > 0, &|f| {
                let peak = f.rss_kib.max(f.rss_million_kib);
                let mib = peak as f64 / 1024.0;
                (format!("{mib:.1} MiB"), None, Some(peak > 0 && mib < 64.0))
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
    let header: Vec<String> = names.iter().map(|name| format!("{name} | share of bare")).collect();
    println!("| figure | target | {} |", header.join(" | "));
    println!("|---|---|{}", "---|---|".repeat(names.len()));
    let mut missed = 0;
    for (label, target, cells) in rows(all, sessions) {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|(text, of_bare, ok)| {
                let text = match ok {
                    Some(ok) => {
                        missed += usize::from(!ok);
                        format!("{text} · {}", verdict(ok))
                    }
                    None => text,
                };
                let of_bare = of_bare.map_or("—".to_string(), |r| format!("{:.0}%", r * 100.0));
                format!("{text} | {of_bare}")
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
