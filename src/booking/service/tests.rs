//! The booking service's decisions, on a real SQLite file.

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::db::{self, Lane};

const ALL_DAY: &[&str] = &["00:00-24:00"];

async fn setup() -> (tempfile::TempDir, DbPool, BookingConfig) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("b.db").display());
    let pool = db::connect(&url, 2, 5).await.expect("open SQLite");
    db::migrate(&pool).await.expect("migrate");
    let week: Vec<(&str, &[&str])> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map(|d| (d, ALL_DAY)).into();
    let mut config = crate::config::booking_with_hours("UTC", &week).expect("config");
    config.min_notice_minutes = 0;
    (dir, pool, config)
}

/// The tests' now: a Monday, 08:00 UTC.
fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2031-03-03T08:00:00Z").expect("a time").to_utc()
}

/// A clock that reads [`now`] until a test moves it.
/// The keys of the links these tests make.
fn secrets() -> &'static Secrets {
    static SECRETS: std::sync::OnceLock<Secrets> = std::sync::OnceLock::new();
    SECRETS.get_or_init(|| Secrets::from_figment(&rocket::figment::Figment::from(("secret_key", "test"))).unwrap())
}

fn clock() -> Clock {
    Clock::starting_at(now())
}

/// A start on the grid, tomorrow at 10:00 UTC.
fn tomorrow_ten() -> DateTime<Utc> {
    let day = (now() + Duration::days(1)).date_naive();
    day.and_hms_opt(10, 0, 0).expect("time").and_utc()
}

fn request<'a>(flow: &'a str, service: &'a Service, start: DateTime<Utc>) -> Request<'a> {
    let contact = Contact { name: "Ada", email: "ada@example.test", phone: "", notes: "", lang: "en", zone: None };
    Request { flow, service, start, contact, whom: None }
}

#[rocket::async_test]
async fn a_held_time_is_not_free_for_another_flow_until_released() {
    let (_dir, pool, config) = setup().await;
    let clock = clock();
    let bookings = Bookings::new(&config, &pool, &clock, secrets());
    let service = &config.services[0];
    let start = tomorrow_ten();
    let Held::Placed(Some(placed)) = bookings.hold("a", "c1", service, start).await.expect("hold") else {
        panic!("a free time is held")
    };
    let until = now() + Duration::minutes(config.hold_minutes.into());
    assert_eq!(placed, LiveHold { start, until, practitioner: None }, "the hold as placed");
    assert_eq!(bookings.live_hold("a").await.expect("read"), Some(placed), "the hold as kept");
    assert!(matches!(bookings.hold("a", "c1", service, start).await.expect("its own hold"), Held::Placed(_)));
    assert_eq!(bookings.hold("b", "c2", service, start).await.expect("second hold"), Held::Taken);
    bookings.release("a").await.expect("release");
    assert!(matches!(bookings.hold("b", "c2", service, start).await.expect("hold after release"), Held::Placed(_)));
}

#[rocket::async_test]
async fn a_flow_books_once_and_a_taken_time_is_refused() {
    let (_dir, pool, config) = setup().await;
    let clock = clock();
    let bookings = Bookings::new(&config, &pool, &clock, secrets());
    let service = &config.services[0];
    let start = tomorrow_ten();
    let Confirmation::Booked { reference, token } = bookings.confirm(&request("a", service, start)).await.unwrap()
    else {
        panic!("the first confirm books");
    };
    assert_eq!(
        bookings.confirm(&request("a", service, start)).await.unwrap(),
        Confirmation::Already(reference.clone())
    );
    assert_eq!(bookings.confirm(&request("b", service, start)).await.unwrap(), Confirmation::Taken);
    let found = bookings.find(&reference, &token).await.unwrap().expect("found by its link");
    assert_eq!((found.starts_at, found.email.as_str()), (start, "ada@example.test"));
    assert_ne!(found.cancel_token_hash, token, "only the hash is stored");
}

