//! Requests being answered, counted so that shutdown closes the pool only
//! after them.
//!
//! NOTE: Rocket runs shutdown fairings (the pool's close among them) as soon
//! as shutdown is asked for, while requests are still being answered;
//! closing at once answered them with errors.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rocket::fairing::{Fairing, Info, Kind};
use tokio::sync::Notify;

use super::Db;

/// The longest a shutdown waits for requests in flight before closing the
/// pool anyway (Rocket's default `shutdown.grace` plus `mercy`).
const DRAIN_WITHIN: Duration = Duration::from_secs(5);
/// How long no request must be in flight before shutdown closes the pool.
const QUIET: Duration = Duration::from_millis(250);

/// The count of requests in flight.
#[derive(Default)]
pub(super) struct InFlight {
    count: AtomicUsize,
    idle: Notify,
}

impl InFlight {
    /// A request started.
    pub(super) fn started(&self) {
        self.count.fetch_add(1, Ordering::AcqRel);
    }

    /// A request was answered.
    pub(super) fn answered(&self) {
        if self.count.fetch_sub(1, Ordering::AcqRel) <= 1 {
            self.idle.notify_waiters();
        }
    }

    /// Waits until no request has been in flight for [`QUIET`], at most
    /// [`DRAIN_WITHIN`].
    ///
    /// NOTE: not merely until none is: a keep-alive connection's next
    /// request can arrive just after the previous one was answered.
    pub(super) async fn drained(&self) {
        let wait = async {
            loop {
                let idle = self.idle.notified();
                if self.count.load(Ordering::Acquire) == 0 {
                    tokio::time::sleep(QUIET).await;
                    if self.count.load(Ordering::Acquire) == 0 {
                        return;
                    }
                    continue;
                }
                idle.await;
            }
        };
        let _ = tokio::time::timeout(DRAIN_WITHIN, wait).await;
    }
}

/// Counts the requests in flight for [`DbPool`]'s shutdown.
struct Requests;

#[rocket::async_trait]
impl Fairing for Requests {
    fn info(&self) -> Info {
        Info { name: "Requests in flight", kind: Kind::Request | Kind::Response }
    }

    async fn on_request(&self, req: &mut rocket::Request<'_>, _: &mut rocket::Data<'_>) {
        if let Some(db) = req.rocket().state::<Db>() {
            db.in_flight.started();
        }
    }

    async fn on_response<'r>(&self, req: &'r rocket::Request<'_>, _: &mut rocket::Response<'r>) {
        if let Some(db) = req.rocket().state::<Db>() {
            db.in_flight.answered();
        }
    }
}

/// Counts requests in flight, so that shutdown closes the pool only once
/// they are answered. Attach it last: its `on_response` must run after every
/// other fairing's (the session saves in one).
pub fn in_flight() -> impl Fairing {
    Requests
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn drained_waits_for_the_last_answer_then_a_quiet_spell() {
        let in_flight = std::sync::Arc::new(InFlight::default());
        in_flight.started();
        let answering = {
            let in_flight = in_flight.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                in_flight.answered();
            })
        };
        let started = std::time::Instant::now();
        in_flight.drained().await;
        assert!(started.elapsed() >= Duration::from_millis(100) + QUIET, "{:?}", started.elapsed());
        answering.await.expect("the answer");
    }
}
