//! A booking found from its link: the `<reference>` of the path and its
//! `token`. A reference and token that do not belong together answer `404`
//! and reveal nothing, wherever they are checked.

use rocket::http::Status;
use rocket::outcome::try_outcome;
use rocket::request::{FromRequest, Outcome, Request};

use crate::booking::service::Bookings;
use crate::booking::store::Booking;
use crate::web::Error;

/// The booking named by `reference` whose link carries `token`, else `404`.
pub async fn find(bookings: &Bookings<'_>, reference: &str, token: &str) -> Result<Booking, Error> {
    Ok(bookings.find(reference, token).await?.ok_or(Status::NotFound)?)
}

/// A request guard for the GET pages: the booking of
/// `/booking/<reference>…?token=<token>`, with its token (`404` otherwise).
pub struct BookingLink {
    /// The booking as stored.
    pub booking: Booking,
    /// The token of its link, for the forms and links of the page.
    pub token: String,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for BookingLink {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let bookings = try_outcome!(req.guard::<Bookings<'r>>().await);
        let reference = req.param::<&str>(1).and_then(Result::ok).unwrap_or_default();
        let token = req.query_value::<&str>("token").and_then(Result::ok).unwrap_or_default();
        match find(&bookings, reference, token).await {
            Ok(booking) => Outcome::Success(BookingLink { booking, token: token.to_string() }),
            Err(e) => {
                let status = e.status();
                if status != Status::NotFound {
                    rocket::error!("booking link {reference}: {e}");
                }
                Outcome::Error((status, ()))
            }
        }
    }
}
