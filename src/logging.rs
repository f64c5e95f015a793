//! The process's logger: Rocket's plain format, with every message capped,
//! and one structured line per request instead of Rocket's own.
//!
//! NOTE: Rocket installs its own logger unless one is set, and that logger
//! copies whatever a request carries — a 100,000-byte request method
//! ("invalid or unrecognized method: …") went whole into the log. This one
//! writes the same lines (`Error: …`, `Warning: …`, `   >> …` for Rocket's
//! indented records) but cuts each message at [`MAX_MESSAGE`] characters.

use std::fmt::Write as _;
use std::io::Write as _;

use log::{Level, LevelFilter, Log, Metadata, Record};
use rocket::config::LogLevel;
use rocket::figment::Figment;

/// Characters of one message written at most.
pub const MAX_MESSAGE: usize = 2048;

/// A short id of one request, the same in its request line and in any
/// failure logged while answering it.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl RequestId {
    /// The id of `req` (drawn on first use).
    pub fn of<'r>(req: &'r rocket::Request<'_>) -> &'r str {
        &req.local_cache(|| RequestId(crate::secrets::random_chars(b"0123456789abcdef", 8))).0
    }
}

/// The one line logged per request: id, method, path without its query
/// (which may carry a booking link's token), status, milliseconds. No
/// personal data.
pub fn request_line(req: &rocket::Request<'_>, status: u16, elapsed: std::time::Duration) -> String {
    let path: String = req.uri().path().as_str().chars().take(200).collect();
    let method: String = req.method().as_str().chars().take(16).collect();
    format!("request id={} {method} {path} {status} {:.1}ms", RequestId::of(req), elapsed.as_secs_f64() * 1000.0)
}

struct CappedLogger {
    level: LevelFilter,
}

fn is_launch_record(metadata: &Metadata<'_>) -> bool {
    metadata.target().contains("rocket::launch")
}

/// `message` cut at [`MAX_MESSAGE`] characters, saying how much was left out.
pub fn capped(message: &str) -> String {
    match message.char_indices().nth(MAX_MESSAGE) {
        None => message.to_string(),
        Some((at, _)) => format!("{}… ({} more bytes)", &message[..at], message.len() - at),
    }
}

impl Log for CappedLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.level != LevelFilter::Off && (metadata.level() <= self.level || is_launch_record(metadata))
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let from = |path| record.module_path().is_some_and(|m| m.starts_with(path));
        if self.level < LevelFilter::Trace && (from("hyper") || from("rustls") || from("sqlx")) {
            return;
        }
        // NOTE: Rocket's own lines about each request ("GET /booking/…?token=…",
        // "Matched: …", "Outcome: …") copy the query string, which may hold a
        // booking link's token; `request_line` replaces them.
        let about_a_request = from("rocket::server") || from("rocket::lifecycle");
        if record.level() >= Level::Info && about_a_request && !is_launch_record(record.metadata()) {
            return;
        }
        let mut message = String::new();
        let _ = write!(message, "{}", record.args());
        let message = capped(&message);
        let indented = record.target().ends_with('_');
        let level = if is_launch_record(record.metadata()) { Level::Info } else { record.level() };
        let line = match level {
            _ if indented => format!("   >> {message}\n"),
            Level::Error => format!("Error: {message}\n"),
            Level::Warn => format!("Warning: {message}\n"),
            _ => format!("{message}\n"),
        };
        let _ = std::io::stdout().lock().write_all(line.as_bytes());
    }

    fn flush(&self) {
        let _ = std::io::stdout().flush();
    }
}

/// Installs the capped logger at the `log_level` of `figment` (Rocket's
/// default for the profile when unset). Call once, before launching.
pub fn install(figment: &Figment) {
    let level = figment.extract_inner::<LogLevel>("log_level").unwrap_or(if cfg!(debug_assertions) {
        LogLevel::Normal
    } else {
        LogLevel::Critical
    });
    let level = LevelFilter::from(level);
    if log::set_boxed_logger(Box::new(CappedLogger { level })).is_ok() {
        log::set_max_level(level);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_and_say_so() {
        assert_eq!(capped("short"), "short");
        let long = format!("invalid or unrecognized method: {}", "X".repeat(100_000));
        let cut = capped(&long);
        assert!(cut.len() < MAX_MESSAGE + 40, "{}", cut.len());
        assert!(cut.ends_with("more bytes)"), "{}", &cut[cut.len() - 30..]);
        assert_eq!(capped(&"é".repeat(3000)).chars().filter(|c| *c == 'é').count(), MAX_MESSAGE);
    }
}
