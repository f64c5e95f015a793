//! Preferences: the visitor's language and theme, kept in the session and
//! surviving the end of a booking flow. `POST /prefs` is the only writer.

use rocket::form::FromForm;
use rocket::http::uri::Origin;
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::State;

use crate::config::Settings;
use crate::session::{CsrfForm, Session, SessionlessToken};
use crate::web::{page_keys, Error, Theme};

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

/// `POST /prefs`: stores `lang` and/or `theme`, then `303` back to `next`;
/// an unknown language or theme answers `422` and stores nothing.
#[rocket::post("/prefs", data = "<form>")]
fn set_prefs(
    form: CsrfForm<'_, PrefsForm, SessionlessToken>,
    session: Session<'_>,
    settings: &State<Settings>,
) -> Result<Redirect, Error> {
    let prefs = form.value.ok_or(Status::UnprocessableEntity)?;
    let (lang, theme) = chosen(&prefs, settings).ok_or(Status::UnprocessableEntity)?;
    if let Some(lang) = lang {
        session.insert(page_keys::LANG, &lang)?;
    }
    if let Some(theme) = theme {
        session.insert(page_keys::THEME, &theme.as_str())?;
    }
    let next = prefs.next.as_deref().and_then(local_path).unwrap_or("/").to_string();
    Ok(Redirect::to(next))
}

/// The language and theme `prefs` chooses (an empty field chooses nothing);
/// `None` when either is unknown.
fn chosen<'a>(prefs: &'a PrefsForm, settings: &Settings) -> Option<(Option<&'a str>, Option<Theme>)> {
    let lang = prefs.lang.as_deref().filter(|l| !l.is_empty());
    if lang.is_some_and(|l| !settings.i18n.languages.iter().any(|known| known == l)) {
        return None;
    }
    let theme = match prefs.theme.as_deref().filter(|t| !t.is_empty()) {
        Some(theme) => Some(Theme::parse(theme)?),
        None => None,
    };
    Some((lang, theme))
}

/// Mounts `POST /prefs`.
pub fn stage() -> rocket::fairing::AdHoc {
    rocket::fairing::AdHoc::on_ignite("Preferences", |rocket| async { rocket.mount("/", rocket::routes![set_prefs]) })
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
