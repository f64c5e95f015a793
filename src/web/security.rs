//! Security headers on every response, error pages included: Rocket's Shield
//! plus the Content-Security-Policy and `Cache-Control: no-store`.

use rocket::fairing::{AdHoc, Fairing, Info, Kind};
use rocket::http::Header;
use rocket::shield::{Frame, NoSniff, Referrer, Shield};
use rocket::{Request, Response};

const CSP: &str = "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
                   frame-ancestors 'none'; img-src 'self' data:";

struct PageHeaders;

#[rocket::async_trait]
impl Fairing for PageHeaders {
    fn info(&self) -> Info {
        Info { name: "Page security headers", kind: Kind::Response }
    }

    async fn on_response<'r>(&self, _: &'r Request<'_>, res: &mut Response<'r>) {
        res.set_header(Header::new("Content-Security-Policy", CSP));
        if !res.headers().contains("Cache-Control") {
            // NOTE: pages show session data (names, emails, tokens): never
            // let a shared or back-button cache keep them.
            res.set_header(Header::new("Cache-Control", "no-store"));
        }
    }
}

/// Shield (nosniff, frame deny, referrer policy) and our page headers.
pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Security headers", |rocket| async {
        // NOTE: not `no-referrer`: under it browsers send `Origin: null` with
        // the app's own forms, which the CSRF check must refuse.
        let shield =
            Shield::default().enable(NoSniff::Enable).enable(Frame::Deny).enable(Referrer::StrictOriginWhenCrossOrigin);
        rocket.attach(shield).attach(PageHeaders)
    })
}
