//! The outbox's retry schedule.

use super::*;
use crate::config::tests::settings;

fn config(retry_secs: u64, give_up_hours: u32) -> MailConfig {
    settings(&format!("[mail]\nretry_secs = {retry_secs}\ngive_up_hours = {give_up_hours}")).expect("valid").mail
}

#[test]
fn retries_double_from_retry_secs_up_to_an_hour() {
    let config = config(30, 48);
    let due = 1_000_000;
    let waits: Vec<i64> = (0..10).map(|n| next_attempt(&config, due, n, due).expect("retry") - due).collect();
    assert_eq!(&waits[..5], &[30_000, 60_000, 120_000, 240_000, 480_000]);
    assert!(waits.iter().all(|w| *w <= 3_600_000));
    assert_eq!(waits[9], 3_600_000);
}

#[test]
fn an_email_is_failed_once_give_up_hours_have_passed() {
    let config = config(30, 2);
    let due = 1_000_000;
    assert!(next_attempt(&config, due, 3, due + 2 * 3_600_000 - 1).is_some());
    assert_eq!(next_attempt(&config, due, 3, due + 2 * 3_600_000), None);
    assert_eq!(next_attempt(&self::config(30, 0), due, 0, due), None, "0: failed at the first refused attempt");
}
