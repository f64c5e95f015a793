//! Outgoing mail.

use crate::config::{ConfigError, MailConfig};

/// Checks the `[mail]` section.
pub fn validate(config: &MailConfig) -> Result<(), ConfigError> {
    if config.from.parse::<lettre::message::Mailbox>().is_err() {
        return Err(ConfigError::new("mail.from", format!("`{}` is not a mailbox", config.from)));
    }
    Ok(())
}
