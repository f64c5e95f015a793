//! Rendering pages. rocket_dyn_templates finds the templates (and, in
//! debug builds, reloads them when they change); [`Views`] loads them into
//! MiniJinja (see `templating`) and [`View`] renders them.
//!
//! Two things make a page cheaper than `rocket_dyn_templates::Template`
//! would (see docs/benchmark.md; rendering was most of a page's cost):
//! - the context is serialized once, straight into MiniJinja's value,
//!   instead of into figment's value and from there into the engine's;
//! - every template also exists once per language, `<name>.<lang>.html`, with
//!   its fixed texts — `{{ fluent(key="<id>", lang=page.lang) }}` — already
//!   translated and escaped, so a page formats only the messages that take
//!   arguments or whose id is computed. [`View`] picks the variant from
//!   `page.lang` in the context.

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use minijinja::value::{merge_maps, Value};
use minijinja::Environment;
use rocket::http::{ContentType, Status};
use rocket::response::{self, Responder};
use rocket::Request;
use serde::Serialize;

use fluent_templates::Loader;

use super::Theme;
use crate::i18n;
use crate::templating::{self, escape_html};

/// The templates as last loaded: managed state, refreshed by the template
/// fairing's callback ([`Views::load`]) on every (re)load.
#[derive(Clone, Default)]
pub struct Views {
    loaded: Arc<RwLock<Arc<Environment<'static>>>>,
    /// `i18n.languages`, for the language menu written into each variant.
    languages: Arc<RwLock<Vec<String>>>,
    /// The longest page rendered yet, bytes: what the next page's buffer
    /// starts with ([`Views::render_bytes`]).
    longest: Arc<AtomicUsize>,
}

impl Views {
    /// The languages the app offers (`i18n.languages`): the menu of every
    /// page, written into the variants at the next [`Views::load`].
    pub fn offer(&self, languages: &[String]) {
        *self.languages.write().unwrap_or_else(|e| e.into_inner()) = languages.to_vec();
    }

    /// Loads the page templates of `dir` (not those under `mail/`, which
    /// the mailer loads) and their per-language variants. An error is one
    /// line naming the file (as written, not one of its variants: each is
    /// loaded before its variants).
    pub fn load(&self, dir: &Path) -> Result<(), String> {
        let templating::Loaded { mut env, files } = templating::load(dir, |name| !name.starts_with("mail/"))?;
        let languages: Vec<String> = i18n::LOCALES.locales().map(|l| l.to_string()).collect();
        let names: Vec<String> = files.iter().map(|(f, _)| f.name.clone()).collect();
        let offered = self.languages.read().unwrap_or_else(|e| e.into_inner()).clone();
        for (file, source) in &files {
            for lang in &languages {
                let menus = theme_menu(&language_menu(source, lang, &offered), lang);
                let localized = translated(&menus, lang, &names);
                env.add_template_owned(variant(&file.name, lang), localized)
                    .map_err(|e| templating::in_file(file, &e))?;
            }
        }
        *self.loaded.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(env);
        Ok(())
    }

    /// Renders `name` (its variant for `page.lang` when there is one).
    pub(crate) fn render(&self, name: &str, context: &Value) -> Result<String, minijinja::Error> {
        let html = self.render_bytes(name, context)?;
        String::from_utf8(html).map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))
    }

    /// [`Views::render`] as the bytes of the response body.
    ///
    /// NOTE: into a buffer as long as the longest page yet, not MiniJinja's
    /// `render`, whose buffer starts at the size of the page's own template
    /// (a few hundred bytes of a 23 KB page, the rest being `base`'s) and so
    /// grew five times per page, copying what it held each time: a fifth
    /// of the landing page's rendering instructions.
    fn render_bytes(&self, name: &str, context: &Value) -> Result<Vec<u8>, minijinja::Error> {
        let env = self.loaded.read().unwrap_or_else(|e| e.into_inner()).clone();
        let lang = context.get_attr("page").and_then(|p| p.get_attr("lang")).ok();
        let localized = lang.as_ref().and_then(Value::as_str).map(|lang| variant(name, lang));
        let template = match localized.as_deref().map(|name| env.get_template(name)) {
            Some(Ok(template)) => template,
            _ => env.get_template(name)?,
        };
        let mut html = Vec::with_capacity(self.longest.load(Ordering::Relaxed));
        template.render_captured_to(context, &mut html)?;
        self.longest.fetch_max(html.len(), Ordering::Relaxed);
        Ok(html)
    }
}

