//! Catalog parity: every configured language has every message, with the same
//! variables, and every message id the templates and the Rust code use
//! exists. Reads the files as they are on disk: no app, no database.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rocket::figment::providers::{Format, Toml};
use rocket::figment::Figment;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Files under `dir` whose name ends with `suffix`, recursively, sorted.
fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                todo.push(path);
            } else if path.to_string_lossy().ends_with(suffix) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// `i18n.languages` of the `default` profile in Rocket.toml.
fn configured_languages() -> Vec<String> {
    Figment::from(Toml::file(root().join("Rocket.toml")).nested())
        .select("default")
        .extract_inner("i18n.languages")
        .expect("Rocket.toml has default.i18n.languages")
}

fn is_id_start(c: char) -> bool {
    c.is_ascii_alphabetic()
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// A Fluent catalog: message id → the names of the variables it uses.
type Catalog = BTreeMap<String, BTreeSet<String>>;

/// Parses the messages of one `.ftl` text: a line that starts with an
/// identifier followed by ` =` opens a message; indented lines continue it.
fn parse_ftl(text: &str) -> Catalog {
    let mut catalog = Catalog::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let starts_message = line.starts_with(is_id_start);
        if starts_message {
            let id: String = line.chars().take_while(|c| is_id_char(*c)).collect();
            let rest = &line[id.len()..];
            if rest.trim_start().starts_with('=') {
                assert!(!catalog.contains_key(&id), "message `{id}` is defined twice");
                catalog.insert(id.clone(), BTreeSet::new());
                current = Some(id);
            } else {
                current = None;
            }
        } else if !line.starts_with(' ') {
            // A comment, a blank line or a term ends the message.
            current = None;
        }
        if let Some(id) = &current {
            let vars = catalog.get_mut(id).expect("current message");
            vars.extend(variables(line));
        }
    }
    catalog
}

/// The `$name`s referenced on one line.
fn variables(line: &str) -> Vec<String> {
    line.split('$').skip(1).map(|after| after.chars().take_while(|c| is_id_char(*c)).collect()).collect()
}

/// Every `locales/<lang>/*.ftl` of a language, merged.
fn catalog(lang: &str) -> Catalog {
    let dir = root().join("locales").join(lang);
    assert!(dir.is_dir(), "i18n.languages lists `{lang}` but there is no folder {}", dir.display());
    let mut all = Catalog::new();
    for file in files(&dir, ".ftl") {
        for (id, vars) in parse_ftl(&read(&file)) {
            assert!(!all.contains_key(&id), "message `{id}` is defined twice in locales/{lang}/");
            all.insert(id, vars);
        }
    }
    all
}

fn catalogs() -> BTreeMap<String, Catalog> {
    let languages = configured_languages();
    assert!(!languages.is_empty(), "Rocket.toml lists no languages");
    languages.iter().map(|lang| (lang.clone(), catalog(lang))).collect()
}

/// A message id as code uses it: exact, or a prefix that code completes at
/// run time (`"error-title-" ~ code`, `format!("weekday-{}", n)`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Use {
    Exact(String),
    Prefix(String),
}

impl Use {
    fn found_in(&self, catalog: &Catalog) -> bool {
        match self {
            Use::Exact(id) => catalog.contains_key(id),
            Use::Prefix(prefix) => catalog.keys().any(|id| id.starts_with(prefix.as_str())),
        }
    }
}

/// Every `fluent(key="…"` in a template; a key followed by `~` is a prefix.
fn template_uses(text: &str) -> Vec<Use> {
    let mut uses = Vec::new();
    for (at, _) in text.match_indices("fluent(") {
        let args = &text[at + "fluent(".len()..];
        let Some(key_at) = args.find("key=") else { continue };
        let after = args[key_at + "key=".len()..].trim_start();
        let Some(quoted) = after.strip_prefix('"') else {
            panic!("a fluent() call whose key is not a literal: {}", &text[at..(at + 80).min(text.len())]);
        };
        let end = quoted.find('"').expect("closing quote of a fluent key");
        let id = quoted[..end].to_string();
        let concatenated = quoted[end + 1..].trim_start().starts_with('~');
        uses.push(if concatenated { Use::Prefix(id) } else { Use::Exact(id) });
    }
    uses
}

