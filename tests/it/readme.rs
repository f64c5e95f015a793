//! README's commands cannot rot: every shell block in README.md is either
//! run by `.ci/readme` (marked `sh ci`, and `.ci/run` calls it) or, when it
//! cannot run in CI (the benchmark), marked `sh manual` and checked here:
//! its scripts exist and take the flags it shows.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// A fenced block of README.md: its info string and its lines.
struct Block {
    info: String,
    lines: Vec<String>,
}

/// Every fenced block, indented ones (inside list items) included.
fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        match (trimmed.strip_prefix("```"), open.take()) {
            (Some(_), Some(block)) => blocks.push(block),
            (Some(info), None) => open = Some(Block { info: info.trim().to_string(), lines: Vec::new() }),
            (None, Some(mut block)) => {
                block.lines.push(trimmed.to_string());
                open = Some(block);
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "README.md ends inside a fenced block");
    blocks
}

fn is_shell(info: &str) -> bool {
    matches!(info.split_whitespace().next(), Some("sh" | "bash" | "shell" | "console"))
}

#[test]
fn every_shell_block_is_run_by_ci_or_marked_manual() {
    let blocks = blocks(&read("README.md"));
    let shell: Vec<&Block> = blocks.iter().filter(|b| is_shell(&b.info)).collect();
    let unmarked: Vec<String> = shell
        .iter()
        .filter(|b| b.info != "sh ci" && b.info != "sh manual")
        .map(|b| format!("```{}\n{}", b.info, b.lines.join("\n")))
        .collect();
    assert!(unmarked.is_empty(), "shell blocks neither `sh ci` nor `sh manual`:\n{}", unmarked.join("\n\n"));
    let ci = shell.iter().filter(|b| b.info == "sh ci").count();
    assert!(ci >= 5, "only {ci} `sh ci` blocks: is the scan broken?");
}

#[test]
fn ci_runs_the_readme_blocks() {
    let run = read(".ci/run");
    let calls = run.lines().map(str::trim).any(|l| !l.starts_with('#') && l.contains("bash .ci/readme"));
    assert!(calls, ".ci/run does not call `bash .ci/readme`");
    assert!(read(".ci/readme").contains("```sh ci"), ".ci/readme does not look for `sh ci` blocks");
}

#[test]
fn manual_blocks_name_scripts_and_flags_that_exist() {
    let sources = |script: &str| -> String {
        // bench/run hands its flags to the driver in examples/bench/.
        let mut text = read(script);
        if script == "bench/run" {
            text.push_str(&read("examples/bench/main.rs"));
        }
        text
    };
    let mut wrong = Vec::new();
    let blocks = blocks(&read("README.md"));
    for block in blocks.iter().filter(|b| b.info == "sh manual") {
        for line in &block.lines {
            let command = line.split('#').next().unwrap_or_default();
            let words: Vec<&str> = command.split_whitespace().collect();
            let Some(script) = words.iter().find(|w| w.contains('/')) else { continue };
            if !Path::new(&root().join(script)).is_file() {
                wrong.push(format!("{line}: no file {script}"));
                continue;
            }
            let text = sources(script);
            for flag in words.iter().filter(|w| w.starts_with("--")) {
                if !text.contains(&format!("\"{flag}\"")) && !text.contains(&format!("{flag} ")) {
                    wrong.push(format!("{line}: {script} takes no {flag}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "manual README commands that would fail:\n{}", wrong.join("\n"));
}

#[test]
fn the_setup_installs_only_packages_the_tests_use() {
    let blocks = blocks(&read("README.md"));
    let browser = read("tests/it/browser.rs");
    for block in blocks.iter().filter(|b| b.info == "sh ci") {
        for line in &block.lines {
            let Some(packages) = line.split('#').next().and_then(|l| l.split_once("apt-get install")) else { continue };
            for package in packages.1.split_whitespace().filter(|w| !w.starts_with('-')) {
                assert!(
                    browser.contains(&format!("/usr/bin/{package}")),
                    "README installs {package}, which no test uses"
                );
            }
        }
    }
}
