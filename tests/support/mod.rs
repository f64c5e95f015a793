//! Shared test harness: an app per test with its own SQLite file and outbox,
//! and `Visitor`s that keep their own cookies so one app can serve many.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use rocket::figment::providers::{Format, Serialized, Toml};
use rocket::figment::Figment;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use slotwise::db::{self, DbPool};

pub mod smtp;

/// The database a test app runs on.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A fresh SQLite file in the test's temporary directory.
    Sqlite,
    /// A fresh database created on the server at this admin URL.
    Postgres(String),
}

/// The variable naming a PostgreSQL server for the tests (trust auth or a
/// URL with credentials; the user must be allowed to create databases).
pub const POSTGRES_URL_VAR: &str = "SLOTWISE_TEST_POSTGRES_URL";

impl Backend {
    /// PostgreSQL when `SLOTWISE_TEST_POSTGRES_URL` is set; otherwise `None`
    /// and a note on stderr that `test` was skipped.
    pub fn postgres(test: &str) -> Option<Backend> {
        match std::env::var(POSTGRES_URL_VAR) {
            Ok(url) if !url.is_empty() => Some(Backend::Postgres(url)),
            _ => {
                // NOTE: written to the real stderr, past the test harness's
                // output capture, so the skip shows in every run's log.
                use std::io::Write;
                let note = format!("SKIPPED on PostgreSQL: {test} ({POSTGRES_URL_VAR} is unset)\n");
                let _ = std::io::stderr().write_all(note.as_bytes());
                None
            }
        }
    }
}

/// Runs each listed `async fn name(db: Backend)` as two tests,
/// `sqlite::name` and `postgres::name` (the latter skipped, with a note,
/// when `SLOTWISE_TEST_POSTGRES_URL` is unset).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[rocket::async_test]
                async fn $name() {
                    super::$name($crate::support::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[rocket::async_test]
                async fn $name() {
                    if let Some(db) = $crate::support::Backend::postgres(stringify!($name)) {
                        super::$name(db).await
                    }
                }
            )*
        }
    };
}

/// Everything one test needs: the app, its database and its outbox.
pub struct TestApp {
    pub client: Client,
    pub db_url: String,
    pub outbox: PathBuf,
    pub figment: Figment,
    /// The database to drop when the test ends (PostgreSQL only).
    drop_database: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

/// The secret every test app shares.
pub const SECRET: &str = "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk=";

/// A figment for a test: `Rocket.toml`'s defaults plus `db_url`, a fresh
/// outbox in `dir`, then `overrides` (TOML text whose tables are under
/// `[default]`).
pub fn figment(dir: &std::path::Path, db_url: &str, overrides: &str) -> (Figment, PathBuf) {
    let outbox = dir.join("outbox");
    let figment = rocket::Config::figment()
        .merge(Serialized::default("secret_key", SECRET))
        .merge(Serialized::default("log_level", "off"))
        .merge(Serialized::default("databases.slotwise.url", db_url))
        .merge(Serialized::default("mail.outbox_dir", outbox.display().to_string()));
    // NOTE: parts separated by a `---` line merge one after the other, so a
    // test can add to a shared base without redefining TOML tables.
    let figment = overrides.split("\n---\n").fold(figment, |f, part| f.merge(Toml::string(part).nested()));
    (figment, outbox)
}

/// A fresh, empty database on `db`: its URL, and for PostgreSQL the admin
/// URL and name to drop it with.
pub async fn fresh_database(db: &Backend, dir: &std::path::Path) -> (String, Option<(String, String)>) {
    match db {
        Backend::Sqlite => (format!("sqlite://{}?mode=rwc", dir.join("test.db").display()), None),
        Backend::Postgres(admin_url) => {
            let name = format!("slotwise_test_{:016x}", rand::random::<u64>());
            let admin = db::connect(admin_url, 1, 10).await.expect("PostgreSQL at SLOTWISE_TEST_POSTGRES_URL");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin.pool).await.expect("create test database");
            admin.pool.close().await;
            let (base, _) = admin_url.split('?').next().unwrap_or(admin_url).rsplit_once('/').expect("URL with a path");
            (format!("{base}/{name}"), Some((admin_url.clone(), name)))
        }
    }
}

