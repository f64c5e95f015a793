//! A multi-step form: each step's answer waits in the session until the
//! last step shows them all; a step asked for too early sends the visitor
//! back to the first one that is missing.
//!
//! `cargo run -p rocket-db-session --example wizard`, then open
//! <http://127.0.0.1:8000/step/1>.

use rocket::figment::{providers::Serialized, Figment};
use rocket::form::FromForm;
use rocket::http::RawStr;
use rocket::response::content::RawHtml;
use rocket::response::Redirect;
use rocket::{get, post, routes, uri, Build, Responder, Rocket};
use rocket_db_session::{CsrfForm, Session, Sessions};

/// The steps' session keys and questions, in order.
const STEPS: [(&str, &str); 2] = [("name", "Your name?"), ("color", "Your favourite colour?")];

/// A page, or a redirect to the step that is due.
// A response lives for one request: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Responder)]
enum Page<T> {
    Show(T),
    Back(Redirect),
}

#[derive(FromForm)]
struct Answer {
    answer: String,
}

/// The first step without an answer (`STEPS.len()`: all answered).
fn first_missing(session: &Session<'_>) -> usize {
    STEPS.iter().position(|(key, _)| !session.contains(key)).unwrap_or(STEPS.len())
}

#[get("/step/<n>")]
fn step(session: Session<'_>, n: usize) -> Page<RawHtml<String>> {
    let due = first_missing(&session);
    if n == 0 || n > STEPS.len() || n - 1 > due {
        return Page::Back(Redirect::to(uri!(step(due.min(STEPS.len() - 1) + 1))));
    }
    session.open();
    let (key, question) = STEPS[n - 1];
    let value = session.get::<String>(key).unwrap_or_default();
    Page::Show(RawHtml(format!(
        r#"<form method="post"><label>{question} <input name="answer" value="{}" required></label>
        <input type="hidden" name="csrf_token" value="{}"><button>Next</button></form>"#,
        RawStr::new(&value).html_escape(),
        session.form_token()
    )))
}

#[post("/step/<n>", data = "<form>")]
fn answer(session: Session<'_>, n: usize, form: CsrfForm<'_, Answer>) -> Redirect {
    let (Some((key, _)), Some(Answer { answer })) = (STEPS.get(n.wrapping_sub(1)), form.value) else {
        return Redirect::to(uri!(step(1)));
    };
    session.insert(key, &answer.trim()).expect("text serializes");
    if n < STEPS.len() {
        Redirect::to(uri!(step(n + 1)))
    } else {
        Redirect::to(uri!(done))
    }
}

#[get("/done")]
fn done(session: Session<'_>) -> Page<String> {
    if first_missing(&session) < STEPS.len() {
        return Page::Back(Redirect::to(uri!(step(first_missing(&session) + 1))));
    }
    let answers: Vec<String> = STEPS.iter().map(|(key, _)| session.get::<String>(key).unwrap_or_default()).collect();
    Page::Show(format!("Thank you: {}", answers.join(", ")))
}

/// The app on `figment` (its `session` table, see `SessionConfig`).
pub fn app(figment: Figment) -> Rocket<Build> {
    rocket::custom(figment).mount("/", routes![step, answer, done]).attach(Sessions::fairing())
}

#[rocket::launch]
fn rocket() -> _ {
    let sqlite = Serialized::default("session.database_url", "sqlite://wizard.db?mode=rwc");
    app(rocket::Config::figment().join(sqlite))
}
