//! Work the running app repeats until shutdown: the session, abuse-counter
//! and retention purges, and the outbox's sender. One loop for all of them,
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
