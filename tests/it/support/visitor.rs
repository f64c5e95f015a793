//! The in-process visitor: one browser's cookie [`Jar`] and default headers
//! in front of a [`TestApp`]'s local client, the pages it gets back, and the
//! small HTML and form helpers tests fill forms with.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};

use rocket::http::{ContentType, Cookie, Header, Status};
use rocket::local::asynchronous::{LocalRequest, LocalResponse};

use super::app::TestApp;
use super::jar::Jar;

/// One browser: a cookie jar, default headers and its own network address
/// (each visitor is a different client for the limits across sessions).
pub struct Visitor<'a> {
    /// The app this visitor talks to.
    pub app: &'a TestApp,
    jar: Jar,
    headers: Vec<(String, String)>,
    remote: SocketAddr,
}

/// A fresh address per visitor: 10.x.y.z, port 40000.
fn next_address() -> SocketAddr {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    SocketAddr::from(([10, (n >> 16) as u8, (n >> 8) as u8, n as u8], 40000))
}

/// A response read to the end.
pub struct Page {
    /// The status.
    pub status: Status,
    /// Every header, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl Page {
    /// The first header called `name` (without regard to case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Every `Set-Cookie` header's value.
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

/// The slot values a slot page offers, earliest first.
fn slot_values(html: &str) -> impl Iterator<Item = String> + '_ {
    let needle = "name=\"slot\" value=\"";
    html.match_indices(needle).filter_map(move |(at, _)| {
        let rest = &html[at + needle.len()..];
        Some(rest[..rest.find('"')?].to_string())
    })
}

/// The earliest slot the slot page offers (the app's clock stands still
/// between the page and its POST).
pub fn offered_slot(html: &str) -> Option<String> {
    slot_values(html).next()
}

/// A slot a real `slotwise` process offers: the second, not the earliest
/// (when there is a second).
///
/// NOTE: a process tells the time by the system clock, so the earliest may
/// start between the page and its POST when a test runs across a slot
/// boundary (`min_notice_minutes = 0`), and then rightly answers `422`.
pub fn process_slot(html: &str) -> Option<String> {
    let mut values = slot_values(html);
    let first = values.next()?;
    Some(values.next().unwrap_or(first))
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
    /// A visitor of `app` with an empty cookie jar.
    pub fn new(app: &'a TestApp) -> Visitor<'a> {
        Visitor { app, jar: Jar::new(), headers: Vec::new(), remote: next_address() }
    }

    /// The same visitor connecting from `ip` (e.g. many sessions of one client).
    pub fn at_address(mut self, ip: &str) -> Self {
        self.remote = SocketAddr::new(ip.parse().expect("an IP address"), 40000);
        self
    }

    /// Adds a header to every request of this visitor.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The raw value of cookie `name`, if set.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar.get(name)
    }

    /// Replaces (or with `None` removes) cookie `name`.
    pub fn set_cookie(&self, name: &str, value: Option<&str>) {
        self.jar.set(name, value);
    }

    /// The session cookie.
    pub fn session_cookie(&self) -> Option<String> {
        self.cookie("slotwise_session")
    }

    /// The local client does not parse a raw `Cookie` header into the jar:
    /// send both the cookies and the header (for size checks).
    fn add_cookies<'c>(&self, mut req: LocalRequest<'c>) -> LocalRequest<'c> {
        for (k, v) in self.jar.pairs() {
            req = req.cookie(Cookie::new(k, dec(&v)));
        }
        if let Some(c) = self.jar.header() {
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
                self.jar.keep(value);
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
        let mut req = self.app.client.get(uri.to_string()).remote(self.remote);
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
        let mut req = self.app.client.post(uri.to_string()).header(ContentType::Form).body(body).remote(self.remote);
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