#[rocket::async_test]
async fn cancelling_needs_the_token_and_happens_once() {
    let (_dir, pool, config) = setup().await;
    let clock = clock();
    let bookings = Bookings::new(&config, &pool, &clock, secrets());
    let service = &config.services[0];
    let start = tomorrow_ten();
    let Confirmation::Booked { reference, token } = bookings.confirm(&request("a", service, start)).await.unwrap()
    else {
        panic!("booked");
    };
    assert!(matches!(bookings.cancel(&reference, "wrong").await.unwrap(), Cancellation::NotFound));
    assert!(matches!(bookings.cancel(&reference, &token).await.unwrap(), Cancellation::Cancelled(_)));
    assert!(matches!(bookings.cancel(&reference, &token).await.unwrap(), Cancellation::AlreadyCancelled));
    // The freed time can be booked again.
    assert!(matches!(bookings.confirm(&request("b", service, start)).await.unwrap(), Confirmation::Booked { .. }));
}

#[rocket::async_test]
async fn a_time_off_the_grid_is_neither_held_nor_booked() {
    let (_dir, pool, config) = setup().await;
    let clock = clock();
    let bookings = Bookings::new(&config, &pool, &clock, secrets());
    let service = &config.services[0];
    let off_grid = tomorrow_ten() + Duration::minutes(7);
    assert_eq!(bookings.hold("a", "c1", service, off_grid).await.unwrap(), Held::Taken);
    assert_eq!(bookings.confirm(&request("a", service, off_grid)).await.unwrap(), Confirmation::Taken);
}

#[test]
fn references_read_aloud_and_links_carry_the_token() {
    for _ in 0..200 {
        let reference = new_reference();
        assert_eq!(reference.len(), 9);
        assert_eq!(&reference[4..5], "-");
        assert!(reference.bytes().filter(|b| *b != b'-').all(|b| REFERENCE_ALPHABET.contains(&b)), "{reference}");
    }
    assert_eq!(manage_url("https://x.test/", "ABCD-EFGH", "t0k"), "https://x.test/booking/ABCD-EFGH?token=t0k");
}

#[rocket::async_test]
async fn one_client_holds_at_most_its_limit_and_its_own_hold_moves_freely() {
    let (_dir, pool, config) = setup().await;
    let clock = clock();
    let bookings = Bookings::new(&config, &pool, &clock, secrets()).with_hold_limit(2);
    let service = &config.services[0];
    let start = tomorrow_ten();
    let at = |hours: i64| start + Duration::hours(hours);
    assert!(matches!(bookings.hold("f1", "client", service, at(0)).await.unwrap(), Held::Placed(_)));
    assert!(matches!(bookings.hold("f2", "client", service, at(1)).await.unwrap(), Held::Placed(_)));
    assert_eq!(bookings.hold("f3", "client", service, at(2)).await.unwrap(), Held::TooMany);
    // A flow that already holds may move its hold; another client is not limited.
    assert!(matches!(bookings.hold("f2", "client", service, at(3)).await.unwrap(), Held::Placed(_)));
    assert!(matches!(bookings.hold("g1", "other", service, at(2)).await.unwrap(), Held::Placed(_)));
    bookings.release("f1").await.unwrap();
    assert!(matches!(bookings.hold("f3", "client", service, at(4)).await.unwrap(), Held::Placed(_)));
}

#[rocket::async_test]
async fn a_daily_cap_counts_holds_and_bookings_starting_that_date() {
    let (_dir, pool, mut config) = setup().await;
    let clock = clock();
    config.max_per_day = 2.into();
    let bookings = Bookings::new(&config, &pool, &clock, secrets());
    let service = &config.services[0];
    let ten = tomorrow_ten();
    assert!(matches!(bookings.hold("a", "c-a", service, ten).await.unwrap(), Held::Placed(_)));
    let booked = bookings.confirm(&request("b", service, ten + Duration::hours(1))).await.unwrap();
    assert!(matches!(booked, Confirmation::Booked { .. }));
    // Two started tomorrow (a hold and a booking): a third neither holds nor books.
    let noon = ten + Duration::hours(2);
    assert_eq!(bookings.hold("c", "c-c", service, noon).await.unwrap(), Held::Taken);
    assert_eq!(bookings.confirm(&request("c", service, noon)).await.unwrap(), Confirmation::Taken);
    assert!(
        matches!(bookings.hold("c", "c-c", service, noon + Duration::days(1)).await.unwrap(), Held::Placed(_)),
        "the next date counts anew"
    );
    // A flow's own hold does not count against moving it on the same date.
    assert!(matches!(bookings.hold("a", "c-a", service, noon).await.unwrap(), Held::Placed(_)));
    bookings.release("a").await.unwrap();
    assert!(
        matches!(bookings.hold("c", "c-c", service, noon).await.unwrap(), Held::Placed(_)),
        "a released hold no longer counts"
    );
}

