//! The picture of who may import whom cannot drift: docs/architecture.md's table "Who may
//! import whom" is read, and every `crate::<module>` path in `src/` (a `use`
//! line or a path in the code) must be one its module's row allows. A new
//! top-level module needs a row; the rows must form no circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Allowed imports by module, from the docs/architecture.md table's rows
/// `| `a`, `b` | `c`, `d` |` (or `nothing`).
fn rules(readme: &str) -> BTreeMap<String, BTreeSet<String>> {
    let section = readme.split("## Who may import whom").nth(1).expect("docs/architecture.md has the section");
    let names = |cell: &str| -> Vec<String> { cell.split('`').skip(1).step_by(2).map(str::to_string).collect() };
    let mut rules = BTreeMap::new();
    for line in section.lines().skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|')).skip(2) {
        let cells: Vec<&str> = line.split('|').collect();
        let allowed: BTreeSet<String> = names(cells[2]).into_iter().collect();
        for module in names(cells[1]) {
            rules.insert(module, allowed.clone());
        }
    }
    rules
}

/// The top-level module a file under `src/` belongs to (`None`: the crate
/// root, `lib.rs` and `main.rs`, which assemble everything).
fn module_of(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    match first {
        "lib.rs" | "main.rs" => None,
        file => Some(file.trim_end_matches(".rs").to_string()),
    }
}

/// Every `crate::<module>` a line of `text` names, comments aside.
fn imports(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in text.lines().map(|l| l.split("//").next().unwrap_or_default()) {
        for (at, _) in line.match_indices("crate::") {
            let before = line[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            let name: String = line[at + 7..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

/// The imports `files` (path under `src/`, text) make that `rules` forbid.
fn violations(files: &[(PathBuf, String)], rules: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut wrong = Vec::new();
    for (path, text) in files {
        let Some(module) = module_of(path) else { continue };
        let Some(allowed) = rules.get(&module) else {
            wrong.push(format!("{}: module `{module}` has no row in docs/architecture.md's table", path.display()));
            continue;
        };
        for import in imports(text) {
            if import != module && !allowed.contains(&import) {
                wrong.push(format!("{}: `{module}` may not import `{import}`", path.display()));
            }
        }
    }
    wrong
}

fn sources(dir: &Path, base: &Path, out: &mut Vec<(PathBuf, String)>) {
    for entry in std::fs::read_dir(dir).expect("src/ reads").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, base, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("a source file reads");
            out.push((path.strip_prefix(base).expect("under src/").to_path_buf(), text));
        }
    }
}

fn readme_rules() -> BTreeMap<String, BTreeSet<String>> {
    rules(&std::fs::read_to_string(root().join("docs/architecture.md")).expect("docs/architecture.md reads"))
}

#[test]
fn every_import_in_src_is_one_the_readme_table_allows() {
    let rules = readme_rules();
    assert!(rules.len() > 10, "the table was read: {rules:?}");
    let mut files = Vec::new();
    let src = root().join("src");
    sources(&src, &src, &mut files);
    let wrong = violations(&files, &rules);
    assert!(wrong.is_empty(), "imports docs/architecture.md's \"Who may import whom\" forbids:\n{}", wrong.join("\n"));
}

#[test]
fn the_table_draws_no_circle() {
    let rules = readme_rules();
    // Repeatedly take away the modules whose allowed imports are all taken.
    let mut left = rules.clone();
    while let Some(free) =
        left.iter().find(|(_, allowed)| allowed.iter().all(|a| !left.contains_key(a))).map(|(m, _)| m.clone())
    {
        left.remove(&free);
    }
    assert!(left.is_empty(), "these rows import each other in a circle: {:?}", left.keys());
}

#[test]
fn a_forbidden_import_is_reported() {
    let rules = readme_rules();
    let file = (PathBuf::from("config/sneaky.rs"), "use crate::web::Page;\nfn f() { crate::wizard::x(); }".to_string());
    let wrong = violations(&[file], &rules);
    assert_eq!(wrong.len(), 2, "{wrong:?}");
    let allowed = (PathBuf::from("wizard/x.rs"), "use crate::web::Page; // crate::nothing_here".to_string());
    assert!(violations(&[allowed], &rules).is_empty());
    let unknown = (PathBuf::from("brand_new/mod.rs"), String::new());
    assert_eq!(violations(&[unknown], &rules).len(), 1, "a new module needs a row");
}
