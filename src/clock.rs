//! The app's one clock. Every rule, service, store and background task asks
//! it for the time instead of reading the system clock itself, so a test can
//! build the app with a clock it sets and moves forward ([`Clock::starting_at`])
//! instead of sleeping, and every "now" of one request agrees.
//!
//! Imports no Slotwise module. Durations measured for their own sake
//! (request timings, idle connections) use `std::time::Instant`, not this.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

/// The time, as the app sees it. Cheap to clone; clones share one source.
#[derive(Clone, Debug, Default)]
pub struct Clock(Arc<Source>);

#[derive(Debug, Default)]
enum Source {
    /// The system clock (production, the CLI).
    #[default]
    System,
    /// A clock that only moves when told (tests), in unix milliseconds.
    Manual(AtomicI64),
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that reads `start` until it is moved ([`Clock::advance`],
    /// [`Clock::set`]).
    pub fn starting_at(start: DateTime<Utc>) -> Clock {
        Clock(Arc::new(Source::Manual(AtomicI64::new(start.timestamp_millis()))))
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        match &*self.0 {
            Source::System => Utc::now(),
            Source::Manual(ms) => DateTime::from_timestamp_millis(ms.load(Ordering::SeqCst)).unwrap_or_default(),
        }
    }

    /// Now, in unix milliseconds (the stores' time columns).
    pub fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }

    /// Moves a manual clock forward by `by`; the system clock moves by itself
    /// and is left alone.
    pub fn advance(&self, by: Duration) {
        if let Source::Manual(ms) = &*self.0 {
            ms.fetch_add(by.num_milliseconds(), Ordering::SeqCst);
        }
    }

    /// Sets a manual clock to `at`; the system clock is left alone.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Source::Manual(ms) = &*self.0 {
            ms.store(at.timestamp_millis(), Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_clones_share_it() {
        let start = DateTime::from_timestamp(2_000_000_000, 0).expect("valid");
        let clock = Clock::starting_at(start);
        let shared = clock.clone();
        assert_eq!(clock.now(), start);
        shared.advance(Duration::seconds(90));
        assert_eq!(clock.now(), start + Duration::seconds(90));
        clock.set(start);
        assert_eq!(shared.now_ms(), start.timestamp_millis());
    }

    #[test]
    fn the_system_clock_reads_the_system_time_and_ignores_moves() {
        let clock = Clock::system();
        let before = Utc::now();
        clock.advance(Duration::days(365));
        let now = clock.now();
        assert!(now >= before && now - before < Duration::days(1));
    }
}
