//! Translations (Fluent catalogs in `locales/<lang>/*.ftl`, compiled in),
//! dates in the visitor's language, and the choice of that language.
//!
//! A ground-floor module: it imports no other Slotwise module.
//!
//! Templates call `fluent(key="…", lang=page.lang)`; Rust code calls [`t`].
//! Adding a language: a folder `locales/<lang>/` with the same message ids,
//! plus its tag in `i18n.languages`.

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};

mod moments;
pub mod zones;

pub use moments::{
    format_date, format_datetime, format_datetime_short, format_slot_time, format_time, format_when, format_when_short,
    zone_abbreviation, zone_abbreviations, zone_name, Zones,
};

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

/// A language the app speaks: one of `i18n.languages`, chosen by the
/// visitor or negotiated ([`Lang::pick`]). Reads as the tag it is (`&lang`
/// is a `&str`); templates see the tag.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Lang(String);

impl Lang {
    /// `chosen` when it is one of `languages`, else the best of them for an
    /// `Accept-Language` header, else `default` (itself one of them).
    pub fn pick(chosen: Option<&str>, accept_language: Option<&str>, languages: &[String], default: &str) -> Lang {
        match chosen.filter(|c| languages.iter().any(|l| l == c)) {
            Some(chosen) => Lang(chosen.to_string()),
            None => Lang(negotiate(accept_language, languages, default)),
        }
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Lang {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

/// Whether `lang` has a catalog under `locales/`.
pub fn has_catalog(lang: &str) -> bool {
    lang.parse::<LanguageIdentifier>().ok().is_some_and(|id| LOCALES.locales().any(|l| *l == id))
}

/// The best of `languages` for an `Accept-Language` header, else `default`.
/// `de-AT` matches `de`.
pub fn negotiate(accept_language: Option<&str>, languages: &[String], default: &str) -> String {
    for wanted in accept_language.map(preferences).unwrap_or_default() {
        let primary = wanted.split('-').next().unwrap_or_default();
        let hit = languages
            .iter()
            .find(|l| l.eq_ignore_ascii_case(wanted))
            .or_else(|| languages.iter().find(|l| l.eq_ignore_ascii_case(primary)));
        if let Some(lang) = hit {
            return lang.clone();
        }
    }
    default.to_string()
}

/// Entries of an `Accept-Language` header read at most.
const MAX_LANGUAGE_ENTRIES: usize = 32;

/// The language tags of an `Accept-Language` header, most wanted first
/// (equal weights keep their order; `q=0`, `*` and malformed entries drop).
///
/// NOTE: written here rather than taken from the `accept-language` crate,
/// which panicked in its sort on `q=NaN` ("comparison does not implement a
/// total order") and answered a `500`. Weights are parsed strictly, sorted
/// with a total order, and only the first entries of a long header count.
pub fn preferences(header: &str) -> Vec<&str> {
    let mut entries: Vec<(&str, f32)> = header
        .split(',')
        .take(MAX_LANGUAGE_ENTRIES)
        .filter_map(|entry| {
            let mut parts = entry.split(';').map(str::trim);
            let tag = parts.next().filter(|t| !t.is_empty() && *t != "*")?;
            let tag_ok = tag.len() <= 35 && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            let q = match parts.next() {
                None => 1.0,
                Some(param) => param.strip_prefix("q=")?.parse::<f32>().ok().filter(|q| (0.0..=1.0).contains(q))?,
            };
            (tag_ok && q > 0.0).then_some((tag, q))
        })
        .collect();
    entries.sort_by(|a, b| b.1.total_cmp(&a.1));
    entries.into_iter().map(|(tag, _)| tag).collect()
}

fn lang_id(lang: &str) -> LanguageIdentifier {
    lang.parse().unwrap_or_else(|_| fluent_templates::langid!("en"))
}

/// The message `key` in `lang`.
pub fn t(lang: &str, key: &str) -> String {
    let cache = MESSAGES.get_or_init(Default::default);
    let cached = cache.read().unwrap_or_else(|e| e.into_inner()).get(lang).and_then(|m| m.get(key)).cloned();
    cached.unwrap_or_else(|| {
        let text = LOCALES.lookup(&lang_id(lang), key);
        let mut cache = cache.write().unwrap_or_else(|e| e.into_inner());
        cache.entry(lang.to_string()).or_default().insert(key.to_string(), text.clone());
        text
    })
}

/// Messages without arguments already formatted, by language and id.
///
/// NOTE: formatting a message with Fluent (parsing the language tag, walking
/// the fallback chain, resolving the pattern) cost more than rendering the
/// rest of a page's markup; a message without arguments always formats the
/// same, so each is formatted once. Only ids the app asks for are kept, so
/// the map is bounded by the catalogs.
static MESSAGES: OnceLock<RwLock<HashMap<String, HashMap<String, String>>>> = OnceLock::new();

/// The message `key` in `lang` with named arguments.
pub fn t_args(lang: &str, key: &str, args: &[(&str, FluentValue<'static>)]) -> String {
    match memo_key(lang, key, args) {
        Some(memo_key) => FORMATTED.get_or(memo_key, || format_args(lang, key, args)),
        None => format_args(lang, key, args),
    }
}

fn format_args(lang: &str, key: &str, args: &[(&str, FluentValue<'static>)]) -> String {
    let args: HashMap<String, FluentValue<'static>> = args.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    LOCALES.lookup_with_args(&lang_id(lang), key, &args)
}

/// Messages with arguments already formatted, by language, id and
/// arguments ([`memo_key`]).
///
/// NOTE: a page formats the same few dates, times and durations over and
/// over (each `t_args` cost some 8,000 instructions, a tenth of a wizard
/// page); a message formats the same for the same arguments.
static FORMATTED: Memo<String> = Memo::new();

/// Texts made once and kept by key, at most [`Memo::MAX`] of them (about a
/// megabyte): emptied whenever it is full.
struct Memo<K>(OnceLock<RwLock<HashMap<K, String>>>);

impl<K: std::hash::Hash + Eq> Memo<K> {
    const MAX: usize = 4096;

    const fn new() -> Memo<K> {
        Memo(OnceLock::new())
    }

    /// The text kept under `key`, else the one `make` makes, kept.
    fn get_or(&self, key: K, make: impl FnOnce() -> String) -> String {
        let memo = self.0.get_or_init(Default::default);
        if let Some(text) = memo.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return text.clone();
        }
        let text = make();
        let mut memo = memo.write().unwrap_or_else(|e| e.into_inner());
        if memo.len() >= Self::MAX {
            memo.clear();
        }
        memo.insert(key, text.clone());
        text
    }
}

/// `lang`, `key` and `args` as one key of [`FORMATTED`], when every
/// argument is text or a number with Fluent's default options (a number is
/// keyed by its value, and formats the same for the same value and
/// language, plural rules and all).
fn memo_key(lang: &str, key: &str, args: &[(&str, FluentValue<'static>)]) -> Option<String> {
    use std::fmt::Write;
    let mut memo_key = format!("{lang}\u{0}{key}");
    for (name, value) in args {
        // NOTE: `\0` separates; no id, name or shown text holds one. A
        // number is marked `\u{1}` so that it never keys like the text of
        // its digits, which Fluent formats otherwise (no plural rules).
        memo_key.extend(["\u{0}", name, "\u{0}"]);
        match value {
            FluentValue::String(text) => memo_key.push_str(text),
            FluentValue::Number(n) if n.options == Default::default() => {
                let _ = write!(memo_key, "\u{1}{:?}", n.value);
            }
            _ => return None,
        }
    }
    Some(memo_key)
}

#[cfg(test)]
mod tests;
