//! What the visitor is told when no code email went out: the status and the
//! message next to the field that asked for it.

use fluent_templates::fluent_bundle::FluentValue;
use rocket::http::Status;

use super::flow::Flow;
use crate::abuse::Limit;
use crate::i18n::t_args;
use crate::otp::{CodeSend, SendRefused};

/// `None` when a code went out (or one sent before still lives); otherwise
/// the status and the message in the visitor's language.
pub fn refusal(flow: &Flow<'_>, sent: CodeSend) -> Option<(Status, String)> {
    let lang = &flow.page.lang;
    match sent {
        CodeSend::Sent | CodeSend::AlreadyLive => None,
        CodeSend::Refused(SendRefused::Cooldown(secs)) => Some((
            Status::TooManyRequests,
            t_args(lang, "err-cooldown", &[("seconds", FluentValue::from(secs.to_string()))]),
        )),
        CodeSend::Refused(SendRefused::MaxSends) => Some((Status::TooManyRequests, flow.t("err-max-sends"))),
        CodeSend::Limited { limit, retry_after_secs } => {
            let id = match limit {
                Limit::Address => "err-address-limit",
                Limit::Client => "err-client-limit",
            };
            let minutes = FluentValue::from(retry_after_secs.div_ceil(60).to_string());
            Some((Status::TooManyRequests, t_args(lang, id, &[("minutes", minutes)])))
        }
        CodeSend::Failed => Some((Status::ServiceUnavailable, flow.t("err-mail-failed"))),
    }
}
