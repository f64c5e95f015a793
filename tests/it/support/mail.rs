//! Reading the emails the app sent, through `mail-parser`: a file in the file
//! transport's outbox or a message the SMTP sink received becomes a [`Mail`]
//! with its headers, its text and HTML bodies and its attachments decoded
//! (quoted-printable, base64, encoded words), so tests assert on what a
//! reader sees, not on how it was encoded.
//!
//! Shared with the benchmark driver (`examples/bench`, which includes this
//! file with `#[path]` to read codes): it depends on nothing else in
//! `tests/it/support`.

use std::fmt;
use std::path::Path;

use mail_parser::{Address, ContentType, MessageParser, MimeHeaders, PartType};

/// One address of a `From` or `To` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// The display name, if any.
    pub name: Option<String>,
    /// The address, e.g. `ann@example.test`.
    pub address: String,
}

impl fmt::Display for Mailbox {
    /// `Name <address>`, or the bare address.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{name} <{}>", self.address),
            None => f.write_str(&self.address),
        }
    }
}

/// One attachment, decoded.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// Its file name (`Content-Disposition` filename or `Content-Type` name).
    pub filename: String,
    /// Its content type with parameters, as [`content_type`] renders it.
    pub content_type: String,
    /// Its decoded content as text (lossy for binary content).
    pub body: String,
}

/// One parsed email.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The decoded `Subject`.
    pub subject: String,
    /// The `Message-ID`, without angle brackets.
    pub message_id: String,
    /// The `From` header's mailboxes.
    pub from: Vec<Mailbox>,
    /// The `To` header's mailboxes.
    pub to: Vec<Mailbox>,
    /// Every MIME part's content type in document order, the message itself
    /// first, as [`content_type`] renders them.
    pub content_types: Vec<String>,
    /// The first plain-text body, decoded (empty when there is none).
    pub text: String,
    /// The first HTML body, decoded (empty when there is none).
    pub html: String,
    /// The attachments, in order.
    pub attachments: Vec<Attachment>,
}

impl Mail {
    /// Parses an RFC 5322 message; panics if it is not one (tests).
    pub fn parse(raw: impl AsRef<[u8]>) -> Mail {
        Mail::try_parse(raw).expect("an RFC 5322 message")
    }

    /// Parses an RFC 5322 message; `None` if it has no headers at all.
    pub fn try_parse(raw: impl AsRef<[u8]>) -> Option<Mail> {
        let message = MessageParser::default().parse(raw.as_ref())?;
        let mailboxes = |address: Option<&Address<'_>>| -> Vec<Mailbox> {
            address.map_or_else(Vec::new, |a| {
                a.iter()
                    .map(|m| Mailbox {
                        name: m.name().map(str::to_string),
                        address: m.address().unwrap_or_default().to_string(),
                    })
                    .collect()
            })
        };
        // NOTE: the parts themselves, not `body_text`/`body_html`, which
        // convert the HTML body to text (or back) when one is missing.
        let first = |ids: &[u32], html: bool| {
            let mut parts = ids.iter().filter_map(|&at| message.parts.get(at as usize));
            let body = parts.find_map(|part| match (&part.body, html) {
                (PartType::Text(body), false) | (PartType::Html(body), true) => Some(body.to_string()),
                _ => None,
            });
            body.unwrap_or_default()
        };
        let attachments = message
            .attachments()
            .map(|part| Attachment {
                filename: part.attachment_name().unwrap_or_default().to_string(),
                content_type: part.content_type().map(content_type).unwrap_or_default(),
                body: part.text_contents().map_or_else(|| String::from_utf8_lossy(part.contents()).into(), Into::into),
            })
            .collect();
        Some(Mail {
            subject: message.subject().unwrap_or_default().to_string(),
            message_id: message.message_id().unwrap_or_default().to_string(),
            from: mailboxes(message.from()),
            to: mailboxes(message.to()),
            content_types: message
                .parts
                .iter()
                .map(|p| p.content_type().map(content_type).unwrap_or_default())
                .collect(),
            text: first(&message.text_body, false),
            html: first(&message.html_body, true),
            attachments,
        })
    }

    /// Whether `address` is in the `To` header (without regard to case).
    pub fn is_to(&self, address: &str) -> bool {
        self.to.iter().any(|to| to.address.eq_ignore_ascii_case(address))
    }

    /// The attachment whose file name ends in `suffix`, e.g. `.ics`.
    pub fn attachment(&self, suffix: &str) -> Option<&Attachment> {
        self.attachments.iter().find(|a| a.filename.ends_with(suffix))
    }

    /// Everything a reader sees: subject, text and HTML bodies and the
    /// attachments' contents, decoded, one after the other.
    pub fn everything(&self) -> String {
        let mut all = vec![self.subject.as_str(), self.text.as_str(), self.html.as_str()];
        all.extend(self.attachments.iter().map(|a| a.body.as_str()));
        all.join("\n")
    }

    /// The one-time code in the text body (see [`code_in`]).
    pub fn code(&self) -> Option<String> {
        code_in(&self.text)
    }
}

/// `type/subtype; name=value; …` of a content type, without the `boundary`
/// of multipart types.
pub fn content_type(ct: &ContentType<'_>) -> String {
    let mut out = match ct.subtype() {
        Some(subtype) => format!("{}/{subtype}", ct.ctype()),
        None => ct.ctype().to_string(),
    };
    for attribute in ct.attributes().unwrap_or_default() {
        if !attribute.name.eq_ignore_ascii_case("boundary") {
            out.push_str(&format!("; {}={}", attribute.name, attribute.value));
        }
    }
    out
}

/// Every message the file transport wrote to `dir`, oldest first.
pub fn read_outbox(dir: &Path) -> Vec<Mail> {
    let mut files: Vec<_> =
        std::fs::read_dir(dir).map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect()).unwrap_or_default();
    files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    // NOTE: the app's sender may be writing a file right now: one that does
    // not parse yet is left for the next read.
    files.iter().filter_map(|p| std::fs::read(p).ok()).filter_map(Mail::try_parse).collect()
}

/// The outbox once it holds a message that `wanted` accepts (the stored
/// emails — confirmation, cancellation — go out from the app's sender
/// moments after the answer); panics after ten seconds.
pub async fn wait_for_mail(dir: &Path, wanted: impl Fn(&Mail) -> bool) -> Vec<Mail> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let mails = read_outbox(dir);
        if mails.iter().any(&wanted) {
            return mails;
        }
        assert!(std::time::Instant::now() < deadline, "the awaited email never arrived; have {}", mails.len());
        // NOTE: waits for the app's background task (a real task); the clock is not involved.
        rocket::tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The code of the newest email to `address` that carries one: other
/// visitors' emails (confirmations the sender writes meanwhile) may be
/// newer in a shared outbox.
pub fn code_sent_to(dir: &Path, address: &str) -> String {
    let mails = read_outbox(dir);
    let mut codes = mails.iter().rev().filter(|m| m.is_to(address)).filter_map(|m| code_in(&m.text));
    codes.next().unwrap_or_else(|| panic!("no code email to {address} among {} emails", mails.len()))
}

/// The code in an email body: its only standalone run of six digits (the
/// last one, should there be several).
pub fn code_in(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let before = start.checked_sub(1).map(|j| bytes[j]);
            if i - start == 6
                && !before.is_some_and(|b| b.is_ascii_alphanumeric())
                && !bytes.get(i).is_some_and(|b| b.is_ascii_alphanumeric())
            {
                found.push(text[start..i].to_string());
            }
        } else {
            i += 1;
        }
    }
    found.dedup();
    found.pop()
}