/// The name of `name`'s variant for `lang`.
///
/// NOTE: it ends in `.html`: `templating` autoescapes templates whose name
/// does.
fn variant(name: &str, lang: &str) -> String {
    format!("{name}.{lang}.html")
}

const FIXED_TEXT: (&str, &str) = ("{{ fluent(key=\"", "\", lang=page.lang) }}");

/// `source` with its fixed texts translated into `lang` and its `extends`
/// pointing at the parents' variants for `lang`.
fn translated(source: &str, lang: &str, names: &[String]) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(at) = rest.find(FIXED_TEXT.0) {
        out.push_str(&rest[..at]);
        let after = &rest[at + FIXED_TEXT.0.len()..];
        let id_len = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).unwrap_or(after.len());
        let (id, tail) = after.split_at(id_len);
        match tail.strip_prefix(FIXED_TEXT.1) {
            Some(tail) if !id.is_empty() => {
                let text = escape_html(&i18n::t(lang, id));
                // NOTE: a translation is text, never template syntax.
                if text.contains('{') {
                    out.push_str(&format!("{{% raw %}}{text}{{% endraw %}}"));
                } else {
                    out.push_str(&text);
                }
                rest = tail;
            }
            _ => {
                out.push_str(FIXED_TEXT.0);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    let mut out = bake(&out, lang);
    for parent in names {
        for tag in ["extends", "include"] {
            let tag_of = |name: &str| format!("{{% {tag} \"{name}\" %}}");
            if out.contains(&tag_of(parent)) {
                out = out.replace(&tag_of(parent), &tag_of(&variant(parent, lang)));
            }
        }
    }
    out
}

/// What a page reads that is the same for every request in `lang`, written
/// into `lang`'s variant instead of looked up per request: `page.lang`
/// itself (a literal, where the engine walked the context for it at every use),
/// and the zone switcher's groups of every zone (`page.zones.regions`, some
/// 20 KB that were copied into every page's context and out again).
fn bake(source: &str, lang: &str) -> String {
    let regions = format!("{{% raw %}}{}{{% endraw %}}", super::zone_menu::regions(lang));
    let source = source.replace(REGIONS, &regions);
    let mut out = String::with_capacity(source.len());
    let mut rest = source.as_str();
    while let Some(at) = rest.find(PAGE_LANG) {
        let tail = &rest[at + PAGE_LANG.len()..];
        out.push_str(&rest[..at]);
        // NOTE: only the whole name (`page.language` is another one).
        if tail.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
            out.push_str(PAGE_LANG);
        } else {
            // The tag is letters, digits and `-`: a plain template string.
            out.push_str(&format!("\"{lang}\""));
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// `source` with its language menu's loop (the buttons of `offered`, the
/// one of `lang` pressed) rendered once for `lang`: the same on every page
/// of `lang`, it made every page call `fluent` once per language.
/// Unchanged when there is no such loop or `offered` is not known.
fn language_menu(source: &str, lang: &str, offered: &[String]) -> String {
    let Some((before, fragment, after)) = the_loop(source, LANGUAGE_LOOP).filter(|_| !offered.is_empty()) else {
        return source.to_string();
    };
    let context = minijinja::context! { page => minijinja::context! { lang => lang, languages => offered } };
    match render_once(fragment, context) {
        Some(html) => format!("{before}{html}{after}"),
        None => source.to_string(),
    }
}

/// `source` with its theme menu's loop (a button per theme, the visitor's
/// pressed) rendered once per theme for `lang`, the page choosing among
/// the three by `page.theme`: it made every page call `fluent` once per
/// theme. Unchanged when there is no such loop.
fn theme_menu(source: &str, lang: &str) -> String {
    let Some((before, fragment, after)) = the_loop(source, THEME_LOOP) else { return source.to_string() };
    let themes = Theme::ALL.map(Theme::as_str);
    let mut chosen = String::new();
    for (i, theme) in themes.iter().enumerate() {
        let context =
            minijinja::context! { page => minijinja::context! { lang => lang, themes => themes, theme => theme } };
        let Some(html) = render_once(fragment, context) else { return source.to_string() };
        let branch = if i == 0 { "if" } else { "elif" };
        chosen.push_str(&format!("{{% {branch} page.theme == \"{theme}\" %}}{html}"));
    }
    format!("{before}{chosen}{{% endif %}}{after}")
}

/// `source` split around the loop that starts with `head` (up to its
/// `{% endfor %}`, which must not nest another loop).
fn the_loop<'s>(source: &'s str, head: &str) -> Option<(&'s str, &'s str, &'s str)> {
    let start = source.find(head)?;
    let length = source[start..].find(END_FOR)? + END_FOR.len();
    Some((&source[..start], &source[start..start + length], &source[start + length..]))
}

/// `fragment` rendered with `context`, escaped as a page is, as a raw block
/// (its texts are never template syntax); `None` when it does not render.
fn render_once(fragment: &str, context: Value) -> Option<String> {
    let mut env = templating::environment(HashSet::new());
    // NOTE: `.html`: escaped as the page itself is.
    env.add_template_owned("fragment.html", fragment.to_string()).ok()?;
    let html = env.get_template("fragment.html").ok()?.render(context).ok()?;
    Some(format!("{{% raw %}}{html}{{% endraw %}}"))
}

/// Where `base` loops over the languages, and where that loop ends.
const LANGUAGE_LOOP: &str = "{% for l in page.languages %}";
/// Where `base` loops over the themes.
const THEME_LOOP: &str = "{% for t in page.themes %}";
/// See [`LANGUAGE_LOOP`].
const END_FOR: &str = "{% endfor %}";

/// See [`bake`].
const PAGE_LANG: &str = "page.lang";
/// See [`bake`]: how `base` shows every zone by region.
const REGIONS: &str = "{{ page.zones.regions | safe }}";

/// A page to render: a template and its context. Like
/// `rocket_dyn_templates::Template::render`, which it replaces.
pub struct View {
    name: Cow<'static, str>,
    context: Value,
}

impl View {
    /// The template `name` with `context` (a struct, a map or `context!`).
    pub fn render(name: impl Into<Cow<'static, str>>, context: impl Serialize) -> View {
        View { name: name.into(), context: Value::from_serialize(context) }
    }

    /// The template `name` with the fields of `own` and of `shell` side by
    /// side at the top level of its context (`own`'s where both have one).
    ///
    /// NOTE: two structs looked up in turn rather than one with the other
    /// `#[serde(flatten)]`ed into it: flattening makes serde write the whole
    /// context as a map, which MiniJinja keeps sorted by comparing values,
    /// at every field (a tenth of the details page's instructions).
    pub fn render_merged(name: impl Into<Cow<'static, str>>, own: impl Serialize, shell: impl Serialize) -> View {
        // The last of `merge_maps` wins.
        let context = merge_maps([Value::from_serialize(shell), Value::from_serialize(own)]);
        View { name: name.into(), context }
    }
}

impl<'r> Responder<'r, 'static> for View {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let views = req.rocket().state::<Views>().ok_or(Status::InternalServerError)?;
        let html = views.render_bytes(&self.name, &self.context).map_err(|e| {
            rocket::error!("rendering {}: {}", self.name, templating::one_line(&e));
            Status::InternalServerError
        })?;
        (ContentType::HTML, html).respond_to(req)
    }
}

#[cfg(test)]
mod tests;
