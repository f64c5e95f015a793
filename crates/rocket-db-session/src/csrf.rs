//! Cross-site request forgery defence for every POST.
//!
//! [`CsrfForm`] is the data guard every state-changing route takes instead of
//! `Form`: it refuses cross-site requests (by `Sec-Fetch-Site` and `Origin`),
//! caps the body at the `form` limit (`413` beyond), checks the form's
//! `csrf_token` field against the session's token in constant time — or,
//! only where the route's [`TokenPolicy`] allows it, against a signed
//! short-lived [`AnonToken`] — and only then hands over the form. A route
//! that takes a `CsrfForm` cannot forget the check.

use std::marker::PhantomData;

use rocket::data::{self, Data, FromData};
use rocket::form::{Context, Contextual, Form, FromForm};
use rocket::http::Status;
use rocket::request::Request;
use subtle::ConstantTimeEq;

use crate::runtime::Runtime;
use crate::session::Session;
use crate::token::AnonToken;

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

/// The token of the visitor's own session, nothing else (the default).
pub struct SessionToken;

impl TokenPolicy for SessionToken {
    const SESSIONLESS: bool = false;
}

/// The session's token, or a signed session-less [`AnonToken`]: for forms
/// on pages shown before the visitor had a session (a landing page's
/// preference switchers), which stay good after a session exists.
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

/// Whether the request comes from one of the app's own pages: no
/// `Sec-Fetch-Site: cross-site`, and an `Origin` (when sent) that is the
/// request's `Host` or a trusted origin.
pub(crate) fn same_origin(req: &Request<'_>, trusted: &[String]) -> bool {
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
    trusted.contains(&origin)
}

#[rocket::async_trait]
impl<'r, T: FromForm<'r> + Send + 'r, P: TokenPolicy> FromData<'r> for CsrfForm<'r, T, P> {
    type Error = CsrfError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        use rocket::outcome::Outcome::{Error, Forward, Success};
        let Some(context) = req.rocket().state::<Runtime>() else {
            let e = CsrfError::Unreadable("the sessions' fairing is not attached".into());
            return Error((Status::InternalServerError, e));
        };
        if !same_origin(req, &context.origins) {
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
        // NOTE: a session-less token stays good where the policy allows it
        // after the visitor got a session (a page left open from before it).
        let own = session.csrf_token().is_some_and(|expected| bool::from(expected.as_bytes().ct_eq(token.as_bytes())));
        let valid = own || (P::SESSIONLESS && AnonToken::verify(&context.signer, token, context.clock.now_ms()));
        if !valid {
            return Error((Status::Forbidden, CsrfError::BadToken));
        }
        Success(CsrfForm { value: form.value, context: form.context, policy: PhantomData })
    }
}
