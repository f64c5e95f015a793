//! The session layer, driven over HTTP like a browser would.

use crate::support;

use std::time::Duration;

use rocket::http::Status;
use rocket::{get, routes};
use sha2::Digest;
use slotwise::session::Session;
use support::{field_value, form, Backend, TestApp};

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
        let items = session.items();
        let values: Vec<String> = items.values().map(|v| v.as_str().unwrap_or_default().to_string()).collect();
        format!("{}={}", session.keys().join(","), values.join(","))
    }

    /// What templates see as `page.session`.
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

async fn app(db: &Backend, config: &str) -> TestApp {
    TestApp::with_routes(db, config, probes()).await
}

async fn stored_hashes(app: &TestApp) -> Vec<String> {
    app.session_hashes().await
}

async fn healthz_and_first_landing_store_nothing_and_set_no_cookie(db: Backend) {
    let app = app(&db, "").await;
    let visitor = app.visitor();
    for uri in ["/healthz", "/", "/static/app.css", "/probe/get/x"] {
        let page = visitor.get(uri).await;
        assert!(page.status.code < 500, "{uri}");
        assert!(page.set_cookies().is_empty(), "{uri} set a cookie");
    }
    assert_eq!(visitor.get("/healthz").await.body, "ok");
    assert_eq!(app.session_count().await, 0);
}

async fn two_visitors_have_isolated_state(db: Backend) {
    let app = app(&db, "").await;
    let (alice, bob) = (app.visitor(), app.visitor());
    assert_eq!(alice.get("/probe/set/name/alice").await.status, Status::Ok);
    assert_eq!(bob.get("/probe/set/name/bob").await.status, Status::Ok);
    assert_eq!(alice.get("/probe/get/name").await.body, "alice");
    assert_eq!(bob.get("/probe/get/name").await.body, "bob");
    assert_eq!(app.visitor().get("/probe/get/name").await.status, Status::NotFound);
    assert_eq!(app.session_count().await, 2);
}

async fn cookie_has_the_required_flags_and_no_expiry(db: Backend) {
    let app = app(&db, "").await;
    let page = app.visitor().get("/probe/set/k/v").await;
    let cookie = page.set_cookies().into_iter().find(|c| c.starts_with("slotwise_session=")).expect("cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(!cookie.contains("Expires") && !cookie.contains("Max-Age"), "{cookie}");

    let secure = TestApp::with_routes(&db, "[default.session]\nsecure = true\ncookie_name = \"sid\"", probes()).await;
    let page = secure.visitor().get("/probe/set/k/v").await;
    let cookie = page.set_cookies().into_iter().find(|c| c.starts_with("sid=")).expect("renamed cookie");
    assert!(cookie.contains("Secure"), "{cookie}");
}

async fn two_guards_in_one_request_share_one_session(db: Backend) {
    let app = app(&db, "").await;
    assert_eq!(app.visitor().get("/probe/twice").await.body, "a");
}

async fn database_stores_only_a_hash_of_the_id(db: Backend) {
    let app = app(&db, "").await;
    let visitor = app.visitor();
    visitor.get("/probe/set/k/v").await;
    let cookie = visitor.session_cookie().unwrap();
    let hashes = stored_hashes(&app).await;
    assert_eq!(hashes.len(), 1);
    assert_eq!(hashes[0].len(), 64);
    assert!(hashes[0].bytes().all(|b| b.is_ascii_hexdigit()));
    // Neither the cookie nor the id inside it is anywhere in the store.
    let rows = app.stored_sessions().await;
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|(h, d)| h == &hashes[0] && !d.contains(&cookie)));
    if app.on_sqlite() {
        let file = std::fs::read(app.db_url.trim_start_matches("sqlite://").split('?').next().unwrap()).unwrap();
        let file = String::from_utf8_lossy(&file);
        assert!(!file.contains(&cookie), "the cookie value is in the database file");
    }
    // The id itself, as the server sees it, hashes to the stored key.
    let id = slotwise::session::SessionId::generate();
    assert_eq!(id.storage_key(), hex::encode(sha2::Sha256::digest(base64_decode(&id.encode()))));
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()
}