/// Drops a test database, ending any connection still open to it.
pub fn drop_database(admin_url: &str, name: &str) {
    let (admin_url, owned) = (admin_url.to_string(), name.to_string());
    // NOTE: Drop cannot await, and the test's runtime may be shutting down:
    // a thread with its own small runtime does the work.
    let done = std::thread::spawn(move || {
        let runtime = rocket::tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
        runtime.block_on(async {
            let admin = db::connect(&admin_url, 1, 10).await.ok()?;
            let dropped =
                sqlx::query(&format!("DROP DATABASE IF EXISTS {owned} WITH (FORCE)")).execute(&admin.pool).await;
            admin.pool.close().await;
            dropped.ok()
        })
    });
    if done.join().ok().flatten().is_none() {
        eprintln!("note: test database {name} was not dropped");
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.drop_database.take() {
            drop_database(&admin_url, &name);
        }
    }
}

impl TestApp {
    /// An app with Rocket.toml's configuration.
    pub async fn new(db: &Backend) -> TestApp {
        TestApp::with_config(db, "").await
    }

    /// An app with `overrides`, e.g. "[default.session]\nidle_timeout_secs = 1".
    pub async fn with_config(db: &Backend, overrides: &str) -> TestApp {
        TestApp::with_routes(db, overrides, vec![]).await
    }

    /// Like `with_config` but mounts extra routes under `/probe`.
    pub async fn with_routes(db: &Backend, overrides: &str, routes: Vec<rocket::Route>) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let (db_url, drop_database) = fresh_database(db, dir.path()).await;
        let (figment, outbox) = figment(dir.path(), &db_url, overrides);
        let rocket = slotwise::build(figment.clone()).mount("/probe", routes);
        let client = Client::untracked(rocket).await.expect("app launches");
        TestApp { client, db_url, outbox, figment, drop_database, _dir: dir }
    }

    /// Whether this app runs on SQLite.
    pub fn on_sqlite(&self) -> bool {
        self.db_url.starts_with("sqlite:")
    }

    /// A new visitor with an empty cookie jar.
    pub fn visitor(&self) -> Visitor<'_> {
        Visitor { app: self, cookies: Mutex::new(BTreeMap::new()), headers: Vec::new() }
    }

    /// A direct connection to the test database.
    pub async fn db(&self) -> DbPool {
        db::connect(&self.db_url, 2, 5).await.expect("test database")
    }

    /// Number of rows in `table`.
    pub async fn count(&self, table: &str) -> i64 {
        let db = self.db().await;
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&db.pool).await.unwrap();
        db.pool.close().await;
        n
    }
}

/// One browser: a cookie jar and default headers.
pub struct Visitor<'a> {
    pub app: &'a TestApp,
    cookies: Mutex<BTreeMap<String, String>>,
    headers: Vec<(String, String)>,
}

/// A response read to the end.
pub struct Page {
    pub status: Status,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie")).map(|(_, v)| v.as_str()).collect()
    }

    /// The `Location` of a redirect.
    pub fn location(&self) -> &str {
        self.header("Location").unwrap_or("")
    }

    /// The first `csrf_token` hidden field's value.
    pub fn csrf(&self) -> String {
        field_value(&self.body, "csrf_token").expect("page has a csrf_token")
    }
}

/// The `value` of the first input named `name`.
pub fn field_value(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\" value=\"");
    let at = html.find(&needle)?;
    let rest = &html[at + needle.len()..];
    Some(rest[..rest.find('"')?].to_string())
}

