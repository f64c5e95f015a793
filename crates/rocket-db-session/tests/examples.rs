//! The examples, run as a visitor would use them (on a fresh SQLite file).

use rocket::figment::Figment;
use rocket::http::{ContentType, Status};
use rocket::local::blocking::Client;

#[allow(dead_code)]
#[path = "../examples/counter.rs"]
mod counter;
#[allow(dead_code)]
#[path = "../examples/login.rs"]
mod login;
#[allow(dead_code)]
#[path = "../examples/wizard.rs"]
mod wizard;

/// A figment on a fresh SQLite file in `dir`.
fn figment(dir: &tempfile::TempDir) -> Figment {
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("example.db").display());
    rocket::Config::figment().merge(("log_level", "off")).merge(("session.database_url", url))
}

/// The value of the form's `csrf_token`.
fn token(page: &str) -> String {
    let before = r#"name="csrf_token" value=""#;
    let at = page.find(before).expect("a form token") + before.len();
    page[at..].split('"').next().unwrap().to_string()
}

fn post(client: &Client, uri: &str, body: String) -> (Status, Option<String>) {
    let response = client.post(uri).header(ContentType::Form).body(body).dispatch();
    (response.status(), response.headers().get_one("Location").map(str::to_string))
}

#[test]
fn counter_counts_each_visitors_visits() {
    let dir = tempfile::tempdir().unwrap();
    let client = Client::tracked(counter::app(figment(&dir))).unwrap();
    for n in 1..=3 {
        assert_eq!(client.get("/").dispatch().into_string().unwrap(), format!("You have been here {n} time(s)."));
    }
    let stranger = Client::tracked(counter::app(figment(&dir))).unwrap();
    let stranger = stranger.get("/").dispatch().into_string().unwrap();
    assert_eq!(stranger, "You have been here 1 time(s).", "a new visitor starts again");
}

#[test]
fn login_signs_in_with_the_mailed_code_under_a_new_id() {
    let dir = tempfile::tempdir().unwrap();
    let client = Client::tracked(login::app(figment(&dir))).unwrap();
    let page = client.get("/").dispatch().into_string().unwrap();
    assert!(page.contains("email address"), "{page}");
    let (status, _) = post(&client, "/login", format!("email=ada%40example.org&csrf_token={}", token(&page)));
    assert_eq!(status, Status::SeeOther);
    let page = client.get("/").dispatch().into_string().unwrap();
    let code = client.rocket().state::<login::Mailbox>().unwrap().0.lock().unwrap()[0].1.clone();
    assert!(!page.contains(&code), "the code is in the page");

    let wrong = if code == "000000" { "111111" } else { "000000" };
    post(&client, "/verify", format!("code={wrong}&csrf_token={}", token(&page)));
    assert!(client.get("/").dispatch().into_string().unwrap().contains("Enter the code"));
    let before = client.cookies().iter().map(|c| c.value().to_string()).collect::<Vec<_>>();
    post(&client, "/verify", format!("code={code}&csrf_token={}", token(&page)));
    let page = client.get("/").dispatch().into_string().unwrap();
    assert!(page.contains("Signed in as ada@example.org"), "{page}");
    let after = client.cookies().iter().map(|c| c.value().to_string()).collect::<Vec<_>>();
    assert_ne!(before, after, "signing in keeps the session id");

    let (status, _) = post(&client, "/logout", "bye=&csrf_token=forged".into());
    assert_eq!(status, Status::Forbidden, "a forged token signs nobody out");
    post(&client, "/logout", format!("bye=&csrf_token={}", token(&page)));
    assert!(client.get("/").dispatch().into_string().unwrap().contains("email address"));
}

#[test]
fn wizard_keeps_each_answer_and_sends_early_visitors_back() {
    let dir = tempfile::tempdir().unwrap();
    let client = Client::tracked(wizard::app(figment(&dir))).unwrap();
    let early = client.get("/done").dispatch();
    assert_eq!(early.headers().get_one("Location"), Some("/step/1"));
    assert_eq!(client.get("/step/2").dispatch().headers().get_one("Location"), Some("/step/1"));

    let page = client.get("/step/1").dispatch().into_string().unwrap();
    let (_, next) = post(&client, "/step/1", format!("answer=Ada&csrf_token={}", token(&page)));
    assert_eq!(next.as_deref(), Some("/step/2"));
    let page = client.get("/step/2").dispatch().into_string().unwrap();
    let (_, next) = post(&client, "/step/2", format!("answer=teal&csrf_token={}", token(&page)));
    assert_eq!(next.as_deref(), Some("/done"));
    assert_eq!(client.get("/done").dispatch().into_string().unwrap(), "Thank you: Ada, teal");
    let back = client.get("/step/1").dispatch().into_string().unwrap();
    assert!(back.contains(r#"value="Ada""#), "the first answer is kept: {back}");
}
