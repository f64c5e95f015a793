//! The app's own error pages, translated, for every status it can answer,
//! with the language and theme switchers like every other page.

use rocket::http::{ContentType, Header, Status};
use rocket::response::{self, Responder, Response};
use rocket::Request;
use rocket_dyn_templates::context;

use super::page::{language, Page, Theme, THEME_KEY};
use super::view::{View, Views};
use crate::config::Settings;
use crate::session::Session;

/// The catalog entry (`error-title-<code>`) that explains `status`.
fn catalog_code(status: Status) -> u16 {
    match status.code {
        403 | 404 | 409 | 413 | 422 | 429 => status.code,
        c if c >= 500 => 500,
        _ => 400,
    }
}

/// Renders the error page for `status` on `page`, with an optional detail.
pub fn error_page(page: &Page<'_>, status: Status, detail: Option<String>) -> (Status, View) {
    let mut view = page.view();
    // NOTE: the switchers lead to the landing page: a failed POST's URL cannot
    // be shown again, and echoing the failing URL would put what the visitor
    // asked for (e.g. a booking reference with a wrong token) on the page.
    view.path = "/";
    let code = catalog_code(status);
    (status, View::render("error", context! { page: view, code, status: status.code, detail }))
}

/// The error page for `status` after the guards ran: with switchers when the
/// request's session was loaded, else without (see [`bare_error_page`]).
pub(crate) fn error_response(req: &Request<'_>, status: Status) -> (Status, View) {
    match Page::cached(req) {
        Some(page) if !session_failed(status) => error_page(&page, status, None),
        _ => {
            let (lang, theme) = bare_preferences(req, Session::cached(req).as_ref());
            bare_error_page(status, &lang, theme, practice_name(req))
        }
    }
}

/// The practice's name, for a page without settings of its own.
fn practice_name<'r>(req: &'r Request<'_>) -> &'r str {
    req.rocket().state::<Settings>().map_or("Slotwise", |s| s.practice.name.as_str())
}

/// Statuses the session store itself may have caused: their pages never
/// touch the store again.
fn session_failed(status: Status) -> bool {
    matches!(status, Status::RequestHeaderFieldsTooLarge | Status::ServiceUnavailable | Status::InternalServerError)
}

/// The context of the error page without switchers.
fn bare_context<'a>(status: Status, lang: &'a str, theme: Theme, practice: &'a str) -> impl serde::Serialize + 'a {
    let page = context! { lang, theme: theme.as_str(), practice: context! { name: practice } };
    context! { page, code: catalog_code(status), status: status.code }
}

/// The error page without switchers, for failures of the session itself.
fn bare_error_page(status: Status, lang: &str, theme: Theme, practice: &str) -> (Status, View) {
    (status, View::render("error", bare_context(status, lang, theme, practice)))
}

/// Seconds a visitor is asked to wait before trying a `503` again.
const RETRY_AFTER_SECS: &str = "2";

/// `response`, with `Retry-After` when it is a `503` (a store or the
/// database could not be reached: trying again soon may work).
pub(crate) fn with_retry_after(mut response: Response<'static>) -> response::Result<'static> {
    if response.status() == Status::ServiceUnavailable {
        response.set_header(Header::new("Retry-After", RETRY_AFTER_SECS));
    }
    Ok(response)
}

/// An error page as answered: `Retry-After` on a `503`.
pub struct ErrorReply((Status, View));

impl<'r> Responder<'r, 'static> for ErrorReply {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        with_retry_after(self.0.respond_to(req)?)
    }
}

/// Every status no route answered: the app's own page.
#[rocket::catch(default)]
pub async fn default_catcher(status: Status, req: &Request<'_>) -> ErrorReply {
    // NOTE: never touch the session store again for its own failures.
    if !session_failed(status) {
        if let Some(page) = req.guard::<Page<'_>>().await.succeeded() {
            return ErrorReply(error_page(&page, status, None));
        }
    }
    let (lang, theme) = bare_preferences(req, Session::cached(req).as_ref());
    ErrorReply(bare_error_page(status, &lang, theme, practice_name(req)))
}

/// Language and theme for a page without switchers: from `session` when one
/// was loaded, else from `Accept-Language` and the default theme.
fn bare_preferences(req: &Request<'_>, session: Option<&Session<'_>>) -> (String, Theme) {
    let Some(settings) = req.rocket().state::<Settings>() else { return ("en".to_string(), Theme::Auto) };
    let theme = session.and_then(|s| s.get::<String>(THEME_KEY)).and_then(|t| Theme::parse(&t));
    (language(req, session, settings).to_string(), theme.unwrap_or_default())
}

/// The translated error page for a failure after the handler answered (the
/// session could not be saved), as a body to put in place of the handler's:
/// the session loaded for the request gives its language and theme. Handed
/// to `session::stage`.
pub fn failure_body(req: &Request<'_>, status: Status) -> Option<(ContentType, String)> {
    let (lang, theme) = bare_preferences(req, Session::cached(req).as_ref());
    let context = minijinja::Value::from_serialize(bare_context(status, &lang, theme, practice_name(req)));
    let html = req.rocket().state::<Views>()?.render("error", &context);
    html.map_err(|e| rocket::error!("rendering the error page: {e:?}")).ok().map(|html| (ContentType::HTML, html))
}
