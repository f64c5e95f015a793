//! Outgoing mail.
//!
//! [`Mailer`] sends composed [`Message`]s through the transport chosen by
//! `mail.transport`: lettre's async SMTP client, one `.eml` file per message in
//! `mail.outbox_dir`, or the log. [`stage`] builds it at ignite from the
//! validated [`Settings`] and puts it in managed state; [`compose`] builds the
//! multipart messages (plain text + HTML, with an optional attachment such as
//! an `.ics` invitation).

/// The emails Slotwise sends.
pub mod messages;
mod relay;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment as LettreAttachment, Mailbox, MultiPart};
use lettre::transport::smtp::AsyncSmtpTransportBuilder;
use lettre::{Address, AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rocket::fairing::AdHoc;

use crate::config::{redact_url, ConfigError, MailConfig, MailTransportKind, Settings};

/// How long the SMTP client waits for the server (connect and each reply), so
/// a dead or stuck server fails a send quickly instead of hanging a request.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Parses `smtp_url` into a transport builder with [`SMTP_TIMEOUT`] set.
///
/// Building the transport itself needs a Tokio runtime (lettre's connection
/// pool spawns a task), parsing does not.
fn smtp_builder(smtp_url: &str) -> Result<AsyncSmtpTransportBuilder, ConfigError> {
    AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url).map(|builder| builder.timeout(Some(SMTP_TIMEOUT))).map_err(
        |e| {
            ConfigError::new(
                "mail.smtp_url",
                format!(
                    "`{}` is not a usable SMTP URL (smtp://host:port, smtp://host:port?tls=required or \
                     smtps://host:port): {e}",
                    redact_url(smtp_url)
                ),
            )
        },
    )
}

