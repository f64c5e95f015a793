//! The staff calendar feed (SPEC §7): `GET /staff/calendar.ics?token=` with
//! `staff.feed_token` set serves the bookings from 30 days ago to the end of
//! the horizon as one iCalendar file, each event with the same `UID` (and
//! `SEQUENCE`) as the visitor's `.ics`, cancelled ones as
//! `STATUS:CANCELLED`. A wrong, missing or unset token answers `404`.

use chrono::Duration;
use icalendar::{Calendar, Component, Event, EventLike, EventStatus};
use rocket::http::{ContentType, Header, Status};
use rocket::response::Responder;
use subtle::ConstantTimeEq;

use crate::booking::availability;
use crate::booking::service::Bookings;
use crate::booking::store::Booking;
use crate::config::Settings;
use crate::web::Error;

/// The feed as served: `text/calendar`, never cached by a proxy.
#[derive(Responder)]
struct Feed {
    body: String,
    cache: Header<'static>,
}

/// Whether `given` is the configured feed token (constant time).
fn authorised(settings: &Settings, given: Option<&str>) -> bool {
    match (settings.staff.feed_token.as_deref(), given) {
        (Some(expected), Some(given)) => bool::from(expected.as_bytes().ct_eq(given.as_bytes())),
        _ => false,
    }
}

/// `GET /staff/calendar.ics?token=[&practitioner=]`: with a practitioner,
/// only their bookings (an id neither configured nor booked answers `404`).
#[rocket::get("/staff/calendar.ics?<token>&<practitioner>")]
async fn calendar(
    settings: &rocket::State<Settings>,
    bookings: Bookings<'_>,
    token: Option<&str>,
    practitioner: Option<&str>,
) -> Result<(ContentType, Feed), Error> {
    if !authorised(settings, token) || !known(&bookings, practitioner).await? {
        return Err(Status::NotFound.into());
    }
    let config = &settings.booking;
    let now = bookings.now();
    let (_, last_day) = availability::horizon(config, now);
    let to = availability::day_bounds(config.tz(), last_day).1;
    let mut bookings = bookings.between(now - Duration::days(30), to).await?;
    bookings.retain(|b| practitioner.is_none_or(|id| b.practitioner_id.as_deref() == Some(id)));
    let mut feed = Calendar::new();
    feed.name(&settings.practice.name);
    for booking in &bookings {
        let service = config.service(&booking.service_id).map_or(booking.service_id.as_str(), |s| s.name.as_str());
        let (summary, mut description) = texts(service, booking);
        if let Some(name) = config.practitioner_name(booking.practitioner_id.as_deref()) {
            description = format!("{description} · {name}");
        }
        let mut event = Event::new();
        event
            .uid(&format!("{}@slotwise", booking.reference))
            .sequence(sequence(booking))
            .summary(&summary)
            .description(&description)
            .starts(booking.starts_at)
            .ends(booking.ends_at)
            .status(if booking.cancelled { EventStatus::Cancelled } else { EventStatus::Confirmed });
        feed.push(event.done());
    }
    let body = feed.done().to_string();
    Ok((ContentType::new("text", "calendar"), Feed { body, cache: Header::new("Cache-Control", "no-store") }))
}

/// Whether the feed may be limited to `practitioner` (none: the whole feed).
async fn known(bookings: &Bookings<'_>, practitioner: Option<&str>) -> Result<bool, Error> {
    match practitioner {
        None => Ok(true),
        Some(id) => Ok(bookings.knows(id).await?),
    }
}

/// The event's `SUMMARY` and `DESCRIPTION`: the service and who booked it,
/// the reference and the contacts; "(details erased)" once they are.
fn texts(service: &str, booking: &Booking) -> (String, String) {
    if booking.name.is_empty() && booking.email.is_empty() {
        return (format!("{service}: (details erased)"), format!("{} · (details erased)", booking.reference));
    }
    let contacts: Vec<&str> =
        [booking.email.as_str(), booking.phone.as_str()].into_iter().filter(|c| !c.is_empty()).collect();
    (
        format!("{service}: {}", booking.name),
        [booking.reference.as_str()].into_iter().chain(contacts).collect::<Vec<_>>().join(" · "),
    )
}

/// The `SEQUENCE` of the visitor's latest `.ics` of `booking`: its moves,
/// and one more once cancelled (the cancellation's own revision).
fn sequence(booking: &Booking) -> u32 {
    let moves = u32::try_from(booking.sequence).unwrap_or(0);
    if booking.cancelled {
        moves + 1
    } else {
        moves
    }
}

/// The feed's route.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![calendar]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::settings;

    #[test]
    fn only_the_configured_token_opens_the_feed() {
        let open = settings("[staff]\nfeed_token = \"0123456789abcdef\"").expect("valid");
        assert!(authorised(&open, Some("0123456789abcdef")));
        assert!(!authorised(&open, Some("0123456789abcdeF")));
        assert!(!authorised(&open, None));
        let closed = settings("").expect("defaults");
        assert!(!authorised(&closed, Some("")));
        assert_eq!(settings("[staff]\nfeed_token = \"short\"").expect_err("short").key, "staff.feed_token");
    }
}
