//! Steps as types: [`Admitted<S>`] is built only when the visitor may be at
//! step `S`. Otherwise the guard forwards, and the fallback routes of
//! `entry.rs` answer `303` to the first incomplete step — after checking a
//! POST's CSRF token like any other POST.

use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};

use super::flow::Flow;
use super::state::Step;

/// A wizard step a route can demand.
pub trait StepMarker: Send + Sync + 'static {
    /// The step.
    const STEP: Step;
}

macro_rules! steps {
    ($($marker:ident => $step:ident),* $(,)?) => {$(
        #[doc = concat!("The `", stringify!($step), "` step.")]
        pub struct $marker;

        impl StepMarker for $marker {
            const STEP: Step = Step::$step;
        }
    )*};
}

steps!(AtSlot => Slot, AtDetails => Details, AtVerify => Verify, AtConfirm => Confirm);

/// The visitor's flow, admitted to step `S`.
pub struct Admitted<'r, S: StepMarker> {
    flow: Flow<'r>,
    step: PhantomData<S>,
}

#[rocket::async_trait]
impl<'r, S: StepMarker> FromRequest<'r> for Admitted<'r, S> {
    type Error = &'static str;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        match req.guard::<Flow<'r>>().await {
            Outcome::Success(flow) if flow.state.admits(S::STEP) => {
                Outcome::Success(Admitted { flow, step: PhantomData })
            }
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
