//! [`Metrics`]: every metric family SPEC §7 names, registered once per app
//! and encoded in the Prometheus text format.

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::atomic::{Durations, StatusCounts};
use crate::webhooks::Tally;

/// The funnel's steps, in order: the wizard's (`practitioner` only where
/// practitioners are configured, SPEC §2e), then `done` (booked). Stored by
/// index (migrations 6 and 13).
pub const STEPS: [&str; 7] = ["service", "practitioner", "slot", "details", "verify", "confirm", "done"];

/// What asking for a code email came to, for `slotwise_code_emails_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeOutcome {
    /// Emailed.
    Sent,
    /// A limit refused it (of the flow or across sessions); nothing sent.
    Refused,
    /// The mail server did not take it.
    Failed,
}

impl CodeOutcome {
    const ALL: [CodeOutcome; 3] = [CodeOutcome::Sent, CodeOutcome::Refused, CodeOutcome::Failed];

    fn label(self) -> &'static str {
        match self {
            CodeOutcome::Sent => "sent",
            CodeOutcome::Refused => "refused",
            CodeOutcome::Failed => "failed",
        }
    }
}

type Labels = [(&'static str, &'static str); 1];

/// The app's metrics, in managed state. Every counting method is a relaxed
/// atomic add: labelled children are created once, here, and kept.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Responses by status (`slotwise_http_requests_total{status}`).
    pub(super) requests: StatusCounts,
    /// `slotwise_http_request_duration_seconds`.
    pub(super) durations: Durations,
    flow_steps: [Counter; STEPS.len()],
    bookings: Counter,
    cancellations: Counter,
    reschedules: Counter,
    code_emails: [Counter; 3],
    /// Stored emails waiting for delivery (`slotwise_mail_pending`).
    pub mail_pending: Gauge,
    /// Stored emails given up on (`slotwise_mail_failed`).
    pub mail_failed: Gauge,
    /// Webhook deliveries waiting (`slotwise_webhooks_pending`).
    pub webhooks_pending: Gauge,
    /// Webhook deliveries given up on (`slotwise_webhooks_failed`).
    pub webhooks_failed: Gauge,
    /// Webhook delivery attempts by outcome
    /// (`slotwise_webhook_deliveries_total{outcome}`): the sender counts them.
    pub webhook_deliveries: Tally,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Every family registered, each counter at 0.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let requests = StatusCounts::default();
        registry.register("slotwise_http_requests", "HTTP responses by status", requests.clone());
        let durations = Durations::default();
        registry.register(
            "slotwise_http_request_duration_seconds",
            "Time from a request's arrival to its response",
            durations.clone(),
        );
        let steps = Family::<Labels, Counter>::default();
        let flow_steps = STEPS.map(|step| steps.get_or_create_owned(&[("step", step)]));
        registry.register("slotwise_flow_steps", "Booking flows that reached each wizard step", steps);
        let counter = |registry: &mut Registry, name: &str, help: &str| {
            let counter = Counter::default();
            registry.register(name, help, counter.clone());
            counter
        };
        let bookings = counter(&mut registry, "slotwise_bookings", "Bookings made");
        let cancellations = counter(&mut registry, "slotwise_cancellations", "Bookings cancelled from their link");
        let reschedules = counter(&mut registry, "slotwise_reschedules", "Bookings moved from their link");
        let codes = Family::<Labels, Counter>::default();
        let code_emails = CodeOutcome::ALL.map(|o| codes.get_or_create_owned(&[("outcome", o.label())]));
        registry.register("slotwise_code_emails", "Code emails asked for, by outcome", codes);
        // NOTE: `GET /metrics` sets these two from the outbox's table.
        let (mail_pending, mail_failed) = (Gauge::default(), Gauge::default());
        registry.register("slotwise_mail_pending", "Stored emails not yet delivered", mail_pending.clone());
        registry.register("slotwise_mail_failed", "Stored emails given up on", mail_failed.clone());
        let (webhooks_pending, webhooks_failed) = (Gauge::default(), Gauge::default());
        registry.register("slotwise_webhooks_pending", "Webhook deliveries not yet made", webhooks_pending.clone());
        registry.register("slotwise_webhooks_failed", "Webhook deliveries given up on", webhooks_failed.clone());
        let deliveries = Family::<Labels, Counter>::default();
        let webhook_deliveries = Tally {
            delivered: deliveries.get_or_create_owned(&[("outcome", "delivered")]),
            failed: deliveries.get_or_create_owned(&[("outcome", "failed")]),
            given_up: deliveries.get_or_create_owned(&[("outcome", "given_up")]),
        };
        registry.register("slotwise_webhook_deliveries", "Webhook delivery attempts, by outcome", deliveries);
        Metrics {
            registry,
            requests,
            durations,
            flow_steps,
            bookings,
            cancellations,
            reschedules,
            code_emails,
            mail_pending,
            mail_failed,
            webhooks_pending,
            webhooks_failed,
            webhook_deliveries,
        }
    }

    /// Counts a booking made.
    pub fn booked(&self) {
        self.bookings.inc();
    }

    /// Counts a booking cancelled.
    pub fn cancelled(&self) {
        self.cancellations.inc();
    }

    /// Counts a booking moved.
    pub fn rescheduled(&self) {
        self.reschedules.inc();
    }

    /// Counts a code email asked for.
    pub fn code_email(&self, outcome: CodeOutcome) {
        let i = CodeOutcome::ALL.iter().position(|o| *o == outcome).unwrap_or(0);
        self.code_emails[i].inc();
    }

    /// Counts flows that reached the funnel step with index `step` (see [`STEPS`]).
    pub(super) fn flows_reached(&self, step: usize, flows: u64) {
        if let Some(counter) = self.flow_steps.get(step) {
            counter.inc_by(flows);
        }
    }

    /// Everything, in the Prometheus text format (version 0.0.4).
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_is_exposed_with_its_spec_name() {
        let m = Metrics::new();
        m.booked();
        m.code_email(CodeOutcome::Refused);
        m.requests.inc(200);
        m.durations.observe(std::time::Duration::from_millis(3));
        m.flows_reached(2, 2);
        m.webhook_deliveries.delivered.inc();
        let text = m.encode().expect("encodes");
        for line in [
            "slotwise_http_requests_total{status=\"200\"} 1",
            "slotwise_http_request_duration_seconds_bucket{le=\"0.005\"} 1",
            "slotwise_http_request_duration_seconds_count 1",
            "slotwise_flow_steps_total{step=\"slot\"} 2",
            "slotwise_flow_steps_total{step=\"done\"} 0",
            "slotwise_bookings_total 1",
            "slotwise_cancellations_total 0",
            "slotwise_reschedules_total 0",
            "slotwise_code_emails_total{outcome=\"refused\"} 1",
            "slotwise_code_emails_total{outcome=\"sent\"} 0",
            "slotwise_mail_pending 0",
            "slotwise_mail_failed 0",
            "slotwise_webhooks_pending 0",
            "slotwise_webhooks_failed 0",
            "slotwise_webhook_deliveries_total{outcome=\"delivered\"} 1",
            "slotwise_webhook_deliveries_total{outcome=\"given_up\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "missing `{line}` in\n{text}");
        }
    }
}
