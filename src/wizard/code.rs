//! Sending a code email for the flow: the limits (`otp`), the email
//! (`mail`), and a send that failed refunded so it does not count.

use fluent_templates::fluent_bundle::FluentValue;
use rocket::http::Status;
use rocket::outcome::try_outcome;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::State;

use super::flow::Flow;
use super::state::WizardState;
use crate::abuse::{Client, Counted, Limit, Limits};
use crate::i18n::t_args;
use crate::mail::{Notifier, Recipient};
use crate::metrics::{CodeOutcome, Metrics};
use crate::otp::{Codes, Reservation, SendRefused};
use crate::web::Error;

/// What asking for a code came to.
pub enum CodeSend {
    /// Emailed.
    Sent,
    /// A limit of the flow refused it; nothing was sent.
    Refused(SendRefused),
    /// A limit across sessions refused it; nothing was sent.
    Limited {
        /// Which limit.
        limit: Limit,
        /// Seconds until it allows one more.
        retry_after_secs: u64,
    },
    /// The email could not be sent; the send does not count.
    Failed,
}

impl CodeSend {
    /// The status and message to show when no code went out.
    pub fn refusal(&self, flow: &Flow<'_>) -> Option<(Status, String)> {
        match self {
            CodeSend::Sent => None,
            CodeSend::Refused(SendRefused::Cooldown(secs)) => Some((
                Status::TooManyRequests,
                t_args(&flow.page.lang, "err-cooldown", &[("seconds", FluentValue::from(secs.to_string()))]),
            )),
            CodeSend::Refused(SendRefused::MaxSends) => Some((Status::TooManyRequests, flow.t("err-max-sends"))),
            CodeSend::Limited { limit, retry_after_secs } => {
                let id = match limit {
                    Limit::Address => "err-address-limit",
                    Limit::Client => "err-client-limit",
                };
                let minutes = FluentValue::from(retry_after_secs.div_ceil(60).to_string());
                Some((Status::TooManyRequests, t_args(&flow.page.lang, id, &[("minutes", minutes)])))
            }
            CodeSend::Failed => Some((Status::ServiceUnavailable, flow.t("err-mail-failed"))),
        }
    }
}

/// What sending needs besides the flow: the code service, the limits that
/// span sessions (with the asking client) and the mail; a request guard.
pub struct Sender<'a> {
    /// The flow's code limits and codes.
    pub codes: Codes<'a>,
    /// The limits across sessions.
    pub limits: Limits<'a>,
    /// Who asks.
    pub client: Client,
    /// Where the email goes out.
    pub notifier: &'a Notifier,
    /// Counts each outcome.
    pub metrics: &'a Metrics,
}

/// Sends a fresh code to the address in `state`'s details (limits permitting).
/// A refused or failed send counts toward no limit.
pub async fn send(flow: &Flow<'_>, state: &WizardState, sender: &Sender<'_>) -> Result<CodeSend, Error> {
    let sent = send_once(flow, state, sender).await?;
    sender.metrics.code_email(match sent {
        CodeSend::Sent => CodeOutcome::Sent,
        CodeSend::Refused(_) | CodeSend::Limited { .. } => CodeOutcome::Refused,
        CodeSend::Failed => CodeOutcome::Failed,
    });
    Ok(sent)
}

async fn send_once(flow: &Flow<'_>, state: &WizardState, sender: &Sender<'_>) -> Result<CodeSend, Error> {
    let (Some(details), Some(appointment)) = (state.details.as_ref(), flow.appointment()) else {
        return Ok(CodeSend::Failed);
    };
    let ticket = match sender.limits.count_send(&sender.client, &details.email).await? {
        Counted::Counted(ticket) => ticket,
        Counted::Refused { limit, retry_after_secs } => return Ok(CodeSend::Limited { limit, retry_after_secs }),
    };
    let reserved = match sender.codes.reserve(&state.flow_id, &details.email).await? {
        Reservation::Granted(reserved) => reserved,
        Reservation::Refused(refused) => {
            sender.limits.refund(ticket).await?;
            return Ok(CodeSend::Refused(refused));
        }
    };
    let to = Recipient { name: &details.name, email: &details.email, lang: &flow.page.lang };
    let ttl_minutes = flow.settings.otp.ttl_secs.get().div_ceil(60);
    match sender.notifier.code(&to, &reserved.code, ttl_minutes, &appointment).await {
        Ok(()) => {
            sender.codes.sent(&state.flow_id, &reserved).await?;
            Ok(CodeSend::Sent)
        }
        Err(_) => {
            sender.codes.refund(&state.flow_id, &reserved).await?;
            sender.limits.refund(ticket).await?;
            Ok(CodeSend::Failed)
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Sender<'r> {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let codes = try_outcome!(req.guard::<Codes<'r>>().await);
        let limits = try_outcome!(req.guard::<Limits<'r>>().await);
        let client = req.guard::<Client>().await.succeeded().unwrap_or(Client("unknown".into()));
        let notifier: &State<Notifier> = try_outcome!(req.guard().await);
        let metrics: &State<Metrics> = try_outcome!(req.guard().await);
        Outcome::Success(Sender { codes, limits, client, notifier, metrics })
    }
}