async fn tampered_garbage_and_unknown_cookies_give_a_fresh_session(db: Backend) {
    let app = app(&db, "").await;
    let visitor = app.visitor();
    visitor.get("/probe/set/k/v").await;
    let good = visitor.session_cookie().unwrap();
    let mut tampered = good.clone().into_bytes();
    let last = tampered.len() - 3;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for junk in [tampered.as_str(), "garbage", "", "%%%", &"A".repeat(43), &"x".repeat(4000)] {
        let stranger = app.visitor();
        stranger.set_cookie("slotwise_session", Some(junk));
        for uri in ["/", "/probe/get/k", "/book", "/book/service"] {
            let page = stranger.get(uri).await;
            assert!(page.status.code < 500, "{uri} with {junk:?}: {}", page.status);
            assert_ne!(page.body, "v");
        }
        let page = stranger.get("/probe/set/k/mine").await;
        assert_eq!(page.status, Status::Ok);
        assert_ne!(stranger.session_cookie().as_deref(), Some(junk), "junk id adopted");
    }
    assert_eq!(visitor.get("/probe/get/k").await.body, "v", "the real session is untouched");
}

async fn a_well_formed_id_the_server_never_issued_is_not_adopted(db: Backend) {
    let app = app(&db, "").await;
    let visitor = app.visitor();
    visitor.get("/probe/set/k/v").await;
    let before = stored_hashes(&app).await;
    // Forget the row: the cookie is now a valid, correctly signed id the
    // server has no record of (as if issued elsewhere or forged with the key).
    app.forget_sessions().await;
    assert_eq!(visitor.get("/probe/get/k").await.status, Status::NotFound);
    visitor.get("/probe/set/k/again").await;
    let after = stored_hashes(&app).await;
    assert_eq!(after.len(), 1);
    assert_ne!(after, before, "the unknown id was adopted");
}

async fn cycle_id_keeps_data_and_kills_the_old_id(db: Backend) {
    let app = app(&db, "").await;
    let visitor = app.visitor();
    visitor.get("/probe/set/k/v").await;
    let old = visitor.session_cookie().unwrap();
    let old_hash = stored_hashes(&app).await;
    visitor.get("/probe/cycle").await;
    let new = visitor.session_cookie().unwrap();
    assert_ne!(old, new);
    assert_ne!(stored_hashes(&app).await, old_hash);
    assert_eq!(visitor.get("/probe/get/k").await.body, "v");

    let replay = app.visitor();
    replay.set_cookie("slotwise_session", Some(&old));
    assert_eq!(replay.get("/probe/get/k").await.status, Status::NotFound, "old id still works");
    assert_eq!(app.session_count().await, 1);
}

async fn flush_empties_the_session_and_kills_the_old_id(db: Backend) {
    let app = app(&db, "").await;
    let visitor = app.visitor();
    visitor.get("/probe/set/k/v").await;
    let old = visitor.session_cookie().unwrap();
    let page = visitor.get("/probe/flush").await;
    assert!(page.set_cookies().iter().any(|c| c.starts_with("slotwise_session=;") || c.contains("Max-Age=0")));
    assert_eq!(app.session_count().await, 0);
    let replay = app.visitor();
    replay.set_cookie("slotwise_session", Some(&old));
    assert_eq!(replay.get("/probe/get/k").await.status, Status::NotFound);
    // Writing after a flush starts a new session under a new id.
    replay.get("/probe/set/k/w").await;
    assert_ne!(replay.session_cookie().unwrap(), old);
    assert_eq!(replay.get("/probe/get/k").await.body, "w");
}

async fn remove_deletes_one_key(db: Backend) {
    let app = app(&db, "").await;
    let visitor = app.visitor();
    visitor.get("/probe/set/a/1").await;
    visitor.get("/probe/set/b/2").await;
    visitor.get("/probe/remove/a").await;
    assert_eq!(visitor.get("/probe/get/a").await.status, Status::NotFound);
    assert_eq!(visitor.get("/probe/get/b").await.body, "2");
}

/// Moves the app's clock forward by `secs` seconds.
fn pass(app: &TestApp, secs: i64) {
    app.clock.advance(chrono::Duration::seconds(secs));
}

async fn idle_timeout_expires_an_unused_session(db: Backend) {
    let app = app(&db, "[default.session]\nidle_timeout_secs = 1800").await;
    let visitor = app.visitor();
    visitor.get("/probe/set/k/v").await;
    pass(&app, 1799);
    assert_eq!(visitor.get("/probe/get/k").await.body, "v", "alive until its idle timeout");
    pass(&app, 1800);
    assert_eq!(visitor.get("/probe/get/k").await.status, Status::NotFound);
}

