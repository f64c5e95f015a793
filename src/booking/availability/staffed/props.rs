//! Property tests of practitioners' calendars, on the random practices of
//! `availability/props.rs` with two random practitioners added: their own
//! weekly hours or not, their own date overrides, capacity, daily cap and
//! services, against random spans of theirs and of no practitioner.
//!
//! As there, the checks follow the rules (SPEC §2e), not the code: a
//! practitioner's ranges on a date are their own override, else the
//! practice's, else their own week, else the practice's.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, Timelike};
use proptest::prelude::*;

use super::super::props::{at, calendar, first_at_or_after, model, ranges, wall, Model, Ranges};
use super::super::{day_bounds, Busy, DayCounts, Empty, Slot};
use super::*;
use crate::config::tests::settings;

/// One random practitioner.
#[derive(Debug, Clone)]
struct Person {
    week: Option<Vec<Ranges>>,
    singles: BTreeMap<NaiveDate, Ranges>,
    capacity: u32,
    cap: u32,
    /// Which of the model's services they offer (`None`: all).
    offers: Option<Vec<bool>>,
}

impl Person {
    /// Their ranges on `date`, from the rules.
    fn ranges<'a>(&'a self, model: &'a Model, date: NaiveDate) -> &'a Ranges {
        if let Some(ranges) = self.singles.get(&date) {
            return ranges;
        }
        let practice_override = model.singles.contains_key(&date)
            || model.spans.iter().any(|(first, last, _)| *first <= date && date <= *last);
        match &self.week {
            Some(week) if !practice_override => &week[date.weekday().num_days_from_monday() as usize],
            _ => model.ranges(date),
        }
    }

    fn toml(&self, i: usize, services: usize) -> String {
        let list = |r: &Ranges| {
            let hm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
            let items: Vec<String> = r.iter().map(|(a, b)| format!("\"{}-{}\"", hm(*a), hm(*b))).collect();
            format!("[{}]", items.join(", "))
        };
        let mut toml = format!(
            "[[booking.practitioners]]\nid = \"p{i}\"\nname = \"P{i}\"\ncapacity = {}\nmax_per_day = {}\n",
            self.capacity, self.cap
        );
        if let Some(offers) = &self.offers {
            let ids: Vec<String> = (0..services).filter(|s| offers[*s]).map(|s| format!("\"s{s}\"")).collect();
            toml += &format!("services = [{}]\n", ids.join(", "));
        }
        if let Some(week) = &self.week {
            toml += "[booking.practitioners.hours]\n";
            for (day, ranges) in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().zip(week) {
                toml += &format!("{day} = {}\n", list(ranges));
            }
        }
        toml += "[booking.practitioners.dates]\n";
        for (date, ranges) in &self.singles {
            toml += &format!("\"{date}\" = {}\n", list(ranges));
        }
        toml
    }
}

fn person(date: NaiveDate) -> impl Strategy<Value = Person> {
    (
        prop::option::of(prop::collection::vec(ranges(), 7)),
        prop::collection::btree_map(-1i64..=1, prop_oneof![Just(Vec::new()), ranges()], 0..=2),
        1u32..=2,
        0u32..=3,
        prop::option::of(prop::collection::vec(any::<bool>(), 3)),
    )
        .prop_map(move |(week, singles, capacity, cap, offers)| Person {
            week,
            singles: singles.into_iter().map(|(offset, r)| (date + Duration::days(offset), r)).collect(),
            capacity,
            cap,
            offers,
        })
}

fn practice() -> impl Strategy<Value = (Model, Vec<Person>)> {
    model().prop_flat_map(|m| {
        let date = m.date;
        (Just(m), prop::collection::vec(person(date), 2))
    })
}

fn config_of(model: &Model, people: &[Person]) -> BookingConfig {
    let mut toml = model.toml();
    for (i, p) in people.iter().enumerate() {
        toml += &p.toml(i, model.services.len());
    }
    settings(&toml).map(|s| s.booking).unwrap_or_else(|e| panic!("generated configuration rejected: {e}\n{toml}"))
}

