//! The `slotwise` binary as a child process: a server on a free loopback port
//! ([`Launch`]), or a subcommand run to its end ([`run`]). A server is started
//! with `ROCKET_*` variables, ready once `GET /healthz` answers `200`, killed
//! by its PID and reaped when dropped — on panics and early returns too.
//!
//! The one spawn helper of `tests/it/browser.rs`, `tests/it/instances.rs` and the
//! benchmark driver (`examples/bench/server.rs`, which includes this file
//! with `#[path]`, so it depends on nothing else in `tests/it/support`; the
//! caller names the binary, since only tests know `CARGO_BIN_EXE_slotwise`).

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// A free loopback port (bound, read, released).
// NOTE: another process could take it before the server binds it a moment
// later; the OS hands out ephemeral ports in rotation, so that is unlikely.
pub fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free loopback port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| format!("no free loopback port: {e}"))
}

/// The last `lines` lines of a log file, for error messages.
pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A child process killed (by its PID) and reaped when dropped.
pub struct KillOnDrop(pub Child);

impl KillOnDrop {
    /// Kills the process and waits for it to go (again: a no-op).
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.kill();
    }
}

/// How to start one server; the port is chosen when this is made, so the
/// configuration can name the server's own URL (e.g. `mail.public_url`).
pub struct Launch {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    env: Vec<(String, String)>,
    clear_env: bool,
    log: Option<PathBuf>,
    ready_within: Duration,
}

impl Launch {
    /// `bin` run in `dir` (where `Rocket.toml` and `templates/` are) on a free
    /// loopback port; by default it inherits the environment, its standard
    /// output goes nowhere and its errors to ours, and it has 60 s to answer.
    pub fn new(bin: &Path, dir: &Path) -> Result<Launch, String> {
        Ok(Launch {
            bin: bin.to_path_buf(),
            dir: dir.to_path_buf(),
            port: free_port()?,
            env: Vec::new(),
            clear_env: false,
            log: None,
            ready_within: Duration::from_secs(60),
        })
    }

    /// The port the server will listen on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Sets one variable (`ROCKET_ADDRESS` and `ROCKET_PORT` are always ours).
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Launch {
        self.env.push((key.to_string(), value.into()));
        self
    }

    /// Sets several variables.
    pub fn envs(mut self, vars: impl IntoIterator<Item = (String, String)>) -> Launch {
        self.env.extend(vars);
        self
    }

    /// Inherits nothing from our environment but `PATH`.
    pub fn clear_env(mut self) -> Launch {
        self.clear_env = true;
        self
    }

    /// Sends the server's standard output and errors to the file `log`, whose
    /// tail then comes with a failure to start.
    pub fn log_to(mut self, log: PathBuf) -> Launch {
        self.log = Some(log);
        self
    }

    /// How long the server may take to answer `/healthz`.
    pub fn ready_within(mut self, within: Duration) -> Launch {
        self.ready_within = within;
        self
    }

    /// Starts the server and waits until `/healthz` answers `200`; fails if
    /// it exits first or does not answer in time (it is killed then).
    pub fn start(self) -> Result<Process, String> {
        let mut command = Command::new(&self.bin);
        command.current_dir(&self.dir);
        if self.clear_env {
            command.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
        }
        command
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_PORT", self.port.to_string())
            .stdin(Stdio::null());
        match &self.log {
            Some(log) => {
                let file = File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
                let copy = file.try_clone().map_err(|e| format!("{}: {e}", log.display()))?;
                command.stdout(copy).stderr(file);
            }
            None => {
                command.stdout(Stdio::null()).stderr(Stdio::inherit());
            }
        }
        let child = command.spawn().map_err(|e| format!("starting {}: {e}", self.bin.display()))?;
        let mut process = Process { child: KillOnDrop(child), base: self.base(), log: self.log };
        process.wait_ready(self.ready_within)?;
        Ok(process)
    }
}

/// A running server; killed by its PID and reaped when dropped.
pub struct Process {
    child: KillOnDrop,
    base: String,
    log: Option<PathBuf>,
}

impl Process {
    fn wait_ready(&mut self, within: Duration) -> Result<(), String> {
        let url = format!("{}/healthz", self.base);
        let deadline = Instant::now() + within;
        loop {
            if ureq::get(&url).timeout(Duration::from_secs(2)).call().is_ok_and(|r| r.status() == 200) {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.0.try_wait() {
                return Err(format!("slotwise exited at launch ({status}){}", self.log_tail(40)));
            }
            if Instant::now() >= deadline {
                return Err(format!("slotwise did not answer /healthz within {within:?}{}", self.log_tail(40)));
            }
            // NOTE: waits for a real process or socket; the app's clock is not involved.
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.0.id()
    }

    /// Kills the process and waits for it to go.
    pub fn stop(&mut self) {
        self.child.kill();
    }

    /// `:\n` and the last `lines` lines of the log, if there is a log file.
    pub fn log_tail(&self, lines: usize) -> String {
        self.log.as_deref().map_or_else(String::new, |log| format!(":\n{}", tail(log, lines)))
    }
}

/// What a subcommand run came to.
pub struct Ran {
    /// Whether it exited with status 0.
    pub success: bool,
    /// Its standard output.
    pub stdout: String,
    /// Its standard errors.
    pub stderr: String,
}

/// Runs `bin` with `args` in `dir` (where `Rocket.toml` is) with the
/// variables `env` added, and waits for it to end.
pub fn run(bin: &Path, dir: &Path, env: &[(&str, String)], args: &[&str]) -> Result<Ran, String> {
    let output = Command::new(bin)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running {}: {e}", bin.display()))?;
    Ok(Ran {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}
