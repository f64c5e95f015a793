//! Every store keeps the crate's promises, driven over HTTP as a browser
//! would: nothing stored for lookers, isolated visitors, hashed ids, fresh
//! sessions for junk cookies, cycle and flush that kill the old id, both
//! timeouts, no write for an unchanged session, no lost update between
//! concurrent requests, no resurrection of a flushed or cycled session.

mod support;

use std::time::Duration;

use rocket::http::Status;
use rocket::{get, routes};
use rocket_db_session::Session;
use sha2::Digest;
use support::toml_value::V;
use support::{App, Store};

/// Probe routes that use the session API directly.
mod probe {
    use super::*;

    #[get("/get/<key>")]
    pub fn read(session: Session<'_>, key: &str) -> Option<String> {
        session.get::<String>(key)
    }

    #[get("/set/<key>/<value>?<delay_ms>")]
    pub async fn set(session: Session<'_>, key: &str, value: &str, delay_ms: Option<u64>) -> &'static str {
        // Load first, then wait, so concurrent requests overlap between load and save.
        let _ = session.get::<String>(key);
        if let Some(ms) = delay_ms {
            // NOTE: orders concurrent requests (overlap between load and save), not the clock.
            rocket::tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        session.insert(key, &value).unwrap();
        "ok"
    }

    #[get("/remove/<key>")]
    pub fn remove(session: Session<'_>, key: &str) -> &'static str {
        session.remove(key);
        "ok"
    }

    #[get("/flush")]
    pub fn flush(session: Session<'_>) -> &'static str {
        session.flush();
        "ok"
    }

    #[get("/cycle")]
    pub fn cycle(session: Session<'_>) -> &'static str {
        session.cycle_id();
        "ok"
    }

    #[get("/expiry/<secs>")]
    pub fn expiry(session: Session<'_>, secs: u64) -> String {
        session.set_expiry(secs).unwrap();
        session.get_expiry().to_string()
    }

    #[get("/keys")]
    pub fn keys(session: Session<'_>) -> String {
        let values: Vec<String> =
            session.items().values().map(|v| v.as_str().unwrap_or_default().to_string()).collect();
        format!("{}={}|{}", session.keys().join(","), values.join(","), session.contains("a"))
    }

    #[get("/public")]
    pub fn public(session: Session<'_>) -> String {
        serde_json::to_string(&session.public()).unwrap()
    }

    /// Two guards in one request share one load.
    #[get("/twice")]
    pub fn twice(a: Session<'_>, b: Session<'_>) -> String {
        a.insert("twice", &"a").unwrap();
        b.get::<String>("twice").unwrap_or_default()
    }
}

fn probes() -> Vec<rocket::Route> {
    routes![
        probe::read,
        probe::set,
        probe::remove,
        probe::flush,
        probe::cycle,
        probe::twice,
        probe::expiry,
        probe::keys,
        probe::public
    ]
}

async fn app(store: Store) -> App {
    App::new(&store, probes(), &[]).await
}

async fn a_visitor_who_only_looks_costs_nothing(store: Store) {
    let app = app(store).await;
    let visitor = app.visitor();
    let page = visitor.get("/probe/get/x").await;
    assert_eq!(page.status, Status::NotFound);
    assert!(page.set_cookies.is_empty(), "a cookie for a looker");
    assert_eq!(app.count().await, 0);
    app.clean().await;
}

async fn two_visitors_have_isolated_state(store: Store) {
    let app = app(store).await;
    let (alice, bob) = (app.visitor(), app.visitor());
    alice.get("/probe/set/name/alice").await;
    bob.get("/probe/set/name/bob").await;
    assert_eq!(alice.get("/probe/get/name").await.body, "alice");
    assert_eq!(bob.get("/probe/get/name").await.body, "bob");
    assert_eq!(app.visitor().get("/probe/get/name").await.status, Status::NotFound);
    assert_eq!(app.count().await, 2);
    app.clean().await;
}

async fn the_cookie_has_the_safe_flags_and_ends_with_the_browser(store: Store) {
    let app = app(store.clone()).await;
    let page = app.visitor().get("/probe/set/k/v").await;
    let cookie = page.set_cookies.iter().find(|c| c.starts_with("session=")).expect("the cookie");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    assert!(!cookie.contains("Secure") && !cookie.contains("Expires") && !cookie.contains("Max-Age"), "{cookie}");
    app.clean().await;
    let renamed = App::new(&store, probes(), &[("secure", V::Bool(true)), ("cookie_name", V::Text("sid"))]).await;
    let page = renamed.visitor().get("/probe/set/k/v").await;
    let cookie = page.set_cookies.iter().find(|c| c.starts_with("sid=")).expect("the renamed cookie");
    assert!(cookie.contains("Secure"), "{cookie}");
    renamed.clean().await;
}

async fn two_guards_in_one_request_share_one_session(store: Store) {
    let app = app(store).await;
    assert_eq!(app.visitor().get("/probe/twice").await.body, "a");
    app.clean().await;
}

async fn the_store_holds_only_a_hash_of_the_id(store: Store) {
    let app = app(store).await;
    let visitor = app.visitor();
    visitor.get("/probe/set/k/v").await;
    let cookie = visitor.cookie().unwrap();
    let hashes = app.hashes().await;
    assert_eq!(hashes.len(), 1);
    assert!(hashes[0].len() == 64 && hashes[0].bytes().all(|b| b.is_ascii_hexdigit()), "{hashes:?}");
    assert!(!app.stored_text().await.contains(&cookie));
    if matches!(app.store, Store::Sqlite) {
        let file = std::fs::read(app.dir.path().join("sessions.db")).unwrap();
        assert!(!String::from_utf8_lossy(&file).contains(&cookie), "the cookie is in the database file");
    }
    let id = rocket_db_session::SessionId::generate();
    let raw = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, id.encode()).unwrap();
    assert_eq!(id.storage_key(), hex::encode(sha2::Sha256::digest(raw)));
    app.clean().await;
}

async fn junk_cookies_give_a_fresh_session_and_are_never_adopted(store: Store) {
    let app = app(store).await;
    let visitor = app.visitor();
    visitor.get("/probe/set/k/v").await;
    let good = visitor.cookie().unwrap();
    let mut tampered = good.clone().into_bytes();
    let last = tampered.len() - 3;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for junk in [tampered.as_str(), "garbage", "%%%", &"A".repeat(43), &"x".repeat(4000)] {
        let stranger = app.visitor();
        stranger.set_cookie(Some(junk));
        let page = stranger.get("/probe/get/k").await;
        assert_eq!(page.status, Status::NotFound, "{junk:?}");
        stranger.get("/probe/set/k/mine").await;
        assert_ne!(stranger.cookie().as_deref(), Some(junk), "junk id adopted");
    }
    assert_eq!(visitor.get("/probe/get/k").await.body, "v", "the real session is untouched");
    app.clean().await;
}

async fn an_id_the_store_does_not_know_is_not_adopted(store: Store) {
    let app = app(store).await;
    let visitor = app.visitor();
    visitor.get("/probe/set/k/v").await;
    let before = app.hashes().await;
    app.forget().await;
    assert_eq!(visitor.get("/probe/get/k").await.status, Status::NotFound);
    visitor.get("/probe/set/k/again").await;
    let after = app.hashes().await;
    assert_eq!(after.len(), 1);
    assert_ne!(after, before, "the unknown id was adopted");
    app.clean().await;
}

async fn cycle_id_keeps_the_data_and_kills_the_old_id(store: Store) {
    let app = app(store).await;
    let visitor = app.visitor();
    visitor.get("/probe/set/k/v").await;
    let old = visitor.cookie().unwrap();
    visitor.get("/probe/cycle").await;
    assert_ne!(visitor.cookie().unwrap(), old);
    assert_eq!(visitor.get("/probe/get/k").await.body, "v");
    let replay = app.visitor();
    replay.set_cookie(Some(&old));
    assert_eq!(replay.get("/probe/get/k").await.status, Status::NotFound, "the old id still works");
    assert_eq!(app.count().await, 1);
    app.clean().await;
}

async fn flush_empties_the_session_and_kills_the_old_id(store: Store) {
    let app = app(store).await;
    let visitor = app.visitor();
    visitor.get("/probe/set/k/v").await;
    let old = visitor.cookie().unwrap();
    visitor.get("/probe/flush").await;
    assert_eq!(visitor.cookie(), None, "the cookie is removed");
    assert_eq!(app.count().await, 0);
    let replay = app.visitor();
    replay.set_cookie(Some(&old));
    assert_eq!(replay.get("/probe/get/k").await.status, Status::NotFound);
    replay.get("/probe/set/k/w").await;
    assert_ne!(replay.cookie().unwrap(), old, "a write after a flush starts a new id");
    assert_eq!(replay.get("/probe/get/k").await.body, "w");
    app.clean().await;
}

async fn remove_deletes_one_key(store: Store) {
    let app = app(store).await;
    let visitor = app.visitor();
    visitor.get("/probe/set/a/1").await;
    visitor.get("/probe/set/b/2").await;
    visitor.get("/probe/remove/a").await;
    assert_eq!(visitor.get("/probe/get/a").await.status, Status::NotFound);
    assert_eq!(visitor.get("/probe/get/b").await.body, "2");
    app.clean().await;
}

async fn the_idle_timeout_ends_an_unused_session_and_activity_extends_it(store: Store) {
    let app = App::new(&store, probes(), &[("idle_timeout_secs", V::Int(1800))]).await;
    let (active, idle) = (app.visitor(), app.visitor());
    active.get("/probe/set/k/v").await;
    idle.get("/probe/set/k/v").await;
    for _ in 0..4 {
        app.pass(1000);
        assert_eq!(active.get("/probe/get/k").await.body, "v", "reads keep the session alive");
    }
    assert_eq!(idle.get("/probe/get/k").await.status, Status::NotFound, "4000 s without a request");
    app.clean().await;
}

async fn the_absolute_timeout_ends_even_an_active_session(store: Store) {
    let settings = [("idle_timeout_secs", V::Int(1800)), ("absolute_timeout_secs", V::Int(3600))];
    let app = App::new(&store, probes(), &settings).await;
    let visitor = app.visitor();
    visitor.get("/probe/set/k/v").await;
    app.pass(1700);
    visitor.get("/probe/set/k2/v2").await;
    app.pass(1700);
    assert_eq!(visitor.get("/probe/get/k").await.body, "v", "active: within both timeouts");
    app.pass(300);
    assert_eq!(visitor.get("/probe/get/k").await.status, Status::NotFound, "an hour after it began");
    app.clean().await;
}

async fn an_unchanged_session_is_not_written(store: Store) {
    let app = app(store).await;
    let visitor = app.visitor();
    visitor.get("/probe/set/k/v").await;
    let v1 = app.version().await;
    visitor.get("/probe/set/k/w").await;
    assert_eq!(app.version().await, v1 + 1, "a change is a write");
    for _ in 0..5 {
        visitor.get("/probe/get/k").await;
        visitor.get("/probe/set/k/w").await; // the same value: no change
    }
    assert_eq!(app.version().await, v1 + 1);
    app.clean().await;
}

async fn thirty_two_concurrent_writers_of_distinct_keys_all_persist(store: Store) {
    let app = app(store).await;
    let visitor = app.visitor();
    visitor.get("/probe/set/seed/0").await;
    let barrier = rocket::tokio::sync::Barrier::new(32);
    let tasks = (0..32).map(|i| {
        let (visitor, barrier) = (&visitor, &barrier);
        async move {
            barrier.wait().await;
            visitor.get(&format!("/probe/set/w{i}/v{i}?delay_ms=50")).await.status
        }
    });
    let statuses = futures::future::join_all(tasks).await;
    assert!(statuses.iter().all(|s| *s == Status::Ok), "{statuses:?}");
    for i in 0..32 {
        assert_eq!(visitor.get(&format!("/probe/get/w{i}")).await.body, format!("v{i}"), "w{i} lost");
    }
    app.clean().await;
}

async fn set_expiry_gives_one_session_its_own_idle_timeout(store: Store) {
    let app = App::new(&store, probes(), &[("idle_timeout_secs", V::Int(60))]).await;
    let (short, long) = (app.visitor(), app.visitor());
    short.get("/probe/set/k/v").await;
    assert_eq!(short.get("/probe/expiry/1").await.body, "1");
    long.get("/probe/set/k/v").await;
    assert_eq!(long.get("/probe/expiry/600").await.body, "600");
    app.pass(120);
    assert_eq!(short.get("/probe/get/k").await.status, Status::NotFound, "its own 1 s timeout ended it");
    assert_eq!(long.get("/probe/get/k").await.body, "v", "600 s outlives the configured 60 s");
    assert_eq!(long.get("/probe/expiry/0").await.body, "60", "0 restores the configured timeout");
    app.pass(61);
    assert_eq!(long.get("/probe/get/k").await.status, Status::NotFound);
    app.clean().await;
}

async fn keys_items_and_contains_see_the_public_entries(store: Store) {
    let app = app(store).await;
    let visitor = app.visitor();
    assert_eq!(visitor.get("/probe/keys").await.body, "=|false");
    visitor.get("/probe/set/b/2").await;
    visitor.get("/probe/set/a/1").await;
    visitor.get("/probe/expiry/600").await;
    // The CSRF token and the expiry are the crate's own (`_`) keys.
    assert_eq!(visitor.get("/probe/keys").await.body, "a,b=1,2|true");
    assert_eq!(visitor.get("/probe/public").await.body, r#"{"a":"1","b":"2"}"#);
    app.clean().await;
}

async fn a_flushed_session_is_not_resurrected_by_a_slower_save(store: Store) {
    let app = app(store).await;
    let visitor = app.visitor();
    visitor.get("/probe/set/k/v").await;
    let slow = visitor.get("/probe/set/late/write?delay_ms=400");
    let flush = async {
        // NOTE: orders concurrent requests (overlap between load and save), not the clock.
        rocket::tokio::time::sleep(Duration::from_millis(100)).await;
        visitor.get("/probe/flush").await
    };
    let (slow, flush) = rocket::tokio::join!(slow, flush);
    assert_eq!((slow.status, flush.status), (Status::Ok, Status::Ok));
    assert_eq!(app.count().await, 0, "the flushed session came back");
    app.clean().await;
}

async fn a_cycled_session_is_not_resurrected_under_the_old_id(store: Store) {
    let app = app(store).await;
    let visitor = app.visitor();
    visitor.get("/probe/set/k/v").await;
    let stale = app.visitor();
    stale.set_cookie(visitor.cookie().as_deref());
    let slow = stale.get("/probe/set/late/write?delay_ms=400");
    let cycle = async {
        // NOTE: orders concurrent requests (overlap between load and save), not the clock.
        rocket::tokio::time::sleep(Duration::from_millis(100)).await;
        visitor.get("/probe/cycle").await
    };
    rocket::tokio::join!(slow, cycle);
    assert_eq!(app.count().await, 1);
    assert_eq!(stale.get("/probe/get/k").await.status, Status::NotFound);
    app.clean().await;
}

async fn delete_holding_ends_only_the_sessions_that_hold_the_text(store: Store) {
    let app = app(store).await;
    let (kim, lou) = (app.visitor(), app.visitor());
    kim.get("/probe/set/email/Kim@Example.test").await;
    lou.get("/probe/set/email/lou@example.test").await;
    let sessions = app.client.rocket().state::<rocket_db_session::Sessions>().expect("the store");
    assert_eq!(sessions.delete_holding("kim@example.TEST").await.unwrap(), 1);
    assert_eq!(kim.get("/probe/get/email").await.status, Status::NotFound, "the session ended");
    assert_eq!(lou.get("/probe/get/email").await.body, "lou@example.test", "another address is untouched");
    assert_eq!(sessions.delete_holding("%").await.unwrap(), 0, "a pattern character is only itself");
    assert_eq!(app.count().await, 1);
    app.clean().await;
}

on_every_store!(
    delete_holding_ends_only_the_sessions_that_hold_the_text,
    a_visitor_who_only_looks_costs_nothing,
    two_visitors_have_isolated_state,
    the_cookie_has_the_safe_flags_and_ends_with_the_browser,
    two_guards_in_one_request_share_one_session,
    the_store_holds_only_a_hash_of_the_id,
    junk_cookies_give_a_fresh_session_and_are_never_adopted,
    an_id_the_store_does_not_know_is_not_adopted,
    cycle_id_keeps_the_data_and_kills_the_old_id,
    flush_empties_the_session_and_kills_the_old_id,
    remove_deletes_one_key,
    the_idle_timeout_ends_an_unused_session_and_activity_extends_it,
    the_absolute_timeout_ends_even_an_active_session,
    an_unchanged_session_is_not_written,
    thirty_two_concurrent_writers_of_distinct_keys_all_persist,
    set_expiry_gives_one_session_its_own_idle_timeout,
    keys_items_and_contains_see_the_public_entries,
    a_flushed_session_is_not_resurrected_by_a_slower_save,
    a_cycled_session_is_not_resurrected_under_the_old_id,
);
