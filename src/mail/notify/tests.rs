//! The notifier against the real templates under `templates/mail/`: every
//! kind in every language, escaping, the code's uniqueness, the link and the
//! `.ics`, and a broken template caught at launch.

use std::path::{Path, PathBuf};

use fluent_templates::fluent_bundle::FluentValue;
use mail_parser::{MessageParser, MimeHeaders};

use super::*;
use crate::config::{MailConfig, MailTransportKind};
use crate::i18n::{format_datetime, format_datetime_short, t, t_args};
use crate::mail::tests::{children, mime, text};

const LANGS: [&str; 2] = ["en", "de"];
const BERLIN: Tz = chrono_tz::Europe::Berlin;

fn templates() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("templates")
}

/// A notifier whose mail lands as `.eml` files in a fresh folder.
struct Outbox {
    notifier: Notifier,
    dir: tempfile::TempDir,
}

impl Outbox {
    fn new() -> Outbox {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = MailConfig {
            transport: MailTransportKind::File,
            outbox_dir: dir.path().to_string_lossy().into_owned(),
            ..Default::default()
        };
        let mailer = Mailer::new(&config).expect("mailer");
        Outbox { notifier: Notifier::new(mailer, &templates(), &practice()).expect("notifier"), dir }
    }

    /// The one message sent since the last call, raw; the outbox is emptied.
    fn take(&self) -> Vec<u8> {
        let files: Vec<_> =
            std::fs::read_dir(self.dir.path()).expect("outbox").map(|e| e.expect("entry").path()).collect();
        assert_eq!(files.len(), 1, "{files:?}");
        let raw = std::fs::read(&files[0]).expect("read eml");
        std::fs::remove_file(&files[0]).expect("remove eml");
        raw
    }
}

/// A sent email, decoded.
struct Sent {
    subject: String,
    text: String,
    html: String,
    /// (file name, content type, body) of the attachment.
    attachment: Option<(String, String, String)>,
}

fn decode(raw: &[u8]) -> Sent {
    let message = MessageParser::default().parse(raw).expect("parseable");
    let root = message.root_part();
    let (alternative, attachment) = match mime(root).as_str() {
        "multipart/mixed" => {
            let parts = children(&message, root);
            assert_eq!(parts.len(), 2);
            let attachment = parts[1];
            let content_type = attachment.content_type().expect("content type");
            let content_type =
                format!("{}; method={}", mime(attachment), content_type.attribute("method").unwrap_or(""));
            let name = attachment.attachment_name().expect("file name").to_string();
            (parts[0], Some((name, content_type, text(attachment).to_string())))
        }
        _ => (root, None),
    };
    assert_eq!(mime(alternative), "multipart/alternative");
    let bodies = children(&message, alternative);
    assert_eq!((mime(bodies[0]).as_str(), mime(bodies[1]).as_str()), ("text/plain", "text/html"));
    // NOTE: lettre sends text with CRLF line ends, as SMTP wants.
    Sent {
        subject: message.subject().expect("subject").to_string(),
        text: text(bodies[0]).replace("\r\n", "\n"),
        html: text(bodies[1]).replace("\r\n", "\n"),
        attachment,
    }
}

fn to(lang: &str) -> Recipient<'_> {
    Recipient { name: "Ada Lovelace", email: "ada@example.test", lang }
}

fn appointment(service: &str) -> Appointment<'_> {
    let starts_at: DateTime<Utc> = "2026-11-23T08:30:00Z".parse().expect("start");
    Appointment {
        service,
        starts_at,
        ends_at: starts_at + chrono::Duration::minutes(30),
        tz: BERLIN,
        visitor: None,
        practitioner: None,
    }
}

/// Maximal runs of ASCII digits in `text`.
fn digit_runs(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_ascii_digit()).filter(|run| !run.is_empty()).collect()
}

/// The practice's signature under every email: all of it, or (the code
/// email) its name only.
fn signature(lang: &str, full: bool) -> String {
    if !full {
        return "-- \nPraxis Weber\n".into();
    }
    let (phone, email) = (t(lang, "practice-phone"), t(lang, "practice-email"));
    format!(
        "-- \nPraxis Weber\nHauptstraße 1, 10115 Berlin\n{phone}: +49 30 1234567\n{email}: info@praxis.test\nhttps://praxis.test\n"
    )
}

