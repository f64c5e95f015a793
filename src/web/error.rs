//! [`Error`]: the one error type at the request edge. Handlers return
//! `Result<_, Error>` and use `?`; the responder logs an internal failure
//! once and answers the app's translated error page.

use rocket::http::Status;
use rocket::response::{self, Responder};
use rocket::Request;

use super::error_page::{error_response, with_retry_after};
use crate::mail::MailError;
use crate::session::SessionError;

/// Why a request could not be answered as asked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An answer decided by the rules (`404` wrong link, `409` too late,
    /// `422` unknown preference): the status's page, nothing logged.
    #[error("{0}")]
    Status(Status),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The session could not be read or written.
    #[error("session: {0}")]
    Session(#[from] SessionError),
    /// Mail could not be built or sent.
    #[error("mail: {0}")]
    Mail(#[from] MailError),
}

impl Error {
    /// The status the visitor sees.
    pub fn status(&self) -> Status {
        match self {
            Error::Status(status) => *status,
            // An unreachable store is temporary: "try again", not a bug.
            Error::Mail(_) | Error::Session(SessionError::Store(_)) => Status::ServiceUnavailable,
            Error::Database(e) if crate::db::unavailable(e) => Status::ServiceUnavailable,
            Error::Database(_) | Error::Session(_) => Status::InternalServerError,
        }
    }
}

/// A use case's failure at the edge: logged once, the translated page.
impl From<crate::booking::service::ServiceError> for Error {
    fn from(e: crate::booking::service::ServiceError) -> Error {
        use crate::booking::service::ServiceError;
        match e {
            ServiceError::Database(e) => Error::Database(e),
            ServiceError::Mail(e) => Error::Mail(e),
        }
    }
}

impl From<Status> for Error {
    fn from(status: Status) -> Self {
        Error::Status(status)
    }
}

impl<'r> Responder<'r, 'static> for Error {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let status = self.status();
        if !matches!(self, Error::Status(_)) {
            // NOTE: what the request carries is capped before it is logged.
            let path: String = req.uri().path().as_str().chars().take(200).collect();
            let method: String = req.method().as_str().chars().take(16).collect();
            rocket::error!("request id={} {method} {path}: {self}", crate::logging::RequestId::of(req));
        }
        with_retry_after(error_response(req, status).respond_to(req)?)
    }
}
