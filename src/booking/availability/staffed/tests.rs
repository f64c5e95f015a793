//! Practitioners' calendars by example: their own hours, capacity and caps,
//! the shared spans of no practitioner, "anyone" and whom a time goes to.

use super::super::tests::{date, eve, labels, service, utc};
use super::super::{busy_span, Empty};
use super::*;
use crate::config::tests::settings;

const MONDAY: &str = "2026-06-01";

/// Berlin, no notice, Monday 09:00-12:00; anna 09:00-10:00 on Mondays, ben
/// with the practice's hours, plus `extra` (more keys of ben's table).
fn practice(extra: &str) -> BookingConfig {
    let toml = format!(
        "[booking]\nmin_notice_minutes = 0\n[booking.hours]\nmon = [\"09:00-12:00\"]\n\
         [[booking.services]]\nid = \"s\"\nname = \"S\"\nduration_minutes = 60\n\
         [[booking.practitioners]]\nid = \"anna\"\nname = \"Anna\"\n\
         [booking.practitioners.hours]\nmon = [\"09:00-10:00\"]\n\
         [[booking.practitioners]]\nid = \"ben\"\nname = \"Ben\"\n{extra}\n"
    );
    settings(&toml).expect("valid [booking]").booking
}

fn monday(c: &BookingConfig, whom: Whom<'_>, taken: &Staffed) -> Day {
    day(c, whom, c.service("s").expect("s"), date(MONDAY), eve(MONDAY), taken)
}

fn named<'a>(c: &'a BookingConfig, id: &str) -> Whom<'a> {
    Whom::Named(c.practitioner(id).expect("configured"))
}

#[test]
fn each_practitioner_offers_their_own_hours_and_anyone_the_union() {
    let c = practice("");
    assert_eq!(labels(&monday(&c, named(&c, "anna"), &Staffed::default()).slots), ["09:00"]);
    assert_eq!(
        labels(&monday(&c, named(&c, "ben"), &Staffed::default()).slots),
        ["09:00", "09:30", "10:00", "10:30", "11:00"]
    );
    assert_eq!(labels(&monday(&c, Whom::Anyone, &Staffed::default()).slots).len(), 5);
}

#[test]
fn own_spans_block_only_their_practitioner_and_shared_spans_block_everyone() {
    let c = practice("");
    let at_nine = busy_span(&service(60, 0), utc("2026-06-01T07:00:00Z"));
    let anna_busy = Staffed { own: [("anna".to_string(), vec![at_nine])].into(), ..Staffed::default() };
    assert!(monday(&c, named(&c, "anna"), &anna_busy).slots.is_empty());
    assert_eq!(monday(&c, named(&c, "anna"), &anna_busy).empty, Some(Empty::Full));
    assert_eq!(labels(&monday(&c, named(&c, "ben"), &anna_busy).slots)[0], "09:00");
    let shared = Staffed { shared: vec![at_nine], ..Staffed::default() };
    assert!(monday(&c, named(&c, "anna"), &shared).slots.is_empty());
    assert_eq!(labels(&monday(&c, named(&c, "ben"), &shared).slots)[0], "10:00", "a booking of nobody blocks ben too");
}

#[test]
fn a_practitioner_s_capacity_and_daily_cap_are_their_own() {
    let c = practice("capacity = 2\nmax_per_day = 1");
    let at_nine = busy_span(&service(60, 0), utc("2026-06-01T07:00:00Z"));
    let one = Staffed { own: [("ben".to_string(), vec![at_nine])].into(), ..Staffed::default() };
    assert_eq!(labels(&monday(&c, named(&c, "ben"), &one).slots)[0], "09:00", "capacity 2 takes a second");
    let mut capped = one.clone();
    capped.by.add(date(MONDAY), "ben", 1);
    assert_eq!(monday(&c, named(&c, "ben"), &capped).empty, Some(Empty::Full));
    assert_eq!(labels(&monday(&c, named(&c, "anna"), &capped).slots), ["09:00"], "anna's day is not capped");
}

#[test]
fn anyone_goes_to_the_free_practitioner_with_fewest_starts_ties_in_configuration_order() {
    let c = practice("");
    let s = c.service("s").expect("s");
    let nine = (utc("2026-06-01T07:00:00Z"), eve(MONDAY));
    let chosen = |taken: &Staffed, current| choose(&c, Whom::Anyone, current, s, nine, taken).map(|p| p.id.as_str());
    assert_eq!(chosen(&Staffed::default(), None), Some("anna"), "a tie: the first configured");
    let mut busier = Staffed::default();
    busier.by.add(date(MONDAY), "anna", 2);
    assert_eq!(chosen(&busier, None), Some("ben"));
    assert_eq!(chosen(&busier, Some("anna")), Some("anna"), "a move stays with its free practitioner");
    let anna_busy = Staffed { own: [("anna".to_string(), vec![busy_span(s, nine.0)])].into(), ..Staffed::default() };
    assert_eq!(chosen(&anna_busy, Some("anna")), Some("ben"));
    let ten = (utc("2026-06-01T08:00:00Z"), eve(MONDAY));
    assert_eq!(choose(&c, Whom::Anyone, None, s, ten, &Staffed::default()).map(|p| p.id.as_str()), Some("ben"));
    assert_eq!(choose(&c, named(&c, "anna"), None, s, ten, &Staffed::default()), None, "outside her hours");
}

#[test]
fn a_service_a_practitioner_does_not_offer_is_closed_for_them() {
    let c = practice("services = []");
    assert_eq!(monday(&c, named(&c, "ben"), &Staffed::default()).empty, Some(Empty::Closed));
    assert_eq!(labels(&monday(&c, Whom::Anyone, &Staffed::default()).slots), ["09:00"], "anyone is anna alone");
}
