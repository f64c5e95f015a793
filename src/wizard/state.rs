//! The wizard's state: one typed value in the session, and the pure rules of
//! which step comes first and what a change invalidates.

use serde::{Deserialize, Serialize};

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
    pub service: String,
    /// The start, unix ms UTC.
    pub start: i64,
    /// The address the confirmation went to.
    pub email: String,
}

/// The steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// Choose a service.
    Service,
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
    pub const ALL: [Step; 5] = [Step::Service, Step::Slot, Step::Details, Step::Verify, Step::Confirm];

    /// The route segment and template name.
    pub fn name(self) -> &'static str {
        match self {
            Step::Service => "service",
            Step::Slot => "slot",
            Step::Details => "details",
            Step::Verify => "verify",
            Step::Confirm => "confirm",
        }
    }

    /// The step's URL.
    pub fn path(self) -> String {
        format!("/book/{}", self.name())
    }
}

/// Contact details as entered (validated).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Details {
    /// Name, 1–100 chars.
    pub name: String,
    /// Valid address, ≤ 254 chars.
    pub email: String,
    /// Optional phone, ≤ 32 chars.
    pub phone: String,
    /// Optional notes, ≤ 1000 chars.
    pub notes: String,
}

/// Everything the wizard knows about one booking flow.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WizardState {
    /// Random id of this flow: keys its hold, its codes and its booking.
    pub flow_id: String,
    /// Chosen service id.
    pub service: Option<String>,
    /// Chosen start, unix ms UTC.
    pub slot: Option<i64>,
    /// Contact details.
    pub details: Option<Details>,
    /// The address a code proved; valid while it equals the details' email.
    pub verified_email: Option<String>,
}

impl WizardState {
    /// The first step not yet completed.
    pub fn first_incomplete(&self) -> Step {
        match (&self.service, &self.slot, &self.details) {
            (None, _, _) => Step::Service,
            (_, None, _) => Step::Slot,
            (_, _, None) => Step::Details,
            (_, _, Some(d)) if self.verified_email.as_deref() != Some(d.email.as_str()) => Step::Verify,
            _ => Step::Confirm,
        }
    }

    /// Whether the visitor may be at `step`.
    pub fn admits(&self, step: Step) -> bool {
        step <= self.first_incomplete()
    }

    /// Stores new details; a new address clears the verification.
    pub fn set_details(&mut self, details: Details) {
        if self.verified_email.as_deref() != Some(details.email.as_str()) {
            self.verified_email = None;
        }
        self.details = Some(details);
    }

    /// Whether the address in the details is proven.
    pub fn is_verified(&self) -> bool {
        matches!((&self.details, &self.verified_email), (Some(d), Some(v)) if &d.email == v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(email: &str) -> Details {
        Details { name: "A".into(), email: email.into(), phone: String::new(), notes: String::new() }
    }

    #[test]
    fn steps_complete_in_order() {
        let mut s = WizardState::default();
        assert_eq!(s.first_incomplete(), Step::Service);
        assert!(!s.admits(Step::Slot));
        s.service = Some("x".into());
        assert_eq!(s.first_incomplete(), Step::Slot);
        s.slot = Some(1);
        s.set_details(details("a@example.test"));
        assert_eq!(s.first_incomplete(), Step::Verify);
        s.verified_email = Some("a@example.test".into());
        assert_eq!(s.first_incomplete(), Step::Confirm);
        assert!(s.admits(Step::Service) && s.admits(Step::Confirm));
    }

    #[test]
    fn a_new_address_clears_the_verification_a_same_one_keeps_it() {
        let mut s = WizardState { service: Some("x".into()), slot: Some(1), ..Default::default() };
        s.set_details(details("a@example.test"));
        s.verified_email = Some("a@example.test".into());
        s.set_details(Details { name: "B".into(), ..details("a@example.test") });
        assert!(s.is_verified());
        s.set_details(details("b@example.test"));
        assert!(!s.is_verified());
        assert_eq!(s.first_incomplete(), Step::Verify);
    }
}
