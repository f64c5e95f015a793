//! The closing line of a `cargo test` run: how many tests skipped, each
//! already named by its own `SKIPPED:` line (see `tests/support/skip.rs`).
//!
//! NOTE: cargo runs the test binaries one after the other in the order of
//! their names, so `zz_` puts this one after every other test binary (only
//! the doc tests come later). Run alone, or with a filter that leaves out
//! the others, it counts what ran before it in the same `cargo test`.

#[path = "support/skip.rs"]
#[allow(dead_code)]
mod skip;

use std::io::Write;

#[test]
fn count_the_skipped_tests_of_this_run() {
    let file = skip::run_file();
    let noted = std::fs::read_to_string(&file).unwrap_or_default();
    let _ = std::fs::remove_file(&file);
    let skipped = noted.lines().filter(|l| l.starts_with("SKIPPED: ")).count();
    forget_old_runs();
    let line = match skipped {
        0 => "Skipped tests in this run: 0\n".to_string(),
        n => format!("Skipped tests in this run: {n} (each named in a SKIPPED line above)\n"),
    };
    // NOTE: the real stderr, past the harness's capture (as the skips' own lines).
    let _ = std::io::stderr().write_all(line.as_bytes());
    assert!(!(skip::under_ci() && skipped > 0), "{skipped} tests skipped under CI=true:\n{noted}");
}

/// Removes the notes of runs that ended before reaching this test (a
/// filtered or failed run), once they are a day old.
fn forget_old_runs() {
    let Ok(entries) = std::fs::read_dir(env!("CARGO_TARGET_TMPDIR")) else { return };
    let day = std::time::Duration::from_secs(24 * 3600);
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > day);
        if old && entry.file_name().to_string_lossy().starts_with("skipped-") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