#[tokio::test]
async fn emails_about_a_booking_name_the_practice_and_answer_to_it() {
    let outbox = Outbox::new();
    let url = "https://book.example.test/booking/ABCD-EFGH?token=abc";
    let message = outbox.notifier.confirmation_message(&to("en"), "ABCD-EFGH", &appointment("Consultation"), url);
    outbox.notifier.mailer().send(message.expect("rendered")).await.expect("sent");
    let raw = outbox.take();
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("Reply-To: \"Praxis Weber\" <info@praxis.test>"), "{text}");
    let sent = decode(&raw);
    let ics = sent.attachment.as_ref().map(|a| a.2.as_str()).unwrap_or_default().replace("\r\n ", "");
    assert!(ics.contains("ORGANIZER;CN=Praxis Weber:mailto:info@praxis.test"), "{ics}");
    assert!(ics.contains("LOCATION:Hauptstraße 1\\, 10115 Berlin"), "{ics}");
    assert!(sent.html.contains("Praxis Weber<br>Hauptstraße 1, 10115 Berlin"), "{}", sent.html);
}

fn args(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, FluentValue<'static>)> {
    pairs.iter().map(|(k, v)| (*k, FluentValue::from(v.to_string()))).collect()
}

#[tokio::test]
async fn every_kind_renders_in_english_and_german() {
    let outbox = Outbox::new();
    let appointment = appointment("Consultation");
    for lang in LANGS {
        let when = format_datetime(lang, BERLIN, appointment.starts_at);
        let reference = [("reference", "ABCD-EFGH")];

        outbox.notifier.code(&to(lang), "482913", 10, &appointment).await.expect("code");
        let code = decode(&outbox.take());
        assert_eq!(code.subject, t_args(lang, "mail-code-subject", &args(&[("practice", "Praxis Weber")])));
        let short = format_datetime_short(lang, BERLIN, appointment.starts_at);
        let paragraphs = [
            t(lang, "mail-code-intro"),
            "482913".into(),
            t_args(lang, "mail-code-validity", &args(&[("minutes", "10")])),
            t_args(lang, "mail-code-booking", &args(&[("service", "Consultation"), ("when", &short)])),
            t(lang, "mail-code-ignore"),
        ];
        assert_eq!(code.text, paragraphs.join("\n\n") + "\n\n" + &signature(lang, false), "{lang}");
        assert!(code.html.contains(&format!("<html lang=\"{lang}\">")), "{}", code.html);
        assert!(code.html.contains(">482913</p>"), "{}", code.html);

        let url = "https://book.example.test/booking/ABCD-EFGH?token=abc";
        outbox
            .notifier
            .mailer()
            .send(outbox.notifier.confirmation_message(&to(lang), "ABCD-EFGH", &appointment, url).expect("rendered"))
            .await
            .expect("confirmation");
        let confirmation = decode(&outbox.take());
        let practice = " · Praxis Weber";
        assert_eq!(confirmation.subject, t_args(lang, "mail-confirm-subject", &args(&reference)) + practice);
        let paragraphs = [
            t(lang, "mail-confirm-intro"),
            t_args(lang, "mail-confirm-reference", &args(&reference)),
            t_args(lang, "mail-confirm-what", &args(&[("service", "Consultation"), ("when", &when)])),
            t_args(lang, "mail-confirm-cancel", &args(&[("url", url)])),
        ];
        assert_eq!(confirmation.text, paragraphs.join("\n\n") + "\n\n" + &signature(lang, true), "{lang}");

        send_cancellation(&outbox, &to(lang), "ABCD-EFGH", &appointment).await.expect("cancellation");
        let cancellation = decode(&outbox.take());
        assert_eq!(cancellation.subject, t_args(lang, "mail-cancel-subject", &args(&reference)) + practice);
        let body = args(&[("reference", "ABCD-EFGH"), ("service", "Consultation"), ("when", &when)]);
        let said = t_args(lang, "mail-cancel-body", &body);
        assert_eq!(cancellation.text, said.clone() + "\n\n" + &signature(lang, true));
        assert!(cancellation.html.contains(&format!("<p>{}</p>", crate::templating::escape_html(&said))));
        // Revision 2: the cancellation cancels the calendar event too.
        let ics = cancellation.attachment.as_ref().map(|a| a.2.as_str()).unwrap_or_default();
        assert!(ics.contains("METHOD:CANCEL") && ics.contains("UID:ABCD-EFGH@slotwise"), "{ics}");
    }
}

