//! The release `slotwise` binary as a child process on a loopback port,
//! configured by `ROCKET_*` variables, killed (by its pid) when dropped —
//! on error paths too.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// A running server.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    log: PathBuf,
}

/// A free loopback port (bound, read, released).
pub fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

impl Server {
    /// Starts `bin` in `repo` (where `Rocket.toml` and `templates/` are) with
    /// `env` on top of the inherited environment; waits for `/healthz`.
    pub fn start(bin: &Path, repo: &Path, port: u16, env: &[(String, String)], log: PathBuf) -> Result<Server, String> {
        let log_file = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let child = Command::new(bin)
            .current_dir(repo)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("ROCKET_PROFILE", "release")
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_PORT", port.to_string())
            .env("ROCKET_CLI_COLORS", "false")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", bin.display()))?;
        let server = Server { child, base: format!("http://127.0.0.1:{port}"), log };
        server.wait_healthy(Duration::from_secs(120))?;
        Ok(server)
    }

    fn wait_healthy(&self, within: Duration) -> Result<(), String> {
        let agent = crate::http::agent();
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(r) = agent.get(&format!("{}/healthz", self.base)).call() {
                if r.status() == 200 {
                    return Ok(());
                }
            }
            thread::sleep(Duration::from_millis(100));
        }
        Err(format!("the server did not answer /healthz in {within:?}; see {}", self.log.display()))
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
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

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