/// Why mail could not be composed or sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// An email address or mailbox did not parse.
    #[error("invalid email address: {0}")]
    Address(#[from] lettre::address::AddressError),
    /// lettre refused to build the message (missing sender, bad filename, ...).
    #[error("cannot build the email: {0}")]
    Build(#[from] lettre::error::Error),
    /// An attachment's content type did not parse.
    #[error("invalid content type `{value}`: {source}")]
    ContentType {
        /// The rejected content type.
        value: String,
        /// Why it was rejected.
        #[source]
        source: lettre::message::header::ContentTypeErr,
    },
    /// The SMTP server could not be reached, timed out or refused the message.
    #[error("SMTP delivery failed: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    /// The SMTP server could not be reached.
    #[error("SMTP connection failed: {0}")]
    Connect(#[from] std::io::Error),
    /// The SMTP server took longer than this.
    #[error("SMTP delivery timed out after {0:?}")]
    Timeout(Duration),
    /// `tls=required`, but the server does not offer STARTTLS.
    #[error("the SMTP server does not offer STARTTLS, which `tls=required` asks for")]
    NoStarttls,
    /// The file transport could not write the `.eml` file.
    #[error("cannot write the email file: {0}")]
    File(#[from] lettre::transport::file::Error),
    /// The `[mail]` configuration cannot produce a working transport.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// A file attached to a message, e.g. a `text/calendar; method=PUBLISH;
/// charset=utf-8` `.ics` invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file name shown to the recipient, e.g. `appointment.ics`.
    pub filename: String,
    /// The full `Content-Type`, parameters included.
    pub content_type: String,
    /// The file's content.
    pub body: String,
}

/// Builds a mailbox from a display name (empty for none) and an address.
pub fn mailbox(name: &str, email: &str) -> Result<Mailbox, MailError> {
    let address: Address = email.trim().parse()?;
    let name = name.trim();
    Ok(Mailbox::new((!name.is_empty()).then(|| name.to_string()), address))
}

/// Builds a message with a `multipart/alternative` body (`text`, then `html`),
/// wrapped in `multipart/mixed` together with `attachment` when there is one.
/// `Date` and a `Message-ID` on `from`'s domain are set.
pub fn compose(
    from: &Mailbox,
    to: &Mailbox,
    subject: &str,
    text: String,
    html: String,
    attachment: Option<Attachment>,
) -> Result<Message, MailError> {
    let alternative = MultiPart::alternative_plain_html(text, html);
    let body = match attachment {
        None => alternative,
        Some(attachment) => {
            let content_type = ContentType::parse(&attachment.content_type)
                .map_err(|source| MailError::ContentType { value: attachment.content_type.clone(), source })?;
            let part = LettreAttachment::new(attachment.filename).body(attachment.body, content_type);
            MultiPart::mixed().multipart(alternative).singlepart(part)
        }
    };
    // A `Message-ID` on the sender's domain; lettre adds `Date` but no id.
    // NOTE: letters only, so no header holds a run of digits that could be
    // mistaken for a one-time code.
    let letters: String = (0..26).map(|_| (b'a' + rand::random::<u8>() % 26) as char).collect();
    let message_id = format!("<{letters}@{}>", from.email.domain());
    Ok(Message::builder()
        .message_id(Some(message_id))
        .from(from.clone())
        .to(to.clone())
        .subject(subject)
        .multipart(body)?)
}

/// The transport behind a [`Mailer`].
enum Transport {
    /// lettre's pooled async SMTP client, built on first use: building needs a
    /// Tokio runtime, which [`Mailer::send`] always runs in.
    Smtp { builder: AsyncSmtpTransportBuilder, transport: OnceLock<AsyncSmtpTransport<Tokio1Executor>> },
    /// `smtp://` servers: lettre's SMTP client on our own sockets.
    Relay(relay::Relay),
    /// One `.eml` file per message in `dir`.
    File { dir: PathBuf, transport: AsyncFileTransport<Tokio1Executor> },
    /// The log only.
    Log,
}

struct Inner {
    from: Mailbox,
    transport: Transport,
}

/// Sends mail through the configured transport. Lives in Rocket's managed
/// state (see [`stage`]); cloning is cheap and shares the SMTP connection pool,
/// so a clone can be moved into a spawned task.
#[derive(Clone)]
pub struct Mailer {
    inner: Arc<Inner>,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let transport = match &self.inner.transport {
            Transport::Smtp { .. } | Transport::Relay(_) => "smtp".to_string(),
            Transport::File { dir, .. } => format!("file ({})", dir.display()),
            Transport::Log => "log".to_string(),
        };
        f.debug_struct("Mailer").field("from", &self.inner.from.to_string()).field("transport", &transport).finish()
    }
}

impl Mailer {
    /// Builds the mailer `config.transport` asks for: parses `mail.from`, parses
    /// `mail.smtp_url` (SMTP) or creates `mail.outbox_dir` if missing (file).
    /// Errors name the offending key. Connects to nothing yet.
    pub fn new(config: &MailConfig) -> Result<Mailer, MailError> {
        let from = config.from.clone();
        let transport = match config.transport {
            MailTransportKind::Smtp => {
                let builder = smtp_builder(&config.smtp_url)?;
                match relay::Relay::parse(&config.smtp_url) {
                    Some(relay) => Transport::Relay(relay),
                    None => Transport::Smtp { builder, transport: OnceLock::new() },
                }
            }
            MailTransportKind::File => {
                if config.outbox_dir.trim().is_empty() {
                    return Err(ConfigError::new("mail.outbox_dir", "must name a folder").into());
                }
                let dir = PathBuf::from(&config.outbox_dir);
                std::fs::create_dir_all(&dir).map_err(|e| {
                    ConfigError::new("mail.outbox_dir", format!("cannot create `{}`: {e}", dir.display()))
                })?;
                Transport::File { transport: AsyncFileTransport::new(&dir), dir }
            }
            MailTransportKind::Log => Transport::Log,
        };
        Ok(Mailer { inner: Arc::new(Inner { from, transport }) })
    }

    /// The sender, parsed from `mail.from`.
    pub fn from_mailbox(&self) -> &Mailbox {
        &self.inner.from
    }

    /// Which transport this mailer uses.
    pub fn transport_kind(&self) -> MailTransportKind {
        match self.inner.transport {
            Transport::Smtp { .. } | Transport::Relay(_) => MailTransportKind::Smtp,
            Transport::File { .. } => MailTransportKind::File,
            Transport::Log => MailTransportKind::Log,
        }
    }

    /// Sends `message`. Fully async: SMTP talks over Tokio sockets (giving up
    /// after [`SMTP_TIMEOUT`] of silence), files are written with Tokio's fs.
    /// Sends `message` if it was built; a build error is returned as is.
    pub async fn send_composed(&self, message: Result<Message, MailError>) -> Result<(), MailError> {
        self.send(message?).await
    }

    /// Sends one message through the configured transport.
    pub async fn send(&self, message: Message) -> Result<(), MailError> {
        match &self.inner.transport {
            Transport::Smtp { builder, transport } => {
                let transport = transport.get_or_init(|| builder.clone().build());
                transport.send(message).await?;
            }
            Transport::Relay(relay) => relay.send(message.envelope(), &message.formatted()).await?,
            Transport::File { dir, transport } => {
                // Recreate the folder if it was removed since launch; should this
                // fail, the write below reports the real problem.
                let _ = tokio::fs::create_dir_all(dir).await;
                transport.send(message).await?;
            }
            Transport::Log => {
                let envelope = message.envelope();
                let from = envelope.from().map(ToString::to_string).unwrap_or_default();
                let to = envelope.to().iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
                let raw = message.formatted();
                rocket::info!(
                    "mail (log transport, not sent) from <{from}> to <{to}>:\n{}",
                    String::from_utf8_lossy(&raw)
                );
            }
        }
        Ok(())
    }
}

/// Builds the [`Mailer`] from the [`Settings`] in managed state (attach after
/// `config::stage()`) and manages it; a bad transport stops the launch.
pub fn stage() -> AdHoc {
    AdHoc::try_on_ignite("Mailer", |rocket| async move {
        let Some(settings) = rocket.state::<Settings>() else {
            rocket::error!("mail: no configuration in managed state; attach config::stage() before mail::stage()");
            return Err(rocket);
        };
        match Mailer::new(&settings.mail) {
            Ok(mailer) => {
                match &mailer.inner.transport {
                    Transport::Smtp { .. } | Transport::Relay(_) => {
                        rocket::info!("mail: SMTP to {}", redact_url(&settings.mail.smtp_url))
                    }
                    Transport::File { dir, .. } => rocket::info!("mail: writing .eml files to {}", dir.display()),
                    Transport::Log => rocket::info!("mail: log only, nothing is sent"),
                }
                Ok(rocket.manage(mailer))
            }
            Err(e) => {
                let key = match settings.mail.transport {
                    MailTransportKind::Smtp => "mail.smtp_url",
                    MailTransportKind::File => "mail.outbox_dir",
                    MailTransportKind::Log => "mail.transport",
                };
                match e {
                    MailError::Config(e) => rocket::error!("{e}"),
                    e => rocket::error!("invalid configuration `{key}`: {e}"),
                }
                Err(rocket)
            }
        }
    })
}

#[cfg(test)]
mod tests;