/// Message ids in Rust code: the id argument of `t(lang, id)`,
/// `t_args(lang, id, …)` and `ctx.t(id)` when it holds a literal (a literal
/// with `{` is a `format!` prefix), and every literal that names a validation
/// message (`"err-…"`).
fn rust_uses(text: &str) -> Vec<Use> {
    let mut uses = Vec::new();
    for call in ["t(", "t_args("] {
        for (at, _) in text.match_indices(call) {
            let before = text[..at].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') || text[..at].trim_end().ends_with("fn") {
                continue;
            }
            // A method call (`ctx.t(id)`) has the id first, a function the language first.
            let position = usize::from(before != Some('.'));
            let args = arguments(&text[at + call.len()..]);
            if let Some(id) = args.get(position).and_then(|arg| first_literal(arg)) {
                uses.push(literal_use(&id));
            }
        }
    }
    for (at, _) in text.match_indices("\"err-") {
        let rest = &text[at + 1..];
        let id: String = rest.chars().take_while(|c| *c != '"').collect();
        uses.push(literal_use(&id));
    }
    uses
}

/// The top-level arguments of a call, from just after its `(` to its `)`.
fn arguments(text: &str) -> Vec<&str> {
    let (mut args, mut depth, mut start, mut in_string, mut escaped) = (Vec::new(), 0usize, 0, false, false);
    for (i, c) in text.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => {
                args.push(&text[start..i]);
                return args;
            }
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                args.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    args
}

fn first_literal(arg: &str) -> Option<String> {
    let start = arg.find('"')?;
    let rest = &arg[start + 1..];
    let end = rest.find('"')?;
    Some(rest[..end].to_string())
}

fn literal_use(literal: &str) -> Use {
    match literal.split_once('{') {
        Some((prefix, _)) => Use::Prefix(prefix.to_string()),
        None => Use::Exact(literal.to_string()),
    }
}

/// (file, use) for every template and Rust source file.
fn all_uses() -> Vec<(String, Use)> {
    let mut uses = Vec::new();
    for file in files(&root().join("templates"), ".j2") {
        let name = file.strip_prefix(root()).unwrap_or(&file).display().to_string();
        uses.extend(template_uses(&read(&file)).into_iter().map(|u| (name.clone(), u)));
    }
    for file in files(&root().join("src"), ".rs") {
        let name = file.strip_prefix(root()).unwrap_or(&file).display().to_string();
        uses.extend(rust_uses(&read(&file)).into_iter().map(|u| (name.clone(), u)));
    }
    uses
}

#[test]
fn every_configured_language_has_the_same_message_ids() {
    let catalogs = catalogs();
    let all: BTreeSet<&String> = catalogs.values().flat_map(|c| c.keys()).collect();
    let mut missing = Vec::new();
    for (lang, catalog) in &catalogs {
        assert!(catalog.len() >= 100, "locales/{lang}/ has only {} messages: is the parser broken?", catalog.len());
        missing.extend(all.iter().filter(|id| !catalog.contains_key(id.as_str())).map(|id| format!("{lang}: {id}")));
    }
    assert!(missing.is_empty(), "messages missing from a configured language:\n  {}", missing.join("\n  "));
}

#[test]
fn a_message_uses_the_same_variables_in_every_language() {
    let catalogs = catalogs();
    let (first_lang, first) = catalogs.iter().next().expect("one language");
    let with_variables = first.values().filter(|vars| !vars.is_empty()).count();
    assert!(with_variables >= 10, "only {with_variables} messages with variables found: is the parser broken?");
    let mut differ = Vec::new();
    for (lang, catalog) in &catalogs {
        for (id, vars) in catalog {
            if let Some(expected) = first.get(id) {
                if vars != expected {
                    differ.push(format!("{id}: {first_lang} uses {expected:?}, {lang} uses {vars:?}"));
                }
            }
        }
    }
    assert!(differ.is_empty(), "messages whose variables differ between languages:\n  {}", differ.join("\n  "));
}

