//! `[staff]`: the token of the staff calendar feed.

use serde::Deserialize;

use super::error::ConfigError;

/// `[staff]`, checked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(try_from = "Raw")]
pub struct StaffConfig {
    /// The token `GET /staff/calendar.ics?token=` asks for; `None` (an empty
    /// `feed_token`) keeps the feed closed.
    pub feed_token: Option<String>,
}

/// `[staff]` as written.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct Raw {
    feed_token: String,
}

impl TryFrom<Raw> for StaffConfig {
    type Error = ConfigError;

    fn try_from(raw: Raw) -> Result<Self, ConfigError> {
        if raw.feed_token.is_empty() {
            return Ok(StaffConfig { feed_token: None });
        }
        // NOTE: the token travels in a URL: characters that need escaping
        // there would make subscribing fail without saying why.
        let url_safe = raw.feed_token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
        if !url_safe || raw.feed_token.len() < 16 {
            return Err(ConfigError::new("staff.feed_token", "use at least 16 letters, digits, `-`, `.`, `_` or `~`"));
        }
        Ok(StaffConfig { feed_token: Some(raw.feed_token) })
    }
}
