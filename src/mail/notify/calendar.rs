//! The appointment as an iCalendar attachment (`.ics`): who organizes it and
//! which revision of the event it carries.

use fluent_templates::fluent_bundle::FluentValue;
use icalendar::{Calendar, Component, Event, EventLike};

use super::Appointment;
use crate::i18n::{t, t_args};
use crate::mail::Attachment;

/// Who organizes the appointment, as its `.ics` says: the practice's name,
/// its address (or the sender's) and where the appointment takes place.
pub(super) struct Organizer<'a> {
    pub(super) name: &'a str,
    pub(super) email: &'a str,
    pub(super) location: Option<&'a str>,
}

/// Which revision of the event a calendar file carries.
#[derive(Debug, Clone, Copy)]
pub(super) enum Revision {
    /// The event as booked or moved, with its `SEQUENCE`.
    Published(u32),
    /// The event cancelled (`METHOD:CANCEL`), with its `SEQUENCE`.
    Cancelled(u32),
}

/// The appointment as an iCalendar file: UID `<reference>@slotwise` (the same
/// in every file about the booking), times in UTC, the end without buffer,
/// and no link (the email carries it).
pub(super) fn calendar(
    lang: &str,
    reference: &str,
    appointment: &Appointment<'_>,
    revision: Revision,
    organizer: &Organizer<'_>,
) -> Attachment {
    let mut description =
        t_args(lang, "mail-confirm-reference", &[("reference", FluentValue::from(reference.to_string()))]);
    if let Some(name) = appointment.practitioner {
        description += "\n";
        description += &t_args(lang, "mail-practitioner", &[("practitioner", FluentValue::from(name.to_string()))]);
    }
    let (sequence, method) = match revision {
        Revision::Published(n) => (n, "PUBLISH"),
        Revision::Cancelled(n) => (n, "CANCEL"),
    };
    let mut event = Event::new();
    event
        .uid(&format!("{reference}@slotwise"))
        .sequence(sequence)
        .summary(appointment.service)
        .description(&description)
        .starts(appointment.starts_at)
        .ends(appointment.ends_at);
    let mut organized = icalendar::Property::new("ORGANIZER", format!("mailto:{}", organizer.email));
    organized.add_parameter("CN", organizer.name);
    event.append_property(organized);
    if let Some(location) = organizer.location {
        event.location(location);
    }
    if matches!(revision, Revision::Cancelled(_)) {
        event.status(icalendar::EventStatus::Cancelled);
    }
    let mut calendar = Calendar::new();
    calendar.append_property(("METHOD", method)).push(event.done());
    Attachment {
        filename: t(lang, "mail-ics-filename"),
        content_type: format!("text/calendar; method={method}; charset=utf-8"),
        body: calendar.done().to_string(),
    }
}
