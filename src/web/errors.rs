//! The app's own error pages, translated, for every status it can answer.

use rocket::http::Status;
use rocket::Request;
use rocket_dyn_templates::{context, Template};

use crate::config::Settings;
use crate::web::page::{language, Theme, THEME_KEY};

/// Renders the error page for `status` with an optional extra message id.
pub fn error_page(status: Status, lang: &str, theme: Theme, detail: Option<String>) -> (Status, Template) {
    let code = match status.code {
        403 | 404 | 409 | 413 | 422 | 429 => status.code,
        c if c >= 500 => 500,
        _ => 400,
    };
    let page = context! { lang, theme: theme.as_str() };
    (status, Template::render("error", context! { page, code, status: status.code, detail }))
}

#[rocket::catch(default)]
pub async fn default_catcher(status: Status, req: &Request<'_>) -> (Status, Template) {
    let session = match status {
        // NOTE: never touch the session store again for its own failures.
        Status::RequestHeaderFieldsTooLarge | Status::ServiceUnavailable | Status::InternalServerError => None,
        _ => req.guard::<crate::session::Session<'_>>().await.succeeded(),
    };
    let (lang, theme) = match req.rocket().state::<Settings>() {
        Some(settings) => (
            language(req, session.as_ref(), settings),
            session.and_then(|s| s.get::<String>(THEME_KEY)).and_then(|t| Theme::parse(&t)).unwrap_or_default(),
        ),
        None => ("en".to_string(), Theme::Auto),
    };
    error_page(status, &lang, theme, None)
}
