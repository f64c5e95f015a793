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
mod notify;
mod relay;
pub use messages::Appointment;
pub use notify::{Notifier, Recipient};
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
                Ok(rocket.manage(Notifier::new(mailer.clone())).manage(mailer))
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
mod tests {
    use super::*;
    use base64::Engine;
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh, empty folder under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!("slotwise-{tag}-{}-{nanos}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// One MIME entity: lower-cased header names → values, decoded body, parts.
    #[derive(Debug)]
    struct Part {
        headers: HashMap<String, String>,
        body: String,
        parts: Vec<Part>,
    }

    impl Part {
        fn mime_type(&self) -> String {
            let ct = self.headers.get("content-type").cloned().unwrap_or_else(|| "text/plain".into());
            ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
        }

        fn param(&self, header: &str, name: &str) -> Option<String> {
            self.headers.get(header)?.split(';').skip(1).find_map(|p| {
                let (k, v) = p.split_once('=')?;
                (k.trim().eq_ignore_ascii_case(name)).then(|| v.trim().trim_matches('"').to_string())
            })
        }
    }

    fn decode_qp(s: &str) -> String {
        let mut out = Vec::new();
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'=' if bytes.get(i + 1) == Some(&b'\r') && bytes.get(i + 2) == Some(&b'\n') => i += 3,
                b'=' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
                b'=' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("qp hex");
                    out.push(u8::from_str_radix(hex, 16).expect("qp hex"));
                    i += 3;
                }
                b => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8(out).expect("qp utf-8")
    }

