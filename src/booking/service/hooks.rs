//! The webhook deliveries a booking change stores beside its emails (SPEC
//! §7): what each event says about the booking, prepared before the change's
//! transaction and kept inside it.

use super::Bookings;
use crate::booking::store::NewBooking;
use crate::config::Event;
use crate::webhooks::{Prepared, Snapshot};

/// `booking` as its webhook events describe it (`cancelled` or not).
pub(super) fn snapshot<'a>(booking: &'a NewBooking<'a>, cancelled: bool) -> Snapshot<'a> {
    Snapshot {
        reference: booking.reference,
        service: booking.service_id,
        starts_at: booking.starts_at,
        ends_at: booking.ends_at,
        cancelled,
        practitioner: booking.practitioner_id,
        contact: [booking.name, booking.email, booking.phone, booking.notes],
    }
}

impl Bookings<'_> {
    /// The deliveries of `event` about `booking` (none without webhooks).
    pub(super) fn deliveries(&self, event: Event, booking: &Snapshot<'_>) -> Vec<Prepared> {
        self.hooks.map(|hooks| hooks.about(event, booking)).unwrap_or_default()
    }

    /// `deliveries` were stored: the webhooks' sender goes now.
    pub(super) fn nudge(&self, deliveries: &[Prepared]) {
        if let (Some(hooks), false) = (self.hooks, deliveries.is_empty()) {
            hooks.nudge();
        }
    }
}