async fn activity_refreshes_the_idle_deadline(db: Backend) {
    let app = app(&db, "[default.session]\nidle_timeout_secs = 1800").await;
    let visitor = app.visitor();
    visitor.get("/probe/set/k/v").await;
    for _ in 0..4 {
        pass(&app, 1000);
        assert_eq!(visitor.get("/probe/get/k").await.body, "v", "reads keep the session alive");
    }
}

async fn absolute_timeout_ends_even_an_active_session(db: Backend) {
    let app = app(&db, "[default.session]\nidle_timeout_secs = 1800\nabsolute_timeout_secs = 3600").await;
    let visitor = app.visitor();
    visitor.get("/probe/set/k/v").await;
    pass(&app, 1700);
    assert_eq!(visitor.get("/probe/get/k").await.body, "v");
    visitor.get("/probe/set/k2/v2").await;
    pass(&app, 1700);
    assert_eq!(visitor.get("/probe/get/k").await.body, "v", "active: within both timeouts");
    pass(&app, 300);
    assert_eq!(visitor.get("/probe/get/k").await.status, Status::NotFound, "an hour after it began");
}

async fn unchanged_reads_do_not_write(db: Backend) {
    let app = app(&db, "").await;
    let visitor = app.visitor();
    visitor.get("/probe/set/k/v").await;
    let v1 = app.session_version().await;
    visitor.get("/probe/set/k/w").await;
    assert_eq!(app.session_version().await, v1 + 1, "a change is a write");
    for _ in 0..5 {
        visitor.get("/probe/get/k").await;
        visitor.get("/probe/set/k/w").await; // same value: no change
    }
    assert_eq!(app.session_version().await, v1 + 1);
}

async fn concurrent_requests_changing_different_keys_all_persist(db: Backend) {
    let app = app(&db, "").await;
    let visitor = app.visitor();
    visitor.get("/probe/set/seed/0").await;
    let barrier = rocket::tokio::sync::Barrier::new(12);
    let tasks = (0..12).map(|i| {
        let (visitor, barrier) = (&visitor, &barrier);
        async move {
            barrier.wait().await;
            visitor.get(&format!("/probe/set/key{i}/value{i}?delay_ms=150")).await.status
        }
    });
    let statuses = futures::future::join_all(tasks).await;
    assert!(statuses.iter().all(|s| *s == Status::Ok));
    for i in 0..12 {
        assert_eq!(visitor.get(&format!("/probe/get/key{i}")).await.body, format!("value{i}"), "key{i} lost");
    }
}

async fn thirty_two_concurrent_writers_of_distinct_keys_all_persist(db: Backend) {
    let app = app(&db, "").await;
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
    let listed = visitor.get("/probe/keys").await.body;
    for i in 0..32 {
        assert_eq!(visitor.get(&format!("/probe/get/w{i}")).await.body, format!("v{i}"), "w{i} lost: {listed}");
    }
}

async fn set_expiry_gives_the_session_its_own_idle_timeout(db: Backend) {
    let app = app(&db, "[default.session]\nidle_timeout_secs = 60").await;
    let short = app.visitor();
    short.get("/probe/set/k/v").await;
    assert_eq!(short.get("/probe/expiry/1").await.body, "1");
    let long = app.visitor();
    long.get("/probe/set/k/v").await;
    pass(&app, 2);
    assert_eq!(short.get("/probe/get/k").await.status, Status::NotFound, "its own 1 s timeout ended it");
    assert_eq!(long.get("/probe/get/k").await.body, "v", "the configured 60 s still holds for others");
    // 0 restores the configured timeout.
    assert_eq!(long.get("/probe/expiry/0").await.body, "60");
}

async fn set_expiry_zero_restores_the_configured_timeout(db: Backend) {
    let app = app(&db, "[default.session]\nidle_timeout_secs = 1").await;
    let visitor = app.visitor();
    visitor.get("/probe/set/k/v").await;
    assert_eq!(visitor.get("/probe/expiry/60").await.body, "60");
    pass(&app, 2);
    assert_eq!(visitor.get("/probe/get/k").await.body, "v", "60 s outlives the configured 1 s");
    assert_eq!(visitor.get("/probe/expiry/0").await.body, "1");
    pass(&app, 2);
    assert_eq!(visitor.get("/probe/get/k").await.status, Status::NotFound);
}

