//! The session layer, driven over HTTP like a browser would.

use crate::support;

use rocket::http::Status;
use rocket::{get, routes};
use slotwise::session::Session;
use support::{field_value, form, Backend, TestApp};

/// Probe routes that use the session API directly (the crate's own tests,
/// `crates/rocket-db-session/tests/guarantees.rs`, probe the rest of it).
mod probe {
    use super::*;

    #[get("/get/<key>")]
    pub fn read(session: Session<'_>, key: &str) -> Option<String> {
        session.get::<String>(key)
    }

    #[get("/set/<key>/<value>")]
    pub fn set(session: Session<'_>, key: &str, value: &str) -> &'static str {
        session.insert(key, &value).unwrap();
        "ok"
    }
}

fn probes() -> Vec<rocket::Route> {
    routes![probe::read, probe::set]
}

async fn app(db: &Backend, config: &str) -> TestApp {
    TestApp::with_routes(db, config, probes()).await
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
    // NOTE: the command reads the system clock. The app's own purge, whose
    // first turn runs whenever the runtime gets to it, must not take the
    // sessions first: the app's clock stands ten minutes behind the system's
    // from before launch, and the sessions' deadlines fall between the two.
    let now = chrono::Utc::now();
    let app = TestApp::with_clock_at(&db, "", probes(), now - chrono::Duration::minutes(10)).await;
    for _ in 0..3 {
        app.visitor().get("/probe/set/k/v").await;
    }
    // Their deadlines pass (before anything removed them); a fourth is live.
    app.backdate_sessions_to((now - chrono::Duration::minutes(5)).timestamp_millis()).await;
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
