//! [`Flow`]: the request guard behind every wizard page — the visitor's page
//! and their wizard state, loaded once — and the shell every step renders in.

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{Redirect, Responder};
use serde::Serialize;

use super::state::{Step, WizardState, STATE_KEY};
use crate::config::{Service, Settings};
use crate::i18n::t;
use crate::mail::{Appointment, Recipient};
use crate::metrics::Telemetry;
use crate::secrets::random_token;
use crate::web::{page_keys, Error, Page, PageView, View};

/// What a wizard handler answers.
#[derive(Responder)]
pub enum Reply {
    /// `303` somewhere (Post/Redirect/Get).
    Redirect(Redirect),
    /// A page with its status.
    Page((Status, View)),
}

/// The visitor's booking flow: their page and wizard state.
pub struct Flow<'r> {
    /// The page (session, language, token).
    pub page: Page<'r>,
    /// The app's settings.
    pub settings: &'r Settings,
    /// The wizard state as loaded (or as changed by this request).
    pub state: WizardState,
    /// Counters and the funnel.
    pub telemetry: Telemetry<'r>,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Flow<'r> {
    type Error = &'static str;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let mut page = match req.guard::<Page<'r>>().await {
            Outcome::Success(page) => page,
            Outcome::Error(e) => return Outcome::Error(e),
            Outcome::Forward(s) => return Outcome::Forward(s),
        };
        let (Some(settings), Some(telemetry)) = (req.rocket().state::<Settings>(), Telemetry::of(req)) else {
            return Outcome::Error((Status::InternalServerError, "app not configured"));
        };
        page.bind();
        let state = page.session.get::<WizardState>(STATE_KEY).unwrap_or_default();
        Outcome::Success(Flow { page, settings, state, telemetry })
    }
}

/// One entry of the wizard's step list (`steps` in templates).
#[derive(Serialize)]
struct StepLink {
    number: usize,
    path: String,
    /// `done`, `current` or `todo`.
    status: &'static str,
    label: String,
}

/// The context of every step page: the shell's fields and the step's own.
#[derive(Serialize)]
struct StepView<'a, C: Serialize> {
    page: PageView<'a>,
    steps: Vec<StepLink>,
    step_number: usize,
    step_count: usize,
    step_name: &'static str,
    errors: &'a Errors,
    notice: Option<&'a str>,
    #[serde(flatten)]
    content: C,
}

/// Messages by field name, shown next to each field and in the summary.
pub type Errors = std::collections::BTreeMap<String, String>;

/// One field's message.
pub fn error(field: &str, message: String) -> Errors {
    Errors::from([(field.to_string(), message)])
}

impl<'r> Flow<'r> {
    /// The message `key` in the visitor's language.
    pub fn t(&self, key: &str) -> String {
        t(&self.page.lang, key)
    }

    /// `303` to the first step not yet completed.
    pub fn first(&self) -> Reply {
        Reply::Redirect(Redirect::to(self.state.first_incomplete().path()))
    }

    /// The flow's id, drawn on first use: keys its hold, codes and booking.
    pub fn id(&mut self) -> &str {
        if self.state.flow_id.is_empty() {
            self.state.flow_id = random_token(16);
        }
        &self.state.flow_id
    }

    /// Stores the wizard state (and the current step, for templates), and
    /// tells the funnel the steps the flow reached since it last stood still.
    pub fn save(&mut self) -> Result<(), Error> {
        self.id();
        let (now, before) = (self.state.first_incomplete(), self.page.session.get::<String>(page_keys::STEP));
        self.page.session.insert(STATE_KEY, &self.state)?;
        self.page.session.insert(page_keys::STEP, &now.name())?;
        let before = Step::ALL.iter().position(|s| Some(s.name()) == before.as_deref());
        let reached = Step::ALL.iter().enumerate().filter(|(i, s)| **s <= now && before.is_none_or(|b| *i > b));
        self.telemetry.reached(&self.state.flow_id, reached.map(|(_, s)| s.name()));
        Ok(())
    }

    /// This flow booked: counted, and it reached the funnel's `done`.
    pub fn booked(&self) {
        self.telemetry.booked(&self.state.flow_id);
    }

    /// Ends the flow: wizard state gone, preferences kept.
    pub fn clear(&self) {
        self.page.session.remove(STATE_KEY);
        self.page.session.remove(page_keys::STEP);
    }

    /// The chosen service.
    pub fn service(&self) -> Option<&'r Service> {
        self.state.service.as_deref().and_then(|id| self.settings.booking.service(id))
    }

    /// The chosen start.
    pub fn slot(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.state.slot.and_then(chrono::DateTime::from_timestamp_millis)
    }

    /// The appointment being booked, for emails.
    pub fn appointment(&self) -> Option<Appointment<'r>> {
        let (service, start) = (self.service()?, self.slot()?);
        Some(Appointment {
            service: service.name_in(&self.page.lang),
            starts_at: start,
            ends_at: start + chrono::Duration::minutes(service.duration_minutes.into()),
            tz: self.settings.booking.tz(),
        })
    }

    /// The visitor as the recipient of emails about this flow.
    pub fn recipient(&self) -> Option<Recipient<'_>> {
        let details = self.state.details.as_ref()?;
        Some(Recipient { name: &details.name, email: &details.email, lang: &self.page.lang })
    }

    fn steps(&self, current: Step) -> Vec<StepLink> {
        let first = self.state.first_incomplete();
        let status = |step: Step| match step {
            s if s == current => "current",
            s if s < first => "done",
            _ => "todo",
        };
        let link = |(i, step): (usize, &Step)| StepLink {
            number: i + 1,
            path: step.path(),
            status: status(*step),
            label: self.t(&format!("step-{}", step.name())),
        };
        Step::ALL.iter().enumerate().map(link).collect()
    }

    /// Renders `step`'s page with its own `content`, field `errors` and an
    /// optional `notice`.
    pub fn render(
        &self,
        step: Step,
        status: Status,
        errors: &Errors,
        notice: Option<&str>,
        content: impl Serialize,
    ) -> Reply {
        let view = StepView {
            page: self.page.view(),
            steps: self.steps(step),
            step_number: Step::ALL.iter().position(|s| *s == step).unwrap_or(0) + 1,
            step_count: Step::ALL.len(),
            step_name: step.name(),
            errors,
            notice,
            content,
        };
        Reply::Page((status, View::render(step.name(), view)))
    }
}
