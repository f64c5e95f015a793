//! The wizard's state: one typed value in the session, and the pure rules of
//! which step comes first and what a change invalidates.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use super::contact::{Details, Email};
use crate::booking::service::LiveHold;
use crate::secrets::random_token;

/// Session key of the wizard state.
pub const STATE_KEY: &str = "wizard";
/// Session key of the booking just made ([`Done`], for `/book/done`).
pub const DONE_KEY: &str = "done";

/// What `/book/done` shows of the booking just made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Done {
    /// The booking reference.
    pub reference: String,
    /// The service's id.
    pub service: ServiceId,
    /// The start (unix ms in the session).
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub start: DateTime<Utc>,
    /// The address the confirmation went to.
    pub email: Email,
    /// (rev 3) The practitioner's id, with practitioners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practitioner: Option<String>,
}

/// The random id of one booking flow: keys its hold, its codes and its
/// booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FlowId(String);

impl FlowId {
    /// A fresh id, 16 random characters.
    pub fn draw() -> FlowId {
        FlowId(random_token(16))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A service's id as configured (it may have left the configuration since).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ServiceId(pub String);

/// Whom the visitor chose at the practitioner step: a practitioner's id as
/// configured (they may have left the configuration since), or `any`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PractitionerId(pub String);

/// `flow_id` in the session: the previous release stored "" for no flow.
mod flow_id {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::FlowId;

    pub fn serialize<S: Serializer>(id: &Option<FlowId>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(id.as_ref().map_or("", FlowId::as_str))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<FlowId>, D::Error> {
        let id = String::deserialize(d)?;
        Ok((!id.is_empty()).then_some(FlowId(id)))
    }
}

/// The steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// Choose a service.
    Service,
    /// (rev 3) Choose a practitioner, or anyone (only with practitioners).
    Practitioner,
    /// Choose a start time.
    Slot,
    /// Contact details.
    Details,
    /// Email code.
    Verify,
    /// Summary and booking.
    Confirm,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 6] =
        [Step::Service, Step::Practitioner, Step::Slot, Step::Details, Step::Verify, Step::Confirm];

    /// The steps of a practice with (`staffed`) or without practitioners, in order.
    pub fn all(staffed: bool) -> &'static [Step] {
        const SHARED: [Step; 5] = [Step::Service, Step::Slot, Step::Details, Step::Verify, Step::Confirm];
        if staffed {
            &Step::ALL
        } else {
            &SHARED
        }
    }

    /// The route segment and template name.
    pub fn name(self) -> &'static str {
        match self {
            Step::Service => "service",
            Step::Practitioner => "practitioner",
            Step::Slot => "slot",
            Step::Details => "details",
            Step::Verify => "verify",
            Step::Confirm => "confirm",
        }
    }

    /// The catalog id of the step's label.
    pub fn label_id(self) -> &'static str {
        match self {
            Step::Service => "step-service",
            Step::Practitioner => "step-practitioner",
            Step::Slot => "step-slot",
            Step::Details => "step-details",
            Step::Verify => "step-verify",
            Step::Confirm => "step-confirm",
        }
    }

    /// The step's URL.
    pub fn path(self) -> String {
        format!("/book/{}", self.name())
    }
}

/// A hold as the booking service placed it for the flow, kept in the state
/// so that the details and code pages name it ("kept for you until 10:42")
/// without reading the database: it counts while its start is the flow's
/// slot and it has not lapsed.
///
/// NOTE: the wizard records every hold it places and drops the slot with
/// every hold it releases (a new slot, service or practitioner; start over;
/// a taken time), so the record and the database agree — but for two tabs
/// of one session choosing two times at once, where the database keeps the
/// hold placed last and the session the state saved last. The confirm page,
/// which the visitor books from, reads the hold from the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// The start it holds (unix ms in the session).
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub start: DateTime<Utc>,
    /// When it lapses (unix ms).
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub until: DateTime<Utc>,
    /// With practitioners, whose time it occupies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practitioner: Option<String>,
}

impl From<LiveHold> for Hold {
    fn from(LiveHold { start, until, practitioner }: LiveHold) -> Hold {
        Hold { start, until, practitioner }
    }
}

/// Everything the wizard knows about one booking flow.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WizardState {
    /// This flow's id, drawn when the flow first stores something.
    #[serde(with = "flow_id", default)]
    pub flow_id: Option<FlowId>,
    /// Chosen service.
    pub service: Option<ServiceId>,
    /// (rev 3) Chosen practitioner, or anyone; only with practitioners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practitioner: Option<PractitionerId>,
    /// Chosen start (unix ms in the session).
    #[serde(with = "chrono::serde::ts_milliseconds_option", default)]
    pub slot: Option<DateTime<Utc>>,
    /// The hold this flow last placed, as placed: what the running summary
    /// shows (see [`Hold`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<Hold>,
    /// Contact details.
    pub details: Option<Details>,
    /// The address a code proved; valid while it equals the details' email.
    pub verified_email: Option<Email>,
    /// Whether the practice has practitioners (set when the flow is loaded,
    /// never stored): then the practitioner step comes after the service.
    #[serde(skip)]
    pub staffed: bool,
}

