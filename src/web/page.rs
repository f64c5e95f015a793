//! [`Page`]: the request guard behind every HTML page. It proves the session
//! was loaded and settles the visitor's language, theme and CSRF token.

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use serde::{Deserialize, Serialize};

use crate::config::{PracticeConfig, Settings};
use crate::i18n::{Lang, Zones};
use crate::session::{PublicEntries, Session};

use super::zone_menu::{self, ZoneMenu};

/// The visitor's colour theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// Light colours.
    Light,
    /// Dark colours.
    Dark,
    /// Follows the browser's `prefers-color-scheme`.
    #[default]
    Auto,
}

impl Theme {
    /// Every theme, in switcher order.
    pub const ALL: [Theme; 3] = [Theme::Light, Theme::Dark, Theme::Auto];

    /// Parses `light`, `dark` or `auto`.
    pub fn parse(value: &str) -> Option<Theme> {
        Theme::ALL.into_iter().find(|t| t.as_str() == value)
    }

    /// The form and `data-theme` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
            Theme::Auto => "auto",
        }
    }
}

/// Session keys of the preferences.
pub const LANG_KEY: &str = "lang";
/// See [`LANG_KEY`].
pub const THEME_KEY: &str = "theme";
/// See [`LANG_KEY`]: the visitor's IANA zone (none: the practice's).
pub const TZ_KEY: &str = "tz";
/// Session key of a one-time notice: a catalog key left for the visitor's
/// next page and shown there once (Django's messages framework).
pub const NOTICE_KEY: &str = "notice";
/// Session key of the current wizard step's name, kept by the wizard so
/// templates can read it (`page.session.step`) without knowing the wizard.
pub const STEP_KEY: &str = "step";

/// What the base template needs, settled once per request.
pub struct Page<'r> {
    /// The visitor's session.
    pub session: Session<'r>,
    /// Language for `<html lang>` and the catalogs.
    pub lang: Lang,
    /// Theme for `<html data-theme>`.
    pub theme: Theme,
    /// The zone the visitor chose, if any (it may be the practice's).
    pub zone: Option<chrono_tz::Tz>,
    /// Token for the forms of this page.
    pub csrf_token: String,
    /// This page's path and query, where the switchers come back to.
    pub path: String,
    /// The request's `Accept-Language`, for the zone switcher.
    accept_language: Option<&'r str>,
    settings: &'r Settings,
}

/// The page as the templates see it (`page.lang`, `page.session.theme`, …).
#[derive(Serialize)]
pub struct PageView<'a> {
    lang: &'a str,
    theme: &'static str,
    csrf_token: &'a str,
    /// Where the switchers return to (error pages: the landing page).
    pub(super) path: &'a str,
    languages: &'a [String],
    themes: [&'static str; 3],
    /// The zone switcher.
    zones: ZoneMenu,
    /// Who the visitor books with (SPEC §1a).
    practice: &'a PracticeConfig,
    /// The session's public entries (keys not starting with `_`), like
    /// Django's `request.session` in templates: `page.session.theme`,
    /// `page.session.step`, or `{% for key, value in page.session %}`.
    session: PublicEntries<'a>,
}

impl<'r> Page<'r> {
    /// The template view of this page.
    pub fn view(&self) -> PageView<'_> {
        PageView {
            lang: &self.lang,
            theme: self.theme.as_str(),
            csrf_token: &self.csrf_token,
            path: &self.path,
            languages: &self.settings.i18n.languages,
            themes: Theme::ALL.map(Theme::as_str),
            zones: zone_menu::menu(&self.lang, self.settings.booking.tz(), self.zone, self.accept_language),
            practice: &self.settings.practice,
            session: self.session.public(),
        }
    }

    /// The zones this visitor sees times in: the practice's, and theirs.
    pub fn zones(&self) -> Zones {
        Zones::new(self.settings.booking.tz(), self.zone)
    }

    /// Gives a visitor without a session a session cookie, and this page the
    /// token bound to it (wizard and booking pages: their forms must post
    /// with the visitor's own session's token).
    pub fn bind(&mut self) {
        self.session.open();
        if let Some(token) = self.session.csrf_token() {
            self.csrf_token = token;
        }
    }

    /// The page of a request whose session a guard already loaded, built
    /// without touching the store (for responders that run after the guards).
    pub fn cached(req: &'r Request<'_>) -> Option<Page<'r>> {
        Page::settle(req, Session::cached(req)?)
    }

    /// Settles language, theme and token for `session`.
    fn settle(req: &'r Request<'_>, session: Session<'r>) -> Option<Page<'r>> {
        let rocket = req.rocket();
        let settings = rocket.state::<Settings>()?;
        let lang = language(req, Some(&session), settings);
        let theme = session.get::<String>(THEME_KEY).and_then(|t| Theme::parse(&t)).unwrap_or_default();
        let zone = session.get::<String>(TZ_KEY).and_then(|z| z.parse().ok());
        let csrf_token = session.form_token();
        let (path, accept_language) = (req.uri().to_string(), req.headers().get_one("Accept-Language"));
        Some(Page { session, lang, theme, zone, csrf_token, path, accept_language, settings })
    }

    /// Leaves the notice `key` (a catalog key) for the visitor's next page.
    pub fn leave_notice(&self, key: &str) -> Result<(), crate::session::SessionError> {
        self.session.insert(NOTICE_KEY, &key)
    }

    /// The notice left for this page, translated, if any; it is shown once.
    pub fn take_notice(&self) -> Option<String> {
        let key = self.session.get::<String>(NOTICE_KEY)?;
        self.session.remove(NOTICE_KEY);
        Some(crate::i18n::t(&self.lang, &key))
    }

    /// The settings, for handlers that take a page anyway.
    pub fn settings(&self) -> &'r Settings {
        self.settings
    }
}

/// The visitor's language: their choice, else `Accept-Language`, else the
/// default.
pub fn language(req: &Request<'_>, session: Option<&Session<'_>>, settings: &Settings) -> Lang {
    let chosen = session.and_then(|s| s.get::<String>(LANG_KEY));
    let (languages, default) = (&settings.i18n.languages, &settings.i18n.default_language);
    Lang::pick(chosen.as_deref(), req.headers().get_one("Accept-Language"), languages, default)
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Page<'r> {
    type Error = &'static str;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let session = match req.guard::<Session<'r>>().await {
            Outcome::Success(s) => s,
            Outcome::Error(e) => return Outcome::Error(e),
            Outcome::Forward(s) => return Outcome::Forward(s),
        };
        match Page::settle(req, session) {
            Some(page) => Outcome::Success(page),
            None => Outcome::Error((Status::InternalServerError, "app not configured")),
        }
    }
}
