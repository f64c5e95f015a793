//! The template engine the pages and the emails share: MiniJinja, with the
//! app's function `fluent(key=…, lang=…, …args)`, the filters `href` and
//! `linebreaksbr`, HTML escaping that leaves `/` alone, and the folder walk
//! that names each file as rocket_dyn_templates does.
//!
//! NOTE: MiniJinja rather than Tera (both are engines of
//! rocket_dyn_templates): it renders the same pages in fewer instructions
//! (issue 29; the figures are in docs/benchmark.md).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fluent_templates::fluent_bundle::FluentValue;
use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, Output, State};

use crate::i18n;

/// The extension of every template file.
pub const EXTENSION: &str = "j2";

/// A template file: its name (as rocket_dyn_templates gives it: the path
/// under the folder minus its last two extensions, `/`-separated), where it
/// is and whether it is HTML (`*.html.j2`, autoescaped).
pub struct File {
    pub name: String,
    pub path: PathBuf,
    pub html: bool,
}

/// Every `*.j2` file under `root` (recursively), named.
fn files(root: &Path) -> std::io::Result<Vec<File>> {
    let mut paths = Vec::new();
    walk(root, &mut paths)?;
    paths.sort();
    Ok(paths
        .into_iter()
        .map(|path| {
            let stem = path.with_extension("");
            let html = stem.extension().is_some_and(|e| e == "html");
            let relative = stem.strip_prefix(root).unwrap_or(&stem).with_extension("");
            let name = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            File { name, path, html }
        })
        .collect())
}

/// The template files under `root` whose name `keep` accepts, with their
/// sources, in an [`environment`] that holds each under its name.
pub struct Loaded {
    pub env: Environment<'static>,
    pub files: Vec<(File, String)>,
}

/// Loads the template files under `root` whose name `keep` accepts (pages
/// and emails each load their own). An error is one line naming the file.
pub fn load(root: &Path, keep: impl Fn(&str) -> bool) -> Result<Loaded, String> {
    let found = files(root).map_err(|e| format!("cannot read `{}`: {e}", root.display()))?;
    let found: Vec<File> = found.into_iter().filter(|f| keep(&f.name)).collect();
    let mut env = environment(found.iter().filter(|f| f.html).map(|f| f.name.clone()).collect());
    let mut files = Vec::with_capacity(found.len());
    for file in found {
        let source = std::fs::read_to_string(&file.path).map_err(|e| format!("`{}`: {e}", file.path.display()))?;
        env.add_template_owned(file.name.clone(), source.clone()).map_err(|e| in_file(&file, &e))?;
        files.push((file, source));
    }
    Ok(Loaded { env, files })
}

/// `error` on one line, naming `file`.
pub fn in_file(file: &File, error: &Error) -> String {
    format!("`{}`: {}", file.path.display(), one_line(error))
}

/// A template error with its causes, on one line.
pub fn one_line(error: &Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut cause = std::error::Error::source(error);
    while let Some(e) = cause {
        parts.push(e.to_string());
        cause = e.source();
    }
    parts.join(": ").split_whitespace().collect::<Vec<_>>().join(" ")
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, found)?;
        } else if path.extension().is_some_and(|e| e == EXTENSION) {
            found.push(path);
        }
    }
    Ok(())
}

/// An empty environment with the app's function and filters. Templates
/// named in `html`, and every name ending in `.html`, are autoescaped.
pub fn environment(html: HashSet<String>) -> Environment<'static> {
    let mut env = Environment::new();
    let html = Arc::new(html);
    env.set_auto_escape_callback(move |name| {
        if name.ends_with(".html") || html.contains(name) {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    // NOTE: as Tera did: a text email ends with its file's last newline, and
    // printing a name the context lacks (a typo) is an error, where `if`
    // and `default` may still ask for it.
    env.set_keep_trailing_newline(true);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::SemiStrict);
    env.set_formatter(format);
    env.add_function("fluent", fluent);
    env.add_filter("href", href);
    env.add_filter("escape", escape);
    env.add_filter("e", escape);
    env.add_filter("linebreaksbr", linebreaksbr);
    env
}

/// `text` escaped for HTML text and quoted attributes: `&`, `<`, `>`, `"`
/// and `'`.
///
/// NOTE: not `/` (MiniJinja's and Tera's own escaping write it as an
/// entity): a quoted attribute needs no such escape, and a raw email then
/// shows `https:&#x2f;&#x2f;…`, which spam filters count as obfuscation.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    // NOTE: writing to a String cannot fail.
    let _ = write_escaped(&mut out, text);
    out
}

/// Writes `text` to `out` escaped as [`escape_html`] escapes it, the runs
/// between special characters as they are.
///
/// NOTE: straight into the page rather than through a new string per value,
/// and looking for the five bytes rather than the five characters (which
/// decoded every character first): printing values was a tenth of the
/// details page's rendering.
fn write_escaped(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    let mut rest = text;
    while let Some(at) = rest.bytes().position(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'')) {
        out.write_str(&rest[..at])?;
        out.write_str(match rest.as_bytes()[at] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#x27;",
        })?;
        // The byte is ASCII: `at + 1` is a character boundary.
        rest = &rest[at + 1..];
    }
    out.write_str(rest)
}

