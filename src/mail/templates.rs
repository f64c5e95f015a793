//! The mail templates: files under `<template_dir>/mail/`, one folder per
//! kind of email holding `subject.txt.j2`, `text.txt.j2` and
//! `html.html.j2`, and `layout.html.j2`, the HTML shell they extend.
//!
//! Text comes from the Fluent catalogs through the same `fluent(key=…,
//! lang=…)` function the pages use (see `templating`); the HTML parts are
//! autoescaped, the subject and text parts are not. The HTML parts also get
//! `subject` (for their `<title>`) and the filter `href`. Loaded once at
//! launch (no reload while running, unlike the pages in debug builds).

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use minijinja::Environment;

use super::MailError;
use crate::templating;

/// What an email's templates get: named values.
pub(crate) type Context = serde_json::Map<String, serde_json::Value>;

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
pub(crate) struct Templates(Arc<Environment<'static>>);

impl Templates {
    /// Loads every template file under `<template_dir>/mail/` and checks
    /// that each of `kinds` has its three parts. A parse error, a missing
    /// parent or a missing part is one line naming the file.
    ///
    /// NOTE: each is named as rocket_dyn_templates names it (`mail/code/html`,
    /// see `templating::files`), so `{% extends "mail/layout" %}` reads the
    /// same to both; it is also why a kind's files have different stems
    /// (`text.txt`, `html.html`): two files that differ only in their data
    /// extension would share a name.
    pub(crate) fn load(template_dir: &Path, kinds: &[&str]) -> Result<Templates, MailError> {
        let dir = template_dir.join("mail");
        let cannot_read = |e: std::io::Error| MailError::Template(format!("cannot read `{}`: {e}", dir.display()));
        std::fs::metadata(&dir).map_err(cannot_read)?;
        let files: Vec<_> = templating::files(template_dir)
            .map_err(cannot_read)?
            .into_iter()
            .filter(|f| f.name.starts_with("mail/"))
            .collect();
        let html: HashSet<String> = files.iter().filter(|f| f.html).map(|f| f.name.clone()).collect();
        let mut env = templating::environment(html);
        for file in &files {
            let source = std::fs::read_to_string(&file.path)
                .map_err(|e| MailError::Template(format!("cannot read `{}`: {e}", file.path.display())))?;
            env.add_template_owned(file.name.clone(), source)
                .map_err(|e| MailError::Template(format!("`{}`: {}", file.path.display(), one_line(&e))))?;
        }
        for kind in kinds {
            for (stem, extension) in PARTS {
                let name = format!("mail/{kind}/{stem}");
                let file = dir.join(kind).join(format!("{stem}.{extension}.{}", templating::EXTENSION));
                match env.get_template(&name) {
                    Err(_) => return Err(MailError::Template(format!("`{}` is missing", file.display()))),
                    // NOTE: a missing parent shows only when rendered: render
                    // each part once with nothing, and report what is not a
                    // missing value.
                    Ok(template) => match template.render(Context::new()) {
                        Err(e) if e.kind() == minijinja::ErrorKind::TemplateNotFound => {
                            return Err(MailError::Template(format!("`{}`: {}", file.display(), one_line(&e))))
                        }
                        _ => {}
                    },
                }
            }
        }
        Ok(Templates(Arc::new(env)))
    }

    /// Renders the three parts of `kind` with `context` (the HTML part with
    /// the rendered `subject` too).
    pub(crate) fn render(&self, kind: &str, context: &Context) -> Result<Rendered, MailError> {
        let part = |stem: &str, context: &Context| {
            let name = format!("mail/{kind}/{stem}");
            self.0
                .get_template(&name)
                .and_then(|t| t.render(context))
                .map_err(|e| MailError::Template(format!("{name}: {}", one_line(&e))))
        };
        let subject = part("subject", context)?.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut with_subject = context.clone();
        with_subject.insert("subject".into(), subject.clone().into());
        Ok(Rendered { text: part("text", context)?, html: part("html", &with_subject)?, subject })
    }
}

/// A template error with its causes on one line.
fn one_line(error: &minijinja::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut cause = std::error::Error::source(error);
    while let Some(e) = cause {
        parts.push(e.to_string());
        cause = e.source();
    }
    parts.join(": ").split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_that_names_a_missing_parent_is_one_line_naming_its_file() {
        let dir = std::env::temp_dir().join(format!("slotwise-mail-templates-{}", rand::random::<u64>()));
        std::fs::create_dir_all(dir.join("mail/code")).unwrap();
        for (stem, ext) in PARTS {
            std::fs::write(dir.join(format!("mail/code/{stem}.{ext}.j2")), "x").unwrap();
        }
        assert!(Templates::load(&dir, &["code"]).is_ok());
        std::fs::write(dir.join("mail/code/html.html.j2"), "{% extends \"mail/nowhere\" %}").unwrap();
        let Err(MailError::Template(error)) = Templates::load(&dir, &["code"]) else { panic!("loaded") };
        assert!(error.contains("html.html.j2") && error.contains("mail/nowhere") && !error.contains('\n'), "{error}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