impl WizardState {
    /// The first step not yet completed.
    pub fn first_incomplete(&self) -> Step {
        match (&self.service, &self.slot, &self.details) {
            (None, _, _) => Step::Service,
            _ if self.staffed && self.practitioner.is_none() => Step::Practitioner,
            (_, None, _) => Step::Slot,
            (_, _, None) => Step::Details,
            (_, _, Some(d)) if self.verified_email.as_ref() != Some(&d.email) => Step::Verify,
            _ => Step::Confirm,
        }
    }

    /// Whether the visitor may be at `step`.
    pub fn admits(&self, step: Step) -> bool {
        step <= self.first_incomplete()
    }

    /// Stores new details; a new address clears the verification.
    pub fn set_details(&mut self, details: Details) {
        if self.verified_email.as_ref() != Some(&details.email) {
            self.verified_email = None;
        }
        self.details = Some(details);
    }

    /// `start` is the flow's slot, with the hold `placed` on it (none when
    /// holds are off).
    pub fn choose_slot(&mut self, start: DateTime<Utc>, placed: Option<LiveHold>) {
        self.slot = Some(start);
        self.hold = placed.map(Hold::from);
    }

    /// The flow has no slot (nor a hold) any more.
    pub fn drop_slot(&mut self) {
        (self.slot, self.hold) = (None, None);
    }

    /// Whether the address in the details is proven.
    pub fn is_verified(&self) -> bool {
        matches!((&self.details, &self.verified_email), (Some(d), Some(v)) if &d.email == v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::contact::{Name, Notes, Phone};

    fn details(email: &str) -> Details {
        let email = Email::parse(email).expect("an address");
        Details { name: Name::parse("A").expect("a name"), email, phone: Phone::none(), notes: Notes::none() }
    }

    fn at(ms: i64) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp_millis(ms)
    }

    #[test]
    fn every_step_s_label_is_its_name_s_message_in_the_catalogs() {
        for step in Step::ALL {
            assert_eq!(step.label_id(), format!("step-{}", step.name()));
            for lang in ["en", "de"] {
                assert_ne!(crate::i18n::t(lang, step.label_id()), step.label_id(), "{lang}");
            }
        }
    }

    #[test]
    fn the_previous_release_s_session_json_still_reads() {
        let old = r#"{"flow_id":"abc","service":"consultation","slot":1800000000000,
            "details":{"name":"A","email":"a@example.test","phone":"","notes":""},"verified_email":"a@example.test"}"#;
        let state: WizardState = serde_json::from_str(old).expect("reads");
        assert_eq!(state.flow_id.as_ref().map(FlowId::as_str), Some("abc"));
        assert_eq!(state.slot, at(1_800_000_000_000));
        assert_eq!(state.first_incomplete(), Step::Confirm);
        let again = serde_json::to_value(&state).expect("writes");
        assert_eq!(again, serde_json::from_str::<serde_json::Value>(old).expect("JSON"), "written as before");
        let fresh: WizardState =
            serde_json::from_str(r#"{"flow_id":"","service":null,"slot":null,"details":null,"verified_email":null}"#)
                .expect("an empty flow reads");
        assert_eq!(fresh, WizardState::default());
        assert_eq!(serde_json::to_value(&fresh).expect("writes")["flow_id"], "", "no flow is written as before");
    }

    #[test]
    fn steps_complete_in_order() {
        let mut s = WizardState::default();
        assert_eq!(s.first_incomplete(), Step::Service);
        assert!(!s.admits(Step::Slot));
        s.service = Some(ServiceId("x".into()));
        assert_eq!(s.first_incomplete(), Step::Slot);
        s.slot = at(1);
        s.set_details(details("a@example.test"));
        assert_eq!(s.first_incomplete(), Step::Verify);
        s.verified_email = Some(Email::parse("a@example.test").expect("an address"));
        assert_eq!(s.first_incomplete(), Step::Confirm);
        assert!(s.admits(Step::Service) && s.admits(Step::Confirm));
    }

    #[test]
    fn with_practitioners_the_practitioner_step_comes_after_the_service() {
        let mut s =
            WizardState { staffed: true, service: Some(ServiceId("x".into())), slot: at(1), ..Default::default() };
        assert_eq!(s.first_incomplete(), Step::Practitioner, "a slot without a practitioner is not enough");
        s.practitioner = Some(PractitionerId("any".into()));
        assert_eq!(s.first_incomplete(), Step::Details);
        assert_eq!(Step::all(true).len(), 6);
        assert_eq!(Step::all(false).len(), 5);
        let json = serde_json::to_value(&s).expect("writes");
        assert_eq!(json["practitioner"], "any");
        assert!(json.get("staffed").is_none(), "never stored");
    }

    #[test]
    fn a_new_address_clears_the_verification_a_same_one_keeps_it() {
        let mut s = WizardState { service: Some(ServiceId("x".into())), slot: at(1), ..Default::default() };
        s.set_details(details("a@example.test"));
        s.verified_email = Some(Email::parse("a@example.test").expect("an address"));
        s.set_details(Details { name: Name::parse("B").expect("a name"), ..details("a@example.test") });
        assert!(s.is_verified());
        s.set_details(details("b@example.test"));
        assert!(!s.is_verified());
        assert_eq!(s.first_incomplete(), Step::Verify);
    }
}
