//! Outgoing mail.
//!
//! [`Notifier`] is what the rest of the app calls: one method per kind of
//! email, rendered from the Tera templates under `templates/mail/`.
//! [`Mailer`] sends composed [`Message`]s through the transport chosen by
//! `mail.transport`: lettre's async SMTP client, one `.eml` file per message in
//! `mail.outbox_dir`, or the log. [`compose`] builds the multipart messages
//! (plain text + HTML, with an optional attachment such as an `.ics`
//! invitation). [`stage`] builds both at ignite from the validated
//! [`Settings`] and puts them in managed state.
//!
//! Owns the emails' wording and layout (through the templates and the
//! catalogs' `mail-*` messages); knows nothing of bookings beyond what a
//! caller hands a [`Notifier`] method.

mod notify;
mod relay;
mod templates;

pub use notify::{Appointment, Notifier, Recipient};

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use lettre::address::Envelope;
use lettre::message::header::ContentType;
use lettre::message::{Attachment as LettreAttachment, Mailbox, MultiPart};
use lettre::transport::smtp::AsyncSmtpTransportBuilder;
use lettre::{Address, AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rocket::fairing::AdHoc;
use rocket::figment::value::magic::RelativePathBuf;
use rocket::figment::Figment;

use crate::config::{self, redact_url, ConfigError, MailConfig, MailTransportKind, Settings};

/// How long the SMTP client waits for the server (connect and each reply), so
/// a dead or stuck server fails a send quickly instead of hanging a request.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Parses `smtp_url` into a transport builder with [`SMTP_TIMEOUT`] set.
fn smtp_builder(smtp_url: &str) -> Result<AsyncSmtpTransportBuilder, ConfigError> {
    crate::config::smtp_builder(smtp_url).map(|builder| builder.timeout(Some(SMTP_TIMEOUT)))
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
    /// A mail template is missing, does not parse or does not render.
    #[error("mail template: {0}")]
    Template(String),
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
    reply_to: Option<&Mailbox>,
    subject: &str,
    (text, html, attachment): (String, String, Option<Attachment>),
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
    let letters = crate::secrets::random_chars(b"abcdefghijklmnopqrstuvwxyz", 26);
    let message_id = format!("<{letters}@{}>", from.email.domain());
    let mut builder = Message::builder().message_id(Some(message_id)).from(from.clone()).to(to.clone());
    if let Some(reply_to) = reply_to {
        builder = builder.reply_to(reply_to.clone());
    }
    Ok(builder.subject(subject).multipart(body)?)
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

    /// The sender's address.
    pub fn from_address(&self) -> &str {
        self.inner.from.email.as_ref()
    }

    /// Sends one message through the configured transport.
    pub async fn send(&self, message: Message) -> Result<(), MailError> {
        self.send_raw(message.envelope(), &message.formatted()).await
    }

    /// Sends an already formatted message to `to` (an email from the
    /// outbox, stored as its bytes). Fully async: SMTP talks over Tokio
    /// sockets (giving up after [`SMTP_TIMEOUT`] of silence), files are
    /// written with Tokio's fs.
    pub async fn send_stored(&self, to: &str, raw: &[u8]) -> Result<(), MailError> {
        let to: Address = to.parse()?;
        let envelope = Envelope::new(Some(self.inner.from.email.clone()), vec![to])?;
        self.send_raw(&envelope, raw).await
    }

    async fn send_raw(&self, envelope: &Envelope, raw: &[u8]) -> Result<(), MailError> {
        match &self.inner.transport {
            Transport::Smtp { builder, transport } => {
                let transport = transport.get_or_init(|| builder.clone().build());
                transport.send_raw(envelope, raw).await?;
            }
            Transport::Relay(relay) => relay.send(envelope, raw).await?,
            Transport::File { dir, transport } => {
                // Recreate the folder if it was removed since launch; should this
                // fail, the write below reports the real problem.
                let _ = tokio::fs::create_dir_all(dir).await;
                transport.send_raw(envelope, raw).await?;
            }
            Transport::Log => {
                let from = envelope.from().map(ToString::to_string).unwrap_or_default();
                let to = envelope.to().iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
                rocket::info!(
                    "mail (log transport, not sent) from <{from}> to <{to}>:\n{}",
                    String::from_utf8_lossy(raw)
                );
            }
        }
        Ok(())
    }
}

/// Builds the [`Mailer`] and the [`Notifier`] from the [`Settings`] in
/// managed state (attach after `config::stage()`) and manages both. A bad
/// transport or a missing or broken mail template stops the launch with one
/// line; after an earlier stage stopped it, this one stays silent.
pub fn stage() -> AdHoc {
    AdHoc::try_on_ignite("Mail", |rocket| async move {
        if config::stopped(&rocket) {
            return Err(rocket);
        }
        // NOTE: no settings means `config::stage()` failed and said why.
        let Some(settings) = rocket.state::<Settings>() else { return Err(rocket) };
        let mailer = match mailer(&settings.mail) {
            Ok(mailer) => mailer,
            Err(e) => return Err(config::stop(rocket, &e)),
        };
        let Some(template_dir) = template_dir(rocket.figment()) else { return Err(rocket) };
        match Notifier::new(mailer.clone(), &template_dir, &settings.practice) {
            Ok(notifier) => Ok(rocket.manage(mailer).manage(notifier)),
            Err(e) => Err(config::stop(rocket, &e)),
        }
    })
}

/// The [`Mailer`] for `config`, its transport logged; or the line that says
/// why there is none.
fn mailer(config: &MailConfig) -> Result<Mailer, String> {
    match Mailer::new(config) {
        Ok(mailer) => {
            match &mailer.inner.transport {
                Transport::Smtp { .. } | Transport::Relay(_) => {
                    rocket::info!("mail: SMTP to {}", redact_url(&config.smtp_url))
                }
                Transport::File { dir, .. } => rocket::info!("mail: writing .eml files to {}", dir.display()),
                Transport::Log => rocket::info!("mail: log only, nothing is sent"),
            }
            Ok(mailer)
        }
        Err(e) => {
            let key = match config.transport {
                MailTransportKind::Smtp => "mail.smtp_url",
                MailTransportKind::File => "mail.outbox_dir",
                MailTransportKind::Log => "mail.transport",
            };
            Err(match e {
                MailError::Config(e) => e.to_string(),
                e => ConfigError::new(key, e.to_string()).to_string(),
            })
        }
    }
}

/// `template_dir` as rocket_dyn_templates reads it: relative to the
/// configuration file that set it, `templates` when unset.
fn template_dir(figment: &Figment) -> Option<PathBuf> {
    match figment.extract_inner::<RelativePathBuf>("template_dir") {
        Ok(path) => Some(path.relative()),
        Err(e) if e.missing() => Some(PathBuf::from("templates")),
        // NOTE: the template fairing has already reported this value and
        // failed the launch.
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests;
