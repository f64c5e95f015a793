//! Steps as types: [`Admitted<S>`] is built only when the visitor may be at
//! step `S`, and carries what that step needs ([`StepMarker::Proof`]): the
//! slot step its service, the details step the chosen appointment, the
//! code step the details too, the confirm step all of it verified. A handler
//! reads `flow.proof` and never unpacks the state again. Otherwise the guard
//! forwards, and the fallback routes of `entry.rs` answer `303` to the first
//! incomplete step — after checking a POST's CSRF token like any other POST.

use std::ops::{Deref, DerefMut};

use chrono::{DateTime, Utc};
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};

use super::contact::Details;
use super::flow::Flow;
use super::state::{Done, FlowId, ServiceId, Step};
use crate::booking::service::{Contact, Request as Booking, Whom};
use crate::config::Service;

/// A wizard step a route can demand, and what being there proves.
pub trait StepMarker: Send + Sync + 'static {
    /// The step.
    const STEP: Step;
    /// What the step needs, read from a flow admitted to it.
    type Proof<'r>: Send;
    /// The proof, from a flow the state admits to [`Self::STEP`].
    fn prove<'r>(flow: &Flow<'r>) -> Option<Self::Proof<'r>>;
}

/// The service and whom the visitor asks for: what the slot step needs.
#[derive(Clone, Copy)]
pub struct Asked<'r> {
    /// The service (still configured).
    pub service: &'r Service,
    /// With practitioners, whom they chose; `None` without.
    pub whom: Option<Whom<'r>>,
}

/// The service and start the visitor chose.
#[derive(Clone, Copy)]
pub struct Chosen<'r> {
    /// The service (still configured).
    pub service: &'r Service,
    /// With practitioners, whom they chose; `None` without.
    pub whom: Option<Whom<'r>>,
    /// The start.
    pub start: DateTime<Utc>,
}

/// Everything a confirm books: the choice, the verified details, the flow.
pub struct Verified<'r> {
    /// What is booked.
    pub chosen: Chosen<'r>,
    /// Who books; the address is proven.
    pub details: Details,
    /// The flow (keys its hold and its booking).
    pub flow_id: FlowId,
}

impl Verified<'_> {
    /// The booking to make, its emails in `lang` with times in the visitor's
    /// `zone` too (when not the practice's).
    pub fn booking<'a>(&'a self, lang: &'a str, zone: Option<chrono_tz::Tz>) -> Booking<'a> {
        let d = &self.details;
        let contact = Contact { name: &d.name, email: &d.email, phone: &d.phone, notes: &d.notes, lang, zone };
        let (service, start, whom) = (self.chosen.service, self.chosen.start, self.chosen.whom);
        Booking { flow: self.flow_id.as_str(), service, start, contact, whom }
    }

    /// What `/book/done` shows once it is booked as `reference` with `practitioner`.
    pub fn done(&self, reference: String, practitioner: Option<String>) -> Done {
        let service = ServiceId(self.chosen.service.id.clone());
        Done { reference, service, start: self.chosen.start, email: self.details.email.clone(), practitioner }
    }
}

fn chosen<'r>(flow: &Flow<'r>) -> Option<Chosen<'r>> {
    Some(Chosen { service: flow.service()?, whom: flow.whom(), start: flow.state.slot? })
}

/// The `practitioner` step: a service is chosen, and the practice has practitioners.
pub struct AtPractitioner;
/// The `slot` step: a service is chosen (and with practitioners, whom).
pub struct AtSlot;
/// The `details` step: a service and a start are chosen.
pub struct AtDetails;
/// The `verify` step: details are given.
pub struct AtVerify;
/// The `confirm` step: the address is verified.
pub struct AtConfirm;

impl StepMarker for AtPractitioner {
    const STEP: Step = Step::Practitioner;
    type Proof<'r> = &'r Service;

    fn prove<'r>(flow: &Flow<'r>) -> Option<&'r Service> {
        flow.service().filter(|_| flow.state.staffed)
    }
}

impl StepMarker for AtSlot {
    const STEP: Step = Step::Slot;
    type Proof<'r> = Asked<'r>;

    fn prove<'r>(flow: &Flow<'r>) -> Option<Asked<'r>> {
        let whom = flow.whom();
        (whom.is_some() || !flow.state.staffed).then_some(Asked { service: flow.service()?, whom })
    }
}

impl StepMarker for AtDetails {
    const STEP: Step = Step::Details;
    type Proof<'r> = Chosen<'r>;

    fn prove<'r>(flow: &Flow<'r>) -> Option<Chosen<'r>> {
        chosen(flow)
    }
}

impl StepMarker for AtVerify {
    const STEP: Step = Step::Verify;
    type Proof<'r> = (Chosen<'r>, Details);

    fn prove<'r>(flow: &Flow<'r>) -> Option<(Chosen<'r>, Details)> {
        Some((chosen(flow)?, flow.state.details.clone()?))
    }
}

impl StepMarker for AtConfirm {
    const STEP: Step = Step::Confirm;
    type Proof<'r> = Verified<'r>;

    fn prove<'r>(flow: &Flow<'r>) -> Option<Verified<'r>> {
        let details = flow.state.details.clone().filter(|_| flow.state.is_verified())?;
        Some(Verified { chosen: chosen(flow)?, details, flow_id: flow.state.flow_id.clone()? })
    }
}

/// The visitor's flow, admitted to step `S`, with its proof.
pub struct Admitted<'r, S: StepMarker> {
    flow: Flow<'r>,
    /// What the step needs.
    pub proof: S::Proof<'r>,
}

#[rocket::async_trait]
impl<'r, S: StepMarker> FromRequest<'r> for Admitted<'r, S> {
    type Error = &'static str;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        match req.guard::<Flow<'r>>().await {
            Outcome::Success(flow) if flow.state.admits(S::STEP) => match S::prove(&flow) {
                Some(proof) => Outcome::Success(Admitted { flow, proof }),
                None => Outcome::Forward(Status::SeeOther),
            },
            Outcome::Success(_) => Outcome::Forward(Status::SeeOther),
            Outcome::Error(e) => Outcome::Error(e),
            Outcome::Forward(s) => Outcome::Forward(s),
        }
    }
}

impl<'r, S: StepMarker> Deref for Admitted<'r, S> {
    type Target = Flow<'r>;

    fn deref(&self) -> &Flow<'r> {
        &self.flow
    }
}

impl<'r, S: StepMarker> DerefMut for Admitted<'r, S> {
    fn deref_mut(&mut self) -> &mut Flow<'r> {
        &mut self.flow
    }
}
