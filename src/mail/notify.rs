//! The one place that sends each kind of email.

use super::messages::{self, Appointment};
use super::{mailbox, MailError, Mailer};

/// Who an email goes to, and in which language.
pub struct Recipient<'a> {
    /// Display name.
    pub name: &'a str,
    /// Address.
    pub email: &'a str,
    /// Language tag of the texts.
    pub lang: &'a str,
}

/// Sends the app's emails through the [`Mailer`].
#[derive(Clone)]
pub struct Notifier {
    mailer: Mailer,
}

impl Notifier {
    /// A notifier over `mailer`.
    pub fn new(mailer: Mailer) -> Notifier {
        Notifier { mailer }
    }

    /// The code email.
    pub async fn code(
        &self,
        to: &Recipient<'_>,
        code: &str,
        ttl_minutes: u64,
        appointment: &Appointment<'_>,
    ) -> Result<(), MailError> {
        let from = self.mailer.from_mailbox();
        let message = mailbox(to.name, to.email)
            .and_then(|m| messages::code_email(from, &m, to.lang, code, ttl_minutes, appointment));
        self.mailer.send_composed(message).await.inspect_err(|e| rocket::warn!("sending a code failed: {e}"))
    }

    /// The confirmation email.
    pub async fn confirmation(
        &self,
        to: &Recipient<'_>,
        reference: &str,
        appointment: &Appointment<'_>,
        manage_url: &str,
    ) -> Result<(), MailError> {
        let from = self.mailer.from_mailbox();
        let message = mailbox(to.name, to.email)
            .and_then(|m| messages::confirmation_email(from, &m, to.lang, reference, appointment, manage_url));
        self.mailer
            .send_composed(message)
            .await
            .inspect_err(|e| rocket::error!("confirmation email for {reference} failed: {e}"))
    }

    /// The cancellation email.
    pub async fn cancellation(
        &self,
        to: &Recipient<'_>,
        reference: &str,
        appointment: &Appointment<'_>,
    ) -> Result<(), MailError> {
        let from = self.mailer.from_mailbox();
        let message = mailbox(to.name, to.email)
            .and_then(|m| messages::cancellation_email(from, &m, to.lang, reference, appointment));
        self.mailer
            .send_composed(message)
            .await
            .inspect_err(|e| rocket::error!("cancellation email for {reference} failed: {e}"))
    }
}
