//! Translations (Fluent catalogs in `locales/<lang>/*.ftl`, compiled in) and
//! the choice of a visitor's language.
//!
//! Templates call `fluent(key="…", lang=page.lang)`; Rust code calls [`t`].
//! Adding a language: a folder `locales/<lang>/` with the same message ids,
//! plus its tag in `i18n.languages`.

use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};

use crate::config::{ConfigError, I18nConfig};

// The catalogs under `locales/`, compiled into the binary.

fluent_templates::static_loader! {
    pub static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // NOTE: no Unicode isolation marks around arguments: they would end
        // up inside HTML attributes and plain-text emails.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// Checks that every configured language has a catalog.
pub fn validate(config: &I18nConfig) -> Result<(), ConfigError> {
    if config.languages.is_empty() {
        return Err(ConfigError::new("i18n.languages", "list at least one language"));
    }
    for lang in &config.languages {
        let known = lang.parse::<LanguageIdentifier>().ok().is_some_and(|id| LOCALES.locales().any(|l| *l == id));
        if !known {
            return Err(ConfigError::new("i18n.languages", format!("no catalog for `{lang}` in locales/")));
        }
    }
    if !config.languages.contains(&config.default_language) {
        return Err(ConfigError::new("i18n.default_language", "must be one of i18n.languages"));
    }
    Ok(())
}

/// The best configured language for an `Accept-Language` header, else the
/// default. `de-AT` matches `de`.
pub fn negotiate(accept_language: Option<&str>, config: &I18nConfig) -> String {
    if let Some(header) = accept_language {
        for wanted in accept_language::parse(header) {
            let wanted = wanted.to_ascii_lowercase();
            let primary = wanted.split('-').next().unwrap_or_default();
            let hit = config
                .languages
                .iter()
                .find(|l| l.eq_ignore_ascii_case(&wanted))
                .or_else(|| config.languages.iter().find(|l| l.eq_ignore_ascii_case(primary)));
            if let Some(lang) = hit {
                return lang.clone();
            }
        }
    }
    config.default_language.clone()
}

fn lang_id(lang: &str) -> LanguageIdentifier {
    lang.parse().unwrap_or_else(|_| fluent_templates::langid!("en"))
}

/// The message `key` in `lang`.
pub fn t(lang: &str, key: &str) -> String {
    LOCALES.lookup(&lang_id(lang), key)
}

/// The message `key` in `lang` with named arguments.
pub fn t_args(lang: &str, key: &str, args: &[(&str, FluentValue<'static>)]) -> String {
    let args: HashMap<String, FluentValue<'static>> = args.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    LOCALES.lookup_with_args(&lang_id(lang), key, &args)
}

/// The Tera function `fluent(key=…, lang=…, …args)`.
pub fn tera_function() -> impl rocket_dyn_templates::tera::Function {
    fluent_templates::FluentLoader::new(&*LOCALES).with_default_lang(fluent_templates::langid!("en"))
}

/// A local date like "Mon 23 Nov 2026" / "Mo., 23. Nov. 2026".
pub fn format_date(lang: &str, date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    t_args(
        lang,
        "date-format",
        &[
            ("weekday", FluentValue::from(t(lang, &format!("weekday-{}", date.weekday().number_from_monday())))),
            ("day", FluentValue::from(date.day().to_string())),
            ("month", FluentValue::from(t(lang, &format!("month-{}", date.month())))),
            ("year", FluentValue::from(date.year().to_string())),
        ],
    )
}

/// A moment in `tz` like "Mon 23 Nov 2026, 09:30 CET".
pub fn format_datetime(lang: &str, tz: chrono_tz::Tz, at: chrono::DateTime<chrono::Utc>) -> String {
    let local = at.with_timezone(&tz);
    format!("{}, {}", format_date(lang, local.date_naive()), local.format("%H:%M %Z"))
}
