//! [`Flow`]: the request guard behind every wizard page — the visitor's page
//! and their wizard state, loaded once — and the shell every step renders in.

use std::collections::BTreeMap;

use fluent_templates::fluent_bundle::FluentValue;
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{Redirect, Responder};
use serde::Serialize;

use super::state::{Done, FlowId, Step, WizardState, DONE_KEY, STATE_KEY};
use crate::booking::service::Whom;
use crate::clock::Clock;
use crate::config::{Service, Settings, ANY};
use crate::i18n::{t, t_args};
use crate::mail::{Appointment, Recipient};
use crate::metrics::Telemetry;
use crate::web::{page_keys, Error, Page, PageView, View};

/// What a wizard handler answers.
// NOTE: Rocket's `Redirect` is the large variant (272 bytes); a reply is
// built once and moved into the response, so boxing it would only add an
// allocation to every redirect.
#[allow(clippy::large_enum_variant)]
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
    /// The app's clock.
    pub clock: &'r Clock,
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
        let rocket = req.rocket();
        let (Some(settings), Some(telemetry), Some(clock)) =
            (rocket.state::<Settings>(), Telemetry::of(req), rocket.state::<Clock>())
        else {
            return Outcome::Error((Status::InternalServerError, "app not configured"));
        };
        page.bind();
        let mut state = page.session.get::<WizardState>(STATE_KEY).unwrap_or_default();
        // NOTE: a service that left the configuration since it was chosen
        // sends the visitor back to the service step (its slot goes too).
        if state.service.as_ref().is_some_and(|id| settings.booking.service(&id.0).is_none()) {
            state.service = None;
            state.drop_slot();
        }
        // NOTE: likewise a practitioner who left the configuration (or all
        // of them): back to the practitioner step, or to none.
        state.staffed = settings.booking.staffed();
        if state.practitioner.as_ref().is_some_and(|id| !state.staffed || whom(settings, &id.0).is_none()) {
            state.practitioner = None;
            state.drop_slot();
        }
        Outcome::Success(Flow { page, settings, state, telemetry, clock })
    }
}

/// Whom the practitioner step's value `id` names: `any`, or a configured practitioner.
pub fn whom<'r>(settings: &'r Settings, id: &str) -> Option<Whom<'r>> {
    match id {
        ANY => Some(Whom::Anyone),
        id => settings.booking.practitioner(id).map(Whom::Named),
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

/// The shell's part of every step page's context; the step's own fields
/// join it at the top level ([`Flow::render`]).
#[derive(Serialize)]
struct StepView<'a> {
    page: PageView<'a>,
    steps: Vec<StepLink>,
    step_number: usize,
    step_count: usize,
    step_name: &'static str,
    /// The step's label ("Your details"): the page's title.
    step_title: String,
    /// "Step 3 of 5".
    step_of: String,
    /// Message by field name, for the message next to each field.
    errors: BTreeMap<&'a str, &'a str>,
    /// The same, in form order with each field's label, for the summary.
    error_summary: Vec<SummaryEntry<'a>>,
    notice: Option<&'a str>,
    /// Whether a flow exists (and so something to cancel).
    flow_started: bool,
}

/// One line of the error summary: a link to `#field` that names it.
#[derive(Serialize)]
struct SummaryEntry<'a> {
    field: &'a str,
    label: String,
    message: &'a str,
}

/// The wizard's fields in form order, each with the catalog id of its label
/// (the text a visitor sees on, or as the legend of, the field).
const FIELDS: [(&str, &str); 8] = [
    ("service", "service-legend"),
    ("practitioner", "practitioner-legend"),
    ("slot", "slot-legend"),
    ("name", "details-name"),
    ("email", "details-email"),
    ("phone", "details-phone"),
    ("notes", "details-notes"),
    ("code", "verify-code"),
];

/// The faulty fields of a form, each with its message (one per field, the
/// first given).
#[derive(Debug, Default)]
pub struct Errors(Vec<(String, String)>);

impl Errors {
    /// No errors.
    pub fn new() -> Errors {
        Errors::default()
    }

    /// Adds `field`'s message, unless it already has one.
    pub fn push(&mut self, field: String, message: String) {
        if !self.0.iter().any(|(f, _)| *f == field) {
            self.0.push((field, message));
        }
    }

    /// Whether `field` has a message.
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|(f, _)| f == field)
    }

    /// The entries in form order (fields the wizard does not know last).
    fn in_form_order(&self) -> Vec<(&str, &str)> {
        let rank = |field: &str| FIELDS.iter().position(|(f, _)| *f == field).unwrap_or(FIELDS.len());
        let mut entries: Vec<(&str, &str)> = self.0.iter().map(|(f, m)| (f.as_str(), m.as_str())).collect();
        entries.sort_by_key(|(field, _)| rank(field));
        entries
    }
}

impl FromIterator<(String, String)> for Errors {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(entries: I) -> Errors {
        let mut errors = Errors::new();
        entries.into_iter().for_each(|(field, message)| errors.push(field, message));
        errors
    }
}