#[tokio::test]
async fn html_escapes_a_hostile_name_and_service() {
    let outbox = Outbox::new();
    let hostile = Recipient { name: "<script>alert(1)</script>", email: "eve@example.test", lang: "en" };
    let appointment = appointment("<script>steal()</script> & \"Co\"");
    outbox.notifier.code(&hostile, "482913", 10, &appointment).await.expect("code");
    outbox
        .notifier
        .mailer()
        .send(
            outbox
                .notifier
                .confirmation_message(&hostile, "ABCD-EFGH", &appointment, "https://x.test/?a=1&b=<2>")
                .expect("rendered"),
        )
        .await
        .expect("sent");
    send_cancellation(&outbox, &hostile, "ABCD-EFGH", &appointment).await.expect("cancellation");
    let raws = std::fs::read_dir(outbox.dir.path()).expect("outbox").map(|e| std::fs::read(e.expect("entry").path()));
    for raw in raws {
        let sent = decode(&raw.expect("read eml"));
        assert!(!sent.html.contains("<script"), "{}", sent.html);
        assert!(sent.html.contains("&lt;script&gt;steal()&lt;/script&gt; &amp; &quot;Co&quot;"), "{}", sent.html);
        assert!(sent.text.contains("<script>steal()</script> & \"Co\""), "text stays text: {}", sent.text);
    }
}

#[tokio::test]
async fn the_code_is_the_only_standalone_run_of_its_length() {
    let outbox = Outbox::new();
    // Digits everywhere else: the date, the time, the service name.
    let appointment = appointment("Room 101");
    for lang in LANGS {
        outbox.notifier.code(&to(lang), "202611", 10, &appointment).await.expect("code");
        let sent = decode(&outbox.take());
        for body in [&sent.text, &sent.html] {
            let runs: Vec<&str> = digit_runs(body).into_iter().filter(|run| run.len() == 6).collect();
            assert_eq!(runs, ["202611"], "{lang}: {body}");
        }
        assert!(sent.text.lines().any(|line| line == "202611"), "the code on its own line: {}", sent.text);
        assert!(digit_runs(&sent.subject).is_empty(), "{}", sent.subject);
    }
}

#[tokio::test]
async fn the_confirmation_carries_the_link_and_the_ics() {
    let outbox = Outbox::new();
    let appointment = appointment("Consultation");
    let url = "https://book.example.test/booking/ABCD-EFGH?token=tok&x=1";
    for lang in LANGS {
        outbox
            .notifier
            .mailer()
            .send(outbox.notifier.confirmation_message(&to(lang), "ABCD-EFGH", &appointment, url).expect("rendered"))
            .await
            .expect("confirmation");
        let sent = decode(&outbox.take());
        assert!(sent.text.contains(url), "{}", sent.text);
        let href = "https://book.example.test/booking/ABCD-EFGH?token=tok&amp;x=1";
        assert!(sent.html.contains(&format!("<a href=\"{href}\"")), "{}", sent.html);
        let (name, content_type, ics) = sent.attachment.expect("an .ics");
        assert_eq!(name, t(lang, "mail-ics-filename"));
        assert_eq!(content_type, "text/calendar; method=PUBLISH");
        for line in
            ["UID:ABCD-EFGH@slotwise", "SUMMARY:Consultation", "DTSTART:20261123T083000Z", "DTEND:20261123T090000Z"]
        {
            assert!(ics.lines().any(|l| l == line), "{line} in {ics}");
        }
        let description = t_args(lang, "mail-confirm-reference", &args(&[("reference", "ABCD-EFGH")]));
        assert!(ics.contains(&format!("DESCRIPTION:{description}")), "{ics}");
        assert!(!ics.contains("token") && !ics.contains("http"), "no link in the calendar: {ics}");
    }
}

