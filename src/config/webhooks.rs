//! `[[webhooks]]`: where booking events are POSTed (SPEC §7), checked.

use serde::Deserialize;
use url::Url;

use super::error::ConfigError;

/// A booking event a webhook may subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Event {
    /// `booking.created`: a booking was made.
    Created,
    /// `booking.moved`: a booking got a new time.
    Moved,
    /// `booking.cancelled`: a booking was cancelled.
    Cancelled,
}

impl Event {
    /// Every event, in the SPEC's order.
    pub const ALL: [Event; 3] = [Event::Created, Event::Moved, Event::Cancelled];

    /// Its name on the wire (`type` in the body, `events` in the configuration).
    pub fn name(self) -> &'static str {
        match self {
            Event::Created => "booking.created",
            Event::Moved => "booking.moved",
            Event::Cancelled => "booking.cancelled",
        }
    }

    /// The event named `name`.
    pub fn parse(name: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// One `[[webhooks]]` entry, checked.
#[derive(Clone, Deserialize)]
#[serde(try_from = "Raw")]
pub struct Webhook {
    /// Where to POST: an `http` or `https` URL with a host.
    pub url: Url,
    /// The HMAC key of `Slotwise-Signature` (at least 16 characters).
    pub secret: String,
    /// The events it hears (all when `events` is missing).
    pub events: Vec<Event>,
}

impl std::fmt::Debug for Webhook {
    // NOTE: the secret signs every delivery: never in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook").field("url", &self.url.as_str()).field("events", &self.events).finish()
    }
}

impl Webhook {
    /// Whether it hears `event`.
    pub fn hears(&self, event: Event) -> bool {
        self.events.contains(&event)
    }
}

/// An entry as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    url: String,
    secret: String,
    events: Option<Vec<String>>,
}

/// The shortest `secret` accepted.
pub const MIN_SECRET_CHARS: usize = 16;

impl TryFrom<Raw> for Webhook {
    type Error = ConfigError;

    // NOTE: the key names no index here (serde does not tell an element its
    // place): `Webhooks` below puts `[i]` in.
    fn try_from(raw: Raw) -> Result<Self, ConfigError> {
        let url = Url::parse(&raw.url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()))
            .ok_or_else(|| ConfigError::new("url", format!("`{}` is not an http(s) URL", raw.url)))?;
        if raw.secret.chars().count() < MIN_SECRET_CHARS {
            return Err(ConfigError::new("secret", format!("use at least {MIN_SECRET_CHARS} characters")));
        }
        let events = match raw.events {
            None => Event::ALL.to_vec(),
            Some(names) => {
                let mut events = Vec::new();
                for name in names {
                    let event = Event::parse(&name).ok_or_else(|| {
                        ConfigError::new(
                            "events",
                            format!("`{name}` is not booking.created, booking.moved or booking.cancelled"),
                        )
                    })?;
                    if !events.contains(&event) {
                        events.push(event);
                    }
                }
                events
            }
        };
        Ok(Webhook { url, secret: raw.secret, events })
    }
}

/// Every `[[webhooks]]` entry, in the order written; empty: none.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(try_from = "Vec<RawEntry>")]
pub struct Webhooks(pub Vec<Webhook>);

/// One entry before its checks: kept as a TOML value so that a bad one is
/// named with its index (`webhooks[1].secret`).
#[derive(Deserialize)]
#[serde(transparent)]
struct RawEntry(rocket::figment::value::Value);

impl TryFrom<Vec<RawEntry>> for Webhooks {
    type Error = ConfigError;

    fn try_from(entries: Vec<RawEntry>) -> Result<Self, ConfigError> {
        let mut hooks = Vec::new();
        for (i, RawEntry(value)) in entries.into_iter().enumerate() {
            let raw: Raw = value.deserialize().map_err(|e| {
                let key = super::error::figment_key(&e);
                let field = if key == "configuration" { String::new() } else { format!(".{key}") };
                ConfigError::new(format!("webhooks[{i}]{field}"), e.kind.to_string())
            })?;
            let hook =
                Webhook::try_from(raw).map_err(|e| ConfigError::new(format!("webhooks[{i}].{}", e.key), e.message))?;
            hooks.push(hook);
        }
        Ok(Webhooks(hooks))
    }
}

impl Webhooks {
    /// The entries that hear `event`.
    pub fn hearing(&self, event: Event) -> impl Iterator<Item = &Webhook> {
        self.0.iter().filter(move |h| h.hears(event))
    }

    /// The entry whose URL is `url`, if any is still configured.
    pub fn by_url(&self, url: &str) -> Option<&Webhook> {
        self.0.iter().find(|h| h.url.as_str() == url)
    }
}

#[cfg(test)]
mod tests {
    use super::Event;
    use crate::config::tests::settings;

    const HOOK: &str = "[[webhooks]]\nurl = \"https://crm.example.test/hooks\"\nsecret = \"0123456789abcdef\"\n";

    #[test]
    fn no_webhooks_by_default_and_all_events_when_events_is_missing() {
        assert!(settings("").expect("defaults").webhooks.0.is_empty());
        let hooks = settings(HOOK).expect("valid").webhooks;
        assert_eq!(hooks.0.len(), 1);
        assert_eq!(hooks.0[0].events, Event::ALL.to_vec());
        let only = settings(&format!("{HOOK}events = [\"booking.cancelled\"]")).expect("valid").webhooks;
        assert!(only.0[0].hears(Event::Cancelled) && !only.0[0].hears(Event::Created));
        assert_eq!(only.hearing(Event::Moved).count(), 0);
    }

    #[test]
    fn a_bad_entry_names_its_index_and_key() {
        let second = |entry: &str| format!("{HOOK}\n[[webhooks]]\n{entry}");
        let cases = [
            (second("url = \"ftp://x.test/\"\nsecret = \"0123456789abcdef\""), "webhooks[1].url"),
            (second("url = \"not a url\"\nsecret = \"0123456789abcdef\""), "webhooks[1].url"),
            (second("url = \"https://x.test/\"\nsecret = \"short\""), "webhooks[1].secret"),
            (
                second("url = \"https://x.test/\"\nsecret = \"0123456789abcdef\"\nevents = [\"booking.paid\"]"),
                "webhooks[1].events",
            ),
            (second("url = \"https://x.test/\""), "webhooks[1].secret"),
            (second("url = \"https://x.test/\"\nsecret = \"0123456789abcdef\"\ncolour = 1"), "webhooks[1].colour"),
        ];
        for (toml, key) in cases {
            let err = settings(&toml).expect_err(&toml);
            assert_eq!(err.key, key, "{toml}: {err}");
        }
        let err = settings("[[webhooks]]\nurl = \"https://x.test/\"\nsecret = \"short\"").expect_err("short");
        assert_eq!(err.to_string(), "invalid configuration `webhooks[0].secret`: use at least 16 characters");
    }

    #[test]
    fn the_secret_never_shows_in_debug_output() {
        let hooks = settings(HOOK).expect("valid").webhooks;
        assert!(!format!("{hooks:?}").contains("0123456789abcdef"));
    }
}
