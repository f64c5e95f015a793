//! Typed configuration: the SPEC §4 sections of `Rocket.toml`, each parsed at
//! deserialisation into checked types (`NonZero*`, `Tz`, `Url`, `Mailbox`,
//! opening ranges). A bad value stops the launch with one message naming the
//! key; there is no later "prepare" step and no silent fallback.
//!
//! The ground floor: imports no other Slotwise module (the template stage
//! checks that each configured language has a catalog). Other modules read
//! [`Settings`] from managed state and never touch the figment themselves.
//!
//! It also keeps the launch's one voice: a stage that finds a problem calls
//! [`stop`], which prints one `Error:` line; every later stage asks
//! [`stopped`] first and stays silent, so the operator reads the problem, not
//! its echoes.

mod abuse;
mod booking;
mod error;
mod i18n;
mod mail;
mod metrics;
mod otp;
mod practice;
mod server;
mod staff;
mod unknown;
mod webhooks;

use std::fmt::Display;

use rocket::fairing::{AdHoc, Fairing};
use rocket::figment::error::Kind;
use rocket::figment::providers::Serialized;
use rocket::figment::Figment;
use rocket::{Build, Rocket};
use serde::Deserialize;

pub use abuse::AbuseConfig;
#[cfg(test)]
pub(crate) use booking::tests::with_hours as booking_with_hours;
pub use booking::{BookingConfig, DailyCap, Dates, OpeningRange, Practitioner, Service, Week, ANY};
pub use error::ConfigError;
pub use i18n::I18nConfig;
pub use mail::{redact_url, smtp_builder, MailConfig, MailTransportKind};
pub use metrics::MetricsConfig;
pub use otp::OtpConfig;
pub use practice::PracticeConfig;
pub use rocket_db_session::{SessionConfig, StoreKind};
pub use server::{launch_error, rocket_config, MAKE_SECRET_KEY};
pub use staff::StaffConfig;
pub use webhooks::{Event, Webhook, Webhooks};

/// Everything Slotwise reads from the configuration, checked.
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
    /// `[abuse]`
    pub abuse: AbuseConfig,
    /// `[practice]`
    pub practice: PracticeConfig,
    /// `[staff]`
    pub staff: StaffConfig,
    /// `[metrics]`
    pub metrics: MetricsConfig,
    /// `[[webhooks]]` (none by default)
    pub webhooks: Webhooks,
}

impl Settings {
    /// Extracts the settings from Rocket's figment: each section checks
    /// itself while it is read, then the rules that join two sections.
    pub fn from_figment(figment: &Figment) -> Result<Settings, ConfigError> {
        // The session crate's defaults, but for the names that are Slotwise's.
        let figment = figment
            .clone()
            .join(Serialized::default("session.cookie_name", "slotwise_session"))
            .join(Serialized::default("session.redis_prefix", "slotwise:session:"));
        let settings: Settings = figment.extract().map_err(figment_error)?;
        settings.check_across_sections()?;
        Ok(settings)
    }

    fn check_across_sections(&self) -> Result<(), ConfigError> {
        for (i, service) in self.booking.services.iter().enumerate() {
            if let Some(lang) = service.names.keys().find(|l| !self.i18n.languages.contains(l)) {
                let key = format!("booking.services[{i}].names.{lang}");
                return Err(ConfigError::new(key, "is not one of i18n.languages"));
            }
        }
        Ok(())
    }

    /// The origin (`scheme://host[:port]`) of `mail.public_url`.
    pub fn public_origin(&self) -> String {
        self.mail.public_url.origin().ascii_serialization()
    }
}

/// Turns a figment error into our one-line message naming the key.
///
/// NOTE: a section's own checks run inside serde (`#[serde(try_from)]`),
/// whose errors are plain messages: the [`ConfigError`] display travels as
/// the message and is taken apart again here, so the key it names (e.g.
/// `booking.hours.mon`) wins over figment's path (`booking`).
fn figment_error(e: rocket::figment::Error) -> ConfigError {
    if let Kind::Message(message) = &e.kind {
        let parsed = message
            .strip_prefix("invalid configuration `")
            .and_then(|rest| rest.split_once("`: "))
            .map(|(key, message)| ConfigError::new(key, message));
        if let Some(error) = parsed {
            return error;
        }
    }
    let key = error::figment_key(&e);
    ConfigError::new(key, e.kind.to_string())
}

/// Marks a launch that a stage has stopped (managed state).
struct Stopped;

/// Prints `problem` as one `Error:` line on stderr.
pub fn report(problem: &dyn Display) {
    eprintln!("Error: {problem}");
}

/// Reports `problem` and marks the launch stopped, so that later stages stay
/// silent; the caller returns `Err(rocket)`.
pub fn stop(rocket: Rocket<Build>, problem: &dyn Display) -> Rocket<Build> {
    report(problem);
    if stopped(&rocket) {
        rocket
    } else {
        rocket.manage(Stopped)
    }
}

/// Whether an earlier stage stopped the launch (and said why).
pub fn stopped(rocket: &Rocket<Build>) -> bool {
    rocket.state::<Stopped>().is_some()
}

/// Extracts [`Settings`] and puts them in managed state, or stops the launch
/// with one line naming the key.
pub fn stage() -> impl Fairing {
    AdHoc::try_on_ignite("Slotwise configuration", |rocket| async move {
        if stopped(&rocket) {
            return Err(rocket);
        }
        match Settings::from_figment(rocket.figment()) {
            Ok(settings) => {
                settings.booking.warnings().iter().for_each(|line| rocket::warn!("{line}"));
                for line in unknown::warnings(rocket.figment()) {
                    rocket::warn!("{line}");
                }
                Ok(rocket.manage(settings))
            }
            Err(e) => Err(stop(rocket, &e)),
        }
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use rocket::figment::providers::{Format, Toml};
    use rocket::figment::Figment;

    use super::{ConfigError, Settings};

    /// Settings from a TOML text (sections as top-level tables).
    pub(crate) fn settings(toml: &str) -> Result<Settings, ConfigError> {
        Settings::from_figment(&Figment::from(Toml::string(toml)))
    }

    #[test]
    fn defaults_are_valid() {
        settings("").expect("the defaults");
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

    #[test]
    fn bad_values_name_their_key() {
        let cases = [
            ("[session]\ncookie_name = \"a b\"", "session.cookie_name"),
            ("[session]\nidle_timeout_secs = 0", "session.idle_timeout_secs"),
            ("[session]\nabsolute_timeout_secs = 0", "session.absolute_timeout_secs"),
            ("[otp]\nlength = 3", "otp.length"),
            ("[otp]\nmax_sends = 0", "otp.max_sends"),
            ("[i18n]\nlanguages = []", "i18n.languages"),
            ("[i18n]\ndefault_language = \"fr\"", "i18n.default_language"),
            ("[session]\nidle_timeout_secs = \"soon\"", "session.idle_timeout_secs"),
        ];
        for (toml, key) in cases {
            assert_eq!(settings(toml).expect_err(toml).key, key, "{toml}");
        }
    }
}
