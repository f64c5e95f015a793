//! What the visitor is booking, as the details, verify and confirm steps
//! show it ([`Choice`], in `templates/choice.html.j2`), and "you confirm
//! what you saw" (SPEC §2): the confirm page's hidden field
//! `summary` names the choices it showed, so a confirm POST from a tab whose
//! page is older than the flow (another tab changed the service, slot or
//! details meanwhile) books nothing.
//!
//! The value is an HMAC-SHA256, under a key derived from the app secret for
//! this purpose alone, of the flow's id and the choices (service id, start,
//! name, address, phone, notes; each length-prefixed), cut to 128 bits in
//! hex. It changes whenever one of them does and reveals none of them: the
//! key never leaves the server, and the flow's id (random, never shown) makes
//! the same choices in two flows give unrelated values, so a value says not
//! even whether two visitors chose alike.

use fluent_templates::fluent_bundle::FluentValue;
use serde::Serialize;

use super::admit::Chosen;
use super::flow::Flow;
use super::state::{Hold, WizardState};
use crate::booking::service::{Bookings, Whom};
use crate::i18n::{format_time, format_when, t_args};
use crate::secrets::Secrets;

/// The running summary of the flow's choices: what the details, verify and
/// confirm steps show above their forms.
#[derive(Serialize)]
pub struct Choice<'a> {
    /// The service's name in the visitor's language.
    pub service: &'a str,
    /// Its length ("30 minutes").
    pub duration: String,
    /// With practitioners, whom: the one chosen, or for anyone the one the
    /// live hold names (else "anyone").
    pub practitioner: Option<String>,
    /// The start, with its date and zone (and the visitor's, SPEC §3).
    pub when: String,
    /// While the flow's hold on this start lives, until when (a time with
    /// its zone, and the visitor's); `None` once it lapsed or without holds.
    pub held_until: Option<String>,
}

/// The summary of `chosen` for `flow`, naming the flow's `hold` while it
/// holds that start and has not lapsed.
fn choice<'a>(flow: &Flow<'a>, chosen: &Chosen<'a>, hold: Option<&Hold>) -> Choice<'a> {
    let (lang, zones) = (flow.page.lang.as_str(), flow.page.zones());
    let now = flow.clock.now();
    let hold = hold.filter(|h| h.start == chosen.start && h.until > now);
    let minutes = FluentValue::from(chosen.service.duration_minutes.to_string());
    let held = hold.and_then(|h| h.practitioner.as_deref()).and_then(|id| flow.settings.booking.practitioner(id));
    let practitioner = chosen.whom.map(|whom| match whom {
        Whom::Named(p) => p.name.clone(),
        Whom::Anyone => held.map_or_else(|| flow.t("practitioner-any"), |p| p.name.clone()),
    });
    Choice {
        service: chosen.service.name_in(lang),
        duration: t_args(lang, "service-duration", &[("minutes", minutes)]),
        practitioner,
        when: format_when(lang, zones, chosen.start),
        held_until: hold.map(|h| format_time(lang, zones, h.until)),
    }
}

/// The running summary of `chosen`, naming the hold the flow's state
/// recorded when the flow placed it (see [`Hold`]): the details and code
/// pages.
pub fn recorded<'a>(flow: &Flow<'a>, chosen: &Chosen<'a>) -> Choice<'a> {
    choice(flow, chosen, flow.state.hold.as_ref())
}

/// The running summary of `chosen`, its hold read from `bookings`: the
/// confirm page, which the visitor books from, shows the hold the booking
/// will find.
pub async fn running<'a>(flow: &Flow<'a>, bookings: &Bookings<'_>, chosen: &Chosen<'a>) -> sqlx::Result<Choice<'a>> {
    let hold = match &flow.state.flow_id {
        Some(id) => bookings.live_hold(id.as_str()).await?,
        None => None,
    };
    Ok(choice(flow, chosen, hold.map(Hold::from).as_ref()))
}

/// The HMAC purpose of summaries.
const PURPOSE: &str = "confirm-summary";

