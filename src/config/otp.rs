//! `[otp]`: the emailed one-time code.

use std::num::{NonZeroU32, NonZeroU64};

use serde::Deserialize;

use super::error::ConfigError;

/// `[otp]`, checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "Raw")]
pub struct OtpConfig {
    /// Number of digits, 4 to 10.
    pub length: u32,
    /// Lifetime of a code in seconds.
    pub ttl_secs: NonZeroU64,
    /// Wrong tries that kill a code.
    pub max_attempts: NonZeroU32,
    /// Minimum seconds between two sends.
    pub resend_cooldown_secs: u64,
    /// Sends allowed for one booking flow.
    pub max_sends: NonZeroU32,
}

/// `[otp]` as written.
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Raw {
    length: u32,
    ttl_secs: u64,
    max_attempts: u64,
    resend_cooldown_secs: u64,
    max_sends: u64,
}

impl Default for Raw {
    fn default() -> Self {
        Raw { length: 6, ttl_secs: 600, max_attempts: 5, resend_cooldown_secs: 60, max_sends: 5 }
    }
}

impl TryFrom<Raw> for OtpConfig {
    type Error = ConfigError;

    fn try_from(raw: Raw) -> Result<Self, ConfigError> {
        if !(4..=10).contains(&raw.length) {
            return Err(ConfigError::new("otp.length", format!("is {}; must be between 4 and 10 digits", raw.length)));
        }
        Ok(OtpConfig {
            length: raw.length,
            ttl_secs: ConfigError::non_zero("otp.ttl_secs", raw.ttl_secs)?,
            max_attempts: ConfigError::non_zero("otp.max_attempts", raw.max_attempts)?,
            resend_cooldown_secs: raw.resend_cooldown_secs,
            max_sends: ConfigError::non_zero("otp.max_sends", raw.max_sends)?,
        })
    }
}

impl Default for OtpConfig {
    fn default() -> Self {
        Raw::default().try_into().expect("the default [otp] is valid")
    }
}
