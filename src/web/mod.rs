//! The web shell every page shares: the [`Page`] guard that gathers what the
//! base template needs, security headers, the app's own error pages, the
//! landing page, `/healthz`, the stylesheet and the favicon.
//!
//! Must not hold feature logic: steps, codes and bookings live in their own
//! modules and only render through [`Page`]. `services.rs` builds their
//! services for a request from the app's state (their request guards).

mod error;
mod error_page;
mod page;
mod security;
mod services;
mod templates;
mod view;
mod zone_menu;

use rocket::fairing::AdHoc;
use rocket::http::{ContentType, Header, Status};
use rocket::response::Responder;
use rocket_dyn_templates::context;

pub use error::Error;
pub use error_page::{error_page, failure_body};
pub use page::{language, Page, PageView, Theme};
pub use templates::stage as templates_stage;
pub use view::{View, Views};

/// Session keys of the preferences.
pub mod page_keys {
    /// The chosen language.
    pub const LANG: &str = super::page::LANG_KEY;
    /// The chosen theme.
    pub const THEME: &str = super::page::THEME_KEY;
    /// The chosen time zone (an IANA name; none: the practice's).
    pub const TZ: &str = super::page::TZ_KEY;
    /// The wizard's current step (written by the wizard, read by templates).
    pub const STEP: &str = super::page::STEP_KEY;
}

use rocket::State;

use crate::db::Db;
use crate::session::Sessions;

/// `GET /`: the landing page. Reads the session (for preferences, and a
/// notice left for it, e.g. after "Start over") but never creates one.
#[rocket::get("/")]
fn landing(page: Page<'_>) -> View {
    View::render("landing", context! { page: page.view(), notice: page.take_notice() })
}

/// `GET /healthz`: `200` when the database and the session store answer.
#[rocket::get("/healthz")]
async fn healthz(db: &Db, sessions: &State<Sessions>) -> (Status, &'static str) {
    if let Err(e) = db.ping().await {
        rocket::error!("health check: database: {e}");
        return (Status::ServiceUnavailable, "database unavailable");
    }
    if let Err(e) = sessions.check().await {
        rocket::error!("health check: session store: {e}");
        return (Status::ServiceUnavailable, "session store unavailable");
    }
    (Status::Ok, "ok")
}

/// A static asset with a long cache lifetime.
#[derive(Responder)]
struct Asset {
    body: &'static str,
    content_type: ContentType,
    cache: Header<'static>,
}

/// `GET /static/app.css`, compiled into the binary.
#[rocket::get("/static/app.css")]
fn stylesheet() -> Asset {
    Asset {
        body: include_str!("../../static/app.css"),
        content_type: ContentType::CSS,
        cache: Header::new("Cache-Control", "public, max-age=3600"),
    }
}

/// How long browsers may keep the favicon.
const FAVICON_CACHE: &str = "public, max-age=2592000";

/// `GET /favicon.svg`, compiled into the binary (linked from every page).
#[rocket::get("/favicon.svg")]
fn favicon() -> Asset {
    Asset {
        body: include_str!("../../static/favicon.svg"),
        content_type: ContentType::SVG,
        cache: Header::new("Cache-Control", FAVICON_CACHE),
    }
}

/// `GET /favicon.ico`: the same icon, for clients that ask there without
/// reading the page's `<link rel="icon">`.
#[rocket::get("/favicon.ico")]
fn favicon_ico() -> Asset {
    favicon()
}

/// Mounts the shell's routes, catchers and headers.
pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Web shell", |rocket| async {
        rocket
            .attach(security::stage())
            .attach(services::departed())
            .mount("/", rocket::routes![landing, healthz, stylesheet, favicon, favicon_ico])
            .register("/", rocket::catchers![error_page::default_catcher])
    })
}
