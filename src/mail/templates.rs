//! The mail templates: Tera files under `<template_dir>/mail/`, one folder per
//! kind of email holding `subject.txt.tera`, `text.txt.tera` and
//! `html.html.tera`, and `layout.html.tera`, the HTML shell they extend.
//!
//! Text comes from the Fluent catalogs through the same `fluent(key=…,
//! lang=…)` function the pages use; the HTML parts are autoescaped, the
//! subject and text parts are not. The HTML parts also get `subject` (for
//! their `<title>`) and the filter `href` (see [`href`]). Loaded once at launch (no reload while
//! running, unlike the pages in debug builds).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rocket_dyn_templates::tera::{self, Tera};

use super::MailError;
use crate::i18n;

/// The parts every kind of email has: (file stem, data extension).
const PARTS: [(&str, &str); 3] = [("subject", "txt"), ("text", "txt"), ("html", "html")];

/// One email rendered in its recipient's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rendered {
    /// One line, whitespace collapsed.
    pub subject: String,
    /// The `text/plain` part.
    pub text: String,
    /// The `text/html` part.
    pub html: String,
}

/// The loaded mail templates; cloning shares them.
#[derive(Clone)]
pub(crate) struct Templates(Arc<Tera>);

impl Templates {
    /// Loads every `.tera` file under `<template_dir>/mail/` and checks that
    /// each of `kinds` has its three parts. A parse error, a missing parent
    /// or a missing part is one line naming the file.
    pub(crate) fn load(template_dir: &Path, kinds: &[&str]) -> Result<Templates, MailError> {
        let dir = template_dir.join("mail");
        let mut found = Vec::new();
        tera_files(&dir, &mut found)
            .map_err(|e| MailError::Template(format!("cannot read `{}`: {e}", dir.display())))?;
        // NOTE: rocket_dyn_templates loads these files as well (it takes every
        // file under `template_dir`) and names each by its path minus two
        // extensions: `mail/code/html`. Naming them the same way here lets
        // `{% extends "mail/layout" %}` resolve in both engines; it is also why
        // a kind's files have different stems (`text.txt`, `html.html`): two
        // files that differ only in their data extension would share a name.
        let named = found.into_iter().map(|path| {
            let name = template_name(template_dir, &path);
            (path, Some(name))
        });
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html.tera"]);
        tera.register_function("fluent", i18n::tera_function());
        tera.register_filter("href", href);
        tera.add_template_files(named).map_err(template_error)?;
        for kind in kinds {
            for (stem, extension) in PARTS {
                if tera.get_template(&format!("mail/{kind}/{stem}")).is_err() {
                    let file = dir.join(kind).join(format!("{stem}.{extension}.tera"));
                    return Err(MailError::Template(format!("`{}` is missing", file.display())));
                }
            }
        }
        Ok(Templates(Arc::new(tera)))
    }

    /// Renders the three parts of `kind` with `context` (the HTML part with
    /// the rendered `subject` too).
    pub(crate) fn render(&self, kind: &str, context: &tera::Context) -> Result<Rendered, MailError> {
        let part = |stem: &str, context: &tera::Context| {
            self.0.render(&format!("mail/{kind}/{stem}"), context).map_err(template_error)
        };
        let subject = part("subject", context)?.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut with_subject = context.clone();
        with_subject.insert("subject", &subject);
        Ok(Rendered { text: part("text", context)?, html: part("html", &with_subject)?, subject })
    }
}

/// The Tera filter `href`: a URL escaped for an HTML attribute or text,
/// only where HTML needs it (`&`, `<`, `>`, `"`, `'`); use it with `| safe`.
///
/// NOTE: Tera's own escaping also writes every `/` as `&#x2F;`. Browsers
/// read that back, but the raw message then shows `https:&#x2F;&#x2F;…`,
/// and spam filters count entity-encoded links as obfuscation.
fn href(value: &tera::Value, _: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    let url = value.as_str().ok_or_else(|| tera::Error::msg("`href` takes a string"))?;
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Ok(tera::Value::String(out))
}

/// Every `*.tera` file under `dir`, recursively.
fn tera_files(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            tera_files(&path, found)?;
        } else if path.extension().is_some_and(|e| e == "tera") {
            found.push(path);
        }
    }
    Ok(())
}

/// `path` relative to `root`, minus its last two extensions, `/`-separated:
/// the name rocket_dyn_templates gives the file.
fn template_name(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path).with_extension("").with_extension("");
    relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// A Tera error with its causes on one line (Tera puts the details in the
/// source chain and a parse error over several lines).
fn template_error(error: tera::Error) -> MailError {
    let mut parts = Vec::new();
    let mut cause: Option<&dyn std::error::Error> = Some(&error);
    while let Some(e) = cause {
        let text = e.to_string();
        let lines: Vec<&str> =
            text.lines().map(|l| l.trim().trim_start_matches(['|', '=']).trim()).filter(|l| !l.is_empty()).collect();
        parts.push(lines.join(" "));
        cause = e.source();
    }
    MailError::Template(parts.join(": "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_ones_rocket_dyn_templates_gives() {
        let root = Path::new("templates");
        assert_eq!(template_name(root, &root.join("mail/code/html.html.tera")), "mail/code/html");
        assert_eq!(template_name(root, &root.join("mail/code/subject.txt.tera")), "mail/code/subject");
        assert_eq!(template_name(root, &root.join("mail/layout.html.tera")), "mail/layout");
    }

    #[test]
    fn href_escapes_what_html_needs_and_keeps_slashes() {
        let url = tera::Value::from("https://x.test/b/R?token=a&date=<1>\"'");
        let escaped = href(&url, &HashMap::new()).expect("a string");
        assert_eq!(escaped, "https://x.test/b/R?token=a&amp;date=&lt;1&gt;&quot;&#39;");
        assert!(href(&tera::Value::from(1), &HashMap::new()).is_err());
    }
}