/// Whether a start at local `minute` of `date`, occupying `[from, to)`, lies on the grid of one
/// of `ranges` with its span inside it.
fn inside(
    model: &Model,
    ranges: &Ranges,
    date: NaiveDate,
    minute: u32,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> bool {
    let tz = model.tz();
    ranges.iter().any(|&(a, b)| {
        a <= minute
            && minute < b
            && (minute - a).is_multiple_of(model.step)
            && first_at_or_after(tz, wall(date, a)) <= from
            && to <= first_at_or_after(tz, wall(date, b))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    /// Every start offered for a named practitioner fits their own rules: their own ranges (never
    /// another's), their capacity against their spans and the spans of no practitioner, their
    /// daily cap; every start offered for anyone fits at least one practitioner who offers it.
    #[test]
    fn every_offered_start_fits_its_practitioner(
        (model, people) in practice(),
        (spans, owners, now_at) in (calendar(), prop::collection::vec(0usize..=2, 10)).prop_map(|((s, _, _, n), o)| (s, o, n)),
        counts in prop::collection::vec(0u32..=3, 2),
    ) {
        let (config, tz, date) = (config_of(&model, &people), model.tz(), model.date);
        let first = day_bounds(tz, date).0;
        let mut taken = Staffed::default();
        let mut mine: Vec<Vec<Busy>> = vec![Vec::new(); 2];
        for ((s, l), owner) in spans.iter().zip(owners.iter().cycle()) {
            let span = Busy { start: at(first, s * 5), end: at(first, (s + l) * 5) };
            match owner {
                2 => taken.shared.push(span),
                i => {
                    taken.own.entry(format!("p{i}")).or_default().push(span);
                    mine[*i].push(span);
                }
            }
        }
        let mut by = DayCounts::default();
        for (i, n) in counts.iter().enumerate() {
            by.add(date, &format!("p{i}"), *n);
        }
        taken.by = by;
        let now = at(first, now_at);
        let fits_person = |i: usize, svc: &super::super::props::Svc, service: &Service, slot: &Slot| {
            let p = &people[i];
            let local = slot.start.with_timezone(&tz).naive_local();
            let minute = local.hour() * 60 + local.minute();
            let span = (slot.start - Duration::minutes(i64::from(svc.before)),
                        slot.start + Duration::minutes(i64::from(svc.duration + svc.after)));
            let mut t = span.0;
            let mut room = true;
            while t < span.1 {
                let n = taken.shared.iter().chain(&mine[i]).filter(|b| b.start <= t && t < b.end).count();
                room &= n < p.capacity as usize;
                t += Duration::minutes(5);
            }
            config.practitioners[i].offers(service)
                && local.date() == date
                && slot.start >= now + Duration::minutes(i64::from(model.notice))
                && (p.cap == 0 || counts[i] < p.cap)
                && inside(&model, p.ranges(&model, date), date, minute, span)
                && room
        };
        for (service, svc) in config.services.iter().zip(&model.services) {
            for (i, p) in config.practitioners.iter().enumerate() {
                let got = day(&config, Whom::Named(p), service, date, now, &taken);
                prop_assert_eq!(got.slots.is_empty(), got.empty.is_some());
                for slot in &got.slots {
                    prop_assert!(fits_person(i, svc, service, slot), "{} offered for p{} breaks their rules", slot.value, i);
                }
            }
            let anyone = day(&config, Whom::Anyone, service, date, now, &taken);
            for slot in &anyone.slots {
                prop_assert!((0..2).any(|i| fits_person(i, svc, service, slot)), "{} fits nobody", slot.value);
                let chosen = choose(&config, Whom::Anyone, None, service, (slot.start, now), &taken);
                prop_assert!(chosen.is_some(), "{} offered to anyone goes to no one", slot.value);
            }
        }
    }

    /// On a free day without a clock change, a practitioner is offered exactly the grid starts of
    /// their own ranges whose span fits, and an empty day is closed or too short.
    #[test]
    fn a_free_day_offers_a_practitioner_every_start_that_fits(( model, people) in practice()) {
        let (mut config, tz, date) = (config_of(&model, &people), model.tz(), model.date);
        let (first, next) = day_bounds(tz, date);
        if next - first != Duration::hours(24) {
            return Ok(());
        }
        config.min_notice_minutes = 0;
        config.horizon_days = std::num::NonZeroU32::new(3).expect("3");
        let now = first - Duration::days(1);
        for (service, svc) in config.services.iter().zip(&model.services) {
            for (i, p) in config.practitioners.iter().enumerate() {
                let got = day(&config, Whom::Named(p), service, date, now, &Staffed::default());
                let ranges = people[i].ranges(&model, date);
                let mut want = Vec::new();
                if p.offers(service) {
                    for &(a, b) in ranges {
                        let fits = |m: &u32| *m >= a + svc.before && m + svc.duration + svc.after <= b;
                        want.extend((a..b).step_by(model.step as usize).filter(fits));
                    }
                }
                let offered: Vec<u32> = got.slots.iter().map(|s| {
                    let local = s.start.with_timezone(&tz);
                    local.hour() * 60 + local.minute()
                }).collect();
                prop_assert_eq!(&offered, &want, "p{}", i);
                let why = match (want.is_empty(), ranges.is_empty() || !p.offers(service)) {
                    (false, _) => None,
                    (true, true) => Some(Empty::Closed),
                    (true, false) => Some(Empty::Unfit),
                };
                prop_assert_eq!(got.empty, why, "p{}", i);
            }
        }
    }
}
