//! The app's own error pages, translated, for every status it can answer,
//! with the language and theme switchers like every other page.

use rocket::http::Status;
use rocket::Request;
use rocket_dyn_templates::{context, Template};

use crate::config::Settings;
use crate::web::page::{language, Page, Theme, THEME_KEY};

/// The catalog entry (`error-title-<code>`) that explains `status`.
fn catalog_code(status: Status) -> u16 {
    match status.code {
        403 | 404 | 409 | 413 | 422 | 429 => status.code,
        c if c >= 500 => 500,
        _ => 400,
    }
}

/// Renders the error page for `status` on `page`, with an optional detail.
pub fn error_page(page: &Page<'_>, status: Status, detail: Option<String>) -> (Status, Template) {
    let mut view = page.view();
    // NOTE: the switchers lead to the landing page: a failed POST's URL cannot
    // be shown again, and echoing the failing URL would put what the visitor
    // asked for (e.g. a booking reference with a wrong token) on the page.
    view.path = "/";
    let code = catalog_code(status);
    (status, Template::render("error", context! { page: view, code, status: status.code, detail }))
}

/// The error page without switchers, for failures of the session itself.
fn bare_error_page(status: Status, lang: &str, theme: Theme) -> (Status, Template) {
    let page = context! { lang, theme: theme.as_str() };
    (status, Template::render("error", context! { page, code: catalog_code(status), status: status.code }))
}

#[rocket::catch(default)]
pub async fn default_catcher(status: Status, req: &Request<'_>) -> (Status, Template) {
    // NOTE: never touch the session store again for its own failures.
    let session_failed = matches!(
        status,
        Status::RequestHeaderFieldsTooLarge | Status::ServiceUnavailable | Status::InternalServerError
    );
    if !session_failed {
        if let Some(page) = req.guard::<Page<'_>>().await.succeeded() {
            return error_page(&page, status, None);
        }
    }
    let (lang, theme) = match req.rocket().state::<Settings>() {
        Some(settings) if !session_failed => {
            let session = req.guard::<crate::session::Session<'_>>().await.succeeded();
            let theme = session.as_ref().and_then(|s| s.get::<String>(THEME_KEY)).and_then(|t| Theme::parse(&t));
            (language(req, session.as_ref(), settings), theme.unwrap_or_default())
        }
        Some(settings) => (language(req, None, settings), Theme::Auto),
        None => ("en".to_string(), Theme::Auto),
    };
    bare_error_page(status, &lang, theme)
}
