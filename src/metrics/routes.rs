//! `GET /metrics`: the Prometheus text, for a scraper holding the token.

use rocket::http::{ContentType, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::State;
use subtle::ConstantTimeEq;

use super::families::Metrics;
use crate::config::Settings;
use crate::db::Db;
use crate::{outbox, webhooks};

/// Proof that the request carries `Authorization: Bearer <metrics.token>`.
/// Anything else — no token configured, no header, another token — is a
/// `404`, so the endpoint does not even admit that it exists.
pub struct Scraper(());

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Scraper {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let expected = req.rocket().state::<Settings>().and_then(|s| s.metrics.token.as_deref());
        let given = req.headers().get_one("Authorization").and_then(bearer);
        match (expected, given) {
            // NOTE: constant time: the comparison's duration tells nothing
            // about how much of a guess was right.
            (Some(expected), Some(given)) if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) => {
                Outcome::Success(Scraper(()))
            }
            _ => Outcome::Error((Status::NotFound, ())),
        }
    }
}

/// The credentials of an `Authorization: Bearer <token>` header (the scheme
/// is case-insensitive).
fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// `GET /metrics`; the outbox's and the webhooks' gauges are read from their
/// tables at each scrape.
#[rocket::get("/metrics")]
async fn metrics(_scraper: Scraper, metrics: &State<Metrics>, db: &Db) -> Result<(ContentType, String), Status> {
    let (pending, failed) = outbox::QUEUE.backlog(db).await.map_err(|_| Status::ServiceUnavailable)?;
    metrics.mail_pending.set(pending);
    metrics.mail_failed.set(failed);
    let (pending, failed) = webhooks::QUEUE.backlog(db).await.map_err(|_| Status::ServiceUnavailable)?;
    metrics.webhooks_pending.set(pending);
    metrics.webhooks_failed.set(failed);
    let text = metrics.encode().map_err(|_| Status::InternalServerError)?;
    let content_type = ContentType::new("text", "plain").with_params([("version", "0.0.4"), ("charset", "utf-8")]);
    Ok((content_type, text))
}

/// The metrics route.
pub(super) fn routes() -> Vec<rocket::Route> {
    rocket::routes![metrics]
}

#[cfg(test)]
mod tests {
    use super::bearer;

    #[test]
    fn only_bearer_credentials_are_read() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
    }
}