/// The summary of `state`'s current choices.
pub fn of(secrets: &Secrets, state: &WizardState) -> String {
    let flow = state.flow_id.as_ref().map_or("", |id| id.as_str());
    let service = state.service.as_ref().map_or("", |s| s.0.as_str());
    let start = state.slot.map(|s| s.timestamp_millis().to_string()).unwrap_or_default();
    let details = state.details.as_ref();
    let field = |f: fn(&super::Details) -> &str| details.map_or("", f);
    let mut parts: Vec<&[u8]> = vec![
        flow.as_bytes(),
        service.as_bytes(),
        start.as_bytes(),
        field(|d| d.name.as_str()).as_bytes(),
        field(|d| d.email.as_str()).as_bytes(),
        field(|d| d.phone.as_str()).as_bytes(),
        field(|d| d.notes.as_str()).as_bytes(),
    ];
    // NOTE: the practitioner joins only when chosen, so a flow without
    // practitioners keeps the summary it had before SPEC §2e.
    if let Some(practitioner) = &state.practitioner {
        parts.push(practitioner.0.as_bytes());
    }
    hex::encode(&secrets.mac(PURPOSE, &parts)[..16])
}

/// Whether a confirm POST saw the `current` summary: a `posted` value that
/// differs did not; none (or an empty one) is judged as before summaries.
pub fn seen(posted: Option<&str>, current: &str) -> bool {
    posted.is_none_or(|p| p.is_empty() || p == current)
}

#[cfg(test)]
mod tests {
    use rocket::figment::Figment;

    use super::super::contact::{Details, Email, Name, Notes, Phone};
    use super::super::state::{FlowId, ServiceId};
    use super::*;

    fn secrets(key: &str) -> Secrets {
        Secrets::from_figment(&Figment::new().merge(("secret_key", key))).expect("a key")
    }

    fn state() -> WizardState {
        let details = Details {
            name: Name::parse("Ada").expect("a name"),
            email: Email::parse("ada@example.test").expect("an address"),
            phone: Phone::none(),
            notes: Notes::none(),
        };
        WizardState {
            flow_id: Some(serde_json::from_str::<FlowId>("\"flow-one\"").expect("an id")),
            service: Some(ServiceId("consultation".into())),
            slot: chrono::DateTime::from_timestamp_millis(1_900_000_000_000),
            details: Some(details),
            verified_email: None,
            ..WizardState::default()
        }
    }

    #[test]
    fn it_changes_with_every_choice_and_only_then() {
        let key = secrets("k1");
        let base = of(&key, &state());
        assert_eq!(base, of(&key, &state()), "the same choices, the same value");
        assert_eq!(base.len(), 32);
        let mut changed = state();
        changed.service = Some(ServiceId("checkup".into()));
        assert_ne!(of(&key, &changed), base, "service");
        let mut changed = state();
        changed.slot = chrono::DateTime::from_timestamp_millis(1_900_000_060_000);
        assert_ne!(of(&key, &changed), base, "slot");
        let mut anna = state();
        anna.practitioner = Some(super::super::state::PractitionerId("anna".into()));
        let mut ben = state();
        ben.practitioner = Some(super::super::state::PractitionerId("ben".into()));
        assert_ne!(of(&key, &anna), base, "practitioner");
        assert_ne!(of(&key, &anna), of(&key, &ben), "another practitioner");
        for edit in [
            |d: &mut Details| d.name = Name::parse("Bob").expect("a name"),
            |d: &mut Details| d.email = Email::parse("bob@example.test").expect("an address"),
            |d: &mut Details| d.phone = Phone::parse("123").expect("a phone"),
            |d: &mut Details| d.notes = Notes::parse("late").expect("notes"),
        ] {
            let mut changed = state();
            edit(changed.details.as_mut().expect("details"));
            assert_ne!(of(&key, &changed), base, "details");
        }
        let mut verified = state();
        verified.verified_email = Some(Email::parse("ada@example.test").expect("an address"));
        assert_eq!(of(&key, &verified), base, "verifying is no change of choice");
    }

    #[test]
    fn it_reveals_nothing_without_the_key_or_across_flows() {
        let base = of(&secrets("k1"), &state());
        assert_ne!(of(&secrets("k2"), &state()), base, "another secret");
        let mut other = state();
        other.flow_id = Some(serde_json::from_str::<FlowId>("\"flow-two\"").expect("an id"));
        assert_ne!(of(&secrets("k1"), &other), base, "the same choices in another flow");
        assert!(!base.contains("ada") && base.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn only_a_different_posted_value_is_a_mismatch() {
        assert!(seen(None, "abc"));
        assert!(seen(Some(""), "abc"));
        assert!(seen(Some("abc"), "abc"));
        assert!(!seen(Some("abd"), "abc"));
    }
}
