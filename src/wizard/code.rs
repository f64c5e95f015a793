//! Sending a code email for the flow: the limits (`otp`), the email
//! (`mail`), and a send that failed refunded so it does not count.

use fluent_templates::fluent_bundle::FluentValue;
use rocket::http::Status;

use super::flow::Flow;
use super::state::WizardState;
use crate::i18n::t_args;
use crate::mail::{Notifier, Recipient};
use crate::otp::{Codes, Reservation, SendRefused};
use crate::web::Error;

/// What asking for a code came to.
pub enum CodeSend {
    /// Emailed.
    Sent,
    /// A limit refused it; nothing was sent.
    Refused(SendRefused),
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
            CodeSend::Failed => Some((Status::ServiceUnavailable, flow.t("err-mail-failed"))),
        }
    }
}

/// Sends a fresh code to the address in `state`'s details (limits permitting).
pub async fn send(
    flow: &Flow<'_>,
    state: &WizardState,
    codes: &Codes<'_>,
    notifier: &Notifier,
) -> Result<CodeSend, Error> {
    let (Some(details), Some(appointment)) = (state.details.as_ref(), flow.appointment()) else {
        return Ok(CodeSend::Failed);
    };
    let reserved = match codes.reserve(&state.flow_id, &details.email).await? {
        Reservation::Granted(reserved) => reserved,
        Reservation::Refused(refused) => return Ok(CodeSend::Refused(refused)),
    };
    let to = Recipient { name: &details.name, email: &details.email, lang: &flow.page.lang };
    let ttl_minutes = flow.settings.otp.ttl_secs.get().div_ceil(60);
    match notifier.code(&to, &reserved.code, ttl_minutes, &appointment).await {
        Ok(()) => Ok(CodeSend::Sent),
        Err(_) => {
            codes.refund(&state.flow_id, &reserved).await?;
            Ok(CodeSend::Failed)
        }
    }
}
