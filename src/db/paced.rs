//! Background deletions in batches that leave room for requests.

use std::future::Future;
use std::time::{Duration, Instant};

/// The shortest pause between two batches.
const MIN_PAUSE: Duration = Duration::from_millis(2);

/// Runs `batch` until it says no work is left, and returns the sum of what
/// the batches counted. `batch` answers `(counted, more)`.
///
/// NOTE: after each batch it pauses as long as the batch took, so a big
/// backlog (a million expired sessions, years of bookings to anonymise)
/// never takes more than half of the writer — and of one core on a small
/// machine — away from requests.
pub async fn paced<E, F, Fut>(mut batch: F) -> Result<u64, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(u64, bool), E>>,
{
    let mut total = 0;
    loop {
        let started = Instant::now();
        let (counted, more) = batch().await?;
        total += counted;
        if !more {
            return Ok(total);
        }
        tokio::time::sleep(started.elapsed().max(MIN_PAUSE)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sums_the_batches_until_one_says_done() {
        let mut left = 5;
        let total = paced(|| {
            left -= 1;
            std::future::ready(Ok::<_, ()>((10, left > 0)))
        })
        .await;
        assert_eq!((total, left), (Ok(50), 0));
    }

    #[tokio::test]
    async fn stops_at_the_first_error() {
        let mut calls = 0;
        let total: Result<u64, &str> = paced(|| {
            calls += 1;
            std::future::ready(if calls == 2 { Err("failed") } else { Ok((1, true)) })
        })
        .await;
        assert_eq!((total, calls), (Err("failed"), 2));
    }
}
