//! Sending a code email for a flow: the limits across sessions (`abuse`),
//! the flow's own limits and the code (`Codes`), the email (`mail`), the
//! count of each outcome (`metrics`); a send that fails is refunded, so it
//! counts toward no limit.

use super::{Codes, Reservation, SendRefused};
use crate::abuse::{Client, Counted, Limit, Limits};
use crate::mail::{Appointment, Notifier, Recipient};
use crate::metrics::{CodeOutcome, Metrics};

/// What asking for a code came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeSend {
    /// Emailed.
    Sent,
    /// A live code for that address was sent already; nothing new went out.
    AlreadyLive,
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

/// The code service with what sending needs: the limits across sessions
/// (and the asking client), the mailer and the counters.
pub struct CodeSender<'a> {
    /// The flow's codes and their limits.
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

impl CodeSender<'_> {
    /// Emails a fresh code for `flow` to `to` about `appointment`, limits
    /// permitting; the previous code stops working.
    pub async fn send(&self, flow: &str, to: &Recipient<'_>, appointment: &Appointment<'_>) -> sqlx::Result<CodeSend> {
        let sent = self.send_once(flow, to, appointment).await?;
        self.metrics.code_email(match sent {
            CodeSend::Sent => CodeOutcome::Sent,
            CodeSend::Refused(_) | CodeSend::Limited { .. } => CodeOutcome::Refused,
            CodeSend::Failed => CodeOutcome::Failed,
            CodeSend::AlreadyLive => return Ok(sent),
        });
        Ok(sent)
    }

    /// [`CodeSender::send`], unless `flow` has a live code for that address
    /// already (the same details posted again).
    pub async fn send_unless_live(
        &self,
        flow: &str,
        to: &Recipient<'_>,
        appointment: &Appointment<'_>,
    ) -> sqlx::Result<CodeSend> {
        if self.codes.has_live_code(flow, to.email).await? {
            return Ok(CodeSend::AlreadyLive);
        }
        self.send(flow, to, appointment).await
    }

    async fn send_once(&self, flow: &str, to: &Recipient<'_>, appointment: &Appointment<'_>) -> sqlx::Result<CodeSend> {
        let ticket = match self.limits.count_send(&self.client, to.email).await? {
            Counted::Counted(ticket) => ticket,
            Counted::Refused { limit, retry_after_secs } => return Ok(CodeSend::Limited { limit, retry_after_secs }),
        };
        let reserved = match self.codes.reserve(flow, to.email).await? {
            Reservation::Granted(reserved) => reserved,
            Reservation::Refused(refused) => {
                self.limits.refund(ticket).await?;
                return Ok(CodeSend::Refused(refused));
            }
        };
        let ttl_minutes = self.codes.config.ttl_secs.get().div_ceil(60);
        if self.notifier.code(to, &reserved.code, ttl_minutes, appointment).await.is_ok() {
            self.codes.sent(flow, &reserved).await?;
            return Ok(CodeSend::Sent);
        }
        self.codes.refund(flow, &reserved).await?;
        self.limits.refund(ticket).await?;
        Ok(CodeSend::Failed)
    }
}
