//! Preferences: the visitor's language and theme, kept in the session and
//! surviving the end of a booking flow. `POST /prefs` is the only writer.

use rocket::form::FromForm;
use rocket::http::uri::Origin;
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::State;

use crate::config::Settings;
use crate::session::{CsrfForm, Session};
use crate::web::{error_page, Page, Theme, View};

/// The switchers' form.
#[derive(FromForm)]
pub struct PrefsForm {
    lang: Option<String>,
    theme: Option<String>,
    next: Option<String>,
}

/// `next` when it is a path on this site (query allowed), else `None`:
/// no scheme, no `//host`, no backslashes or control characters.
pub fn local_path(next: &str) -> Option<&str> {
    let plain = next.starts_with('/')
        && !next.starts_with("//")
        && !next.chars().any(|c| c == '\\' || c.is_control() || c.is_whitespace());
    (plain && Origin::parse(next).is_ok()).then_some(next)
}

/// `POST /prefs`: stores `lang` and/or `theme`, then `303` back to `next`.
#[rocket::post("/prefs", data = "<form>")]
fn set_prefs(
    form: CsrfForm<PrefsForm>,
    page: Page<'_>,
    session: Session<'_>,
    settings: &State<Settings>,
) -> Result<Redirect, (Status, View)> {
    let unprocessable = |page: &Page<'_>| error_page(page, Status::UnprocessableEntity, None);
    let Some(prefs) = form.value else { return Err(unprocessable(&page)) };
    let lang = prefs.lang.as_deref().filter(|l| !l.is_empty());
    let theme = prefs.theme.as_deref().filter(|t| !t.is_empty());
    if lang.is_some_and(|l| !settings.i18n.languages.iter().any(|known| known == l)) {
        return Err(unprocessable(&page));
    }
    let theme = match theme.map(Theme::parse) {
        Some(None) => return Err(unprocessable(&page)),
        Some(Some(theme)) => Some(theme),
        None => None,
    };
    let stored = lang
        .map(|l| session.insert(crate::web::page_keys::LANG, &l))
        .transpose()
        .and_then(|_| theme.map(|t| session.insert(crate::web::page_keys::THEME, &t.as_str())).transpose());
    if let Err(e) = stored {
        rocket::error!("prefs: {e}");
        return Err(error_page(&page, Status::InternalServerError, None));
    }
    let next = prefs.next.as_deref().and_then(local_path).unwrap_or("/").to_string();
    Ok(Redirect::to(next))
}

/// Mounts `POST /prefs`.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![set_prefs]
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_accepted() {
        assert_eq!(local_path("/book/slot?date=2026-11-23"), Some("/book/slot?date=2026-11-23"));
        assert_eq!(local_path("/"), Some("/"));
        assert_eq!(local_path("/?from=prefs"), Some("/?from=prefs"));
        for bad in [
            "//evil.test/",
            "https://evil.test/",
            "evil.test",
            "/\\evil.test",
            "",
            "/a b",
            "/\r\nX: y",
            "javascript:alert(1)",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }
}