/// How `{{ value }}` is written: strings escaped with [`escape_html`] where
/// the template is HTML, `none` as nothing, the rest as MiniJinja writes it
/// (printing an undefined name never gets here: see [`environment`]).
fn format(out: &mut Output, state: &State, value: &Value) -> Result<(), Error> {
    if value.is_none() {
        return Ok(());
    }
    match (state.auto_escape(), value.as_str()) {
        (AutoEscape::Html, Some(text)) if !value.is_safe() => {
            write_escaped(out, text).map_err(|e| Error::new(ErrorKind::WriteFailure, e.to_string()))
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// `fluent(key=…, lang=…, …args)`: the message `key` in `lang`, the other
/// named arguments its Fluent arguments (numbers stay numbers).
fn fluent(kwargs: Kwargs) -> Result<String, Error> {
    let key: &str = kwargs.get("key")?;
    let lang: &str = kwargs.get("lang")?;
    let mut args = Vec::new();
    for name in kwargs.args().filter(|n| *n != "key" && *n != "lang") {
        let value: Value = kwargs.get(name)?;
        let value = match value.kind() {
            ValueKind::Number => match i64::try_from(value.clone()) {
                Ok(n) => FluentValue::from(n),
                Err(_) => FluentValue::from(f64::try_from(value).unwrap_or(f64::NAN)),
            },
            _ => FluentValue::from(value.to_string()),
        };
        args.push((name, value));
    }
    kwargs.assert_all_used()?;
    Ok(if args.is_empty() { i18n::t(lang, key) } else { i18n::t_args(lang, key, &args) })
}

/// The filter `href`: a URL escaped with [`escape_html`], marked safe.
fn href(url: Value) -> Result<Value, Error> {
    match url.as_str() {
        Some(url) => Ok(Value::from_safe_string(escape_html(url))),
        None if url.is_undefined() => Err(Error::from(ErrorKind::UndefinedError)),
        None => Err(Error::new(ErrorKind::InvalidOperation, "`href` takes a string")),
    }
}

/// The filter `escape` (and `e`): a value escaped with [`escape_html`],
/// unless already safe.
fn escape(value: Value) -> Value {
    if value.is_safe() {
        return value;
    }
    Value::from_safe_string(escape_html(&value.to_string()))
}

/// The filter `linebreaksbr`: every line break as `<br>` (after `escape`).
fn linebreaksbr(text: &str) -> Value {
    let text = text.replace("\r\n", "\n").replace('\n', "<br>");
    Value::from_safe_string(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str, html: bool, ctx: Value) -> String {
        let name = if html { "t.html" } else { "t.txt" };
        let mut env = environment(HashSet::new());
        env.add_template_owned(name, source.to_string()).unwrap();
        env.get_template(name).unwrap().render(ctx).unwrap()
    }

    #[test]
    fn html_escapes_all_but_the_slash_and_text_escapes_nothing() {
        let ctx = minijinja::context! { v => "<a href='/x'>&\"</a>", n => (), k => 3 };
        let html = render(
            "{{ v }}|{{ n }}|{{ k }}|{% if missing %}x{% endif %}{{ missing | default('d') }}",
            true,
            ctx.clone(),
        );
        assert_eq!(html, "&lt;a href=&#x27;/x&#x27;&gt;&amp;&quot;&lt;/a&gt;||3|d");
        assert_eq!(render("{{ v }}", false, ctx), "<a href='/x'>&\"</a>");
        let text = "Zoë <Müller> & 'Ω' — \"日本\"";
        let escaped = "Zoë &lt;Müller&gt; &amp; &#x27;Ω&#x27; — &quot;日本&quot;";
        assert_eq!(escape_html(text), escaped);
        assert_eq!(render("{{ t }}", true, minijinja::context! { t => text }), escaped);
    }

    #[test]
    fn printing_a_name_the_context_lacks_is_an_error() {
        let mut env = environment(HashSet::new());
        env.add_template_owned("t.html", "{{ typo }}".to_string()).unwrap();
        let error = env.get_template("t.html").unwrap().render(Value::UNDEFINED).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UndefinedError);
    }

    #[test]
    fn fluent_formats_plain_messages_and_arguments() {
        let plain = render(r#"{{ fluent(key="wizard-continue", lang="de") }}"#, true, Value::UNDEFINED);
        assert_eq!(plain, escape_html(&i18n::t("de", "wizard-continue")));
        let minutes = FluentValue::from(30);
        let with = render(r#"{{ fluent(key="service-duration", lang="en", minutes=30) }}"#, false, Value::UNDEFINED);
        assert_eq!(with, i18n::t_args("en", "service-duration", &[("minutes", minutes)]));
        assert!(with.contains("30"), "{with}");
    }

    #[test]
    fn href_and_linebreaksbr() {
        let ctx = minijinja::context! { u => "https://x.test/b?t=a&d=\"1\"", a => "1 Main St\n<b>Town</b>" };
        let out = render("{{ u | href }} {{ a | escape | linebreaksbr }}", true, ctx);
        assert_eq!(out, "https://x.test/b?t=a&amp;d=&quot;1&quot; 1 Main St<br>&lt;b&gt;Town&lt;/b&gt;");
    }

    #[test]
    fn files_are_named_as_rocket_dyn_templates_names_them() {
        let dir = std::env::temp_dir().join(format!("slotwise-templating-{}", rand::random::<u64>()));
        std::fs::create_dir_all(dir.join("mail/code")).unwrap();
        for file in ["base.html.j2", "mail/code/text.txt.j2", "notes.md"] {
            std::fs::write(dir.join(file), "x").unwrap();
        }
        let found: Vec<(String, bool)> = files(&dir).unwrap().into_iter().map(|f| (f.name, f.html)).collect();
        assert_eq!(found, [("base".to_string(), true), ("mail/code/text".to_string(), false)]);
        let _ = std::fs::remove_dir_all(dir);
    }
}