#[test]
fn every_message_id_used_by_templates_and_code_exists_in_every_catalog() {
    let catalogs = catalogs();
    let uses = all_uses();
    let from_templates = uses.iter().filter(|(file, _)| file.starts_with("templates")).count();
    let from_code = uses.iter().filter(|(file, _)| file.starts_with("src")).count();
    assert!(from_templates >= 60, "found only {from_templates} fluent() calls in templates/: is the scan broken?");
    assert!(from_code >= 25, "found only {from_code} message ids in src/: is the scan broken?");
    assert!(uses.iter().any(|(_, u)| matches!(u, Use::Prefix(_))), "no computed message id found: is the scan broken?");
    let mut unknown = Vec::new();
    for (file, used) in &uses {
        for (lang, catalog) in &catalogs {
            if !used.found_in(catalog) {
                unknown.push(format!("{file}: {used:?} is not in locales/{lang}/"));
            }
        }
    }
    unknown.sort();
    unknown.dedup();
    assert!(unknown.is_empty(), "message ids used but missing:\n  {}", unknown.join("\n  "));
}

/// The ids code builds at run time, spelled out: a prefix check alone would
/// not notice `error-text-409` missing while `error-text-404` exists.
#[test]
fn computed_message_ids_exist_for_every_value_code_can_give() {
    let mut expected: Vec<String> = Vec::new();
    for code in [400, 403, 404, 409, 413, 422, 429, 500] {
        expected.push(format!("error-title-{code}"));
        expected.push(format!("error-text-{code}"));
    }
    expected.extend(["light", "dark", "auto"].map(|t| format!("theme-{t}")));
    expected.extend(["service", "slot", "details", "verify", "confirm"].map(|s| format!("step-{s}")));
    expected.extend(["name", "email", "phone", "notes"].map(|f| format!("details-{f}")));
    expected.extend((1..=7).map(|n| format!("weekday-{n}")));
    expected.extend((1..=12).map(|n| format!("month-{n}")));
    expected.extend(["date-format", "date-format-short", "datetime-format", "zone-CET", "zone-CEST"].map(String::from));
    let mut missing = Vec::new();
    for (lang, catalog) in catalogs() {
        missing
            .extend(expected.iter().filter(|id| !catalog.contains_key(id.as_str())).map(|id| format!("{lang}: {id}")));
    }
    assert!(missing.is_empty(), "computed message ids missing:\n  {}", missing.join("\n  "));
}

#[test]
fn the_scanners_see_what_they_should() {
    let ftl = "# comment\nhello = Hi { $name }\nmulti = { $n ->\n    [one] one\n   *[other] { $n } of { $total }\n}\n\
               -term = Brand\nnext = plain\n";
    let parsed = parse_ftl(ftl);
    assert_eq!(parsed.keys().collect::<Vec<_>>(), ["hello", "multi", "next"]);
    assert_eq!(parsed["multi"], BTreeSet::from(["n".to_string(), "total".to_string()]));
    assert!(parsed["next"].is_empty());

    let source = r#"{{ fluent(key="a-b", lang=page.lang) }} {{ fluent(key="step-" ~ s, lang=l) }}"#;
    assert_eq!(template_uses(source), [Use::Exact("a-b".into()), Use::Prefix("step-".into())]);

    let rust = r#"t(&lang, "x-y"); ctx.t("err-z"); t_args(lang, "p-q", &[("a", v)]);
        t(lang, &format!("weekday-{}", n)); errors.insert("name", "err-required"); pub fn t(lang: &str) {}
        t_args(lang, format, &[("weekday", FluentValue::from(t(lang, "w-1")))]); self.t(&format!("step-{}", s));"#;
    let mut got = rust_uses(rust);
    got.sort();
    got.dedup();
    let want = [
        Use::Exact("err-required".into()),
        Use::Exact("err-z".into()),
        Use::Exact("p-q".into()),
        Use::Exact("w-1".into()),
        Use::Exact("x-y".into()),
        Use::Prefix("step-".into()),
        Use::Prefix("weekday-".into()),
    ];
    assert_eq!(got, want);
}
