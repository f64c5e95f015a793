//! Skipped tests, visible: a test that cannot run here calls [`skip`], which
//! prints one `SKIPPED: <name> (<reason>, <how to enable>)` line on the real
//! stderr (past the harness's capture) and notes it for the run's closing
//! count (`tests/zz_skipped.rs`). Under `CI=true` nothing may skip: [`skip`]
//! fails the test instead.
//!
//! Stands alone (no other part of the kit), so `tests/zz_skipped.rs`
//! includes just this file.

use std::io::Write;
use std::path::PathBuf;

/// Whether this run is CI's (`CI=true`), where every test must run.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Reports that the test `name` did not run: prints the line, notes it for
/// the closing count, and under `CI=true` panics instead.
pub fn skip(name: &str, reason: &str, enable: &str) {
    assert!(!under_ci(), "{name} cannot run under CI=true: {reason} ({enable})");
    let line = format!("SKIPPED: {name} ({reason}, {enable})\n");
    // NOTE: written to the real stderr: `eprintln!` would be captured by the
    // test harness and shown only with `--nocapture` or on failure.
    let _ = std::io::stderr().write_all(line.as_bytes());
    let noted = std::fs::OpenOptions::new().create(true).append(true).open(run_file());
    if let Ok(mut file) = noted {
        // One `write` per line: appends of a few bytes do not interleave.
        let _ = file.write_all(line.as_bytes());
    }
}

/// The file where this run's skips are noted. Every test binary of one
/// `cargo test` is a child of the same cargo process, so the parent's id and
/// start time name the run.
pub fn run_file() -> PathBuf {
    let parent = std::os::unix::process::parent_id();
    // Field 22 of /proc/<pid>/stat is the start time: a reused pid is another run.
    let started = std::fs::read_to_string(format!("/proc/{parent}/stat"))
        .ok()
        .and_then(|stat| stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(19).map(String::from)))
        .unwrap_or_default();
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("skipped-{parent}-{started}.txt"))
}