/// One field's message.
pub fn error(field: &str, message: String) -> Errors {
    Errors(vec![(field.to_string(), message)])
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
        self.state.flow_id.get_or_insert_with(FlowId::draw).as_str()
    }

    /// Stores the wizard state (and the current step, for templates), and
    /// tells the funnel the steps the flow reached since it last stood still.
    pub fn save(&mut self) -> Result<(), Error> {
        self.id();
        let (now, before) = (self.state.first_incomplete(), self.page.session.get::<String>(page_keys::STEP));
        self.page.session.insert(STATE_KEY, &self.state)?;
        self.page.session.insert(page_keys::STEP, &now.name())?;
        let steps = Step::all(self.state.staffed);
        let before = steps.iter().position(|s| Some(s.name()) == before.as_deref());
        let reached = steps.iter().enumerate().filter(|(i, s)| **s <= now && before.is_none_or(|b| *i > b));
        let telemetry = self.telemetry;
        telemetry.reached(self.id(), reached.map(|(_, s)| s.name()));
        Ok(())
    }

    /// This flow booked `done`: it reached the funnel's `done`, its state
    /// gives way to what `/book/done` shows, and the session gets a new id.
    pub fn finish(&mut self, done: &Done) -> Result<(), Error> {
        let telemetry = self.telemetry;
        telemetry.booked(self.id());
        self.clear();
        self.page.session.insert(DONE_KEY, done)?;
        self.page.session.cycle_id();
        Ok(())
    }

    /// Ends the flow: wizard state gone, preferences kept.
    pub fn clear(&self) {
        self.page.session.remove(STATE_KEY);
        self.page.session.remove(page_keys::STEP);
        self.page.session.remove(super::bots::SHOWN_KEY);
    }

    /// The chosen service.
    pub fn service(&self) -> Option<&'r Service> {
        self.state.service.as_ref().and_then(|id| self.settings.booking.service(&id.0))
    }

    /// Whom the visitor chose at the practitioner step (`None` without
    /// practitioners, or before the choice).
    pub fn whom(&self) -> Option<Whom<'r>> {
        self.state.practitioner.as_ref().filter(|_| self.state.staffed).and_then(|id| whom(self.settings, &id.0))
    }

    /// The appointment of `service` at `start`, as emails show it.
    pub fn appointment(&self, service: &'r Service, start: chrono::DateTime<chrono::Utc>) -> Appointment<'r> {
        Appointment {
            service: service.name_in(&self.page.lang),
            starts_at: start,
            ends_at: start + chrono::Duration::minutes(service.duration_minutes.into()),
            tz: self.settings.booking.tz(),
            visitor: self.page.zones().visitor,
            practitioner: None,
        }
    }

    /// The visitor with `details`, as emails address them.
    pub fn recipient<'a>(&'a self, details: &'a super::state::Details) -> Recipient<'a> {
        Recipient { name: &details.name, email: &details.email, lang: &self.page.lang }
    }

    fn steps(&self, current: Step) -> Vec<StepLink> {
        let first = self.state.first_incomplete();
        // NOTE: once the address is verified, the code step is finished,
        // not a way back: its page has nothing left to do.
        let status = |step: Step| match step {
            s if s == current => "current",
            Step::Verify if Step::Verify < first => "finished",
            s if s < first => "done",
            _ => "todo",
        };
        let link = |(i, step): (usize, &Step)| StepLink {
            number: i + 1,
            path: step.path(),
            status: status(*step),
            label: self.t(step.label_id()),
        };
        Step::all(self.state.staffed).iter().enumerate().map(link).collect()
    }

    /// Renders `step`'s page with its own `content`, field `errors` (next to
    /// each field, and in a summary in form order that links to them) and an
    /// optional `notice`.
    pub fn render(
        &self,
        step: Step,
        status: Status,
        errors: &Errors,
        notice: Option<&str>,
        content: impl Serialize,
    ) -> Reply {
        let entries = errors.in_form_order();
        let label = |field: &str| {
            FIELDS.iter().find(|(f, _)| *f == field).map_or_else(|| field.to_string(), |(_, id)| self.t(id))
        };
        let steps = Step::all(self.state.staffed);
        let (number, count) = (steps.iter().position(|s| *s == step).unwrap_or(0) + 1, steps.len());
        let of = [("number", FluentValue::from(number)), ("count", FluentValue::from(count))];
        let view = StepView {
            page: self.page.view(),
            steps: self.steps(step),
            step_number: number,
            step_count: count,
            step_name: step.name(),
            step_title: self.t(step.label_id()),
            step_of: t_args(&self.page.lang, "step-of", &of),
            errors: entries.iter().copied().collect(),
            error_summary: entries
                .iter()
                .map(|(field, message)| SummaryEntry { field, label: label(field), message })
                .collect(),
            notice,
            flow_started: self.state.flow_id.is_some(),
        };
        Reply::Page((status, View::render_merged(step.name(), content, view)))
    }
}

#[cfg(test)]
mod tests {
    use super::Errors;

    #[test]
    fn errors_come_in_form_order_once_per_field() {
        let pairs = [("email", "bad"), ("name", "empty"), ("email", "again"), ("nonsense", "?"), ("phone", "x")];
        let errors: Errors = pairs.iter().map(|(f, m)| (f.to_string(), m.to_string())).collect();
        let want = [("name", "empty"), ("email", "bad"), ("phone", "x"), ("nonsense", "?")];
        assert_eq!(errors.in_form_order(), want);
    }
}
