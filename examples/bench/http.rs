//! A visitor over real HTTP: one `ureq` agent (keep-alive), its own cookie
//! jar (the test kit's [`Jar`]), no redirects followed (each `303` is
//! checked, and its `Set-Cookie` kept).

use std::time::Duration;

use crate::jar::Jar;

/// The session cookie's name (`session.cookie_name`, left at its default).
const COOKIE: &str = "slotwise_session";

/// One answer.
pub struct Reply {
    pub status: u16,
    pub location: String,
    pub body: String,
}

impl Reply {
    /// The `value` of the first `<input name="{name}" value="...">`.
    pub fn field(&self, name: &str) -> Result<String, String> {
        field_value(&self.body, name).ok_or_else(|| format!("no field `{name}` in a {} page", self.status))
    }

    /// Fails unless the status is `want`.
    pub fn expect(self, want: u16, what: &str) -> Result<Reply, String> {
        if self.status == want {
            Ok(self)
        } else {
            Err(format!("{what}: expected {want}, got {} {}", self.status, self.location))
        }
    }
}

/// A browser-like visitor: cookies in, cookies out.
pub struct Visitor {
    agent: ureq::Agent,
    base: String,
    jar: Jar,
}

/// A keep-alive agent that never follows redirects.
pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().redirects(0).timeout(Duration::from_secs(30)).build()
}

impl Visitor {
    /// A visitor without a cookie, sending through `agent` to `base`.
    pub fn new(agent: &ureq::Agent, base: &str) -> Visitor {
        Visitor { agent: agent.clone(), base: base.to_string(), jar: Jar::new() }
    }

    /// The session cookie as a `Cookie` header value (`name=value`).
    pub fn cookie(&self) -> Option<String> {
        self.jar.get(COOKIE).map(|value| format!("{COOKIE}={value}"))
    }

    /// `GET path`.
    pub fn get(&mut self, path: &str) -> Result<Reply, String> {
        let request = self.jar.send(self.agent.get(&format!("{}{path}", self.base)));
        self.finish(request.call())
    }

    /// `POST path` with a urlencoded form of `pairs`.
    pub fn post(&mut self, path: &str, pairs: &[(&str, &str)]) -> Result<Reply, String> {
        let request = self
            .jar
            .send(self.agent.post(&format!("{}{path}", self.base)))
            .set("Content-Type", "application/x-www-form-urlencoded");
        self.finish(request.send_string(&form(pairs)))
    }

    fn finish(&self, result: Result<ureq::Response, ureq::Error>) -> Result<Reply, String> {
        let response = match result {
            Ok(response) => response,
            Err(ureq::Error::Status(_, response)) => response,
            Err(e) => return Err(format!("HTTP: {e}")),
        };
        self.jar.keep_all(&response);
        let status = response.status();
        let location = response.header("location").unwrap_or_default().to_string();
        let body = response.into_string().map_err(|e| format!("reading a body: {e}"))?;
        Ok(Reply { status, location, body })
    }
}

/// The value of the first `name="{name}" value="..."` input in `html`.
pub fn field_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let len = html[start..].find('"')?;
    Some(html[start..start + len].replace("&#x2F;", "/").replace("&amp;", "&"))
}

/// Every value of the `name="{name}"` inputs in `html`.
pub fn field_values(html: &str, name: &str) -> Vec<String> {
    let marker = format!("name=\"{name}\" value=\"");
    html.match_indices(&marker)
        .filter_map(|(at, _)| {
            let start = at + marker.len();
            let len = html[start..].find('"')?;
            Some(html[start..start + len].replace("&#x2F;", "/").replace("&amp;", "&"))
        })
        .collect()
}

/// `application/x-www-form-urlencoded` of `pairs`.
pub fn form(pairs: &[(&str, &str)]) -> String {
    let encode = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}
