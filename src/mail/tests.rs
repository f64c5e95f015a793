//! Composing and sending: the MIME structure of [`compose`]'s messages, the
//! file and log transports, and what [`stage`] manages or refuses.

use mail_parser::{MessageParser, MessagePart, MimeHeaders, PartType};

use super::*;

/// `part`'s `type/subtype`, lower case.
pub(super) fn mime(part: &MessagePart<'_>) -> String {
    let ct = part.content_type().expect("content type");
    format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default()).to_ascii_lowercase()
}

/// The parts inside multipart `part`.
pub(super) fn children<'m>(message: &'m mail_parser::Message<'m>, part: &MessagePart<'_>) -> Vec<&'m MessagePart<'m>> {
    match &part.body {
        PartType::Multipart(ids) => ids.iter().map(|id| message.part(*id).expect("child part")).collect(),
        other => panic!("not multipart: {other:?}"),
    }
}

/// `part`'s decoded text.
pub(super) fn text<'p>(part: &'p MessagePart<'_>) -> &'p str {
    part.text_contents().expect("a text part")
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
    let text = "Hello Jürgen,\nyour code is 123456.\n".to_string();
    let html = "<p>Hello Jürgen,</p><p>your code is <b>123456</b>.</p>".to_string();
    compose(&from, &to, None, "Your booking – Größe", (text, html, attachment)).expect("compose")
}

#[test]
fn compose_has_plain_and_html_alternatives() {
    let raw = sample(None).formatted();
    let message = MessageParser::default().parse(&raw).expect("parseable");
    let root = message.root_part();
    assert_eq!(mime(root), "multipart/alternative");
    let parts = children(&message, root);
    assert_eq!(parts.len(), 2);
    assert_eq!(mime(parts[0]), "text/plain");
    assert!(text(parts[0]).contains("your code is 123456."), "{:?}", text(parts[0]));
    assert_eq!(mime(parts[1]), "text/html");
    assert!(text(parts[1]).contains("<b>123456</b>"));
    assert_eq!(message.subject(), Some("Your booking – Größe"));
    let to = message.to().and_then(|to| to.first()).expect("to");
    assert_eq!((to.name(), to.address()), (Some("Jürgen Müller"), Some("juergen@example.test")));
    assert!(message.date().is_some());
    assert!(message.message_id().expect("message id").ends_with("@example.test"), "{:?}", message.message_id());
}

#[test]
fn compose_rejects_a_bad_content_type() {
    let mut attachment = ics();
    attachment.content_type = "not a type".into();
    let from: Mailbox = "a@example.test".parse().expect("from");
    let err = compose(&from, &from, None, "s", ("t".into(), "h".into(), Some(attachment))).expect_err("bad type");
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
    let tmp = tempfile::tempdir().expect("temp dir");
    // A missing, nested folder is created.
    let dir = tmp.path().join("nested").join("outbox");
    let config = MailConfig {
        transport: MailTransportKind::File,
        outbox_dir: dir.to_string_lossy().into_owned(),
        ..Default::default()
    };
    let mailer = Mailer::new(&config).expect("mailer");
    assert_eq!(mailer.from_mailbox().email.to_string(), "bookings@example.test");
    mailer.send(sample(Some(ics()))).await.expect("send");

    let files: Vec<_> = std::fs::read_dir(&dir).expect("outbox").map(|e| e.expect("entry").path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].extension().and_then(|e| e.to_str()), Some("eml"));
    let raw = std::fs::read(&files[0]).expect("read eml");

    let message = MessageParser::default().parse(&raw).expect("parseable");
    assert_eq!(message.from().and_then(|f| f.first()).and_then(|f| f.address()), Some("bookings@example.test"));
    let root = message.root_part();
    assert_eq!(mime(root), "multipart/mixed");
    let parts = children(&message, root);
    assert_eq!(parts.len(), 2);
    assert_eq!(mime(parts[0]), "multipart/alternative");
    let alternative = children(&message, parts[0]);
    assert_eq!(mime(alternative[0]), "text/plain");
    assert!(text(alternative[0]).contains("Hello Jürgen,"));
    assert_eq!(mime(alternative[1]), "text/html");
    assert!(text(alternative[1]).contains("<b>123456</b>"));
    let calendar = parts[1];
    assert_eq!(mime(calendar), "text/calendar");
    assert_eq!(calendar.content_type().and_then(|c| c.attribute("method")), Some("PUBLISH"));
    assert_eq!(calendar.attachment_name(), Some("appointment.ics"));
    assert_eq!(calendar.content_disposition().map(|d| d.ctype()), Some("attachment"));
    assert!(text(calendar).contains("BEGIN:VEVENT\r\nUID:abc@slotwise\r\n"), "{:?}", text(calendar));

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
    let file = tempfile::NamedTempFile::new().expect("temp file");
    let config = MailConfig {
        transport: MailTransportKind::File,
        outbox_dir: file.path().to_string_lossy().into_owned(),
        ..Default::default()
    };
    let err = Mailer::new(&config).expect_err("a file is no folder");
    assert!(matches!(&err, MailError::Config(e) if e.key == "mail.outbox_dir"), "{err}");
}

/// The config and mail stages alone, on `Rocket.toml` with `overrides`;
/// `Err` when a stage fails.
async fn ignite(overrides: &[(&str, &str)], with_config: bool) -> Result<rocket::Rocket<rocket::Ignite>, ()> {
    let mut figment = rocket::Config::figment().merge(("log_level", "off")).merge(("mail.transport", "log"));
    for (key, value) in overrides {
        figment = figment.merge((*key, *value));
    }
    let rocket = rocket::custom(figment);
    let rocket = if with_config { rocket.attach(crate::config::stage()) } else { rocket };
    // NOTE: a `rocket::Error` panics when dropped unread.
    rocket.attach(stage()).ignite().await.map_err(|e| drop(e.kind().to_string()))
}

#[tokio::test]
async fn stage_manages_the_mailer_and_the_notifier() {
    let rocket = ignite(&[], true).await.expect("ignites");
    assert!(rocket.state::<Mailer>().is_some() && rocket.state::<Notifier>().is_some());
}

#[tokio::test]
async fn stage_fails_on_a_template_dir_without_mail_templates() {
    let empty = tempfile::tempdir().expect("temp dir");
    let dir = empty.path().to_string_lossy().into_owned();
    assert!(ignite(&[("template_dir", &dir)], true).await.is_err());
}

#[tokio::test]
async fn stage_fails_without_settings() {
    assert!(ignite(&[], false).await.is_err());
}
