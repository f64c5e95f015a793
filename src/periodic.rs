//! Work the running app repeats until shutdown: the session, abuse-counter
//! and retention purges, and the outbox's and webhooks' senders. One loop for all of them,
//! so each feature says only what it does on each turn.
//!
//! Imports no Slotwise module.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rocket::{Orbit, Rocket};
use tokio::sync::Notify;

/// What a turn asks of the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Wait for the next turn.
    Wait,
    /// Run again at once (a full batch: there may be more).
    Again,
    /// End the loop (its resource is gone).
    Stop,
}

impl Next {
    /// What a sender's turn asks after delivering `done` of at most `batch`
    /// (the outbox's, the webhooks'): again after a full batch; on an
    /// error, stop once its database is `closed` (shutdown), else log it
    /// and wait.
    pub fn after_delivery<E: std::fmt::Display>(
        done: Result<usize, E>,
        batch: i64,
        closed: bool,
        sender: &str,
    ) -> Next {
        match done {
            Ok(n) if i64::try_from(n).is_ok_and(|n| n >= batch) => Next::Again,
            Ok(_) => Next::Wait,
            Err(e) if closed => {
                rocket::info!("{sender} sender stops: {e}");
                Next::Stop
            }
            Err(e) => {
                rocket::warn!("{sender} delivery failed: {e}");
                Next::Wait
            }
        }
    }
}

/// Runs `turn` at once and then every `period` until `rocket` shuts down;
/// also at once whenever `wake` is notified. `turn` builds each run's future
/// from what it captured (clone what the future keeps).
pub fn repeat<F, Fut>(rocket: &Rocket<Orbit>, period: Duration, wake: Option<Arc<Notify>>, mut turn: F)
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Next> + Send + 'static,
{
    let mut shutdown = rocket.shutdown();
    rocket::tokio::spawn(async move {
        loop {
            match turn().await {
                Next::Again => continue,
                Next::Stop => return,
                Next::Wait => {}
            }
            let woken = async {
                match &wake {
                    Some(wake) => wake.notified().await,
                    None => std::future::pending().await,
                }
            };
            rocket::tokio::select! {
                _ = &mut shutdown => return,
                _ = woken => {}
                _ = rocket::tokio::time::sleep(period) => {}
            }
        }
    });
}
