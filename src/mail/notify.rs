//! The one place that sends each kind of email. [`Notifier`] fills a kind's
//! template context, renders it (see `templates.rs`), addresses and composes
//! the message, sends it through the [`Mailer`] and logs a failure once.
//!
//! Adding a kind (say `reminder`): a folder `templates/mail/reminder/` with
//! its three parts, a function that builds its `Email` (as `code_email`
//! does), a line in `samples` so the launch renders it once, and a public
//! method on [`Notifier`] that sends it.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use lettre::Message;

mod calendar;

use calendar::{calendar, Organizer, Revision};

use super::templates::{Context, Rendered, Templates};
use super::{compose, mailbox, Attachment, MailError, Mailer};
use crate::config::PracticeConfig;
use crate::i18n::{self, format_when, format_when_short, Zones};

/// Who an email goes to.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    /// The display name; may be empty.
    pub name: &'a str,
    /// The address.
    pub email: &'a str,
    /// The language to write in, one of `i18n.languages` (another falls back
    /// to English).
    pub lang: &'a str,
}

/// What an email says about the appointment.
#[derive(Debug, Clone, Copy)]
pub struct Appointment<'a> {
    /// Service name.
    pub service: &'a str,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End of the appointment (without buffer).
    pub ends_at: DateTime<Utc>,
    /// The practice's zone.
    pub tz: Tz,
    /// The visitor's own zone, when not the practice's: times give theirs too.
    pub visitor: Option<Tz>,
    /// (rev 3) The practitioner's name, with practitioners.
    pub practitioner: Option<&'a str>,
}

impl Appointment<'_> {
    /// The zones its times are given in.
    fn zones(&self) -> Zones {
        Zones::new(self.tz, self.visitor)
    }
}

/// One email before rendering: which templates, the context they get, and
/// an attachment. Every context has `lang` and `name` (the recipient's).
struct Email {
    /// The folder under `templates/mail/`, also named in the log.
    kind: &'static str,
    /// The language actually written in.
    lang: String,
    /// The booking it is about, for the log.
    reference: Option<String>,
    context: Context,
    attachment: Option<Attachment>,
}

impl Email {
    fn new(kind: &'static str, to: &Recipient<'_>, reference: Option<&str>) -> Email {
        // NOTE: the language written in is one with a catalog (`t()` would
        // fall back to English anyway; the log and the .ics say which).
        let lang = if i18n::has_catalog(to.lang) { to.lang } else { "en" };
        let mut context = Context::new();
        context.insert("lang".into(), lang.into());
        context.insert("name".into(), to.name.into());
        if let Some(reference) = reference {
            context.insert("reference".into(), reference.into());
        }
        Email { kind, lang: lang.to_string(), reference: reference.map(str::to_string), context, attachment: None }
    }

    fn with(mut self, key: &str, value: &str) -> Email {
        self.context.insert(key.into(), value.into());
        self
    }

    /// `practitioner`: the appointment's practitioner, when it has one.
    fn naming(self, appointment: &Appointment<'_>) -> Email {
        match appointment.practitioner {
            Some(name) => self.with("practitioner", name),
            None => self,
        }
    }
}

/// The code email: `code`, `minutes`, `service` and `when` (without the
/// year, so the code is the only run of digits of its length).
fn code_email(to: &Recipient<'_>, code: &str, ttl_minutes: u64, appointment: &Appointment<'_>) -> Email {
    let email = Email::new("code", to, None);
    let when = format_when_short(&email.lang, appointment.zones(), appointment.starts_at);
    email
        .with("code", code)
        .with("minutes", &ttl_minutes.to_string())
        .with("service", appointment.service)
        .with("when", &when)
}

/// The confirmation: `reference`, `service`, `when`, `manage_url`, and the
/// appointment as an `.ics`.
fn confirmation_email(
    to: &Recipient<'_>,
    reference: &str,
    appointment: &Appointment<'_>,
    manage_url: &str,
    organizer: &Organizer<'_>,
) -> Email {
    let mut email = Email::new("confirmation", to, Some(reference));
    let when = format_when(&email.lang, appointment.zones(), appointment.starts_at);
    email.attachment = Some(calendar(&email.lang, reference, appointment, Revision::Published(0), organizer));
    email.naming(appointment).with("service", appointment.service).with("when", &when).with("manage_url", manage_url)
}