async fn keys_and_items_list_the_public_entries(db: Backend) {
    let app = app(&db, "").await;
    let visitor = app.visitor();
    assert_eq!(visitor.get("/probe/keys").await.body, "=");
    visitor.get("/probe/set/b/2").await;
    visitor.get("/probe/set/a/1").await;
    visitor.get("/probe/expiry/600").await;
    // The CSRF token and the expiry are the session's own (`_`) keys.
    assert_eq!(visitor.get("/probe/keys").await.body, "a,b=1,2");
    assert_eq!(visitor.get("/probe/public").await.body, r#"{"a":"1","b":"2"}"#);
}

async fn a_flushed_session_is_not_resurrected_by_a_concurrent_save(db: Backend) {
    let app = app(&db, "").await;
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
    assert_eq!(app.session_count().await, 0, "the flushed session came back");
}

async fn a_cycled_session_is_not_resurrected_under_the_old_id(db: Backend) {
    let app = app(&db, "").await;
    let visitor = app.visitor();
    visitor.get("/probe/set/k/v").await;
    let old = visitor.session_cookie().unwrap();
    let stale = app.visitor();
    stale.set_cookie("slotwise_session", Some(&old));
    let slow = stale.get("/probe/set/late/write?delay_ms=400");
    let cycle = async {
        // NOTE: orders concurrent requests (overlap between load and save), not the clock.
        rocket::tokio::time::sleep(Duration::from_millis(100)).await;
        visitor.get("/probe/cycle").await
    };
    rocket::tokio::join!(slow, cycle);
    assert_eq!(app.session_count().await, 1);
    assert_eq!(stale.get("/probe/get/k").await.status, Status::NotFound);
}

async fn csrf_token_is_required_and_checked(db: Backend) {
    let app = app(&db, "").await;
    let visitor = app.visitor();
    visitor.get("/probe/set/k/v").await;
    let page = visitor.get("/").await;
    let token = page.csrf();

    let other = app.visitor();
    other.get("/probe/set/k/w").await;
    let other_token = other.get("/").await.csrf();
    assert_ne!(token, other_token);

    let cases: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("missing".into(), vec![]),
        ("wrong".into(), vec![("csrf_token", "nope")]),
        ("another session's".into(), vec![("csrf_token", other_token.as_str())]),
    ];
    for (what, mut pairs) in cases {
        pairs.push(("theme", "dark"));
        let page = visitor.post("/prefs", &form(&pairs)).await;
        assert_eq!(page.status, Status::Forbidden, "{what} token");
        assert!(page.body.contains("<html lang=\"en\""), "friendly page");
    }
    let body = form(&[("csrf_token", &token), ("theme", "dark"), ("next", "/")]);
    for (name, value) in [("Origin", "https://evil.test"), ("Origin", "null"), ("Sec-Fetch-Site", "cross-site")] {
        let page = visitor.post_with("/prefs", &body, &[(name, value)]).await;
        assert_eq!(page.status, Status::Forbidden, "{name}: {value}");
    }
    let page = visitor
        .post_with("/prefs", &body, &[("Origin", "http://127.0.0.1:8000"), ("Sec-Fetch-Site", "same-origin")])
        .await;
    assert_eq!(page.status, Status::SeeOther, "the app's own origin");
    let page =
        visitor.post_with("/prefs", &body, &[("Origin", "http://localhost:9999"), ("Host", "localhost:9999")]).await;
    assert_eq!(page.status, Status::SeeOther, "the request's own host");
}

async fn anonymous_token_from_the_landing_page_creates_the_session(db: Backend) {
    let app = app(&db, "").await;
    let visitor = app.visitor();
    let landing = visitor.get("/").await;
    assert!(visitor.session_cookie().is_none());
    let page = visitor.submit("/prefs", &landing, &[("lang", "de"), ("next", "/")]).await;
    assert_eq!(page.status, Status::SeeOther);
    assert!(visitor.session_cookie().is_some());
    assert!(visitor.get("/").await.body.contains("<html lang=\"de\""));
    // A forged anonymous token does not pass.
    let stranger = app.visitor();
    let page = stranger.post("/prefs", &form(&[("csrf_token", "99999999999.00"), ("lang", "de")])).await;
    assert_eq!(page.status, Status::Forbidden);
}

async fn a_landing_page_from_before_the_session_still_switches_preferences(db: Backend) {
    let app = app(&db, "").await;
    let visitor = app.visitor();
    let old_landing = visitor.get("/").await;
    visitor.get("/probe/set/k/v").await;
    assert!(visitor.session_cookie().is_some(), "the visitor has a session now");
    let page = visitor.submit("/prefs", &old_landing, &[("theme", "dark"), ("next", "/")]).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    assert!(visitor.get("/").await.body.contains("data-theme=\"dark\""));
    assert_eq!(visitor.get("/probe/get/k").await.body, "v", "the same session");
    // Every other POST still wants the session's own token.
    assert_eq!(visitor.submit("/book/cancel", &old_landing, &[]).await.status, Status::Forbidden);
}

