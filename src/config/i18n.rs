//! `[i18n]`: the offered languages (the template stage checks that each has
//! a catalog in `locales/`).

use serde::Deserialize;

use super::error::ConfigError;

/// `[i18n]`, checked: at least one language, the default one of them.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "Raw")]
pub struct I18nConfig {
    /// Used when neither the session nor `Accept-Language` decides.
    pub default_language: String,
    /// Languages offered to visitors, in switcher order.
    pub languages: Vec<String>,
}

/// `[i18n]` as written.
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Raw {
    default_language: String,
    languages: Vec<String>,
}

impl Default for Raw {
    fn default() -> Self {
        Raw { default_language: "en".into(), languages: vec!["en".into(), "de".into()] }
    }
}

impl TryFrom<Raw> for I18nConfig {
    type Error = ConfigError;

    fn try_from(raw: Raw) -> Result<Self, ConfigError> {
        if raw.languages.is_empty() {
            return Err(ConfigError::new("i18n.languages", "list at least one language"));
        }
        if !raw.languages.contains(&raw.default_language) {
            return Err(ConfigError::new(
                "i18n.default_language",
                format!("`{}` must be one of i18n.languages ({})", raw.default_language, raw.languages.join(", ")),
            ));
        }
        Ok(I18nConfig { default_language: raw.default_language, languages: raw.languages })
    }
}

impl Default for I18nConfig {
    fn default() -> Self {
        Raw::default().try_into().expect("the default [i18n] is valid")
    }
}