/// The cancellation notice: `reference`, `service`, `when`, and an `.ics`
/// that cancels the event (`sequence`: its moves so far).
fn cancellation_email(
    to: &Recipient<'_>,
    reference: &str,
    appointment: &Appointment<'_>,
    sequence: u32,
    organizer: &Organizer<'_>,
) -> Email {
    let mut email = Email::new("cancellation", to, Some(reference));
    let when = format_when(&email.lang, appointment.zones(), appointment.starts_at);
    email.attachment =
        Some(calendar(&email.lang, reference, appointment, Revision::Cancelled(sequence + 1), organizer));
    email.naming(appointment).with("service", appointment.service).with("when", &when)
}

/// The notice that a booking moved: `reference`, `service`, `old_when`,
/// `when`, `manage_url`, and the event's new revision as an `.ics`.
fn moved_email(
    to: &Recipient<'_>,
    reference: &str,
    (old, new): (&Appointment<'_>, &Appointment<'_>),
    manage_url: &str,
    (sequence, organizer): (u32, &Organizer<'_>),
) -> Email {
    let mut email = Email::new("moved", to, Some(reference));
    let old_when = format_when(&email.lang, old.zones(), old.starts_at);
    let when = format_when(&email.lang, new.zones(), new.starts_at);
    email.attachment = Some(calendar(&email.lang, reference, new, Revision::Published(sequence), organizer));
    email
        .naming(new)
        .with("service", new.service)
        .with("old_when", &old_when)
        .with("when", &when)
        .with("manage_url", manage_url)
}

/// The reminder: `reference`, `service`, `when`, `manage_url`.
fn reminder_email(to: &Recipient<'_>, reference: &str, appointment: &Appointment<'_>, manage_url: &str) -> Email {
    let email = Email::new("reminder", to, Some(reference));
    let when = format_when(&email.lang, appointment.zones(), appointment.starts_at);
    email.naming(appointment).with("service", appointment.service).with("when", &when).with("manage_url", manage_url)
}

/// One email of every kind with made-up values: their templates must exist,
/// and each is rendered once at launch.
fn samples() -> Vec<Email> {
    let to = Recipient { name: "Sample", email: "sample@example.test", lang: "en" };
    let at = DateTime::UNIX_EPOCH;
    let appointment = Appointment {
        service: "Sample",
        starts_at: at,
        ends_at: at,
        tz: Tz::UTC,
        visitor: Some(Tz::Asia__Tokyo),
        practitioner: Some("Sample"),
    };
    let organizer = Organizer { name: "Sample", email: "sample@example.test", location: Some("Sample Street 1") };
    vec![
        code_email(&to, "000000", 10, &appointment),
        confirmation_email(&to, "SAMP-LE00", &appointment, "http://example.test/booking", &organizer),
        cancellation_email(&to, "SAMP-LE00", &appointment, 0, &organizer),
        moved_email(&to, "SAMP-LE00", (&appointment, &appointment), "http://example.test/booking", (1, &organizer)),
        reminder_email(&to, "SAMP-LE00", &appointment, "http://example.test/booking"),
    ]
}

/// Sends Slotwise's emails. Lives in managed state next to the [`Mailer`]
/// (see [`stage`](super::stage)); cloning is cheap (two reference counts).
#[derive(Clone)]
pub struct Notifier {
    mailer: Mailer,
    templates: Templates,
    /// Who the emails come from (SPEC §1a): subject, signature, `Reply-To`,
    /// the `.ics` `ORGANIZER` and `LOCATION`.
    practice: Arc<PracticeConfig>,
}

impl Notifier {
    /// Loads the templates of every kind from `<template_dir>/mail/` and
    /// renders each kind once with made-up values, so that a missing or broken
    /// template stops the launch rather than a visitor's booking.
    pub fn new(mailer: Mailer, template_dir: &Path, practice: &PracticeConfig) -> Result<Notifier, MailError> {
        let samples = samples();
        let kinds: Vec<&str> = samples.iter().map(|email| email.kind).collect();
        let templates = Templates::load(template_dir, &kinds)?;
        let notifier = Notifier { mailer, templates, practice: Arc::new(practice.clone()) };
        for email in samples {
            let mut context = email.context;
            notifier.sign(email.kind, &mut context);
            notifier.templates.render(email.kind, &context)?;
        }
        Ok(notifier)
    }

    /// Puts the practice in `context`: all of it, but for the code email
    /// only its name (its code stays the email's only run of digits).
    fn sign(&self, kind: &str, context: &mut Context) {
        if kind == "code" {
            context.insert("practice".into(), serde_json::json!({ "name": self.practice.name }));
        } else {
            context.insert("practice".into(), serde_json::to_value(&*self.practice).unwrap_or_default());
        }
    }

    /// Sends the one-time `code`, valid for `ttl_minutes`, for `appointment`.
    pub async fn code(
        &self,
        to: &Recipient<'_>,
        code: &str,
        ttl_minutes: u64,
        appointment: &Appointment<'_>,
    ) -> Result<(), MailError> {
        self.send(to, code_email(to, code, ttl_minutes, appointment)).await
    }

    /// The confirmation of booking `reference` as a message, for the outbox.
    pub fn confirmation_message(
        &self,
        to: &Recipient<'_>,
        reference: &str,
        appointment: &Appointment<'_>,
        manage_url: &str,
    ) -> Result<Message, MailError> {
        self.message(to, confirmation_email(to, reference, appointment, manage_url, &self.organizer()))
    }

    /// The cancellation notice of booking `reference` (moved `sequence`
    /// times) as a message, for the outbox.
    pub fn cancellation_message(
        &self,
        to: &Recipient<'_>,
        reference: &str,
        appointment: &Appointment<'_>,
        sequence: u32,
    ) -> Result<Message, MailError> {
        self.message(to, cancellation_email(to, reference, appointment, sequence, &self.organizer()))
    }

    /// The notice that booking `reference` moved from `old` to `new` (its
    /// `sequence`-th move), as a message for the outbox.
    pub fn moved_message(
        &self,
        to: &Recipient<'_>,
        reference: &str,
        (old, new): (&Appointment<'_>, &Appointment<'_>),
        manage_url: &str,
        sequence: u32,
    ) -> Result<Message, MailError> {
        self.message(to, moved_email(to, reference, (old, new), manage_url, (sequence, &self.organizer())))
    }

    /// A reminder of booking `reference` as a message, for the outbox.
    pub fn reminder_message(
        &self,
        to: &Recipient<'_>,
        reference: &str,
        appointment: &Appointment<'_>,
        manage_url: &str,
    ) -> Result<Message, MailError> {
        self.message(to, reminder_email(to, reference, appointment, manage_url))
    }

    /// The practice as the `.ics` names it: its address, or the sender's
    /// when it has none.
    fn organizer(&self) -> Organizer<'_> {
        let email = self.practice.email.as_deref();
        Organizer {
            name: &self.practice.name,
            email: email.unwrap_or_else(|| self.mailer.from_address()),
            location: self.practice.address.as_deref(),
        }
    }

    /// The mailer behind this notifier.
    pub fn mailer(&self) -> &Mailer {
        &self.mailer
    }

    /// Renders, composes and sends `email`; a failure is logged here, once,
    /// with the kind and the booking reference (never the context: it may
    /// hold a code).
    async fn send(&self, to: &Recipient<'_>, email: Email) -> Result<(), MailError> {
        let (kind, reference) = (email.kind, email.reference.clone());
        let sent = match self.message(to, email) {
            Ok(message) => self.mailer.send(message).await,
            Err(e) => Err(e),
        };
        if let Err(e) = &sent {
            match reference {
                Some(reference) => rocket::error!("{kind} email for {reference} failed: {e}"),
                None => rocket::error!("{kind} email failed: {e}"),
            }
        }
        sent
    }

    /// `email` rendered and composed for `to`, replies going to the
    /// practice's address when it has one.
    fn message(&self, to: &Recipient<'_>, mut email: Email) -> Result<Message, MailError> {
        self.sign(email.kind, &mut email.context);
        let Rendered { subject, text, html } = self.templates.render(email.kind, &email.context)?;
        let reply_to =
            self.practice.email.as_deref().map(|address| mailbox(&self.practice.name, address)).transpose()?;
        let parts = (text, html, email.attachment);
        compose(self.mailer.from_mailbox(), &mailbox(to.name, to.email)?, reply_to.as_ref(), &subject, parts)
    }
}

#[cfg(test)]
mod tests;