async fn security_headers_are_on_every_page_including_errors(db: Backend) {
    let app = app(&db, "").await;
    let visitor = app.visitor();
    let pages = vec![
        visitor.get("/").await,
        visitor.get("/healthz").await,
        visitor.get("/no/such/page").await,
        visitor.post("/prefs", "theme=dark").await,
    ];
    assert_eq!(pages[2].status, Status::NotFound);
    assert_eq!(pages[3].status, Status::Forbidden);
    for page in &pages {
        let csp = page.header("Content-Security-Policy").expect("CSP");
        for part in [
            "default-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(part), "{csp}");
        }
        assert_eq!(page.header("X-Content-Type-Options"), Some("nosniff"));
        assert!(matches!(page.header("Referrer-Policy"), Some("same-origin" | "strict-origin-when-cross-origin")));
    }
    assert_eq!(pages[0].header("Cache-Control"), Some("no-store"));
    assert!(pages[2].body.contains("<html lang=\"en\"") && !pages[2].body.contains("Rocket"));
}

async fn error_pages_are_translated_and_carry_the_switchers(db: Backend) {
    let app = app(&db, "").await;
    let visitor = app.visitor().with_header("Accept-Language", "de");
    let page = visitor.get("/no/such/page?x=1").await;
    assert_eq!(page.status, Status::NotFound);
    assert!(page.body.contains("<html lang=\"de\""));
    // The switchers lead to the landing page and do not echo the failing URL.
    // (Tera escapes `/` as `&#x2F;` in attributes.)
    let next = field_value(&page.body, "next").expect("switchers on the error page");
    assert_eq!(next.replace("&#x2F;", "/"), "/");
    assert!(!page.body.contains("such"));
    let switched = visitor.submit("/prefs", &page, &[("theme", "dark"), ("next", &next.replace("&#x2F;", "/"))]).await;
    assert_eq!((switched.status, switched.location()), (Status::SeeOther, "/"));
    assert!(visitor.get("/no/such/page?x=1").await.body.contains("data-theme=\"dark\""));

    // Also after a failed POST.
    let landing = visitor.get("/").await;
    let refused = visitor.submit("/prefs", &landing, &[("theme", "purple")]).await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
    assert_eq!(field_value(&refused.body, "next").map(|n| n.replace("&#x2F;", "/")).as_deref(), Some("/"));
    assert!(refused.body.contains("name=\"csrf_token\""));
}

async fn a_session_that_cannot_be_saved_gets_the_translated_503_page(db: Backend) {
    let app = app(&db, "").await;
    let visitor = app.visitor();
    let landing = visitor.get("/").await;
    let chosen = visitor.submit("/prefs", &landing, &[("lang", "de")]).await;
    assert_eq!(chosen.status, Status::SeeOther);
    // From now on the store refuses every session update.
    app.refuse_session_writes().await;

    let page = visitor.get("/").await;
    let failed = visitor.submit("/prefs", &page, &[("theme", "dark")]).await;
    assert_eq!(failed.status, Status::ServiceUnavailable);
    assert_eq!(failed.header("Content-Type"), Some("text/html; charset=utf-8"));
    assert!(failed.body.contains("<html lang=\"de\""), "{}", failed.body);
    assert!(failed.body.contains("Etwas ist schiefgegangen"), "{}", failed.body);
    assert!(failed.set_cookies().is_empty());
    assert!(failed.header("Content-Security-Policy").is_some());
    assert!(visitor.get("/").await.body.contains("data-theme=\"auto\""), "the change was not kept");
}

async fn language_follows_accept_language_until_the_visitor_chooses(db: Backend) {
    let app = app(&db, "").await;
    let visitor = app.visitor().with_header("Accept-Language", "fr-CH, de-DE;q=0.8, en;q=0.5");
    let page = visitor.get("/").await;
    assert!(page.body.contains("<html lang=\"de\" data-theme=\"auto\""), "{}", &page.body[..200]);
    assert!(page.body.contains("Termin buchen"));
    assert!(app.visitor().get("/").await.body.contains("<html lang=\"en\""));

    let page = visitor.submit("/prefs", &page, &[("lang", "en"), ("theme", "dark"), ("next", "/?from=prefs")]).await;
    assert_eq!(page.status, Status::SeeOther);
    assert_eq!(page.location(), "/?from=prefs");
    let page = visitor.get("/").await;
    assert!(page.body.contains("<html lang=\"en\" data-theme=\"dark\""));
}

