//! Skipped tests, visible: a test that cannot run here calls [`skip`], which
//! prints one `SKIPPED: <name> (<reason>, <how to enable>)` line on the real
//! stderr (past the harness's capture). Under `CI=true` nothing may skip:
//! [`skip`] fails the test instead.

use std::io::Write;

/// Whether this run is CI's (`CI=true`), where every test must run.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Reports that the test `name` did not run: prints the line, and under
/// `CI=true` panics instead.
pub fn skip(name: &str, reason: &str, enable: &str) {
    assert!(!under_ci(), "{name} cannot run under CI=true: {reason} ({enable})");
    let line = format!("SKIPPED: {name} ({reason}, {enable})\n");
    // NOTE: written to the real stderr: `eprintln!` would be captured by the
    // test harness and shown only with `--nocapture` or on failure.
    let _ = std::io::stderr().write_all(line.as_bytes());
}
