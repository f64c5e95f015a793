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
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        vec!["base".into(), "wizard".into()]
    }

    #[test]
    fn fixed_texts_are_translated_and_escaped() {
        let source = r#"<p>{{ fluent(key="details-title", lang=page.lang) }}</p>"#;
        let de = translated(source, "de", &names());
        assert_eq!(de, format!("<p>{}</p>", escape_html(&i18n::t("de", "details-title"))));
        assert_ne!(de, translated(source, "en", &names()));
    }

    #[test]
    fn computed_ids_and_arguments_are_left_to_the_page() {
        let source = r#"{{ fluent(key="step-" ~ s, lang=page.lang) }} {{ fluent(key="step-of", lang=page.lang, number=1) }} {{ fluent(key="x", lang=l) }}"#;
        // Only the language, the same for the whole variant, is written in.
        assert_eq!(translated(source, "de", &names()), source.replace("page.lang", "\"de\""));
    }

    #[test]
    fn the_language_and_the_zones_by_region_are_written_into_each_variant() {
        let source = r#"<html lang="{{ page.lang }}">{% if l == page.lang %}x{% endif %}{{ page.languages }}<select>{{ page.zones.regions | safe }}</select>"#;
        let de = translated(source, "de", &names());
        let regions = super::super::zone_menu::regions("de");
        assert_eq!(
            de,
            format!(
                r#"<html lang="{{{{ "de" }}}}">{{% if l == "de" %}}x{{% endif %}}{{{{ page.languages }}}}<select>{{% raw %}}{regions}{{% endraw %}}</select>"#
            )
        );
        assert!(regions.contains("<option value=\"Europe/Berlin\">Berlin</option>"));
    }

    #[test]
    fn the_language_menu_is_rendered_once_per_language() {
        let source = r#"<form>{% for l in page.languages %}<button value="{{ l }}"{% if l == page.lang %} aria-pressed="true"{% endif %}>{{ fluent(key="language-name", lang=l) }}</button>{% endfor %}</form>"#;
        let offered = ["en".to_string(), "de".to_string()];
        let de = language_menu(source, "de", &offered);
        let (en_name, de_name) = (i18n::t("en", "language-name"), i18n::t("de", "language-name"));
        assert_eq!(
            de,
            format!(
                r#"<form>{{% raw %}}<button value="en">{en_name}</button><button value="de" aria-pressed="true">{de_name}</button>{{% endraw %}}</form>"#
            )
        );
        assert_eq!(language_menu(source, "de", &[]), source, "languages not known: left to the page");
    }

    #[test]
    fn the_theme_menu_is_rendered_once_per_language_and_theme() {
        let base = r#"<form>{% for t in page.themes %}<button value="{{ t }}"{% if t == page.theme %} aria-pressed="true"{% endif %}>{{ fluent(key="theme-" ~ t, lang=page.lang) }}</button>{% endfor %}</form>"#;
        assert!(!theme_menu(base, "de").contains("for t in"), "{}", theme_menu(base, "de"));
        let dir = tempfile_dir(&[("base", base)]);
        let views = Views::default();
        views.load(&dir).unwrap();
        let env = views.loaded.read().unwrap().clone();
        for lang in ["en", "de"] {
            for theme in Theme::ALL.map(Theme::as_str) {
                let page = serde_json::json!({ "lang": lang, "theme": theme, "themes": Theme::ALL.map(Theme::as_str) });
                let context = Value::from_serialize(serde_json::json!({ "page": page }));
                let baked = views.render("base", &context).unwrap();
                assert_eq!(baked, env.get_template("base").unwrap().render(&context).unwrap(), "{lang} {theme}");
                let pressed = format!(r#"value="{theme}" aria-pressed="true">"#);
                assert!(baked.contains(&pressed) && baked.contains(&i18n::t(lang, "theme-dark")), "{baked}");
            }
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn parents_and_includes_are_the_same_languages_variants() {
        let source = "{% extends \"wizard\" %}{% block step %}{% include \"base\" %}{% endblock step %}";
        assert_eq!(
            translated(source, "de", &names()),
            "{% extends \"wizard.de.html\" %}{% block step %}{% include \"base.de.html\" %}{% endblock step %}"
        );
        assert!(variant("details", "de").ends_with(".html"), "variants must be autoescaped");
    }

    #[test]
    fn variants_render_like_the_original_and_escape_values() {
        let base = r#"<h1>{{ fluent(key="details-title", lang=page.lang) }}</h1>{% block main %}{% endblock main %}"#;
        let page = r#"{% extends "base" %}{% block main %}{{ fluent(key="wizard-continue", lang=page.lang) }} {{ name }}{% endblock main %}"#;
        let dir = tempfile_dir(&[("base", base), ("page", page)]);
        let views = Views::default();
        views.load(&dir).unwrap();
        let env = views.loaded.read().unwrap().clone();
        for lang in ["en", "de"] {
            let context = Value::from_serialize(serde_json::json!({ "page": { "lang": lang }, "name": "<script>" }));
            let fast = views.render("page", &context).unwrap();
            assert_eq!(fast, env.get_template("page").unwrap().render(&context).unwrap(), "{lang}");
            assert!(fast.contains("&lt;script&gt;") && fast.contains(&i18n::t(lang, "wizard-continue")), "{fast}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_merged_context_shows_both_parts_the_own_first() {
        let page = "{{ page.lang }} {{ title }} {{ shared }}";
        let dir = tempfile_dir(&[("page", page)]);
        let views = Views::default();
        views.load(&dir).unwrap();
        let own = serde_json::json!({ "title": "Own", "shared": "own" });
        let shell = serde_json::json!({ "page": { "lang": "de" }, "shared": "shell" });
        let view = View::render_merged("page", own, shell);
        assert_eq!(views.render(&view.name, &view.context).unwrap(), "de Own own");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_template_that_does_not_parse_is_named_by_its_file() {
        let dir = tempfile_dir(&[("base", "<p>{% if %}</p>")]);
        let error = Views::default().load(&dir).unwrap_err();
        assert!(error.contains("base.html.j2") && error.contains("syntax error") && !error.contains('\n'), "{error}");
        let _ = std::fs::remove_dir_all(dir);
    }

    fn tempfile_dir(files: &[(&str, &str)]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("slotwise-view-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, source) in files {
            std::fs::write(dir.join(format!("{name}.html.j2")), source).unwrap();
        }
        dir
    }
}