#[tokio::test]
async fn a_bad_address_fails_the_send_and_an_unknown_language_writes_english() {
    let outbox = Outbox::new();
    let appointment = appointment("Consultation");
    let bad = Recipient { name: "Ada", email: "not an address", lang: "en" };
    let err = send_cancellation(&outbox, &bad, "ABCD-EFGH", &appointment).await.expect_err("bad address");
    assert!(matches!(err, MailError::Address(_)), "{err}");
    assert_eq!(std::fs::read_dir(outbox.dir.path()).expect("outbox").count(), 0);

    let odd = Recipient { name: "Ada", email: "ada@example.test", lang: "not a tag!" };
    send_cancellation(&outbox, &odd, "ABCD-EFGH", &appointment).await.expect("sent");
    let sent = decode(&outbox.take());
    assert_eq!(
        sent.subject,
        t_args("en", "mail-cancel-subject", &args(&[("reference", "ABCD-EFGH")])) + " · Praxis Weber"
    );
    assert!(sent.html.contains("<html lang=\"en\">"), "{}", sent.html);
}

/// A copy of `templates/mail/` in a fresh `template_dir`.
fn copy_of_mail_templates() -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("mkdir");
        for entry in std::fs::read_dir(from).expect("list") {
            let path = entry.expect("entry").path();
            let target = to.join(path.file_name().expect("name"));
            if path.is_dir() {
                copy(&path, &target);
            } else {
                std::fs::copy(&path, &target).expect("copy");
            }
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    copy(&templates().join("mail"), &dir.path().join("mail"));
    dir
}

fn load(template_dir: &Path) -> Result<Notifier, MailError> {
    let mailer = Mailer::new(&MailConfig { transport: MailTransportKind::Log, ..Default::default() }).expect("mailer");
    Notifier::new(mailer, template_dir, &practice())
}

/// A practice with every contact set.
fn practice() -> crate::config::PracticeConfig {
    use rocket::figment::providers::{Format, Toml};
    let toml = "[practice]\nname = \"Praxis Weber\"\naddress = \"Hauptstraße 1, 10115 Berlin\"\n\
                phone = \"+49 30 1234567\"\nemail = \"info@praxis.test\"\nwebsite = \"https://praxis.test\"";
    rocket::figment::Figment::from(Toml::string(toml)).extract_inner("practice").expect("a practice")
}

fn one_line(result: Result<Notifier, MailError>) -> String {
    let message = result.err().expect("the launch fails").to_string();
    assert!(!message.contains('\n'), "one line: {message}");
    message
}

#[test]
fn a_missing_or_broken_mail_template_is_one_line_naming_it() {
    let dir = copy_of_mail_templates();
    assert!(load(dir.path()).is_ok(), "the copy loads");
    let html = dir.path().join("mail").join("confirmation").join("html.html.j2");

    let source = std::fs::read_to_string(&html).expect("read");
    std::fs::remove_file(&html).expect("remove");
    let missing = one_line(load(dir.path()));
    assert!(missing.contains("html.html.j2") && missing.contains("is missing"), "{missing}");

    std::fs::write(&html, format!("{source}{{% if %}}")).expect("write");
    let broken = one_line(load(dir.path()));
    assert!(broken.contains("mail/confirmation/html"), "{broken}");

    std::fs::write(&html, source.replace("manage_url", "manage_link")).expect("write");
    let unknown = one_line(load(dir.path()));
    // NOTE: MiniJinja names the template and line, not the variable.
    assert!(unknown.contains("undefined value") && unknown.contains("mail/"), "{unknown}");

    assert!(one_line(load(&dir.path().join("nowhere"))).contains("nowhere"));
}

/// The cancellation of `reference`, rendered and sent.
async fn send_cancellation(
    outbox: &Outbox,
    to: &Recipient<'_>,
    reference: &str,
    appointment: &Appointment<'_>,
) -> Result<(), MailError> {
    let message = outbox.notifier.cancellation_message(to, reference, appointment, 0)?;
    outbox.notifier.mailer().send(message).await
}

mod html;
