//! Runs `wrk` with a generated Lua script and reads the `BENCH` line that
//! `bench/report.lua` prints from wrk's `done()` hook.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::server::Server;

const REPORT_LUA: &str = include_str!("../../bench/report.lua");
const SESSIONS_LUA: &str = include_str!("../../bench/sessions.lua");

/// Open connections, as the issue asks.
pub const CONNECTIONS: u32 = 32;
/// wrk threads: one per core of the target machine.
pub const THREADS: u32 = 2;

/// What one wrk run measured.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub requests: u64,
    pub secs: f64,
    pub bytes: u64,
    pub errors: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    /// Server CPU time (all threads) per request, in microseconds.
    pub cpu_us: f64,
    /// CPU time of the local PostgreSQL processes per request, in
    /// microseconds (whatever else they served meanwhile included).
    pub db_cpu_us: f64,
    /// With `BENCH_PERF_STAT=1`: server context switches per request.
    pub counters: Option<f64>,
}

impl Stats {
    /// Several runs of one scenario as one: counts add up; latencies are the
    /// worst run's (p50 the average).
    pub fn merge(runs: &[Stats]) -> Stats {
        let n = runs.len().max(1) as f64;
        let worst = |f: fn(&Stats) -> f64| runs.iter().map(f).fold(0.0, f64::max);
        let requests: u64 = runs.iter().map(|r| r.requests).sum();
        Stats {
            requests,
            secs: runs.iter().map(|r| r.secs).sum(),
            bytes: runs.iter().map(|r| r.bytes).sum(),
            errors: runs.iter().map(|r| r.errors).sum(),
            p50_ms: runs.iter().map(|r| r.p50_ms).sum::<f64>() / n,
            p90_ms: worst(|r| r.p90_ms),
            p99_ms: worst(|r| r.p99_ms),
            p999_ms: worst(|r| r.p999_ms),
            max_ms: worst(|r| r.max_ms),
            cpu_us: runs.iter().map(|r| r.cpu_us * r.requests as f64).sum::<f64>() / requests.max(1) as f64,
            db_cpu_us: runs.iter().map(|r| r.db_cpu_us * r.requests as f64).sum::<f64>() / requests.max(1) as f64,
            counters: runs.iter().map(|r| r.counters).sum::<Option<f64>>().map(|c| c / n),
        }
    }

    /// Requests per second.
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.secs.max(1e-9)
    }
}

/// What a run sends.
pub enum Load<'a> {
    /// `GET path` without a cookie.
    Plain(&'a str),
    /// `GET path` with one of `sessions`' cookies per request.
    Read { path: &'a str, sessions: &'a [(String, String)] },
    /// `POST /prefs` (theme dark/light by turns) with one of `sessions`.
    Write { sessions: &'a [(String, String)] },
}

/// Writes the Lua script for `load` into `dir`.
fn script(dir: &Path, name: &str, load: &Load<'_>) -> Result<PathBuf, String> {
    let lua_str = |s: &str| format!("{s:?}");
    let prologue = |path: &str, sessions: &[(String, String)], write: bool| {
        let cookies: Vec<String> = sessions.iter().map(|(c, _)| lua_str(c)).collect();
        let tokens: Vec<String> = sessions.iter().map(|(_, t)| lua_str(t)).collect();
        format!(
            "cookies = {{ {} }}\ntokens = {{ {} }}\npath = {}\nwrite = {write}\nnthreads = {THREADS}\n{SESSIONS_LUA}",
            cookies.join(", "),
            tokens.join(", "),
            lua_str(path)
        )
    };
    let body = match load {
        Load::Plain(_) => String::new(),
        Load::Read { path, sessions } => prologue(path, sessions, false),
        Load::Write { sessions } => prologue("/prefs", sessions, true),
    };
    let file = dir.join(format!("{name}.lua"));
    std::fs::write(&file, format!("{body}\n{REPORT_LUA}")).map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(file)
}

/// Starts wrk on `base` for at most `secs`; stop it early with [`interrupt`].
pub fn spawn(dir: &Path, name: &str, base: &str, load: &Load<'_>, secs: u64) -> Result<Child, String> {
    let script = script(dir, name, load)?;
    let path = match load {
        Load::Plain(path) | Load::Read { path, .. } => path,
        Load::Write { .. } => "/prefs",
    };
    Command::new("wrk")
        .args(["-t", &THREADS.to_string(), "-c", &CONNECTIONS.to_string(), "-d", &format!("{secs}s")])
        .args(["--timeout", "5s", "-s"])
        .arg(&script)
        .arg(format!("{base}{path}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting wrk: {e}"))
}

/// Stops a running wrk the way Ctrl-C does: it still prints its results.
pub fn interrupt(child: &Child) {
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
}

/// Waits for wrk and parses its results.
pub fn finish(child: Child) -> Result<Stats, String> {
    let out = child.wait_with_output().map_err(|e| format!("wrk: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("BENCH "))
        .ok_or_else(|| format!("wrk printed no BENCH line:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr)))?;
    let field = |name: &str| -> f64 {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    Ok(Stats {
        requests: field("requests") as u64,
        secs: field("duration_us") / 1e6,
        bytes: field("bytes") as u64,
        errors: (field("status_errors") + field("socket_errors")) as u64,
        p50_ms: field("p50_us") / 1e3,
        p90_ms: field("p90_us") / 1e3,
        p99_ms: field("p99_us") / 1e3,
        p999_ms: field("p999_us") / 1e3,
        max_ms: field("max_us") / 1e3,
        cpu_us: 0.0,
        db_cpu_us: 0.0,
        counters: None,
    })
}

/// Runs wrk against `server` for `secs`, after a short warm-up run if asked.
pub fn run(
    dir: &Path,
    name: &str,
    server: &Server,
    load: &Load<'_>,
    secs: u64,
    warm_up: bool,
) -> Result<Stats, String> {
    if warm_up {
        finish(spawn(dir, name, &server.base, load, 2)?)?;
    }
    std::thread::sleep(Duration::from_millis(300));
    let (cpu, db_cpu) = (server.cpu_secs(), crate::server::postgres_cpu_secs());
    let counting = perf_stat(server.pid(), secs);
    let mut stats = finish(spawn(dir, name, &server.base, load, secs)?)?;
    stats.cpu_us = (server.cpu_secs() - cpu) * 1e6 / stats.requests.max(1) as f64;
    stats.db_cpu_us = (crate::server::postgres_cpu_secs() - db_cpu) * 1e6 / stats.requests.max(1) as f64;
    if let Some(perf) = counting {
        stats.counters = read_perf_stat(perf, stats.requests);
    }
    Ok(stats)
}

/// With `BENCH_PERF_STAT=1`, counts the server's context switches with
/// `perf stat` during the measured run (thread hand-offs per request).
fn perf_stat(pid: u32, secs: u64) -> Option<Child> {
    if std::env::var("BENCH_PERF_STAT").ok().as_deref() != Some("1") {
        return None;
    }
    Command::new("perf")
        .args(["stat", "-x", ",", "-e", "context-switches", "-p", &pid.to_string()])
        .args(["--", "sleep", &secs.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .ok()
}

/// Context switches per request.
fn read_perf_stat(perf: Child, requests: u64) -> Option<f64> {
    let out = perf.wait_with_output().ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    let count = |event: &str| {
        text.lines()
            .find(|l| l.split(',').nth(2).is_some_and(|e| e.starts_with(event)))
            .and_then(|l| l.split(',').next()?.parse::<f64>().ok())
            .map(|n| n / requests.max(1) as f64)
    };
    count("context-switches")
}
