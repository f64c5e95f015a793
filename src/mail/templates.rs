//! The mail templates: files under `<template_dir>/mail/`, one folder per
//! kind of email holding `subject.txt.j2`, `text.txt.j2` and
//! `html.html.j2`, and `layout.html.j2`, the HTML shell they extend.
//!
//! Text comes from the Fluent catalogs through the same `fluent(key=…,
//! lang=…)` function the pages use (see `templating`); the HTML parts are
//! autoescaped, the subject and text parts are not. The HTML parts also get
//! `subject` (for their `<title>`) and the filter `href`. Loaded once at
//! launch (no reload while running, unlike the pages in debug builds).

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
    /// see `templating::load`), so `{% extends "mail/layout" %}` reads the
    /// same to both; it is also why a kind's files have different stems
    /// (`text.txt`, `html.html`): two files that differ only in their data
    /// extension would share a name.
    pub(crate) fn load(template_dir: &Path, kinds: &[&str]) -> Result<Templates, MailError> {
        let env = templating::load(template_dir, |name| name.starts_with("mail/")).map_err(MailError::Template)?.env;
        for kind in kinds {
            for (stem, extension) in PARTS {
                let file =
                    template_dir.join("mail").join(kind).join(format!("{stem}.{extension}.{}", templating::EXTENSION));
                let Ok(template) = env.get_template(&format!("mail/{kind}/{stem}")) else {
                    return Err(MailError::Template(format!("`{}` is missing", file.display())));
                };
                // NOTE: a missing parent shows only when rendered: render
                // each part once with nothing, and report only that.
                if let Err(e) = template.render(Context::new()) {
                    if e.kind() == minijinja::ErrorKind::TemplateNotFound {
                        return Err(MailError::Template(format!("`{}`: {}", file.display(), templating::one_line(&e))));
                    }
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
                .map_err(|e| MailError::Template(format!("{name}: {}", templating::one_line(&e))))
        };
        let subject = part("subject", context)?.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut with_subject = context.clone();
        with_subject.insert("subject".into(), subject.clone().into());
        Ok(Rendered { text: part("text", context)?, html: part("html", &with_subject)?, subject })
    }
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