#[rocket::async_test]
async fn a_service_cap_counts_that_service_only() {
    let (_dir, pool, mut config) = setup().await;
    let clock = clock();
    let mut capped = config.services[0].clone();
    capped.id = "capped".into();
    capped.max_per_day = 1.into();
    config.services.push(capped);
    let bookings = Bookings::new(&config, &pool, &clock, secrets());
    let (plain, capped) = (&config.services[0], &config.services[1]);
    let ten = tomorrow_ten();
    assert!(matches!(bookings.hold("a", "c-a", plain, ten).await.unwrap(), Held::Placed(_)));
    assert!(matches!(bookings.hold("b", "c-b", capped, ten + Duration::hours(1)).await.unwrap(), Held::Placed(_)));
    assert_eq!(bookings.hold("c", "c-c", capped, ten + Duration::hours(2)).await.unwrap(), Held::Taken);
    assert!(matches!(bookings.hold("c", "c-c", plain, ten + Duration::hours(2)).await.unwrap(), Held::Placed(_)));
    let taken = bookings.taken(ten.date_naive(), ten.date_naive(), "c").await.unwrap();
    assert_eq!((taken.starts.all(ten.date_naive()), taken.starts.of(ten.date_naive(), "capped")), (2, 1));
}

#[rocket::async_test]
async fn a_buffer_before_is_stored_and_keeps_its_time_free() {
    let (_dir, pool, mut config) = setup().await;
    let clock = clock();
    let mut prepared = config.services[0].clone();
    prepared.id = "prepared".into();
    prepared.buffer_before_minutes = 30;
    config.services.push(prepared);
    let bookings = Bookings::new(&config, &pool, &clock, secrets());
    let (plain, prepared) = (&config.services[0], &config.services[1]);
    let ten = tomorrow_ten();
    let Confirmation::Booked { reference, .. } = bookings.confirm(&request("a", prepared, ten)).await.unwrap() else {
        panic!("booked");
    };
    let sql = "SELECT busy_from, starts_at FROM bookings WHERE reference = $1";
    let (busy_from, starts_at): (i64, i64) =
        pool.leased(Lane::Read, async |c| sqlx::query_as(sql).bind(&reference).fetch_one(c).await).await.unwrap();
    assert_eq!((busy_from, starts_at), ((ten - Duration::minutes(30)).timestamp_millis(), ten.timestamp_millis()));
    // 09:30-10:00 is the buffer: a plain appointment there is refused, one at 09:00 is not.
    assert_eq!(bookings.hold("b", "c-b", plain, ten - Duration::minutes(30)).await.unwrap(), Held::Taken);
    assert!(matches!(bookings.hold("b", "c-b", plain, ten - Duration::minutes(60)).await.unwrap(), Held::Placed(_)));
    // A hold keeps its buffer free too: prepared at 12:00 occupies 11:30-12:30.
    assert!(matches!(bookings.hold("c", "c-c", prepared, ten + Duration::hours(2)).await.unwrap(), Held::Placed(_)));
    assert_eq!(bookings.hold("d", "c-d", plain, ten + Duration::minutes(90)).await.unwrap(), Held::Taken);
    assert!(matches!(bookings.hold("d", "c-d", plain, ten + Duration::minutes(60)).await.unwrap(), Held::Placed(_)));
}