async fn unknown_language_or_theme_answers_422(db: Backend) {
    let app = app(&db, "").await;
    let visitor = app.visitor();
    let landing = visitor.get("/").await;
    for pairs in [[("lang", "xx")], [("theme", "purple")]] {
        let page = visitor.submit("/prefs", &landing, &pairs).await;
        assert_eq!(page.status, Status::UnprocessableEntity);
    }
    assert!(visitor.session_cookie().is_none(), "nothing stored");
}

async fn prefs_refuse_to_redirect_off_site(db: Backend) {
    let app = app(&db, "").await;
    let visitor = app.visitor();
    for next in ["//evil.test/x", "https://evil.test/", "/\\evil.test", "evil.test", ""] {
        let landing = visitor.get("/").await;
        let page = visitor.submit("/prefs", &landing, &[("theme", "light"), ("next", next)]).await;
        assert_eq!(page.status, Status::SeeOther);
        assert_eq!(page.location(), "/", "next = {next:?}");
    }
}

async fn oversized_cookie_and_body_get_a_fast_4xx(db: Backend) {
    let app = app(&db, "").await;
    let visitor = app.visitor();
    visitor.set_cookie("big", Some(&"x".repeat(20_000)));
    let page = visitor.get("/book/service").await;
    assert!(page.status.code >= 400 && page.status.code < 500, "{}", page.status);

    let visitor = app.visitor();
    let token = visitor.get("/").await.csrf();
    let body = form(&[("csrf_token", &token), ("next", &"a".repeat(40_000))]);
    assert_eq!(visitor.post("/prefs", &body).await.status, Status::PayloadTooLarge);
}

async fn clear_sessions_command_reports_how_many_it_removed(db: Backend) {
    let app = app(&db, "").await;
    for _ in 0..3 {
        app.visitor().get("/probe/set/k/v").await;
    }
    // Their deadlines pass (before anything removed them); a fourth is live.
    app.backdate_sessions().await;
    let live = app.visitor();
    live.get("/probe/set/k/live").await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_slotwise"))
        .arg("clear-sessions")
        .envs(app.cli_env())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout} {}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(stdout.trim(), "removed 3 expired sessions");
    assert_eq!(app.session_count().await, 1);
    assert_eq!(live.get("/probe/get/k").await.body, "live");
}

on_all_stores!(
    healthz_and_first_landing_store_nothing_and_set_no_cookie,
    two_visitors_have_isolated_state,
    cookie_has_the_required_flags_and_no_expiry,
    two_guards_in_one_request_share_one_session,
    database_stores_only_a_hash_of_the_id,
    tampered_garbage_and_unknown_cookies_give_a_fresh_session,
    a_well_formed_id_the_server_never_issued_is_not_adopted,
    cycle_id_keeps_data_and_kills_the_old_id,
    flush_empties_the_session_and_kills_the_old_id,
    remove_deletes_one_key,
    idle_timeout_expires_an_unused_session,
    activity_refreshes_the_idle_deadline,
    absolute_timeout_ends_even_an_active_session,
    unchanged_reads_do_not_write,
    concurrent_requests_changing_different_keys_all_persist,
    thirty_two_concurrent_writers_of_distinct_keys_all_persist,
    set_expiry_gives_the_session_its_own_idle_timeout,
    set_expiry_zero_restores_the_configured_timeout,
    keys_and_items_list_the_public_entries,
    a_flushed_session_is_not_resurrected_by_a_concurrent_save,
    a_cycled_session_is_not_resurrected_under_the_old_id,
    csrf_token_is_required_and_checked,
    anonymous_token_from_the_landing_page_creates_the_session,
    a_landing_page_from_before_the_session_still_switches_preferences,
    security_headers_are_on_every_page_including_errors,
    error_pages_are_translated_and_carry_the_switchers,
    a_session_that_cannot_be_saved_gets_the_translated_503_page,
    language_follows_accept_language_until_the_visitor_chooses,
    unknown_language_or_theme_answers_422,
    prefs_refuse_to_redirect_off_site,
    oversized_cookie_and_body_get_a_fast_4xx,
    clear_sessions_command_reports_how_many_it_removed,
);
