//! Loading the per-language variants and rendering pages.

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
