//! The emails Slotwise sends, in the visitor's language: the code, the
//! booking confirmation (with an `.ics`) and the cancellation notice.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use fluent_templates::fluent_bundle::FluentValue;
use icalendar::{Calendar, Component, Event, EventLike};
use lettre::message::Mailbox;
use lettre::Message;

use super::{compose, Attachment, MailError};
use crate::i18n::{format_datetime, format_datetime_short, t, t_args};

/// Escapes text for HTML.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html(lang: &str, paragraphs: &[String]) -> String {
    let body: String =
        paragraphs.iter().map(|p| format!("<p>{}</p>\n", escape_html(p).replace('\n', "<br>"))).collect();
    format!("<!doctype html>\n<html lang=\"{lang}\"><body style=\"font-family:sans-serif\">\n{body}</body></html>\n")
}

/// What an email says about the appointment.
pub struct Appointment<'a> {
    /// Service name.
    pub service: &'a str,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End of the appointment (without buffer).
    pub ends_at: DateTime<Utc>,
    /// The practice's zone.
    pub tz: Tz,
}

/// The code email. The code stands alone on its own line and is the only
/// run of digits of its length (the date carries no year).
pub fn code_email(
    from: &Mailbox,
    to: &Mailbox,
    lang: &str,
    code: &str,
    ttl_minutes: u64,
    appointment: &Appointment<'_>,
) -> Result<Message, MailError> {
    let when = format_datetime_short(lang, appointment.tz, appointment.starts_at);
    let paragraphs = vec![
        t(lang, "mail-code-intro"),
        code.to_string(),
        t_args(lang, "mail-code-validity", &[("minutes", FluentValue::from(ttl_minutes.to_string()))]),
        t_args(
            lang,
            "mail-code-booking",
            &[("service", FluentValue::from(appointment.service.to_string())), ("when", FluentValue::from(when))],
        ),
        t(lang, "mail-code-ignore"),
    ];
    let text = paragraphs.join("\n\n") + "\n";
    compose(from, to, &t(lang, "mail-code-subject"), text, html(lang, &paragraphs), None)
}

/// The confirmation email with the cancellation link and an `.ics`.
pub fn confirmation_email(
    from: &Mailbox,
    to: &Mailbox,
    lang: &str,
    reference: &str,
    appointment: &Appointment<'_>,
    cancel_url: &str,
) -> Result<Message, MailError> {
    let when = format_datetime(lang, appointment.tz, appointment.starts_at);
    let args = |extra: &[(&'static str, String)]| -> Vec<(&'static str, FluentValue<'static>)> {
        extra.iter().map(|(k, v)| (*k, FluentValue::from(v.clone()))).collect()
    };
    let paragraphs = vec![
        t(lang, "mail-confirm-intro"),
        t_args(lang, "mail-confirm-reference", &args(&[("reference", reference.to_string())])),
        t_args(
            lang,
            "mail-confirm-what",
            &args(&[("service", appointment.service.to_string()), ("when", when.clone())]),
        ),
        t_args(lang, "mail-confirm-cancel", &args(&[("url", cancel_url.to_string())])),
    ];
    let text = paragraphs.join("\n\n") + "\n";
    let event = Event::new()
        .uid(&format!("{reference}@slotwise"))
        .summary(appointment.service)
        .description(&t_args(lang, "mail-confirm-reference", &args(&[("reference", reference.to_string())])))
        .starts(appointment.starts_at)
        .ends(appointment.ends_at)
        .done();
    let calendar = Calendar::new().push(event).done();
    let attachment = Attachment {
        filename: t(lang, "mail-ics-filename"),
        content_type: "text/calendar; method=PUBLISH; charset=utf-8".into(),
        body: calendar.to_string(),
    };
    let subject = t_args(lang, "mail-confirm-subject", &args(&[("reference", reference.to_string())]));
    compose(from, to, &subject, text, html(lang, &paragraphs), Some(attachment))
}

/// The notice that a booking was cancelled.
pub fn cancellation_email(
    from: &Mailbox,
    to: &Mailbox,
    lang: &str,
    reference: &str,
    appointment: &Appointment<'_>,
) -> Result<Message, MailError> {
    let when = format_datetime(lang, appointment.tz, appointment.starts_at);
    let paragraphs = vec![t_args(
        lang,
        "mail-cancel-body",
        &[
            ("reference", FluentValue::from(reference.to_string())),
            ("service", FluentValue::from(appointment.service.to_string())),
            ("when", FluentValue::from(when)),
        ],
    )];
    let text = paragraphs.join("\n\n") + "\n";
    let subject = t_args(lang, "mail-cancel-subject", &[("reference", FluentValue::from(reference.to_string()))]);
    compose(from, to, &subject, text, html(lang, &paragraphs), None)
}
