//! The release `slotwise` binary as a child process on a loopback port,
//! configured by `ROCKET_*` variables, killed (by its pid) when dropped —
//! on error paths too. Started by the test kit's spawn helper
//! (`tests/it/support/process.rs`); this adds what the benchmark measures.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::process::{Launch, Process};

/// A running server.
pub struct Server {
    process: Process,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl Server {
    /// Starts `bin` in `repo` (where `Rocket.toml` and `templates/` are) with
    /// `PATH`, the release profile and `env(port)` as its whole environment;
    /// waits for `/healthz`. Its output goes to `log`.
    pub fn start(
        bin: &Path,
        repo: &Path,
        env: impl FnOnce(u16) -> Vec<(String, String)>,
        log: PathBuf,
    ) -> Result<Server, String> {
        let launch = Launch::new(bin, repo)?;
        let vars = env(launch.port());
        let process = launch
            .clear_env()
            .env("ROCKET_PROFILE", "release")
            .env("ROCKET_CLI_COLORS", "false")
            .envs(vars)
            .log_to(log)
            .ready_within(Duration::from_secs(120))
            .start()?;
        Ok(Server { base: process.base().to_string(), process })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// CPU time used so far by every thread of the server (user + system), in
    /// seconds.
    pub fn cpu_secs(&self) -> f64 {
        // NOTE: fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 Hz
        // on Linux); the command name in field 2 may hold spaces, so count
        // from the closing parenthesis.
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        (ticks(11) + ticks(12)) / 100.0
    }

    /// Peak resident set size so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

/// CPU time used so far by every PostgreSQL server process on this machine
/// (user + system), in seconds; 0 without a local server.
pub fn postgres_cpu_secs() -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else { return 0.0 };
    entries
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("stat")).ok())
        .filter(|stat| stat.contains("(postgres)"))
        .map(|stat| {
            let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
            let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
            (ticks(11) + ticks(12)) / 100.0
        })
        .sum()
}
