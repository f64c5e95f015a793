//! `[metrics]`: the token that opens `GET /metrics`.

use serde::Deserialize;

use super::error::ConfigError;

/// `[metrics]`, checked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(try_from = "Raw")]
pub struct MetricsConfig {
    /// The bearer token `GET /metrics` asks for; `None` (an empty `token`)
    /// keeps the endpoint closed.
    pub token: Option<String>,
}

/// `[metrics]` as written.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct Raw {
    token: String,
}

/// Whether `b` may appear in a bearer token (RFC 6750's `b64token`).
fn token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b)
}

impl TryFrom<Raw> for MetricsConfig {
    type Error = ConfigError;

    fn try_from(raw: Raw) -> Result<Self, ConfigError> {
        if raw.token.is_empty() {
            return Ok(MetricsConfig { token: None });
        }
        // NOTE: a character a client cannot send in `Authorization: Bearer …`
        // would leave the endpoint closed without saying why.
        if !raw.token.bytes().all(token_char) {
            return Err(ConfigError::new("metrics.token", "use letters, digits and - . _ ~ + / = only"));
        }
        Ok(MetricsConfig { token: Some(raw.token) })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::tests::settings;

    #[test]
    fn an_empty_token_closes_the_endpoint_and_a_bad_one_names_its_key() {
        assert_eq!(settings("").expect("defaults").metrics.token, None);
        assert_eq!(settings("[metrics]\ntoken = \"\"").expect("empty").metrics.token, None);
        let set = settings("[metrics]\ntoken = \"s3cr3t-Token_1\"").expect("valid");
        assert_eq!(set.metrics.token.as_deref(), Some("s3cr3t-Token_1"));
        assert_eq!(settings("[metrics]\ntoken = \"with space\"").expect_err("space").key, "metrics.token");
    }
}
