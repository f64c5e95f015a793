//! `[mail]`: sender, transport and the public URL of links in emails.

use std::num::NonZeroU64;

use lettre::message::Mailbox;
use lettre::transport::smtp::AsyncSmtpTransportBuilder;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use serde::Deserialize;
use url::Url;

use super::error::ConfigError;

/// How mail leaves the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransportKind {
    /// SMTP to `mail.smtp_url`.
    Smtp,
    /// One `.eml` file per message in `mail.outbox_dir`.
    File,
    /// Written to the log only.
    Log,
}

/// `[mail]`, checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "Raw")]
pub struct MailConfig {
    /// The `From:` mailbox.
    pub from: Mailbox,
    /// Which transport sends.
    pub transport: MailTransportKind,
    /// `smtp://host:port`, `smtp://host:port?tls=required` or
    /// `smtps://host:port`; checked when the transport is SMTP.
    pub smtp_url: String,
    /// Folder of the file transport.
    pub outbox_dir: String,
    /// Base URL for links in emails; its origin also counts as the app's own.
    pub public_url: Url,
    /// Lead times of the reminders before each appointment, in minutes.
    pub reminders_minutes: Vec<u32>,
    /// Wait after a failed delivery, doubling up to one hour.
    pub retry_secs: NonZeroU64,
    /// Hours after its due time when an undeliverable email is marked failed
    /// (0: at the first refused attempt).
    pub give_up_hours: u32,
}

impl MailConfig {
    /// `public_url` without a trailing slash, to append paths to.
    pub fn public_base(&self) -> &str {
        self.public_url.as_str().trim_end_matches('/')
    }
}

/// `[mail]` as written.
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Raw {
    from: String,
    transport: MailTransportKind,
    smtp_url: String,
    outbox_dir: String,
    public_url: String,
    reminders_minutes: Vec<u32>,
    retry_secs: u64,
    give_up_hours: u32,
}

impl Default for Raw {
    fn default() -> Self {
        Raw {
            from: "Slotwise <bookings@example.test>".into(),
            transport: MailTransportKind::File,
            smtp_url: "smtp://127.0.0.1:2525".into(),
            outbox_dir: "outbox".into(),
            public_url: "http://127.0.0.1:8000".into(),
            reminders_minutes: vec![1440],
            retry_secs: 30,
            give_up_hours: 48,
        }
    }
}

impl TryFrom<Raw> for MailConfig {
    type Error = ConfigError;

    fn try_from(raw: Raw) -> Result<Self, ConfigError> {
        let from = raw
            .from
            .parse::<Mailbox>()
            .map_err(|_| ConfigError::new("mail.from", format!("`{}` is not a mailbox", raw.from)))?;
        match raw.transport {
            MailTransportKind::Smtp => check_smtp_url(&raw.smtp_url)?,
            MailTransportKind::File if raw.outbox_dir.trim().is_empty() => {
                return Err(ConfigError::new("mail.outbox_dir", "must name a folder"))
            }
            _ => {}
        }
        Ok(MailConfig {
            from,
            transport: raw.transport,
            smtp_url: raw.smtp_url,
            outbox_dir: raw.outbox_dir,
            public_url: public_url(&raw.public_url)?,
            reminders_minutes: raw.reminders_minutes,
            retry_secs: ConfigError::non_zero("mail.retry_secs", raw.retry_secs)?,
            give_up_hours: raw.give_up_hours,
        })
    }
}

impl Default for MailConfig {
    fn default() -> Self {
        Raw::default().try_into().expect("the default [mail] is valid")
    }
}

/// An absolute `http://` or `https://` URL with a host.
fn public_url(text: &str) -> Result<Url, ConfigError> {
    let bad = || ConfigError::new("mail.public_url", format!("`{text}` must be an absolute http:// or https:// URL"));
    let lower = text.to_ascii_lowercase();
    // NOTE: `url` reads `http:///path` as host `path`; an operator who wrote
    // it forgot the host.
    let rest = lower.strip_prefix("http://").or_else(|| lower.strip_prefix("https://")).ok_or_else(bad)?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(bad());
    }
    let url = Url::parse(text).map_err(|_| bad())?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    Ok(url)
}

/// Checks `smtp_url` the way lettre will read it (without connecting).
fn check_smtp_url(smtp_url: &str) -> Result<(), ConfigError> {
    smtp_builder(smtp_url).map(drop)
}

/// lettre's transport builder for `smtp_url` (parsing only: building the
/// transport needs a Tokio runtime), or the error naming `mail.smtp_url`.
pub fn smtp_builder(smtp_url: &str) -> Result<AsyncSmtpTransportBuilder, ConfigError> {
    AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url).map_err(|e| {
        ConfigError::new(
            "mail.smtp_url",
            format!(
                "`{}` is not a usable SMTP URL (smtp://host:port, smtp://host:port?tls=required or \
                 smtps://host:port): {e}",
                redact_url(smtp_url)
            ),
        )
    })
}

/// `url` with any `user:password@` part hidden, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            match rest[..authority_end].rfind('@') {
                Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::settings;

    fn mail(lines: &str) -> Result<MailConfig, ConfigError> {
        settings(&format!("[mail]\n{lines}")).map(|s| s.mail)
    }

    #[test]
    fn smtp_urls_are_parsed_without_connecting() {
        for url in ["smtp://127.0.0.1:2525", "smtp://mail.example.test:587?tls=required", "smtps://mail.example.test"] {
            mail(&format!("transport = \"smtp\"\nsmtp_url = \"{url}\"")).unwrap_or_else(|e| panic!("{url}: {e}"));
        }
        for url in ["", "127.0.0.1:25", "http://127.0.0.1:25", "smtp://h?tls=bogus", "smtp://user:secret@"] {
            let err = mail(&format!("transport = \"smtp\"\nsmtp_url = \"{url}\"")).expect_err(url);
            assert_eq!(err.key, "mail.smtp_url", "{url}");
            assert!(!err.message.contains("secret"), "{}", err.message);
        }
        // A bad smtp_url does not matter when SMTP is not used.
        mail("transport = \"log\"\nsmtp_url = \"nope\"").expect("log ignores smtp_url");
    }

    #[test]
    fn from_and_public_url_are_checked() {
        mail("").expect("defaults are valid");
        assert_eq!(mail("from = \"nobody\"").expect_err("from").key, "mail.from");
        for url in ["127.0.0.1:8000", "ftp://example.test", "https://", "http:///path", ""] {
            assert_eq!(mail(&format!("public_url = \"{url}\"")).expect_err(url).key, "mail.public_url", "{url}");
        }
        for url in ["https://book.example.test", "HTTP://127.0.0.1:8000/"] {
            mail(&format!("public_url = \"{url}\"")).unwrap_or_else(|e| panic!("{url}: {e}"));
        }
        assert_eq!(mail("transport = \"file\"\noutbox_dir = \" \"").expect_err("dir").key, "mail.outbox_dir");
    }

    #[test]
    fn redact_url_hides_credentials() {
        assert_eq!(redact_url("smtps://user:pw@mail.example.test:465"), "smtps://***@mail.example.test:465");
        assert_eq!(redact_url("smtp://127.0.0.1:2525"), "smtp://127.0.0.1:2525");
    }
}
