//! Cross-site request forgery defence for every POST.
//!
//! [`CsrfForm`] is the data guard every state-changing route takes instead of
//! `Form`: it refuses cross-site requests (by `Sec-Fetch-Site` and `Origin`),
//! caps the body at the `form` limit (`413` beyond), checks `csrf_token`
//! against the session's token in constant time — or, only where the route's
//! [`TokenPolicy`] allows it (`POST /prefs`) and the visitor has no session,
//! against a signed short-lived [`AnonToken`] — and only then parses the form. A route that takes a `CsrfForm` cannot forget the check.

use std::marker::PhantomData;

use rocket::data::{self, Data, FromData};
use rocket::form::{Context, Contextual, Form, FromForm};
use rocket::http::Status;
use rocket::request::Request;
use subtle::ConstantTimeEq;

use super::Session;
use crate::clock::Clock;
use crate::config::Settings;
use crate::secrets::Secrets;

/// Lifetime of a token bound to no session.
const ANON_TOKEN_SECS: i64 = 2 * 3600;

/// A CSRF token for pages shown to a visitor who has no session yet:
/// `expiry.mac`, signed with the app secret, bound to no session.
pub struct AnonToken;

impl AnonToken {
    /// Mints a token valid for two hours from `now` (unix ms).
    pub fn issue(secrets: &Secrets, now: i64) -> String {
        let expires = now / 1000 + ANON_TOKEN_SECS;
        let mac = secrets.mac("anon-csrf", &[expires.to_string().as_bytes()]);
        format!("{expires}.{}", hex::encode(&mac[..16]))
    }

    /// Whether `token` was minted by this app and has not expired at `now`
    /// (unix ms).
    pub fn verify(secrets: &Secrets, token: &str, now: i64) -> bool {
        let Some((expires, mac)) = token.split_once('.') else { return false };
        let Ok(expiry) = expires.parse::<i64>() else { return false };
        if expiry < now / 1000 || expiry > now / 1000 + ANON_TOKEN_SECS {
            return false;
        }
        let expected = hex::encode(&secrets.mac("anon-csrf", &[expires.as_bytes()])[..16]);
        bool::from(expected.as_bytes().ct_eq(mac.as_bytes()))
    }
}

/// Why a POST was refused.
#[derive(Debug, thiserror::Error)]
pub enum CsrfError {
    /// `Sec-Fetch-Site: cross-site` or a foreign `Origin`.
    #[error("cross-site request")]
    CrossSite,
    /// Missing or wrong `csrf_token`.
    #[error("missing or wrong csrf_token")]
    BadToken,
    /// The body exceeds the `form` limit.
    #[error("form too large")]
    TooLarge,
    /// The body could not be read or is not a form.
    #[error("unreadable form: {0}")]
    Unreadable(String),
}

/// Which tokens a form accepts.
pub trait TokenPolicy: Send + 'static {
    /// Whether a visitor without a session may post with an [`AnonToken`].
    const SESSIONLESS: bool;
}

/// The token of the visitor's own session, nothing else (every POST but
/// `/prefs`).
pub struct SessionToken;

impl TokenPolicy for SessionToken {
    const SESSIONLESS: bool = false;
}

/// The session's token, or a signed session-less one while the visitor has
/// no session: the landing page's switchers (`POST /prefs`).
pub struct SessionlessToken;

impl TokenPolicy for SessionlessToken {
    const SESSIONLESS: bool = true;
}

/// A form whose request passed the CSRF checks: Rocket's
/// `Form<Contextual<T>>` behind the origin and token checks, so a POST
/// handler cannot get its form without them. `value` is the parsed form when
/// every field is valid; `context` holds each field's errors and what the
/// visitor typed, for re-rendering an invalid form.
pub struct CsrfForm<'r, T, P: TokenPolicy = SessionToken> {
    /// The parsed form, when every field is valid.
    pub value: Option<T>,
    /// Rocket's form context: the errors and the submitted values by field.
    pub context: Context<'r>,
    policy: PhantomData<P>,
}

impl<T, P: TokenPolicy> CsrfForm<'_, T, P> {
    /// What the visitor typed in field `name`, or "".
    pub fn raw(&self, name: &str) -> &str {
        self.context.field_value(name).unwrap_or("")
    }
}

/// Whether the request comes from one of the app's own pages.
pub(crate) fn same_origin(req: &Request<'_>, settings: &Settings) -> bool {
    let headers = req.headers();
    if headers.get_one("Sec-Fetch-Site").is_some_and(|s| s.trim().eq_ignore_ascii_case("cross-site")) {
        return false;
    }
    let Some(origin) = headers.get_one("Origin") else { return true };
    let origin = origin.trim().to_ascii_lowercase();
    let Some((_, authority)) = origin.split_once("://") else { return false };
    if headers.get_one("Host").is_some_and(|host| host.trim().eq_ignore_ascii_case(authority)) {
        return true;
    }
    settings.public_origin() == origin
}

#[rocket::async_trait]
impl<'r, T: FromForm<'r> + Send + 'r, P: TokenPolicy> FromData<'r> for CsrfForm<'r, T, P> {
    type Error = CsrfError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        use rocket::outcome::Outcome::{Error, Forward, Success};
        let rocket = req.rocket();
        let (Some(settings), Some(secrets), Some(clock)) =
            (rocket.state::<Settings>(), rocket.state::<Secrets>(), rocket.state::<Clock>())
        else {
            return Error((Status::InternalServerError, CsrfError::Unreadable("app not configured".into())));
        };
        if !same_origin(req, settings) {
            return Error((Status::Forbidden, CsrfError::CrossSite));
        }
        let form = match Form::<Contextual<'r, T>>::from_data(req, data).await {
            Success(form) => form.into_inner(),
            Forward(forward) => return Forward(forward),
            Error((Status::PayloadTooLarge, _)) => return Error((Status::PayloadTooLarge, CsrfError::TooLarge)),
            Error((status, e)) => return Error((status, CsrfError::Unreadable(e.to_string()))),
        };
        if form.context.status() == Status::PayloadTooLarge {
            return Error((Status::PayloadTooLarge, CsrfError::TooLarge));
        }
        let token = form.context.field_value("csrf_token").unwrap_or_default();
        let session = match req.guard::<Session<'r>>().await {
            Success(session) => session,
            Error((status, e)) => return Error((status, CsrfError::Unreadable(e.into()))),
            Forward(status) => return Error((status, CsrfError::BadToken)),
        };
        // NOTE: a session-less token stays good for `POST /prefs` after the
        // visitor got a session (a landing page left open from before it).
        let own = session.csrf_token().is_some_and(|expected| bool::from(expected.as_bytes().ct_eq(token.as_bytes())));
        let valid = own || (P::SESSIONLESS && AnonToken::verify(secrets, token, clock.now_ms()));
        if !valid {
            return Error((Status::Forbidden, CsrfError::BadToken));
        }
        Success(CsrfForm { value: form.value, context: form.context, policy: PhantomData })
    }
}
