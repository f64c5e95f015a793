//! The yardstick of the benchmark (issue 29): a bare Rocket page, one route
//! answering a fixed string of the same bytes as Slotwise's landing page,
//! nothing else (no fairings, no state, logging off). `bench/run` builds it
//! and measures it in the same sitting as the app, so every scenario can be
//! printed as a share of what Rocket itself serves on this machine.
//!
//! The body is read once at launch from the file `BARE_BODY` names (the
//! driver saves the landing page there); `GET /healthz` answers `ok`, so the
//! driver's spawn helper sees it ready. Configured by `ROCKET_*` variables.

use rocket::response::content::RawHtml;
use rocket::State;

/// The page every request gets.
struct Body(&'static str);

#[rocket::get("/")]
fn page(body: &State<Body>) -> RawHtml<&'static str> {
    RawHtml(body.0)
}

#[rocket::get("/healthz")]
fn healthz() -> &'static str {
    "ok"
}

#[rocket::launch]
fn rocket() -> _ {
    let path = std::env::var("BARE_BODY").unwrap_or_default();
    let body = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("BARE_BODY `{path}`: {e}"));
    // NOTE: leaked once, so that every answer borrows it as a static string,
    // as a `RawHtml` of a literal would.
    rocket::build().manage(Body(Box::leak(body.into_boxed_str()))).mount("/", rocket::routes![page, healthz])
}