/// Percent-encodes a form value.
pub fn enc(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Percent-decodes a cookie value (as Rocket does for a real `Cookie` header).
pub fn dec(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() && value.is_char_boundary(i + 3) {
            if let Ok(b) = u8::from_str_radix(&value[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A form body from pairs.
pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

impl<'a> Visitor<'a> {
    /// Adds a header to every request of this visitor.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The raw value of cookie `name`, if set.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().unwrap().get(name).cloned()
    }

    /// Replaces (or with `None` removes) cookie `name`.
    pub fn set_cookie(&self, name: &str, value: Option<&str>) {
        let mut jar = self.cookies.lock().unwrap();
        match value {
            Some(v) => jar.insert(name.into(), v.into()),
            None => jar.remove(name),
        };
    }

    /// The session cookie.
    pub fn session_cookie(&self) -> Option<String> {
        self.cookie("slotwise_session")
    }

    fn cookie_header(&self) -> Option<String> {
        let jar = self.cookies.lock().unwrap();
        (!jar.is_empty()).then(|| jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; "))
    }

    /// The local client does not parse a raw `Cookie` header into the jar:
    /// send both the cookies and the header (for size checks).
    fn add_cookies<'c>(
        &self,
        mut req: rocket::local::asynchronous::LocalRequest<'c>,
    ) -> rocket::local::asynchronous::LocalRequest<'c> {
        let jar: Vec<(String, String)> = self.cookies.lock().unwrap().clone().into_iter().collect();
        for (k, v) in jar {
            req = req.cookie(rocket::http::Cookie::new(k, dec(&v)));
        }
        if let Some(c) = self.cookie_header() {
            req.add_header(Header::new("Cookie", c));
        }
        req
    }

    async fn finish(&self, response: LocalResponse<'_>) -> Page {
        let status = response.status();
        let headers: Vec<(String, String)> =
            response.headers().iter().map(|h| (h.name().to_string(), h.value().to_string())).collect();
        for (name, value) in &headers {
            if name.eq_ignore_ascii_case("set-cookie") {
                let pair = value.split(';').next().unwrap_or_default();
                if let Some((k, v)) = pair.split_once('=') {
                    let removed = value.contains("Max-Age=0") || v.is_empty();
                    self.set_cookie(k.trim(), (!removed).then_some(v.trim()));
                }
            }
        }
        let body = response.into_string().await.unwrap_or_default();
        Page { status, headers, body }
    }

    /// `GET uri`.
    pub async fn get(&self, uri: &str) -> Page {
        self.get_with(uri, &[]).await
    }

    /// `GET uri` with extra headers.
    pub async fn get_with(&self, uri: &str, extra: &[(&str, &str)]) -> Page {
        let mut req = self.app.client.get(uri.to_string());
        for (n, v) in self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).chain(extra.iter().copied()) {
            req.add_header(Header::new(n.to_string(), v.to_string()));
        }
        let req = self.add_cookies(req);
        self.finish(req.dispatch().await).await
    }

    /// `POST uri` with a url-encoded body.
    pub async fn post(&self, uri: &str, body: &str) -> Page {
        self.post_with(uri, body, &[]).await
    }

    /// `POST uri` with a body and extra headers.
    pub async fn post_with(&self, uri: &str, body: &str, extra: &[(&str, &str)]) -> Page {
        let mut req = self.app.client.post(uri.to_string()).header(ContentType::Form).body(body);
        for (n, v) in self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).chain(extra.iter().copied()) {
            req.add_header(Header::new(n.to_string(), v.to_string()));
        }
        let req = self.add_cookies(req);
        self.finish(req.dispatch().await).await
    }

    /// `POST uri` with `pairs` plus the csrf token of `page`.
    pub async fn submit(&self, uri: &str, page: &Page, pairs: &[(&str, &str)]) -> Page {
        let token = page.csrf();
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(pairs);
        self.post(uri, &form(&all)).await
    }
}

/// The code in an email body: its only standalone run of six digits.
pub fn code_in(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let before = start.checked_sub(1).map(|j| bytes[j]);
            if i - start == 6
                && !before.is_some_and(|b| b.is_ascii_alphanumeric())
                && !bytes.get(i).is_some_and(|b| b.is_ascii_alphanumeric())
            {
                found.push(text[start..i].to_string());
            }
        } else {
            i += 1;
        }
    }
    found.dedup();
    found.pop()
}

/// Every message the file transport wrote to `dir`, oldest first, with
/// quoted-printable soft breaks and `=3D` undone so links can be read.
pub fn read_outbox(dir: &std::path::Path) -> Vec<String> {
    let mut files: Vec<_> =
        std::fs::read_dir(dir).map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect()).unwrap_or_default();
    files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    files.iter().filter_map(|p| std::fs::read_to_string(p).ok()).map(|t| qp_decode(&t)).collect()
}

/// Undoes quoted-printable soft breaks and `=3D`.
pub fn qp_decode(text: &str) -> String {
    text.replace("=\r\n", "").replace("=3D", "=")
}

/// The body of a message, without its headers.
pub fn body(message: &str) -> &str {
    message.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or(message)
}