    /// A minimal RFC 2045/2046 parser, enough to check our own messages.
    fn parse(raw: &str) -> Part {
        let (head, body) = raw.split_once("\r\n\r\n").expect("header/body separator");
        let mut headers = HashMap::new();
        let mut current: Option<(String, String)> = None;
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                let (_, value) = current.as_mut().expect("continuation after a header");
                value.push(' ');
                value.push_str(line.trim());
            } else {
                if let Some((k, v)) = current.take() {
                    headers.insert(k, v);
                }
                let (k, v) = line.split_once(':').expect("header line");
                current = Some((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        if let Some((k, v)) = current.take() {
            headers.insert(k, v);
        }
        let mut part = Part { headers, body: String::new(), parts: Vec::new() };
        if part.mime_type().starts_with("multipart/") {
            let boundary = part.param("content-type", "boundary").expect("boundary");
            let delimiter = format!("--{boundary}");
            let close = format!("--{boundary}--");
            let (_, after_first) = body.split_once(&delimiter).expect("first delimiter");
            let (inner, _) = after_first.split_once(&close).expect("close delimiter");
            for chunk in inner.split(&format!("\r\n{delimiter}")) {
                let chunk = chunk.strip_prefix("\r\n").expect("CRLF after delimiter");
                let chunk = chunk.strip_suffix("\r\n").unwrap_or(chunk);
                part.parts.push(parse(chunk));
            }
        } else {
            let encoding = part.headers.get("content-transfer-encoding").map(|e| e.to_ascii_lowercase());
            part.body = match encoding.as_deref() {
                Some("base64") => {
                    let compact: String = body.split_whitespace().collect();
                    let bytes = base64::engine::general_purpose::STANDARD.decode(compact).expect("base64");
                    String::from_utf8(bytes).expect("base64 utf-8")
                }
                Some("quoted-printable") => decode_qp(body),
                _ => body.to_string(),
            };
        }
        part
    }

    fn ics() -> Attachment {
        Attachment {
            filename: "appointment.ics".into(),
            content_type: "text/calendar; method=PUBLISH; charset=utf-8".into(),
            body: "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:PUBLISH\r\nBEGIN:VEVENT\r\nUID:abc@slotwise\r\n\
                   SUMMARY:Consultation\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
                .into(),
        }
    }

    fn sample(attachment: Option<Attachment>) -> Message {
        let from: Mailbox = "Slotwise <bookings@example.test>".parse().expect("from");
        let to = mailbox("Jürgen Müller", "juergen@example.test").expect("to");
        compose(
            &from,
            &to,
            "Your booking – Größe",
            "Hello Jürgen,\nyour code is 123456.\n".into(),
            "<p>Hello Jürgen,</p><p>your code is <b>123456</b>.</p>".into(),
            attachment,
        )
        .expect("compose")
    }

    #[test]
    fn compose_has_plain_and_html_alternatives() {
        let raw = String::from_utf8(sample(None).formatted()).expect("utf-8");
        assert!(raw.contains("text/plain"), "{raw}");
        assert!(raw.contains("text/html"), "{raw}");
        let root = parse(&raw);
        assert_eq!(root.mime_type(), "multipart/alternative");
        assert_eq!(root.parts.len(), 2);
        assert_eq!(root.parts[0].mime_type(), "text/plain");
        assert!(root.parts[0].body.contains("your code is 123456."), "{:?}", root.parts[0].body);
        assert_eq!(root.parts[1].mime_type(), "text/html");
        assert!(root.parts[1].body.contains("<b>123456</b>"));
        assert!(root.headers["to"].contains("juergen@example.test"));
        assert!(root.headers.contains_key("date"));
        assert!(root.headers["message-id"].ends_with("@example.test>"), "{:?}", root.headers["message-id"]);
    }

    #[test]
    fn compose_rejects_a_bad_content_type() {
        let mut attachment = ics();
        attachment.content_type = "not a type".into();
        let from: Mailbox = "a@example.test".parse().expect("from");
        let err = compose(&from, &from, "s", "t".into(), "h".into(), Some(attachment)).expect_err("bad type");
        assert!(matches!(err, MailError::ContentType { .. }), "{err}");
    }

    #[test]
    fn mailbox_parses_names_and_rejects_garbage() {
        assert_eq!(mailbox("", "a@example.test").expect("plain").to_string(), "a@example.test");
        assert!(mailbox("A", "a@example.test").expect("named").name.is_some());
        assert!(matches!(mailbox("A", "not-an-address"), Err(MailError::Address(_))));
    }

    #[tokio::test]
    async fn file_transport_writes_one_parseable_eml() {
        let tmp = TempDir::new("outbox");
        // A missing, nested folder is created.
        let dir = tmp.0.join("nested").join("outbox");
        let config = MailConfig {
            transport: MailTransportKind::File,
            outbox_dir: dir.to_string_lossy().into_owned(),
            ..Default::default()
        };
        let mailer = Mailer::new(&config).expect("mailer");
        assert_eq!(mailer.transport_kind(), MailTransportKind::File);
        assert_eq!(mailer.from_mailbox().email.to_string(), "bookings@example.test");
        mailer.send(sample(Some(ics()))).await.expect("send");

        let files: Vec<_> = std::fs::read_dir(&dir).expect("outbox").map(|e| e.expect("entry").path()).collect();
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(files[0].extension().and_then(|e| e.to_str()), Some("eml"));
        let raw = std::fs::read_to_string(&files[0]).expect("read eml");

        let root = parse(&raw);
        assert!(root.headers["from"].contains("bookings@example.test"));
        assert_eq!(root.mime_type(), "multipart/mixed");
        assert_eq!(root.parts.len(), 2);
        let alternative = &root.parts[0];
        assert_eq!(alternative.mime_type(), "multipart/alternative");
        assert_eq!(alternative.parts[0].mime_type(), "text/plain");
        assert!(alternative.parts[0].body.contains("Hello Jürgen,"));
        assert_eq!(alternative.parts[1].mime_type(), "text/html");
        assert!(alternative.parts[1].body.contains("<b>123456</b>"));
        let calendar = &root.parts[1];
        assert_eq!(calendar.mime_type(), "text/calendar");
        assert_eq!(calendar.param("content-type", "method").as_deref(), Some("PUBLISH"));
        assert_eq!(calendar.param("content-disposition", "filename").as_deref(), Some("appointment.ics"));
        assert!(calendar.headers["content-disposition"].starts_with("attachment"));
        assert!(calendar.body.contains("BEGIN:VEVENT\r\nUID:abc@slotwise\r\n"), "{:?}", calendar.body);

        // A folder removed after launch is recreated.
        std::fs::remove_dir_all(&dir).expect("remove outbox");
        mailer.send(sample(None)).await.expect("send again");
        assert_eq!(std::fs::read_dir(&dir).expect("outbox").count(), 1);
    }

    #[tokio::test]
    async fn log_transport_sends_nothing_and_succeeds() {
        let config = MailConfig { transport: MailTransportKind::Log, ..Default::default() };
        let mailer = Mailer::new(&config).expect("mailer");
        mailer.send(sample(Some(ics()))).await.expect("log");
    }

    #[test]
    fn outbox_that_is_a_file_names_the_key() {
        let tmp = TempDir::new("outbox-file");
        std::fs::write(&tmp.0, b"not a folder").expect("write file");
        let config = MailConfig {
            transport: MailTransportKind::File,
            outbox_dir: tmp.0.to_string_lossy().into_owned(),
            ..Default::default()
        };
        let err = Mailer::new(&config).expect_err("a file is no folder");
        let _ = std::fs::remove_file(&tmp.0);
        assert!(matches!(&err, MailError::Config(e) if e.key == "mail.outbox_dir"), "{err}");
    }
}
