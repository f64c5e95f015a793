//! Preferences: the visitor's language, theme and time zone, kept in the
//! session and surviving the end of a booking flow. `POST /prefs` is the
//! only writer.

use chrono_tz::Tz;
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
    tz: Option<String>,
    next: Option<String>,
}

/// What one `POST /prefs` chooses; `None`: it leaves that preference as it is.
struct Chosen<'a> {
    lang: Option<&'a str>,
    theme: Option<Theme>,
    /// `Some(None)`: the practice's zone (`practice`).
    tz: Option<Option<Tz>>,
}

/// `next` when it is a path on this site (query allowed), else `None`:
/// no scheme, no `//host`, no backslashes or control characters.
pub fn local_path(next: &str) -> Option<&str> {
    let plain = next.starts_with('/')
        && !next.starts_with("//")
        && !next.chars().any(|c| c == '\\' || c.is_control() || c.is_whitespace());
    (plain && Origin::parse(next).is_ok()).then_some(next)
}

/// `POST /prefs`: stores `lang`, `theme` and/or `tz`, then `303` back to
/// `next`; an unknown language, theme or zone answers `422` and stores
/// nothing.
#[rocket::post("/prefs", data = "<form>")]
fn set_prefs(
    form: CsrfForm<'_, PrefsForm, SessionlessToken>,
    session: Session<'_>,
    settings: &State<Settings>,
) -> Result<Redirect, Error> {
    let prefs = form.value.ok_or(Status::UnprocessableEntity)?;
    let chosen = chosen(&prefs, settings).ok_or(Status::UnprocessableEntity)?;
    store(&session, &chosen)?;
    let next = prefs.next.as_deref().and_then(local_path).unwrap_or("/").to_string();
    Ok(Redirect::to(next))
}

/// Keeps what `chosen` chooses in the session; the practice's zone is no
/// zone of the visitor's own.
fn store(session: &Session<'_>, chosen: &Chosen<'_>) -> Result<(), Error> {
    if let Some(lang) = chosen.lang {
        session.insert(page_keys::LANG, &lang)?;
    }
    if let Some(theme) = chosen.theme {
        session.insert(page_keys::THEME, &theme.as_str())?;
    }
    match chosen.tz {
        Some(Some(zone)) => session.insert(page_keys::TZ, &zone.name())?,
        Some(None) => session.remove(page_keys::TZ),
        None => {}
    }
    Ok(())
}

/// The language, theme and zone `prefs` chooses (an empty field chooses
/// nothing); `None` when one is unknown.
fn chosen<'a>(prefs: &'a PrefsForm, settings: &Settings) -> Option<Chosen<'a>> {
    let lang = prefs.lang.as_deref().filter(|l| !l.is_empty());
    if lang.is_some_and(|l| !settings.i18n.languages.iter().any(|known| known == l)) {
        return None;
    }
    let theme = match prefs.theme.as_deref().filter(|t| !t.is_empty()) {
        Some(theme) => Some(Theme::parse(theme)?),
        None => None,
    };
    let tz = match prefs.tz.as_deref().filter(|z| !z.is_empty()) {
        Some(zone) => Some(zone_choice(zone)?),
        None => None,
    };
    Some(Chosen { lang, theme, tz })
}

/// `practice` (the practice's zone: `Some(None)`) or an IANA zone name;
/// `None` for anything else.
fn zone_choice(value: &str) -> Option<Option<Tz>> {
    match value {
        "practice" => Some(None),
        name => name.parse::<Tz>().ok().map(Some),
    }
}

/// Mounts `POST /prefs`.
pub fn stage() -> rocket::fairing::AdHoc {
    rocket::fairing::AdHoc::on_ignite("Preferences", |rocket| async { rocket.mount("/", rocket::routes![set_prefs]) })
}

#[cfg(test)]
mod tests {
    use super::{local_path, zone_choice};

    #[test]
    fn a_zone_is_practice_or_an_iana_name() {
        assert_eq!(zone_choice("practice"), Some(None));
        assert_eq!(zone_choice("America/New_York"), Some(Some(chrono_tz::America::New_York)));
        assert_eq!(zone_choice("UTC"), Some(Some(chrono_tz::Tz::UTC)));
        for bad in ["Mars/Olympus_Mons", "america/new_york", "Europe/Berlin ", "CET+1", "../etc/passwd"] {
            assert_eq!(zone_choice(bad), None, "{bad:?}");
        }
    }

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
