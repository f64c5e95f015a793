//! The documentation cannot rot: every shell block in README.md and
//! `docs/*.md` is either run by `.ci/readme` (marked `sh ci`, and `.ci/run`
//! calls it) or, when it cannot run in CI (the benchmark), marked
//! `sh manual` and checked here: its scripts exist and take the flags it
//! shows. README stays a short front page that links every document, and
//! every relative link and `#anchor` between them leads somewhere.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// README.md, then the documents of `docs/` by name: (path, text).
fn documents() -> Vec<(String, String)> {
    let mut docs: Vec<String> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    docs.sort();
    let paths = std::iter::once("README.md".to_string()).chain(docs);
    paths
        .map(|path| {
            let text = read(&path);
            (path, text)
        })
        .collect()
}

/// The fenced blocks of every document, in [`documents`] order.
fn all_blocks() -> Vec<Block> {
    documents().iter().flat_map(|(_, text)| blocks(text)).collect()
}

/// A fenced block of a document: its info string and its lines.
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
    assert!(open.is_none(), "a document ends inside a fenced block");
    blocks
}

fn is_shell(info: &str) -> bool {
    matches!(info.split_whitespace().next(), Some("sh" | "bash" | "shell" | "console"))
}

#[test]
fn every_shell_block_is_run_by_ci_or_marked_manual() {
    let blocks = all_blocks();
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
    let blocks = all_blocks();
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
    let blocks = all_blocks();
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

/// GitHub's anchor of a heading: lower case, spaces to `-`, only letters,
/// digits, `-` and `_` kept.
fn slug(heading: &str) -> String {
    let text = heading.trim_start_matches('#').trim().to_lowercase();
    text.chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of `text`'s headings (outside fenced blocks).
fn anchors(text: &str) -> Vec<String> {
    let mut fenced = false;
    let mut found = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            found.push(slug(line));
        }
    }
    found
}

/// The targets of `text`'s Markdown links and images that are not URLs.
fn relative_links(text: &str) -> Vec<String> {
    text.split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .map(|target| target.split_whitespace().next().unwrap_or_default().to_string())
        .filter(|target| !target.is_empty() && !target.contains("://") && !target.starts_with("mailto:"))
        .chain(text.split("src=\"").skip(1).filter_map(|rest| rest.split('"').next()).map(str::to_string))
        .collect()
}

#[test]
fn the_readme_is_a_short_front_page_that_links_every_document() {
    let readme = read("README.md");
    let lines = readme.lines().count();
    assert!(lines < 200, "README.md has {lines} lines; the rest belongs in docs/");
    for (path, _) in documents().iter().skip(1) {
        assert!(readme.contains(&format!("]({path}")), "README.md does not link {path}");
    }
}

#[test]
fn every_relative_link_and_anchor_leads_somewhere() {
    let mut wrong = Vec::new();
    for (path, text) in documents() {
        let dir = Path::new(&path).parent().unwrap_or(Path::new("")).to_path_buf();
        for target in relative_links(&text) {
            let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let file = if file.is_empty() { path.clone() } else { dir.join(file).display().to_string() };
            if !root().join(&file).exists() {
                wrong.push(format!("{path}: {target}: no file {file}"));
            } else if !anchor.is_empty() && !anchors(&read(&file)).iter().any(|a| a == anchor) {
                wrong.push(format!("{path}: {target}: {file} has no heading #{anchor}"));
            }
        }
    }
    assert!(wrong.is_empty(), "links that lead nowhere:\n{}", wrong.join("\n"));
}
