//! Typed configuration: the SPEC §4 sections of `Rocket.toml`, extracted and
//! validated once at ignite. A bad value stops the launch with one message
//! naming the key. Other modules read [`Settings`] from managed state and never
//! touch the figment themselves.

use rocket::fairing::{AdHoc, Fairing};
use rocket::figment::Figment;
use serde::Deserialize;

use crate::booking::config::BookingConfig;

/// A configuration problem, named by its dotted key.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration `{key}`: {message}")]
pub struct ConfigError {
    /// The dotted key, e.g. `session.idle_timeout_secs`.
    pub key: String,
    /// What is wrong with it, for the operator.
    pub message: String,
}

impl ConfigError {
    /// Builds an error for `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError { key: key.into(), message: message.into() }
    }
}

/// `[session]`: the cookie and the two timeouts.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    /// Name of the cookie carrying the session id.
    pub cookie_name: String,
    /// Seconds of inactivity after which a session is dead.
    pub idle_timeout_secs: u64,
    /// Seconds after creation after which a session is dead, active or not.
    pub absolute_timeout_secs: u64,
    /// Sets the cookie's `Secure` flag (serve over HTTPS when true).
    pub secure: bool,
    /// Seconds between two purges of expired rows by the running app.
    pub purge_interval_secs: u64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            cookie_name: "slotwise_session".into(),
            idle_timeout_secs: 1800,
            absolute_timeout_secs: 86400,
            secure: false,
            purge_interval_secs: 300,
        }
    }
}

/// `[otp]`: the emailed one-time code.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OtpConfig {
    /// Number of digits.
    pub length: u32,
    /// Lifetime of a code in seconds.
    pub ttl_secs: u64,
    /// Wrong tries that kill a code.
    pub max_attempts: u32,
    /// Minimum seconds between two sends.
    pub resend_cooldown_secs: u64,
    /// Sends allowed for one booking flow.
    pub max_sends: u32,
}

impl Default for OtpConfig {
    fn default() -> Self {
        OtpConfig { length: 6, ttl_secs: 600, max_attempts: 5, resend_cooldown_secs: 60, max_sends: 5 }
    }
}

/// How mail leaves the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransportKind {
    /// lettre's async SMTP transport to `mail.smtp_url`.
    Smtp,
    /// One `.eml` file per message in `mail.outbox_dir`.
    File,
    /// Written to the log only.
    Log,
}

/// `[mail]`: sender and transport.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// The `From:` mailbox.
    pub from: String,
    /// Which transport sends.
    pub transport: MailTransportKind,
    /// `smtp://host:port`, `smtp://host:port?tls=required` or `smtps://host:port`.
    pub smtp_url: String,
    /// Folder of the file transport.
    pub outbox_dir: String,
    /// Base URL for links in emails; its origin also counts as the app's own.
    pub public_url: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            from: "Slotwise <bookings@example.test>".into(),
            transport: MailTransportKind::File,
            smtp_url: "smtp://127.0.0.1:2525".into(),
            outbox_dir: "outbox".into(),
            public_url: "http://127.0.0.1:8000".into(),
        }
    }
}

/// `[i18n]`: the offered languages.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct I18nConfig {
    /// Used when neither the session nor `Accept-Language` decides.
    pub default_language: String,
    /// Languages offered to visitors; each needs a folder in `locales/`.
    pub languages: Vec<String>,
}

impl Default for I18nConfig {
    fn default() -> Self {
        I18nConfig { default_language: "en".into(), languages: vec!["en".into(), "de".into()] }
    }
}

/// Everything Slotwise reads from the configuration, validated.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct Settings {
    /// `[session]`
    pub session: SessionConfig,
    /// `[otp]`
    pub otp: OtpConfig,
    /// `[mail]`
    pub mail: MailConfig,
    /// `[i18n]`
    pub i18n: I18nConfig,
    /// `[booking]`
    pub booking: BookingConfig,
}

