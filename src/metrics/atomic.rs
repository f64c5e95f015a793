//! The two metrics every request touches, as plain atomics: requests by
//! status and the request-duration histogram. `prometheus-client` encodes
//! them (they implement its [`EncodeMetric`]); only the storage is ours.
//!
//! NOTE: the crate's `Histogram` takes a mutex per observation and its
//! `Family` a read lock per lookup; here a request costs three relaxed
//! `fetch_add`s and an array index, whatever the number of workers.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;

/// Status codes counted one by one; anything above is counted as 599.
const STATUS_SLOTS: usize = 600;

/// Upper bounds of the duration buckets, in seconds.
pub const BOUNDS: [f64; 13] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Responses by status code; clones share the counts.
#[derive(Clone, Debug)]
pub struct StatusCounts(Arc<[AtomicU64]>);

impl Default for StatusCounts {
    fn default() -> Self {
        StatusCounts((0..STATUS_SLOTS).map(|_| AtomicU64::new(0)).collect())
    }
}

impl StatusCounts {
    /// Counts one response with `status`.
    pub fn inc(&self, status: u16) {
        let slot = usize::from(status).min(STATUS_SLOTS - 1);
        self.0[slot].fetch_add(1, Relaxed);
    }

    /// Responses counted with `status`.
    #[cfg(test)]
    fn get(&self, status: u16) -> u64 {
        self.0[usize::from(status).min(STATUS_SLOTS - 1)].load(Relaxed)
    }
}

impl EncodeMetric for StatusCounts {
    /// One sample per status seen so far, labelled `status`.
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        for (status, count) in self.0.iter().enumerate() {
            let count = count.load(Relaxed);
            if count > 0 {
                let labels = [("status", status.to_string())];
                encoder.encode_family(&labels)?.encode_counter::<NoLabelSet, _, u64>(&count, None)?;
            }
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }
}

/// A histogram of durations with the fixed [`BOUNDS`]; clones share it.
#[derive(Clone, Debug)]
pub struct Durations(Arc<Buckets>);

#[derive(Debug)]
struct Buckets {
    /// Observations per bucket (not cumulative); the last is above every bound.
    counts: [AtomicU64; BOUNDS.len() + 1],
    /// Sum of all observations, in nanoseconds.
    sum_nanos: AtomicU64,
}

impl Default for Durations {
    fn default() -> Self {
        Durations(Arc::new(Buckets {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_nanos: AtomicU64::new(0),
        }))
    }
}

impl Durations {
    /// Records one duration.
    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let bucket = BOUNDS.iter().position(|bound| seconds <= *bound).unwrap_or(BOUNDS.len());
        self.0.counts[bucket].fetch_add(1, Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.0.sum_nanos.fetch_add(nanos, Relaxed);
    }

    /// Observations so far.
    #[cfg(test)]
    fn count(&self) -> u64 {
        self.0.counts.iter().map(|c| c.load(Relaxed)).sum()
    }
}

impl EncodeMetric for Durations {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let buckets: Vec<(f64, u64)> =
            BOUNDS.iter().copied().chain([f64::INFINITY]).zip(self.0.counts.iter().map(|c| c.load(Relaxed))).collect();
        // NOTE: the count is the buckets' sum, read once, so `+Inf` and
        // `_count` agree even while requests are being counted.
        let count = buckets.iter().map(|(_, n)| n).sum();
        let sum = self.0.sum_nanos.load(Relaxed) as f64 / 1e9;
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_fall_into_the_first_bucket_that_holds_them() {
        let d = Durations::default();
        d.observe(Duration::from_micros(500));
        d.observe(Duration::from_millis(1));
        d.observe(Duration::from_millis(30));
        d.observe(Duration::from_secs(60));
        let counts: Vec<u64> = d.0.counts.iter().map(|c| c.load(Relaxed)).collect();
        assert_eq!(counts[0], 2, "≤ 1 ms");
        assert_eq!(counts[5], 1, "≤ 50 ms");
        assert_eq!(counts[BOUNDS.len()], 1, "above every bound");
        assert_eq!(d.count(), 4);
    }

    #[test]
    fn statuses_count_apart_and_strange_ones_land_on_599() {
        let s = StatusCounts::default();
        s.inc(200);
        s.inc(200);
        s.inc(404);
        s.inc(999);
        assert_eq!((s.get(200), s.get(404), s.get(599), s.get(500)), (2, 1, 1, 0));
    }
}
