//! Times every request, counts its response by status, and logs its one
//! request line (see `logging::request_line`).

use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Data, Request, Response};

use super::families::Metrics;

/// When the request arrived (request-local).
struct Arrived(Instant);

/// The fairing behind `slotwise_http_requests_total` and
/// `slotwise_http_request_duration_seconds`.
pub(super) struct Timing;

#[rocket::async_trait]
impl Fairing for Timing {
    fn info(&self) -> Info {
        Info { name: "Request metrics", kind: Kind::Request | Kind::Response }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        req.local_cache(|| Arrived(Instant::now()));
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let Some(metrics) = req.rocket().state::<Metrics>() else { return };
        let arrived = req.local_cache(|| Arrived(Instant::now())).0;
        metrics.requests.inc(res.status().code);
        metrics.durations.observe(arrived.elapsed());
        rocket::info!("{}", crate::logging::request_line(req, res.status().code, arrived.elapsed()));
    }
}