impl Settings {
    /// Extracts and validates the settings from Rocket's figment.
    pub fn from_figment(figment: &Figment) -> Result<Settings, ConfigError> {
        let mut settings: Settings = figment.extract().map_err(figment_error)?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&mut self) -> Result<(), ConfigError> {
        let s = &self.session;
        if s.cookie_name.is_empty()
            || !s.cookie_name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(ConfigError::new("session.cookie_name", "use letters, digits, `_` or `-`"));
        }
        if s.idle_timeout_secs == 0 {
            return Err(ConfigError::new("session.idle_timeout_secs", "must be at least 1"));
        }
        if s.absolute_timeout_secs == 0 {
            return Err(ConfigError::new("session.absolute_timeout_secs", "must be at least 1"));
        }
        if s.purge_interval_secs == 0 {
            return Err(ConfigError::new("session.purge_interval_secs", "must be at least 1"));
        }
        let o = &self.otp;
        if !(4..=10).contains(&o.length) {
            return Err(ConfigError::new("otp.length", "must be between 4 and 10 digits"));
        }
        if o.ttl_secs == 0 {
            return Err(ConfigError::new("otp.ttl_secs", "must be at least 1"));
        }
        if o.max_attempts == 0 {
            return Err(ConfigError::new("otp.max_attempts", "must be at least 1"));
        }
        if o.max_sends == 0 {
            return Err(ConfigError::new("otp.max_sends", "must be at least 1"));
        }
        crate::mail::validate(&self.mail)?;
        crate::i18n::validate(&self.i18n)?;
        self.booking.prepare()?;
        for (i, service) in self.booking.services.iter().enumerate() {
            if let Some(lang) = service.names.keys().find(|l| !self.i18n.languages.contains(l)) {
                let key = format!("booking.services[{i}].names.{lang}");
                return Err(ConfigError::new(key, "is not one of i18n.languages"));
            }
        }
        Ok(())
    }

    /// The origin (`scheme://host[:port]`) of `mail.public_url`.
    pub fn public_origin(&self) -> Option<String> {
        let url = self.mail.public_url.trim_end_matches('/');
        let (scheme, rest) = url.split_once("://")?;
        let authority = rest.split('/').next()?;
        Some(format!("{}://{}", scheme.to_ascii_lowercase(), authority.to_ascii_lowercase()))
    }
}

/// Turns a figment error into our one-line message naming the key.
fn figment_error(e: rocket::figment::Error) -> ConfigError {
    let key = e.path.join(".");
    let key = if key.is_empty() { "configuration".to_string() } else { key };
    ConfigError::new(key, e.kind.to_string())
}

/// Extracts [`Settings`] and puts them in managed state, or stops the launch.
pub fn stage() -> impl Fairing {
    AdHoc::try_on_ignite("Slotwise configuration", |rocket| async move {
        match Settings::from_figment(rocket.figment()) {
            Ok(settings) => match crate::secrets::Secrets::from_figment(rocket.figment()) {
                Ok(secrets) => Ok(rocket.manage(settings).manage(secrets)),
                Err(e) => {
                    rocket::error!("{e}");
                    Err(rocket)
                }
            },
            Err(e) => {
                rocket::error!("{e}");
                Err(rocket)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use rocket::figment::providers::{Format, Toml};
    use rocket::figment::Figment;

    use super::Settings;

    fn settings(toml: &str) -> Result<Settings, super::ConfigError> {
        Settings::from_figment(&Figment::from(Toml::string(toml)))
    }

    #[test]
    fn service_names_are_for_configured_languages_only() {
        let service = "[[booking.services]]\nid = \"a\"\nname = \"A\"\nduration_minutes = 30\n";
        let ok = settings(&format!("{service}names = {{ de = \"Ä\" }}")).expect("valid");
        assert_eq!(ok.booking.services[0].name_in("de"), "Ä");
        assert_eq!(ok.booking.services[0].name_in("en"), "A");
        let err = settings(&format!("{service}names = {{ fr = \"Un\" }}")).unwrap_err();
        assert_eq!(err.key, "booking.services[0].names.fr");
        let err = settings(&format!("{service}names = {{ de = \" \" }}")).unwrap_err();
        assert_eq!(err.key, "booking.services[0].names.de");
    }
}
