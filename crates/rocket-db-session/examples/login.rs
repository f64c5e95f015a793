//! A login with an emailed one-time code: the visitor gives an address, the
//! server keeps a code for it in the session and mails it (here: prints it),
//! and the right code signs the visitor in under a new session id.
//!
//! `cargo run -p rocket-db-session --example login`, then open
//! <http://127.0.0.1:8000>; the code appears in the server's output.

use std::collections::HashMap;
use std::sync::Mutex;

use rand::Rng;
use rocket::figment::{providers::Serialized, Figment};
use rocket::form::FromForm;
use rocket::response::content::RawHtml;
use rocket::response::Redirect;
use rocket::{get, post, routes, uri, Build, Rocket, State};
use rocket_db_session::{CsrfForm, Session, Sessions};
use serde::{Deserialize, Serialize};

/// Wrong codes that end an attempt.
const MAX_TRIES: u8 = 3;

/// A code on its way: kept in the session, never in the page.
#[derive(Serialize, Deserialize)]
struct Pending {
    email: String,
    code: String,
    tries: u8,
}

/// Where codes are "sent": printed, and kept for the tests.
#[derive(Default)]
pub struct Mailbox(pub Mutex<Vec<(String, String)>>);

#[derive(FromForm)]
struct Address {
    email: String,
}

#[derive(FromForm)]
struct Code {
    code: String,
}

fn form(action: &str, field: &str, token: &str) -> String {
    format!(
        r#"<form method="post" action="{action}"><input name="{field}" required>
        <input type="hidden" name="csrf_token" value="{token}"><button>Send</button></form>"#
    )
}

#[get("/")]
fn home(session: Session<'_>) -> RawHtml<String> {
    if let Some(email) = session.get::<String>("user") {
        let logout = form("/logout", "bye", &session.form_token()).replace(" required", r#" type="hidden""#);
        return RawHtml(format!("<p>Signed in as {}</p>{logout}", rocket::http::RawStr::new(&email).html_escape()));
    }
    // A token bound to this visitor before anything is stored.
    session.open();
    match session.get::<Pending>("pending") {
        Some(_) => RawHtml(format!("<p>Enter the code we sent.</p>{}", form("/verify", "code", &session.form_token()))),
        None => RawHtml(format!("<p>Your email address:</p>{}", form("/login", "email", &session.form_token()))),
    }
}

#[post("/login", data = "<form>")]
fn login(session: Session<'_>, mailbox: &State<Mailbox>, form: CsrfForm<'_, Address>) -> Redirect {
    if let Some(Address { email }) = form.value.filter(|a| a.email.contains('@')) {
        let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
        println!("code for {email}: {code}");
        mailbox.0.lock().unwrap().push((email.clone(), code.clone()));
        session.insert("pending", &Pending { email, code, tries: 0 }).expect("serializes");
    }
    Redirect::to(uri!(home))
}

#[post("/verify", data = "<form>")]
fn verify(session: Session<'_>, form: CsrfForm<'_, Code>) -> Redirect {
    let (Some(mut pending), Some(Code { code })) = (session.get::<Pending>("pending"), form.value) else {
        return Redirect::to(uri!(home));
    };
    if code.trim() == pending.code {
        session.remove("pending");
        // A new id before granting privilege: a planted id gains nothing.
        session.cycle_id();
        session.insert("user", &pending.email).expect("serializes");
    } else if pending.tries + 1 >= MAX_TRIES {
        session.remove("pending");
    } else {
        pending.tries += 1;
        session.insert("pending", &pending).expect("serializes");
    }
    Redirect::to(uri!(home))
}

#[post("/logout", data = "<form>")]
fn logout(session: Session<'_>, form: CsrfForm<'_, HashMap<String, String>>) -> Redirect {
    // The form has no field worth reading: taking it is the CSRF check.
    let _ = form;
    session.flush();
    Redirect::to(uri!(home))
}

/// The app on `figment` (its `session` table, see `SessionConfig`).
pub fn app(figment: Figment) -> Rocket<Build> {
    rocket::custom(figment)
        .mount("/", routes![home, login, verify, logout])
        .manage(Mailbox::default())
        .attach(Sessions::fairing())
}

#[rocket::launch]
fn rocket() -> _ {
    let sqlite = Serialized::default("session.database_url", "sqlite://login.db?mode=rwc");
    app(rocket::Config::figment().join(sqlite))
}
